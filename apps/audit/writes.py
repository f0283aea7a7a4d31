"""Shared write helpers: lock, validate, save, record the change. Domain services build on these.

Lock order of every audited write
---------------------------------
Every service that writes an audited row takes its locks in this one order, so two writers can wait for each
other but never in a cycle (a cycle is a deadlock: PostgreSQL aborts one of them, the user saw a 500):

1. **The rows being changed**, re-read with ``row_lock()`` (``SELECT ... FOR UPDATE`` for a delete, ``FOR NO
   KEY UPDATE`` for an update, which still lets other writers insert children that reference the row). A
   parent before its children (a unit before its components); rows of one kind in primary-key order.
2. **The derived rows the write keeps exact**: the site rows behind the ``SiteEquipmentCount`` tally (``FOR
   NO KEY UPDATE``, in primary-key order), locked by the recount a unit's save or delete triggers
   (apps.inventory.signals), and the risk status hooks that run after it in the same transaction.
3. **The audit chain** (one advisory lock for the whole table) **last**: services run inside
   ``write_transaction()`` (apps.audit.services.audited_transaction), where ``audit_record()`` only queues its
   event; the outermost block appends the queued events as its last statement, just before commit.

Why the chain lock last: it is the one lock every audited write shares, so holding it while waiting for a row
would make every writer wait behind one slow row (and, with a writer holding the row and waiting for the
chain, deadlock). Taken last it is held only for the append and the commit, a few milliseconds, and it keeps
the order the rest of the code base already follows (a service writes its rows, then records its event).
Events queued are still appended in the writing transaction: the chain and the write commit together or not
at all.
"""
from __future__ import annotations

from typing import Any, TypeVar

from django.db import models, transaction

from apps.audit.services import audit_jsonable, audit_record, audited_transaction, changes_between, model_snapshot
from apps.common.exceptions import ApplicationError

M = TypeVar("M", bound=models.Model)

write_transaction = audited_transaction


def apply_fields(instance: M, data: dict) -> M:
    """Set attributes from a dict of validated input (update services)."""
    for key, value in data.items():
        setattr(instance, key, value)
    return instance


def not_found(model: type[models.Model]) -> ApplicationError:
    """The error for a row that is gone (deleted by another request): the API answers 404, the web too."""
    return ApplicationError(f"This {model._meta.verbose_name} no longer exists.", code="not_found")


def row_lock(model: type[M], pk: Any, *, for_delete: bool = False) -> M:
    """Step 1 of the lock order: the row `pk` of `model`, re-read under a row lock in the current transaction.

    FOR UPDATE before a delete, FOR NO KEY UPDATE before an update (inserts of rows that reference it still
    proceed). Only this table's row is locked (no joined rows). Raises ApplicationError(code="not_found") when
    the row no longer exists, e.g. another request deleted it while this one waited for the lock."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("row_lock() must run inside the writing transaction.")
    row = model._default_manager.select_for_update(no_key=not for_delete).filter(pk=pk).first()
    if row is None:
        raise not_found(model)
    return row


def _audit_identity(instance: models.Model) -> dict[str, str]:
    return {"object_type": instance._meta.label_lower, "object_id": str(instance.pk),
            "object_repr": str(instance)[:300]}


@audited_transaction()
def model_save_audited(instance: M, *, actor=None, organization_id: int | None = None) -> M:
    """full_clean() (fields, clean(), constraints), save, and record an audit event with before/after.

    For new rows. Updates of existing rows go through model_update_audited (locked re-read, changed fields
    only); an existing instance given here is saved whole, its "before" read under a row lock.
    Raises django.core.exceptions.ValidationError by field; nothing is written then.
    """
    creating = instance._state.adding
    before = {} if creating else model_snapshot(row_lock(type(instance), instance.pk))
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


@audited_transaction()
def model_update_audited(instance: M, fields: dict[str, Any], *, actor=None, organization_id: int | None = None,
                         reason: str = "") -> tuple[M, dict[str, Any]]:
    """Apply `fields` to the row of `instance`, re-read under a row lock: returns (the locked row, changes).

    Only the fields whose value differs from the locked row are saved (`save(update_fields=...)`), so an
    update of one field never writes back another field from a copy read before a concurrent write. The audit
    event's "before" values are the locked row's. Nothing changed: nothing is saved and no event is recorded
    (changes is empty). Raises ApplicationError(code="not_found") when the row is gone, ValidationError when
    the result is invalid (nothing is written then). `reason` (why: e.g. the data call a fact came from) goes on
    the audit event as `change_reason` ([None, reason], the changes' shape) and on the history row."""
    model = type(instance)
    row = row_lock(model, instance.pk)
    names = {f.attname: f.name for f in model._meta.concrete_fields}
    before = {attname: getattr(row, attname) for attname in names}
    apply_fields(row, fields)
    # Compared as Python values (Decimal("20") equals the stored Decimal("20.000")), recorded as JSON.
    if all(getattr(row, attname) == before[attname] for attname in names):
        return row, {}
    row.full_clean()  # may normalise a value back to the stored one (e.g. a name's spaces)
    changed = [attname for attname in names if getattr(row, attname) != before[attname]]
    if not changed:
        return row, {}
    changes = changes_between(audit_jsonable({a: before[a] for a in changed}), model_snapshot(row, changed))
    if actor is not None and getattr(actor, "is_authenticated", False):
        row._history_user = actor
    if reason:
        row._change_reason = reason[:100]  # simple-history's history_change_reason (100 characters)
    update_fields = {names[attname] for attname in changed}
    update_fields |= {f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)}
    row.save(update_fields=sorted(update_fields))
    audit_record(action=f"{model._meta.model_name}.update", actor=actor, obj=row, organization_id=organization_id,
                 changes={**changes, "change_reason": [None, reason]} if reason else changes)
    return row, changes


@audited_transaction()
def model_delete_audited(instance: models.Model, *, actor=None, organization_id: int | None = None) -> None:
    """Delete the row of `instance` (locked and re-read first) and record one event with its last values.

    Raises ApplicationError(code="not_found") when another request deleted it first: one delete, one event."""
    row = row_lock(type(instance), instance.pk, for_delete=True)
    before = model_snapshot(row)
    identity = _audit_identity(row)
    if actor is not None and getattr(actor, "is_authenticated", False):
        row._history_user = actor
    row.delete()
    audit_record(action=f"{row._meta.model_name}.delete", actor=actor, organization_id=organization_id,
                 changes=changes_between(before, {}), **identity)
