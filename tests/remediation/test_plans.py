"""Plan transitions, owner/cost/deadline changes, steps and evidence, permissions."""
import datetime as dt
import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.audit.models import AuditEvent
from apps.common.exceptions import ApplicationError
from apps.remediation.models import Evidence, RemediationPlan
from apps.remediation.services import (
    evidence_upload,
    plan_assign,
    plan_change_deadline,
    plan_set_cost,
    plan_step_add,
    plan_step_complete,
    plan_transition,
    remediation_evaluate,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def plan(camera, findings, make_rule):
    make_rule(regimes=["us_ndaa"], action="replace", deadline_days=180, deadline_anchor="discovery")
    findings.add(camera, discovered_on=TODAY)
    remediation_evaluate(today=TODAY, findings_provider=findings)
    return RemediationPlan.objects.get()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_forward_one_step_at_a_time_to_done_with_outcome(plan, officer):
    plan_transition(plan=plan, to_status="planned", user=officer, today=TODAY)
    plan_transition(plan=plan, to_status="in_progress", user=officer, today=TODAY)
    done = plan_transition(plan=plan, to_status="done", outcome="replaced", user=officer, today=TODAY,
                           note="New Axis cameras installed")
    assert done.status == "done" and done.outcome == "replaced" and done.closed_at is not None
    plan.equipment.refresh_from_db()
    assert plan.equipment.status == "replaced"
    assert list(done.history.order_by("history_id").values_list("status", flat=True)) == [
        "open", "planned", "in_progress", "done"]
    assert AuditEvent.objects.filter(action="remediationplan.update", object_id=str(plan.pk)).count() == 3


@pytest.mark.parametrize("path,target,message", [
    ([], "in_progress", "skips"),
    ([], "done", "skips"),
    (["planned"], "open", "backwards"),
    (["planned", "in_progress"], "planned", "backwards"),
    ([], "waived", "by hand"),
    ([], "not_required", "by hand"),
    ([], "bogus", "Unknown status"),
])
def test_skipping_or_going_backwards_is_refused(plan, officer, path, target, message):
    for step in path:
        plan_transition(plan=plan, to_status=step, user=officer, today=TODAY)
    before = RemediationPlan.objects.get(pk=plan.pk).status
    with pytest.raises(ApplicationError) as exc:
        plan_transition(plan=plan, to_status=target, outcome="replaced", user=officer, today=TODAY)
    assert message in exc.value.message
    assert RemediationPlan.objects.get(pk=plan.pk).status == before


def test_done_needs_an_outcome_that_satisfies_the_action(plan, officer):
    plan_transition(plan=plan, to_status="planned", user=officer, today=TODAY)
    plan_transition(plan=plan, to_status="in_progress", user=officer, today=TODAY)
    with pytest.raises(ApplicationError) as exc:
        plan_transition(plan=plan, to_status="done", user=officer, today=TODAY)
    assert exc.value.code == "outcome_required"
    with pytest.raises(ApplicationError) as exc:
        plan_transition(plan=plan, to_status="done", outcome="mitigated", user=officer, today=TODAY)
    assert exc.value.code == "outcome_mismatch"
    assert RemediationPlan.objects.get(pk=plan.pk).status == "in_progress"


def test_closed_plan_cannot_move(plan, officer):
    for s in ("planned", "in_progress"):
        plan_transition(plan=plan, to_status=s, user=officer, today=TODAY)
    plan_transition(plan=plan, to_status="done", outcome="removed", user=officer, today=TODAY)
    with pytest.raises(ApplicationError, match="closed"):
        plan_transition(plan=plan, to_status="done", outcome="removed", user=officer, today=TODAY)


@pytest.mark.parametrize("who", ["other_officer", "auditor", "viewer"])
def test_permissions_other_org_and_read_only_roles_are_refused(request, plan, who):
    user = request.getfixturevalue(who)
    with pytest.raises(ApplicationError) as exc:
        plan_transition(plan=plan, to_status="planned", user=user, today=TODAY)
    assert exc.value.code == ("not_found" if who == "other_officer" else "forbidden")
    with pytest.raises(ApplicationError):
        plan_change_deadline(plan=plan, deadline=TODAY, reason="x", user=user, today=TODAY)
    with pytest.raises(ApplicationError):
        plan_step_add(plan=plan, title="x", user=user)
    assert RemediationPlan.objects.get(pk=plan.pk).status == "open"


def test_deadline_change_needs_reason_and_is_recorded(plan, officer):
    with pytest.raises(ApplicationError) as exc:
        plan_change_deadline(plan=plan, deadline=dt.date(2027, 9, 1), reason="  ", user=officer, today=TODAY)
    assert exc.value.code == "reason_required"
    with pytest.raises(ApplicationError):
        plan_change_deadline(plan=plan, deadline=TODAY - dt.timedelta(days=1), reason="r", user=officer, today=TODAY)
    plan_change_deadline(plan=plan, deadline=dt.date(2027, 9, 1), reason="Budget cycle", user=officer, today=TODAY)
    plan.refresh_from_db()
    assert plan.deadline == dt.date(2027, 9, 1) and plan.deadline_overridden and plan.deadline_reason == "Budget cycle"
    event = AuditEvent.objects.get(action="remediationplan.deadline_change")
    assert event.changes["reason"] == "Budget cycle"
    assert event.changes["deadline"] == [plan.computed_deadline.isoformat(), "2027-09-01"]
    assert event.actor == officer


def test_assign_owner_and_cost(plan, officer, admin_user, other_officer):
    plan_assign(plan=plan, owner=admin_user, user=officer)
    with pytest.raises(ApplicationError) as exc:
        plan_assign(plan=plan, owner=other_officer, user=officer)
    assert exc.value.code == "invalid_owner"
    plan_set_cost(plan=plan, estimated_cost=12500, user=officer)
    with pytest.raises(ApplicationError):
        plan_set_cost(plan=plan, estimated_cost=-1, user=officer)
    plan.refresh_from_db()
    assert plan.owner == admin_user and plan.estimated_cost == 12500


def test_steps_and_evidence_upload(plan, officer, media):
    step = plan_step_add(plan=plan, title="Disconnect the vendor modem", user=officer)
    plan_step_complete(step=step, user=officer)
    ev = evidence_upload(plan=plan, step=step, user=officer,
                         file=SimpleUploadedFile("work-order.pdf", b"%PDF-1.4 signed work order"))
    assert ev.content_type == "application/pdf" and ev.size == 26 and ev.file.name.endswith(".pdf")
    assert "work-order" not in ev.file.name  # stored under a random name
    assert (media / ev.file.name).read_bytes() == b"%PDF-1.4 signed work order"


def _stored_files(root) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


@pytest.mark.parametrize("content,name,code", [
    (b"MZ\x90\x00 fake exe", "photo.jpg", "evidence_type"),
    (b"<html><script>x</script></html>", "note.txt", "evidence_type"),
    (b"%PDF-" + b"x" * 2000, "big.pdf", "evidence_too_large"),
])
def test_refused_upload_leaves_nothing_stored(plan, officer, media, settings, content, name, code):
    settings.REMEDIATION_EVIDENCE_MAX_BYTES = 1000
    events = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as exc:
        evidence_upload(plan=plan, user=officer, file=SimpleUploadedFile(name, content))
    assert exc.value.code == code
    assert Evidence.objects.count() == 0 and _stored_files(media) == []
    assert AuditEvent.objects.count() == events


def test_upload_failing_in_database_removes_the_file(plan, officer, media, monkeypatch):
    from apps.remediation.services import plans as plan_services

    def boom(**kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(plan_services, "audit_record", boom)
    with pytest.raises(RuntimeError):
        evidence_upload(plan=plan, user=officer, file=io.BytesIO(b"%PDF-1.4 ok"))
    assert Evidence.objects.count() == 0 and _stored_files(media) == []


def test_upload_by_other_organisation_refused(plan, other_officer, media):
    with pytest.raises(ApplicationError) as exc:
        evidence_upload(plan=plan, user=other_officer, file=SimpleUploadedFile("a.pdf", b"%PDF-1.4"))
    assert exc.value.code == "not_found"
    assert _stored_files(media) == []
