"""The daily run: overdue flags, due-soon windows, expiring waivers, one digest per organisation, idempotent."""
import datetime as dt
import smtplib

import pytest
from django.core import mail

from apps.remediation.models import Digest, DigestDelivery, DigestItem, Notification, RemediationPlan
from apps.remediation.services import remediation_daily, remediation_evaluate, waiver_approve, waiver_request
from tests.factories import EquipmentFactory, ProductModelFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def plans(site, other_site, camera, findings, make_rule, officer, admin_user, other_officer):
    officer.email, admin_user.email, other_officer.email = "o@harbor.test", "a@harbor.test", "x@other.test"
    for u in (officer, admin_user, other_officer):
        u.save()
    make_rule(code="d10", regimes=["r10"], deadline_days=10, deadline_anchor="discovery")
    make_rule(code="d45", regimes=["r45"], deadline_days=45, deadline_anchor="discovery")
    make_rule(code="past", regimes=["rpast"], deadline_date=dt.date(2020, 8, 13), deadline_days=None)
    make_rule(code="far", regimes=["rfar"], deadline_days=400, deadline_anchor="discovery")
    pm = ProductModelFactory(category="camera")
    units = {k: EquipmentFactory(site=site, product_model=pm, asset_tag=k) for k in ("A", "B", "C")}
    other = EquipmentFactory(site=other_site, product_model=pm, asset_tag="X")
    findings.add(units["A"], regime="r10", discovered_on=TODAY)
    findings.add(units["B"], regime="r45", discovered_on=TODAY)
    findings.add(units["C"], regime="rfar", discovered_on=TODAY)
    findings.add(camera, regime="rpast")
    findings.add(other, regime="rpast")
    # evaluated a while ago with a clean overdue flag, to see the daily run set it
    remediation_evaluate(today=dt.date(2020, 1, 1), findings_provider=findings)
    return {"units": units, "other": other}


def test_daily_flags_overdue_and_sends_one_digest_per_org(plans, org, other_org, camera):
    summary = remediation_daily(today=TODAY)
    assert summary["newly_overdue"] == 2 and summary["digests"] == 2
    assert set(RemediationPlan.objects.filter(is_overdue=True).values_list("equipment_id", flat=True)) == {
        camera.pk, plans["other"].pk}
    harbor = Digest.objects.get(organization=org)
    assert harbor.item_count == 3  # one overdue, one due within 30 days, one within 60; the 400-day one not
    keys = set(DigestItem.objects.filter(organization=org).values_list("item_key", flat=True))
    assert {k.split(":")[2] for k in keys} == {"overdue", "due30", "due60"}
    assert "OVERDUE" in harbor.body and "due within 30 days" in harbor.body
    assert sorted(m.to[0] for m in mail.outbox) == ["a@harbor.test", "o@harbor.test", "x@other.test"]
    other_mail = next(m for m in mail.outbox if m.to == ["x@other.test"])
    assert "Harbor" not in other_mail.body and "A" not in {line.strip() for line in other_mail.body.splitlines()}
    assert Notification.objects.filter(kind="digest").count() == 3


def test_running_twice_sends_nothing_twice(plans):
    remediation_daily(today=TODAY)
    sent, notes, items = len(mail.outbox), Notification.objects.count(), DigestItem.objects.count()
    summary = remediation_daily(today=TODAY)
    assert summary["digests"] == 0 and summary["newly_overdue"] == 0
    assert len(mail.outbox) == sent and Notification.objects.count() == notes
    assert DigestItem.objects.count() == items


def test_one_digest_per_org_and_day_late_items_go_out_the_next_day(plans, findings, site, org):
    remediation_daily(today=TODAY)
    sent = len(mail.outbox)
    pm = ProductModelFactory(category="camera")
    late = EquipmentFactory(site=site, product_model=pm, asset_tag="LATE")
    findings.add(late, regime="r10", discovered_on=TODAY)
    remediation_evaluate(today=TODAY, findings_provider=findings)
    assert remediation_daily(today=TODAY)["digests"] == 0  # the day's digest is out: nothing more today
    assert len(mail.outbox) == sent
    remediation_daily(today=TODAY + dt.timedelta(days=1))
    assert Digest.objects.filter(digest_date=TODAY + dt.timedelta(days=1)).count() == 2
    next_day = Digest.objects.get(organization=org, digest_date=TODAY + dt.timedelta(days=1))
    assert "LATE" in next_day.body


def test_a_newly_flagged_unit_is_announced_once_whatever_its_deadline(plans, findings, site, org):
    remediation_daily(today=TODAY)
    far = EquipmentFactory(site=site, product_model=ProductModelFactory(category="camera"), asset_tag="NEWFAR")
    findings.add(far, regime="rfar", discovered_on=TODAY)  # deadline in 400 days: never "due soon" this year
    remediation_evaluate(today=TODAY, findings_provider=findings)
    day2, day3 = TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=2)
    remediation_daily(today=day2)
    digest = Digest.objects.get(organization=org, digest_date=day2)
    assert "Newly flagged: 1" in digest.body and "NEWFAR" in digest.body
    assert "1 newly flagged" in digest.subject
    remediation_daily(today=day3)
    next_day = Digest.objects.get(organization=org, digest_date=day3)
    assert "NEWFAR" not in next_day.body and "Newly flagged" not in next_day.body


def test_plans_announced_as_new_are_not_listed_again_as_overdue_the_same_day(plans, findings, site, org,
                                                                               make_rule):
    from apps.remediation.services import _digest_entries

    # discovered today and already past its (fixed) deadline: "newly flagged", and overdue
    unit = EquipmentFactory(site=site, product_model=ProductModelFactory(category="camera"), asset_tag="NEWLATE")
    findings.add(unit, regime="rpast", discovered_on=TODAY)
    remediation_evaluate(today=TODAY, findings_provider=findings)
    plan = RemediationPlan.objects.get(equipment=unit)
    assert plan.discovered_on == TODAY and plan.deadline < TODAY
    remediation_daily(today=TODAY)
    assert DigestItem.objects.filter(item_key=f"plan:{plan.pk}:new", digest_date=TODAY).exists()
    keys = {e.key for e in _digest_entries(organization_id=org.pk, today=TODAY)}
    assert f"plan:{plan.pk}:overdue" not in keys and f"plan:{plan.pk}:new" not in keys
    # the next day it is an ordinary overdue item
    keys = {e.key for e in _digest_entries(organization_id=org.pk, today=TODAY + dt.timedelta(days=1))}
    assert f"plan:{plan.pk}:overdue" in keys


def test_expiring_waiver_is_announced_and_expired_one_reopens(plans, officer, admin_user):
    plan = RemediationPlan.objects.get(equipment=plans["units"]["B"])
    waiver = waiver_request(plan=plan, user=officer, justification="j", compensating_controls="c",
                            expires_on=TODAY + dt.timedelta(days=20), today=TODAY)
    waiver_approve(waiver=waiver, user=admin_user, today=TODAY)
    from apps.common import events
    from tests.conftest import events_recorded

    with events_recorded(events.RegistryActivities, phase=events.IN_TRANSACTION) as seen:
        remediation_daily(today=TODAY)
        remediation_daily(today=TODAY + dt.timedelta(days=1))  # announced once, not every day
    assert DigestItem.objects.filter(item_key=f"waiver:{waiver.pk}:expiring").exists()
    expiring = [a for batch in seen for a in batch.items if a.type == "waiver.expiring"]
    assert [(a.object_kind, a.object_id, a.organization_id) for a in expiring] == [
        ("waiver", waiver.pk, waiver.organization_id)]
    day = TODAY + dt.timedelta(days=21)
    summary = remediation_daily(today=day)
    assert summary["waivers_expired"] == 1
    plan.refresh_from_db()
    assert plan.status == "open"
    assert DigestItem.objects.filter(item_key=f"waiver:{waiver.pk}:expired", digest_date=day).exists()


def test_digest_failure_records_nothing_so_the_next_run_retries(plans, settings, monkeypatch):
    from apps.remediation.services import digest

    class Broken:
        def send_messages(self, messages):
            raise ConnectionError("SMTP down")

    monkeypatch.setattr(digest, "get_connection", lambda: Broken())
    with pytest.raises(ConnectionError):
        remediation_daily(today=TODAY)
    assert DigestItem.objects.count() == 0 and Notification.objects.filter(kind="digest").count() == 0
    # both organisations were tried (one failure does not stop the others) and their claims say so
    claims = list(DigestDelivery.objects.filter(day=TODAY))
    assert len(claims) == 2 and {c.status for c in claims} == {"failed"}
    assert all("SMTP down" in c.error for c in claims)
    monkeypatch.undo()
    assert remediation_daily(today=TODAY)["digests"] == 2
    assert len(mail.outbox) == 3
    assert {(c.status, c.attempts) for c in DigestDelivery.objects.filter(day=TODAY)} == {("sent", 2)}
    assert remediation_daily(today=TODAY)["digests"] == 0 and len(mail.outbox) == 3


def test_a_failed_send_of_one_org_is_retried_alone(plans, org, monkeypatch):
    from apps.remediation.services import digest

    real = digest.get_connection

    class FailsForHarbor:
        def __init__(self):
            self.inner = real()

        def send_messages(self, messages):
            if any("harbor" in m.to[0] for m in messages):
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            return self.inner.send_messages(messages)

    monkeypatch.setattr(digest, "get_connection", FailsForHarbor)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        remediation_daily(today=TODAY)
    assert [m.to for m in mail.outbox] == [["x@other.test"]]
    monkeypatch.undo()
    remediation_daily(today=TODAY)
    assert sorted(m.to[0] for m in mail.outbox) == ["a@harbor.test", "o@harbor.test", "x@other.test"]
    assert DigestDelivery.objects.get(organization=org, day=TODAY).status == "sent"


def test_a_live_claim_blocks_and_a_stale_one_is_taken_over(plans, org, settings):
    from django.utils import timezone

    from apps.remediation.services import _digest_entries, digest_send_for_org

    now = timezone.now()
    claim = DigestDelivery.objects.create(organization=org, day=TODAY, status="sending", claimed_at=now)
    entries = _digest_entries(organization_id=org.pk, today=TODAY)
    assert digest_send_for_org(organization_id=org.pk, today=TODAY, entries=entries, now=now) is None
    assert mail.outbox == []  # another run holds the claim (it may be sending right now)
    settings.REMEDIATION_DIGEST_CLAIM_LEASE_SECONDS = 60
    later = now + dt.timedelta(minutes=5)  # that run died after claiming: its lease ran out
    digest = digest_send_for_org(organization_id=org.pk, today=TODAY, entries=entries, now=later)
    assert digest is not None and len(mail.outbox) == 2
    claim.refresh_from_db()
    assert (claim.status, claim.attempts, claim.digest_id) == ("sent", 2, digest.pk)


def test_the_hourly_retry_sends_failed_digests_only(plans, org, other_org, monkeypatch):
    from apps.remediation.services import digest, digests_retry_failed

    real = digest.get_connection

    class FailsForHarbor:
        def __init__(self):
            self.inner = real()

        def send_messages(self, messages):
            if any("harbor" in m.to[0] for m in messages):
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            return self.inner.send_messages(messages)

    assert digests_retry_failed(today=TODAY)["pending"] == 0  # the daily job has not run: not its business
    assert mail.outbox == []
    monkeypatch.setattr(digest, "get_connection", FailsForHarbor)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        remediation_daily(today=TODAY)
    assert digests_retry_failed(today=TODAY) == {"today": TODAY.isoformat(), "pending": 1, "sent": 0, "failed": 1}
    monkeypatch.undo()
    assert digests_retry_failed(today=TODAY)["sent"] == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["a@harbor.test", "o@harbor.test", "x@other.test"]
    assert digests_retry_failed(today=TODAY)["pending"] == 0


def test_old_sent_item_records_are_pruned_but_digests_kept(plans):
    remediation_daily(today=TODAY)
    assert DigestItem.objects.filter(digest_date=TODAY).exists()
    remediation_daily(today=TODAY + dt.timedelta(days=40))
    assert not DigestItem.objects.filter(digest_date=TODAY).exists()
    assert Digest.objects.filter(digest_date=TODAY).count() == 2


def test_today_follows_the_configured_time_zone(settings):
    import datetime as _dt

    from apps.remediation.services import remediation_today

    now = _dt.datetime(2024, 3, 1, 3, 0, tzinfo=_dt.UTC)
    settings.REMEDIATION_TIME_ZONE = "America/New_York"
    assert remediation_today(now) == _dt.date(2024, 2, 29)
    settings.REMEDIATION_TIME_ZONE = ""
    settings.TIME_ZONE = "UTC"
    assert remediation_today(now) == _dt.date(2024, 3, 1)
