from django.db import models


class RiskStatus(models.TextChoices):
    """Status of a vendor or an equipment item, from best to worst (see RISK_ORDER)."""

    CLEAR = "clear", "Clear"
    POTENTIAL_MATCH = "potential_match", "Potential match (review)"
    RESTRICTED = "restricted", "Restricted"
    PROHIBITED = "prohibited", "Prohibited"


# Severity rank; the worst status wins when several findings apply.
RISK_ORDER: dict[str, int] = {
    RiskStatus.CLEAR: 0,
    RiskStatus.POTENTIAL_MATCH: 1,
    RiskStatus.RESTRICTED: 2,
    RiskStatus.PROHIBITED: 3,
}


def risk_worst(*statuses: str) -> str:
    """The most severe of the given statuses ("clear" when none)."""
    best = RiskStatus.CLEAR.value
    for status in statuses:
        if status and RISK_ORDER.get(status, 0) > RISK_ORDER[best]:
            best = str(status)
    return best


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
    DEMO = "demo", "Demo load"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
