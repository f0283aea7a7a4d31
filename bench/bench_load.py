"""Load test: 50 concurrent clients (auditors on the API, officers on the pages) against gunicorn on loopback,
on a registry with 1,000,000 equipment rows. Bounded in time and in requests; reports errors and p50/p95/p99
per endpoint, beside each endpoint's median requested alone (10 sequential requests, before the load).

    .venv/bin/python bench/bench_load.py                      # defaults below
    BENCH_EQUIPMENT=200000 BENCH_SECONDS=20 .venv/bin/python bench/bench_load.py
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/vr_bench_load .venv/bin/python bench/bench_load.py

Environment: BENCH_EQUIPMENT (1,000,000), BENCH_CLIENTS (50), BENCH_SECONDS (30), BENCH_MAX_REQUESTS (20,000),
BENCH_WORKERS (gunicorn workers, 4 x CPUs), BENCH_THREADS (threads per worker, 1), BENCH_CACHE_URL (the shared
cache, as CACHE_URL: the local Redis, database 14, when it answers), BENCH_DATABASE_URL (default: the local
PostgreSQL at 127.0.0.1:5432 with trust auth, database vr_bench_load, or vr_bench_load_<size> for other sizes,
created if missing; without such a server, a SQLite file kept in var/bench/). The data set is generated once and reused
by later runs with the same size. The server runs with production settings (DEBUG off, the security
middleware, CSP, axes, session timeouts), only TLS redirects off because it is plain loopback HTTP, and
SERVER_TIMING on: each endpoint's line gives the server's thread CPU, database time and queries (medians of the
Server-Timing headers) beside its latency, and the run's CPU per request of the server, PostgreSQL and the
clients (from /proc), so a ratio survives a noisy machine.
Exit status 1 when any request failed (non-2xx, or a transport error).

    .venv/bin/python bench/bench_load.py --schemathesis      # `make schemathesis-full`

runs Schemathesis' CLI instead, against the same live server (a small data set in a fresh SQLite file each
run, as the officer's fuzzed writes change it), as an officer and as an auditor, with
SCHEMATHESIS_MAX_EXAMPLES (1,000) examples per operation and the `not_a_server_error` check (plus schema
conformance), failing on any 5xx. It takes long (about 45 minutes and 90,000 test cases per role on two
cores): not part of `make test`. SCHEMATHESIS_ROLES (auditor,officer) runs only some of the roles, e.g. one
per time slot.
"""
from __future__ import annotations

import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCHEMATHESIS = "--schemathesis" in sys.argv[1:]
N_EQUIPMENT = int(os.environ.get("BENCH_EQUIPMENT", 2_000 if SCHEMATHESIS else 1_000_000))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", 50))
SECONDS = float(os.environ.get("BENCH_SECONDS", 30))
MAX_REQUESTS = int(os.environ.get("BENCH_MAX_REQUESTS", 20_000))
# Single-threaded workers, four per core: measured best on 2 cores (p95 at 20 clients 474 ms, against 817 ms with
# 4 workers x 4 threads, at the same throughput: threads of one process queue on the GIL; docs/performance.md).
WORKERS = int(os.environ.get("BENCH_WORKERS", 4 * (os.cpu_count() or 2)))
THREADS = int(os.environ.get("BENCH_THREADS", 1))
PASSWORD = "load-bench-password-42"
N_ORGS, SITES_PER_ORG, N_VENDORS, N_PRODUCTS = 4, 250, 2_000, 5_000
VAR = ROOT / "var" / "bench"


LOCAL_DB = "vr_bench_load" if N_EQUIPMENT == 1_000_000 else f"vr_bench_load_{N_EQUIPMENT}"


def _local_postgres() -> str | None:
    """The local PostgreSQL server (trust auth, as on the development and CI machines), with the bench database
    created if missing; None when there is no such server."""
    try:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=3)
    except Exception:  # noqa: BLE001  (no server, no trust auth: fall back to SQLite)
        return None
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [LOCAL_DB])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{LOCAL_DB}"')
    conn.close()
    return f"postgres://postgres@127.0.0.1:5432/{LOCAL_DB}"


def _database_url() -> str:
    """BENCH_DATABASE_URL; else the local PostgreSQL (production's database); else a SQLite file kept in
    var/bench/. The load figures mean little on SQLite (one writer, substring search scans every row)."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    if not SCHEMATHESIS and (url := _local_postgres()):
        return url
    VAR.mkdir(parents=True, exist_ok=True)
    if SCHEMATHESIS:  # the officer's fuzzed writes change the data set: a fresh one for every run
        path = VAR / f"schemathesis-{N_EQUIPMENT}.sqlite3"
        for stale in VAR.glob(f"{path.name}*"):
            stale.unlink()
        return f"sqlite:///{path}"
    return f"sqlite:///{VAR / f'load-{N_EQUIPMENT}.sqlite3'}"


def _base_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="vendorrisk.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        DATABASE_URL=database_url,
        VAR_DIR=str(VAR / "var"),
        CELERY_BROKER_URL="memory://",
        LOG_LEVEL="WARNING",
        AUDIT_HMAC_KEYS=f"bench:{secrets.token_urlsafe(32)}",
        SERVER_TIMING="true",  # each response's thread CPU, database time and queries (apps/common/timing.py)
    )
    cache_url = _cache_url()
    if cache_url:
        env["CACHE_URL"] = cache_url
    return env


def _cache_url() -> str | None:
    """BENCH_CACHE_URL; else the local Redis (production's shared cache: docker-compose sets CACHE_URL), database
    14, when it answers; else None (each gunicorn worker its own local-memory cache)."""
    url = os.environ.get("BENCH_CACHE_URL")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return "redis://127.0.0.1:6379/14"
    except OSError:
        return None


# --- data -------------------------------------------------------------------------------------------------

def _prepare(env: dict[str, str]) -> dict:
    """Migrate and generate the data set once (kept for later runs); return users and sample ids."""
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS",
                                           "DATABASE_URL", "VAR_DIR", "CELERY_BROKER_URL", "LOG_LEVEL",
                                           "AUDIT_HMAC_KEYS")})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from apps.accounts.choices import Role
    from apps.accounts.models import Membership, Organization, User
    from apps.api.models import ApiToken
    from apps.api.services import api_token_create
    from apps.inventory.models import Equipment, ProductModel, Site
    from apps.inventory.services import equipment_counts_refresh
    from apps.vendors.models import Vendor

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    have = Equipment.objects.count()
    if have != N_EQUIPMENT:
        if have:
            raise SystemExit(f"the bench database has {have} equipment rows, not {N_EQUIPMENT}: delete it first")
        now = timezone.now()
        with transaction.atomic():
            orgs = [Organization.objects.create(name=f"Bench authority {i}", slug=f"bench-{i}") for i in range(N_ORGS)]
            sites = Site.objects.bulk_create(
                [Site(organization=o, code=f"S{o.pk}-{j}", name=f"Terminal {j} of {o.name}", kind="seaport",
                      country="US") for o in orgs for j in range(SITES_PER_ORG)], batch_size=2000)
            vendors = Vendor.objects.bulk_create(
                [Vendor(name=f"Bench Vendor {i} Co", country_of_incorporation="US") for i in range(N_VENDORS)],
                batch_size=2000)
            products = ProductModel.objects.bulk_create(
                [ProductModel(brand=vendors[i % N_VENDORS], model_number=f"BM-{i}", category="camera")
                 for i in range(N_PRODUCTS)], batch_size=2000)
        fields = [f for f in Equipment._meta.concrete_fields if not f.primary_key]
        columns = [f.column for f in fields]
        fixed = {f.attname: f.get_default() for f in fields}
        fixed.update(created_at=now, updated_at=now, category="camera", quantity=1, installed_date=None)
        q = connection.ops.quote_name
        sql = (f"INSERT INTO {q(Equipment._meta.db_table)} ({', '.join(q(c) for c in columns)}) "
               f"VALUES ({', '.join(['%s'] * len(columns))})")
        batch = 20_000
        site_ids = [s.pk for s in sites]
        product_ids = [p.pk for p in products]
        # Prepare the constant columns once; only four vary per row (keeps 1,000,000 rows to a couple of minutes).
        prepared = [f.get_db_prep_save(fixed[f.attname], connection) for f in fields]
        index = {f.attname: i for i, f in enumerate(fields)}
        i_site, i_product, i_tag, i_serial = (index[a] for a in ("site_id", "product_model_id", "asset_tag",
                                                                 "serial_number"))
        n_sites, n_products = len(site_ids), len(product_ids)
        for start in range(0, N_EQUIPMENT, batch):
            rows = []
            for n in range(start, min(start + batch, N_EQUIPMENT)):
                row = list(prepared)
                row[i_site] = site_ids[n % n_sites]
                row[i_product] = product_ids[(n * 7) % n_products]
                row[i_tag] = f"AT-{n:07d}"
                row[i_serial] = f"SN{n:08d}"
                rows.append(row)
            with transaction.atomic(), connection.cursor() as cur:
                if connection.vendor == "postgresql":  # one multi-row INSERT per page, not a round trip per row
                    from psycopg2.extras import execute_values

                    execute_values(cur.cursor, sql.split(" VALUES ")[0] + " VALUES %s", rows, page_size=5000)
                else:
                    cur.executemany(sql, rows)
        equipment_counts_refresh()  # the raw INSERTs bypass the application: build the per-site tally
        with connection.cursor() as cur:
            cur.execute("ANALYZE")  # planner statistics for the bulk-loaded tables (as autovacuum would, later)
        print(f"data set: {N_EQUIPMENT} equipment, {len(site_ids)} sites, {N_VENDORS} vendors "
              f"generated in {time.perf_counter() - t0:.1f} s", flush=True)
    else:
        t = time.perf_counter()
        written = equipment_counts_refresh()  # exact already unless the data set predates the tally
        print(f"data set: reusing {have} equipment rows ({env['DATABASE_URL'].split('@')[-1]}); tally checked in "
              f"{time.perf_counter() - t:.1f} s ({written} rows written)", flush=True)

    org = Organization.objects.order_by("pk").first()
    users = {"auditor": [], "officer": []}
    for role in users:
        for i in range(CLIENTS):
            user, created = User.objects.get_or_create(username=f"bench-{role}-{i}")
            if created:
                user.set_password(PASSWORD)
                user.save()
                Membership.objects.create(user=user, organization=org, role=getattr(Role, role.upper()))
            users[role].append(user)
    # Earlier runs' tokens are revoked first (API_TOKEN_MAX_LIVE live tokens per user).
    ApiToken.objects.filter(user__username__startswith="bench-", revoked_at__isnull=True).update(
        revoked_at=timezone.now())
    tokens = [api_token_create(user=u, name="load bench", expires_in_days=1)[1] for u in users["auditor"]]
    officer_token = api_token_create(user=users["officer"][0], name="schemathesis", expires_in_days=1)[1]
    org_equipment = list(Equipment.objects.filter(site__organization=org).values_list("pk", flat=True)[:2000])
    vendor_ids = list(Vendor.objects.values_list("pk", flat=True)[:500])
    connection.close()
    return {"tokens": tokens, "officer_token": officer_token, "officers": [u.username for u in users["officer"]],
            "equipment": org_equipment, "vendors": vendor_ids}


# --- server -------------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    proc = subprocess.Popen(
        [str(gunicorn), "vendorrisk.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(WORKERS), "--threads", str(THREADS),
         "--timeout", "60", "--log-level", "warning", "--limit-request-line", "8190"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(VAR / "gunicorn.log", "wb"),  # noqa: SIM115
    )
    import requests

    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(f"{base}/login/", timeout=2).status_code == 200:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("gunicorn did not start; see var/bench/gunicorn.log")


# --- clients ------------------------------------------------------------------------------------------------

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {}
        self.server: dict[str, list[dict[str, float]]] = {}  # the Server-Timing figures of each response
        self.errors: list[str] = []
        self.count = 0

    def add(self, group: str, seconds: float, error: str | None, server: dict[str, float] | None = None) -> bool:
        with self.lock:
            self.count += 1
            self.times.setdefault(group, []).append(seconds)
            if server:
                self.server.setdefault(group, []).append(server)
            if error:
                self.errors.append(error)
            return self.count < MAX_REQUESTS


_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one process, from /proc; 0 when it is gone or there is no /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def _cpu_by_role(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the gunicorn processes (the master and its workers), of every PostgreSQL process on
    the machine (the backends serving the run, and the server's own), and of this process (the clients)."""
    totals = {"server": 0.0, "postgres": 0.0, "clients": sum(os.times()[:2])}
    proc = Path("/proc")
    if not proc.is_dir():
        return totals
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.find("(") + 1:stat.rfind(")")]
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        pid = int(entry.name)
        if pid == server_pid or ppid == server_pid:
            totals["server"] += _proc_cpu(pid)
        elif name.startswith("postgres"):
            totals["postgres"] += _proc_cpu(pid)
    return totals


def _officer_login(session, base: str, username: str) -> None:
    page = session.get(f"{base}/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    resp = session.post(f"{base}/login/", data={"username": username, "password": PASSWORD,
                                                 "csrfmiddlewaretoken": token},
                        headers={"Referer": f"{base}/login/"}, timeout=30, allow_redirects=False)
    if resp.status_code != 302:
        raise RuntimeError(f"login of {username} failed: HTTP {resp.status_code}")


def _session(kind: str, index: int, base: str, data: dict):
    """A client's HTTP session, logged in (before the timed window: a login costs a PBKDF2 hash)."""
    import requests

    session = requests.Session()
    if kind == "auditor":
        session.headers["Authorization"] = f"Token {data['tokens'][index]}"
    else:
        _officer_login(session, base, data["officers"][index])
    return session


def _paths(kind: str, rnd, data: dict) -> list:
    """What a client of this kind requests: one callable per endpoint, giving a path (with random ids)."""
    if kind == "auditor":
        return [
            lambda: "/api/v1/equipment/?limit=50",
            lambda: f"/api/v1/equipment/{rnd.choice(data['equipment'])}/",
            lambda: "/api/v1/sites/?limit=50",
            lambda: f"/api/v1/vendors/{rnd.choice(data['vendors'])}/",
            lambda: "/api/v1/vendors/?limit=50",
        ]
    return [
        lambda: "/",
        lambda: "/equipment/",
        lambda: f"/equipment/?{urllib.parse.urlencode({'q': 'AT-00012'})}",
        lambda: f"/equipment/{rnd.choice(data['equipment'])}/",
        lambda: "/sites/",
        lambda: "/vendors/",
    ]


def _group(kind: str, path: str) -> str:
    return f"{kind} {re.sub(r'/[0-9]+/', '/<id>/', path.split('?')[0])}" + (" ?q=" if "q=" in path else "")


def _alone(sessions: list, kinds: list, base: str, data: dict, repeat: int = 10) -> dict[str, float]:
    """Each endpoint requested alone (one client, nothing else running): the service time under no load."""
    import random

    medians = {}
    for kind in ("auditor", "officer"):
        session = sessions[[k for k, _ in kinds].index(kind)]
        rnd = random.Random(0)
        for make in _paths(kind, rnd, data):
            times = []
            for i in range(repeat + 1):
                path = make()
                t = time.perf_counter()
                session.get(base + path, timeout=60, allow_redirects=False).raise_for_status()
                if i:  # the first one warms the worker's caches
                    times.append(time.perf_counter() - t)
            medians[_group(kind, path)] = statistics.median(times) * 1000
    return medians


def _client(kind: str, index: int, session, base: str, data: dict, stats: Stats, deadline: float) -> None:
    import random

    import requests

    from apps.common.timing import parse_server_timing

    rnd = random.Random(index)
    paths = _paths(kind, rnd, data)
    while time.monotonic() < deadline:
        path = rnd.choice(paths)()
        group = _group(kind, path)
        t = time.perf_counter()
        error = None
        try:
            resp = session.get(base + path, timeout=60, allow_redirects=False)
            if not 200 <= resp.status_code < 300:
                error = f"{resp.status_code} {path}"
        except requests.RequestException as exc:
            error = f"{type(exc).__name__} {path}"
            resp = None
        server = parse_server_timing(resp.headers.get("Server-Timing", "")) if resp is not None else None
        if not stats.add(group, time.perf_counter() - t, error, server):
            return


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # requests still queued in gunicorn: no need to finish them
        proc.kill()
        proc.wait(timeout=10)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def _schemathesis(base: str, data: dict, env: dict[str, str]) -> int:
    """Schemathesis' CLI against the live server, once per role; non-zero on any failure."""
    import requests

    examples = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "1000")
    tokens = {"auditor": data["tokens"][0], "officer": data["officer_token"]}
    rc = 0
    for role in [r.strip() for r in os.environ.get("SCHEMATHESIS_ROLES", "auditor,officer").split(",")]:
        token = tokens[role]
        schema = requests.get(f"{base}/api/v1/schema/?format=json", headers={"Authorization": f"Token {token}"},
                              timeout=60)
        schema.raise_for_status()
        path = VAR / f"schema-{role}.json"
        path.write_bytes(schema.content)
        cmd = [str(Path(sys.executable).parent / "st"), "run", str(path), "--url", base,
               "-H", f"Authorization: Token {token}", "--max-examples", examples,
               "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
               "response_schema_conformance", "--workers", "4",
               "--exclude-path", "/api/v1/health/"]
        print(f"schemathesis as {role}: {examples} examples per operation", flush=True)
        rc |= subprocess.call(cmd, cwd=ROOT, env={**env, "API_THROTTLE_RATE": "1000000/minute",
                                                  "SCHEMATHESIS_HOOKS": str(ROOT / "bench" / "schemathesis_hooks.py")})
    return rc


def main() -> int:
    database_url = _database_url()
    env = _base_env(database_url)
    # Each bench client has its own token/user, far below the per-token API throttle (1,200/min by default).
    env["API_THROTTLE_RATE"] = "1000000/minute"  # honoured once settings read it from the environment
    data = _prepare(env)
    proc, base = _start_server(env)
    if SCHEMATHESIS:
        try:
            return _schemathesis(base, data, env)
        finally:
            _stop(proc)
    stats = Stats()
    try:
        kinds = [("auditor" if i % 2 == 0 else "officer", i // 2) for i in range(CLIENTS)]
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            sessions = list(pool.map(lambda k: _session(k[0], k[1], base, data), kinds))
        alone = _alone(sessions, kinds, base, data)
        deadline = time.monotonic() + SECONDS
        cpu_before = _cpu_by_role(proc.pid)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            futures = [pool.submit(_client, kind, idx, sessions[i], base, data, stats, deadline)
                       for i, (kind, idx) in enumerate(kinds)]
            for future in futures:
                future.result()
        elapsed = time.perf_counter() - started
        cpu_after = _cpu_by_role(proc.pid)
    finally:
        _stop(proc)
    every = [t for ts in stats.times.values() for t in ts]
    print(f"load: {CLIENTS} clients, {WORKERS} gunicorn workers x {THREADS} threads, {N_EQUIPMENT} equipment, "
          f"{stats.count} requests in {elapsed:.1f} s = {stats.count / elapsed:.0f} req/s, errors {len(stats.errors)}")
    print(f"  all: p50 {_pct(every, 50):.0f} ms  p95 {_pct(every, 95):.0f} ms  p99 {_pct(every, 99):.0f} ms  "
          f"mean {statistics.fmean(every) * 1000:.0f} ms")
    cpu = {role: cpu_after[role] - cpu_before[role] for role in cpu_before}
    n = max(stats.count, 1)
    print(f"  CPU per request (whole run, /proc): server {cpu['server'] * 1000 / n:.1f} ms, PostgreSQL "
          f"{cpu['postgres'] * 1000 / n:.1f} ms, clients {cpu['clients'] * 1000 / n:.1f} ms; "
          f"{sum(cpu.values()) / elapsed:.2f} of {os.cpu_count()} cores busy")
    print("  per endpoint: latency under load; the server's own figures (Server-Timing medians): thread CPU, "
          "database wall time, queries; and the latency alone")
    for group in sorted(stats.times):
        ts = stats.times[group]
        server = stats.server.get(group, [])

        def med(key: str, figures: list = server) -> float:
            values = [f[key] for f in figures if key in f]
            return statistics.median(values) if values else float("nan")

        print(f"  {group:<34} n={len(ts):>5}  p50 {_pct(ts, 50):>5.0f} ms  p95 {_pct(ts, 95):>5.0f} ms"
              f"   cpu {med('cpu'):>5.1f} ms  db {med('db'):>5.1f} ms  q {med('queries'):>3.0f}"
              f"   alone p50 {alone.get(group, float('nan')):>4.0f} ms")
    for error in stats.errors[:10]:
        print(f"  error: {error}")
    return 1 if stats.errors else 0


if __name__ == "__main__":
    sys.exit(main())
