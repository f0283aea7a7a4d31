"""Loading a version's entries: parsed entries written in batches (COPY on PostgreSQL, executemany
elsewhere), delta files applied to the previous version, and the raw files stored compressed as evidence."""
from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.core.files import File
from django.db import IntegrityError, connection, transaction

from apps.common.exceptions import ApplicationError

from ..choices import EntryType
from ..models import FetchRun, ListEntry, ListSource, ListVersion
from .leases import _lease_renew
from .runs import _run_update

BATCH_SIZE = 5000
_ENTRY_TYPES = set(EntryType.values)

_COLUMNS = ("version_id", "external_id", "entry_type", "primary_name", "aliases", "sub_list", "programs",
            "countries", "addresses", "identifiers", "listed_on", "end_date", "remarks", "source_url",
            "parent_name", "scope", "scope_categories", "extra", "content_hash")

_TEXT_COLUMNS = ("external_id", "entry_type", "primary_name", "aliases", "sub_list", "programs", "countries",
                 "addresses", "identifiers", "remarks", "source_url", "parent_name", "scope", "extra",
                 "content_hash")


def _clean(value: str, limit: int | None = None) -> str:
    value = (value or "").replace("\x00", "")
    return value[:limit] if limit else value


def _entry_row(entry) -> tuple:
    """ParsedEntry -> column values after version_id, in _COLUMNS order: text cut to the column sizes, JSON
    as text, dates as ISO strings (the hash is over the parser's full content)."""
    external_id = _clean(str(entry.external_id), 128)
    if not external_id:
        from ..sources.base import ParseError

        raise ParseError(f"An entry has no external id (name {entry.primary_name!r}).")
    dumps = json.dumps
    return (
        external_id,
        entry.entry_type if entry.entry_type in _ENTRY_TYPES else EntryType.OTHER,
        _clean(entry.primary_name, 1000),
        dumps(list(entry.aliases or []), ensure_ascii=False),
        _clean(entry.sub_list, 120),
        dumps(list(entry.programs or []), ensure_ascii=False),
        dumps(list(entry.countries or []), ensure_ascii=False),
        dumps(list(entry.addresses or []), ensure_ascii=False),
        dumps(list(entry.identifiers or []), ensure_ascii=False, default=str),
        entry.listed_on.isoformat() if entry.listed_on else None,
        entry.end_date.isoformat() if entry.end_date else None,
        _clean(entry.remarks),
        _clean(entry.source_url, 1000),
        _clean(entry.parent_name, 500),
        _clean(entry.scope),
        None if entry.scope_categories is None else dumps(list(entry.scope_categories)),
        dumps(dict(entry.extra or {}), ensure_ascii=False, default=str),
        entry.content_hash(),
    )


class _EntryWriter:
    """Buffers entries and writes them in batches: COPY on PostgreSQL, executemany on SQLite (the ORM's
    bulk_create costs more than the parse).

    A batch with a duplicate external id is re-inserted with ON CONFLICT DO NOTHING (first one wins) and the
    number skipped is counted, so one publisher glitch does not make the whole list unusable.
    """

    def __init__(self, version_id: int, on_batch: Callable[[int], None] | None = None):
        self.version_id = version_id
        self.on_batch = on_batch
        self.buffer: list[tuple] = []
        self.written = 0
        self.use_copy = connection.vendor == "postgresql"
        table = ListEntry._meta.db_table
        placeholders = ", ".join(["%s"] * len(_COLUMNS))
        self.insert_sql = f"INSERT INTO {table} ({', '.join(_COLUMNS)}) VALUES ({placeholders})"
        self.copy_sql = (f"COPY {table} ({', '.join(_COLUMNS)}) FROM STDIN WITH (FORMAT csv, "
                         f"FORCE_NOT_NULL ({', '.join(_TEXT_COLUMNS)}))")

    def add(self, entry) -> None:
        self.buffer.append(_entry_row(entry))
        if len(self.buffer) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        rows, self.buffer = self.buffer, []
        try:
            with transaction.atomic():
                self._write(rows)
        except (IntegrityError, connection.Database.IntegrityError):  # COPY raises the driver's error
            with transaction.atomic(), connection.cursor() as cur:
                cur.executemany(f"{self.insert_sql} ON CONFLICT (version_id, external_id) DO NOTHING",
                                [(self.version_id, *row) for row in rows])
        self.written += len(rows)
        if self.on_batch:
            self.on_batch(self.written)

    def _write(self, rows: list[tuple]) -> None:
        vid = self.version_id
        if not self.use_copy:
            with connection.cursor() as cur:
                cur.executemany(self.insert_sql, [(vid, *row) for row in rows])
            return
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerows((vid, *row) for row in rows)
        buf.seek(0)
        # The driver's own cursor raises the driver's errors: wrap them into django.db's, so a lost connection
        # during COPY is a DatabaseError (failed and retried) like in every other phase.
        with connection.cursor() as cur, connection.wrap_database_errors:
            cur.cursor.copy_expert(self.copy_sql, buf)


def _entries_load(*, version: ListVersion, source: ListSource, parser, paths: list[Path], run: FetchRun,
                  previous: ListVersion | None, delta: bool, lock_token: str | None) -> tuple[int, int]:
    expected = previous.entry_count if previous is not None and previous.entry_count else 0

    def on_batch(written: int) -> None:
        progress = min(90, 2 + int(88 * written / expected)) if expected else min(90, 2 + written // 2000)
        _run_update(run, progress=progress, message=f"{written} entries parsed", counts={"parsed": written})
        _lease_renew(source.pk, lock_token)

    writer = _EntryWriter(version.pk, on_batch)
    if not delta:
        parsed = 0
        for entry in parser.parse(paths):
            writer.add(entry)
            parsed += 1
        writer.flush()
        return parsed, parsed - ListEntry.objects.filter(version=version).count()

    if previous is None:
        raise ApplicationError("A delta file needs a previous active version to apply to; import a full file first.",
                               code="delta_without_base")
    if not hasattr(parser, "parse_delta"):
        raise ApplicationError(f"Format {parser.FORMAT} has no delta support.", code="no_delta")
    state: dict[str, object | None] = {}  # external id -> entry (ADD/MOD) or None (DEL); the last op wins
    for op, item in parser.parse_delta(paths):
        if op == "DEL":
            state[str(item)] = None
        elif op in ("ADD", "MOD"):
            state[str(item.external_id)] = item
        else:
            raise ApplicationError(f"Unknown delta operation {op!r}.", code="bad_delta")
    for entry in state.values():
        if entry is not None:
            writer.add(entry)
    writer.flush()
    table = ListEntry._meta.db_table
    cols = ", ".join(c for c in _COLUMNS if c != "version_id")
    deleted = [key[:128] for key, value in state.items() if value is None]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (version_id, {cols}) SELECT %s, {cols} FROM {table} p "  # noqa: S608 - fixed names
            f"WHERE p.version_id = %s AND NOT EXISTS (SELECT 1 FROM {table} n "
            f"WHERE n.version_id = %s AND n.external_id = p.external_id)",
            [version.pk, previous.pk, version.pk],
        )
        for i in range(0, len(deleted), 500):
            ListEntry.objects.filter(version=version, external_id__in=deleted[i:i + 500]).delete()
    return len(state), 0


def _raw_store(version: ListVersion, paths: list[Path]) -> None:
    """Keep the original bytes as evidence: file.gz for one file, raw.tar.gz for a set."""
    with tempfile.TemporaryDirectory() as tmp:
        if len(paths) == 1:
            name = f"{version.source.code}-{version.pk}-{paths[0].name}.gz"
            target = Path(tmp) / name
            with open(paths[0], "rb") as src, gzip.open(target, "wb", compresslevel=6) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        else:
            name = f"{version.source.code}-{version.pk}-raw.tar.gz"
            target = Path(tmp) / name
            with tarfile.open(target, "w:gz", compresslevel=6) as tar:
                for path in paths:
                    tar.add(path, arcname=path.name)
        with open(target, "rb") as fh:
            version.raw_file.save(name, File(fh), save=False)
    ListVersion.objects.filter(pk=version.pk).update(raw_file=version.raw_file.name)
