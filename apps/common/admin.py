"""Admin pieces shared by the apps."""
from django.contrib import admin


class CompactTabularInline(admin.TabularInline):
    """An inline table without blank extra rows ("Add another" adds one when wanted)."""

    extra = 0


class ServiceWrittenAdminMixin:
    """Rows that only services write: viewable here, never added or changed by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ServiceWrittenAdminMixin, admin.ModelAdmin):
    """Records written by services only (audit events, list entries, matches, queued tasks...): viewable here,
    never added, changed or deleted by hand."""

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyTabularInline(CompactTabularInline):
    """The rows of a ReadOnlyAdmin's children: shown, never added, changed or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
