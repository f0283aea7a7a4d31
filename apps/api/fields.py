"""Related fields whose choices are limited to what the requesting user may attach."""
from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
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
