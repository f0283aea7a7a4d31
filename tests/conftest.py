"""Fixtures shared by the suite: two organisations and a user of each role in the first one."""
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from apps.accounts.choices import Role
from tests.factories import CuratorFactory, MembershipFactory, OrganizationFactory, SiteFactory, UserFactory

SHARED_LISTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "lists"


@contextmanager
def events_recorded(event_type, *, phase=None) -> Iterator[list]:
    """Replace every subscriber of `event_type` by a recorder for the length of the block: the list of events
    delivered (the real subscribers, e.g. screening's, do not run)."""
    from apps.common import events

    phase = phase or events.ON_COMMIT
    saved = {p: events.subscribers(event_type, p) for p in events.PHASES}
    for handlers in saved.values():
        for handler in handlers:
            events.unsubscribe(event_type, handler)
    seen: list = []
    events.subscribe(event_type, seen.append, phase=phase)
    try:
        yield seen
    finally:
        events.unsubscribe(event_type, seen.append)
        for p, handlers in saved.items():
            for handler in handlers:
                events.subscribe(event_type, handler, phase=p)


# Tables whose BEFORE TRUNCATE trigger is named <table>_no_truncate (audit 0005, outreach 0002).
_TRUNCATE_GUARDED = ("audit_auditevent", "outreach_datacallresponse", "outreach_datacallanswer")


@pytest.fixture(scope="session", autouse=True)
def _test_flush_past_the_audit_truncate_guard():
    """Transactional tests end with Django's flush, a TRUNCATE of every table, which the audit table's BEFORE
    TRUNCATE trigger (apps/audit/migrations/0005) refuses for every role. Only in the tests, the flush switches
    that trigger off around its TRUNCATE (the test database's superuser may); production keeps refusing. The
    data call answers (apps/outreach/migrations/0002) have the same guard."""
    try:
        from django.db.backends.postgresql.operations import DatabaseOperations
    except ImportError:  # no PostgreSQL driver: SQLite runs have no trigger
        yield
        return
    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        guarded = [t for t in _TRUNCATE_GUARDED if statements and t in tables]
        if guarded:
            return [*(f"ALTER TABLE {t} DISABLE TRIGGER {t}_no_truncate" for t in guarded), *statements,
                    *(f"ALTER TABLE {t} ENABLE TRIGGER {t}_no_truncate" for t in guarded)]
        return statements

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


@pytest.fixture(autouse=True)
def _process_caches_reset():
    """Every test starts with empty process-wide caches, whatever ran before it in this process: Django's
    cache (vendor sets, generation counters, rate-limit counters) and the screening snapshot of active lists.
    One place, so no test depends on the order it runs in."""
    from django.core.cache import caches

    from apps.screening.services import snapshot_cache_clear

    for alias in caches:
        caches[alias].clear()
    snapshot_cache_clear()
    yield
    snapshot_cache_clear()


@pytest.fixture
def shared_lists() -> Path:
    """The real published list files beside the clone (CI has them; a user's clone may not)."""
    if not SHARED_LISTS.is_dir():
        pytest.skip(f"real list files not found at {SHARED_LISTS} (only CI and developer machines have them)")
    return SHARED_LISTS


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Harbor Authority", slug="harbor")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="Other Agency", slug="other")


def _member(org, role):
    return MembershipFactory(organization=org, role=role, user=UserFactory(username=f"{role}-{org.slug}")).user


@pytest.fixture
def admin_user(org):
    return _member(org, Role.ADMIN)


@pytest.fixture
def officer(org):
    return _member(org, Role.OFFICER)


@pytest.fixture
def auditor(org):
    return _member(org, Role.AUDITOR)


@pytest.fixture
def viewer(org):
    return _member(org, Role.VIEWER)


@pytest.fixture
def other_officer(other_org):
    return _member(other_org, Role.OFFICER)


@pytest.fixture
def site(org):
    return SiteFactory(organization=org, code="T1", name="Terminal 1")


@pytest.fixture
def other_site(other_org):
    return SiteFactory(organization=other_org, code="X1", name="Other site")


# --- lists: a real Celery worker process (reused by security's reliability tests) ---
class CeleryWorkerProcess:
    """A running `celery -A vendorrisk worker --pool=solo` subprocess bound to one unique queue."""

    def __init__(self, process, queue: str, log_path: Path, env: dict):
        self.process, self.queue, self.log_path, self.env = process, queue, log_path, env

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the worker (no cleanup, no ack), as the OOM killer or a power cut would."""
        import os
        import signal

        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def wait_for(self, predicate, *, timeout: float = 60.0, interval: float = 0.2):
        """Poll `predicate()` until it returns a truthy value (returned) or fail with the worker's log."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            if self.process.poll() is not None:
                pytest.fail(f"the Celery worker exited ({self.process.returncode}):\n{self.log()[-4000:]}")
            time.sleep(interval)
        pytest.fail(f"timed out after {timeout}s waiting on the Celery worker:\n{self.log()[-4000:]}")


def _database_url_for_worker(settings_dict: dict) -> str | None:
    from urllib.parse import quote

    engine = settings_dict["ENGINE"]
    name = str(settings_dict["NAME"])
    if engine.endswith("sqlite3"):
        if name == ":memory:" or "mode=memory" in name or name.startswith("file:memorydb"):
            return None
        return f"sqlite:///{Path(name).resolve()}"
    if "postgresql" in engine:
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or 5432
        return f"postgres://{auth}{host}:{port}/{quote(name, safe='')}"
    return None


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path, settings):
    """Start a real Celery worker (`--pool=solo`) that shares this test's database and broker.

    - Database: the test database (PostgreSQL; or SQLite when SQLITE_TEST_DB_FILE makes it a file). With
      SQLite in memory the worker cannot see it, so the test is skipped with that reason.
    - Broker: CELERY_BROKER_URL from the environment (CI: Redis), else a filesystem broker in tmp_path.
    - A unique queue per test: the worker consumes only it, and tasks enqueued by this process go to it by
      default, so concurrent test runs do not steal each other's tasks.
    - The worker gets LISTS_ALLOWED_HOSTS=127.0.0.1 and LISTS_ALLOW_HTTP so it can fetch from a local server,
      and MEDIA_ROOT = settings.MEDIA_ROOT of this test (set it before requesting the fixture to share files).
    Yields a CeleryWorkerProcess; the worker is stopped before the database is flushed.
    """
    import os
    import signal
    import subprocess
    import sys
    import uuid

    from django.db import connection

    from vendorrisk.celery import app

    db_url = _database_url_for_worker(connection.settings_dict)
    if db_url is None:
        pytest.skip("the Celery worker cannot share an in-memory SQLite test database: run on PostgreSQL "
                    "(DATABASE_URL) or set SQLITE_TEST_DB_FILE=/tmp/vr-test.sqlite3")
    queue = f"test-{uuid.uuid4().hex[:12]}"
    var_dir = tmp_path / "worker-var"
    broker_url = os.environ.get("CELERY_BROKER_URL", "") or "filesystem://"
    transport_options = dict(app.conf.broker_transport_options or {})
    if broker_url.startswith("filesystem://"):
        folder = var_dir / "broker"
        for sub in ("queue", "processed"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        transport_options = {"data_folder_in": str(folder / "queue"), "data_folder_out": str(folder / "queue"),
                             "processed_folder": str(folder / "processed"), "store_processed": False}
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vendorrisk.settings_test",
        "DEBUG": "true",
        "DATABASE_URL": db_url,
        "CELERY_BROKER_URL": broker_url,
        "VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "LISTS_ALLOWED_HOSTS": "127.0.0.1",
        "LISTS_ALLOW_HTTP": "true",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        # what the worker itself sends (the parts of a fanned-out run) goes to the test's queue too
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        # the worker signs audit events with this process's keys (not a development key of its own VAR_DIR)
        "AUDIT_HMAC_KEYS": ",".join(f"{k}:{v}" for k, v in settings.AUDIT_HMAC_KEYS.items()),
        "AUDIT_HMAC_KEY_ID": settings.AUDIT_HMAC_KEY_ID,
    }
    env.pop("SQLITE_TEST_DB_FILE", None)
    log_path = tmp_path / "celery-worker.log"
    root = Path(__file__).resolve().parents[1]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "vendorrisk", "worker", "--pool=solo", "-Q", queue,
             "-n", f"{queue}@%h", "--loglevel=INFO", "--without-heartbeat", "--without-mingle", "--without-gossip"],
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    worker = CeleryWorkerProcess(process, queue, log_path, env)

    # Django-namespaced keys (CELERY_BROKER_URL...) take precedence over the plain ones: set both.
    keys = ("broker_url", "broker_transport_options", "task_default_queue", "task_always_eager")
    saved = {}
    for key in keys:
        for name in (key, f"CELERY_{key.upper()}"):
            if name in app.conf:
                saved[name] = app.conf[name]

    def reset_pools():
        # Drop the app's references only: kombu shares pools per broker URL across apps, and closing one would
        # break later publishers to the same broker ("Acquire on closed pool").
        app._pool = None
        amqp = app.__dict__.get("amqp")
        if amqp is not None:
            amqp._producer_pool = None

    wanted = {"broker_url": broker_url, "broker_transport_options": transport_options, "task_default_queue": queue,
              "task_always_eager": False}
    app.conf.update({**wanted, **{f"CELERY_{k.upper()}": v for k, v in wanted.items()}})
    reset_pools()
    try:
        worker.wait_for(lambda: "ready." in worker.log(), timeout=60)
        yield worker
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        for key in keys:
            for name in (key, f"CELERY_{key.upper()}"):
                if name in saved:
                    app.conf[name] = saved[name]
                elif name in app.conf:
                    del app.conf[name]
        reset_pools()


def second_factor_login(client, user):
    """Sign `user` in on the test client with a verified second factor, as after entering a TOTP code: a
    confirmed device, and its id in the session where django-otp's middleware reads it."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="authenticator", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def verified_curator(curator):
    """The curator as a service sees it behind a TOTP-verified session (django-otp's middleware gives the
    request's user `is_verified`)."""
    curator.is_verified = lambda: True
    return curator


@pytest.fixture
def curator(db):
    """A curator (registry-wide role) with no organisation membership."""
    user = UserFactory(username="curator")
    user.save()
    CuratorFactory(user=user)
    return user
