"""Admin for list sources, versions, entries, diffs and runs. Entries, diffs and runs are read-only (they are
evidence); a quarantined version is approved or rejected with a reason through the services."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from apps.common.admin import ReadOnlyAdmin
from apps.common.exceptions import ApplicationError

from .models import FetchRun, ListDiff, ListEntry, ListSource, ListVersion, SourceRequirement
from .selectors import list_source_freshness
from .services import list_source_refresh_request, list_version_approve, list_version_reject


class SourceRequirementInline(admin.TabularInline):
    """Organisations that decide for themselves whether this list must be loaded before a check may say clear."""

    model = SourceRequirement
    extra = 0
    autocomplete_fields = ["organization"]


@admin.register(ListSource)
class ListSourceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "format", "regime", "enabled", "required", "last_success_at", "freshness",
                    "organization")
    list_filter = ("regime", "enabled", "required", "format")
    inlines = [SourceRequirementInline]
    search_fields = ("code", "name", "publisher")
    readonly_fields = ("last_success_at", "last_attempt_at", "stale_alerted_at", "lock_until", "lock_token")
    actions = ["refresh_now"]

    @admin.display(description="Freshness")
    def freshness(self, obj):
        return list_source_freshness(obj)

    @admin.action(description="Refresh now (download in the background)")
    def refresh_now(self, request, queryset):
        for source in queryset:
            try:
                run = list_source_refresh_request(source=source, user=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{source.code}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{source.code}: run #{run.pk} {run.status}.", messages.SUCCESS)


class DecisionForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=True)


@admin.register(ListVersion)
class ListVersionAdmin(admin.ModelAdmin):
    list_display = ("id", "source", "status", "fetched_at", "activated_at", "superseded_at", "entry_count",
                    "diff_summary")
    list_filter = ("status", "source")
    date_hierarchy = "fetched_at"
    list_select_related = ("source", "diff")
    actions = ["approve", "reject"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Diff")
    def diff_summary(self, obj):
        diff = getattr(obj, "diff", None)
        return str(diff) if diff else "-"

    def _decide(self, request, queryset, service, verb: str):
        if "apply" in request.POST:
            form = DecisionForm(request.POST)
            if form.is_valid():
                for version in queryset:
                    try:
                        service(version=version, user=request.user, reason=form.cleaned_data["reason"])
                    except ApplicationError as exc:
                        self.message_user(request, f"Version #{version.pk}: {exc.message}", messages.ERROR)
                    else:
                        self.message_user(request, f"Version #{version.pk} {verb}.", messages.SUCCESS)
                return None
        else:
            form = DecisionForm()
        context = {**self.admin_site.each_context(request), "title": f"{verb.capitalize()} versions", "form": form,
                   "queryset": queryset, "action": request.POST.get("action"), "verb": verb,
                   "opts": self.model._meta, "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME}
        return TemplateResponse(request, "admin/lists/version_decide.html", context)

    @admin.action(description="Approve quarantined versions (activate)")
    def approve(self, request, queryset):
        return self._decide(request, queryset, list_version_approve, "approved")

    @admin.action(description="Reject quarantined versions")
    def reject(self, request, queryset):
        return self._decide(request, queryset, list_version_reject, "rejected")


@admin.register(ListEntry)
class ListEntryAdmin(ReadOnlyAdmin):
    list_display = ("primary_name", "external_id", "entry_type", "sub_list", "listed_on", "end_date", "version")
    list_filter = ("entry_type",)
    search_fields = ("primary_name", "external_id")
    list_select_related = ("version", "version__source")
    show_full_result_count = False  # hundreds of thousands of rows: no COUNT(*) per page


@admin.register(ListDiff)
class ListDiffAdmin(ReadOnlyAdmin):
    list_display = ("version", "previous", "added", "removed", "changed", "created_at")
    list_select_related = ("version", "version__source", "previous", "previous__source")


@admin.register(FetchRun)
class FetchRunAdmin(ReadOnlyAdmin):
    list_display = ("source", "trigger", "status", "started_at", "finished_at", "progress", "message")
    list_filter = ("status", "trigger", "source")
    list_select_related = ("source",)


@admin.register(SourceRequirement)
class SourceRequirementAdmin(admin.ModelAdmin):
    list_display = ("source", "organization", "required")
    list_filter = ("required", "source")
    search_fields = ("source__code", "organization__name")
    autocomplete_fields = ["organization", "source"]
