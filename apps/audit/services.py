"""Recording audit events and checking the keyed hash chain (and the signed checkpoints outside the database)."""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from .checkpoints import Checkpoint, CheckpointInvalid, audit_checkpoints_read
from .context import request_id, request_ip
from .keys import AuditKeyMissing, signing_key, verification_key
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


# Domain separation: an event's MAC can never be replayed as a checkpoint's, or the reverse.
_EVENT_MAC_CONTEXT = b"vendorrisk.audit.event.v1\n"


def _event_hash(prev_hash: str, event: AuditEvent, key: bytes | None = None) -> str:
    """HMAC-SHA256 under the event's key (its key id is inside the MAC, so a row cannot be relabelled to another
    key); a legacy row (no key id) keeps its unkeyed sha256. Raises AuditKeyMissing for an unknown key id."""
    if not event.key_id:
        return hashlib.sha256((prev_hash + _canonical(event)).encode()).hexdigest()
    key = key if key is not None else verification_key(event.key_id)
    message = _EVENT_MAC_CONTEXT + f"{event.key_id}\n{prev_hash}{_canonical(event)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


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
    """Link, sign and save `events` at the end of the chain, under the chain lock (held until commit).

    The signing key is looked up first: without one (ImproperlyConfigured) nothing is written, the caller's
    transaction fails, and no unkeyed event can join the chain."""
    key_id, key = signing_key()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        prev = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
        for event in events:
            event.prev_hash = prev
            event.key_id = key_id
            event.hash = _event_hash(prev, event, key)
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
    """The outcome of a verification. `reason` names the first problem (and, for tampering a checkpoint proves,
    that checkpoint); `legacy` counts the unkeyed events from before the keys among those checked."""

    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str = ""
    legacy: int = 0
    checkpoints: int = 0
    since_id: int = 0
    last_id: int | None = None
    complete: bool = True


def _describe(cp: Checkpoint) -> str:
    return (f"checkpoint of {cp.created_at} (line {cp.line}, key {cp.key_id!r}: event {cp.last_id}, "
            f"hash {cp.last_hash[:12]}..., {cp.count} events)")


def audit_chain_verify(*, since_id: int | None = None, limit: int | None = None, chunk_size: int = 5000,
                       checkpoint_dir=None) -> ChainVerdict:
    """Walk the chain in id order (all of it, or `limit` events after `since_id`) and report the first problem.

    Each event must link to the one before and carry a valid MAC under its recorded key (a key id that is not
    configured fails closed). Legacy unkeyed events are accepted only before the first keyed one and up to the
    last legacy id the checkpoints signed: relabelling keyed rows as legacy to recompute them is refused.
    Every signed checkpoint in range is compared with the chain: its head event must exist with the same hash
    and, when the walk starts at the genesis, the same number of events before it. A checkpoint ahead of the
    chain's end proves that events were deleted from the end, which the chain alone cannot show."""
    since = max(int(since_id or 0), 0)
    verdict = ChainVerdict(True, 0, since_id=since)

    def broken(event_id: int | None, reason: str) -> ChainVerdict:
        verdict.ok, verdict.first_broken_id, verdict.reason = False, event_id, reason
        return verdict

    try:
        checkpoints = audit_checkpoints_read(checkpoint_dir)
    except (CheckpointInvalid, AuditKeyMissing) as exc:
        return broken(None, f"checkpoint file: {exc}")
    legacy_until = min((cp.legacy_until_id for cp in checkpoints), default=None)

    prev, keyed_seen = GENESIS_HASH, False
    if since:
        anchor = AuditEvent.objects.filter(id__lte=since).order_by("-id").only("id", "hash", "key_id").first()
        if anchor is not None:
            prev, keyed_seen = anchor.hash, bool(anchor.key_id)
        # The newest checkpoint at or before the window (one row read, whatever the number of checkpoints):
        # its head row must still be there, unchanged. Older ones are the full walk's job.
        before = max((cp.last_id for cp in checkpoints if cp.last_id <= since), default=0)
        for cp in checkpoints:
            if 0 < cp.last_id == before:
                head = AuditEvent.objects.filter(id=cp.last_id).values_list("hash", flat=True).first()
                if head is None:
                    if not AuditEvent.objects.filter(id__gt=cp.last_id).exists():
                        return broken(cp.last_id, f"events deleted from the end: event {cp.last_id} signed by the "
                                                  f"{_describe(cp)} and every later event are gone")
                    return broken(cp.last_id, f"event {cp.last_id} signed by the {_describe(cp)} is missing")
                if head != cp.last_hash:
                    return broken(cp.last_id, f"event {cp.last_id} was rewritten: its hash differs from the "
                                              f"{_describe(cp)}")
                verdict.checkpoints += 1
    counting = since == 0  # event counts are only known when the walk starts at the genesis
    pending = sorted((cp for cp in checkpoints if cp.last_id > since), key=lambda cp: cp.last_id)
    legacy_total = 0
    queryset = AuditEvent.objects.filter(id__gt=since).order_by("id")
    if limit is not None:
        queryset = queryset[:limit]
    for event in queryset.iterator(chunk_size=chunk_size):
        if pending and pending[0].last_id < event.id:
            cp = pending[0]
            return broken(cp.last_id, f"event {cp.last_id} signed by the {_describe(cp)} is missing")
        if event.prev_hash != prev:
            return broken(event.id, "prev_hash does not match the previous event's hash")
        if not event.key_id:
            if keyed_seen:
                return broken(event.id, "an unkeyed (legacy) event after keyed ones: rewritten without the key")
            if legacy_until is not None and event.id > legacy_until:
                return broken(event.id, f"an unkeyed (legacy) event after the last legacy event ({legacy_until}) "
                                        "the checkpoints signed: rewritten without the key")
            verdict.legacy += 1
        keyed_seen = keyed_seen or bool(event.key_id)
        try:
            expected = _event_hash(prev, event)
        except AuditKeyMissing as exc:
            return broken(event.id, f"cannot verify: {exc}")
        if not hmac.compare_digest(expected, event.hash):
            return broken(event.id, "content does not match its hash")
        prev = event.hash
        verdict.checked += 1
        verdict.last_id = event.id
        legacy_total += not event.key_id
        while pending and pending[0].last_id == event.id:
            cp = pending.pop(0)
            if cp.last_hash != event.hash:
                return broken(event.id, f"event {event.id} was rewritten: its hash differs from the {_describe(cp)}")
            if counting and (cp.count != verdict.checked or cp.legacy_count != legacy_total):
                return broken(event.id, f"the chain has {verdict.checked} events ({legacy_total} legacy) up to event "
                                        f"{event.id}, the {_describe(cp)} signed {cp.legacy_count} legacy: "
                                        "events were removed or inserted before it")
            verdict.checkpoints += 1
    if limit is not None and verdict.checked >= limit:
        verdict.complete = not AuditEvent.objects.filter(id__gt=verdict.last_id or since).exists()
    if verdict.complete and pending:
        cp = pending[-1]
        end = verdict.last_id or since
        return broken(cp.last_id, f"events deleted from the end: the chain ends at event {end or 'none'} but the "
                                  f"{_describe(cp)} is ahead of it")
    return verdict


def audit_tail_start(checkpoint_dir=None) -> int:
    """Where a bounded verification starts by default: the newest checkpoint's head (0 without one, or when the
    checkpoint file does not verify, so the verification itself reports why)."""
    try:
        checkpoints = audit_checkpoints_read(checkpoint_dir)
    except (CheckpointInvalid, AuditKeyMissing):
        return 0
    return checkpoints[-1].last_id if checkpoints else 0


def model_snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of an instance, for before/after in an event."""
    names = fields or [f.attname for f in instance._meta.concrete_fields]
    return _jsonable({name: getattr(instance, name) for name in names})


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Only the fields that differ, as {field: [before, after]}."""
    keys = set(before) | set(after)
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}
