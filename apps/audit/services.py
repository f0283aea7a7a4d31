"""Recording audit events and checking the hash chain."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from .context import request_id, request_ip
from .models import AuditEvent

GENESIS_HASH = "0" * 64
# Any constant; identifies the advisory lock that serialises appends to the chain on PostgreSQL.
_CHAIN_LOCK_KEY = 0x5645_4E44
# Events recorded inside audited_transaction(), appended to the chain at the end of the outermost one.
_queued: ContextVar[list[AuditEvent] | None] = ContextVar("audit_queued", default=None)


def _canonical(event: AuditEvent) -> str:
    payload = {
        "created_at": event.created_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_repr": event.actor_repr,
        "organization_id": event.organization_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "changes": event.changes,
        "ip": event.ip,
        "request_id": event.request_id,
    }
    return json.dumps(payload, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))


def _event_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + _canonical(event)).encode()).hexdigest()


def audit_jsonable(value: Any) -> Any:
    """`value` as it is stored in an event's JSON (dates, decimals and ids as DjangoJSONEncoder writes them)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, default=str))


_jsonable = audit_jsonable


def audit_record(
    *,
    action: str,
    actor=None,
    obj: models.Model | None = None,
    organization_id: int | None = None,
    changes: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """Append one event to the chain. Call inside the service's transaction so both commit together.

    Inside audited_transaction() the event is queued and appended (with its id and hash) when the outermost
    audited_transaction ends, still inside the transaction: the chain lock is then the last lock the
    transaction takes (see apps.audit.writes for the lock order)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:300]
    actor = actor if getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(
        created_at=timezone.now(),
        actor=actor,
        actor_repr=actor.get_username() if actor else "system",
        organization_id=organization_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:300],
        changes=_jsonable(changes or {}),
        ip=request_ip.get(),
        request_id=request_id.get() or "",
    )
    queued = _queued.get()
    if queued is not None:
        queued.append(event)
    else:
        _chain_append([event])
    return event


def _chain_append(events: list[AuditEvent]) -> None:
    """Link and save `events` at the end of the chain, under the chain lock (held until commit)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        prev = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
        for event in events:
            event.prev_hash = prev
            event.hash = _event_hash(prev, event)
            event.save()
            prev = event.hash


@contextmanager
def audited_transaction() -> Iterator[list[AuditEvent]]:
    """A transaction (or savepoint) whose audit events are appended to the chain as its last statement.

    The outermost block queues every audit_record() made inside it and appends them, in order, just before it
    commits, so the global chain lock is taken after every row lock of the write and held only for the append
    and the commit. A nested block that raises drops the events it queued (its savepoint rolls back their
    rows). Use it as a decorator (`@audited_transaction()`) or a `with` block; a plain transaction.atomic()
    savepoint rolled back around audited writes must itself be an audited_transaction."""
    with transaction.atomic():
        queued = _queued.get()
        if queued is not None:
            mark = len(queued)
            try:
                yield queued
            except BaseException:
                del queued[mark:]
                raise
            return
        queued = []
        token = _queued.set(queued)
        try:
            yield queued
        finally:
            _queued.reset(token)
        if queued:
            _chain_append(queued)


@dataclass
class ChainVerdict:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str = ""


def audit_chain_verify(*, chunk_size: int = 5000) -> ChainVerdict:
    """Walk the chain in id order and report the first event whose link or content does not match."""
    prev = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=chunk_size):
        if event.prev_hash != prev:
            return ChainVerdict(False, checked, event.id, "prev_hash does not match the previous event's hash")
        if _event_hash(prev, event) != event.hash:
            return ChainVerdict(False, checked, event.id, "content does not match its hash")
        prev = event.hash
        checked += 1
    return ChainVerdict(True, checked)


def model_snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of an instance, for before/after in an event."""
    names = fields or [f.attname for f in instance._meta.concrete_fields]
    return _jsonable({name: getattr(instance, name) for name in names})


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Only the fields that differ, as {field: [before, after]}."""
    keys = set(before) | set(after)
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}
