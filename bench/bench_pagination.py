"""The API's equipment list over N units: our cursor pagination (no COUNT, keyset) beside DRF's default page
number pagination (a COUNT(*) of the filtered list on every page, OFFSET for deep pages), same run, same data.

    .venv/bin/python bench/bench_pagination.py                          # 100,000 units (bench_asof's data set)
    BENCH_ASOF_UNITS=1000000 .venv/bin/python bench/bench_pagination.py  # 1,000,000 units
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vr_bench .venv/bin/python bench/bench_pagination.py

Requests go through Django's test client as the organisation's auditor (server time, no network); best of 3.
Also renders a page of 1,000 units with DRF's JSONRenderer and with the API's orjson renderer.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.benchsupport import setup_django  # noqa: E402


def _best(client, url: str, repeat: int = 3) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    best, queries = float("inf"), 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            response = client.get(url)
            best = min(best, time.perf_counter() - t)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        queries = len(ctx.captured_queries)
    return best, queries


def _render_time(renderer, data) -> float:
    t = time.perf_counter()
    renderer.render(data, "application/json")
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=int(os.environ.get("BENCH_ASOF_UNITS", 100_000)))
    args = parser.parse_args()
    label = setup_django("pagination")
    from django.test import Client
    from rest_framework.pagination import PageNumberPagination

    from apps.accounts.models import User
    from apps.inventory.api.views import EquipmentViewSet
    from bench.bench_asof import _build

    _build(args.units)
    client = Client()
    client.force_login(User.objects.get(username=f"bench-asof-{args.units}-auditor"))
    print(f"database: {label}; units: {args.units:,}; load average {os.getloadavg()[0]:.1f}")
    ours_first, q1 = _best(client, "/api/v1/equipment/?limit=50")
    body = client.get("/api/v1/equipment/?limit=50").json()
    ours_next, q2 = _best(client, body["next"].split("testserver", 1)[-1])
    print(
        f"ours (cursor): first page {ours_first * 1000:,.0f} ms ({q1} queries), next page "
        f"{ours_next * 1000:,.0f} ms ({q2} queries)"
    )

    class DefaultPagination(PageNumberPagination):
        page_size = 50

    original = EquipmentViewSet.pagination_class
    EquipmentViewSet.pagination_class = DefaultPagination
    try:
        drf_first, q3 = _best(client, "/api/v1/equipment/?page=1")
        deep = max(1, args.units // 50 // 2)
        drf_deep, q4 = _best(client, f"/api/v1/equipment/?page={deep}")
    finally:
        EquipmentViewSet.pagination_class = original
    print(
        f"DRF PageNumberPagination (COUNT + OFFSET): page 1 {drf_first * 1000:,.0f} ms ({q3} queries), "
        f"page {deep:,} {drf_deep * 1000:,.0f} ms ({q4} queries)"
    )
    from rest_framework.renderers import JSONRenderer

    from apps.api.renderers import OrjsonRenderer

    page = client.get("/api/v1/equipment/?limit=1000").json()  # a full page, rendered again by each renderer
    drf_render = min(_render_time(JSONRenderer(), page) for _ in range(3))
    ours_render = min(_render_time(OrjsonRenderer(), page) for _ in range(3))
    print(
        f"rendering a page of {len(page['results'])} units: DRF JSONRenderer {drf_render * 1000:,.1f} ms, "
        f"orjson renderer {ours_render * 1000:,.1f} ms"
    )
    print(f"RESULT renderer seconds={ours_render:.5f} anchor_seconds={drf_render:.5f} rows={len(page['results'])}")
    print(
        f"RESULT pagination units={args.units} seconds={ours_first:.4f} anchor_seconds={drf_first:.4f} "
        f"next_seconds={ours_next:.4f} anchor_deep_seconds={drf_deep:.4f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
