"""Who is looking, in which organisation, with which role: the web UI's one gate.

Every page goes through `org_view`: it resolves the organisation selected in the session (one of the
user's memberships, else the first), puts an `OrgAccess` on `request.access`, and refuses state-changing
methods to read-only roles (auditor, viewer) with 403. Pages then scope every query with
`request.access.organization_ids` (all of the user's organisations, for detail pages reached by link)
or `request.access.organization.pk` (the selected one, for lists and the dashboard).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.http import urlencode

from apps.accounts.choices import Role
from apps.accounts.filtersets import member_roles_prime
from apps.accounts.models import Membership, Organization
from apps.accounts.policies import Action, allowed
from apps.accounts.policies import organization_ids as policy_organization_ids
from apps.common.exceptions import ApplicationError

SESSION_KEY = "web_organization_id"
# What the 403 page shows (templates/403.html): the role a refused action needs, the user's own role beside it.
READ_ONLY_MESSAGE = ("Changing this needs the procurement officer or administrator role in this organisation; "
                     "your role here is read-only.")
ADMIN_ONLY_MESSAGE = "Only an administrator of this organisation may do this."
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class OrgAccess:
    """The user's memberships, the selected organisation and what the user may do there; every "may" asks
    apps.accounts.policies, as the API and the services do."""

    organization: Organization | None
    role: str | None
    roles: dict[int, str] = field(default_factory=dict)
    organizations: list[Organization] = field(default_factory=list)
    user: Any = None

    @property
    def organization_ids(self) -> list[int]:
        return list(self.roles)

    @property
    def can_write(self) -> bool:
        return self.organization is not None and self.can_write_in(self.organization.pk)

    @property
    def is_admin(self) -> bool:
        return self.organization is not None and self.is_admin_in(self.organization.pk)

    @property
    def role_label(self) -> str:
        """The selected organisation's role as people read it ("Auditor (read-only)")."""
        return str(Role(self.role).label) if self.role in Role.values else (self.role or "")

    def role_in(self, organization_id: int) -> str | None:
        return self.roles.get(organization_id)

    def can_write_in(self, organization_id: int) -> bool:
        return allowed(self.user, Action.WRITE, organization_id=organization_id)

    def is_admin_in(self, organization_id: int) -> bool:
        return allowed(self.user, Action.ADMINISTER, organization_id=organization_id)

    @property
    def admin_anywhere(self) -> bool:
        return bool(policy_organization_ids(self.user, Action.ADMINISTER))


def org_access_for(request: HttpRequest) -> OrgAccess:
    """One query: the user's memberships with their organisations; the session picks the selected one."""
    cached = getattr(request, "_web_access", None)
    if cached is not None:
        return cached
    memberships = list(
        Membership.objects.filter(user=request.user).select_related("organization").order_by("organization__name")
    )
    roles = {m.organization_id: m.role for m in memberships}
    member_roles_prime(request.user, roles)
    orgs = [m.organization for m in memberships]
    selected_id = request.session.get(SESSION_KEY)
    selected = next((o for o in orgs if o.pk == selected_id), orgs[0] if orgs else None)
    access = OrgAccess(
        organization=selected, role=roles.get(selected.pk) if selected else None, roles=roles, organizations=orgs,
        user=request.user,
    )
    request._web_access = access
    return access


def org_select(request: HttpRequest, organization_id: int) -> bool:
    """Remember the selected organisation; False when the user is not a member of it."""
    access = org_access_for(request)
    if organization_id not in access.roles:
        return False
    request.session[SESSION_KEY] = organization_id
    request._web_access = None
    return True


def org_scope(request: HttpRequest, organization_id: int) -> OrgAccess:
    """An object of organisation `organization_id` is being shown: 404 unless the user is a member; when it is
    another of the user's organisations, that one becomes the selected one (links from e-mails just work).
    State-changing requests are checked again against the role in that organisation."""
    access = org_access_for(request)
    if organization_id not in access.roles:
        raise Http404("No such object in your organisations.")
    if access.organization is None or access.organization.pk != organization_id:
        org_select(request, organization_id)
        access = org_access_for(request)
        request.access = access
    if request.method not in SAFE_METHODS and not access.can_write:
        raise PermissionDenied(READ_ONLY_MESSAGE)
    return access


def require_write(request: HttpRequest) -> None:
    """Pages that exist to change something (edit forms) are for officers and admins of the selected
    organisation, also when only looked at."""
    if not request.access.can_write:
        raise PermissionDenied(READ_ONLY_MESSAGE)


def org_view(view=None, *, write: bool = False, admin: bool = False, policy: bool = False):
    """Log-in required; `request.access` set. `write`: POST needs officer/admin in the selected organisation;
    `admin`: POST needs admin. Read-only roles get 403 on state-changing methods, except on `policy` views,
    which act on shared data under a registry-wide role (a curator's list decisions) and ask
    apps.accounts.policies themselves."""

    def decorator(fn):
        @functools.wraps(fn)
        def outer(request, *args, **kwargs):
            # An htmx request whose session expired: send the whole page to the login form, not a fragment.
            if not request.user.is_authenticated and getattr(request, "htmx", False):
                response = HttpResponse(status=204)
                back = request.htmx.current_url_abs_path or "/"
                response["HX-Redirect"] = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': back})}"
                return response
            return wrapped(request, *args, **kwargs)

        @login_required
        @functools.wraps(fn)
        def wrapped(request, *args, **kwargs):
            access = org_access_for(request)
            request.access = access
            if not access.roles:
                # Every page shows some organisation's data or the shared lists and vendors: a signed-in user
                # who belongs to no organisation sees none of it (403 with what to do), on every page alike.
                return render(request, "web/no_organization.html", status=403)
            if request.method not in SAFE_METHODS and not policy:
                if admin and not access.is_admin:
                    raise PermissionDenied(ADMIN_ONLY_MESSAGE)
                if not access.can_write:
                    raise PermissionDenied(READ_ONLY_MESSAGE)
            try:
                return fn(request, *args, **kwargs)
            except ApplicationError as exc:
                if exc.code == "not_found":  # e.g. deleted by another request meanwhile: 404, as the API
                    raise Http404(exc.message) from exc
                if exc.code == "forbidden":  # the policy refused (apps.accounts.policies): 403, as the API
                    raise PermissionDenied(exc.message) from exc
                raise

        outer.web_write = write
        return outer

    if view is not None:
        return decorator(view)
    return decorator
