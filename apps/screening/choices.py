from django.db import models


class MatchStrength(models.TextChoices):
    IDENTIFIER = "identifier", "Identical identifier"
    STRONG = "strong", "Strong name match"
    POTENTIAL = "potential", "Potential name match"


class ReviewState(models.TextChoices):
    UNREVIEWED = "unreviewed", "Awaiting review"
    AUTO_CONFIRMED = "auto_confirmed", "Confirmed automatically (identifier or strong name)"
    CONFIRMED = "confirmed", "Confirmed by a reviewer"
    DISMISSED = "dismissed", "Dismissed by a reviewer"


class Decision(models.TextChoices):
    CONFIRM = "confirm", "Confirm: this is the listed party"
    DISMISS = "dismiss", "Dismiss: a different party"


class FindingKind(models.TextChoices):
    DIRECT = "direct", "Listed itself"
    OWNERSHIP = "ownership", "Through ownership or control"
    OEM = "oem", "Through its OEM manufacturer"


class RunTrigger(models.TextChoices):
    FULL = "full", "Full run"
    NIGHTLY = "nightly", "Nightly full run"
    MANUAL = "manual", "Manual"
    VENDOR_CHANGE = "vendor_change", "Vendor changed"
    LIST_ACTIVATION = "list_activation", "List version activated"
    REVIEW = "review", "Review decision"
    OWN_VIEW = "own_view", "Proposal applied to an organisation's own view"
    DEMO = "demo", "Demo load"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class CheckVerdict(models.TextChoices):
    """A pre-purchase check's verdict: a risk status, or "not cleared" when nothing matched but the check cannot
    say clear (a required list missing or stale, no list loaded, candidates cut by the cap)."""

    CLEAR = "clear", "Clear"
    NOT_CLEARED = "not_cleared", "Not cleared (incomplete check)"
    POTENTIAL_MATCH = "potential_match", "Potential match (review)"
    RESTRICTED = "restricted", "Restricted"
    PROHIBITED = "prohibited", "Prohibited"
