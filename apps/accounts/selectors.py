"""Reads about who may see and change what. Every organisation-scoped query goes through here."""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from .choices import Role
from .models import Membership, Organization, User


def organization_ids_for_user(user: User, *, roles: Iterable[str] | None = None) -> list[int]:
    """Ids of the organisations the user belongs to (optionally only with one of `roles`)."""
    if not user or not user.is_authenticated:
        return []
    qs = Membership.objects.filter(user=user)
    if roles is not None:
        qs = qs.filter(role__in=list(roles))
    return list(qs.values_list("organization_id", flat=True))


def organization_member_list(organization_id: int, *, roles: Iterable[str] | None = None) -> QuerySet[User]:
    """The organisation's members (optionally only with one of `roles`), by username: e.g. who may own a plan."""
    members = Membership.objects.filter(organization_id=organization_id)
    if roles is not None:
        members = members.filter(role__in=list(roles))
    return User.objects.filter(pk__in=members.values("user_id")).order_by("username")


def organization_list_for_user(user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(id__in=organization_ids_for_user(user)).order_by("name")


def membership_role(user: User, organization_id: int) -> str | None:
    """The user's role in the organisation, or None when the user is not a member."""
    if not user or not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=user, organization_id=organization_id).values_list("role", flat=True).first()
    )


def user_can_write(user: User, organization_id: int) -> bool:
    return membership_role(user, organization_id) in (Role.ADMIN, Role.OFFICER)


def user_is_admin(user: User, organization_id: int) -> bool:
    return membership_role(user, organization_id) == Role.ADMIN
