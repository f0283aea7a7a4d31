"""Remediation at scale: evaluate the rules for N equipment rows (default 100,000), creating their plans,
then re-evaluate (idempotent: nothing new), run the daily overdue/digest job, a projection and a burn-down.

    .venv/bin/python bench/bench_remediation.py                  # 100,000 units, a fresh SQLite file in a temp dir
    .venv/bin/python bench/bench_remediation.py --size 20000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vr_bench .venv/bin/python bench/bench_remediation.py
    ... bench_remediation.py --no-analyze    # re-evaluate without ANALYZE after the plans were created

With DATABASE_URL the benchmark migrates that database and leaves its rows there (use a scratch database).
Equipment, sites and vendors are bulk-generated; findings are real screening Finding rows on the listed vendors,
read through apps.screening.selectors.equipment_findings, so the timing includes the screening read path.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.benchsupport import setup_django  # noqa: E402


def _generate(size: int) -> dict:
    import datetime as dt

    from django.utils import timezone

    from apps.accounts.choices import Role
    from apps.accounts.models import Membership, Organization, User
    from apps.inventory.models import ProductModel, Site
    from apps.lists.models import ListSource
    from apps.screening.models import Finding
    from apps.vendors.models import Ownership, Vendor

    stamp = str(int(time.time()))
    # A profile under which most default rules apply (US; a port facility that is also a federal body, a DoD
    # component and a contractor), so the applicability tests are all exercised.
    # (Skipped on a code base without profiles, so the same generator can time an older version.)
    profile = {"country": "US", "subdivision": "CA", "remediation_target_days": 180,
               "legal_kinds": ["dod_component", "mtsa_port_facility", "us_federal_contractor", "us_federal_executive"]}
    known = {f.name for f in Organization._meta.get_fields()}
    org = Organization.objects.create(name=f"Bench port authority {stamp}", slug=f"bench-{stamp}",
                                      **{k: v for k, v in profile.items() if k in known})
    print("organisation profile: " + (", ".join(f"{k}={v}" for k, v in profile.items()) if "legal_kinds" in known
                                      else "none (code base without profiles)"))
    user = User.objects.create(username=f"bench-{stamp}", email=f"bench-{stamp}@example.org")
    Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
    kinds = ["seaport", "airport", "government_office", "military"]
    crits = ["low", "medium", "high", "critical"]
    sites = Site.objects.bulk_create([
        Site(organization=org, name=f"Site {i}", code=f"B{stamp[-5:]}-{i}", kind=kinds[i % 4], country="US",
             criticality=crits[i % 4], is_defence=(i % 7 == 0)) for i in range(200)])
    parent = Vendor.objects.create(name=f"Bench State Group {stamp}", country_of_incorporation="CN")
    vendors = Vendor.objects.bulk_create([
        # The listed ones carry a name s.889 names, so the named-entity test has matches to find.
        Vendor(name=f"Bench {'Hikvision ' if i < 4 else ''}vendor {stamp}-{i}",
               country_of_incorporation=("CN" if i % 4 == 0 else "DE")) for i in range(40)])
    Ownership.objects.bulk_create([Ownership(owner=parent, owned=v) for v in vendors[1::8]])
    cats = ["camera", "nvr_vms", "sts_crane", "network", "scanner", "baggage_handling", "telecom_module", "other"]
    products = ProductModel.objects.bulk_create([
        ProductModel(brand=vendors[i % 40], model_number=f"M{stamp}-{i}", category=cats[i % len(cats)],
                     country_of_manufacture=("CN" if i % 3 == 0 else "VN")) for i in range(400)])
    t0 = time.perf_counter()
    _insert_equipment(size, sites, products)
    gen_s = time.perf_counter() - t0
    sources = {}
    for code, regime in (("ndaa_889", "us_ndaa"), ("dod_1260h", "us_dod"), ("us_csl", "us_csl")):
        sources[code], _ = ListSource.objects.get_or_create(code=code, defaults={
            "name": code, "publisher": "bench", "regime": regime, "format": "custom_csv"})
    now = timezone.now()
    findings = []
    for i, v in enumerate(vendors[:4]):  # 10% of vendors listed; country rules flag more
        code = ("ndaa_889", "dod_1260h", "us_csl")[i % 3]
        findings.append(Finding(vendor=v, kind="direct", key=f"bench:{code}:{v.pk}", source=sources[code],
                                regime=sources[code].regime, sub_list="Entity List" if code == "us_csl" else "",
                                path_text=f"{v.name} <- listed: {code}", status="prohibited",
                                listed_on=dt.date(2020, 1, 1), discovered_at=now, last_seen_at=now))
    Finding.objects.bulk_create(findings)
    from django.db import connection

    if connection.vendor == "postgresql":  # planner statistics after the bulk load, as autovacuum would do
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    return {"org": org, "generate_s": gen_s, "sites": sites}


def _insert_equipment(size: int, sites, products) -> None:
    """Equipment rows with one executemany per 5,000 (bulk_create's per-field overhead would dominate the run);
    every column gets its field's default, prepared by the field itself."""
    import datetime as dt

    from django.db import connection, transaction
    from django.utils import timezone

    from apps.inventory.models import Equipment

    fields = [f for f in Equipment._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    levels = ("isolated", "site_network", "internet", "vendor_remote")
    if any(f.attname == "connectivity" for f in fields):  # a code base before connectivity facts
        conns = [{"connectivity": c} for c in levels]
    else:
        from apps.inventory.choices import CONNECTIVITY_FACT_FIELDS, LEGACY_CONNECTIVITY_FACTS

        conns = [{f: f in LEGACY_CONNECTIVITY_FACTS[c] for f in CONNECTIVITY_FACT_FIELDS} for c in levels]

    def prep(f, v):
        return f.get_db_prep_save(v, connection)

    constant = {f.attname: prep(f, now if f.attname in ("created_at", "updated_at") else f.get_default())
                for f in fields}
    by_name = {f.attname: f for f in fields}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(Equipment._meta.db_table)} ({columns}) VALUES ({marks})"
    dates = [prep(by_name["installed_date"], dt.date(2015 + y, 1 + m, 1)) for y in range(10) for m in range(12)]
    rows = []
    with transaction.atomic(), connection.cursor() as cur:
        for i in range(size):
            pm = products[i % len(products)]
            row = dict(constant)
            row.update(site_id=sites[i % len(sites)].pk, product_model_id=pm.pk, category=pm.category,
                       quantity=1 + i % 20, collects_data=bool(i % 2), installed_date=dates[i % len(dates)],
                       **conns[i % 4])
            rows.append([row[f.attname] for f in fields])
            if len(rows) == 5000:
                _write(cur, sql, rows)
                rows = []
        if rows:
            _write(cur, sql, rows)


def _write(cur, sql: str, rows: list) -> None:
    from django.db import connection

    if connection.vendor == "postgresql":  # one statement per page, not one round trip per row
        from psycopg2.extras import execute_values

        head = sql[: sql.index("VALUES") + len("VALUES")]
        execute_values(cur.cursor, head + " %s", rows, page_size=5000)
    else:
        cur.executemany(sql, rows)


class Timer:
    """Wall and CPU seconds of a block (the machine may be shared; CPU is the steadier figure)."""

    def __enter__(self):
        self.w0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.w0, time.process_time() - self.c0

    def __str__(self) -> str:
        return f"{self.wall:.1f} s wall, {self.cpu:.1f} s CPU"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--no-analyze", dest="analyze", action="store_false",
                        help="re-evaluate on the statistics of before the plans were created (as on a server whose "
                             "autovacuum has not run yet)")
    args = parser.parse_args()
    label = setup_django("remediation", EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")

    import datetime as dt

    from django.db import connection, reset_queries

    from apps.inventory.models import Equipment
    from apps.remediation.models import RemediationPlan
    from apps.remediation.selectors import remediation_burndown, remediation_projection
    from apps.remediation.services import remediation_daily, remediation_evaluate

    print(f"database: {label}")
    data = _generate(args.size)
    org = data["org"]
    ids = list(Equipment.objects.filter(site__organization=org).values_list("id", flat=True))
    print(f"generated {len(ids):,} equipment rows in {data['generate_s']:.1f} s (raw multi-row insert)")
    today = dt.date(2026, 11, 25)

    with Timer() as t1:
        first = remediation_evaluate(equipment_ids=ids, today=today)
    plans = RemediationPlan.objects.filter(organization=org).count()
    print(f"evaluate (create): {t1} for {first.evaluated:,} units -> {first.created:,} plans created "
          f"({first.evaluated / t1.wall:,.0f} units/s wall); plans in db {plans:,}")
    if args.analyze and connection.vendor == "postgresql":
        # Planner statistics for the plans just created, as autovacuum would gather them within its next round (a
        # server with autovacuum off, like the shared development one, keeps the empty table's statistics).
        with connection.cursor() as cur:
            cur.execute("ANALYZE")

    connection.force_debug_cursor = True
    reset_queries()
    with Timer() as t2:
        second = remediation_evaluate(equipment_ids=ids, today=today)
    queries = len(connection.queries)
    connection.force_debug_cursor = False
    print(f"evaluate again (idempotent): {t2}, created {second.created}, updated {second.updated}, "
          f"closed {second.closed}, unchanged {second.unchanged:,}; {queries} queries "
          f"({queries / max(1, len(ids) / 2000):.1f} per 2,000-unit chunk)")

    with Timer() as t3:
        daily = remediation_daily(today=today)
    with Timer() as t3b:
        again = remediation_daily(today=today)
    print(f"daily job: {t3} {daily}; second run {t3b}, digests {again['digests']}")

    some_sites = [s.pk for s in data["sites"][:20]]
    with Timer() as t4:
        proj = remediation_projection(on=dt.date(2027, 7, 1), today=today, organization_ids=[org.pk],
                                      site_ids=some_sites)
    n_units = Equipment.objects.filter(site_id__in=some_sites).count()
    print(f"projection to 2027-07-01 over 20 of 200 sites ({n_units:,} units): {t4}, "
          f"{len(proj):,} units non-compliant then")

    with Timer() as t5:
        rows = remediation_burndown(organization_ids=[org.pk], start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                                    interval="week", group_by="category")
    print(f"burn-down 52 weeks x category: {t5}, {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
