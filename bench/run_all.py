"""Run every benchmark in bench/ (each file bench_*.py with a main()), one after another, printing their figures,
then ONE table: each path's figure beside its anchor measured in the same run, the target, and the command that
reproduces the row.

    .venv/bin/python bench/run_all.py            # all but bench_load.py (that is `make load`)
    .venv/bin/python bench/run_all.py lists      # those whose name contains "lists"
    BENCH_FULL=1 .venv/bin/python bench/run_all.py   # the issue's sizes (1,000,000 units, 100,000 import rows ...)

A benchmark reports a table row by printing a line ``RESULT <key> name=value ...`` (see ROWS). The default sizes
are small enough for `make bench` to finish in minutes on two cores; BENCH_FULL=1 sets the big ones (each can also
be set alone: BENCH_FTM_SIZE, BENCH_IMPORT_ROWS, BENCH_ASOF_UNITS). With DATABASE_URL the Django benchmarks use
that PostgreSQL database (kept between runs: the big data sets are built once); without it, throwaway SQLite
files, whose figures are not the PostgreSQL ones the targets are about.
"""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIPPED_BY_DEFAULT = {"bench_load.py"}  # 50 clients against gunicorn for minutes: `make load`

QUICK = {"BENCH_FTM_SIZE": "100000", "BENCH_IMPORT_ROWS": "20000", "BENCH_ASOF_UNITS": "100000"}
FULL = {"BENCH_FTM_SIZE": "1000000", "BENCH_IMPORT_ROWS": "100000", "BENCH_ASOF_UNITS": "1000000"}


def _n(value: str) -> float:
    return float(value)


def _cpu(values: dict[str, str]) -> str:
    """The CPU seconds (Python + PostgreSQL backend) a row reports: what survives a busy machine."""
    return f"; CPU {_n(values['cpu_seconds']):.1f} s" if "cpu_seconds" in values else ""


# key -> (path, target, figure(values), anchor(values), command)
ROWS = {
    "list_ingest": (
        "List ingest into PostgreSQL (FtM, BENCH_FTM_SIZE entities)",
        ">= 25,000 entries/s (COPY speed)",
        lambda v: f"{_n(v['entries_per_s']):,.0f} entries/s (peak RSS {_n(v['peak_rss_mb']):,.0f} MB)",
        lambda v: f"COPY of ready rows {_n(v['copy_rows_per_s']):,.0f}/s; ORM bulk_create "
        f"{_n(v['orm_rows_per_s']):,.0f}/s",
        "BENCH_FTM_SIZE=N .venv/bin/python bench/bench_lists.py --skip-real",
    ),
    "ofac_enhanced_xml": (
        "OFAC enhanced XML parse (cons_enhanced.xml)",
        ">= 20,000 entities/CPU s",
        lambda v: f"{_n(v['entities_per_cpu_s']):,.0f} entities/CPU s",
        lambda v: f"ElementTree iterparse alone {_n(v['stdlib_iterparse_per_cpu_s']):,.0f}/CPU s; lxml "
        f"iterparse alone {_n(v['lxml_iterparse_per_cpu_s']):,.0f}/CPU s",
        "BENCH_FTM_SIZE=0 .venv/bin/python bench/bench_sources.py",
    ),
    "import_commit": (
        "Equipment CSV import commit (BENCH_IMPORT_ROWS rows)",
        "100,000 rows <= 20 s, all-or-nothing",
        lambda v: f"{int(_n(v['rows'])):,} rows in {_n(v['seconds']):.1f} s "
        f"({_n(v['rows']) / _n(v['seconds']):,.0f} rows/s){_cpu(v)}",
        lambda v: f"ORM bulk_create of the units alone {_n(v['anchor_seconds']):.1f} s",
        "BENCH_IMPORT_ROWS=N .venv/bin/python bench/bench_import.py",
    ),
    "asof": (
        "As-of summary (/reports/as-of/, API as_of) at BENCH_ASOF_UNITS units",
        "<= 2 s at 1,000,000 units",
        lambda v: f"{_n(v['seconds']) * 1000:,.0f} ms at {int(_n(v['units'])):,} units{_cpu(v)}",
        lambda v: (
            f"every unit's findings looked up (before) {_n(v['anchor_seconds']) * 1000:,.0f} ms"
            if _n(v["anchor_seconds"])
            else "before: not run above 200,000 units (minutes)"
        ),
        "BENCH_ASOF_UNITS=N .venv/bin/python bench/bench_asof.py",
    ),
    "screening": (
        "Screening 10,000 vendors against the real lists",
        "(single-request figure, kept)",
        lambda v: f"{_n(v['seconds']):.2f} s with the candidate index",
        lambda v: f"plain pairwise matching {_n(v['pairwise_seconds']):,.0f} s (extrapolated from a sample)",
        ".venv/bin/python bench/bench_screening.py",
    ),
    "pagination": (
        "API equipment list, one page of 50 (BENCH_ASOF_UNITS units)",
        "constant per page",
        lambda v: f"cursor: {_n(v['seconds']) * 1000:,.0f} ms first page, {_n(v['next_seconds']) * 1000:,.0f} ms next",
        lambda v: f"DRF default (COUNT + OFFSET): {_n(v['anchor_seconds']) * 1000:,.0f} ms page 1, "
        f"{_n(v['anchor_deep_seconds']) * 1000:,.0f} ms mid-list",
        "BENCH_ASOF_UNITS=N .venv/bin/python bench/bench_pagination.py",
    ),
    "renderer": (
        "JSON rendering of a 1,000-unit API page",
        "(cheaper serialisation)",
        lambda v: f"orjson renderer {_n(v['seconds']) * 1000:,.1f} ms",
        lambda v: f"DRF JSONRenderer {_n(v['anchor_seconds']) * 1000:,.1f} ms",
        "BENCH_ASOF_UNITS=N .venv/bin/python bench/bench_pagination.py",
    ),
    "risk_refresh": (
        "Units' risk status after one vendor changed, at 1,000,000 units (make load's data set)",
        "proportional to the units that changed",
        lambda v: f"the vendor's {int(_n(v['units'])):,} units: {_n(v['figure'][:-1]):.2f} s",
        lambda v: f"every unit ({int(_n(v['of'])):,}): {_n(v['anchor'][:-1]):.2f} s",
        ".venv/bin/python bench/bench_risk_refresh.py (after make load)",
    ),
    "workers": (
        "1 vs 2 Celery worker processes (bench_workers.py)",
        "about 1/N of the time with N workers",
        lambda v: f"{v['n']} workers: evaluation (plans) {_n(v['evaluation_seconds']):.1f} s"
        + (f", re-screen {_n(v['rescreen_seconds']):.1f} s" if "rescreen_seconds" in v else ""),
        lambda v: f"1 worker: evaluation {_n(v['evaluation_anchor_seconds']):.1f} s"
        + (f", re-screen {_n(v['rescreen_anchor_seconds']):.1f} s" if "rescreen_anchor_seconds" in v else ""),
        ".venv/bin/python bench/bench_workers.py",
    ),
}


def _parse(line: str) -> tuple[str, dict[str, str]] | None:
    parts = line.split()
    if len(parts) < 2 or parts[0] != "RESULT":
        return None
    return parts[1], dict(p.split("=", 1) for p in parts[2:] if "=" in p)


def _run(script: Path, env: dict[str, str], results: dict[str, dict[str, str]]) -> int:
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=HERE.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        print(line, end="", flush=True)
        parsed = _parse(line)
        if parsed:
            results[parsed[0]] = parsed[1]
    return proc.wait()


def _table(results: dict[str, dict[str, str]], sizes: dict[str, str], ran: set[str]) -> None:
    database = os.environ.get("DATABASE_URL", "")
    where = f"PostgreSQL {database.rsplit('/', 1)[-1]}" if database.startswith("postgres") else "SQLite files"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print("\n" + "=" * 100)
    print(
        f"make bench: {where}, {os.cpu_count()} cores, load average {load:.1f} at the end; sizes "
        + ", ".join(f"{k}={int(v):,}" for k, v in sizes.items())
        + (
            " (BENCH_FULL=1: the issue's sizes)"
            if os.environ.get("BENCH_FULL")
            else " (from the environment, else the quick defaults; BENCH_FULL=1 for the issue's sizes)"
        )
    )
    print("=" * 100)
    header = ("Path", "Figure", "Anchor (same run)", "Target", "Reproduce")
    rows = []
    for key, (path, target, figure, anchor, command) in ROWS.items():
        path = (
            path.replace("BENCH_FTM_SIZE", f"{int(sizes['BENCH_FTM_SIZE']):,}")
            .replace("BENCH_IMPORT_ROWS", f"{int(sizes['BENCH_IMPORT_ROWS']):,}")
            .replace("BENCH_ASOF_UNITS", f"{int(sizes['BENCH_ASOF_UNITS']):,}")
        )
        values = results.get(key)
        if values is not None:
            try:
                rows.append((path, figure(values), anchor(values), target, command))
            except (KeyError, ValueError) as exc:
                rows.append((path, f"unreadable RESULT line ({exc})", "", target, command))
        elif key == "workers" and not (HERE / "bench_workers.py").exists():
            rows.append((path, "not measured: bench/bench_workers.py does not exist yet", "", target, command))
        else:
            script = command.split("bench/", 1)[-1].split()[0]
            why = "not run (filtered out)" if script not in ran else "no RESULT line (failed or skipped: see above)"
            rows.append((path, why, "", target, command))
    rows.append(
        (
            "make load: 50 clients, 1,000,000 units, gunicorn",
            "not run by make bench (minutes of 50 clients)",
            "each endpoint alone (printed by it)",
            "p95 <= 300 ms at 20 clients; >= 2.5x req/s at 50",
            "make load  (BENCH_CLIENTS=20 for the p95 target)",
        )
    )
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    widths = [min(w, 90) for w in widths]
    for i, row in enumerate([header, *rows]):
        print(" | ".join(str(c)[:90].ljust(w) for c, w in zip(row, widths, strict=True)))
        if i == 0:
            print("-+-".join("-" * w for w in widths))


def main() -> int:
    wanted = sys.argv[1:]
    scripts = sorted(
        p
        for p in HERE.glob("bench_*.py")
        if (any(w in p.name for w in wanted) if wanted else p.name not in SKIPPED_BY_DEFAULT)
    )
    if not scripts:
        print("no benchmark matched")
        return 1
    defaults = FULL if os.environ.get("BENCH_FULL") else QUICK
    sizes = {k: os.environ.get(k, v) for k, v in defaults.items()}
    env = {**os.environ, **sizes, "PYTHONPATH": str(HERE.parent)}
    results: dict[str, dict[str, str]] = {}
    rc = 0
    for script in scripts:
        print(f"=== {script.name}", flush=True)
        rc |= _run(script, env, results)
    _table(results, sizes, {s.name for s in scripts})
    return rc


if __name__ == "__main__":
    sys.exit(main())
