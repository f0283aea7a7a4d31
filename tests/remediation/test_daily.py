"""The daily run: overdue flags, due-soon windows, expiring waivers, one digest per organisation, idempotent."""
import datetime as dt

import pytest
from django.core import mail

from apps.remediation.models import Digest, DigestItem, Notification, RemediationPlan
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


def test_only_new_items_go_out_the_same_day_and_next_day_is_a_new_digest(plans, findings, site):
    remediation_daily(today=TODAY)
    sent = len(mail.outbox)
    pm = ProductModelFactory(category="camera")
    late = EquipmentFactory(site=site, product_model=pm, asset_tag="LATE")
    findings.add(late, regime="r10", discovered_on=TODAY)
    remediation_evaluate(today=TODAY, findings_provider=findings)
    remediation_daily(today=TODAY)
    new_mail = mail.outbox[sent:]
    assert len(new_mail) == 2 and all("LATE" in m.body and " A " not in m.body for m in new_mail)
    assert all(m.body.count("plan #") == 1 for m in new_mail)
    remediation_daily(today=TODAY + dt.timedelta(days=1))
    assert Digest.objects.filter(digest_date=TODAY + dt.timedelta(days=1)).count() == 2


def test_a_newly_flagged_unit_is_announced_once_whatever_its_deadline(plans, findings, site, org):
    remediation_daily(today=TODAY)
    far = EquipmentFactory(site=site, product_model=ProductModelFactory(category="camera"), asset_tag="NEWFAR")
    findings.add(far, regime="rfar", discovered_on=TODAY)  # deadline in 400 days: never "due soon" this year
    remediation_evaluate(today=TODAY, findings_provider=findings)
    remediation_daily(today=TODAY)
    digest = Digest.objects.filter(organization=org).latest("sent_at")
    assert digest.item_count == 1 and "Newly flagged: 1" in digest.body and "NEWFAR" in digest.body
    assert digest.subject.endswith("1 newly flagged")
    remediation_daily(today=TODAY + dt.timedelta(days=1))
    next_day = Digest.objects.get(organization=org, digest_date=TODAY + dt.timedelta(days=1))
    assert "NEWFAR" not in next_day.body and "Newly flagged" not in next_day.body


def test_expiring_waiver_is_announced_and_expired_one_reopens(plans, officer, admin_user):
    plan = RemediationPlan.objects.get(equipment=plans["units"]["B"])
    waiver = waiver_request(plan=plan, user=officer, justification="j", compensating_controls="c",
                            expires_on=TODAY + dt.timedelta(days=20), today=TODAY)
    waiver_approve(waiver=waiver, user=admin_user, today=TODAY)
    remediation_daily(today=TODAY)
    assert DigestItem.objects.filter(item_key=f"waiver:{waiver.pk}:expiring").exists()
    day = TODAY + dt.timedelta(days=21)
    summary = remediation_daily(today=day)
    assert summary["waivers_expired"] == 1
    plan.refresh_from_db()
    assert plan.status == "open"
    assert DigestItem.objects.filter(item_key=f"waiver:{waiver.pk}:expired", digest_date=day).exists()


def test_digest_failure_records_nothing_so_the_next_run_retries(plans, settings, monkeypatch):
    import apps.remediation.services as services

    class Broken:
        def send_messages(self, messages):
            raise ConnectionError("SMTP down")

    monkeypatch.setattr(services, "get_connection", lambda: Broken())
    with pytest.raises(ConnectionError):
        remediation_daily(today=TODAY)
    assert DigestItem.objects.count() == 0 and Notification.objects.filter(kind="digest").count() == 0
    monkeypatch.undo()
    assert remediation_daily(today=TODAY)["digests"] == 2


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
