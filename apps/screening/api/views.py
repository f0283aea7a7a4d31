"""Screening endpoints: findings (explained, `as_of`), matches and their review, review decisions, runs,
and pre-purchase checks (`/screenings/`: POST a name, GET past checks)."""
from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.accounts.models import Organization
from apps.accounts.policies import Action
from apps.api.permissions import user_write_organization_ids
from apps.api.schema import AS_OF_PARAMETER
from apps.api.viewsets import ApiViewSetMixin, ReadOnlyApiViewSet
from apps.common.exceptions import ApplicationError
from apps.screening.filtersets import (
    FindingFilterSet,
    MatchFilterSet,
    PrePurchaseCheckFilterSet,
    ReviewDecisionFilterSet,
    ScreeningRunFilterSet,
)
from apps.screening.models import PrePurchaseCheck, ReviewDecision, ScreeningRun
from apps.screening.selectors import (
    decisions_in_view,
    findings_in_view,
    findings_open_at,
    match_party_copies,
    matches_in_view,
)
from apps.screening.services import review_decide, screen_name

from .serializers import (
    FindingSerializer,
    MatchSerializer,
    PrePurchaseCheckSerializer,
    ReviewDecisionSerializer,
    ReviewInputSerializer,
    ReviewResultSerializer,
    ScreeningRunSerializer,
    ScreenInputSerializer,
    ScreenResultSerializer,
)

FINDING_RELATED = ("vendor", "source", "via_vendor", "match__decision__decided_by", "match__decision__source")


def findings_queryset(as_of=None, *, organization_id: int | None = None):
    """All findings in one view (findings_in_view), or with `as_of` those open at that moment; relations loaded
    for the serializer."""
    qs = (findings_open_at(as_of, organization_id=organization_id) if as_of is not None
          else findings_in_view(organization_id))
    return qs.select_related(*FINDING_RELATED)


@extend_schema_view(
    list=extend_schema(parameters=[AS_OF_PARAMETER]),
    retrieve=extend_schema(parameters=[AS_OF_PARAMETER]),
)
class FindingViewSet(ReadOnlyApiViewSet):
    """Why a vendor is flagged: listed itself, through ownership or through its OEM maker, with the path,
    the rule that set the status, the match and its review. `as_of` gives the findings open that day."""

    serializer_class = FindingSerializer
    base_filterset_class = FindingFilterSet
    organization_field = None
    in_view_actions = ("list", "retrieve")
    ordering_fields = ["id", "discovered_at", "status"]

    def get_queryset(self):
        return findings_queryset(self.get_as_of(), organization_id=self.view_organization_id())


class MatchViewSet(ReadOnlyApiViewSet):
    """Name and identifier matches of vendors against list entries; officers confirm or dismiss them."""

    serializer_class = MatchSerializer
    base_filterset_class = MatchFilterSet
    organization_field = None
    in_view_actions = ("list", "retrieve", "review", "copies")
    ordering_fields = ["id", "score", "first_seen_at"]

    @property
    def policy_actions(self) -> dict:
        # A registry-wide decision is a curator's (the policy's `curate`); any other is a write in a view.
        return {"review": Action.CURATE if self._registry_wide() else Action.WRITE}

    def _registry_wide(self) -> bool:
        return self.action == "review" and str(self.request.data.get("registry_wide", "")).lower() in ("true", "1")

    def object_organization_id(self, obj) -> int | None:
        """Whose view a review is for, as the policy checks it before the service: a private list's own
        organisation; registry-wide, none (shared); otherwise the organisation the caller asks for (its view)."""
        if obj.source.organization_id is not None:
            return obj.source.organization_id
        if self._registry_wide():
            return None
        organization = self.request.data.get("organization")
        return int(organization) if str(organization or "").isdigit() else self.view_organization_id()

    def get_queryset(self):
        # Matches in the caller's view: another organisation's private-list matches are not found (404).
        return matches_in_view(self.view_organization_id()).select_related(
            "vendor", "source", "list_version", "decision__decided_by", "decision__source")

    @extend_schema(request=ReviewInputSerializer, responses={201: ReviewResultSerializer})
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """Confirm or dismiss the match, with a reason (kept as evidence; statuses follow at once), for your
        organisation's view, or registry-wide (`registry_wide`, curators only). With `group`, the decision covers
        every open copy of the same listed party for this vendor (`copies`), or the ones given in `matches`."""
        match = self.get_object()
        serializer = ReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        organization_id = data.pop("organization") or (None if data["registry_wide"] else self.view_organization_id())
        group = data["group"] or data["matches"] is not None
        result = review_decide(match=match.pk, user=request.user, organization_id=organization_id, **data)
        decision = ReviewDecision.objects.select_related("decided_by", "source").get(pk=result.pk)
        decision.group_decisions, decision.group_match_ids = result.group_decisions, result.group_match_ids
        body = ReviewResultSerializer(decision, context={"group": group}).data
        if not group:
            body.pop("group_decisions"), body.pop("group_matches")
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: MatchSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def copies(self, request, pk=None):
        """The open matches of this match's vendor that name the same listed party (another year of the DoD 1260H
        list, the CSL copy of an SDN entry, an entry sharing an identifier), this one first: what a `group`
        review decision covers."""
        match = self.get_object()
        qs = match_party_copies(match, self.view_organization_id()).select_related(
            "vendor", "decision__decided_by", "decision__source")
        return Response(MatchSerializer(qs, many=True).data)


class ReviewDecisionViewSet(ReadOnlyApiViewSet):
    """Reviewers' confirm/dismiss decisions, with reason, reviewer and date (superseded ones kept)."""

    serializer_class = ReviewDecisionSerializer
    base_filterset_class = ReviewDecisionFilterSet
    organization_field = None
    in_view_actions = ("list", "retrieve")
    ordering_fields = ["id", "decided_at"]

    def get_queryset(self):
        # Registry-wide decisions and the view's own organisation's; never another organisation's.
        return decisions_in_view(self.view_organization_id()).select_related("decided_by", "source")


class ScreeningRunViewSet(ReadOnlyApiViewSet):
    """Screening passes: trigger, list versions used (id + sha256), counts and timings."""

    queryset = ScreeningRun.objects.select_related("requested_by")
    serializer_class = ScreeningRunSerializer
    base_filterset_class = ScreeningRunFilterSet
    organization_field = None
    ordering_fields = ["id", "started_at"]


class ScreeningViewSet(ApiViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       viewsets.GenericViewSet):
    """Pre-purchase checks: POST a company name to learn whether you may buy from it (same JSON as the
    `screen` command, kept as evidence); GET the checks of your organisations."""

    queryset = PrePurchaseCheck.objects.select_related("requested_by")
    serializer_class = PrePurchaseCheckSerializer
    base_filterset_class = PrePurchaseCheckFilterSet
    ordering_fields = ["id", "created_at"]

    def scope(self, queryset):
        # Checks kept without an organisation are visible to the person who ran them only.
        if not self.request.user.is_authenticated:
            return queryset.none()
        return queryset.filter(Q(organization_id__in=self.member_organization_ids())
                               | Q(organization__isnull=True, requested_by=self.request.user))

    @extend_schema(request=ScreenInputSerializer, responses={200: ScreenResultSerializer})
    def create(self, request):
        serializer = ScreenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        writable = user_write_organization_ids(request.user)
        org_id = data["organization"]
        if org_id is None and len(writable) == 1:
            org_id = writable[0]
        if org_id is None or org_id not in writable:
            raise ApplicationError(
                "Say for which of your organisations the check is made.", code="invalid",
                fields={"organization": ["Give the id of an organisation where you are officer or admin."]},
            )
        result = screen_name(
            name=data["name"], country=data["country"], identifiers=data["identifiers"], user=request.user,
            organization=Organization.objects.get(pk=org_id), save=data["save"], limit=data["limit"],
            offset=data["offset"],
        )
        return Response(result, status=status.HTTP_200_OK)
