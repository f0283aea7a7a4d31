from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from apps.common.admin import CompactTabularInline

from .models import Curator, Membership, Organization, User
from .policies import Action, allowed


class MembershipInline(CompactTabularInline):
    model = Membership
    autocomplete_fields = ["organization"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "country", "subdivision", "legal_kinds", "remediation_target_days", "is_demo"]
    list_filter = ["kind", "country", "is_demo"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role", "organization"]
    search_fields = ["user__username", "organization__name"]
    autocomplete_fields = ["user", "organization"]


@admin.register(Curator)
class CuratorAdmin(SimpleHistoryAdmin):
    """Granting and withdrawing the curator role: superusers only (apps.accounts.policies.GRANT_CURATOR)."""

    list_display = ["user", "granted_by", "granted_at", "note"]
    search_fields = ["user__username", "note"]
    autocomplete_fields = ["user"]
    readonly_fields = ["granted_by", "granted_at"]

    def _may_grant(self, request) -> bool:
        return allowed(request.user, Action.GRANT_CURATOR)

    def has_view_permission(self, request, obj=None):
        return self._may_grant(request)

    def has_add_permission(self, request):
        return self._may_grant(request)

    def has_change_permission(self, request, obj=None):
        return self._may_grant(request)

    def has_delete_permission(self, request, obj=None):
        return self._may_grant(request)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)
