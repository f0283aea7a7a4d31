"""Who may do what: the registry's one authorization policy.

Every write service calls `require(user, action, obj)`; the API's permission classes and the web's views ask
`allowed(...)` for the same actions, so the two entry points give the same answer. An object belongs either to one
organisation (`policy_organization_id(obj)`) or to the registry as shared reference data (None).

The roles:

* organisation roles (Membership): admin > officer > auditor > viewer; admin and officer write;
* curator (accounts.Curator, granted by a superuser): the shared reference data; a curator's powers need a
  verified second factor: a TOTP-verified web session, or an API token created for that purpose by such a
  session (short-lived, see apps.api.services);
* superuser: grants curators; no other power here (the admin site has its own checks).
"""
from __future__ import annotations

from enum import StrEnum
from typing import Any

from apps.common.exceptions import ApplicationError

from .choices import WRITE_ROLES, Role
from .filtersets import member_roles
from .models import Curator

_CURATOR_ATTR = "_vr_is_curator"
_ELEVATED_ATTR = "_vr_elevated"  # set by the API's token authentication for a curator-purpose token


class Action(StrEnum):
    VIEW = "view"  # read: a member of the object's organisation; shared data: a member of any organisation
    WRITE = "write"  # change: officer/admin of the object's organisation; shared data: officer/admin anywhere
    ADMINISTER = "administer"  # organisation admin; shared data (public lists, registry-wide rules): curator
    CURATE = "curate"  # the shared reference data itself: curator with a verified second factor
    REFRESH_LIST = "refresh_list"  # "refresh now": an admin of the list's organisation; a public list: an
    # admin of any organisation, or a curator (the fetch is guarded and throttled, the activation quarantined)
    IMPORT_LIST = "import_list"  # upload a list file (an offline import): the same people as ADMINISTER. A file
    # is not the publisher's download: on a public list it would change every organisation's screening, so
    # only a verified curator; an in-house list, its organisation's admins
    VERIFY_AUDIT = "verify_audit"  # the audit chain spans organisations: an admin anywhere, or a curator
    GRANT_CURATOR = "grant_curator"  # superusers only


class Denied(ApplicationError):
    """The policy refused the action (403 in the API and on pages); the message says what role is needed."""

    def __init__(self, message: str):
        super().__init__(message, code="forbidden")


def policy_organization_id(obj: Any) -> int | None:
    """The organisation an object belongs to, or None for shared reference data. Models whose organisation
    is not a direct field say which it is with a `policy_organization()` method (equipment: its site's)."""
    if obj is None:
        return None
    resolver = getattr(obj, "policy_organization", None)
    if callable(resolver):
        return resolver()
    return getattr(obj, "organization_id", None)


def is_curator(user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, _CURATOR_ATTR, None)
    if cached is None:
        cached = Curator.objects.filter(user_id=user.pk).exists()
        setattr(user, _CURATOR_ATTR, cached)
    return cached


def _otp_verified(user) -> bool:
    verified = getattr(user, "is_verified", None)  # set on the request's user by django-otp's middleware
    return bool(callable(verified) and verified())


def second_factor_verified(user) -> bool:
    """A web session verified by a TOTP device (django-otp's `is_verified`), or a request authenticated by an
    API token made for elevated work (marked by the token authentication with `mark_elevated`)."""
    return bool(getattr(user, _ELEVATED_ATTR, False)) or _otp_verified(user)


def session_second_factor_verified(user) -> bool:
    """Only a TOTP-verified web session (not a token): what may create a curator token."""
    return _otp_verified(user) and not getattr(user, _ELEVATED_ATTR, False)


def mark_elevated(user) -> None:
    """Called by the API's token authentication only, for an unexpired curator-purpose token."""
    setattr(user, _ELEVATED_ATTR, True)


def may_curate(user) -> bool:
    return is_curator(user) and second_factor_verified(user)


def _deny_curate(user) -> str:
    if not is_curator(user):
        return "Only a registry curator may change data shared by every organisation."
    return ("Curator powers need a verified second factor: verify your authenticator code (Account, Verify) "
            "or use a short-lived curator token.")


def _decide(user, action: Action, organization_id: int | None) -> str | None:
    """None when allowed; otherwise the reason shown to the user."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "Sign in first."
    if action == Action.GRANT_CURATOR:
        return None if user.is_superuser else "Only a superuser may grant the curator role."
    if action == Action.CURATE:
        return None if may_curate(user) else _deny_curate(user)
    roles = member_roles(user)
    if action == Action.VERIFY_AUDIT:
        if Role.ADMIN in roles.values() or may_curate(user):
            return None
        return "Only organisation administrators (or curators) may verify the audit trail."
    if action == Action.REFRESH_LIST and organization_id is None:
        if Role.ADMIN in roles.values() or may_curate(user):
            return None
        return "Only organisation administrators (or curators) may refresh a public list."
    if organization_id is None:  # shared reference data
        if action == Action.VIEW:
            return None if roles or is_curator(user) else "You are not a member of any organisation."
        if action == Action.WRITE:
            if any(role in WRITE_ROLES for role in roles.values()) or may_curate(user):
                return None
            return "Your role does not allow this."
        if action in (Action.ADMINISTER, Action.IMPORT_LIST):
            return None if may_curate(user) else _deny_curate(user)
    else:
        role = roles.get(organization_id)
        if role is None:
            return "No such object in your organisations."
        if action == Action.VIEW:
            return None
        if action == Action.WRITE:
            return None if role in WRITE_ROLES else "Your role in this organisation is read-only."
        if action in (Action.ADMINISTER, Action.REFRESH_LIST, Action.IMPORT_LIST):
            return None if role == Role.ADMIN else "Only an administrator of this organisation may do this."
    raise ValueError(f"Unknown action {action!r}")  # a wiring error, never a silent allow


def denial_reason(user, action: Action | str, *, organization_id: int | None) -> str | None:
    """None when allowed; otherwise why not, in words for the user (the API's 403 message)."""
    return _decide(user, Action(action), organization_id)


def allowed(user, action: Action | str, obj: Any = None, *, organization_id: int | None | object = ...) -> bool:
    """Whether `user` may do `action` on `obj` (or, without an object, in `organization_id`; None = shared)."""
    org = policy_organization_id(obj) if organization_id is ... else organization_id
    return _decide(user, Action(action), org) is None


def require(user, action: Action | str, obj: Any = None, *, organization_id: int | None | object = ...) -> None:
    """Raise `Denied` (code "forbidden") unless allowed. A member who may not even see the object's organisation
    gets "not_found", as for a missing object, so ids of other organisations reveal nothing."""
    org = policy_organization_id(obj) if organization_id is ... else organization_id
    reason = _decide(user, Action(action), org)
    if reason is None:
        return
    if org is not None and org not in member_roles(user):
        raise ApplicationError("No such object in your organisations.", code="not_found")
    raise Denied(reason)


def authorize(actor, action: Action | str, obj: Any = None, *, organization_id: int | None | object = ...) -> None:
    """`require` for write services: `actor` is the signed-in person the request acts for; None means the
    registry itself (a beat task, a management command, the demo loader), which callers outside the code
    base cannot reach (every view passes `request.user`)."""
    if actor is None:
        return
    require(actor, action, obj, organization_id=organization_id)


def organization_ids(user, action: Action | str) -> list[int]:
    """The organisations in which `user` may do `action` on organisation-owned objects."""
    action = Action(action)
    return sorted(org for org in member_roles(user) if _decide(user, action, org) is None)
