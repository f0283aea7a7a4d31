"""(3) PostgreSQL restarted while the worker runs: the task caught by the restart and the tasks sent while the
database is down retry (OperationalError, with backoff) and complete once it is back; none runs twice.

Runs against a PRIVATE PostgreSQL cluster (initdb on a free port in a temp dir), never the shared one. Its
schema is copied from this run's PostgreSQL test database with pg_dump --schema-only (seconds, where a full
migrate would take most of a minute); on SQLite the test is skipped with that reason."""
import shutil
import subprocess

import pytest
from celery import Celery

from tests.reliability.harness import PrivatePostgres, app_env, manage, start_worker, wait_for

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def private_pg():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs the PostgreSQL test database to copy the schema from (CI: DATABASE_URL=postgres://...)")
    if not (shutil.which("pg_dump") and shutil.which("psql")):
        pytest.skip("pg_dump/psql are not installed")
    pg = PrivatePostgres()
    pg.init()
    s = connection.settings_dict
    dump = subprocess.run(
        ["pg_dump", "--schema-only", "--no-owner", "--no-privileges", "-h", s.get("HOST") or "127.0.0.1",
         "-p", str(s.get("PORT") or 5432), "-U", s.get("USER") or "postgres", s["NAME"]],
        capture_output=True, text=True, timeout=60, env={"PGPASSWORD": s.get("PASSWORD") or "", "PATH": "/usr/bin"},
    )
    if dump.returncode != 0:
        pg.destroy()
        pytest.skip(f"pg_dump of the test database failed: {dump.stderr[-300:]}")
    load = subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", pg.url], input=dump.stdout, capture_output=True,
                          text=True, timeout=60)
    if load.returncode != 0:
        pg.destroy()
        pytest.fail(f"loading the schema into the private cluster failed: {load.stderr[-500:]}")
    try:
        yield pg
    finally:
        pg.destroy()


def _probes(pg) -> list[str]:
    import psycopg2

    try:
        with psycopg2.connect(pg.url, connect_timeout=2) as conn, conn.cursor() as cur:
            cur.execute("SELECT object_id FROM audit_auditevent WHERE action = 'security.probe' ORDER BY id")
            return [row[0] for row in cur.fetchall()]
    except psycopg2.OperationalError:
        return []


def test_tasks_retry_through_a_postgres_restart_and_complete(private_pg, tmp_path):
    broker_dir = tmp_path / "broker"
    for sub in ("queue", "processed"):
        (broker_dir / sub).mkdir(parents=True)
    options = {"data_folder_in": str(broker_dir / "queue"), "data_folder_out": str(broker_dir / "queue"),
               "processed_folder": str(broker_dir / "processed"), "store_processed": False}
    env = app_env(database_url=private_pg.url, broker_url="filesystem://", var_dir=tmp_path / "var")
    # the worker's settings build the filesystem broker folders under VAR_DIR/broker: point both sides there
    (tmp_path / "var").mkdir(exist_ok=True)
    (tmp_path / "var" / "broker").symlink_to(broker_dir, target_is_directory=True)
    sender = Celery("pg-restart-test", broker="filesystem://", set_as_current=False)
    sender.conf.broker_transport_options = options
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        sender.send_task("security.probe", args=["before"])
        wait_for(lambda: "before" in _probes(private_pg), timeout=20, what="the first probe")

        sender.send_task("security.probe", args=["held", 4.0])  # holds a connection across the restart
        wait_for(lambda: "Task security.probe" in worker.log() and worker.log().count("received") >= 2,
                 timeout=10, what="the held probe to start")
        private_pg.stop("fast")  # the fault: every connection is cut
        sender.send_task("security.probe", args=["during-1"])
        sender.send_task("security.probe", args=["during-2"])
        wait_for(lambda: "OperationalError" in worker.log() or "Retry in" in worker.log(), timeout=20,
                 what="the worker to meet the outage")
        private_pg.start()

        wait_for(lambda: {"held", "during-1", "during-2"} <= set(_probes(private_pg)), timeout=40,
                 what="the probes to complete after the restart")
        sender.send_task("security.probe", args=["after"])
        wait_for(lambda: "after" in _probes(private_pg), timeout=20, what="a probe after the restart")
    finally:
        worker.stop()
        sender.close()
    probes = _probes(private_pg)
    assert sorted(probes) == sorted(["before", "held", "during-1", "during-2", "after"])  # each exactly once
    assert "Retry in" in worker.log()
    verify = manage(env, "verify_audit")
    assert "5 events verified" in verify.stdout
