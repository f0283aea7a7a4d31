"""Bulk writes with PostgreSQL's COPY for the paths that write tens of thousands of rows at once (the equipment
import). The ORM's bulk_create spends most of its time in Python, preparing every field of every row through
the field machinery (profiled in docs/performance.md); here a row is a tuple in the column order, made by the
caller, with each model's defaults worked out once.

PostgreSQL only: callers keep their ORM path for other databases (`copy_supported()`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from django.db import connection, models

_CHUNK = 1 << 16


def copy_supported() -> bool:
    return connection.vendor == "postgresql"


def ids_reserve(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys from the table's own sequence (identity or serial), so rows written by COPY
    can carry their ids (and their history rows refer to them) without a round trip per row."""
    if count <= 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count])
        return [row[0] for row in cur.fetchall()]


def field_defaults(model: type[models.Model]) -> dict[str, object]:
    """attname -> the database value of the field's default (what an unsaved ``model()`` would write)."""
    proto = model()
    return {f.attname: f.get_db_prep_save(getattr(proto, f.attname), connection) for f in model._meta.concrete_fields}


def copy_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """COPY `rows` (tuples in `columns` order; None is NULL, '' an empty string, booleans and dates as Python
    values) into the model's table. Returns the number of rows. Runs in the caller's transaction."""
    text_columns = [
        f.column
        for f in model._meta.concrete_fields
        if f.column in columns and not f.null and isinstance(f, models.CharField | models.TextField)
    ]
    force = f", FORCE_NOT_NULL ({', '.join(text_columns)})" if text_columns else ""
    sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv{force})"
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    buf.seek(0)
    with connection.cursor() as cur, connection.wrap_database_errors:
        cur.cursor.copy_expert(sql, buf, size=_CHUNK)
    return count
