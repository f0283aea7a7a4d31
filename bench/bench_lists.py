"""Ingestion speed and memory of the lists engine (parse -> COPY/bulk insert -> diff -> activate), with a database.

    .venv/bin/python bench/bench_lists.py                       # real files + a generated 1,000,000-entity FtM file
    .venv/bin/python bench/bench_lists.py --ftm-size 200000     # smaller generated file (or BENCH_FTM_SIZE)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vr_bench .venv/bin/python bench/bench_lists.py   # PostgreSQL

Without DATABASE_URL a fresh SQLite file in a temporary directory is used. With DATABASE_URL the given
PostgreSQL database is migrated and the benchmark works on its own sources (codes `bench-*`), deleted at the end.

1. Every real file set in ../shared/data/lists (skipped with a message when absent) goes through
   `list_version_import` (the same service as `import_list` and the Celery refresh): entries, seconds,
   entries per second, and the process's resident memory after each import.
2. A FollowTheMoney JSON-lines file with N entities is generated in a temporary directory and imported; with
   --with-diff a second file (N entities, 2% renamed, 1% replaced) is imported too, to time the diff against a
   full previous version. The resident set size is sampled every 0.2 s during each import and printed against
   the size of the file, to show that memory does not grow with N (the parser streams, inserts go in batches
   of 5,000).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "lists"
sys.path.insert(0, str(ROOT))

REAL_SETS = [
    ("ofac_legacy_csv", ["ofac_sdn/sdn.csv", "ofac_sdn/alt.csv", "ofac_sdn/add.csv", "ofac_sdn/sdn_comments.csv"]),
    ("ofac_legacy_csv", ["ofac_consolidated/cons_prim.csv", "ofac_consolidated/cons_alt.csv",
                         "ofac_consolidated/cons_add.csv", "ofac_consolidated/cons_comments.csv"]),
    ("ofac_enhanced_xml", ["ofac_consolidated/cons_enhanced.xml"]),
    ("ofac_sdnlist_xml", ["ofac_consolidated/consolidated_legacy_xml_sample.xml"]),
    ("us_csl_csv", ["us_csl/consolidated.csv"]),
    ("un_sc_xml", ["un_sc/consolidated.xml"]),
    ("uk_ofsi_csv", ["uk_ofsi/conlist_2018_legacy_noheader.csv"]),
    ("dod_1260h_csv", ["dod_1260h/sanctions.csv"]),
    ("fcc_covered_csv", ["fcc_covered_list/table.csv"]),
    ("ndaa_csv", ["us_ndaa/section_889.csv", "us_ndaa/section_5949.csv", "us_ndaa/section_154.csv"]),
    ("opensanctions_ftm", ["opensanctions_ftm/entities.ftm.json"]),
]  # fmt: skip


def _rss_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler:
    """Samples the resident set size in a thread; `peak` is the highest value seen while running."""

    def __init__(self, interval: float = 0.2):
        self.interval, self.peak, self._stop = interval, 0.0, threading.Event()

    def __enter__(self):
        self.start = _rss_mb()
        self.peak = self.start
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join()
        self.peak = max(self.peak, _rss_mb())


def _django_setup(tmp: Path) -> None:
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendorrisk.settings")
    if not os.environ.get("DATABASE_URL"):
        os.environ["VAR_DIR"] = str(tmp / "var")  # a fresh SQLite file
    os.environ["MEDIA_ROOT"] = str(tmp / "media")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _source(code: str, fmt: str):
    from apps.lists.choices import Propagation, Regime
    from apps.lists.models import ListSource

    ListSource.objects.filter(code=code).delete()
    return ListSource.objects.create(code=code, name=code, publisher="bench", regime=Regime.OPENSANCTIONS,
                                     propagation=Propagation.NAMED_ONLY, format=fmt, max_drop_share=1.0)


def _import(source, paths):
    from apps.lists.services import list_version_import

    with RssSampler() as rss:
        t0, c0 = time.perf_counter(), time.process_time()
        result = list_version_import(source=source, paths=paths)
        seconds = time.perf_counter() - t0
        rss.cpu = time.process_time() - c0
    return result, seconds, rss


def bench_real() -> None:
    if not SHARED.is_dir():
        print(f"real files: skipped ({SHARED} not found)")
        return
    print(f"{'source files':58} {'status':>11} {'entries':>8} {'s':>7} {'entries/s':>10} {'cpu s':>6} {'RSS MB':>7}")
    total_entries, total_seconds, total_cpu = 0, 0.0, 0.0
    for index, (fmt, names) in enumerate(REAL_SETS):
        paths = [SHARED / n for n in names]
        if not all(p.is_file() for p in paths):
            print(f"{names[0]:58} missing")
            continue
        source = _source(f"bench-real-{index}", fmt)
        result, seconds, rss = _import(source, paths)
        total_entries += result.entries
        total_seconds += seconds
        total_cpu += rss.cpu
        label = f"{fmt}: {', '.join(Path(n).name for n in names)}"[:58]
        print(f"{label:58} {result.status:>11} {result.entries:>8} {seconds:>7.2f} "
              f"{result.entries / seconds if seconds else 0:>10,.0f} {rss.cpu:>6.2f} {rss.peak:>7.0f}"
              + (f"  ({result.reason})" if result.status == "failed" else ""))
    if total_seconds:
        print(f"{'all real files':58} {'':>11} {total_entries:>8} {total_seconds:>7.2f} "
              f"{total_entries / total_seconds:>10,.0f} {total_cpu:>6.2f}")


def generate_ftm(path: Path, n: int, *, rename_every: int = 0, replace_every: int = 0) -> None:
    countries = ["cn", "ru", "ir", "kp", "us", "de", "fr", "gb"]
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            ident = f"bench-{i}"
            name = f"Bench Trading Company {i} Limited"
            if replace_every and i % replace_every == 0:
                ident, name = f"bench-new-{i}", f"Replacement Holding {i}"
            elif rename_every and i % rename_every == 1:
                name = f"Bench Trading Company {i} Ltd (renamed)"
            entity = {
                "id": ident, "caption": name, "schema": "Company" if i % 5 else "Person",
                "properties": {"name": [name], "alias": [f"BTC {i}", f"Bench {i}"],
                               "country": [countries[i % len(countries)]], "topics": ["sanction"],
                               "registrationNumber": [f"{100000 + i}"], "createdAt": ["2024-01-31"]},
                "datasets": ["bench"], "first_seen": "2024-01-31T00:00:00", "last_seen": "2026-03-01T00:00:00",
                "target": True,
            }
            fh.write(json.dumps(entity, ensure_ascii=False) + "\n")


def bench_ftm(n: int, tmp: Path, *, with_diff: bool = False) -> None:
    from apps.lists.models import ListVersion

    source = _source("bench-ftm", "opensanctions_ftm")
    print(f"\nFtM stream through the service: {n:,} entities")
    passes = [("full import", {})]
    if with_diff:
        passes.append(("second version, 2% renamed + 1% replaced", {"rename_every": 50, "replace_every": 100}))
    for label, kwargs in passes:
        path = tmp / "entities.ftm.json"
        t0 = time.perf_counter()
        generate_ftm(path, n, **kwargs)
        size_mb = path.stat().st_size / 1e6
        gen = time.perf_counter() - t0
        result, seconds, rss = _import(source, [path])
        version = ListVersion.objects.get(pk=result.version)
        if label == "full import":
            _anchors(path, min(n, 100_000), result.entries / seconds, rss.cpu)
        print(f"  {label}: generated {size_mb:,.0f} MB in {gen:.1f}s; {result.status}, {result.entries:,} entries "
              f"(+{result.added:,} -{result.removed:,} ~{result.changed:,}) in {seconds:.1f}s = "
              f"{result.entries / seconds:,.0f} entries/s (this process: {rss.cpu:.1f} CPU s = "
              f"{result.entries / rss.cpu:,.0f} entries per CPU s); RSS {rss.start:.0f} MB before, "
              f"peak {rss.peak:.0f} MB "
              f"(+{rss.peak - rss.start:.0f} MB for a {size_mb:,.0f} MB file); raw stored "
              f"{version.raw_file.size / 1e6:,.0f} MB gzip")
        path.unlink()


def _anchors(path: Path, n: int, rate: float, cpu: float) -> None:
    """The same entries written the two plain ways, in this run, rolled back: COPY of rows already made (the
    database's own speed here: the ceiling for the ingest) and the ORM's bulk_create (what an ORM ingest costs)."""
    import csv
    import io
    import resource
    from itertools import islice

    from django.db import connection, transaction

    from apps.lists.models import ListEntry, ListVersion
    from apps.lists.services.entries import _entry_row, _EntryWriter
    from apps.lists.sources import get_parser

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the high-water mark before the anchors
    entries = list(islice(get_parser("opensanctions_ftm").parse([path]), n))  # held in memory: anchors only
    source = _source("bench-anchor", "opensanctions_ftm")
    copy_rate = orm_rate = 0.0
    with transaction.atomic():
        version = ListVersion.objects.create(source=source, status="loading", fetched_at="2026-01-01T00:00:00Z",
                                             sha256="0" * 64)
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows((version.pk, *_entry_row(e)) for e in entries)
        buf.seek(0)
        t = time.perf_counter()
        with connection.cursor() as cur:
            cur.cursor.copy_expert(_EntryWriter(version.pk).copy_sql, buf, size=1 << 16)
        copy_rate = len(entries) / (time.perf_counter() - t)
        transaction.set_rollback(True)
    sample = entries[: min(n, 20_000)]
    with transaction.atomic():
        version = ListVersion.objects.create(source=source, status="loading", fetched_at="2026-01-01T00:00:00Z",
                                             sha256="0" * 64)
        t = time.perf_counter()
        ListEntry.objects.bulk_create([
            ListEntry(version=version, external_id=e.external_id, entry_type=e.entry_type, primary_name=e.primary_name,
                      aliases=e.aliases, sub_list=e.sub_list, programs=e.programs, countries=e.countries,
                      addresses=e.addresses, identifiers=e.identifiers, listed_on=e.listed_on, remarks=e.remarks,
                      source_url=e.source_url, extra=e.extra, content_hash=e.content_hash()) for e in sample],
            batch_size=5000)
        orm_rate = len(sample) / (time.perf_counter() - t)
        transaction.set_rollback(True)
    print(f"  anchors in this run: COPY of {len(entries):,} ready rows {copy_rate:,.0f} rows/s; ORM bulk_create of "
          f"{len(sample):,} entries (made from parsed entries, hash included) {orm_rate:,.0f} rows/s; "
          f"the ingest above {rate:,.0f} entries/s = {rate / copy_rate:.0%} of COPY; peak RSS of the process up "
          f"to the end of the ingest (getrusage) {peak:.0f} MB")
    print(f"RESULT list_ingest entries_per_s={rate:.0f} copy_rows_per_s={copy_rate:.0f} orm_rows_per_s={orm_rate:.0f} "
          f"cpu_s={cpu:.2f} peak_rss_mb={peak:.0f}")


def _cleanup() -> None:
    """Delete the bench sources; entries first with one DELETE per version (the ORM would load them all)."""
    from django.db import connection

    from apps.lists.models import ListEntry, ListSource, ListVersion

    versions = list(ListVersion.objects.filter(source__code__startswith="bench-").values_list("pk", flat=True))
    with connection.cursor() as cur:
        for pk in versions:
            cur.execute(f"DELETE FROM {ListEntry._meta.db_table} WHERE version_id = %s", [pk])
    ListSource.objects.filter(code__startswith="bench-").delete()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ftm-size", type=int, default=int(os.environ.get("BENCH_FTM_SIZE", 1_000_000)))
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument("--with-diff", action="store_true",
                        help="also import a second generated version (2%% renamed, 1%% replaced) to time the diff")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-lists-") as tmp_name:
        tmp = Path(tmp_name)
        _django_setup(tmp)
        from django.db import connection

        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0
        print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}), cores: {os.cpu_count()}, "
              f"load average {load:.1f} (wall-clock figures suffer on a shared machine; CPU figures less)")
        try:
            if not args.skip_real:
                bench_real()
            if args.ftm_size:
                bench_ftm(args.ftm_size, tmp, with_diff=args.with_diff)
        finally:
            _cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
