"""The keys of the audit chain: which key signs new events and checkpoints, and the key of a recorded key id.

Keys live in the environment (settings.AUDIT_HMAC_KEYS; with DEBUG on and none set, settings.py generates a
development key in var/), never in the database: whoever can write the audit table cannot recompute a keyed
hash. Everything here fails closed: no configured key means no event can be written, and an event whose key
id is not configured cannot be verified (it is never taken for valid).
"""
from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
MIN_SECRET_CHARS = 32


class AuditKeyMissing(Exception):
    """An event or checkpoint names a key id that AUDIT_HMAC_KEYS does not hold."""


def signing_key() -> tuple[str, bytes]:
    """(key id, secret) that signs new events and checkpoints. Raises ImproperlyConfigured when there is none:
    an unsigned (or unkeyed) event must never be written."""
    key_id = settings.AUDIT_HMAC_KEY_ID
    secret = settings.AUDIT_HMAC_KEYS.get(key_id) if key_id else None
    if not secret:
        raise ImproperlyConfigured(
            "No audit signing key: set AUDIT_HMAC_KEYS (id:secret,...) and AUDIT_HMAC_KEY_ID to one of its ids "
            "(docs/security.md, audit trail keys)."
        )
    return key_id, secret.encode()


def verification_key(key_id: str) -> bytes:
    """The secret of a recorded key id; raises AuditKeyMissing when it is not configured (fail closed)."""
    secret = settings.AUDIT_HMAC_KEYS.get(key_id)
    if not secret:
        raise AuditKeyMissing(
            f"no key configured for audit key id {key_id!r}: add it back to AUDIT_HMAC_KEYS to verify these events"
        )
    return secret.encode()
