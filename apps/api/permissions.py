"""Who may do what through the API.

Reads: any member of at least one organisation; querysets are scoped to the user's organisations, so
another organisation's objects answer 404 and never appear. Writes: the role in the object's organisation
must be in the view's `write_roles` (officer and admin by default; admin only for list sources and
approvals). Shared reference data (vendors, lists) has no organisation: the role needed is then held in any
organisation.
"""
from __future__ import annotations

from rest_framework import permissions

from apps.accounts.choices import WRITE_ROLES, Role
from apps.accounts.filtersets import member_organization_ids, member_roles

ADMIN_ROLES = frozenset({Role.ADMIN})


def user_write_organization_ids(user, roles=WRITE_ROLES) -> list[int]:
    return member_organization_ids(user, roles=roles)


class IsMemberWithRole(permissions.BasePermission):
    """Members read; members with a role in `view.write_roles` write (in the object's organisation)."""

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        roles = member_roles(user)
        if not roles:
            self.message = "You are not a member of any organisation."
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk")
        if getattr(view, "kwargs", {}).get(lookup) is not None:
            # A write to one object: decided per object, after the scoped lookup, so another
            # organisation's object answers 404 rather than 403.
            return True
        write_roles = getattr(view, "write_roles", WRITE_ROLES)
        return any(role in write_roles for role in roles.values())

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        write_roles = getattr(view, "write_roles", WRITE_ROLES)
        org_id = view.object_organization_id(obj) if hasattr(view, "object_organization_id") else None
        roles = member_roles(request.user)
        if org_id is None:
            return any(role in write_roles for role in roles.values())
        return roles.get(org_id) in write_roles
