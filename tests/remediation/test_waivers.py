"""Waivers: four-eyes approval by another admin of the same organisation, expiry reopens the plan."""
import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from apps.common.exceptions import ApplicationError
from apps.remediation.models import Notification, RemediationPlan, Waiver
from apps.remediation.services import (
    plan_transition,
    remediation_evaluate,
    waiver_approve,
    waiver_reject,
    waiver_request,
    waivers_expire,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def plan(camera, findings, make_rule):
    make_rule(regimes=["us_ndaa"], action="replace", deadline_days=60, deadline_anchor="discovery")
    findings.add(camera, discovered_on=TODAY)
    remediation_evaluate(today=TODAY, findings_provider=findings)
    return RemediationPlan.objects.get()


def _request(plan, user, expires_on=dt.date(2027, 3, 31)):
    return waiver_request(plan=plan, user=user, justification="Replacement cameras on back-order",
                          compensating_controls="VLAN isolation, no internet egress", expires_on=expires_on,
                          today=TODAY)


def test_request_then_approve_by_another_admin_waives_the_plan(plan, officer, admin_user):
    waiver = _request(plan, officer)
    assert Notification.objects.filter(user=admin_user, kind="waiver_requested").count() == 1
    waiver_approve(waiver=waiver, user=admin_user, note="ok until spring", today=TODAY)
    waiver.refresh_from_db()
    plan.refresh_from_db()
    assert waiver.status == "approved" and waiver.decided_by == admin_user
    assert plan.status == "waived" and not plan.is_overdue
    with pytest.raises(ApplicationError, match="waived"):
        plan_transition(plan=plan, to_status="planned", user=officer, today=TODAY)


def test_own_waiver_cannot_be_approved(plan, admin_user, second_admin):
    waiver = _request(plan, admin_user)
    with pytest.raises(ApplicationError) as exc:
        waiver_approve(waiver=waiver, user=admin_user, today=TODAY)
    assert exc.value.code == "four_eyes"
    waiver.refresh_from_db()
    assert waiver.status == "requested"
    waiver_approve(waiver=waiver, user=second_admin, today=TODAY)
    assert Waiver.objects.get().status == "approved"


def test_database_also_refuses_same_person_deciding(plan, admin_user):
    waiver = _request(plan, admin_user)
    waiver.decided_by = admin_user
    with pytest.raises(IntegrityError), transaction.atomic():
        waiver.save()


@pytest.mark.parametrize("who,code", [("officer", "forbidden"), ("other_admin", "not_found"),
                                      ("auditor", "forbidden")])
def test_only_an_admin_of_that_organisation_decides(request, plan, officer, who, code):
    waiver = _request(plan, officer)
    user = request.getfixturevalue(who) if who != "officer" else request.getfixturevalue("second_officer")
    with pytest.raises(ApplicationError) as exc:
        waiver_approve(waiver=waiver, user=user, today=TODAY)
    assert exc.value.code == code
    assert Waiver.objects.get().status == "requested"


@pytest.fixture
def second_officer(org):
    from apps.accounts.choices import Role
    from tests.factories import MembershipFactory, UserFactory

    return MembershipFactory(organization=org, role=Role.OFFICER, user=UserFactory(username="officer2")).user


def test_expiry_before_today_refused_and_incomplete_request_refused(plan, officer):
    with pytest.raises(ApplicationError) as exc:
        _request(plan, officer, expires_on=TODAY - dt.timedelta(days=1))
    assert "expires_on" in exc.value.fields
    with pytest.raises(ApplicationError) as exc:
        waiver_request(plan=plan, user=officer, justification="", compensating_controls="", expires_on=TODAY,
                       today=TODAY)
    assert set(exc.value.fields) == {"justification", "compensating_controls"}
    assert Waiver.objects.count() == 0
    _request(plan, officer, expires_on=TODAY)  # today itself is allowed


def test_one_pending_waiver_per_plan_and_other_org_cannot_request(plan, officer, other_officer):
    _request(plan, officer)
    with pytest.raises(ApplicationError, match="already"):
        _request(plan, officer)
    with pytest.raises(ApplicationError) as exc:
        _request(plan, other_officer)
    assert exc.value.code == "not_found"


def test_reject_needs_a_reason(plan, officer, admin_user):
    waiver = _request(plan, officer)
    with pytest.raises(ApplicationError):
        waiver_reject(waiver=waiver, user=admin_user, note="")
    waiver_reject(waiver=waiver, user=admin_user, note="Compensating controls insufficient")
    waiver.refresh_from_db()
    plan.refresh_from_db()
    assert waiver.status == "rejected" and plan.status == "open"
    assert Notification.objects.filter(user=officer, kind="waiver_decided").exists()


def test_expired_waiver_reopens_plan_and_restarts_its_clock(plan, officer, admin_user):
    waiver = _request(plan, officer, expires_on=dt.date(2027, 1, 31))
    waiver_approve(waiver=waiver, user=admin_user, today=TODAY)
    assert waivers_expire(today=dt.date(2027, 1, 31)) == []  # valid through its expiry date
    assert waivers_expire(today=dt.date(2027, 2, 1)) == [waiver.pk]
    waiver.refresh_from_db()
    plan.refresh_from_db()
    assert waiver.status == "expired" and waiver.expired_at is not None
    assert plan.status == "open"
    assert plan.deadline == dt.date(2027, 4, 2)  # 60 days (the rule's N) from the day it reopened
    assert plan.deadline_overridden and f"waiver #{waiver.pk}" in plan.deadline_reason
    assert waivers_expire(today=dt.date(2027, 2, 2)) == []


def test_restarted_clock_survives_re_evaluation(plan, officer, admin_user, findings):
    waiver = _request(plan, officer, expires_on=dt.date(2027, 1, 31))
    waiver_approve(waiver=waiver, user=admin_user, today=TODAY)
    waivers_expire(today=dt.date(2027, 2, 1))
    result = remediation_evaluate(today=dt.date(2027, 2, 1), findings_provider=findings)
    assert result.created == 0 and result.closed == 0
    plan.refresh_from_db()
    assert plan.status == "open" and plan.deadline == dt.date(2027, 4, 2)
    assert plan.computed_deadline == dt.date(2027, 1, 24)  # the rule's own date (60 days after discovery)
