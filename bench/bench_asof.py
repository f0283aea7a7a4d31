"""The as-of summary (`/reports/as-of/` and the API's `/api/v1/summary/?as_of=`) over N units, each with its
history row, and a few dozen vendors with findings (some closed since): the auditors' "what stood on that day".

    .venv/bin/python bench/bench_asof.py                         # 100,000 units
    BENCH_ASOF_UNITS=1000000 .venv/bin/python bench/bench_asof.py  # the issue's size (target: <= 2 s)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vr_bench .venv/bin/python bench/bench_asof.py

PostgreSQL (DATABASE_URL) is expected for the big size; the data set is written with COPY once (organisation
``bench-asof-<N>``) and reused by later runs on the same database. Prints the summary computed as of
yesterday's end (history) and now (the per-site tally), the web page and the API call (Django's test client,
server time), each with its query count, and the same as-of counts computed the way they were before (every
unit's findings looked up, 5,000 at a time) as the anchor, checked to agree (up to 200,000 units: it is slow).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.benchsupport import setup_django  # noqa: E402

SITES, VENDORS, PRODUCTS, FLAGGED_VENDORS = 250, 2_000, 5_000, 40


def _build(n: int):
    """Organisation, sites, vendors, product models, N units and their "+" history rows (COPY), findings."""
    from django.db import connection, transaction
    from django.utils import timezone

    from apps.accounts.choices import Role
    from apps.accounts.models import Membership, Organization, User
    from apps.common.copy import copy_rows, field_defaults, ids_reserve
    from apps.inventory.models import Equipment, ProductModel, Site
    from apps.inventory.services import equipment_counts_refresh
    from apps.lists.models import ListSource
    from apps.screening.models import Finding
    from apps.vendors.models import Vendor

    slug = f"bench-asof-{n}"
    org = Organization.objects.filter(slug=slug).first()
    if org is not None:
        return org
    t0 = time.perf_counter()
    created = timezone.now() - dt.timedelta(days=30)
    with transaction.atomic():
        org = Organization.objects.create(name=f"Bench as-of {n}", slug=slug)
        user = User.objects.create(username=f"{slug}-auditor")
        Membership.objects.create(user=user, organization=org, role=Role.AUDITOR)
        sites = Site.objects.bulk_create(
            [
                Site(organization=org, code=f"AO{n}-{j}", name=f"Site {j}", kind="seaport", country="US")
                for j in range(SITES)
            ]
        )
        vendors = Vendor.objects.bulk_create([Vendor(name=f"Bench as-of {n} vendor {i}") for i in range(VENDORS)])
        cats = ["camera", "sts_crane", "scanner", "access_control", "network"]
        products = ProductModel.objects.bulk_create(
            [
                ProductModel(brand=vendors[i % VENDORS], model_number=f"AO-{i}", category=cats[i % len(cats)])
                for i in range(PRODUCTS)
            ]
        )
        source = ListSource.objects.create(
            code=slug, name="Bench as-of list", publisher="bench", regime="us_fcc", format="custom_csv"
        )
        Finding.objects.bulk_create(
            [
                Finding(
                    vendor=v,
                    kind="direct",
                    key=f"bench:{v.pk}",
                    source=source,
                    regime="us_fcc",
                    path_text=f"{v.name} listed",
                    status="prohibited" if i % 2 else "restricted",
                    discovered_at=created,
                    last_seen_at=created,
                    listed_on=dt.date(2021, 3, 12),
                    closed_at=timezone.now() if i % 4 == 0 else None,
                )
                for i, v in enumerate(vendors[:FLAGGED_VENDORS])
            ]
        )
    columns = tuple(f.attname for f in Equipment._meta.concrete_fields)
    defaults = {**field_defaults(Equipment), "created_at": created, "updated_at": created}
    history = Equipment.history.model
    history_columns = tuple(f.attname for f in history._meta.concrete_fields if f.attname != "history_id")
    history_defaults = {f.attname: f.get_default() for f in history._meta.concrete_fields}
    history_defaults.update(history_date=created, history_change_reason="bench", history_type="+")
    batch = 50_000
    for start in range(0, n, batch):
        count = min(batch, n - start)
        with transaction.atomic():
            ids = ids_reserve(Equipment, count)
            rows = []
            for k, pk in enumerate(ids):
                i = start + k
                product = products[(i * 7) % PRODUCTS]
                rows.append(
                    {
                        **defaults,
                        "id": pk,
                        "site_id": sites[i % SITES].pk,
                        "product_model_id": product.pk,
                        "category": product.category,
                        "asset_tag": f"AO-{i:07d}",
                        "serial_number": f"S{i}",
                        "quantity": 1 + (i % 3 == 0),
                    }
                )
            copy_rows(Equipment, columns, (tuple(r[c] for c in columns) for r in rows))
            copy_rows(
                history,
                history_columns,
                (tuple(r[c] if c in r else history_defaults[c] for c in history_columns) for r in rows),
            )
        print(f"  {start + count:,} units written", flush=True)
    equipment_counts_refresh(site_ids=[s.pk for s in sites])
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(
        f"data set: {n:,} units with history, {SITES} sites, {FLAGGED_VENDORS} flagged vendors, built in "
        f"{time.perf_counter() - t0:.0f} s"
    )
    return org


def _backend_cpu() -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend (a local server: /proc), 0 elsewhere."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_once(fn) -> tuple[float, float]:
    """(Python CPU s, PostgreSQL backend CPU s) of one call: the cost that survives a busy machine."""
    py, db = time.process_time(), _backend_cpu()
    fn()
    return time.process_time() - py, _backend_cpu() - db


def _timed(fn, repeat: int = 3):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    best, queries, result = float("inf"), 0, None
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            result = fn()
            best = min(best, time.perf_counter() - t)
        queries = len(ctx.captured_queries)
    return best, queries, result


def _anchor(org, as_of) -> tuple[float, dict]:
    """The as-of equipment counts the way they were computed before: every unit's history row in Python and
    its findings looked up (equipment_findings), 5,000 units at a time."""
    from collections import Counter

    from apps.common.choices import risk_worst
    from apps.inventory.choices import RETIRED_STATUSES
    from apps.inventory.models import Equipment, Site
    from apps.screening.selectors import equipment_findings

    t = time.perf_counter()
    site_ids = list(Site.objects.filter(organization=org).values_list("pk", flat=True))
    rows = list(
        Equipment.history.filter(history_date__lte=as_of)
        .latest_of_each()
        .exclude(history_type="-")
        .filter(site_id__in=site_ids)
        .exclude(status__in=sorted(RETIRED_STATUSES))
        .values_list("id", "site_id", "category", "quantity")
        .order_by("id")
    )
    counts: Counter = Counter()
    for start in range(0, len(rows), 5000):
        chunk = rows[start : start + 5000]
        findings = equipment_findings(equipment_ids=[r[0] for r in chunk], as_of=as_of)
        for eq_id, *_rest in chunk:
            counts[risk_worst(*(f.status for f in findings.get(eq_id, [])))] += 1
    return time.perf_counter() - t, dict(counts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=int(os.environ.get("BENCH_ASOF_UNITS", 100_000)))
    parser.add_argument("--no-anchor", action="store_true")
    args = parser.parse_args()
    label = setup_django("asof")
    from django.test import Client
    from django.utils import timezone

    from apps.accounts.models import User
    from apps.common.dates import end_of_day_utc
    from apps.remediation.summary import summary_report

    org = _build(args.units)
    print(f"database: {label}; units: {args.units:,}; load average {os.getloadavg()[0]:.1f}")
    day = timezone.localdate() - dt.timedelta(days=1)
    as_of = end_of_day_utc(day)
    seconds, queries, report = _timed(lambda: summary_report(organization_ids=[org.pk], as_of=as_of))
    flagged = report["equipment"]["flagged"]
    py_cpu, db_cpu = _cpu_once(lambda: summary_report(organization_ids=[org.pk], as_of=as_of))
    print(
        f"summary as of {day} (history): {seconds * 1000:,.0f} ms, {queries} queries; "
        f"{report['equipment']['equipment']:,} records, {flagged:,} flagged; CPU {py_cpu * 1000:,.0f} ms Python + "
        f"{db_cpu * 1000:,.0f} ms PostgreSQL backend (parallel workers not counted)"
    )
    s_now, q_now, now = _timed(lambda: summary_report(organization_ids=[org.pk]))
    print(f"summary now (tally): {s_now * 1000:,.0f} ms, {q_now} queries; {now['equipment']['flagged']:,} flagged")
    client = Client()
    client.force_login(User.objects.get(username=f"bench-asof-{args.units}-auditor"))
    for name, url in (
        ("web /reports/as-of/", f"/reports/as-of/?day={day}"),
        ("API /api/v1/summary/?as_of=", f"/api/v1/summary/?as_of={day}"),
    ):
        s, q, response = _timed(lambda url=url: client.get(url), repeat=2)
        assert response.status_code == 200, (url, response.status_code)
        print(f"{name:32} {s * 1000:8,.0f} ms {q:4d} queries")
    anchor = None
    if args.units > 200_000 and not args.no_anchor:
        print(
            "anchor skipped above 200,000 units (the code before takes about 0.5 s per 1,000 units: minutes); "
            "run --units 100000 for it"
        )
    elif not args.no_anchor:
        anchor, by_status = _anchor(org, as_of)
        print(f"anchor, every unit's findings looked up (the code before): {anchor * 1000:,.0f} ms")
        same = {k: v for k, v in report["equipment"]["by_status"].items() if v} == by_status
        print(f"same counts by status as the anchor: {same} ({by_status})")
        assert same, (report["equipment"]["by_status"], by_status)
    print(
        f"RESULT asof units={args.units} seconds={seconds:.3f} anchor_seconds={anchor or 0:.3f} "
        f"cpu_seconds={py_cpu + db_cpu:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
