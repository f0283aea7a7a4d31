from rest_framework import serializers

from apps.api.serializers import ReadOnlyModelSerializer
from apps.audit.models import AuditEvent


class AuditEventSerializer(ReadOnlyModelSerializer):
    actor = serializers.CharField(source="actor_repr", read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "created_at", "actor", "organization", "action", "object_type", "object_id", "object_repr",
                  "changes", "request_id", "prev_hash", "hash", "key_id"]
