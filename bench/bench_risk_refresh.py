"""Units' risk status after one vendor changed, at 1,000,000 units: `equipment_risk_refresh(vendor_ids=[v])`
(the units that vendor reaches) beside the full refresh of every unit (the anchor), on `make load`'s data set.

    make load                                              # builds vr_bench_load once (about 4 minutes)
    .venv/bin/python bench/bench_risk_refresh.py
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/vr_bench_load .venv/bin/python bench/bench_risk_refresh.py

Prints wall and CPU seconds (this process) and the units each call looked at, and a RESULT line for `make bench`.
The vendor is listed (an open finding) inside a transaction that is rolled back at the end: the per-vendor call
re-rates its units, then, the finding closed, the full refresh finds and clears them among every unit; each is
then run again with nothing to change. The data set is left as it was.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/vr_bench_load")
    try:
        import psycopg2

        psycopg2.connect(url, connect_timeout=3).close()
    except psycopg2.OperationalError as exc:
        print(f"skipped: {url} does not answer ({str(exc).strip()}); run `make load` first")
        return 0
    os.environ.update(DJANGO_SETTINGS_MODULE="vendorrisk.settings", DATABASE_URL=url, DEBUG="false",
                      SECRET_KEY=os.environ.get("SECRET_KEY", "bench-" + "x" * 60), ALLOWED_HOSTS="127.0.0.1",
                      CELERY_BROKER_URL="memory://", LOG_LEVEL="WARNING")
    import django

    django.setup()
    from django.db import transaction
    from django.db.models import Count
    from django.utils import timezone

    from apps.inventory.models import Equipment
    from apps.lists.models import ListSource
    from apps.screening.models import Finding
    from apps.screening.services.equipment import equipment_ids_for_vendors, equipment_risk_refresh

    total = Equipment.objects.count()
    if total < 100_000:  # `make bench` on a machine without make load's data set: say so, no RESULT line
        print(f"skipped: {url} holds {total} units; run `make load` first to build its 1,000,000-unit data set")
        return 0
    vendor = (Equipment.objects.values("product_model__brand_id").annotate(n=Count("id")).order_by("-n")
              .first()["product_model__brand_id"])
    reached = sum(1 for _ in equipment_ids_for_vendors([vendor]))

    def timed(label: str, call) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        written = call()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"{label:<44} {wall:7.2f} s wall  {cpu:6.2f} s CPU  {written} rows written", flush=True)
        return wall, cpu

    print(f"{total} units; vendor {vendor} reaches {reached} of them (brand of their product models)")
    # The vendor is listed (an open finding), in a transaction rolled back at the end: the data set is unchanged.
    with transaction.atomic():
        source, _ = ListSource.objects.get_or_create(code="bench_refresh", defaults={
            "name": "bench_refresh", "publisher": "bench", "regime": "us_csl", "format": "custom_csv"})
        now = timezone.now()
        Finding.objects.create(vendor_id=vendor, kind="direct", key=f"bench:refresh:{vendor}", source=source,
                               regime=source.regime, path_text="listed: bench", status="prohibited",
                               discovered_at=now, last_seen_at=now)

        def one_vendor() -> int:
            return equipment_risk_refresh(vendor_ids=[vendor])

        one, _ = timed(f"equipment_risk_refresh(vendor_ids=[{vendor}]) listed", one_vendor)
        timed("  again, nothing changed", one_vendor)
        Finding.objects.filter(key=f"bench:refresh:{vendor}").update(closed_at=now)
        full, _ = timed("equipment_risk_refresh() (every unit), delisted", equipment_risk_refresh)
        timed("  again, nothing changed", equipment_risk_refresh)
        transaction.set_rollback(True)
    print(f"RESULT risk_refresh figure={one:.2f}s anchor={full:.2f}s units={reached} of={total}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
