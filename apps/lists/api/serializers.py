"""List API serializers: sources with freshness and active version, versions, entries, diffs, runs."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.api.serializers import ReadOnlyModelSerializer
from apps.lists.models import FetchRun, ListDiff, ListEntry, ListSource, ListVersion
from apps.lists.selectors import list_source_freshness


class ListVersionBriefSerializer(ReadOnlyModelSerializer):
    class Meta:
        model = ListVersion
        fields = ["id", "status", "fetched_at", "published_at", "sha256", "entry_count", "activated_at"]


class ListSourceSerializer(ReadOnlyModelSerializer):
    freshness = serializers.SerializerMethodField(help_text="fresh, stale (older than freshness_limit_hours) "
                                                            "or never (never fetched).")
    active_version = serializers.SerializerMethodField()
    url = serializers.CharField(read_only=True)

    class Meta:
        model = ListSource
        fields = ["id", "code", "name", "publisher", "regime", "propagation", "format", "url", "enabled",
                  "required", "refresh_interval_hours", "freshness_limit_hours", "organization", "last_success_at",
                  "last_attempt_at", "freshness", "active_version"]

    def get_freshness(self, obj) -> str:
        return list_source_freshness(obj, now=self.context.get("now"))

    @extend_schema_field(ListVersionBriefSerializer(allow_null=True))
    def get_active_version(self, obj):
        active = getattr(obj, "active_versions", None)
        if active is None:
            return None
        return ListVersionBriefSerializer(active[0]).data if active else None


class ListVersionSerializer(ReadOnlyModelSerializer):
    source = serializers.SlugRelatedField(slug_field="code", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    diff = serializers.SerializerMethodField(help_text="Counts against the previous active version.")

    class Meta:
        model = ListVersion
        fields = ["id", "source", "status", "fetched_at", "published_at", "sha256", "etag", "last_modified",
                  "entry_count", "raw_filenames", "previous", "activated_at", "superseded_at", "status_reason",
                  "decided_by", "diff", "created_at", "updated_at"]

    @extend_schema_field({"type": "object", "nullable": True, "properties": {
        "id": {"type": "integer"}, "added": {"type": "integer"}, "removed": {"type": "integer"},
        "changed": {"type": "integer"}}})
    def get_diff(self, obj):
        try:
            diff = obj.diff
        except ListDiff.DoesNotExist:
            return None
        return {"id": diff.pk, "added": diff.added, "removed": diff.removed, "changed": diff.changed}


class ListEntrySerializer(ReadOnlyModelSerializer):
    source = serializers.CharField(source="version.source.code", read_only=True)
    source_url = serializers.CharField(read_only=True)

    class Meta:
        model = ListEntry
        fields = ["id", "version", "source", "external_id", "entry_type", "primary_name", "aliases", "sub_list",
                  "programs", "countries", "addresses", "identifiers", "listed_on", "end_date", "remarks",
                  "source_url", "parent_name", "scope", "scope_categories", "content_hash"]


class ListDiffSerializer(ReadOnlyModelSerializer):
    source = serializers.CharField(source="version.source.code", read_only=True)

    class Meta:
        model = ListDiff
        fields = ["id", "version", "previous", "source", "added", "removed", "changed", "created_at"]


class ListDiffDetailSerializer(ListDiffSerializer):
    class Meta(ListDiffSerializer.Meta):
        fields = [*ListDiffSerializer.Meta.fields, "details"]


class FetchRunSerializer(ReadOnlyModelSerializer):
    source = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = FetchRun
        fields = ["id", "source", "trigger", "status", "started_at", "finished_at", "progress", "message", "counts",
                  "error", "version"]


class DecisionInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ListUploadInputSerializer(serializers.Serializer):
    """multipart/form-data: one or more `files` of one publication (several for a multi-file format)."""

    files = serializers.ListField(child=serializers.FileField(allow_empty_file=True), allow_empty=False,
                                  max_length=20)


class ListUploadResultSerializer(serializers.Serializer):
    """What the import did (the `import_list --json` fields) and one sentence for people."""

    source = serializers.CharField()
    status = serializers.CharField(help_text="active | unchanged | quarantined")
    version = serializers.IntegerField(allow_null=True)
    run = serializers.IntegerField(allow_null=True)
    entries = serializers.IntegerField()
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    changed = serializers.IntegerField()
    sha256 = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    message = serializers.CharField()
