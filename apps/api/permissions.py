"""Who may do what through the API: DRF's side of apps.accounts.policies.

Reads: any member of at least one organisation (or a curator); querysets are scoped to the user's
organisations, so another organisation's objects answer 404 and never appear. Writes: the policy action of the
view (`policy_actions` by DRF action name; else ADMINISTER for views whose `write_roles` are the admins, WRITE
otherwise) must be allowed in the object's organisation, or for shared reference data (no organisation) as the
policy says (writers anywhere; curators with a verified second factor for ADMINISTER).
"""
from __future__ import annotations

from rest_framework import permissions

from apps.accounts.choices import WRITE_ROLES, Role
from apps.accounts.filtersets import member_organization_ids, member_roles
from apps.accounts.policies import Action, denial_reason, is_curator, organization_ids

ADMIN_ROLES = frozenset({Role.ADMIN})


def user_write_organization_ids(user, roles=WRITE_ROLES) -> list[int]:
    return member_organization_ids(user, roles=roles)


def view_action(view) -> Action:
    """The policy action a write through `view` needs."""
    name = getattr(view, "action", None)
    actions = getattr(view, "policy_actions", None) or {}
    if name in actions:
        return actions[name]
    return Action.ADMINISTER if getattr(view, "write_roles", WRITE_ROLES) == ADMIN_ROLES else Action.WRITE


class IsMemberWithRole(permissions.BasePermission):
    """Members read; writes are decided by apps.accounts.policies for the object's organisation."""

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if not member_roles(user) and not is_curator(user):
            self.message = "You are not a member of any organisation."
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk")
        if getattr(view, "kwargs", {}).get(lookup) is not None:
            # A write to one object: decided per object, after the scoped lookup, so another
            # organisation's object answers 404 rather than 403.
            return True
        action = view_action(view)
        if organization_ids(user, action):
            return True
        if getattr(view, "organization_field", None) is not None:  # an organisation's data: a role there
            return False
        reason = denial_reason(user, action, organization_id=None)  # shared reference data
        self.message = reason or self.message
        return reason is None

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        org_id = view.object_organization_id(obj) if hasattr(view, "object_organization_id") else None
        reason = denial_reason(request.user, view_action(view), organization_id=org_id)
        self.message = reason or self.message
        return reason is None
