"""Concurrent API writers through a real gunicorn (4 workers x 4 threads) on the test PostgreSQL database:
20 writers at once, 3 rounds per scenario.

Before the fix: mixed creates and deletes at one site deadlocked (a delete took the audit chain lock then the
site row, a save the other way round: 500s); PATCHes of different fields of one unit reverted each other
(whole rows saved from unlocked reads, stale "before" values in the audit trail); parallel DELETEs of one
unit each answered 204 with their own delete event. The lock order is documented in apps.audit.writes.
"""
from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from apps.accounts.choices import Role
from apps.api.services import api_token_create
from apps.audit.models import AuditEvent
from apps.audit.services import audit_chain_verify
from apps.inventory.models import Equipment, SiteEquipmentCount
from apps.inventory.services import equipment_counts_check, equipment_create
from tests.factories import MembershipFactory, OrganizationFactory, ProductModelFactory, SiteFactory, UserFactory
from tests.reliability.harness import ROOT, app_env, free_port, wait_port, worker_database_url

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

WRITERS = 20
ROUNDS = 3
PATCH_FIELDS = ["serial_number", "asset_tag", "operator_name", "notes", "quantity"]


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory) -> str:
    """gunicorn with 4 workers x 4 threads on this test run's PostgreSQL database; yields its base URL."""
    with django_db_blocker.unblock():
        db_url = worker_database_url()
    if db_url is None or not db_url.startswith("postgres"):
        pytest.skip("needs PostgreSQL (row locks, advisory locks, concurrent transactions): set DATABASE_URL")
    var_dir = tmp_path_factory.mktemp("gunicorn")
    env = app_env(database_url=db_url, broker_url="memory://", var_dir=var_dir / "var",
                  API_THROTTLE_RATE="100000/minute", CONN_MAX_AGE="0")
    port = free_port()
    log_path = var_dir / "gunicorn.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "vendorrisk.wsgi", "-b", f"127.0.0.1:{port}",
             "-w", "4", "--threads", "4", "--timeout", "60", "--preload"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_port(port, timeout=30):
            pytest.fail(f"gunicorn did not start:\n{log_path.read_text()[-3000:]}")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def world():
    """An organisation with one site, a product model, and one API token per writer (an officer each)."""
    org = OrganizationFactory(name="Harbor Authority", slug="harbor")
    site = SiteFactory(organization=org, code="T1", name="Terminal 1")
    product = ProductModelFactory(category="camera")
    officers = [MembershipFactory(organization=org, role=Role.OFFICER, user=UserFactory(username=f"officer-{i}")).user
                for i in range(WRITERS)]
    tokens = [api_token_create(user=user, name="writer")[1] for user in officers]
    return {"org": org, "site": site, "product": product, "officers": officers, "tokens": tokens}


def run_parallel(server: str, tokens: list[str], calls: list[Callable[[requests.Session, str], requests.Response]]
                 ) -> list[requests.Response]:
    """Run `calls[i]` in thread i (token i), all released at once by a barrier; the responses in call order."""
    barrier = threading.Barrier(len(calls))
    responses: list[requests.Response | None] = [None] * len(calls)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {tokens[i % len(tokens)]}"
        try:
            session.get(f"{server}/api/v1/health/", timeout=30)  # connect before the barrier
            barrier.wait(timeout=30)
            responses[i] = calls[i](session, server)
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)
        finally:
            session.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert not errors, errors
    assert all(r is not None for r in responses)
    server_errors = [(r.request.method, r.url, r.status_code, r.text[:300]) for r in responses if r.status_code >= 500]
    assert not server_errors, server_errors
    return responses  # type: ignore[return-value]


def assert_chain_verifies() -> None:
    verdict = audit_chain_verify()
    assert verdict.ok, verdict


def test_parallel_creates_and_deletes_at_one_site_all_succeed_and_the_tally_stays_exact(server, world):
    site, product = world["site"], world["product"]
    for round_no in range(ROUNDS):
        doomed = [equipment_create(site=site, product_model=product, asset_tag=f"R{round_no}-OLD-{i}").pk
                  for i in range(WRITERS // 2)]

        def create(i: int, tag: str) -> Callable:
            return lambda s, base: s.post(f"{base}/api/v1/equipment/", json={
                "site": site.pk, "product_model": product.pk, "quantity": i + 1, "asset_tag": tag}, timeout=60)

        def delete(pk: int) -> Callable:
            return lambda s, base: s.delete(f"{base}/api/v1/equipment/{pk}/", timeout=60)

        calls = [f for i, pk in enumerate(doomed) for f in (create(i, f"R{round_no}-NEW-{i}"), delete(pk))]
        responses = run_parallel(server, world["tokens"], calls)
        assert sorted(r.status_code for r in responses) == [201] * (WRITERS // 2) + [204] * (WRITERS // 2)
        assert not Equipment.objects.filter(pk__in=doomed).exists()
        assert equipment_counts_check(site_ids=[site.pk]) == []
        units = Equipment.objects.filter(site=site)
        counted = SiteEquipmentCount.objects.filter(site=site)
        assert sum(c.records for c in counted) == units.count() == (round_no + 1) * (WRITERS // 2)
        assert sum(c.units for c in counted) == sum(u.quantity for u in units)
        for pk in doomed:
            assert AuditEvent.objects.filter(action="equipment.delete", object_id=str(pk)).count() == 1
    assert AuditEvent.objects.filter(action="equipment.create").count() == ROUNDS * WRITERS
    assert_chain_verifies()


def test_parallel_patches_of_different_fields_on_one_unit_are_all_kept(server, world):
    unit = equipment_create(site=world["site"], product_model=world["product"], quantity=1)
    initial = {f: getattr(unit, f) for f in PATCH_FIELDS}
    sent: list[tuple[str, object]] = []
    for round_no in range(ROUNDS):
        values = []
        for i in range(WRITERS):
            field = PATCH_FIELDS[i % len(PATCH_FIELDS)]
            value = 100 * round_no + i + 2 if field == "quantity" else f"r{round_no}-w{i}"
            values.append((field, value))
        calls = [(lambda s, base, field=field, value=value: s.patch(
            f"{base}/api/v1/equipment/{unit.pk}/", json={field: value}, timeout=60)) for field, value in values]
        responses = run_parallel(server, world["tokens"], calls)
        assert [r.status_code for r in responses] == [200] * WRITERS
        sent += values

    events = list(AuditEvent.objects.filter(action="equipment.update", object_id=str(unit.pk)).order_by("id"))
    assert len(events) == len(sent)  # every PATCH changed its field: exactly one event each
    assert sorted((f, after) for e in events for f, (_, after) in e.changes.items()) == sorted(sent)
    # Each event changed one field only (no other field written back), and its "before" is the value the
    # previous change of that field left: the locked row's, never a stale copy's.
    current = dict(initial)
    for event in events:
        assert len(event.changes) == 1, event.changes
        [(field, (before, after))] = event.changes.items()
        assert before == current[field], (field, before, current[field])
        current[field] = after
    unit.refresh_from_db()
    assert {f: getattr(unit, f) for f in PATCH_FIELDS} == current  # the last change of every field persists
    assert_chain_verifies()


def test_parallel_deletes_of_one_unit_give_one_204_and_one_audit_event(server, world):
    for round_no in range(ROUNDS):
        unit = equipment_create(site=world["site"], product_model=world["product"], asset_tag=f"DEL-{round_no}")
        url = f"/api/v1/equipment/{unit.pk}/"
        calls = [(lambda s, base, url=url: s.delete(base + url, timeout=60))] * WRITERS
        responses = run_parallel(server, world["tokens"], calls)
        assert Counter(r.status_code for r in responses) == {204: 1, 404: WRITERS - 1}
        assert AuditEvent.objects.filter(action="equipment.delete", object_id=str(unit.pk)).count() == 1
        assert not Equipment.objects.filter(pk=unit.pk).exists()
    assert equipment_counts_check(site_ids=[world["site"].pk]) == []
    assert_chain_verifies()
