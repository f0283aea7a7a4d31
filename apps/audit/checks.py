"""Start-up checks of the audit chain's keys (run by `manage.py check`, `check --deploy` and `migrate`, so the
compose `migrate` service stops web, worker and beat from starting without a signing key)."""
from __future__ import annotations

from django.conf import settings
from django.core import checks

from .keys import KEY_ID_RE, MIN_SECRET_CHARS


@checks.register()
def audit_keys_configured(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """audit.E001-E004: with DEBUG off the chain must be keyed by a configured, strong key."""
    keys: dict[str, str] = settings.AUDIT_HMAC_KEYS
    errors: list[checks.CheckMessage] = []
    hint = ("AUDIT_HMAC_KEYS=k1:$(python -c 'import secrets; print(secrets.token_urlsafe(32))') and "
            "AUDIT_HMAC_KEY_ID=k1; keep the secrets outside the database (docs/security.md).")
    if not keys:
        if not settings.DEBUG:
            errors.append(checks.Error("DEBUG is off and AUDIT_HMAC_KEYS is not set: audit events cannot be "
                                       "signed.", hint=hint, id="audit.E001"))
        return errors
    if settings.AUDIT_HMAC_KEY_ID not in keys:
        errors.append(checks.Error(f"AUDIT_HMAC_KEY_ID {settings.AUDIT_HMAC_KEY_ID!r} is not one of the ids in "
                                   "AUDIT_HMAC_KEYS.", hint=hint, id="audit.E002"))
    for key_id, secret in keys.items():
        if not KEY_ID_RE.match(key_id):
            errors.append(checks.Error(f"Audit key id {key_id!r} must be 1-32 letters, digits, '_', '.' or '-'.",
                                       id="audit.E003"))
        if not settings.DEBUG and len(secret) < MIN_SECRET_CHARS:
            errors.append(checks.Error(f"Audit key {key_id!r} is shorter than {MIN_SECRET_CHARS} characters.",
                                       hint=hint, id="audit.E004"))
    return errors
