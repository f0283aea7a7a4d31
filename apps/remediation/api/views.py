"""Remediation endpoints: plans (`/remediations/`) with officer actions (move forward, change deadline, add
a step, request a waiver), waivers with admin approval, and the policy rules."""
from __future__ import annotations

from django.db.models import Prefetch, Q
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from apps.api.permissions import ADMIN_ROLES
from apps.api.viewsets import ApiViewSetMixin, ReadOnlyApiViewSet
from apps.remediation import services
from apps.remediation.filtersets import (
    EvidenceFilterSet,
    FactChangeNoticeFilterSet,
    PolicyRuleFilterSet,
    ProjectionReportFilterSet,
    RemediationPlanFilterSet,
    WaiverFilterSet,
)
from apps.remediation.models import (
    Evidence,
    FactChangeNotice,
    PlanStep,
    PolicyRule,
    ProjectionReport,
    RemediationPlan,
    Waiver,
)
from apps.remediation.uploads import evidence_file_response

from .serializers import (
    DeadlineInputSerializer,
    EvidenceSerializer,
    FactChangeNoticeSerializer,
    PlanStepSerializer,
    PolicyRuleSerializer,
    PolicyRuleUpdateSerializer,
    ProjectionLineSerializer,
    ProjectionReportSerializer,
    ProjectionRequestSerializer,
    RemediationPlanSerializer,
    StepInputSerializer,
    TransitionInputSerializer,
    WaiverDecisionInputSerializer,
    WaiverRequestInputSerializer,
    WaiverSerializer,
)

WAIVER_RELATED = ("requested_by", "decided_by")
REMEDIATION_EXPORT = [
    ("id", "id"), ("organization", "organization__name"), ("site_code", "site__code"), ("equipment", "equipment_id"),
    ("category", "category"), ("vendor", "vendor__name"), ("rule", "rule__code"), ("action", "action"),
    ("status", "status"), ("deadline", "deadline"), ("is_overdue", "is_overdue"), ("outcome", "outcome"),
    ("why", "why"), ("updated_at", "updated_at"),
]


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class RemediationPlanViewSet(ReadOnlyApiViewSet):
    """Remediation plans of the user's organisations: rule, action, deadline, status, steps and waivers."""

    queryset = RemediationPlan.objects.select_related("site", "vendor", "rule", "owner").prefetch_related(
        Prefetch("steps", queryset=PlanStep.objects.select_related("done_by").order_by("position")),
        Prefetch("waivers", queryset=Waiver.objects.select_related(*WAIVER_RELATED).order_by("id")),
    )
    serializer_class = RemediationPlanSerializer
    base_filterset_class = RemediationPlanFilterSet
    ordering_fields = ["id", "deadline", "updated_at"]
    export_fields = REMEDIATION_EXPORT

    def _answer(self, plan, code=status.HTTP_200_OK):
        return Response(RemediationPlanSerializer(self.get_queryset().get(pk=plan.pk)).data, status=code)

    @extend_schema(request=TransitionInputSerializer, responses={200: RemediationPlanSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the plan one step forward (open -> planned -> in_progress -> done with an outcome)."""
        plan = self.get_object()  # permission and scope first: 404/403 before any input error
        data = _valid(TransitionInputSerializer, request)
        plan = services.plan_transition(plan=plan.pk, to_status=data["status"], user=request.user,
                                        outcome=data["outcome"], note=data["note"])
        return self._answer(plan)

    @extend_schema(request=DeadlineInputSerializer, responses={200: RemediationPlanSerializer})
    @action(detail=True, methods=["post"])
    def deadline(self, request, pk=None):
        """Set the deadline by hand, with a reason (recorded)."""
        plan = self.get_object()
        data = _valid(DeadlineInputSerializer, request)
        plan = services.plan_change_deadline(plan=plan.pk, user=request.user, **data)
        return self._answer(plan)

    @extend_schema(request=StepInputSerializer, responses={201: PlanStepSerializer})
    @action(detail=True, methods=["post"])
    def steps(self, request, pk=None):
        """Add a step to the plan."""
        plan = self.get_object()
        data = _valid(StepInputSerializer, request)
        step = services.plan_step_add(plan=plan.pk, user=request.user, **data)
        return Response(PlanStepSerializer(step).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WaiverRequestInputSerializer, responses={201: WaiverSerializer})
    @action(detail=True, methods=["post"])
    def waiver(self, request, pk=None):
        """Request a waiver (an admin other than the requester decides)."""
        plan = self.get_object()
        data = _valid(WaiverRequestInputSerializer, request)
        waiver = services.waiver_request(plan=plan.pk, user=request.user, **data)
        waiver = Waiver.objects.select_related(*WAIVER_RELATED).get(pk=waiver.pk)
        return Response(WaiverSerializer(waiver).data, status=status.HTTP_201_CREATED)


class EvidenceViewSet(ReadOnlyApiViewSet):
    """Evidence of the plans (read-only, every member of the plan's organisation): name, type taken from the
    content, size, SHA-256 and who uploaded it when; `download/` gives the file exactly as uploaded, so an
    auditor can check it against the hash. Files are added through the plans (web), never changed."""

    queryset = Evidence.objects.select_related("plan", "uploaded_by")
    serializer_class = EvidenceSerializer
    base_filterset_class = EvidenceFilterSet
    organization_field = "plan__organization"
    ordering_fields = ["uploaded_at", "id"]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def download(self, request, pk=None):
        evidence = self.get_object()
        try:
            return evidence_file_response(evidence)
        except Http404 as exc:  # the file gone from storage: say so in the API's error shape
            raise NotFound(str(exc)) from exc


class WaiverViewSet(ReadOnlyApiViewSet):
    """Waivers of the user's organisations; admins approve or reject requests (four-eyes)."""

    queryset = Waiver.objects.select_related(*WAIVER_RELATED)
    serializer_class = WaiverSerializer
    base_filterset_class = WaiverFilterSet
    write_roles = ADMIN_ROLES
    ordering_fields = ["id", "expires_on", "requested_at"]

    def _decide(self, request, service):
        waiver = self.get_object()
        data = _valid(WaiverDecisionInputSerializer, request)
        waiver = service(waiver=waiver.pk, user=request.user, note=data["note"])
        return Response(WaiverSerializer(self.get_queryset().get(pk=waiver.pk)).data)

    @extend_schema(request=WaiverDecisionInputSerializer, responses={200: WaiverSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, services.waiver_approve)

    @extend_schema(request=WaiverDecisionInputSerializer, responses={200: WaiverSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, services.waiver_reject)


class PolicyRuleViewSet(ReadOnlyApiViewSet):
    """The rules that turn findings and countries into plans, with citations (registry-wide ones and the
    user's organisations' own)."""

    queryset = PolicyRule.objects.all()
    serializer_class = PolicyRuleSerializer
    base_filterset_class = PolicyRuleFilterSet
    write_roles = ADMIN_ROLES
    ordering_fields = ["id", "code"]

    @extend_schema(request=PolicyRuleUpdateSerializer, responses={200: PolicyRuleSerializer})
    def partial_update(self, request, pk=None):
        """Change a rule (admins of the rule's organisation; registry-wide rules: registry staff). The version
        goes up; plans follow at their next evaluation."""
        rule = self.get_object()
        data = _valid(PolicyRuleUpdateSerializer, request)
        rule = services.policy_rule_update(rule=rule, user=request.user, **data)
        return Response(PolicyRuleSerializer(rule).data)

    def scope(self, queryset):
        return queryset.filter(Q(organization__isnull=True) | Q(organization_id__in=self.member_organization_ids()))


class ProjectionReportViewSet(ApiViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                              viewsets.GenericViewSet):
    """Projections: which units will be non-compliant on a future day under the rules and findings known when
    computed. POST asks (officers, admins; computed in the background: poll the report until `done`); the
    report's units are at `/projections/{id}/lines/`."""

    queryset = ProjectionReport.objects.select_related("requested_by")
    serializer_class = ProjectionReportSerializer
    base_filterset_class = ProjectionReportFilterSet
    ordering_fields = ["id", "on", "created_at"]

    @extend_schema(request=ProjectionRequestSerializer, responses={202: ProjectionReportSerializer})
    def create(self, request):
        serializer = ProjectionRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        report = services.projection_request(user=request.user, **serializer.validated_data)
        return Response(ProjectionReportSerializer(report).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: ProjectionLineSerializer(many=True)}, filters=False,
                   parameters=[OpenApiParameter("ordering", exclude=True)])
    @action(detail=True, methods=["get"], filter_backends=[])
    def lines(self, request, pk=None):
        """The units of a report (empty until it is `done`), by line id."""
        report = self.get_object()
        page = self.paginate_queryset(report.lines.all())
        return self.get_paginated_response(ProjectionLineSerializer(page, many=True).data)


class NotificationViewSet(ReadOnlyApiViewSet):
    """Notices to your organisations: accepted changes to shared vendor facts (change proposals) that changed
    the status of your units, with the counts by status before and after."""

    queryset = FactChangeNotice.objects.filter(state=FactChangeNotice.State.READY).select_related("proposal__vendor")
    serializer_class = FactChangeNoticeSerializer
    base_filterset_class = FactChangeNoticeFilterSet
    ordering_fields = ["id", "computed_at"]
