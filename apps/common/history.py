"""History rows (django-simple-history) for many rows at once, written by the database.

`simple_history.utils.bulk_create_with_history` / `bulk_update_with_history` build one historical model instance
per row in Python and insert it field by field: for an evaluation creating 100,000 plans that is as much work as
the plans themselves. `history_copy` writes the same rows with one `INSERT ... SELECT` per chunk: each row's
current columns, copied by the database, with the date, type, user and change reason given.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection
from django.db.models import Model

HISTORY_FIELDS = ("history_id", "history_date", "history_change_reason", "history_type", "history_user_id")


def history_copy(model: type[Model], ids: Iterable[int], *, history_type: str, date: dt.datetime, user=None,
                 reason: str = "") -> int:
    """One history row per id of `model` (its tracked columns as they are now). `history_type`: "+" created,
    "~" changed. `user`: the actor, else the request's user as simple_history would take it (none in a worker).
    Returns the rows written. Inside the caller's transaction."""
    if history_type not in ("+", "~"):
        raise ValueError("history_type is '+' or '~'")
    history = model.history.model
    if user is None:
        user = history.get_default_history_user(None)
    user_id = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
    qn = connection.ops.quote_name
    tracked = [f.column for f in history._meta.concrete_fields if f.attname not in HISTORY_FIELDS]
    columns = ", ".join(qn(c) for c in tracked)
    head = (f"INSERT INTO {qn(history._meta.db_table)} ({columns}, {qn('history_date')}, "
            f"{qn('history_change_reason')}, {qn('history_type')}, {qn('history_user_id')}) "
            f"SELECT {columns}, %s, %s, %s, %s FROM {qn(model._meta.db_table)} WHERE {qn(model._meta.pk.column)}")
    ids = sorted({int(i) for i in ids})
    written = 0
    with connection.cursor() as cur:
        for start in range(0, len(ids), 5000):
            chunk = ids[start:start + 5000]
            if connection.vendor == "postgresql":
                cur.execute(f"{head} = ANY(%s)", [date, reason, history_type, user_id, chunk])
            else:
                cur.execute(f"{head} IN ({', '.join(['%s'] * len(chunk))})",
                            [date, reason, history_type, user_id, *chunk])
            written += cur.rowcount
    return written
