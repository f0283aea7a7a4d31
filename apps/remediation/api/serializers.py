"""Remediation API serializers: plans (with steps, waivers and the reason), waivers, policy rules."""
from __future__ import annotations

from rest_framework import serializers

from apps.accounts.models import Organization
from apps.api.fields import ScopedPrimaryKeyRelatedField, writable_by_organization
from apps.api.serializers import ReadOnlyModelSerializer
from apps.inventory.models import Site
from apps.remediation.choices import DeadlineKind, Obligation, Outcome, PlanStatus
from apps.remediation.models import (
    Evidence,
    FactChangeNotice,
    PlanStep,
    PolicyRule,
    ProjectionLine,
    ProjectionReport,
    RemediationPlan,
    Waiver,
)


class PlanStepSerializer(ReadOnlyModelSerializer):
    done_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = PlanStep
        fields = ["id", "position", "title", "description", "status", "due_on", "done_at", "done_by"]


class EvidenceSerializer(ReadOnlyModelSerializer):
    """A file proving a plan's step; the file itself at `download`."""

    organization = serializers.IntegerField(source="plan.organization_id", read_only=True)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    download = serializers.SerializerMethodField(help_text="The file, exactly as uploaded (sha256 above).")

    class Meta:
        model = Evidence
        fields = ["id", "organization", "plan", "step", "original_name", "content_type", "extension", "size",
                  "sha256", "note", "uploaded_by", "uploaded_at", "download"]

    def get_download(self, obj) -> str:
        from django.urls import reverse

        request = self.context.get("request")
        path = reverse("api:remediation-api:evidence-download", kwargs={"pk": obj.pk})
        return request.build_absolute_uri(path) if request else path


class WaiverSerializer(ReadOnlyModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Waiver
        fields = ["id", "plan", "organization", "status", "justification", "compensating_controls", "expires_on",
                  "requested_by", "requested_at", "decided_by", "decided_at", "decision_note", "expired_at",
                  "created_at", "updated_at"]


class RemediationPlanSerializer(ReadOnlyModelSerializer):
    site_code = serializers.CharField(source="site.code", read_only=True)
    vendor_name = serializers.CharField(source="vendor.name", read_only=True, allow_null=True, default=None)
    rule_code = serializers.CharField(source="rule.code", read_only=True)
    rule_citation = serializers.CharField(source="rule.citation", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    steps = PlanStepSerializer(many=True, read_only=True)
    waivers = WaiverSerializer(many=True, read_only=True)
    outcome = serializers.CharField(read_only=True, help_text="removed, replaced, mitigated or disposed once "
                                    "done; empty before.")

    class Meta:
        model = RemediationPlan
        fields = ["id", "organization", "site", "site_code", "equipment", "category", "vendor", "vendor_name",
                  "rule", "rule_code", "rule_citation", "rule_version", "action", "obligation", "status",
                  "is_overdue", "deadline", "computed_deadline", "deadline_source", "in_breach_since",
                  "deadline_overridden", "deadline_reason", "discovered_on",
                  "opened_at", "closed_at", "outcome", "owner", "estimated_cost", "currency", "basis",
                  "also_applied", "why", "closing_note", "last_evaluated_on", "steps", "waivers", "created_at",
                  "updated_at"]


class PolicyRuleSerializer(ReadOnlyModelSerializer):
    citation_url = serializers.CharField(read_only=True)

    class Meta:
        model = PolicyRule
        fields = ["id", "code", "name", "description", "citation", "citation_url", "requires_verification",
                  "organization", "enabled", "version", "basis", "source_codes", "regimes", "sub_list_contains",
                  "finding_statuses", "vendor_roles", "countries", "country_tests", "categories", "site_kinds",
                  "site_criticalities", "defence_only", "connectivities", "action", "guidance", "deadline_date",
                  "deadline_days", "deadline_anchor", "effective_from", "effective_until", "suspended_from",
                  "suspended_until", "grandfathered_before", "jurisdictions", "organization_kinds",
                  "connectivity_any", "connectivity_none", "installed_before", "installed_after", "names_any",
                  "finding_kinds", "respect_entry_scope", "obligation", "deadline_kind", "staged_deadlines",
                  "created_at", "updated_at"]


class TransitionInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[PlanStatus.PLANNED, PlanStatus.IN_PROGRESS, PlanStatus.DONE])
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class DeadlineInputSerializer(serializers.Serializer):
    deadline = serializers.DateField()
    reason = serializers.CharField(max_length=4000)


class StepInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    due_on = serializers.DateField(required=False, allow_null=True, default=None)


class WaiverRequestInputSerializer(serializers.Serializer):
    justification = serializers.CharField(max_length=8000)
    compensating_controls = serializers.CharField(max_length=8000)
    expires_on = serializers.DateField()


class WaiverDecisionInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class PolicyRuleUpdateSerializer(serializers.Serializer):
    """What an admin may change on a rule through the API; every change bumps the rule's version."""

    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)
    guidance = serializers.CharField(required=False, allow_blank=True)
    citation = serializers.CharField(max_length=500, required=False)
    requires_verification = serializers.BooleanField(required=False)
    deadline_date = serializers.DateField(required=False, allow_null=True)
    deadline_days = serializers.IntegerField(min_value=0, max_value=36500, required=False, allow_null=True)
    effective_from = serializers.DateField(required=False, allow_null=True)
    effective_until = serializers.DateField(required=False, allow_null=True)
    suspended_from = serializers.DateField(required=False, allow_null=True)
    suspended_until = serializers.DateField(required=False, allow_null=True)
    jurisdictions = serializers.ListField(child=serializers.CharField(max_length=6), required=False,
                                          help_text="'US', 'AU', 'US-CA'...; empty: any.")
    organization_kinds = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    connectivity_any = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    connectivity_none = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    installed_before = serializers.DateField(required=False, allow_null=True)
    installed_after = serializers.DateField(required=False, allow_null=True)
    names_any = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    finding_kinds = serializers.ListField(child=serializers.CharField(max_length=16), required=False)
    respect_entry_scope = serializers.BooleanField(required=False)
    obligation = serializers.ChoiceField(choices=Obligation.choices, required=False)
    deadline_kind = serializers.ChoiceField(choices=DeadlineKind.choices, required=False)
    staged_deadlines = serializers.JSONField(required=False, help_text='[{"date": "YYYY-MM-DD", "count": N}, ...]')


class ProjectionReportSerializer(ReadOnlyModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username", read_only=True, default=None,
                                         allow_null=True)

    class Meta:
        model = ProjectionReport
        fields = ["id", "organization", "site", "on", "computed_on", "status", "units_total", "units_done", "summary",
                  "error", "requested_by", "created_at", "finished_at"]


class ProjectionLineSerializer(ReadOnlyModelSerializer):
    equipment = serializers.IntegerField(source="equipment_id", read_only=True)
    site = serializers.IntegerField(source="site_id", read_only=True)

    class Meta:
        model = ProjectionLine
        fields = ["id", "equipment", "site", "category", "rule_code", "action", "deadline", "already_due", "also",
                  "explanation"]


class ProjectionRequestSerializer(serializers.Serializer):
    organization = ScopedPrimaryKeyRelatedField(queryset=Organization.objects.all(),
                                                scope=writable_by_organization("id"),
                                                help_text="One of your organisations where you are officer or admin.")
    on = serializers.DateField(help_text="The day the question is about: today or later, within ten years.")
    site = ScopedPrimaryKeyRelatedField(queryset=Site.objects.all(), scope=writable_by_organization(),
                                        required=False, allow_null=True, default=None,
                                        help_text="Only this site of the organisation.")


class FactChangeNoticeSerializer(ReadOnlyModelSerializer):
    """An accepted change to a shared vendor fact that changed the organisation's units' status."""

    vendor = serializers.IntegerField(source="proposal.vendor_id", read_only=True)
    vendor_name = serializers.CharField(source="proposal.vendor.name", read_only=True)
    kind = serializers.CharField(source="proposal.kind", read_only=True)
    before = serializers.DictField(child=serializers.IntegerField(), read_only=True,
                                   help_text="Units by risk status before the change.")
    after = serializers.DictField(child=serializers.IntegerField(), read_only=True,
                                  help_text="Units by risk status after the vendors were screened again.")

    class Meta:
        model = FactChangeNotice
        fields = ["id", "organization", "proposal", "vendor", "vendor_name", "kind", "before", "after", "title",
                  "body", "created_at", "computed_at"]
