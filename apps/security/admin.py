from django.contrib import admin

from apps.common.admin import ReadOnlyAdmin, ServiceWrittenAdminMixin

from .models import DenialWindow, OutboxJob


@admin.register(OutboxJob)
class OutboxJobAdmin(ServiceWrittenAdminMixin, admin.ModelAdmin):
    """Tasks kept while the broker was down (read-only; `security.outbox_flush` sends them every minute)."""

    list_display = ["id", "created_at", "task_name", "status", "attempts", "sent_at"]
    list_filter = ["status", "task_name"]
    readonly_fields = [f.name for f in OutboxJob._meta.fields]


@admin.register(DenialWindow)
class DenialWindowAdmin(ReadOnlyAdmin):
    """Open windows of repeated access denials (read-only; their summaries are chained when they close)."""

    list_display = ["subject", "kind", "count", "opened_at", "last_at", "closes_at"]
    search_fields = ["subject", "kind", "actor_repr"]
    readonly_fields = [f.name for f in DenialWindow._meta.fields]
