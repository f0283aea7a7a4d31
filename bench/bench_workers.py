"""Work spread over Celery workers: the same full remediation evaluation (creating the plans, then again with
nothing changed) and the same full re-screen, with 1 worker process and then with 2, each a real
`celery worker --concurrency 1` on PostgreSQL + Redis; prints the wall time of each and the ratio.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vr_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/bench_workers.py [--units 100000] [--vendors 20000] [--lists us_csl,un_sc]

Needs PostgreSQL (DATABASE_URL: a scratch database, migrated and left with the generated rows) and Redis
(CELERY_BROKER_URL: a scratch database number; its queues are purged first). The units are generated as
bench/bench_remediation.py does (200 sites, 400 product models, findings on 4 of 40 vendors); the vendors to
re-screen are generated as bench/bench_screening.py does, against the entries of the real lists named by
--lists (read by the production parsers from ../shared/data/lists) loaded as one list version.

The run is a chord of chunk tasks (WORK_FANOUT_UNITS units / WORK_FANOUT_VENDORS vendors each) and a final
step (apps.security.enqueue.fan_out); the timing runs from sending it to the final step's end. On a machine
whose cores are shared with the database and other work, the 2-worker figure is bounded by what is free:
read the CPU columns beside the wall times.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.benchsupport import setup_django  # noqa: E402


def _start_workers(n: int, log_dir: Path) -> list[subprocess.Popen]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "vendorrisk.settings", "CELERY_TASK_ALWAYS_EAGER": "false"}
    procs = []
    for i in range(n):
        log = open(log_dir / f"worker{n}-{i}.log", "wb")  # noqa: SIM115 - closed with the process
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "vendorrisk", "worker", "--pool=prefork", "--concurrency=1",
             "-n", f"bench{n}-{i}@%h", "--loglevel=INFO", "--without-heartbeat", "--without-mingle",
             "--without-gossip"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    deadline = time.monotonic() + 90
    for i, p in enumerate(procs):
        path = log_dir / f"worker{n}-{i}.log"
        while b"ready." not in path.read_bytes():
            if p.poll() is not None or time.monotonic() > deadline:
                _stop(procs)
                raise SystemExit(f"worker did not start:\n{path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
    return procs


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:  # only the processes this benchmark started, each by its own process group
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


def _children_cpu(procs: list[subprocess.Popen]) -> float:
    """CPU seconds used so far by the worker processes and their pool children (from /proc)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for p in procs:
        pids = [p.pid]
        with contextlib.suppress(OSError):
            pids += [int(c) for c in Path(f"/proc/{p.pid}/task/{p.pid}/children").read_text().split()]
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
            except OSError:
                pass
    return total


def _screening_data(vendors: int, lists: list[str]) -> int:
    """One list version holding the entries of the real lists named, and `vendors` generated vendors."""
    import hashlib
    import json

    from django.utils import timezone

    from apps.lists.models import ListEntry, ListSource, ListVersion
    from apps.screening.matching_sources import DEFAULT_LISTS_DIR, _parsed_records
    from apps.vendors.models import Vendor
    from bench.bench_screening import generate_vendors

    records = [r for folder in lists for r in _parsed_records(Path(DEFAULT_LISTS_DIR), folder)]
    stamp = str(int(time.time()))
    source = ListSource.objects.create(code=f"bench-workers-{stamp}", name="Bench workers", publisher="bench",
                                       regime="custom", format="custom_csv")
    version = ListVersion.objects.create(source=source, status="active", fetched_at=timezone.now(),
                                         activated_at=timezone.now(), entry_count=len(records), sha256=stamp)
    rows = []
    for i, r in enumerate(records):
        data = {"entry_type": r.entry_type if r.entry_type in ("entity", "individual", "vessel") else "entity",
                "primary_name": r.names[0][:1000], "aliases": list(r.names[1:]), "countries": list(r.countries)}
        rows.append(ListEntry(version=version, external_id=f"{i}", content_hash=hashlib.sha256(
            json.dumps(data, sort_keys=True).encode()).hexdigest(), **data))
    ListEntry.objects.bulk_create(rows, batch_size=2000)
    # Names as generated (variants of list names match); a name already in the registry is skipped.
    Vendor.objects.bulk_create([Vendor(name=name, country_of_incorporation=country)
                                for name, country in generate_vendors(vendors, records)],
                               batch_size=2000, ignore_conflicts=True)
    return len(records)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--vendors", type=int, default=20_000)
    parser.add_argument("--lists", default="us_csl,un_sc", help="folders of ../shared/data/lists to screen against")
    parser.add_argument("--workers", default="1,2", help="worker process counts to compare")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get(
            "CELERY_BROKER_URL", "").startswith("redis"):
        # make bench runs every benchmark: say why this one measures nothing here, without failing the others
        print("skipped: needs DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://... (scratch ones)")
        return 0
    os.environ.setdefault("WORK_FANOUT", "true")
    os.environ.setdefault("WORK_FANOUT_UNITS", str(max(1000, args.units // 10)))
    os.environ.setdefault("WORK_FANOUT_VENDORS", str(max(500, args.vendors // 8)))
    setup_django("workers", EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")

    import datetime as dt

    from celery.result import AsyncResult
    from django.db import connection

    from apps.remediation.models import RemediationPlan
    from apps.remediation.services import remediation_evaluate_in_workers
    from apps.screening.models import ScreeningRun
    from apps.screening.services import screening_run_full, screening_run_full_in_workers
    from apps.security.enqueue import celery_app
    from apps.vendors.models import Vendor
    from bench.bench_remediation import _generate

    celery_app().control.purge()
    print(f"generating {args.units:,} units, {args.vendors:,} vendors and the entries of {args.lists} ...",
          flush=True)
    data = _generate(args.units)
    org = data["org"]
    entries = _screening_data(args.vendors, args.lists.split(","))
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"  {entries:,} list entries, {Vendor.objects.count():,} vendors in the registry; "
          f"chunks of {os.environ['WORK_FANOUT_UNITS']} units / "
          f"{os.environ['WORK_FANOUT_VENDORS']} vendors", flush=True)
    t0 = time.perf_counter()
    warm = screening_run_full(trigger="manual")  # the matches exist: every timed re-screen finds the same
    print(f"  first full screening in this process: {time.perf_counter() - t0:.1f} s "
          f"({warm.counts.get('matches_new', 0):,} matches)", flush=True)
    # Its ScreeningChanged queued a re-evaluation of the listed vendors' units: not part of what is timed.
    celery_app().control.purge()
    today = dt.date(2026, 11, 25)
    log_dir = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    rows: dict[str, dict[int, tuple[float, float]]] = {}

    def timed(label: str, n: int, procs, fn) -> None:
        cpu0, t = _children_cpu(procs), time.perf_counter()
        detail = fn()
        wall, cpu = time.perf_counter() - t, _children_cpu(procs) - cpu0
        rows.setdefault(label, {})[n] = (wall, cpu)
        print(f"  {label:46} {wall:7.1f} s wall, {cpu:6.1f} s worker CPU  {detail}", flush=True)

    def evaluate() -> str:
        started = remediation_evaluate_in_workers(today=today, organization_id=org.pk)
        totals = AsyncResult(started["chord"]).get(timeout=3600)
        return f"{started['chunks']} parts, created {totals['created']:,}, unchanged {totals['unchanged']:,}"

    def rescreen() -> str:
        run = screening_run_full_in_workers(trigger="manual")
        while True:
            run.refresh_from_db()
            if run.status != "running":
                break
            time.sleep(0.1)
        if run.status != "succeeded":
            raise SystemExit(f"re-screen failed: {run.error}")
        return f"{run.scope['parts']} parts, {run.vendor_count:,} vendors, status {run.status}"

    for n in [int(x) for x in args.workers.split(",")]:
        print(f"{n} worker process{'es' if n > 1 else ''} (--concurrency 1 each):", flush=True)
        RemediationPlan.objects.filter(organization=org).delete()
        celery_app().control.purge()
        procs = _start_workers(n, log_dir)
        try:
            timed("evaluation, creating the plans", n, procs, evaluate)
            timed("evaluation again, nothing changed", n, procs, evaluate)
            timed("full re-screen (each worker builds the index)", n, procs, rescreen)
            timed("full re-screen again (index cached)", n, procs, rescreen)
        finally:
            _stop(procs)
    ScreeningRun.objects.filter(status="running").update(status="failed", error="benchmark ended")

    counts = sorted({n for r in rows.values() for n in r})
    if len(counts) >= 2:
        a, b = counts[0], counts[-1]
        print(f"\n{'path':46} {a} worker(s)   {b} workers   ratio (wall)   ratio (worker CPU)")
        for label, r in rows.items():
            if a in r and b in r:
                print(f"{label:46} {r[a][0]:8.1f} s {r[b][0]:10.1f} s {r[a][0] / r[b][0]:10.2f}x "
                      f"{r[a][1] / max(r[b][1], 1e-9):14.2f}")
        plans, rescreen_row = rows.get("evaluation, creating the plans", {}), rows.get(
            "full re-screen again (index cached)", {})
        if a in plans and b in plans:  # the row of make bench's table (bench/run_all.py)
            print(f"RESULT workers n={b} evaluation_seconds={plans[b][0]:.2f} "
                  f"evaluation_anchor_seconds={plans[a][0]:.2f}"
                  + (f" rescreen_seconds={rescreen_row[b][0]:.2f} rescreen_anchor_seconds={rescreen_row[a][0]:.2f}"
                     if a in rescreen_row and b in rescreen_row else ""), flush=True)
    print(f"worker logs: {log_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
