"""(6) Two beats started by mistake, retried tasks, concurrent runs: the daily digest goes out once per
organisation and day (7 e-mails, not 14), plans announced as newly flagged are not sent again under
"overdue" the same day, and a send that failed is sent by the next run."""
from __future__ import annotations

import datetime as dt
import json
import re
import threading
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from apps.accounts.choices import Role
from apps.remediation.models import Digest, DigestDelivery, DigestItem, PolicyRule, RemediationPlan
from apps.remediation.services import remediation_daily, remediation_evaluate
from tests.factories import (
    EquipmentFactory,
    MembershipFactory,
    OrganizationFactory,
    ProductModelFactory,
    SiteFactory,
    UserFactory,
)
from tests.reliability.harness import PrivateRedis, Proc, app_env, start_worker, wait_for, worker_database_url
from tests.remediation.conftest import FakeFindings

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2026, 11, 25)
RECIPIENTS_PER_ORG = (3, 2, 2)  # 7 e-mails a day in all
TASK = "apps.remediation.tasks.remediation_daily_task"


@pytest.fixture
def organisations(db):
    """Three organisations, each with a plan flagged today whose deadline has passed (newly flagged, and
    overdue: the item the bug sent twice), an older overdue plan and one due within 30 days."""
    PolicyRule.objects.all().delete()  # only this test's rules
    for code, regime, extra in (("past", "rpast", {"deadline_date": dt.date(2020, 8, 13), "deadline_days": None}),
                                ("d10", "r10", {"deadline_days": 10, "deadline_anchor": "discovery"})):
        rule = PolicyRule(code=code, name=code, citation="test", basis="finding", action="replace",
                          regimes=[regime], **extra)
        rule.full_clean()
        rule.save()
    findings = FakeFindings()
    orgs, new_units = [], []
    for i, n in enumerate(RECIPIENTS_PER_ORG):
        org = OrganizationFactory(name=f"Port {i}", slug=f"port-{i}")
        for j in range(n):
            MembershipFactory(organization=org, role=Role.OFFICER if j else Role.ADMIN,
                              user=UserFactory(username=f"u{i}-{j}", email=f"u{j}@port{i}.test"))
        site = SiteFactory(organization=org)
        pm = ProductModelFactory()
        old = EquipmentFactory(site=site, product_model=pm, asset_tag=f"OLD-{i}")
        soon = EquipmentFactory(site=site, product_model=pm, asset_tag=f"SOON-{i}")
        findings.add(old, regime="rpast")
        findings.add(soon, regime="r10", discovered_on=TODAY)
        orgs.append(org)
        new_units.append(EquipmentFactory(site=site, product_model=pm, asset_tag=f"NEW-{i}"))
    remediation_evaluate(today=TODAY - dt.timedelta(days=30), findings_provider=findings)
    for unit in new_units:
        findings.add(unit, regime="rpast", discovered_on=TODAY)
    remediation_evaluate(today=TODAY, findings_provider=findings)
    new_plans = list(RemediationPlan.objects.filter(equipment__in=new_units))
    assert len(new_plans) == 3 and all(p.discovered_on == TODAY and p.deadline < TODAY for p in new_plans)
    return {"orgs": orgs, "new_plans": new_plans}


def _assert_one_digest_per_org(organisations, to_addresses: list[str]) -> None:
    assert len(to_addresses) == sum(RECIPIENTS_PER_ORG) == 7
    assert len(set(to_addresses)) == 7  # nobody twice
    for org in organisations["orgs"]:
        assert Digest.objects.filter(organization=org, digest_date=TODAY).count() == 1
        delivery = DigestDelivery.objects.get(organization=org, day=TODAY)
        assert delivery.status == DigestDelivery.Status.SENT and delivery.digest is not None
    for plan in organisations["new_plans"]:
        keys = set(DigestItem.objects.filter(plan=plan, digest_date=TODAY).values_list("item_key", flat=True))
        assert keys == {f"plan:{plan.pk}:new"}  # announced once, never again under overdue the same day


@pytest.fixture
def redis():
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


def _emails_in(folder: Path) -> list[str]:
    """The To: address of every message the file-based mail backend wrote (one file per connection)."""
    text = "".join(p.read_text(errors="replace") for p in sorted(folder.glob("*.log")))
    return re.findall(r"^To: (.+)$", text, flags=re.M)


def test_two_beats_and_two_workers_send_each_organisation_one_digest(organisations, tmp_path, redis):
    db_url = worker_database_url()
    if db_url is None:
        pytest.skip("the workers cannot share an in-memory SQLite test database: run on PostgreSQL (DATABASE_URL) "
                    "or set SQLITE_TEST_DB_FILE")
    outbox = tmp_path / "mail"
    outbox.mkdir()
    env = app_env(database_url=db_url, broker_url=redis.url, var_dir=tmp_path / "var",
                  DJANGO_SETTINGS_MODULE="tests.reliability.settings_mail", EMAIL_FILE_PATH=str(outbox),
                  REMEDIATION_DAILY_EVALUATE="false")
    PeriodicTask.objects.update(enabled=False)  # only this test's entry runs
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="twin: daily digest", task=TASK, interval=every_second,
                                kwargs=json.dumps({"today": TODAY.isoformat()}))
    workers = [start_worker(env, tmp_path / f"worker{i}.log", name=f"w{i}") for i in (1, 2)]
    beats = [Proc(["beat", "--loglevel=INFO", "-S", "django_celery_beat.schedulers:DatabaseScheduler",
                   f"--pidfile={tmp_path / f'beat{i}.pid'}"], env, tmp_path / f"beat{i}.log") for i in (1, 2)]
    try:
        wait_for(lambda: all(b.log().count("Sending due task twin: daily digest") >= 3 for b in beats), timeout=60,
                 interval=0.5, what="both beats to dispatch the daily job several times")
        for beat in beats:
            beat.stop()
        dispatched = sum(b.log().count("Sending due task twin: daily digest") for b in beats)

        def finished() -> int:
            logs = "".join(w.log() for w in workers)
            return len(re.findall(rf"Task {re.escape(TASK)}\[[^\]]+\] (succeeded|raised|retry)", logs))

        wait_for(lambda: finished() >= dispatched, timeout=90, interval=0.5,
                 what=f"the workers to run the {dispatched} dispatched jobs")
    finally:
        for proc in (*beats, *workers):
            proc.stop()
    logs = "".join(w.log() for w in workers)
    assert dispatched >= 6 and "raised" not in logs, logs[-3000:]
    assert all(f"Task {TASK}" in w.log() for w in workers)  # both workers really ran the job
    _assert_one_digest_per_org(organisations, _emails_in(outbox))


def test_concurrent_runs_in_threads_send_each_organisation_one_digest(organisations):
    runs, errors = 6, []
    barrier = threading.Barrier(runs)

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            remediation_daily(today=TODAY)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    _assert_one_digest_per_org(organisations, [m.to[0] for m in mail.outbox])
    assert sum(1 for m in mail.outbox if "newly flagged" in m.subject) == 7


def test_a_failed_send_is_sent_by_the_next_run_the_same_day(organisations, monkeypatch):
    import smtplib

    from apps.remediation.services import digest

    class MailServerDown:
        def send_messages(self, messages):
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(digest, "get_connection", lambda: MailServerDown())
    with pytest.raises(smtplib.SMTPServerDisconnected):
        remediation_daily(today=TODAY)
    assert mail.outbox == [] and not Digest.objects.exists()
    assert set(DigestDelivery.objects.values_list("status", flat=True)) == {DigestDelivery.Status.FAILED}
    monkeypatch.undo()
    remediation_daily(today=TODAY)  # the task's retry, or the other beat's run
    remediation_daily(today=TODAY)
    _assert_one_digest_per_org(organisations, [m.to[0] for m in mail.outbox])
    assert set(DigestDelivery.objects.values_list("attempts", flat=True)) == {2}
