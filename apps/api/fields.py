"""Related fields whose choices are limited to what the requesting user may attach, and the country code
field of every write."""
from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
from django_countries import countries
from rest_framework import serializers

from .permissions import user_write_organization_ids


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key accepted only if `scope(queryset, request)` keeps it: another organisation's id is
    refused exactly like an id that does not exist ("Invalid pk ... object does not exist")."""

    def __init__(self, *, scope: Callable[[QuerySet, object], QuerySet], **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        queryset = super().get_queryset()
        return self.scope(queryset, request) if request is not None else queryset.none()


def writable_by_organization(path: str = "organization_id"):
    """Scope for objects in organisations where the user holds a writing role."""

    def scope(queryset: QuerySet, request) -> QuerySet:
        return queryset.filter(**{f"{path}__in": user_write_organization_ids(request.user)})

    return scope


# (ISO 3166-1 alpha-2 code, English name); one `CountryEnum` in the schema (ENUM_NAME_OVERRIDES in settings).
COUNTRY_CHOICES = [(code, name) for code, name in countries]


class CountryCodeField(serializers.ChoiceField):
    """An ISO 3166-1 alpha-2 code (any case: `cn` is CN); the schema lists the codes.

    A plain two-character CharField let through text that django-countries cannot read once set on a model:
    a superscript digit ("²") passes `str.isdigit()` but not `int()`, and the service's `full_clean()`
    crashed with a 500 instead of refusing the value."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "ISO 3166-1 alpha-2 code, e.g. CN.")
        super().__init__(choices=COUNTRY_CHOICES, **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(data.strip().upper() if isinstance(data, str) else data)
