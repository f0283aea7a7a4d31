"""Choices of the remediation programme: rule actions, plan statuses and outcomes, waivers, notifications."""
from django.db import models


class Action(models.TextChoices):
    """What a rule asks for. Ordered from strongest to weakest (see ACTION_STRENGTH)."""

    REMOVE = "remove", "Remove"
    REPLACE = "replace", "Replace"
    MITIGATE = "mitigate", "Mitigate (disconnect vendor remote access, segment the network)"
    MONITOR = "monitor", "Monitor"


# Higher is stronger; the tie-break after the deadline when rules overlap.
ACTION_STRENGTH = {Action.REMOVE: 4, Action.REPLACE: 3, Action.MITIGATE: 2, Action.MONITOR: 1}


class Obligation(models.TextChoices):
    """What the law (or the organisation's policy) obliges, as opposed to what to do with the unit (`Action`)."""

    DO_NOT_PROCURE = "do_not_procure", "Do not procure (in force since a date; no removal deadline)"
    REMOVE_OR_REPLACE = "remove_or_replace", "Remove or replace"
    MITIGATE = "mitigate", "Mitigate (e.g. disconnect vendor remote access)"
    REPORT = "report", "Report"


# Higher is stronger: the tie-break after the date when rules overlap.
OBLIGATION_STRENGTH = {Obligation.REMOVE_OR_REPLACE: 4, Obligation.MITIGATE: 3, Obligation.REPORT: 2,
                       Obligation.DO_NOT_PROCURE: 1}


class DeadlineKind(models.TextChoices):
    """Where a rule's date comes from."""

    FIXED = "fixed", "A fixed legal date"
    RELATIVE = "relative", "N days after the unit is flagged or the vendor listed"
    STAGED = "staged", "Staged quotas (dates with counts or shares)"
    NONE = "none", "None (the organisation's own target applies)"


class DeadlineSource(models.TextChoices):
    """Where a plan's due date came from. Only a `legal` date can put an organisation in breach."""

    LEGAL = "legal", "Legal deadline"
    RELATIVE = "relative", "The rule's relative period"
    ORGANIZATION_TARGET = "organization_target", "The organisation's own target"
    DEFAULT_TARGET = "default_target", "The registry's default target"


class RuleBasis(models.TextChoices):
    """What a rule looks at: a screening finding (a list names the vendor or its owner), or the country of the
    manufacturer / ultimate owner / place of manufacture (no list needed)."""

    FINDING = "finding", "Screening finding"
    COUNTRY = "country", "Country of concern"


class DeadlineAnchor(models.TextChoices):
    """From which date `deadline_days` counts."""

    LATER_OF_LISTING_OR_DISCOVERY = "later", "Later of listing and discovery"
    LISTING = "listing", "Listing date"
    DISCOVERY = "discovery", "Discovery date"


class CountryTest(models.TextChoices):
    """Which attribute of the equipment a country-of-concern rule looks at."""

    MANUFACTURER = "manufacturer", "Manufacturer (incorporation or headquarters)"
    BRAND = "brand", "Brand (incorporation or headquarters)"
    SOFTWARE_SUPPLIER = "software_supplier", "Software supplier"
    COMPONENT = "component", "Component vendor"
    ULTIMATE_OWNER = "ultimate_owner", "Ultimate owner of any of those vendors"
    PLACE_OF_MANUFACTURE = "place_of_manufacture", "Country of manufacture of the product"


class PlanStatus(models.TextChoices):
    OPEN = "open", "Open"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    WAIVED = "waived", "Waived"
    NOT_REQUIRED = "not_required", "Not required"


# Plans still owing work; at most one per equipment (database constraint).
LIVE_STATUSES = frozenset({PlanStatus.OPEN, PlanStatus.PLANNED, PlanStatus.IN_PROGRESS, PlanStatus.WAIVED})
# Plans whose deadline runs (a waiver stops the clock).
CLOCK_STATUSES = frozenset({PlanStatus.OPEN, PlanStatus.PLANNED, PlanStatus.IN_PROGRESS})
# The only forward path an officer may take, one step at a time.
NEXT_STATUS = {PlanStatus.OPEN: PlanStatus.PLANNED, PlanStatus.PLANNED: PlanStatus.IN_PROGRESS,
               PlanStatus.IN_PROGRESS: PlanStatus.DONE}


class Outcome(models.TextChoices):
    REMOVED = "removed", "Removed"
    REPLACED = "replaced", "Replaced"
    MITIGATED = "mitigated", "Mitigated"
    DISPOSED = "disposed", "Disposed"


class StepStatus(models.TextChoices):
    TODO = "todo", "To do"
    DONE = "done", "Done"


class WaiverStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"


class NotificationKind(models.TextChoices):
    DIGEST = "digest", "Daily digest"
    NEW_PLAN = "new_plan", "Newly flagged unit"
    OVERDUE = "overdue", "Plan overdue"
    DUE_SOON = "due_soon", "Plan due soon"
    WAIVER_EXPIRING = "waiver_expiring", "Waiver expiring"
    WAIVER_EXPIRED = "waiver_expired", "Waiver expired"
    WAIVER_REQUESTED = "waiver_requested", "Waiver requested"
    WAIVER_DECIDED = "waiver_decided", "Waiver decided"
    FACT_CHANGE = "fact_change", "Shared fact changed"
    WEBHOOK_DISABLED = "webhook_disabled", "Webhook disabled"  # apps.integrations: repeated failures


# 15 CFR 791.4(a) "foreign adversaries" (ISO 3166 alpha-2). Hong Kong and Macau are part of the PRC there;
# Venezuela is named as "the Maduro regime" (political control, not the country as such: see docs).
FOREIGN_ADVERSARY_COUNTRIES = ("CN", "HK", "MO", "CU", "IR", "KP", "RU", "VE")

VENDOR_ROLES = ("brand", "manufacturer", "software_supplier", "component")
