"""Filters over organisations and memberships, and the request-scoping helpers every FilterSet uses.

FilterSets are shared by the API and the web UI. Pass ``request=request`` when building one: choice
filters that name organisation-owned objects (site, organisation) only offer, and only accept, objects of
the organisations the requesting user belongs to, so another organisation's ids never validate.
"""
from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import QuerySet

from .choices import Role
from .models import Membership, Organization, User

_CACHE_ATTR = "_vr_member_roles"


def member_roles(user: User | None) -> dict[int, str]:
    """{organisation id: role} of the user, read once per user object (so once per request)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = dict(Membership.objects.filter(user=user).values_list("organization_id", "role"))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def member_roles_prime(user: User, roles: dict[int, str]) -> None:
    """Give `member_roles` what a caller already read (the web reads the memberships with their organisations)."""
    setattr(user, _CACHE_ATTR, dict(roles))


def member_organization_ids(user: User | None, *, roles=None) -> list[int]:
    """Ids of the user's organisations (optionally only those where the user has one of `roles`)."""
    return sorted(org for org, role in member_roles(user).items() if roles is None or role in roles)


def request_organization_ids(request) -> list[int]:
    return member_organization_ids(getattr(request, "user", None)) if request is not None else []


def scoped_organizations(request) -> QuerySet[Organization]:
    return Organization.objects.filter(id__in=request_organization_ids(request))


class OrganizationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains")

    class Meta:
        model = Organization
        fields = ["kind", "country"]


class MembershipFilterSet(django_filters.FilterSet):
    organization = django_filters.ModelMultipleChoiceFilter(distinct=False, queryset=scoped_organizations)
    role = django_filters.MultipleChoiceFilter(distinct=False, choices=Role.choices)

    class Meta:
        model = Membership
        fields = ["organization", "role"]


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time, normalised to UTC. Offsets beyond ±14 hours and instants outside the years
    1-9999 once in UTC are refused (PostgreSQL would refuse them mid-query)."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        offset = value.utcoffset()
        if offset is not None and abs(offset) > dt.timedelta(hours=14):
            raise forms.ValidationError("The time zone offset is out of range (at most ±14:00).", code="invalid")
        try:
            return value.astimezone(dt.UTC) if offset is not None else value
        except OverflowError as exc:
            raise forms.ValidationError("The date is out of range.", code="invalid") from exc


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
