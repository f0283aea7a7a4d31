"""Screening: matches of vendors against list entries, findings (direct or through ownership/OEM), review
decisions, screening runs, pre-purchase checks, and the rules that turn listings into a status.

A *match* says "this vendor name/identifier looks like this list entry" and keeps the full explanation.
A *finding* says "this vendor is affected by this listing", directly (from a match that is not dismissed)
or derived through the ownership graph or an OEM relation, with the path as text and as data.
Findings are never deleted: they close (closed_at) when the listing, the match or the link goes away, so
`as_of` questions can be answered from discovered_at/closed_at.
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from simple_history.models import HistoricalRecords

from apps.common.choices import RiskStatus, equipment_category_labels
from apps.common.models import TimeStampedModel
from apps.lists.choices import Propagation, Regime

from .choices import (
    CheckVerdict,
    Decision,
    FindingKind,
    MatchStrength,
    ReviewState,
    RunStatus,
    RunTrigger,
)


class ScreeningRun(models.Model):
    """One screening pass: what triggered it, which list versions (id + sha256) it used, counts, timings."""

    trigger = models.CharField(max_length=24, choices=RunTrigger.choices)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # [{"version_id", "source", "sha256", "activated_at", "entry_count"}] of every version screened against.
    list_versions = models.JSONField(default=list, blank=True)
    algorithm_version = models.CharField(max_length=32, blank=True)
    thresholds = models.JSONField(default=dict, blank=True)
    # What was screened: {"vendor_ids": [...]} or {"list_version_id": n, "entries": n} or {"all": true}.
    scope = models.JSONField(default=dict, blank=True)
    vendor_count = models.PositiveIntegerField(default=0)
    entry_count = models.PositiveIntegerField(default=0)
    # matches_new/updated/closed/reopened, findings_opened/closed/updated, vendors_changed, equipment_updated
    counts = models.JSONField(default=dict, blank=True)
    # Seconds per phase: index, match, propagate, status, equipment.
    timings = models.JSONField(default=dict, blank=True)
    # A run spread over workers: the vendors whose matches its parts changed, each part's added in its own
    # transaction (a part redelivered after it committed changes nothing and reports nothing: the final step
    # reads the union here).
    changed_vendor_ids = models.JSONField(default=list, blank=True, editable=False)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class ReviewDecision(models.Model):
    """A reviewer's confirm/dismiss of a match, keyed to (vendor identity, list entry content hash).

    `vendor_identity` is the sha256 of the vendor's names and identifiers: while neither side changes, the
    decision is re-applied on every re-screen and to every vendor row with the same identity. When the
    vendor's names/identifiers or the entry content change, the key no longer matches and the match is
    re-opened for review. A newer decision for the same key supersedes the older one (kept).

    `organization` says whose view it applies to: an organisation's own decision applies to that organisation
    only; a registry-wide one (empty, made by a curator) applies to every organisation that has not decided the
    key itself. Decisions on a private (in-house) list's matches are always its organisation's own.
    """

    vendor_identity = models.CharField(max_length=64)
    entry_content_hash = models.CharField(max_length=64)
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="Whose view the decision applies to; empty: registry-wide (a curator's decision).",
    )
    source = models.ForeignKey("lists.ListSource", on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=128)
    vendor = models.ForeignKey("vendors.Vendor", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    match = models.ForeignKey("Match", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decision = models.CharField(max_length=16, choices=Decision.choices)
    reason = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField()
    # What the reviewer saw: the vendor names/identifiers and the entry name at decision time.
    vendor_snapshot = models.JSONField(default=dict, blank=True)
    entry_name = models.CharField(max_length=1000, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-decided_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor_identity", "entry_content_hash"],
                condition=Q(superseded_at__isnull=True, organization__isnull=True),
                name="reviewdecision_one_current_per_key",
            ),
            models.UniqueConstraint(
                fields=["vendor_identity", "entry_content_hash", "organization"],
                condition=Q(superseded_at__isnull=True, organization__isnull=False),
                name="reviewdecision_one_current_per_key_org",
            ),
        ]
        indexes = [models.Index(fields=["vendor_identity", "entry_content_hash"])]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} {self.entry_name} ({self.decided_at:%Y-%m-%d})"


class Match(models.Model):
    """A vendor (by name, alias or identifier) that looks like a list entry, with the full explanation.

    At most one open match per (vendor, source, external_id). When the entry changes in a new version the
    row is updated in place (entry, version, content hash); when the entry disappears or the vendor stops
    matching it is closed, never deleted.
    """

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.CASCADE, related_name="screening_matches")
    source = models.ForeignKey("lists.ListSource", on_delete=models.CASCADE, related_name="+")
    list_version = models.ForeignKey(
        "lists.ListVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entry = models.ForeignKey("lists.ListEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    external_id = models.CharField(max_length=128)
    entry_name = models.CharField(max_length=1000)
    entry_type = models.CharField(max_length=16, blank=True)
    entry_content_hash = models.CharField(max_length=64)
    sub_list = models.CharField(max_length=120, blank=True)
    programs = models.JSONField(default=list, blank=True)
    listed_on = models.DateField(null=True, blank=True)
    vendor_identity = models.CharField(max_length=64, db_index=True)
    matched_name = models.CharField(max_length=300, blank=True, help_text="Vendor name or alias that matched.")
    entry_matched_name = models.CharField(max_length=1000, blank=True, help_text="List name or alias matched.")
    score = models.FloatField()
    strength = models.CharField(max_length=16, choices=MatchStrength.choices)
    features = models.JSONField(default=dict, blank=True)
    explanation = models.TextField(blank=True, help_text="Technical detail: scores, coverage, thresholds.")
    why = models.TextField(blank=True, help_text="The reasons in one plain sentence, for an officer.")
    reasons = models.JSONField(default=list, blank=True, help_text="Structured reasons: [{code, ...}].")
    algorithm_version = models.CharField(max_length=32)
    thresholds = models.JSONField(default=dict, blank=True)
    review_state = models.CharField(max_length=16, choices=ReviewState.choices, default=ReviewState.UNREVIEWED)
    decision = models.ForeignKey(ReviewDecision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    first_run = models.ForeignKey(ScreeningRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_run = models.ForeignKey(ScreeningRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name_plural = "matches"
        ordering = ["-first_seen_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "source", "external_id"],
                condition=Q(closed_at__isnull=True),
                name="match_one_open_per_vendor_entry",
            ),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=1), name="match_score_0_1"),
        ]
        indexes = [
            models.Index(fields=["review_state", "closed_at"]),
            models.Index(fields=["source", "external_id"]),
            models.Index(fields=["vendor", "closed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.vendor_id} ~ {self.entry_name} ({self.score:.2f}, {self.strength})"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class RiskPolicy(TimeStampedModel):
    """Which status a listing gives, per regime / source / sub-list (admin-editable data).

    The most specific enabled policy in force wins (highest priority; ties go to the worse status).
    `categories` limits the status to equipment categories (e.g. NDAA s.889: telecom and video
    surveillance); other categories get `other_status` (empty: no finding). A list entry that states its own
    scope (FCC Covered List, `ListEntry.scope_categories`) replaces `categories` for its findings. `propagation`
    overrides the source's propagation rule for the sub-list (the CSL mixes SDN with the Entity List).
    """

    name = models.CharField(max_length=200)
    regime = models.CharField(max_length=24, choices=Regime.choices, blank=True, help_text="Empty: any regime.")
    source_code = models.CharField(max_length=64, blank=True, help_text="A ListSource code; empty: any source.")
    sub_list_pattern = models.CharField(
        max_length=300, blank=True,
        help_text="Regular expression (case-insensitive) searched in the entry's sub-list and programs; empty: any.",
    )
    status = models.CharField(
        max_length=16, choices=[c for c in RiskStatus.choices if c[0] != RiskStatus.CLEAR]
    )
    categories = models.JSONField(default=list, blank=True, help_text="Equipment categories; empty: every category.")
    other_status = models.CharField(
        max_length=16, choices=RiskStatus.choices, blank=True,
        help_text="Status outside `categories` (empty or clear: no finding there).",
    )
    propagation = models.CharField(
        max_length=24, choices=Propagation.choices, blank=True, help_text="Overrides the source's rule; empty: keep."
    )
    priority = models.IntegerField(default=0)
    effective_from = models.DateField(null=True, blank=True)
    effective_until = models.DateField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    citation = models.CharField(max_length=500, blank=True)
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "risk policies"
        ordering = ["-priority", "name"]

    def __str__(self) -> str:
        return f"{self.name} -> {self.status}"

    def clean(self) -> None:
        import re

        if self.sub_list_pattern:
            try:
                re.compile(self.sub_list_pattern)
            except re.error as exc:
                raise ValidationError({"sub_list_pattern": f"Not a valid regular expression: {exc}"}) from exc
        if self.effective_from and self.effective_until and self.effective_until < self.effective_from:
            raise ValidationError({"effective_until": "Ends before it starts."})
        from apps.inventory.choices import EquipmentCategory

        unknown = [c for c in (self.categories or []) if c not in EquipmentCategory.values]
        if unknown:
            raise ValidationError({"categories": f"Unknown equipment categories: {', '.join(map(str, unknown))}."})


class PropagationRule(TimeStampedModel):
    """How a listing reaches companies the listed party owns or controls, per propagation regime.

    Data, not code, so the dates of a rule (the BIS Affiliates Rule took effect 2025-09-29 and was suspended
    2025-11-10 to 2026-11-09; verify) and the threshold can be changed by an admin.
    """

    propagation = models.CharField(max_length=24, choices=Propagation.choices, unique=True)
    threshold_percent = models.DecimalField(max_digits=6, decimal_places=3, default=50)
    threshold_inclusive = models.BooleanField(default=True, help_text="50% or more (OFAC) vs more than 50% (EU).")
    control_counts = models.BooleanField(default=False, help_text="Control without majority ownership counts.")
    enabled = models.BooleanField(default=True)
    effective_from = models.DateField(null=True, blank=True)
    suspended_from = models.DateField(null=True, blank=True)
    suspended_until = models.DateField(null=True, blank=True, help_text="Last day of the suspension.")
    citation = models.CharField(max_length=500, blank=True)
    needs_verification = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["propagation"]

    def __str__(self) -> str:
        return self.get_propagation_display()

    def in_force(self, day) -> bool:
        """Does the rule propagate listings on `day`?"""
        if not self.enabled or self.propagation == Propagation.NAMED_ONLY:
            return False
        if self.effective_from and day < self.effective_from:
            return False
        return not (
            self.suspended_from and day >= self.suspended_from
            and (self.suspended_until is None or day <= self.suspended_until)
        )


class FindingQuerySet(models.QuerySet):
    def in_view(self, organization_id: int | None, as_of: dt.datetime | None = None) -> FindingQuerySet:
        """Findings in one view, the one rule: the public view (None) is the public findings; an organisation's
        view is its own rows for the vendors it sees differently (those with a VendorOrgStatus period in force)
        and the public findings of every other vendor. Another organisation's rows are never in it.

        Without `as_of`, the overlay rows current now; with `as_of`, the overlay periods in force at that moment
        (VendorOrgStatus.periods.in_force), so an as_of answer reads the view as it was then and not today's
        overlay over past findings. With `as_of` the organisation's own rows also need a period in force then,
        so each vendor is read from exactly one side even where the periods before the history was kept are
        unknown (see migration 0006); now, its open rows exist only while a current row does. The caller still
        filters on open/closed (findings_open_at)."""
        if organization_id is None:
            return self.filter(organization__isnull=True)
        overlay = VendorOrgStatus.periods.in_force(as_of).filter(
            organization_id=organization_id, vendor_id=OuterRef("vendor_id"))
        own = Q(organization_id=organization_id)
        if as_of is not None:
            own &= Exists(overlay)
        return self.filter(own | (Q(organization__isnull=True) & ~Exists(overlay)))


class Finding(models.Model):
    """A vendor affected by a listing: directly, or through ownership/control, or through its OEM maker.

    At most one open finding per (vendor, key). `path_text` is what people read, e.g. "ZPMC <- controlled by
    China Communications Construction Co. (share unknown) <- listed: DoD 1260H (2021)"; `path` holds the
    same as data. `status` applies to `categories` (empty: all); other categories get `other_status`.
    `entry_scope` / `entry_scope_categories` carry the list entry's own scope where the list states one per entry
    (FCC Covered List), so a remediation rule can apply only to units in those categories.
    `organization` empty: a public finding (public lists, registry-wide decisions). Set: a finding in that
    organisation's view only, written for the vendors whose findings differ there (from its private lists, or
    through its own review decisions): for such a vendor the organisation's rows replace the public ones in its
    view (FindingQuerySet.in_view; the vendor then has a VendorOrgStatus row).
    """

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.CASCADE, related_name="screening_findings")
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="Empty: public. Set: in that organisation's view only (its private lists, its own decisions).",
    )
    kind = models.CharField(max_length=16, choices=FindingKind.choices)
    key = models.CharField(max_length=200)
    source = models.ForeignKey("lists.ListSource", on_delete=models.CASCADE, related_name="+")
    regime = models.CharField(max_length=24, blank=True)
    propagation = models.CharField(max_length=24, blank=True)
    sub_list = models.CharField(max_length=120, blank=True)
    external_id = models.CharField(max_length=128, blank=True)
    entry_name = models.CharField(max_length=1000, blank=True)
    listed_on = models.DateField(null=True, blank=True)
    entry_scope = models.TextField(blank=True, help_text="The list entry's own scope (equipment or services), as "
                                                         "published; empty when the entry states none.")
    entry_scope_categories = models.JSONField(
        null=True, blank=True, default=None,
        help_text="Equipment categories the entry's scope names. Null: no per-entry scope; empty: services only.",
    )
    match = models.ForeignKey(Match, null=True, blank=True, on_delete=models.SET_NULL, related_name="findings")
    root_match_ids = models.JSONField(default=list, blank=True)
    via_vendor = models.ForeignKey(
        "vendors.Vendor", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The listed vendor this finding comes from (itself for a direct finding).",
    )
    path = models.JSONField(default=list, blank=True)
    path_text = models.TextField()
    status = models.CharField(max_length=16, choices=RiskStatus.choices)
    status_reason = models.CharField(max_length=300, blank=True)
    categories = models.JSONField(default=list, blank=True)
    other_status = models.CharField(max_length=16, choices=RiskStatus.choices, blank=True)
    policy = models.ForeignKey(RiskPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    aggregate_percent = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    discovered_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=200, blank=True)
    first_run = models.ForeignKey(ScreeningRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_run = models.ForeignKey(ScreeningRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["-discovered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "key"], condition=Q(closed_at__isnull=True, organization__isnull=True),
                name="finding_one_open_per_key",
            ),
            models.UniqueConstraint(
                fields=["organization", "vendor", "key"],
                condition=Q(closed_at__isnull=True, organization__isnull=False),
                name="finding_one_open_per_key_in_view",
            ),
        ]
        indexes = [
            models.Index(fields=["vendor", "closed_at"]),
            models.Index(fields=["status", "closed_at"]),
            models.Index(fields=["discovered_at", "closed_at"]),
            models.Index(fields=["closed_at"], name="finding_closed_at"),  # "closed since" (what changed)
        ]

    def __str__(self) -> str:
        return self.path_text[:200]

    @property
    def entry_scope_category_labels(self) -> list[str] | None:
        """The entry's scope categories as labels (None: the entry states no scope of its own)."""
        if self.entry_scope_categories is None:
            return None
        return equipment_category_labels(self.entry_scope_categories)

    def status_for_category(self, category: str) -> str:
        """The status this finding gives equipment of `category` ("clear" when it does not apply)."""
        if not self.categories or category in self.categories:
            return self.status
        return self.other_status or RiskStatus.CLEAR


class VendorOrgStatusQuerySet(models.QuerySet):
    def in_force(self, as_of: dt.datetime | None = None) -> VendorOrgStatusQuerySet:
        """The overlay periods in force now (current rows), or at `as_of` (opened on or before it and not ended
        by then): the one as_of rule for overlay membership, read by Finding.objects.in_view and
        equipment_findings. Use it on VendorOrgStatus.periods (`objects` holds current rows only)."""
        if as_of is None:
            return self.filter(until__isnull=True)
        return self.filter(since__lte=as_of).filter(Q(until__isnull=True) | Q(until__gt=as_of))


class CurrentVendorOrgStatusManager(models.Manager.from_queryset(VendorOrgStatusQuerySet)):
    """The current overlay rows only (until empty): what every "now" question reads."""

    def get_queryset(self) -> VendorOrgStatusQuerySet:
        return super().get_queryset().filter(until__isnull=True)


class VendorOrgStatus(models.Model):
    """A vendor seen differently by one organisation, and its status in that view (the public one is
    Vendor.risk_status), over a period of time.

    A sparse overlay: a current row (until empty) exists only where the organisation's private lists or own
    review decisions give the vendor other findings than the public ones (its rows in Finding then replace the
    public findings in its view); `risk_status` may equal the public status (a dismissed finding among others).
    When the views agree again the row is closed (`until`), not deleted, and a new row opens when they differ
    again, so `as_of` answers know which vendors the organisation saw differently then
    (VendorOrgStatusQuerySet.in_force). `risk_status` is the current status, updated in place while the period
    lasts: a status at a past moment is read from the findings open then (their history is kept there).
    Written by the screening derivation only.

    `objects` gives the current rows only (so every "now" question keeps its meaning); `periods` every period.
    """

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.CASCADE, related_name="org_statuses")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    risk_status = models.CharField(max_length=16, choices=RiskStatus.choices)
    since = models.DateTimeField(help_text="When the organisation's view started to differ for this vendor.")
    until = models.DateTimeField(null=True, blank=True,
                                 help_text="When the views agreed again; empty: the current row.")

    objects = CurrentVendorOrgStatusManager()
    periods = VendorOrgStatusQuerySet.as_manager()

    class Meta:
        default_manager_name = "objects"
        base_manager_name = "periods"
        constraints = [
            models.UniqueConstraint(fields=["organization", "vendor"], condition=Q(until__isnull=True),
                                    name="vendororgstatus_one_current_per_view"),
            models.CheckConstraint(condition=Q(until__isnull=True) | Q(until__gte=F("since")),
                                   name="vendororgstatus_period_ordered"),
        ]
        indexes = [models.Index(fields=["organization", "vendor", "since"], name="vendororgstatus_periods")]

    def __str__(self) -> str:
        period = f"{self.since:%Y-%m-%d}-{self.until:%Y-%m-%d}" if self.until else f"since {self.since:%Y-%m-%d}"
        return f"{self.vendor_id} in {self.organization_id}: {self.risk_status} ({period})"


class PrePurchaseCheck(models.Model):
    """A saved "may I buy from them?" answer: evidence of who asked, when, against which list versions.

    Append-only: the row is never updated.
    """

    created_at = models.DateTimeField(db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    query_name = models.CharField(max_length=300)
    query = models.JSONField(default=dict)
    verdict = models.CharField(max_length=16, choices=CheckVerdict.choices)
    list_versions = models.JSONField(default=list)
    algorithm_version = models.CharField(max_length=32, blank=True)
    result = models.JSONField(default=dict)
    result_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "created_at"])]

    def __str__(self) -> str:
        return f"{self.query_name}: {self.verdict} ({self.created_at:%Y-%m-%d %H:%M})"

    def save(self, *args, **kwargs):
        if self.pk:
            raise RuntimeError("Pre-purchase checks are evidence and are never changed.")
        super().save(*args, **kwargs)


class UnitDeclaration(models.Model):
    """A risk status a unit carries because someone declared it, not because a list says so: a supplier's signed
    "yes" on a covered-equipment question of a data call (apps.outreach opens and closes these through
    apps.screening.services.declarations, the only writer). While open (`closed_at` null) it is one more part of
    the unit's risk status (services/equipment.py), beside the findings of the unit's vendors; closing it takes it
    out again. `source_key` names the higher-layer record ("outreach.declared_finding:<id>"), which this app
    cannot import; `data_call_id`/`answer_id` are kept for display and audit."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    equipment = models.ForeignKey("inventory.Equipment", on_delete=models.CASCADE, related_name="declarations")
    status = models.CharField(max_length=16, choices=RiskStatus.choices)
    reason = models.TextField()
    source_key = models.CharField(max_length=80)
    data_call_id = models.PositiveIntegerField(null=True, blank=True)
    answer_id = models.PositiveIntegerField(null=True, blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["equipment", "closed_at"]), models.Index(fields=["source_key"])]
        constraints = [
            models.UniqueConstraint(fields=["source_key", "equipment"], name="unitdeclaration_once"),
            models.CheckConstraint(name="unitdeclaration_not_clear", condition=~Q(status=RiskStatus.CLEAR)),
            models.CheckConstraint(name="unitdeclaration_closed_after",
                                   condition=Q(closed_at__isnull=True) | Q(closed_at__gte=F("opened_at"))),
        ]

    def __str__(self) -> str:
        return f"Declaration on unit {self.equipment_id}: {self.status} ({self.source_key})"

    def policy_organization(self) -> int:
        return self.organization_id
