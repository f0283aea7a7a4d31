"""Vendor endpoints: vendors (with `as_of`, findings and the explained ownership chain), ownership links,
OEM relations. Vendors are shared reference data: any member reads, officers and admins write."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.accounts.filtersets import member_organization_ids
from apps.accounts.policies import Action, is_curator
from apps.api.schema import AS_OF_PARAMETER
from apps.api.viewsets import ReadOnlyApiViewSet, ServiceCreateMixin, ServiceDestroyMixin, ServiceUpdateMixin
from apps.common.choices import risk_worst
from apps.screening.api.serializers import FindingSerializer
from apps.screening.selectors import (
    PATH_SHARE_LABEL,
    findings_open_at,
    vendor_findings,
    vendor_ownership_view,
    vendor_status_annotate,
)
from apps.vendors import proposals, services
from apps.vendors.choices import ProposalKind
from apps.vendors.filtersets import ChangeProposalFilterSet, OemRelationFilterSet, OwnershipFilterSet, VendorFilterSet
from apps.vendors.models import ChangeProposal, OemRelation, Ownership, Vendor, VendorAlias, VendorIdentifier
from apps.vendors.selectors import proposals_visible

from .serializers import (
    SOURCE_FIELDS,
    ChangeProposalSerializer,
    OemRelationSerializer,
    OwnershipChainSerializer,
    OwnershipProposalInputSerializer,
    OwnershipSerializer,
    ProposalApplySerializer,
    ProposalCreateSerializer,
    ProposalDecisionSerializer,
    VendorInputSerializer,
    VendorSerializer,
    VendorUpdateProposalSerializer,
)


def source_kwargs(data: dict) -> dict:
    """The source fields of a fact write's input (FactSourceInputSerializer) as shared_fact_write's keywords."""
    return {"source_url": data.get("source_url", ""), "source_document": data.get("source_document", ""),
            "organization_id": data.get("organization"), "apply_to_own_view": data.get("apply_to_own_view", True)}


def fact_answer(view, result: proposals.FactWrite, *, created: bool = False) -> Response:
    """202 with the proposal when the write became one; else what the curator wrote (200/201), or 204."""
    if result.proposed:
        proposal = ChangeProposal.objects.select_related("vendor").get(pk=result.proposal.pk)
        return Response(ChangeProposalSerializer(proposal).data, status=status.HTTP_202_ACCEPTED)
    if result.written is None:
        return Response(status=status.HTTP_204_NO_CONTENT)
    return Response(view.written_answer(result.written),
                    status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _share(value) -> str:
    return "share unknown" if value is None else f"{value.normalize():f}%"


def ownership_chain_payload(vendor, *, day: dt.date, organization_id: int | None = None) -> dict:
    """The ownership view from apps.screening.selectors: each path in words with its multiplied path share
    (arithmetic, not a regime test) and, beside them, each regime's own test with its verdict. In the view of
    `organization_id`: the links its pending proposals apply to its own view count, marked `proposed` (an added
    one has no `ownership_id`), those it proposes removing do not."""
    view = vendor_ownership_view(vendor, day=day, organization_id=organization_id)
    paths = []
    for path in view.chain.paths:
        words = [vendor.name]
        for step in path.steps:
            verb = "controlled by" if step.kind == "control" else f"owned ({_share(step.share_percent)}) by"
            if step.kind == "joint_venture":
                verb = f"joint venture ({_share(step.share_percent)}) with"
            words.append(f"{verb} {step.owner_name}")
        share = path.path_share_percent
        text = " <- ".join(words) + (f" ({PATH_SHARE_LABEL}: {share.normalize():f}%)" if share is not None
                                     else f" ({PATH_SHARE_LABEL}: unknown)")
        paths.append({
            "steps": [{"ownership_id": s.ownership_id, "owner_id": s.owner_id, "owner_name": s.owner_name,
                       "kind": s.kind, "share_percent": s.share_percent, "proposed": s.proposed}
                      for s in path.steps],
            "path_share_percent": share,
            "text": text,
        })
    parents = [{"vendor_id": p.vendor_id, "name": p.name, "path_share_percent": p.path_share_percent,
                "path_count": len(p.paths)} for p in view.chain.ultimate_parents]
    tests = [{
        "source": t.source_code, "source_name": t.source_name, "regime": t.regime, "regime_label": t.regime_label,
        "propagation": t.propagation, "propagation_label": t.propagation_label, "citation": t.citation,
        "threshold_percent": t.threshold_percent, "threshold_inclusive": t.threshold_inclusive,
        "control_counts": t.control_counts, "in_force": t.in_force, "counted_percent": t.counted_percent,
        "pending_percent": t.pending_percent, "unknown_share": t.unknown_share, "verdict": t.verdict,
        "verdict_label": t.verdict_label, "verdict_text": t.verdict_text,
        "stakes": [{"owner_id": s.owner_id, "owner_name": s.owner_name, "kind": s.kind,
                    "share_percent": s.share_percent, "counted": s.counted, "owner_status": s.owner_status,
                    "proposed": s.proposed}
                   for s in t.stakes],
    } for t in view.tests]
    if not paths:
        explanation = f"{vendor.name} has no recorded owner on {day.isoformat()}."
    else:
        explanation = "; ".join(p["text"] for p in paths)
    if tests:
        explanation += ". Regime tests: " + "; ".join(f"{t['source_name']}: {t['verdict_text']}" for t in tests)
    return {"vendor_id": vendor.pk, "vendor_name": vendor.name, "as_of": day, "paths": paths,
            "ultimate_parents": parents, "regime_tests": tests, "truncated": view.chain.truncated,
            "explanation": explanation}


class VendorViewSet(ServiceCreateMixin, ServiceUpdateMixin, ReadOnlyApiViewSet):
    """Vendors with aliases, identifiers and risk status. `as_of=YYYY-MM-DD` answers from history."""

    serializer_class = VendorSerializer
    base_filterset_class = VendorFilterSet
    organization_field = None
    ordering_fields = ["id", "name", "updated_at"]
    lookup_field = "id"
    lookup_value_regex = r"\d+"
    supports_as_of = True
    in_view_actions = ("list", "retrieve", "findings", "ownership")
    create_serializer_class = VendorInputSerializer
    update_serializer_class = VendorUpdateProposalSerializer

    def get_queryset(self):
        as_of = self.get_as_of() if self.action in ("list", "retrieve") else None
        if as_of is None:  # the status in the caller's view (its overlay where it differs from the public one)
            return vendor_status_annotate(Vendor.objects.prefetch_related("aliases", "identifiers"),
                                          self.view_organization_id(), field="view_risk_status")
        return Vendor.history.filter(history_date__lte=as_of).latest_of_each().exclude(history_type="-")

    def page_context(self, objects: list) -> dict:
        as_of = self.get_as_of() if self.action in ("list", "retrieve") else None
        context: dict = {}
        if as_of is not None:
            ids = [o.id for o in objects]
            for name, model in (("aliases", VendorAlias), ("identifiers", VendorIdentifier)):
                rows = (model.history.filter(history_date__lte=as_of).latest_of_each()
                        .exclude(history_type="-").filter(vendor_id__in=ids))
                by_vendor = defaultdict(list)
                for row in rows:
                    by_vendor[row.vendor_id].append(row)
                context[f"{name}_by_vendor"] = by_vendor
        context.update(self.risk_context(objects, as_of))
        return context

    def risk_context(self, objects: list, as_of: dt.datetime | None) -> dict:
        """With `as_of`: each vendor's status under the findings open then (the worst one wins)."""
        if as_of is None:
            return {}
        statuses: dict[int, str] = {}
        rows = (findings_open_at(as_of, organization_id=self.view_organization_id())
                .filter(vendor_id__in=[o.id for o in objects]).values_list("vendor_id", "status"))
        for vendor_id, finding_status in rows:
            statuses[vendor_id] = risk_worst(statuses.get(vendor_id, "clear"), finding_status)
        return {"risk_status_by_vendor": statuses}

    @extend_schema(parameters=[AS_OF_PARAMETER], responses={200: FindingSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def findings(self, request, id=None):
        """The vendor's findings open now (or on `as_of`), worst first, each explained: path, rule, match,
        review decision."""
        vendor = self.get_object()
        findings = vendor_findings(vendor_id=vendor.pk, as_of=self.get_as_of(),
                                   organization_id=self.view_organization_id())
        return Response(FindingSerializer(findings, many=True).data)

    def perform_service_create(self, data):
        return services.vendor_create(actor=self.request.user, **data)

    @extend_schema(responses={200: VendorSerializer, 202: ChangeProposalSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Change a vendor's names or details: a curator's change is written at once (200); an officer's or
        admin's becomes a change proposal of their organisation (202), decided by a curator."""
        vendor = self.get_object()
        data = self.validated_input(self.update_serializer_class, vendor, partial=True)
        return fact_answer(self, proposals.shared_fact_write(
            kind=ProposalKind.VENDOR_UPDATE, vendor=vendor, actor=request.user,
            payload={k: v for k, v in data.items() if k not in SOURCE_FIELDS}, **source_kwargs(data)))

    @extend_schema(parameters=[AS_OF_PARAMETER], responses={200: OwnershipChainSerializer})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def ownership(self, request, id=None):
        """The ownership chain up to the ultimate parents, each path explained, as of a day (default today), in
        the caller's view: the links its organisation's pending proposals apply to its own view count (steps
        marked `proposed`; an added link has `ownership_id` null), those it proposes removing do not."""
        vendor = self.get_object()
        as_of = self.get_as_of()
        day = as_of.date() if as_of else timezone.localdate()
        payload = ownership_chain_payload(vendor, day=day, organization_id=self.view_organization_id())
        return Response(OwnershipChainSerializer(payload).data)


class OwnershipViewSet(ServiceCreateMixin, ServiceDestroyMixin, ReadOnlyApiViewSet):
    """Ownership links (owner -> owned, share or unknown, dated, sourced). Officers and admins add and
    remove them (cycles and totals above 100% are refused; screening follows on commit)."""

    queryset = Ownership.objects.select_related("owner", "owned")
    serializer_class = OwnershipSerializer
    base_filterset_class = OwnershipFilterSet
    organization_field = None
    ordering_fields = ["id", "updated_at"]
    create_serializer_class = OwnershipProposalInputSerializer

    @extend_schema(responses={201: OwnershipSerializer, 202: ChangeProposalSerializer})
    def create(self, request, *args, **kwargs):
        """Add an ownership link: a curator's is written at once (201); an officer's or admin's becomes a change
        proposal of their organisation (202)."""
        data = self.validated_input(self.create_serializer_class)
        payload = {k: v for k, v in data.items() if k not in SOURCE_FIELDS and k != "owned"}
        return fact_answer(self, proposals.shared_fact_write(
            kind=ProposalKind.OWNERSHIP_ADD, vendor=data["owned"], actor=request.user, payload=payload,
            **source_kwargs(data)), created=True)

    @extend_schema(responses={204: None, 202: ChangeProposalSerializer})
    def destroy(self, request, *args, **kwargs):
        """Remove an ownership link: a curator's removal is done at once (204); an officer's or admin's becomes
        a change proposal of their organisation (202): nobody's status changes until a curator accepts it.
        Optional query parameters `source_url` and `source_document` say why."""
        link = self.get_object()
        params = request.query_params
        return fact_answer(self, proposals.shared_fact_write(
            kind=ProposalKind.OWNERSHIP_REMOVE, vendor=link.owned, actor=request.user, target_id=link.pk,
            source_url=params.get("source_url", "")[:500], source_document=params.get("source_document", "")[:500]))


class OemRelationViewSet(ReadOnlyApiViewSet):
    """White-label relations: which brand is made by which manufacturer."""

    queryset = OemRelation.objects.select_related("brand", "manufacturer")
    serializer_class = OemRelationSerializer
    base_filterset_class = OemRelationFilterSet
    organization_field = None
    ordering_fields = ["id", "updated_at"]


class ChangeProposalViewSet(ServiceCreateMixin, ReadOnlyApiViewSet):
    """Change proposals to shared vendor facts. Listed: your organisations' proposals, and every pending one
    (another organisation's without its proposer, source or evidence); curators see every pending one in full.
    Officers and admins propose (POST, or by writing a vendor, ownership link, ...); curators accept or reject
    (never their own: four eyes); the proposing organisation withdraws or applies it to its own view."""

    serializer_class = ChangeProposalSerializer
    base_filterset_class = ChangeProposalFilterSet
    organization_field = "organization"
    ordering_fields = ["id", "updated_at"]
    create_serializer_class = ProposalCreateSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    policy_actions = {"accept": Action.CURATE, "reject": Action.CURATE, "withdraw": Action.WRITE,
                      "apply_to_own_view": Action.WRITE, "create": Action.WRITE}

    def get_queryset(self):
        return proposals_visible(self.member_organization_ids()).select_related("vendor")

    def object_organization_id(self, obj):
        return obj.organization_id

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        context["full_view_organization_ids"] = None if is_curator(user) else set(member_organization_ids(user))
        return context

    def _answer(self, proposal) -> Response:
        proposal = ChangeProposal.objects.select_related("vendor").get(pk=proposal.pk)
        return Response(self.get_serializer(proposal).data)

    @extend_schema(responses={202: ChangeProposalSerializer})
    def create(self, request, *args, **kwargs):
        """Propose a change to a shared vendor fact, with its source and an optional evidence file (multipart)."""
        data = self.validated_input(self.create_serializer_class)
        proposal = proposals.proposal_submit(
            kind=data["kind"], vendor=data["vendor"], actor=request.user, target_id=data["target"],
            payload=data["payload"], organization_id=data["organization"], source_url=data["source_url"],
            source_document=data["source_document"], evidence=data["evidence"],
            apply_to_own_view=data["apply_to_own_view"])
        return Response(self._answer(proposal).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=ProposalDecisionSerializer, responses={200: ChangeProposalSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept (curators with a verified second factor, never the proposer): the fact is written with its
        provenance and every organisation whose units' status changes is notified. 409 when the fact changed
        since the proposal was made (stale) or it was already decided."""
        proposal = self.get_object()
        data = self.validated_input(ProposalDecisionSerializer)
        return self._answer(proposals.proposal_accept(proposal=proposal, actor=request.user, reason=data["reason"]))

    @extend_schema(request=ProposalDecisionSerializer, responses={200: ChangeProposalSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject with a reason (curators with a verified second factor, never the proposer)."""
        proposal = self.get_object()
        data = self.validated_input(ProposalDecisionSerializer)
        return self._answer(proposals.proposal_reject(proposal=proposal, actor=request.user, reason=data["reason"]))

    @extend_schema(request=ProposalDecisionSerializer, responses={200: ChangeProposalSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw a pending proposal (officers and admins of the proposing organisation)."""
        proposal = self.get_object()
        data = self.validated_input(ProposalDecisionSerializer)
        return self._answer(proposals.proposal_withdraw(proposal=proposal, actor=request.user,
                                                        reason=data["reason"]))

    @extend_schema(request=ProposalApplySerializer, responses={200: ChangeProposalSerializer})
    @action(detail=True, methods=["post"], url_path="apply-to-own-view", url_name="apply")
    def apply_to_own_view(self, request, pk=None):
        """Show (or stop showing) the pending change in the proposing organisation's own view."""
        proposal = self.get_object()
        data = self.validated_input(ProposalApplySerializer)
        return self._answer(proposals.proposal_apply_to_own_view(proposal=proposal, actor=request.user,
                                                                 apply=data["apply"]))
