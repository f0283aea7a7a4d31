"""Vendor endpoints: vendors (with `as_of`, findings and the explained ownership chain), ownership links,
OEM relations. Vendors are shared reference data: any member reads, officers and admins write."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

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
from apps.vendors import services
from apps.vendors.filtersets import OemRelationFilterSet, OwnershipFilterSet, VendorFilterSet
from apps.vendors.models import OemRelation, Ownership, Vendor, VendorAlias, VendorIdentifier

from .serializers import (
    OemRelationSerializer,
    OwnershipChainSerializer,
    OwnershipInputSerializer,
    OwnershipSerializer,
    VendorInputSerializer,
    VendorSerializer,
    VendorUpdateSerializer,
)


def _share(value) -> str:
    return "share unknown" if value is None else f"{value.normalize():f}%"


def ownership_chain_payload(vendor, *, day: dt.date, organization_id: int | None = None) -> dict:
    """The ownership view from apps.screening.selectors: each path in words with its multiplied path share
    (arithmetic, not a regime test) and, beside them, each regime's own test with its verdict."""
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
                       "kind": s.kind, "share_percent": s.share_percent} for s in path.steps],
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
                    "share_percent": s.share_percent, "counted": s.counted, "owner_status": s.owner_status}
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
    update_serializer_class = VendorUpdateSerializer

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

    def perform_service_update(self, vendor, data):
        return services.vendor_update(vendor=vendor, actor=self.request.user, **data)

    @extend_schema(parameters=[AS_OF_PARAMETER], responses={200: OwnershipChainSerializer})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def ownership(self, request, id=None):
        """The ownership chain up to the ultimate parents, each path explained, as of a day (default today)."""
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
    create_serializer_class = OwnershipInputSerializer

    def perform_service_create(self, data):
        return services.ownership_create(actor=self.request.user, **data)

    def perform_service_destroy(self, ownership):
        services.ownership_delete(ownership=ownership, actor=self.request.user)


class OemRelationViewSet(ReadOnlyApiViewSet):
    """White-label relations: which brand is made by which manufacturer."""

    queryset = OemRelation.objects.select_related("brand", "manufacturer")
    serializer_class = OemRelationSerializer
    base_filterset_class = OemRelationFilterSet
    organization_field = None
    ordering_fields = ["id", "updated_at"]
