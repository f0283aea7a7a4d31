"""Admin for screening. Matches, findings, runs, decisions and checks are read-only records (they are
written by services so that every change is explained and audited); policies and propagation rules are
the admin-editable data."""
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from apps.common.admin import ReadOnlyAdmin
from apps.security.enqueue import enqueue_on_commit

from .models import (
    Finding,
    Match,
    PrePurchaseCheck,
    PropagationRule,
    ReviewDecision,
    RiskPolicy,
    ScreeningRun,
    VendorOrgStatus,
)


class RescreenOnSaveMixin:
    """Policies and rules change statuses: queue a full run once the admin's change commits."""

    def _rescreen(self) -> None:
        enqueue_on_commit("apps.screening.tasks.screen_all", "manual")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._rescreen()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._rescreen()


@admin.register(RiskPolicy)
class RiskPolicyAdmin(RescreenOnSaveMixin, SimpleHistoryAdmin):
    list_display = ["name", "regime", "source_code", "sub_list_pattern", "status", "other_status", "propagation",
                    "priority", "enabled"]
    list_filter = ["regime", "status", "enabled"]
    search_fields = ["name", "citation"]


@admin.register(PropagationRule)
class PropagationRuleAdmin(RescreenOnSaveMixin, SimpleHistoryAdmin):
    list_display = ["propagation", "threshold_percent", "threshold_inclusive", "control_counts", "effective_from",
                    "suspended_from", "suspended_until", "needs_verification", "enabled"]


@admin.register(ScreeningRun)
class ScreeningRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "trigger", "status", "vendor_count", "entry_count", "duration_ms"]
    list_filter = ["trigger", "status"]
    date_hierarchy = "started_at"


@admin.register(Match)
class MatchAdmin(ReadOnlyAdmin):
    list_display = ["vendor", "entry_name", "source", "score", "strength", "review_state", "first_seen_at",
                    "closed_at"]
    list_filter = ["review_state", "strength", "source"]
    search_fields = ["vendor__name", "entry_name", "external_id"]
    list_select_related = ["vendor", "source"]
    raw_id_fields = ["vendor", "entry", "list_version", "decision", "first_run", "last_run"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["vendor", "kind", "status", "source", "organization", "path_text", "discovered_at", "closed_at"]
    list_filter = ["kind", "status", "source"]
    search_fields = ["vendor__name", "path_text", "entry_name"]
    list_select_related = ["vendor", "source"]
    raw_id_fields = ["vendor", "via_vendor", "match", "first_run", "last_run"]


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(ReadOnlyAdmin):
    list_display = ["entry_name", "vendor", "decision", "organization", "decided_by", "decided_at", "superseded_at"]
    list_filter = ["decision"]
    search_fields = ["entry_name", "vendor__name", "reason"]
    raw_id_fields = ["vendor", "match", "superseded_by"]


@admin.register(PrePurchaseCheck)
class PrePurchaseCheckAdmin(ReadOnlyAdmin):
    list_display = ["query_name", "verdict", "requested_by", "organization", "created_at"]
    list_filter = ["verdict"]
    search_fields = ["query_name"]
    date_hierarchy = "created_at"


@admin.register(VendorOrgStatus)
class VendorOrgStatusAdmin(ReadOnlyAdmin):
    """The per-organisation overlay (written by screening only): every period, current ones with no `until`."""

    list_display = ["vendor", "organization", "risk_status", "since", "until"]
    list_filter = ["risk_status", "organization"]
    search_fields = ["vendor__name"]
    list_select_related = ["vendor", "organization"]
    raw_id_fields = ["vendor"]

    def get_queryset(self, request):
        return VendorOrgStatus.periods.select_related(*self.list_select_related)
