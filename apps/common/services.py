"""Shared write helpers: validate, save, record the change. Domain services build on these."""
from __future__ import annotations

from typing import TypeVar

from django.db import models, transaction

from apps.audit.services import audit_record, changes_between, model_snapshot

M = TypeVar("M", bound=models.Model)


def apply_fields(instance: M, data: dict) -> M:
    """Set attributes from a dict of validated input (update services)."""
    for key, value in data.items():
        setattr(instance, key, value)
    return instance


@transaction.atomic
def model_save_audited(instance: M, *, actor=None, organization_id: int | None = None) -> M:
    """full_clean() (fields, clean(), constraints), save, and append an audit event with before/after.

    Raises django.core.exceptions.ValidationError by field; nothing is written then.
    """
    creating = instance._state.adding
    before = {} if creating else model_snapshot(type(instance).objects.get(pk=instance.pk))
    instance.full_clean()
    if actor is not None and getattr(actor, "is_authenticated", False):
        instance._history_user = actor  # simple-history records who made the change
    instance.save()
    after = model_snapshot(instance)
    audit_record(
        action=f"{instance._meta.model_name}.{'create' if creating else 'update'}",
        actor=actor,
        obj=instance,
        organization_id=organization_id,
        changes=changes_between(before, after),
    )
    return instance


@transaction.atomic
def model_delete_audited(instance: models.Model, *, actor=None, organization_id: int | None = None) -> None:
    before = model_snapshot(instance)
    if actor is not None and getattr(actor, "is_authenticated", False):
        instance._history_user = actor
    audit_record(
        action=f"{instance._meta.model_name}.delete",
        actor=actor,
        obj=instance,
        organization_id=organization_id,
        changes=changes_between(before, {}),
    )
    instance.delete()
