"""The auditors' API at scale: the equipment list over 1,000,000 rows, and its streaming CSV export.

    .venv/bin/python bench/bench_api.py                       # PostgreSQL database vr_apibench on 127.0.0.1
    .venv/bin/python bench/bench_api.py --rows 200000 --clients 4 --requests 400
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/other .venv/bin/python bench/bench_api.py

1. Generates N equipment rows in one organisation (50 sites, 200 product models, 100 vendors, a finding on one
   vendor) with one INSERT ... SELECT generate_series (kept between runs when the count already matches).
2. Counts the SQL queries of one list request in process, for a page of 10 and of 200 rows (must be equal).
3. Starts gunicorn on 127.0.0.1 (2 workers x 4 threads, DEBUG off), warms every worker thread up (first
   connection, lazy imports; not measured), then runs C client threads that walk the equipment list
   filtered by site, category and status, 50 rows a page, following the `next` cursor: p50/p95/max.
4. Streams `?format=csv` of all N rows through the same server and prints the time and row count.

Targets: p95 < 100 ms, export < 30 s.
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/vr_apibench"


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendorrisk.settings")
    os.environ["API_THROTTLE_RATE"] = "1000000/minute"
    import django

    django.setup()
    from django.conf import settings

    settings.API_THROTTLE_RATE = "1000000/minute"


def _ensure_database(database_url: str) -> None:
    import psycopg2

    name = database_url.rsplit("/", 1)[1]
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def _world(rows: int, regenerate: bool = False):
    """The organisation, its users, sites, models and N equipment rows (generated in the database)."""
    from django.db import connection
    from django.utils import timezone

    from apps.accounts.models import Membership, Organization, User
    from apps.inventory.models import Equipment, ProductModel, Site
    from apps.vendors.models import Vendor

    org, _ = Organization.objects.get_or_create(slug="apibench", defaults={"name": "API bench authority"})
    user, _ = User.objects.get_or_create(username="apibench-auditor")
    Membership.objects.get_or_create(user=user, organization=org, defaults={"role": "auditor"})
    if Site.objects.filter(organization=org).count() < 50:
        Site.objects.bulk_create([Site(organization=org, name=f"Bench site {i}", code=f"B{i:03d}", kind="seaport",
                                       country="US") for i in range(50)], ignore_conflicts=True)
    if Vendor.objects.filter(name__startswith="Bench vendor ").count() < 100:
        Vendor.objects.bulk_create([Vendor(name=f"Bench vendor {i}") for i in range(100)], ignore_conflicts=True)
    vendors = list(Vendor.objects.filter(name__startswith="Bench vendor ").order_by("id"))
    categories = ["camera", "nvr_vms", "sts_crane", "yard_crane", "scanner", "network", "access_control", "drone"]
    if ProductModel.objects.filter(model_number__startswith="BENCH-").count() < 200:
        ProductModel.objects.bulk_create([
            ProductModel(brand=vendors[i % 100], manufacturer=vendors[(i + 1) % 100] if i % 3 == 0 else None,
                         model_number=f"BENCH-{i}", category=categories[i % len(categories)])
            for i in range(200)], ignore_conflicts=True)
    sites = list(Site.objects.filter(organization=org).order_by("id").values_list("id", flat=True))
    models = list(ProductModel.objects.filter(model_number__startswith="BENCH-").order_by("id")
                  .values_list("id", "category"))
    have = Equipment.objects.filter(site__organization=org).count()
    if have != rows or regenerate:
        started = time.perf_counter()
        Equipment.objects.filter(site__organization=org).delete() if have < 10_000 else _truncate(org)
        _generate(rows, sites, models)
        with connection.cursor() as cur:
            cur.execute("ANALYZE inventory_equipment")
        print(f"generated {rows:,} equipment rows in {time.perf_counter() - started:.1f} s")
    else:
        print(f"reusing {rows:,} equipment rows")
    return org, user, sites, [c for _, c in models], timezone.now()


def _truncate(org) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DELETE FROM inventory_equipment e USING inventory_site s WHERE e.site_id = s.id "
                    "AND s.organization_id = %s", [org.pk])


def _generate(rows: int, sites: list[int], models: list[tuple[int, str]]) -> None:
    """One INSERT ... SELECT over generate_series: every concrete column gets an expression or its default."""
    from django.db import connection

    from apps.inventory.models import Equipment

    site_arr = "ARRAY[" + ",".join(map(str, sites)) + "]::bigint[]"
    model_arr = "ARRAY[" + ",".join(str(m) for m, _ in models) + "]::bigint[]"
    cat_arr = "ARRAY[" + ",".join(f"'{c}'" for _, c in models) + "]::text[]"
    exprs = {
        # The site varies with g div 200 and the product model with g mod 200, so every site has every model.
        "site_id": f"({site_arr})[1 + ((g / {len(models)}) %% {len(sites)})]",
        "product_model_id": f"({model_arr})[1 + (g %% {len(models)})]",
        "category": f"({cat_arr})[1 + (g %% {len(models)})]",
        "serial_number": "'SN' || g",
        "asset_tag": "'AT' || g",
        "quantity": "1",
        "status": "'in_service'",
        "created_at": "now()",
        "updated_at": "now()",
        "installed_date": "DATE '2015-01-01' + (g %% 3000)",
        "risk_status": "CASE WHEN g %% 10 = 0 THEN 'restricted' ELSE 'clear' END",
    }
    columns, values, params = [], [], []
    for field in Equipment._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.column in exprs:
            values.append(exprs[field.column])
        elif field.null:
            values.append("NULL")
        else:
            values.append("%s")
            params.append(field.get_default())
    sql = (f"INSERT INTO inventory_equipment ({', '.join(columns)}) "
           f"SELECT {', '.join(values)} FROM generate_series(1, %s) AS g")
    with connection.cursor() as cur:
        cur.execute(sql, [*params, rows])


def _query_counts(user, site_id: int, category: str) -> tuple[int, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from apps.api.services import api_token_create

    _, key = api_token_create(user=user, name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    client.get("/api/v1/equipment/", {"limit": 1})  # warm-up: the token's first-use write
    counts = []
    for limit in (10, 200):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/equipment/", {"site": site_id, "category": category, "limit": limit})
        assert response.status_code == 200, response.content[:300]
        counts.append(len(ctx.captured_queries))
    return counts[0], counts[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(database_url: str, workers: int, threads: int):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(DEBUG="false", SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="127.0.0.1",
               SECURE_SSL_REDIRECT="false", DATABASE_URL=database_url, API_THROTTLE_RATE="1000000/minute",
               CELERY_BROKER_URL="memory://", LOG_LEVEL="ERROR", AUDIT_HMAC_KEYS=f"bench:{secrets.token_urlsafe(32)}")
    gunicorn = Path(sys.executable).parent / "gunicorn"
    proc = subprocess.Popen([str(gunicorn), "vendorrisk.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
                             "--threads", str(threads), "--log-level", "error", "--timeout", "120"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{base}/api/v1/health/", timeout=2)
            break
        except urllib.error.HTTPError:
            break  # answered (503 if the broker is down): the server is up
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise SystemExit("gunicorn did not start: " + proc.stderr.read().decode()[-2000:])
    return proc, base


def _get(url: str, key: str) -> tuple[float, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Token {key}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
    return time.perf_counter() - started, body


def _load(base: str, key: str, sites: list[int], categories: list[str], clients: int, requests: int,
          max_seconds: float) -> list[float]:
    import json

    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds
    per_client = max(1, requests // clients)

    def client(seed: int) -> None:
        rnd = random.Random(seed)
        url = None
        for i in range(per_client):
            if time.monotonic() > deadline:
                return
            if url is None or i % 5 == 0:  # a new filter every five pages
                url = (f"{base}/api/v1/equipment/?site={rnd.choice(sites)}&category={rnd.choice(categories)}"
                       f"&status=in_service&limit=50")
            elapsed, body = _get(url, key)
            with lock:
                latencies.append(elapsed)
            url = json.loads(body).get("next")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=600, help="total list requests")
    parser.add_argument("--max-seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--regenerate", action="store_true", help="generate the rows again even if present")
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    if not database_url.startswith("postgres"):
        print("bench_api needs PostgreSQL (set DATABASE_URL=postgres://...); skipped")
        return 0
    _ensure_database(database_url)
    _setup_django(database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    org, user, sites, categories, _ = _world(args.rows, args.regenerate)
    small, large = _query_counts(user, sites[0], categories[0])
    print(f"SQL queries per list request: {small} (10 rows), {large} (200 rows)")

    from apps.api.services import api_token_create

    _, key = api_token_create(user=user, name="bench-load")
    proc, base = _serve(database_url, args.workers, args.threads)
    try:
        # Warm-up (not measured): every worker thread opens its database connection and loads its code on its
        # first requests; the figures below are the steady state.
        _load(base, key, sites, sorted(set(categories)), max(args.clients, args.workers * args.threads),
              8 * args.workers * args.threads, args.max_seconds)
        started = time.perf_counter()
        latencies = _load(base, key, sites, sorted(set(categories)), args.clients, args.requests, args.max_seconds)
        wall = time.perf_counter() - started
        ms = sorted(x * 1000 for x in latencies)
        p95 = ms[max(0, int(len(ms) * 0.95) - 1)]
        print(f"equipment list, {args.rows:,} rows, filtered by site+category+status, 50 per page, cursor paging, "
              f"{args.clients} clients, gunicorn {args.workers}x{args.threads}: {len(ms)} requests in {wall:.1f} s "
              f"({len(ms) / wall:.0f} req/s); p50 {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, "
              f"max {ms[-1]:.1f} ms  (target p95 < 100 ms: {'OK' if p95 < 100 else 'MISSED'})")
        if not args.no_export:
            request = urllib.request.Request(f"{base}/api/v1/equipment/?format=csv",
                                             headers={"Authorization": f"Token {key}"})
            started = time.perf_counter()
            lines = size = 0
            with urllib.request.urlopen(request, timeout=600) as response:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    size += len(chunk)
                    lines += chunk.count(b"\n")
            seconds = time.perf_counter() - started
            print(f"CSV export: {lines - 1:,} rows, {size / 2**20:.0f} MiB in {seconds:.1f} s "
                  f"({(lines - 1) / seconds:,.0f} rows/s)  (target < 30 s: {'OK' if seconds < 30 else 'MISSED'})")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
