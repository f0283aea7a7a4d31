from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from apps.common.admin import ReadOnlyAdmin, ReadOnlyTabularInline

from .models import (
    Digest,
    DigestDelivery,
    Evidence,
    FactChangeNotice,
    Notification,
    PlanStep,
    PolicyRule,
    RemediationPlan,
    Waiver,
)


@admin.register(PolicyRule)
class PolicyRuleAdmin(SimpleHistoryAdmin):
    """Rules are data: admins edit them here; each save bumps the version (history keeps the old ones)."""

    list_display = ["code", "name", "basis", "obligation", "action", "deadline_kind", "deadline_date", "deadline_days",
                    "enabled", "requires_verification", "version", "organization"]
    list_filter = ["basis", "obligation", "action", "deadline_kind", "enabled", "requires_verification"]
    search_fields = ["code", "name", "citation"]
    readonly_fields = ["version"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)


class PlanStepInline(ReadOnlyTabularInline):
    model = PlanStep
    fields = ["position", "title", "status", "due_on", "done_at", "done_by"]
    readonly_fields = ["done_at", "done_by"]


# Plans, waivers and evidence are written by their services only (the audit chain, the four-eyes rule on
# waivers, append-only evidence, the webhooks' events): the admin shows them and their history, never edits.
@admin.register(RemediationPlan)
class RemediationPlanAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["id", "equipment", "site", "rule", "action", "status", "is_overdue", "deadline", "deadline_source",
                    "in_breach_since", "owner"]
    list_filter = ["status", "is_overdue", "action", "obligation", "deadline_source", "rule", "organization"]
    search_fields = ["equipment__asset_tag", "equipment__serial_number", "site__name"]
    list_select_related = ["equipment", "site", "rule", "owner"]
    raw_id_fields = ["equipment", "site", "vendor", "owner", "organization"]
    readonly_fields = ["basis", "also_applied", "why", "computed_deadline", "rule_version"]
    inlines = [PlanStepInline]


@admin.register(Waiver)
class WaiverAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["id", "plan", "status", "expires_on", "requested_by", "decided_by"]
    list_filter = ["status", "organization"]
    raw_id_fields = ["plan"]
    readonly_fields = ["requested_by", "requested_at", "decided_by", "decided_at"]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "plan", "content_type", "size", "uploaded_by", "uploaded_at"]
    raw_id_fields = ["plan", "step"]
    readonly_fields = ["sha256", "content_type", "extension", "size"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "kind", "created_at", "read_at"]
    list_filter = ["kind"]


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ["subject", "organization", "digest_date", "item_count", "email_sent", "sent_at"]
    list_filter = ["organization", "digest_date"]


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    """One row per organisation and day: `failed` ones are sent by the next run of the daily job the same day."""

    list_display = ["organization", "day", "status", "attempts", "claimed_at", "sent_at"]
    list_filter = ["status", "day"]
    readonly_fields = ["organization", "day", "claimed_at", "sent_at", "digest", "attempts", "error"]


@admin.register(FactChangeNotice)
class FactChangeNoticeAdmin(ReadOnlyAdmin):
    """Written by apps.remediation.services.notices when a change proposal is accepted."""

    list_display = ["id", "organization", "proposal", "state", "title", "computed_at"]
    list_filter = ["state"]
    list_select_related = ["organization"]
