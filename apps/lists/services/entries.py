"""Loading a version's entries: parsed entries streamed into COPY on PostgreSQL (executemany batches
elsewhere), delta files applied to the previous version, and the raw files stored compressed as evidence."""
from __future__ import annotations

import csv
import gzip
import io
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path

import orjson
from django.core.files import File
from django.db import IntegrityError, connection, transaction

from apps.common.exceptions import ApplicationError

from ..choices import EntryType
from ..models import FetchRun, ListEntry, ListSource, ListVersion
from .leases import _lease_renew
from .runs import _run_update

BATCH_SIZE = 5000  # rows per executemany (SQLite) and per batch after a duplicate id
SEGMENT_SIZE = 50_000  # entries per streamed COPY on PostgreSQL: one transaction, then progress and the lease
COPY_CHUNK = 1 << 16  # characters handed to the driver per read
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


def _json(value) -> str:
    """JSON text of a column (jsonb on PostgreSQL, where the spacing does not matter). orjson, several times
    faster than json.dumps; dates and datetimes through ``str`` like json.dumps(default=str) did."""
    return orjson.dumps(value, default=str, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()


def _entry_row(entry) -> tuple:
    """ParsedEntry -> column values after version_id, in _COLUMNS order: text cut to the column sizes, JSON
    as text, dates as ISO strings (the hash is over the parser's full content)."""
    external_id = _clean(str(entry.external_id), 128)
    if not external_id:
        from ..sources.base import ParseError

        raise ParseError(f"An entry has no external id (name {entry.primary_name!r}).")
    scope_categories = entry.scope_categories
    return (
        external_id,
        entry.entry_type if entry.entry_type in _ENTRY_TYPES else EntryType.OTHER,
        _clean(entry.primary_name, 1000),
        _json(list(entry.aliases or [])),
        _clean(entry.sub_list, 120),
        _json(list(entry.programs or [])),
        _json(list(entry.countries or [])),
        _json(list(entry.addresses or [])),
        _json(list(entry.identifiers or [])),
        entry.listed_on.isoformat() if entry.listed_on else None,
        entry.end_date.isoformat() if entry.end_date else None,
        _clean(entry.remarks),
        _clean(entry.source_url, 1000),
        _clean(entry.parent_name, 500),
        _clean(entry.scope),
        None if scope_categories is None else _json(list(scope_categories)),
        _json(dict(entry.extra or {})),
        entry.content_hash(),
    )


class _CopySource:
    """A file-like object for psycopg2's ``copy_expert``: each ``read(size)`` turns the next entries into CSV
    lines (the C csv writer) until ``size`` characters are ready, so the rows go to the server while the
    parser is still reading the file. PostgreSQL parses and indexes one chunk while Python makes the next: on
    two cores the two overlap instead of taking turns (a batch was built whole, then sent, then waited for).
    Nothing is kept but the chunk being made: memory does not grow with the list."""

    def __init__(self, version_id: int, entries: Iterator):
        self._entries = entries
        self._version_id = version_id
        self._parts: list[str] = []
        self._size = 0
        self._csv = csv.writer(self, lineterminator="\n")
        self.count = 0
        self.error: Exception | None = None  # what the parser raised inside read()

    def write(self, line: str) -> None:  # the csv writer's output
        self._parts.append(line)
        self._size += len(line)

    def read(self, size: int = -1) -> str:
        writerow, vid = self._csv.writerow, self._version_id
        try:
            for entry in self._entries:
                writerow((vid, *_entry_row(entry)))
                self.count += 1
                if 0 < size <= self._size:
                    break
        except Exception as exc:  # the driver reports it as "error in .read() call": _write raises it as itself
            self.error = exc
            raise
        data = "".join(self._parts)
        self._parts, self._size = [], 0
        return data


class _EntryWriter:
    """Writes a version's entries: one streamed COPY per segment of SEGMENT_SIZE entries on PostgreSQL (each in
    its own transaction, progress and the lease renewed between segments), executemany batches elsewhere (the
    ORM's bulk_create costs more than the parse).

    A duplicate external id (a publisher glitch) fails a COPY segment as a whole. The entries are then read
    again from the start (``entries()`` makes a fresh iterator; parsers are deterministic), the ones already
    committed skipped, and the rest written in batches re-inserted with ON CONFLICT DO NOTHING where a batch
    has a duplicate (first one wins); the number skipped is counted by the caller.
    """

    def __init__(self, version_id: int, on_batch: Callable[[int], None] | None = None):
        self.version_id = version_id
        self.on_batch = on_batch
        self.written = 0
        self.use_copy = connection.vendor == "postgresql"
        table = ListEntry._meta.db_table
        placeholders = ", ".join(["%s"] * len(_COLUMNS))
        self.insert_sql = f"INSERT INTO {table} ({', '.join(_COLUMNS)}) VALUES ({placeholders})"
        self.copy_sql = (f"COPY {table} ({', '.join(_COLUMNS)}) FROM STDIN WITH (FORMAT csv, "
                         f"FORCE_NOT_NULL ({', '.join(_TEXT_COLUMNS)}))")

    def write_all(self, entries: Callable[[], Iterable]) -> int:
        """Write every entry ``entries()`` yields; returns how many it yielded (parsed)."""
        if self.use_copy:
            stream = iter(entries())
            while True:
                source = _CopySource(self.version_id, islice(stream, SEGMENT_SIZE))
                try:
                    with transaction.atomic():
                        self._write(source)
                except (IntegrityError, connection.Database.IntegrityError):  # COPY raises the driver's error
                    break  # a duplicate: the slow path below, from the first entry not committed
                if not source.count:
                    return self.written
                self._committed(source.count)
        return self._write_batches(islice(iter(entries()), self.written, None))

    def _committed(self, count: int) -> None:
        self.written += count
        if self.on_batch:
            self.on_batch(self.written)

    def _write_batches(self, entries: Iterator) -> int:
        parsed = self.written
        while True:
            rows = [(self.version_id, *_entry_row(entry)) for entry in islice(entries, BATCH_SIZE)]
            if not rows:
                return parsed
            parsed += len(rows)
            try:
                with transaction.atomic():
                    self._write(rows)
            except (IntegrityError, connection.Database.IntegrityError):
                with transaction.atomic(), connection.cursor() as cur:
                    cur.executemany(f"{self.insert_sql} ON CONFLICT (version_id, external_id) DO NOTHING", rows)
            self._committed(len(rows))

    def _write(self, rows: list[tuple] | _CopySource) -> None:
        """Rows (a batch) or a streamed segment into the table."""
        if not self.use_copy:
            with connection.cursor() as cur:
                cur.executemany(self.insert_sql, rows)
            return
        if isinstance(rows, _CopySource):
            source = rows
        else:
            source = io.StringIO()
            csv.writer(source, lineterminator="\n").writerows(rows)
            source.seek(0)
        # The driver's own cursor raises the driver's errors: wrap them into django.db's, so a lost connection
        # during COPY is a DatabaseError (failed and retried) like in every other phase. An exception raised by
        # the parser inside _CopySource.read() aborts the COPY (the driver turns it into its own error) and is
        # raised as itself: a bad file is a parse error, not a database error.
        try:
            with connection.cursor() as cur, connection.wrap_database_errors:
                cur.cursor.copy_expert(self.copy_sql, source, size=COPY_CHUNK)
        except Exception:
            error = getattr(source, "error", None)
            if error is not None:
                raise error from None
            raise


def _entries_load(*, version: ListVersion, source: ListSource, parser, paths: list[Path], run: FetchRun,
                  previous: ListVersion | None, delta: bool, lock_token: str | None) -> tuple[int, int]:
    expected = previous.entry_count if previous is not None and previous.entry_count else 0

    def on_batch(written: int) -> None:
        progress = min(90, 2 + int(88 * written / expected)) if expected else min(90, 2 + written // 2000)
        _run_update(run, progress=progress, message=f"{written} entries parsed", counts={"parsed": written})
        _lease_renew(source.pk, lock_token)

    writer = _EntryWriter(version.pk, on_batch)
    if not delta:
        parsed = writer.write_all(lambda: parser.parse(paths))
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
    writer.write_all(lambda: (entry for entry in state.values() if entry is not None))
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
