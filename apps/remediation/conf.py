"""Remediation settings with their defaults (override in vendorrisk/settings.py or the environment)."""
from __future__ import annotations

from django.conf import settings


def evidence_max_bytes() -> int:
    return int(getattr(settings, "REMEDIATION_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024))


def waiver_restart_days() -> int:
    """Days given after an expired waiver when the rule has no 'N days' of its own."""
    return int(getattr(settings, "REMEDIATION_WAIVER_RESTART_DAYS", 90))


def due_windows() -> tuple[int, ...]:
    return tuple(sorted(getattr(settings, "REMEDIATION_DUE_WINDOWS", (30, 60, 90))))


def waiver_warning_days() -> int:
    return int(getattr(settings, "REMEDIATION_WAIVER_WARNING_DAYS", 30))


def time_zone() -> str:
    """The zone in which 'today' and discovery dates are calendar dates."""
    return getattr(settings, "REMEDIATION_TIME_ZONE", "") or settings.TIME_ZONE


def digest_new_days() -> int:
    """How far back the digest looks for newly flagged units (each is announced once, the first day after)."""
    return int(getattr(settings, "REMEDIATION_DIGEST_NEW_DAYS", 7))


def digest_max_listed() -> int:
    return int(getattr(settings, "REMEDIATION_DIGEST_MAX_LISTED", 50))


def digest_item_retention_days() -> int:
    """How long the per-item 'already sent' records are kept (the digests themselves are kept)."""
    return int(getattr(settings, "REMEDIATION_DIGEST_ITEM_RETENTION_DAYS", 35))


def digest_claim_lease_seconds() -> int:
    """How long a run that claimed an organisation's digest may take before another run may take it over
    (a worker killed between the claim and the e-mail). Longer than a slow SMTP server, shorter than a day."""
    return int(getattr(settings, "REMEDIATION_DIGEST_CLAIM_LEASE_SECONDS", 15 * 60))
