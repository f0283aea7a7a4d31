"""Outreach settings with their defaults (override in vendorrisk/settings.py or the environment)."""
from __future__ import annotations

from django.conf import settings


def link_grace_days() -> int:
    """An answer link works until this many days after the call's due date."""
    return int(getattr(settings, "OUTREACH_LINK_GRACE_DAYS", 14))


def renew_days_before() -> int:
    """A representation is re-requested this many days before its validity ends."""
    return int(getattr(settings, "OUTREACH_RENEW_DAYS_BEFORE", 45))


def respond_rate() -> str:
    """Requests to the public answer page per client address (apps.security.ratelimit syntax)."""
    return str(getattr(settings, "OUTREACH_RESPOND_RATE", "30/10m"))


def due_soon_days() -> int:
    """The dashboard's due list shows calls due within this many days (and every overdue one)."""
    return int(getattr(settings, "OUTREACH_DUE_SOON_DAYS", 14))
