"""Authorisation failures into the audit chain, aggregated: a burst of refusals adds two events, not one each.

For one subject (a signed-in user; an anonymous caller's IP) and one kind of request (status, method, URL name):

* the **first** failure is chained as before (`authz.denied`, `access_denied_record`) and opens a window of
  `SECURITY_DENIAL_AUDIT_WINDOW` seconds;
* the **following** ones inside the window are counted in a `DenialWindow` row, with one atomic statement
  (`INSERT ... ON CONFLICT (key) DO UPDATE SET count = count + 1 ... WHERE closes_at > now RETURNING count`,
  PostgreSQL and SQLite alike): never a read-modify-write, so concurrent refusals are all counted;
* once the window has closed, **one summary** (`authz.denied.repeated`: "N further denials of X between t1 and
  t2") is chained, by the next failure of that kind (which then opens a new window) or by the periodic flush
  (`security.outbox_flush`, every minute), whichever comes first. The summary and the row's removal (or
  reset) commit together, under the row's lock, so a window is summarised exactly once.

Where the count lives. Until its summary is chained, the row is the only evidence of those failures, so it is
kept in the database, beside the chain, and never in the cache: `apps.common.cache` fails open (a Redis outage,
an eviction or a restart without persistence would silently drop counted refusals). A cache outage therefore
changes nothing here. If the counting itself fails (a database error on the window table), the failure is
chained on its own instead, as before the aggregation: evidence is never dropped for the sake of brevity.

Anonymous callers keep their per-IP cap (`SECURITY_ANON_DENIAL_AUDIT_PER_MINUTE`): it now limits the windows
an IP can open per minute (each costs one event, plus its summary); a refusal over the cap is logged only.
`SECURITY_DENIAL_AUDIT_WINDOW=0` chains every failure (the behaviour before the aggregation).
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from apps.audit.context import request_id as request_id_var
from apps.audit.context import request_ip as request_ip_var
from apps.audit.services import audit_record, audited_transaction

from .models import DenialWindow
from .ratelimit import rate_limit_hit
from .services import access_denied_record

logger = logging.getLogger("vendorrisk.security")

RECORDED, COUNTED, LOGGED = "recorded", "counted", "logged"


def denial_window_seconds() -> int:
    return max(int(getattr(settings, "SECURITY_DENIAL_AUDIT_WINDOW", 300)), 0)


def denial_kind(request, status: int) -> str:
    """What the refusal was about: status, method and the URL's name (so /vendors/1/ and /vendors/2/ are one
    kind), or the path when the URL did not resolve."""
    match = getattr(request, "resolver_match", None)
    route = (match.view_name if match is not None and match.view_name else "") or request.path
    return f"{status} {request.method} {route}"[:300]


def _subject(request) -> tuple[str, object | None, str]:
    """("user:<id>", user, ip) for a signed-in user, ("ip:<address>", None, ip) for an anonymous caller."""
    user = getattr(request, "user", None)
    ip = request.META.get("REMOTE_ADDR", "") or ""
    if getattr(user, "is_authenticated", False):
        return f"user:{user.pk}", user, ip
    return f"ip:{ip or '-'}", None, ip


def _anonymous_cap_allows(ip: str) -> bool:
    """At most SECURITY_ANON_DENIAL_AUDIT_PER_MINUTE chained first events per anonymous IP and minute."""
    cap = int(getattr(settings, "SECURITY_ANON_DENIAL_AUDIT_PER_MINUTE", 30))
    return rate_limit_hit(f"authz-audit:{ip or '-'}", limit=cap, window=60).allowed


def _log_uncapped(request, status: int) -> None:
    logger.warning("access denied (%s) %s %s from %s (not chained: anonymous flood cap)",
                   status, request.method, request.path, request.META.get("REMOTE_ADDR"))


def _window_count(*, key: str, subject: str, kind: str, actor, status: int, request, ip: str, now: datetime,
                  window: int) -> int | None:
    """One statement: open the window of `key` (count 0), or count one more failure in it while it is open.
    Returns the count after this failure (0: a new window, this failure is its first), or None when the
    window has closed and was not summarised yet - the row is then locked by this transaction."""
    q = connection.ops.quote_name
    table = q(DenialWindow._meta.db_table)
    columns = ["key", "subject", "kind", "actor_id", "actor_repr", "status", "method", "ip", "last_ip", "first_path",
               "last_path", "last_request_id", "count", "opened_at", "last_at", "closes_at"]
    path = request.path[:500]
    values = [key, subject[:100], kind, getattr(actor, "pk", None), actor.get_username()[:150] if actor else "",
              status, request.method[:16], ip or None, ip or None, path, path,
              (getattr(request, "request_id", "") or request_id_var.get() or "")[:64], 0, now, now,
              now + timedelta(seconds=window)]
    updates = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in ("last_at", "last_path", "last_ip", "last_request_id"))
    sql = (
        f"INSERT INTO {table} ({', '.join(q(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({q('key')}) DO UPDATE SET {q('count')} = {table}.{q('count')} + 1, {updates} "
        f"WHERE {table}.{q('closes_at')} > excluded.{q('last_at')} RETURNING {q('count')}"
    )
    with connection.cursor() as cur:
        cur.execute(sql, values)
        row = cur.fetchone()
    return None if row is None else int(row[0])


@contextmanager
def _as_recorded_by(row: DenialWindow) -> Iterator[None]:
    """A summary carries the window's IP and last request id, whoever chains it (a request or the beat)."""
    t1, t2 = request_ip_var.set(row.ip), request_id_var.set(row.last_request_id)
    try:
        yield
    finally:
        request_ip_var.reset(t1)
        request_id_var.reset(t2)


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _summary_record(row: DenialWindow) -> None:
    """Chain "N further denials of <kind> between <first> and <last>" for a closed window with a count."""
    actor = get_user_model().objects.filter(pk=row.actor_id).first() if row.actor_id else None
    what = row.kind.split(" ", 1)[1] if " " in row.kind else row.kind
    summary = f"{row.count} further denials of {what} between {_utc(row.opened_at)} and {_utc(row.last_at)}"
    with _as_recorded_by(row):
        audit_record(
            action="authz.denied.repeated",
            actor=actor,
            object_repr=summary[:300],
            changes={
                "count": row.count, "kind": row.kind, "subject": row.subject, "user_id": row.actor_id,
                "username": row.actor_repr, "status": row.status, "method": row.method,
                "first_event_id": row.first_event_id, "first_at": row.opened_at, "last_at": row.last_at,
                "window_seconds": int((row.closes_at - row.opened_at).total_seconds()),
                "first_path": row.first_path, "last_path": row.last_path, "ip": row.ip, "last_ip": row.last_ip,
            },
        )


def access_denied_audit(*, request, status: int, now: datetime | None = None) -> str:
    """Record one 401/403 answer: chained (RECORDED), counted in its subject's open window (COUNTED), or, for an
    anonymous caller over the per-IP cap, only logged (LOGGED). Never raises for a refusal it cannot count: a
    database error on the window table chains the failure on its own instead."""
    subject, actor, ip = _subject(request)
    window = denial_window_seconds()
    if not window:
        if actor is None and not _anonymous_cap_allows(ip):
            _log_uncapped(request, status)
            return LOGGED
        access_denied_record(request=request, status=status)
        return RECORDED
    now = now or timezone.now()
    kind = denial_kind(request, status)
    key = hashlib.sha256(f"{subject}\n{kind}".encode()).hexdigest()
    try:
        return _aggregate(request=request, status=status, now=now, window=window, key=key, subject=subject,
                          kind=kind, actor=actor, ip=ip)
    except DatabaseError:
        logger.exception("could not count the access denial on %s; chaining it on its own", request.path)
    access_denied_record(request=request, status=status)
    return RECORDED


def _aggregate(*, request, status: int, now: datetime, window: int, key: str, subject: str, kind: str, actor,
               ip: str) -> str:
    with transaction.atomic():
        closed = None
        for _ in range(2):
            count = _window_count(key=key, subject=subject, kind=kind, actor=actor, status=status, request=request,
                                  ip=ip, now=now, window=window)
            if count:
                return COUNTED
            if count == 0:
                break
            # The window closed and nobody summarised it yet: PostgreSQL locked its row for us (ON CONFLICT DO
            # UPDATE locks the conflicting row even when its WHERE is false). Gone anyway: count again.
            closed = DenialWindow.objects.select_for_update().filter(key=key).first()
            if closed is not None:
                break
        opening = actor is not None or _anonymous_cap_allows(ip)
        if closed is not None and closed.count:
            _summary_record(closed)
        rows = DenialWindow.objects.filter(key=key)
        if not opening:
            rows.delete()
            _log_uncapped(request, status)
            return LOGGED
        if closed is not None:  # reopen the row as this failure's window
            path = request.path[:500]
            rows.update(count=0, actor_repr=actor.get_username()[:150] if actor else "", ip=ip or None,
                        last_ip=ip or None, first_path=path, last_path=path, opened_at=now, last_at=now,
                        closes_at=now + timedelta(seconds=window), first_event_id=None,
                        last_request_id=(getattr(request, "request_id", "") or "")[:64])
        event = access_denied_record(request=request, status=status)
        rows.update(first_event_id=event.pk)
    return RECORDED


def denial_windows_flush(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Chain the summary of every closed window with a count and delete the closed windows; the number of
    summaries chained. Safe beside concurrent requests and a second beat: rows are claimed with SELECT ... FOR
    UPDATE SKIP LOCKED (a window a request is reopening is left to that request)."""
    now = now or timezone.now()
    with audited_transaction():
        rows = list(
            DenialWindow.objects.select_for_update(skip_locked=True).filter(closes_at__lte=now)
            .order_by("closes_at", "id")[:limit]
        )
        DenialWindow.objects.filter(pk__in=[row.pk for row in rows]).delete()
        summarised = [row for row in rows if row.count]
        for row in summarised:
            _summary_record(row)
    return len(summarised)
