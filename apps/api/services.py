"""Writes about API tokens."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.common.exceptions import ApplicationError

from .models import ApiToken

KEY_PREFIX = "vr_"


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user, name: str = "", expires_in_days: int | None = None, actor=None,
                     now: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token and return it with its key. The key is not stored and cannot be shown again."""
    if not user.is_active:
        raise ApplicationError("Inactive users cannot hold API tokens.", code="inactive_user")
    if expires_in_days is not None and expires_in_days < 1:
        raise ApplicationError("The expiry must be at least one day.", code="invalid_expiry",
                               fields={"expires_in_days": ["Must be 1 or more."]})
    now = now or timezone.now()
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=key[:10],
        key_hash=api_token_hash(key),
        created_at=now,
        expires_at=now + dt.timedelta(days=expires_in_days) if expires_in_days else None,
    )
    audit_record(action="api_token.create", actor=actor, obj=token,
                 changes={"user": user.get_username(), "expires_at": token.expires_at})
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor=None, now: dt.datetime | None = None) -> ApiToken:
    """Revoke a token (idempotent). A revoked token is refused from the next request on."""
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(action="api_token.revoke", actor=actor, obj=token, changes={"user": str(token.user_id)})
    return token


def api_token_touch(*, token: ApiToken, now: dt.datetime) -> None:
    """Record use, at most once a minute per token (no write on every request)."""
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
