"""Screening with a database: full run, per-vendor run, bulk equipment status, selectors, pre-purchase checks.

    .venv/bin/python bench/bench_screening_status.py                      # 50,000 equipment, 2,000 vendors
    .venv/bin/python bench/bench_screening_status.py --equipment 1000000  # the 1,000,000 target (slower set-up)
    .venv/bin/python bench/bench_screening_status.py --equipment 1000000 --private-entries 2000  # two views
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vr_bench_screening .venv/bin/python bench/bench_screening_status.py

Without DATABASE_URL a fresh SQLite file in a temporary directory is used. With DATABASE_URL that database is
migrated and filled; use a database of its own (the data is left behind).

Set-up (not timed): one list source with `--entries` generated entity names plus 50 names that generated vendors
carry, `--vendors` vendors (1% listed, 5% owned by a listed vendor through chains of 1-3 links, some with unknown
shares, 2% white-label brands), one product model per vendor, `--equipment` equipment rows spread over them, and a
flagged component on 2% of the equipment. Then, timed: a full run (by phase), a second full run (nothing changes),
a per-vendor run (a listed parent: its subsidiaries are re-derived), equipment_risk_refresh alone, the
equipment_findings selector for 100 items (queries counted) and 200 single pre-purchase checks (p50/p95).

With `--private-entries N` the equipment is split over two organisations' sites and the first organisation has an
in-house list of N entries (names of 1% of the vendors among them) and an own decision dismissing one public
match: the runs then derive the public view and that organisation's view, and the bench prints, for a member of
each organisation, the queries and time of the equipment list (first page), the dashboard and the API summary
(constant whatever the size and the view).
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = ["Acme", "Borealis", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Helix", "Iris", "Juniper", "Krypton",
         "Lumen", "Meridian", "Nimbus", "Orion", "Pioneer", "Quartz", "Radiant", "Summit", "Titan", "Umber",
         "Vertex", "Willow", "Xenon", "Yarrow", "Zephyr"]
TRADES = ["Logistics", "Marine", "Cranes", "Vision", "Systems", "Electronics", "Networks", "Security", "Metals",
          "Software", "Holdings", "Machinery", "Sensors", "Telecom", "Port Services"]
FORMS = ["Co., Ltd.", "Inc.", "GmbH", "Ltd", "S.A.", "B.V.", "Corporation", "Pte. Ltd.", "AB", "Oy"]


def coined(rng: random.Random) -> str:
    syll = ["ka", "zo", "ri", "tan", "vel", "mor", "qui", "lux", "dra", "pen", "sor", "xi", "bel", "tor", "nex"]
    return "".join(rng.choice(syll) for _ in range(rng.randint(2, 4))).capitalize()


def name(rng: random.Random) -> str:
    return f"{coined(rng)} {rng.choice(WORDS)} {rng.choice(TRADES)} {rng.choice(FORMS)}"


def setup_django(tmp: Path) -> None:
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendorrisk.settings")
    if not os.environ.get("DATABASE_URL"):
        os.environ["VAR_DIR"] = str(tmp / "var")
    os.environ["MEDIA_ROOT"] = str(tmp / "media")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def build(args, rng: random.Random) -> dict:
    import hashlib

    from django.utils import timezone

    from apps.accounts.models import Organization
    from apps.inventory.models import Component, Equipment, ProductModel, Site
    from apps.lists.models import ListEntry, ListSource, ListVersion
    from apps.vendors.models import OemRelation, Ownership, Vendor

    now = timezone.now()
    t0 = time.perf_counter()
    source = ListSource.objects.create(code=f"bench-sdn-{rng.randint(0, 10**9)}", name="Bench SDN", publisher="bench",
                                       regime="us_ofac", propagation="ofac_50", format="custom_csv")
    version = ListVersion.objects.create(source=source, status="active", fetched_at=now, activated_at=now,
                                         sha256=hashlib.sha256(source.code.encode()).hexdigest(),
                                         entry_count=args.entries)
    vendor_names = list(dict.fromkeys(name(rng) for _ in range(int(args.vendors * 1.2))))[: args.vendors]
    listed_idx = set(rng.sample(range(len(vendor_names)), max(1, len(vendor_names) // 100)))
    entries = [ListEntry(version=version, external_id=f"E{i}", primary_name=name(rng),
                         content_hash=hashlib.sha256(f"e{i}".encode()).hexdigest()) for i in range(args.entries)]
    entries += [ListEntry(version=version, external_id=f"V{i}", primary_name=vendor_names[i],
                          content_hash=hashlib.sha256(f"v{i}".encode()).hexdigest()) for i in listed_idx]
    ListEntry.objects.bulk_create(entries, batch_size=5000)
    Vendor.objects.bulk_create([Vendor(name=n, country_of_incorporation=rng.choice(["CN", "US", "DE", "FI", "JP"]))
                                for n in vendor_names], batch_size=5000)
    vendors = list(Vendor.objects.order_by("pk").values_list("pk", flat=True))
    listed = [vendors[i] for i in sorted(listed_idx)]
    links, owned = [], set()
    for _ in range(len(vendors) // 20):
        parent = rng.choice(listed)
        for _depth in range(rng.randint(1, 3)):
            child = rng.choice(vendors)
            if child in owned or child in listed or child == parent:
                break
            share = None if rng.random() < 0.2 else rng.choice([25, 50, 60, 100])
            links.append(Ownership(owner_id=parent, owned_id=child, share_percent=share))
            owned.add(child)
            parent = child
    Ownership.objects.bulk_create(links, batch_size=5000)
    brands = rng.sample(vendors, len(vendors) // 50)
    OemRelation.objects.bulk_create([OemRelation(brand_id=b, manufacturer_id=rng.choice(listed), category="camera")
                                     for b in brands if b not in listed], batch_size=5000, ignore_conflicts=True)
    org = Organization.objects.create(name=f"Bench {source.code}", slug=source.code)
    site = Site.objects.create(organization=org, name="Bench site", code="B1", kind="seaport", country="US")
    other_org = Organization.objects.create(name=f"Bench other {source.code}", slug=f"o-{source.code}")
    other_site = Site.objects.create(organization=other_org, name="Other site", code="B2", kind="airport",
                                     country="US")
    private_listed: list[int] = []
    if args.private_entries:
        # The first organisation's in-house list: generated names plus 1% of the (unlisted) vendors.
        inhouse = ListSource.objects.create(code=f"{source.code}-inhouse", name="Bench in-house list",
                                            publisher="bench", regime="custom", format="custom_csv",
                                            organization=org)
        iv = ListVersion.objects.create(source=inhouse, status="active", fetched_at=now, activated_at=now,
                                        sha256=hashlib.sha256(inhouse.code.encode()).hexdigest(),
                                        entry_count=args.private_entries)
        unlisted = [i for i in range(len(vendor_names)) if i not in listed_idx]
        private_idx = rng.sample(unlisted, max(1, len(vendor_names) // 100))
        rows = [ListEntry(version=iv, external_id=f"P{i}", primary_name=name(rng),
                          content_hash=hashlib.sha256(f"p{i}".encode()).hexdigest())
                for i in range(max(0, args.private_entries - len(private_idx)))]
        rows += [ListEntry(version=iv, external_id=f"PV{i}", primary_name=vendor_names[i],
                           content_hash=hashlib.sha256(f"pv{i}".encode()).hexdigest()) for i in private_idx]
        ListEntry.objects.bulk_create(rows, batch_size=5000)
        private_listed = private_idx
    categories = ["camera", "network", "sts_crane", "scanner"]
    ProductModel.objects.bulk_create([ProductModel(brand_id=v, model_number=f"M{v}", category=rng.choice(categories))
                                      for v in vendors], batch_size=5000)
    pms = list(ProductModel.objects.filter(brand_id__in=vendors).values_list("pk", "category"))
    from django.db import connection

    if connection.vendor == "postgresql":
        # 1,000,000 rows in seconds: one INSERT ... SELECT over generate_series.
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO inventory_equipment (created_at, updated_at, site_id, product_model_id, category, "
                "quantity, serial_number, asset_tag, status, internet_connected, vendor_remote_access, cellular_modem, "
                "isolated_segment, collects_data, operator_name, notes, "
                "is_demo, risk_status, risk_reason) SELECT now(), now(), %s, (%s::bigint[])[1 + g %% %s], "
                "(%s::text[])[1 + g %% %s], 1, '', '', 'in_service', false, false, false, false, false, '', '', "
                "false, "
                "'clear', '' FROM generate_series(0, %s) AS g",
                [site.pk, [p for p, _ in pms], len(pms), [c for _, c in pms], len(pms),
                 (args.equipment // 2 if args.private_entries else args.equipment) - 1],
            )
            if args.private_entries:  # the other half at the second organisation's site
                cur.execute(
                    "INSERT INTO inventory_equipment (created_at, updated_at, site_id, product_model_id, category, "
                    "quantity, serial_number, asset_tag, status, connectivity, collects_data, operator_name, notes, "
                    "is_demo, risk_status, risk_reason) SELECT now(), now(), %s, (%s::bigint[])[1 + g %% %s], "
                    "(%s::text[])[1 + g %% %s], 1, '', '', 'in_service', 'site_network', false, '', '', false, "
                    "'clear', '' FROM generate_series(0, %s) AS g",
                    [other_site.pk, [p for p, _ in pms], len(pms), [c for _, c in pms], len(pms),
                     args.equipment - args.equipment // 2 - 1],
            )
            cur.execute("ANALYZE inventory_equipment")
    else:
        batch = []
        for i in range(args.equipment):
            pm, cat = pms[i % len(pms)]
            unit_site = other_site if args.private_entries and i % 2 else site
            batch.append(Equipment(site=unit_site, product_model_id=pm, category=cat))
            if len(batch) == 10000:
                Equipment.objects.bulk_create(batch)
                batch = []
        if batch:
            Equipment.objects.bulk_create(batch)
    eq_ids = list(Equipment.objects.filter(site__in=[site, other_site]).values_list("pk", flat=True))
    comps = [Component(equipment_id=e, kind="comms_module", vendor_id=rng.choice(listed))
             for e in rng.sample(eq_ids, len(eq_ids) // 50)]
    Component.objects.bulk_create(comps, batch_size=10000)
    from apps.inventory.services import equipment_counts_refresh

    equipment_counts_refresh()  # rows inserted in SQL: the per-site tallies the pages read
    print(f"set-up: {len(vendors):,} vendors ({len(listed)} listed, {len(links):,} ownership links), "
          f"{len(entries):,} list entries, {args.private_entries:,} private entries "
          f"({len(private_listed)} naming vendors), {len(eq_ids):,} equipment, {len(comps):,} flagged components "
          f"in {time.perf_counter() - t0:.1f} s")
    return {"listed": listed, "equipment": eq_ids, "vendor_names": vendor_names, "orgs": [org, other_org]}


def views_report(data: dict) -> None:
    """For a member of each organisation: queries and best-of-3 time of the equipment list (first page), the
    dashboard and the API summary."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from apps.accounts.models import Membership, User

    for org in data["orgs"]:
        user = User.objects.create(username=f"bench-{org.slug}")
        Membership.objects.create(user=user, organization=org, role="officer")
        client = Client()
        client.force_login(user)
        for label, url in (("equipment list", "/equipment/"), ("dashboard", "/"), ("API summary", "/api/v1/summary/")):
            best, queries, status = float("inf"), 0, 0
            for _ in range(3):
                with CaptureQueriesContext(connection) as ctx:
                    t = time.perf_counter()
                    response = client.get(url)
                    best = min(best, time.perf_counter() - t)
                queries, status = len(ctx), response.status_code
            print(f"{org.name[:22]:22} {label:14} {best * 1000:8.1f} ms  {queries:3} queries  (HTTP {status})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vendors", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--equipment", type=int, default=50000)
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--private-entries", type=int, default=0,
                        help="An in-house list of this many entries for the first of two organisations.")
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(Path(tmp))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from apps.inventory.models import Equipment
        from apps.screening.selectors import equipment_findings
        from apps.screening.services import (
            equipment_risk_refresh,
            screen_name,
            screening_run_full,
            screening_run_vendors,
        )

        print(f"database: {connection.vendor}")
        data = build(args, rng)

        def report(label, run):
            phases = ", ".join(f"{k} {v:.2f}s" for k, v in run.timings.items())
            print(f"{label:34} {run.duration_ms / 1000:7.2f} s  ({phases})")
            print(f"{'':34} counts: {dict(run.counts)}")

        report("full run (first)", screening_run_full())
        if args.private_entries:  # the first organisation dismisses one public match for itself
            from apps.accounts.models import Membership, User
            from apps.screening.models import Match
            from apps.screening.services import review_decide

            reviewer = User.objects.create(username="bench-reviewer")
            Membership.objects.create(user=reviewer, organization=data["orgs"][0], role="officer")
            match = Match.objects.filter(closed_at__isnull=True, source__organization__isnull=True).first()
            if match is not None:
                t0 = time.perf_counter()
                review_decide(match=match, decision="dismiss", reason="bench", user=reviewer)
                print(f"{'own decision (one organisation)':34} {time.perf_counter() - t0:7.2f} s")
        report("full run (again, no change)", screening_run_full())
        report("per-vendor run (listed parent)", screening_run_vendors(vendor_ids=[data["listed"][0]]))
        Equipment.objects.update(risk_status="clear", risk_reason="")
        t0 = time.perf_counter()
        written = equipment_risk_refresh()
        flagged = Equipment.objects.exclude(risk_status="clear").count()
        print(f"{'equipment_risk_refresh (from clear)':34} {time.perf_counter() - t0:7.2f} s  "
              f"({written:,} rows written, {flagged:,} flagged)")
        t0 = time.perf_counter()
        written = equipment_risk_refresh()
        print(f"{'equipment_risk_refresh (no change)':34} {time.perf_counter() - t0:7.2f} s  "
              f"({written:,} rows written)")
        sample = rng.sample(data["equipment"], 100)
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            found = equipment_findings(equipment_ids=sample)
            seconds = time.perf_counter() - t0
        print(f"{'equipment_findings(100 items)':34} {seconds * 1000:7.1f} ms ({len(ctx.captured_queries)} queries, "
              f"{sum(len(v) for v in found.values())} findings)")
        screen_name(name="warm up the index")
        latencies = []
        for i in range(args.checks):
            query = data["vendor_names"][i] if i % 4 == 0 else name(rng)
            t0 = time.perf_counter()
            screen_name(name=query)
            latencies.append((time.perf_counter() - t0) * 1000)
        latencies.sort()
        print(f"{'screen_name single check':34} p50 {statistics.median(latencies):.1f} ms, "
              f"p95 {latencies[int(len(latencies) * 0.95) - 1]:.1f} ms, max {latencies[-1]:.1f} ms "
              f"({args.checks} checks)")
        if args.private_entries:
            from apps.screening.models import VendorOrgStatus

            print(f"overlay rows (vendors seen differently): {VendorOrgStatus.objects.count():,}")
            views_report(data)


if __name__ == "__main__":
    main()
