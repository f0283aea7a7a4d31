"""Equipment CSV import at scale: dry run and commit (all-or-nothing, one transaction) of N rows, with the same
rows written by plain ORM bulk_create as the anchor measured in the same run.

    .venv/bin/python bench/bench_import.py                      # 20,000 rows
    BENCH_IMPORT_ROWS=100000 .venv/bin/python bench/bench_import.py   # the issue's size (target: <= 20 s)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vr_bench .venv/bin/python bench/bench_import.py

The file names existing vendors (200) and 50 product models per vendor, like bench_web's import, and a few
new brands (vendors created during the commit). Prints wall and CPU seconds, rows per second and the peak RSS
of the process (resource.getrusage). `--profile` prints the commit's top functions (cProfile).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.benchsupport import setup_django  # noqa: E402


def _write_csv(path: Path, rows: int, data: dict) -> None:
    codes = [s.code for s in data["sites"]]
    with open(path, "w", encoding="utf-8") as f:
        f.write(
            "site_code,category,brand,model_number,quantity,serial_number,asset_tag,installed_date,"
            "internet_connected,collects_data\n"
        )
        for i in range(rows):
            brand = data["vendors"][i % 200].name if i % 1000 else f"Bench new brand {data['stamp']} {i}"
            f.write(
                f"{codes[i % 20]},camera,{brand},IMP-{i % 50},1,ISN{i},IMP-{i},2021-04-01,"
                f"{'yes' if i % 7 == 0 else 'no'},yes\n"
            )


def _anchor_orm(rows: int, data: dict) -> float:
    """The same number of units through plain Equipment.objects.bulk_create (no validation, history, tallies),
    rolled back: what the ORM alone costs here."""
    from django.db import transaction

    from apps.inventory.models import Equipment, ProductModel

    models = list(ProductModel.objects.filter(brand__in=data["vendors"][:10]).order_by("pk")[:10])
    t = time.perf_counter()
    with transaction.atomic():
        batch = []
        for i in range(rows):
            pm = models[i % len(models)]
            batch.append(
                Equipment(
                    site=data["sites"][i % 20],
                    product_model=pm,
                    category=pm.category,
                    serial_number=f"ORM{i}",
                    asset_tag=f"ORM-{i}",
                )
            )
            if len(batch) == 1000:
                Equipment.objects.bulk_create(batch)
                batch = []
        Equipment.objects.bulk_create(batch)
        seconds = time.perf_counter() - t
        transaction.set_rollback(True)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_IMPORT_ROWS", 20_000)))
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    label = setup_django("import", IMPORT_MAX_ROWS=str(max(args.rows, 100_000)))
    from bench.bench_web import _generate

    data = _generate(0)
    data["stamp"] = data["org"].slug.rsplit("-", 1)[-1]
    from apps.inventory.imports import import_commit, import_validate
    from apps.inventory.models import Equipment

    print(
        f"database: {label}; import rows: {args.rows:,}; cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}"
    )
    path = Path(tempfile.mkdtemp(prefix="bench-import-")) / "equipment.csv"
    _write_csv(path, args.rows, data)
    t, c = time.perf_counter(), time.process_time()
    report = import_validate(organization=data["org"], kind="equipment", path=path, fmt="csv")
    dry, dry_cpu = time.perf_counter() - t, time.process_time() - c
    assert report.ok, report.errors[:3]
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    from bench.bench_asof import _backend_cpu

    t, c, db = time.perf_counter(), time.process_time(), _backend_cpu()
    report = import_commit(organization=data["org"], kind="equipment", path=path, fmt="csv", actor=data["user"])
    commit, commit_cpu, db_cpu = time.perf_counter() - t, time.process_time() - c, _backend_cpu() - db
    if profiler:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    stored = Equipment.objects.filter(site__organization=data["org"]).count()
    assert stored == args.rows == report.created, (stored, report.created)
    orm = _anchor_orm(args.rows, data)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"dry run: {dry:.2f} s wall, {dry_cpu:.2f} s CPU ({args.rows / dry:,.0f} rows/s)")
    print(
        f"commit: {commit:.2f} s wall, {commit_cpu:.2f} s CPU in Python + {db_cpu:.2f} s CPU in the PostgreSQL "
        f"backend ({args.rows / commit:,.0f} rows/s), {len(report.new_vendors)} new vendors"
    )
    print(f"anchor, plain ORM bulk_create of the same number of units: {orm:.2f} s ({args.rows / orm:,.0f} rows/s)")
    print(f"peak RSS {peak:.0f} MB")
    print(
        f"RESULT import_commit rows={args.rows} seconds={commit:.3f} anchor_seconds={orm:.3f} "
        f"cpu_seconds={commit_cpu + db_cpu:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
