"""The officers' UI at scale: list pages, dashboard and exports over N equipment rows (default 50,000),
the CSV import of M rows (default 10,000): dry run, then commit; and a projection report over the N units.

    .venv/bin/python bench/bench_web.py                       # 50,000 units, a fresh SQLite file in a temp dir
    .venv/bin/python bench/bench_web.py --size 200000 --import-rows 50000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vr_bench_web .venv/bin/python bench/bench_web.py

With DATABASE_URL the benchmark migrates that database and leaves its rows there (use a scratch database).
Pages are fetched through Django's test client (no network, no browser): the figures are server time and
the number of SQL queries per page, which must not grow with N.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.benchsupport import setup_django  # noqa: E402


def _generate(size: int) -> dict:
    import random

    from apps.accounts.choices import Role
    from apps.accounts.models import Membership, Organization, User
    from apps.inventory.choices import EquipmentCategory
    from apps.inventory.models import Equipment, ProductModel, Site
    from apps.vendors.models import Vendor

    rnd = random.Random(7)
    stamp = str(int(time.time()))
    org = Organization.objects.create(name=f"Bench airport {stamp}", slug=f"bench-web-{stamp}")
    user = User.objects.create(username=f"bench-web-{stamp}", email=f"bench-web-{stamp}@example.org")
    Membership.objects.create(user=user, organization=org, role=Role.OFFICER)
    sites = Site.objects.bulk_create([Site(organization=org, name=f"Site {i}", code=f"B{stamp[-4:]}-{i}",
                                           kind="airport", country="US") for i in range(20)])
    vendors = Vendor.objects.bulk_create([Vendor(name=f"Bench vendor {stamp} {i}") for i in range(200)])
    cats = [c for c in EquipmentCategory.values if c != "other"]
    models = ProductModel.objects.bulk_create([
        ProductModel(brand=vendors[i % 200], model_number=f"M-{i}", category=cats[i % len(cats)])
        for i in range(400)])
    statuses = ["clear"] * 85 + ["potential_match"] * 5 + ["restricted"] * 5 + ["prohibited"] * 5
    batch = []
    for i in range(size):
        pm = models[i % 400]
        batch.append(Equipment(site=sites[i % 20], product_model=pm, category=pm.category, serial_number=f"SN{i}",
                               asset_tag=f"T{i}", risk_status=rnd.choice(statuses)))
        if len(batch) == 5000:
            Equipment.objects.bulk_create(batch)
            batch = []
    if batch:
        Equipment.objects.bulk_create(batch)
    from apps.inventory.services import equipment_counts_refresh

    equipment_counts_refresh(site_ids=[s.pk for s in sites])  # bulk_create sends no signals
    _findings(vendors[:20], stamp)
    return {"org": org, "user": user, "sites": sites, "vendors": vendors}


def _findings(vendors, stamp: str) -> None:
    """Twenty vendors on an FCC-like list since yesterday (five of them delisted today): what the "what
    changed" page and the projection work from."""
    import datetime as dt

    from django.utils import timezone

    from apps.lists.models import ListSource
    from apps.screening.models import Finding

    source = ListSource.objects.create(code=f"bench-fcc-{stamp}", name="Bench FCC list", publisher="bench",
                                       regime="us_fcc", format="custom_csv")
    now = timezone.now()
    Finding.objects.bulk_create([Finding(
        vendor=v, kind="direct", key=f"bench:{v.pk}", source=source, regime="us_fcc", path_text=f"{v.name} listed",
        status="prohibited", discovered_at=now - dt.timedelta(days=1), last_seen_at=now,
        listed_on=dt.date(2021, 3, 12), closed_at=now if i < 5 else None) for i, v in enumerate(vendors)])


def _timed_get(client, url: str, repeat: int = 3) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    best = float("inf")
    queries = 0
    status = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            response = client.get(url)
            if getattr(response, "streaming", False):
                for _chunk in response.streaming_content:
                    pass
            best = min(best, time.perf_counter() - t)
        queries, status = len(ctx), response.status_code
    return best, queries, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--import-rows", type=int, default=10_000)
    args = parser.parse_args()
    label = setup_django("web", AXES_ENABLED="false")
    print(f"database: {label}; equipment rows: {args.size:,}; import rows: {args.import_rows:,}")

    t = time.perf_counter()
    data = _generate(args.size)
    from django.db import connection

    with connection.cursor() as cur:  # fresh statistics, as autovacuum / a periodic ANALYZE would give
        cur.execute("ANALYZE")
    print(f"generated in {time.perf_counter() - t:.1f} s")

    from django.test import Client

    client = Client()
    client.force_login(data["user"])
    vendor = data["vendors"][3].pk
    site = data["sites"][2].pk
    from apps.inventory.models import Equipment

    unit = Equipment.objects.filter(site_id=site).order_by("pk").values_list("pk", flat=True).first()
    pages = [
        ("dashboard", "/"),
        ("sites", "/sites/"),
        ("equipment page 1", "/equipment/"),
        ("equipment page 1000", "/equipment/?page=1000"),
        ("equipment risk=prohibited, sort -installed", "/equipment/?risk_status=prohibited&sort=-installed"),
        ("equipment site+vendor filter", f"/equipment/?site={site}&vendor={vendor}"),
        ("equipment search 'SN4242'", "/equipment/?q=SN4242"),
        ("site detail", f"/sites/{site}/"),
        ("equipment detail", f"/equipment/{unit}/"),
        ("equipment edit form", f"/equipment/{unit}/edit/"),
        ("vendor detail (with its forms)", f"/vendors/{vendor}/"),
        ("what changed in the lists (a week)", "/lists/changes/"),
        ("equipment export CSV (all rows, streamed)", "/equipment/export/?format=csv"),
    ]
    print(f"{'page':48} {'best of 3':>10} {'queries':>8} status")
    for name, url in pages:
        seconds, queries, status = _timed_get(client, url, repeat=1 if "export" in name else 3)
        print(f"{name:48} {seconds * 1000:8.0f} ms {queries:8d} {status}")

    # Import: a CSV of M rows with existing vendors, dry run then commit.
    from apps.inventory.imports import import_commit, import_validate

    path = Path(tempfile.mkdtemp(prefix="bench-web-import-")) / "equipment.csv"
    codes = [s.code for s in data["sites"]]
    with open(path, "w", encoding="utf-8") as f:
        f.write("site_code,category,brand,model_number,quantity,serial_number,asset_tag,installed_date\n")
        for i in range(args.import_rows):
            v = data["vendors"][i % 200]
            f.write(f"{codes[i % 20]},camera,{v.name},IMP-{i % 50},1,ISN{i},IMP-{i},2021-04-01\n")
    size_mb = path.stat().st_size / 2**20
    t = time.perf_counter()
    report = import_validate(organization=data["org"], kind="equipment", path=path, fmt="csv")
    dry = time.perf_counter() - t
    assert report.ok, report.errors[:3]
    t = time.perf_counter()
    report = import_commit(organization=data["org"], kind="equipment", path=path, fmt="csv", actor=data["user"])
    commit = time.perf_counter() - t
    print(f"import {args.import_rows:,} rows ({size_mb:.1f} MB CSV): dry run {dry:.2f} s "
          f"({args.import_rows / dry:,.0f} rows/s), commit {commit:.2f} s ({report.created / commit:,.0f} rows/s)")

    # Projection: which of the organisation's units will be non-compliant a year from now (the seeded rules).
    import datetime as dt

    from django.utils import timezone

    from apps.remediation.models import ProjectionReport
    from apps.remediation.services import projection_run

    today = timezone.localdate()
    projection = ProjectionReport.objects.create(organization=data["org"], on=today + dt.timedelta(days=365),
                                                 computed_on=today)
    t = time.perf_counter()
    projection_run(report=projection)
    seconds = time.perf_counter() - t
    print(f"projection over {projection.units_total:,} installed units: {seconds:.1f} s "
          f"({projection.units_total / seconds:,.0f} units/s), {projection.summary['total']:,} non-compliant")


if __name__ == "__main__":
    main()
