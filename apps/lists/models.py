"""Restricted-party list sources, their versions (every fetch that parsed), entries and diffs."""
from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models import Q

from apps.common.models import TimeStampedModel

from .choices import EntryType, Propagation, Regime, RunStatus, RunTrigger, VersionStatus


class SourceVisibleQuerySet(models.QuerySet):
    """The one definition of which lists an organisation's members see: every public list (no organisation)
    and the in-house lists of their own organisations. Each model reaches its source by `source_path`."""

    source_path = ""  # ORM path from the model to its ListSource, with a trailing "__" ("" for ListSource)

    def visible_to(self, organization_ids: Iterable[int]) -> SourceVisibleQuerySet:
        """Rows of public lists and of the lists of `organization_ids` (the organisations a user belongs to)."""
        p = self.source_path
        return self.filter(Q(**{f"{p}organization__isnull": True})
                           | Q(**{f"{p}organization_id__in": list(organization_ids)}))


class ListSourceQuerySet(SourceVisibleQuerySet):
    source_path = ""


class ListVersionQuerySet(SourceVisibleQuerySet):
    source_path = "source__"


class ListEntryQuerySet(SourceVisibleQuerySet):
    source_path = "version__source__"


class ListDiffQuerySet(SourceVisibleQuerySet):
    source_path = "version__source__"


class FetchRunQuerySet(SourceVisibleQuerySet):
    source_path = "source__"


class ListSource(TimeStampedModel):
    """A published list: where it comes from, in which format, how often to fetch, what it means."""

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    publisher = models.CharField(max_length=200)
    regime = models.CharField(max_length=24, choices=Regime.choices)
    propagation = models.CharField(max_length=24, choices=Propagation.choices, default=Propagation.NAMED_ONLY)
    format = models.CharField(max_length=32, help_text="Parser key (a module under apps/lists/sources).")
    url = models.URLField(max_length=500, blank=True, help_text="Set only by admins.")
    extra_urls = models.JSONField(default=list, blank=True, help_text="Further files of a multi-file format.")
    refresh_interval_hours = models.PositiveIntegerField(default=24)
    freshness_limit_hours = models.PositiveIntegerField(default=72)
    max_drop_share = models.FloatField(null=True, blank=True, help_text="Overrides LISTS_MAX_DROP_SHARE.")
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="list_sources",
        help_text="Set for an organisation's in-house list; empty for public lists.",
    )
    enabled = models.BooleanField(default=True)
    required = models.BooleanField(
        default=True,
        help_text="A pre-purchase check is never clear while this list has no active version or is stale. An "
                  "organisation may decide otherwise for itself (Source requirements).")
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    stale_alerted_at = models.DateTimeField(null=True, blank=True)
    # Lease that serialises refreshes of one source across processes: taken with one conditional UPDATE
    # (lock_until IS NULL OR lock_until < now), renewed while the refresh makes progress.
    lock_until = models.DateTimeField(null=True, blank=True)
    lock_token = models.CharField(max_length=64, blank=True)

    objects = ListSourceQuerySet.as_manager()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class SourceRequirement(TimeStampedModel):
    """One organisation's own answer to "must this list be loaded and fresh before a check may say clear?",
    overriding `ListSource.required` in its view (e.g. an Australian agency that does not need the DoD 1260H
    list, or a port that requires its in-house list)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE,
                                     related_name="source_requirements")
    source = models.ForeignKey(ListSource, on_delete=models.CASCADE, related_name="requirements")
    required = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "source"], name="sourcerequirement_one_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.source.code} {'required' if self.required else 'optional'} for {self.organization}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.source_id and self.source.organization_id not in (None, self.organization_id):
            raise ValidationError({"source": "Another organisation's in-house list is not in this view."})


class ListVersion(TimeStampedModel):
    """One parsed copy of a source. At most one version per source is active (database constraint)."""

    source = models.ForeignKey(ListSource, on_delete=models.CASCADE, related_name="versions")
    status = models.CharField(max_length=16, choices=VersionStatus.choices, default=VersionStatus.LOADING)
    fetched_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    entry_count = models.PositiveIntegerField(default=0)
    raw_file = models.FileField(upload_to="lists/raw/%Y/%m/", blank=True, help_text="Compressed original bytes.")
    raw_filenames = models.JSONField(default=list, blank=True)
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    activated_at = models.DateTimeField(null=True, blank=True, db_index=True)
    superseded_at = models.DateTimeField(null=True, blank=True, db_index=True)
    status_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = ListVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-fetched_at"]
        get_latest_by = "fetched_at"
        constraints = [
            models.UniqueConstraint(
                fields=["source"], condition=Q(status=VersionStatus.ACTIVE), name="listversion_one_active_per_source"
            ),
        ]
        indexes = [models.Index(fields=["source", "status"]), models.Index(fields=["source", "activated_at"])]

    def __str__(self) -> str:
        return f"{self.source.code} {self.fetched_at:%Y-%m-%d %H:%M} ({self.status})"


class ListEntry(models.Model):
    """A normalised entry of one version. Entries are immutable; a new version has new rows."""

    # No index of its own: the unique (version, external_id) constraint leads with it. Every index is paid for on
    # each of the millions of rows a list import COPYs in (docs/performance.md).
    version = models.ForeignKey(ListVersion, on_delete=models.CASCADE, related_name="entries", db_index=False)
    external_id = models.CharField(max_length=128)
    entry_type = models.CharField(max_length=16, choices=EntryType.choices, default=EntryType.ENTITY)
    primary_name = models.CharField(max_length=1000)
    aliases = models.JSONField(default=list, blank=True)
    sub_list = models.CharField(max_length=120, blank=True)
    programs = models.JSONField(default=list, blank=True)
    countries = models.JSONField(default=list, blank=True)
    addresses = models.JSONField(default=list, blank=True)
    identifiers = models.JSONField(default=list, blank=True)
    listed_on = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    remarks = models.TextField(blank=True)
    source_url = models.URLField(max_length=1000, blank=True)
    parent_name = models.CharField(max_length=500, blank=True)
    scope = models.TextField(blank=True, help_text="The equipment or services the entry covers, as published "
                                                    "(FCC Covered List: each entry has its own).")
    scope_categories = models.JSONField(
        null=True, blank=True, default=None,
        help_text="Equipment categories the entry's scope names (inventory categories). Null: the entry states no "
                  "scope of its own; empty: services only, no equipment category.",
    )
    extra = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64)

    objects = ListEntryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "list entries"
        constraints = [
            models.UniqueConstraint(fields=["version", "external_id"], name="listentry_unique_version_external_id"),
        ]
        # Exact-match filters only (the API's ?sub_list= and ?content_hash=): plain btrees, without the LIKE
        # (varchar_pattern_ops) twins db_index=True adds on PostgreSQL.
        indexes = [
            models.Index(fields=["sub_list"], name="listentry_sub_list"),
            models.Index(fields=["content_hash"], name="listentry_content_hash"),
        ]

    def __str__(self) -> str:
        return self.primary_name


class ListDiff(models.Model):
    """What changed between a version and the version that was active before it."""

    version = models.OneToOneField(ListVersion, on_delete=models.CASCADE, related_name="diff")
    previous = models.ForeignKey(ListVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    added = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    # {"added": [{"external_id", "name"}], "removed": [...], "changed": [{"external_id", "name", "fields": [...]}]}
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ListDiffQuerySet.as_manager()

    def __str__(self) -> str:
        return f"+{self.added} -{self.removed} ~{self.changed}"


class FetchRun(models.Model):
    """One refresh or import attempt: status, timings, progress while it runs, counts, error."""

    source = models.ForeignKey(ListSource, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=16, choices=RunTrigger.choices)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="0-100")
    message = models.CharField(max_length=300, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    version = models.ForeignKey(ListVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    task_id = models.CharField(max_length=64, blank=True)
    # When the task of a queued run was last handed to the broker: a run still queued well after this lost its
    # message (Redis restarted empty...) and is re-sent (LISTS_QUEUED_RESEND_SECONDS).
    sent_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    objects = FetchRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["source", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.source.code} {self.started_at:%Y-%m-%d %H:%M} {self.status}"
