"""Policy rules (data, versioned), remediation plans with steps and evidence, waivers, notifications and
the record of sent digests."""
from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from apps.accounts.choices import LegalKind
from apps.common.choices import FLAGGED_STATUSES
from apps.common.models import TimeStampedModel
from apps.inventory.choices import Connectivity, ConnectivityFact, Criticality, EquipmentCategory, SiteKind

from .choices import (
    CLOCK_STATUSES,
    LIVE_STATUSES,
    VENDOR_ROLES,
    Action,
    CountryTest,
    DeadlineAnchor,
    DeadlineKind,
    DeadlineSource,
    NotificationKind,
    Obligation,
    Outcome,
    PlanStatus,
    RuleBasis,
    StepStatus,
    WaiverStatus,
)

FINDING_STATUSES = FLAGGED_STATUSES
FINDING_KINDS = ("direct", "ownership", "oem")  # apps.screening FindingKind (a layer above inventory, below us)


def _check_list(errors: dict, name: str, values, allowed) -> None:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        errors[name] = "Give a list of codes."
        return
    bad = [v for v in values if allowed is not None and v not in allowed]
    if bad:
        errors[name] = f"Unknown value(s) {', '.join(map(repr, bad))}; allowed: {', '.join(allowed)}."


class PolicyRule(TimeStampedModel):
    """A rule turning a finding (or a country of concern) into an obligation, an action and a deadline.

    Rules are data: admins edit them, every edit bumps `version` and simple-history keeps each version, and
    plans record the rule and version that decided them. Empty match lists mean "any". A rule with an
    organisation applies to that organisation's equipment only; without one it applies everywhere.

    Applicability: whom the rule binds (`jurisdictions`, `organization_kinds`: the organisation's profile),
    what (categories, connectivity facts, installation dates, the finding's kind and named entities, the list
    entry's own scope). Obligation and deadline: `obligation` says what the law asks (do not procure, remove or
    replace, mitigate, report), `deadline_kind` where the date comes from (a fixed legal date, N days after an
    anchor, staged quotas, or none: the organisation's own target). Only a legal date (fixed or staged) can put
    an organisation in breach.
    """

    code = models.SlugField(max_length=64, unique=True, help_text="Stable identifier, e.g. ndaa889-b-use.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="What the rule requires, in plain words.")
    citation = models.CharField(max_length=500, help_text="Legal source, e.g. 'NDAA FY2019 s.889(a)(1)(B)'.")
    citation_url = models.URLField(max_length=500, blank=True)
    requires_verification = models.BooleanField(
        default=False, help_text="Dates or scope not yet read from a primary source ('verify').")
    organization = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="policy_rules", help_text="Empty: applies to every organisation.")
    enabled = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    basis = models.CharField(max_length=16, choices=RuleBasis.choices, default=RuleBasis.FINDING)
    # Finding match (basis=finding)
    source_codes = models.JSONField(default=list, blank=True, help_text="List source codes; empty: any.")
    regimes = models.JSONField(default=list, blank=True, help_text="List regimes (apps.lists Regime); empty: any.")
    sub_list_contains = models.CharField(max_length=120, blank=True,
                                         help_text="Case-insensitive text the finding's sub-list must contain.")
    finding_statuses = models.JSONField(default=list, blank=True,
                                        help_text="Finding statuses; empty: prohibited and restricted.")
    vendor_roles = models.JSONField(default=list, blank=True,
                                    help_text="brand, manufacturer, software_supplier, component; empty: any.")
    # Country match (basis=country)
    countries = models.JSONField(default=list, blank=True, help_text="ISO alpha-2 codes of countries of concern.")
    country_tests = models.JSONField(default=list, blank=True,
                                     help_text="Which attributes are tested (manufacturer, ultimate_owner, ...).")
    # Equipment and site scope (both bases)
    categories = models.JSONField(default=list, blank=True, help_text="Equipment categories; empty: any.")
    site_kinds = models.JSONField(default=list, blank=True, help_text="Site kinds; empty: any.")
    site_criticalities = models.JSONField(default=list, blank=True, help_text="Site criticalities; empty: any.")
    defence_only = models.BooleanField(default=False, help_text="Only sites marked defence / military use.")
    connectivities = models.JSONField(default=list, blank=True, help_text="Equipment connectivity; empty: any.")
    # Whom the rule binds (the organisation's profile) and further unit and finding tests
    jurisdictions = models.JSONField(
        default=list, blank=True,
        help_text="Countries (ISO alpha-2, e.g. 'US', 'AU') or subdivisions ('US-CA') of the organisation; empty: any.")
    organization_kinds = models.JSONField(
        default=list, blank=True, help_text="The organisation must be one of these legal kinds; empty: any.")
    connectivity_any = models.JSONField(
        default=list, blank=True, help_text="The unit must have at least one of these connectivity facts; empty: any.")
    connectivity_none = models.JSONField(
        default=list, blank=True, help_text="The unit must have none of these connectivity facts.")
    installed_before = models.DateField(null=True, blank=True,
                                        help_text="Only units installed before this date (unknown: included).")
    installed_after = models.DateField(null=True, blank=True,
                                       help_text="Only units installed on or after this date (unknown: included).")
    names_any = models.JSONField(
        default=list, blank=True,
        help_text="The listed entity (entry name, vendor or path) must name one of these, e.g. the five companies "
                  "s.889 names; empty: any.")
    finding_kinds = models.JSONField(default=list, blank=True,
                                     help_text="direct, ownership, oem; empty: any.")
    respect_entry_scope = models.BooleanField(
        default=True, help_text="Where the list entry states its own scope (FCC Covered List), apply only to units "
                                "in the categories it names.")
    # The obligation and its deadline
    obligation = models.CharField(max_length=20, choices=Obligation.choices, default=Obligation.REMOVE_OR_REPLACE)
    deadline_kind = models.CharField(max_length=12, choices=DeadlineKind.choices, default=DeadlineKind.FIXED)
    staged_deadlines = models.JSONField(
        default=list, blank=True,
        help_text='Staged quotas, earliest first: [{"date": "2023-04-30", "count": 40}, {"date": ..., "percent": '
                  '100}]: by each date that many units (cumulative) of the organisation must be dealt with.')

    action = models.CharField(max_length=16, choices=Action.choices)
    guidance = models.TextField(blank=True, help_text="What to do, shown on the plan.")
    deadline_date = models.DateField(null=True, blank=True, help_text="A fixed (statutory) date.")
    deadline_days = models.PositiveIntegerField(null=True, blank=True,
                                                help_text="N days after the anchor date.")
    deadline_anchor = models.CharField(max_length=16, choices=DeadlineAnchor.choices,
                                       default=DeadlineAnchor.LATER_OF_LISTING_OR_DISCOVERY)
    effective_from = models.DateField(null=True, blank=True)
    effective_until = models.DateField(null=True, blank=True)
    suspended_from = models.DateField(null=True, blank=True)
    suspended_until = models.DateField(null=True, blank=True)
    grandfathered_before = models.DateField(
        null=True, blank=True, help_text="Equipment installed before this date is exempt (grandfathered).")
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(deadline_kind__in=[DeadlineKind.NONE, DeadlineKind.STAGED])
                           | (Q(deadline_kind=DeadlineKind.FIXED) & Q(deadline_date__isnull=False))
                           | (Q(deadline_kind=DeadlineKind.RELATIVE) & Q(deadline_days__isnull=False))),
                name="policyrule_deadline_kind_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code} v{self.version})"

    def save(self, *args, **kwargs):
        self.infer_deadline_kind()
        super().save(*args, **kwargs)

    def infer_deadline_kind(self) -> None:
        """A rule left at the default kind (fixed) that gives only a number of days is a relative one (rules
        written before deadline kinds existed, and callers that give only `deadline_days`)."""
        if self.deadline_kind == DeadlineKind.FIXED and self.deadline_date is None and self.deadline_days is not None:
            self.deadline_kind = DeadlineKind.RELATIVE

    def clean(self) -> None:
        self.infer_deadline_kind()
        errors: dict[str, str] = {}
        if self.deadline_kind == DeadlineKind.FIXED and self.deadline_date is None:
            errors["deadline_date"] = "A fixed deadline needs its date."
        if self.deadline_kind == DeadlineKind.RELATIVE and self.deadline_days is None:
            errors["deadline_days"] = "A relative deadline needs its number of days."
        if self.deadline_kind == DeadlineKind.STAGED:
            problem = staged_deadlines_problem(self.staged_deadlines)
            if problem:
                errors["staged_deadlines"] = problem
        elif self.staged_deadlines:
            errors["staged_deadlines"] = "Stages belong to a staged deadline only."
        if self.obligation == Obligation.DO_NOT_PROCURE and self.deadline_kind in (DeadlineKind.FIXED,
                                                                                   DeadlineKind.STAGED):
            errors["deadline_kind"] = ("A procurement ban has no removal date: give 'none' (the organisation's "
                                       "target applies) or a relative period, and its start as effective_from.")
        _check_list(errors, "jurisdictions", self.jurisdictions, None)
        if "jurisdictions" not in errors:
            bad = [j for j in self.jurisdictions if not _jurisdiction_ok(j)]
            if bad:
                errors["jurisdictions"] = f"Use 'US' or 'US-CA' style codes; not {bad!r}."
            else:
                self.jurisdictions = [j.upper() for j in self.jurisdictions]
        _check_list(errors, "organization_kinds", self.organization_kinds, LegalKind.values)
        _check_list(errors, "connectivity_any", self.connectivity_any, ConnectivityFact.values)
        _check_list(errors, "connectivity_none", self.connectivity_none, ConnectivityFact.values)
        _check_list(errors, "names_any", self.names_any, None)
        _check_list(errors, "finding_kinds", self.finding_kinds, FINDING_KINDS)
        if self.installed_before and self.installed_after and self.installed_before <= self.installed_after:
            errors["installed_before"] = "No date is both before and on or after these dates."
        _check_list(errors, "source_codes", self.source_codes, None)
        _check_list(errors, "regimes", self.regimes, None)
        _check_list(errors, "finding_statuses", self.finding_statuses, FINDING_STATUSES)
        _check_list(errors, "vendor_roles", self.vendor_roles, VENDOR_ROLES)
        _check_list(errors, "country_tests", self.country_tests, CountryTest.values)
        _check_list(errors, "categories", self.categories, EquipmentCategory.values)
        _check_list(errors, "site_kinds", self.site_kinds, SiteKind.values)
        _check_list(errors, "site_criticalities", self.site_criticalities, Criticality.values)
        _check_list(errors, "connectivities", self.connectivities, Connectivity.values)
        if isinstance(self.countries, list):
            bad = [c for c in self.countries if not (isinstance(c, str) and len(c) == 2 and c.isalpha())]
            if bad:
                errors["countries"] = f"Use ISO alpha-2 codes; not {bad!r}."
            else:
                self.countries = [c.upper() for c in self.countries]
        else:
            errors["countries"] = "Give a list of ISO alpha-2 codes."
        if self.basis == RuleBasis.COUNTRY and not self.countries:
            errors["countries"] = "A country-of-concern rule needs at least one country."
        if self.effective_from and self.effective_until and self.effective_until < self.effective_from:
            errors["effective_until"] = "The rule cannot end before it takes effect."
        if self.suspended_until and not self.suspended_from:
            errors["suspended_from"] = "Give the start of the suspension."
        if self.suspended_from and self.suspended_until and self.suspended_until < self.suspended_from:
            errors["suspended_until"] = "The suspension cannot end before it starts."
        if errors:
            raise ValidationError(errors)


def _jurisdiction_ok(code: str) -> bool:
    country, _, sub = code.partition("-")
    return len(country) == 2 and country.isalpha() and (not sub or (sub.isalnum() and len(sub) <= 3))


def staged_deadlines_problem(stages) -> str:
    """Why a list of stages is not valid ("" when it is): dates ascending, each with a positive `count` or a
    `percent` from 1 to 100, cumulative quotas not going down."""
    if not isinstance(stages, list) or not stages:
        return "Give at least one stage: a date and a count or percent."
    last_date, last = None, {"count": 0, "percent": 0}
    for stage in stages:
        if not isinstance(stage, dict) or set(stage) - {"date", "count", "percent", "note"}:
            return "Each stage is {\"date\": \"YYYY-MM-DD\", \"count\": N} or {..., \"percent\": P}."
        try:
            day = dt.date.fromisoformat(str(stage.get("date")))
        except ValueError:
            return f"Not a date: {stage.get('date')!r}."
        quota = [k for k in ("count", "percent") if k in stage]
        if len(quota) != 1:
            return "Each stage gives a count or a percent (one of them)."
        value = stage[quota[0]]
        if not isinstance(value, int) or value < 1 or (quota[0] == "percent" and value > 100):
            return "A count is a positive whole number; a percent is from 1 to 100."
        if last_date and day <= last_date:
            return "Stages go in date order, one per date."
        if value < last[quota[0]]:
            return "Quotas are cumulative: they never go down."
        last_date, last[quota[0]] = day, value
    return ""


class RemediationPlanQuerySet(models.QuerySet):
    """The one definition of "running", "overdue" and "due" (the API, the web, the dashboard, the digest and the daily
    job use it); `overdue_on` is the same test on one plan's values already in memory."""

    @staticmethod
    def running_q() -> Q:
        """Plans whose clock runs (open, planned, in progress...): not done, waived or no longer required."""
        return Q(status__in=sorted(CLOCK_STATUSES))

    @classmethod
    def overdue_q(cls, day) -> Q:
        """Running plans whose deadline had passed on `day` (the caller's today: time is injected)."""
        return cls.running_q() & Q(deadline__lt=day)

    @classmethod
    def due_q(cls, start, end) -> Q:
        """Running plans whose deadline falls from `start` to `end`, both included (the "due soon" windows)."""
        return cls.running_q() & Q(deadline__gte=start, deadline__lte=end)

    @staticmethod
    def overdue_on(status: str, deadline, day) -> bool:
        """`overdue_q(day)` for one plan's status and deadline (a model, a history row, values being written)."""
        return status in CLOCK_STATUSES and deadline < day

    def running(self) -> RemediationPlanQuerySet:
        return self.filter(self.running_q())

    def overdue(self, day) -> RemediationPlanQuerySet:
        return self.filter(self.overdue_q(day))


class RemediationPlan(TimeStampedModel):
    """The obligation to deal with one unit (or batch): which rule decided it, by when, who owns it, where it
    stands. Created and kept up to date by `remediation_evaluate`; at most one live plan per unit."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("inventory.Site", on_delete=models.PROTECT, related_name="remediation_plans")
    equipment = models.ForeignKey("inventory.Equipment", on_delete=models.PROTECT, related_name="remediation_plans")
    category = models.CharField(max_length=32, choices=EquipmentCategory.choices)
    vendor = models.ForeignKey("vendors.Vendor", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               help_text="The vendor behind the deciding finding or country.")
    rule = models.ForeignKey(PolicyRule, on_delete=models.PROTECT, related_name="plans")
    rule_version = models.PositiveIntegerField()
    action = models.CharField(max_length=16, choices=Action.choices)
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.OPEN)
    is_overdue = models.BooleanField(default=False)
    deadline = models.DateField()
    computed_deadline = models.DateField(help_text="The deadline the rules give; differs when changed by hand.")
    obligation = models.CharField(max_length=20, choices=Obligation.choices, default=Obligation.REMOVE_OR_REPLACE)
    deadline_source = models.CharField(
        max_length=20, choices=DeadlineSource.choices, default=DeadlineSource.LEGAL,
        help_text="Where the computed deadline comes from: a legal date, the rule's period or a target.")
    in_breach_since = models.DateField(
        null=True, blank=True,
        help_text="The cited legal deadline that has passed for this organisation; empty otherwise.")
    deadline_overridden = models.BooleanField(default=False)
    deadline_reason = models.TextField(blank=True)
    discovered_on = models.DateField(help_text="When the registry first flagged the unit.")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    estimated_cost = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True,
                                         validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, default="USD")
    basis = models.JSONField(default=dict, blank=True, help_text="The finding or country facts that decided it.")
    also_applied = models.JSONField(default=list, blank=True, help_text="The other rules that applied.")
    why = models.TextField(blank=True)
    closing_note = models.TextField(blank=True)
    last_evaluated_on = models.DateField(null=True, blank=True)
    evaluation_hash = models.CharField(max_length=40, blank=True, editable=False,
                                       help_text="Fingerprint of what the rules gave last time (skips no-op writes).")
    history = HistoricalRecords(excluded_fields=["evaluation_hash"])

    objects = RemediationPlanQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "id"]
        constraints = [
            models.UniqueConstraint(fields=["equipment"], condition=Q(status__in=sorted(LIVE_STATUSES)),
                                    name="remediationplan_one_live_per_equipment"),
            models.CheckConstraint(condition=~Q(status=PlanStatus.DONE) | ~Q(outcome=""),
                                   name="remediationplan_done_has_outcome"),
        ]
        indexes = [
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["equipment", "rule"]),
            models.Index(fields=["site", "status"]),
            models.Index(fields=["vendor"]),
            models.Index(fields=["organization", "opened_at"]),
            models.Index(fields=["organization", "closed_at"]),
            # The equipment list's "Due" column, sort and filter: a unit's running plan's deadline
            # (apps.web.selectors.equipment_due_on), one index probe per unit.
            models.Index(fields=["equipment", "deadline"], condition=Q(status__in=sorted(CLOCK_STATUSES)),
                         name="remplan_running_equip_deadline"),
        ]

    def __str__(self) -> str:
        return f"Plan #{self.pk}: {self.get_action_display()} {self.equipment_id} by {self.deadline}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


class PlanStep(TimeStampedModel):
    """A step of a plan (order the replacement, disconnect the modem...), ticked off with evidence."""

    plan = models.ForeignKey(RemediationPlan, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=StepStatus.choices, default=StepStatus.TODO)
    due_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "position", "id"]

    def __str__(self) -> str:
        return self.title


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    """A random name (never the uploader's) under evidence/<plan>/; the original name is kept in a field."""
    ext = instance.extension or "bin"
    return f"evidence/{instance.plan_id}/{uuid.uuid4().hex}.{ext}"


class Evidence(models.Model):
    """A file proving a step was done (photo, signed work order, disposal certificate). The type is taken
    from the content, not the name; size is limited (REMEDIATION_EVIDENCE_MAX_BYTES)."""

    plan = models.ForeignKey(RemediationPlan, on_delete=models.PROTECT, related_name="evidence")
    step = models.ForeignKey(PlanStep, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to=evidence_upload_to, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    note = models.CharField(max_length=500, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "evidence"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.content_type}, {self.size} bytes)"


class Waiver(TimeStampedModel):
    """A dated exception to a plan's deadline, requested by one member and approved or rejected by a
    different admin of the same organisation (four-eyes; the database refuses the same person)."""

    plan = models.ForeignKey(RemediationPlan, on_delete=models.PROTECT, related_name="waivers")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=WaiverStatus.choices, default=WaiverStatus.REQUESTED)
    justification = models.TextField()
    compensating_controls = models.TextField()
    expires_on = models.DateField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    plan_status_before = models.CharField(max_length=16, choices=PlanStatus.choices, blank=True)
    # When the daily job announced its coming expiry (webhook waiver.expiring): once per waiver.
    expiry_announced_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan"], condition=Q(status__in=[WaiverStatus.REQUESTED, WaiverStatus.APPROVED]),
                name="waiver_one_pending_or_active_per_plan"),
            models.CheckConstraint(condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                                   name="waiver_four_eyes"),
        ]
        indexes = [models.Index(fields=["organization", "status"]), models.Index(fields=["status", "expires_on"])]

    def __str__(self) -> str:
        return f"Waiver #{self.pk} for plan {self.plan_id} until {self.expires_on} ({self.status})"


class Notification(models.Model):
    """An in-app message to one member (the digest, a waiver waiting for decision...)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    plan = models.ForeignKey(RemediationPlan, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    waiver = models.ForeignKey(Waiver, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    digest = models.ForeignKey("Digest", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    fact_change = models.ForeignKey("FactChangeNotice", null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="notifications")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"]), models.Index(fields=["organization", "created_at"])]

    def __str__(self) -> str:
        return self.title


class FactChangeNotice(models.Model):
    """What an accepted change to a shared vendor fact (a change proposal) did to one organisation's units:
    their status counts before and after (units by risk status). Prepared inside the accepting transaction
    with "before" (apps.remediation.services.notices), completed by a task once the vendors are re-screened;
    an organisation whose units did not change gets none. Its members get an in-app notification and the
    daily digest lists it once."""

    class State(models.TextChoices):
        PREPARED = "prepared", "Prepared (before recorded)"
        READY = "ready", "Ready (status changed)"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    proposal = models.ForeignKey("vendors.ChangeProposal", on_delete=models.CASCADE, related_name="+")
    vendor_ids = models.JSONField(default=list, help_text="The vendors whose findings the change may move.")
    before = models.JSONField(default=dict, help_text="Units by risk status before the change.")
    after = models.JSONField(default=dict, blank=True, help_text="Units by risk status after re-screening.")
    state = models.CharField(max_length=12, choices=State.choices, default=State.PREPARED)
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField()
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["proposal", "organization"], name="factnotice_unique_org")]
        indexes = [models.Index(fields=["organization", "state", "created_at"])]

    def __str__(self) -> str:
        return self.title or f"Fact change notice {self.pk}"


class Digest(models.Model):
    """One digest sent to an organisation (e-mail + in-app), with what it contained."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    digest_date = models.DateField()
    sent_at = models.DateTimeField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    recipients = models.JSONField(default=list)
    item_count = models.PositiveIntegerField(default=0)
    email_sent = models.BooleanField(default=False)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["organization", "digest_date"])]

    def __str__(self) -> str:
        return f"{self.subject} ({self.item_count} items)"


class DigestItem(models.Model):
    """An item already announced in a digest: (organisation, date, item) is unique, so running the daily
    task twice never sends the same item twice."""

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="items")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    digest_date = models.DateField()
    item_key = models.CharField(max_length=100)
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    plan = models.ForeignKey(RemediationPlan, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    waiver = models.ForeignKey(Waiver, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "digest_date", "item_key"],
                                               name="digestitem_unique_org_date_item")]

    def __str__(self) -> str:
        return self.item_key


class DigestDelivery(models.Model):
    """The claim on an organisation's digest for one day: at most one row per (organisation, day), inserted
    before anything is sent, so a second beat, a retried task or a concurrent run sends nothing for that
    organisation and day. The status says what happened to the claim:

    * `sending`: a run holds it (until `claimed_at` + REMEDIATION_DIGEST_CLAIM_LEASE_SECONDS; a run that died
      without a word is taken over after that, so a crash cannot swallow the day's digest);
    * `sent`: the e-mails were handed to the mail server and the digest recorded (`digest`); final;
    * `failed`: sending raised (`error`); the next run the same day (the task's retry, the other beat, a rerun
      of the job) takes the claim over and sends it.
    """

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SENDING)
    attempts = models.PositiveIntegerField(default=1)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    digest = models.OneToOneField(Digest, null=True, blank=True, on_delete=models.SET_NULL, related_name="delivery")
    error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "day"], name="digestdelivery_unique_org_day")]
        verbose_name_plural = "digest deliveries"

    def __str__(self) -> str:
        return f"digest of organisation {self.organization_id} for {self.day}: {self.status}"


class ProjectionReport(models.Model):
    """"Which units will be non-compliant on this date under the rules and findings already known?", computed in
    the background for an organisation (or one of its sites) and kept with its date of computation."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Computing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey("inventory.Site", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                             help_text="Only this site; empty: every site of the organisation.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    on = models.DateField(help_text="The day the question is about.")
    computed_on = models.DateField(help_text="The day it was computed: the rules and findings known then.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    units_total = models.PositiveIntegerField(default=0)
    units_done = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"Projection on {self.on} ({self.get_status_display()})"

    @property
    def running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.units_done / self.units_total) if self.units_total else 0


class ProjectionLine(models.Model):
    """One unit that will be non-compliant on the report's day, with the rule that decides it (as computed:
    a unit changed or deleted since keeps its line)."""

    report = models.ForeignKey(ProjectionReport, on_delete=models.CASCADE, related_name="lines")
    equipment_id = models.BigIntegerField(help_text="The unit (kept as a number: the unit may be deleted later).")
    site_id = models.BigIntegerField()
    category = models.CharField(max_length=32, choices=EquipmentCategory.choices)
    rule_code = models.CharField(max_length=64)
    action = models.CharField(max_length=16, choices=Action.choices)
    deadline = models.DateField()
    already_due = models.BooleanField(help_text="Due on or before the day it was computed.")
    explanation = models.TextField(blank=True)
    also = models.JSONField(default=list, blank=True, help_text="The other rules that applied.")

    class Meta:
        indexes = [models.Index(fields=["report", "deadline", "id"])]

    def __str__(self) -> str:
        return f"unit {self.equipment_id}: {self.rule_code} by {self.deadline}"
