"""Audit events (read-only): who did what, when, before and after, with the hash chain fields."""
from __future__ import annotations

from django.db.models import Q

from apps.api.viewsets import ReadOnlyApiViewSet
from apps.audit.filtersets import AuditEventFilterSet
from apps.audit.models import AuditEvent

from .serializers import AuditEventSerializer

# Events about shared reference data carry no organisation; every member may read them.
SHARED_OBJECT_TYPES = [
    "vendors.vendor", "vendors.vendoralias", "vendors.vendoridentifier", "vendors.ownership", "vendors.oemrelation",
    "inventory.productmodel", "lists.listsource", "lists.listversion", "screening.match",
    "screening.reviewdecision", "remediation.policyrule",
]


class AuditEventViewSet(ReadOnlyApiViewSet):
    """Events of the user's organisations, and events about shared reference data (vendors, lists)."""

    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    base_filterset_class = AuditEventFilterSet
    ordering_fields = ["id", "created_at"]
    export_fields = [("id", "id"), ("created_at", "created_at"), ("actor", "actor_repr"),
                     ("organization", "organization_id"), ("action", "action"), ("object_type", "object_type"),
                     ("object_id", "object_id"), ("object_repr", "object_repr"), ("changes", "changes"),
                     ("request_id", "request_id"), ("hash", "hash")]

    def scope(self, queryset):
        return queryset.filter(Q(organization_id__in=self.member_organization_ids())
                               | Q(organization__isnull=True, object_type__in=SHARED_OBJECT_TYPES))
