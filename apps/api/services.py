"""Writes about API tokens."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.accounts.policies import Denied, is_curator, session_second_factor_verified
from apps.audit.services import audit_record
from apps.common.exceptions import ApplicationError
from apps.security.ratelimit import rate_limit_hit, rate_parse

from .models import ApiToken

KEY_PREFIX = "vr_"

CURATE_PURPOSE = "curate"


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_tokens_live(user, *, now: dt.datetime) -> QuerySet[ApiToken]:
    """The user's tokens that still authenticate: not revoked, not expired."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now))


@transaction.atomic
def api_token_create(*, user, name: str = "", expires_in_days: int | None = None, actor=None, purpose: str = "",
                     now: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token and return it with its key. The key is not stored and cannot be shown again.

    Every token expires (`API_TOKEN_DEFAULT_DAYS` when no expiry is asked, at most `API_TOKEN_MAX_DAYS`), a user
    holds at most `API_TOKEN_MAX_LIVE` live tokens, and creates at most `API_TOKEN_CREATE_RATE` of them: a
    stolen session cannot mint an unbounded number of long-lived keys (and the API rate limit is per user).

    `purpose="curate"`: a token that carries the user's curator powers, for a curator's own scripts; only from a
    web session the second factor verified (never from another token), and it lives API_CURATOR_TOKEN_HOURS."""
    if not user.is_active:
        raise ApplicationError("Inactive users cannot hold API tokens.", code="inactive_user")
    if purpose not in ("", CURATE_PURPOSE):
        raise ApplicationError("Unknown purpose.", code="invalid", fields={"purpose": ["Use \"\" or \"curate\"."]})
    if purpose == CURATE_PURPOSE:
        if actor is None or actor.pk != user.pk or not (is_curator(user) and session_second_factor_verified(actor)):
            raise Denied("A curator token is created by the curator, from a session verified by the second factor.")
        if expires_in_days is not None:
            raise ApplicationError("A curator token's lifetime is fixed (API_CURATOR_TOKEN_HOURS).",
                                   code="invalid_expiry", fields={"expires_in_days": ["Leave empty."]})
    max_days = settings.API_TOKEN_MAX_DAYS
    if expires_in_days is not None and not 1 <= expires_in_days <= max_days:
        raise ApplicationError(f"The expiry must be between 1 and {max_days} days.", code="invalid_expiry",
                               fields={"expires_in_days": [f"Must be between 1 and {max_days}."]})
    now = now or timezone.now()
    # One creation per user at a time, so the cap is exact under concurrent requests.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    limit, window = rate_parse(settings.API_TOKEN_CREATE_RATE)
    if not rate_limit_hit(f"api-token-create:user:{user.pk}", limit=limit, window=window).allowed:
        raise ApplicationError("Too many API tokens created recently; try again later.", code="throttled")
    if api_tokens_live(user, now=now).count() >= settings.API_TOKEN_MAX_LIVE:
        raise ApplicationError(f"At most {settings.API_TOKEN_MAX_LIVE} live API tokens per user: revoke one first.",
                               code="too_many_tokens")
    expires_in_days = expires_in_days or settings.API_TOKEN_DEFAULT_DAYS
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=key[:10],
        key_hash=api_token_hash(key),
        created_at=now,
        expires_at=now + (dt.timedelta(hours=settings.API_CURATOR_TOKEN_HOURS) if purpose == CURATE_PURPOSE
                          else dt.timedelta(days=expires_in_days)),
        purpose=purpose,
    )
    audit_record(action="api_token.create", actor=actor, obj=token,
                 changes={"user": user.get_username(), "expires_at": token.expires_at, "purpose": purpose})
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
