"""Data calls through their services: sending, the single-use expiring link, validation, append-only evidence on
the audit chain, proposals and declared findings from the answers, reminders and re-requests, webhooks events,
and isolation between organisations."""
import datetime as dt
import re

import pytest
from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import audit_chain_verify
from apps.common import events
from apps.common.exceptions import ApplicationError
from apps.outreach import services
from apps.outreach.choices import DataCallState, DataCallStatus, DataCallTemplate, RecipientKind
from apps.outreach.models import DataCall, DataCallAnswer, DataCallResponse, DataCallToken, DeclaredFinding
from apps.outreach.selectors import data_calls_due, supplier_calls
from apps.vendors.choices import ProposalKind, ProposalStatus
from apps.vendors.models import ChangeProposal
from tests.conftest import events_recorded
from tests.factories import EquipmentFactory, ProductModelFactory, VendorFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _token(link: str) -> str:
    return re.search(r"/respond/([^/]+)/$", link).group(1)


def _covered_call(officer, org, site, **kw):
    vendor = kw.pop("vendor", None) or VendorFactory()
    units = kw.pop("units", None) or [EquipmentFactory(site=site), EquipmentFactory(site=site)]
    call = services.data_call_create(
        user=officer, organization_id=org.pk, template=DataCallTemplate.COVERED_LIST,
        recipient_kind=RecipientKind.VENDOR, vendor=vendor, recipient_email="compliance@cameras.example",
        recipient_name="Ann", due_date=timezone.localdate() + dt.timedelta(days=30),
        equipment_ids=[u.pk for u in units], **kw)
    return call, units


def _sign(**kw):
    return {"signer_name": "Ann Example", "signer_title": "Compliance manager",
            "signed_on": timezone.localdate().isoformat(), **kw}


def test_create_mails_a_link_and_stores_only_the_secret_hash(officer, org, site):
    call, _ = _covered_call(officer, org, site)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["compliance@cameras.example"]
    assert call.answer_link in mail.outbox[0].body
    raw = signing.loads(_token(call.answer_link), salt=services.TOKEN_SALT)["t"]
    row = DataCallToken.objects.get(data_call=call)
    assert row.token_hash == services._token_hash(raw) and raw not in row.token_hash
    assert [q.code for q in call.questions.all()] == ["listed_entity", "listed_owner", "affected_items"]
    assert AuditEvent.objects.filter(action="outreach.datacall.create", object_id=str(call.pk)).exists()


def test_viewer_and_other_organisation_cannot_send(viewer, other_officer, org, site):
    with pytest.raises(ApplicationError):
        _covered_call(viewer, org, site)
    with pytest.raises(ApplicationError) as exc:
        _covered_call(other_officer, org, site)
    assert exc.value.code == "not_found"
    assert not DataCall.objects.exists() and not mail.outbox


def test_units_of_another_organisation_are_refused(officer, org, site, other_site):
    with pytest.raises(ApplicationError) as exc:
        _covered_call(officer, org, site, units=[EquipmentFactory(site=other_site)])
    assert exc.value.code == "not_found"


def test_answer_is_append_only_evidence_on_the_audit_chain(officer, org, site, django_capture_on_commit_callbacks):
    call, units = _covered_call(officer, org, site)
    with events_recorded(events.RegistryActivity) as seen, django_capture_on_commit_callbacks(execute=True):
        response = services.data_call_answer(token=_token(call.answer_link), answers={"listed_entity": "no"},
                                             **_sign(), ip="198.51.100.7")
    call.refresh_from_db()
    assert call.state == DataCallState.ANSWERED
    assert call.valid_until == timezone.localdate() + dt.timedelta(days=365)
    event = AuditEvent.objects.get(action="outreach.datacall.answer")
    assert event.changes["sha256"] == response.sha256 and event.organization_id == org.pk
    assert audit_chain_verify().ok
    assert [(e.type, e.object_kind, e.object_id) for e in seen] == [("data_call.answered", "data_call", call.pk)]
    answer = DataCallAnswer.objects.get(response=response)
    assert answer.value is False
    with pytest.raises(RuntimeError):
        response.save()
    with pytest.raises(RuntimeError):
        answer.delete()
    for table in ("outreach_datacallresponse", "outreach_datacallanswer"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"UPDATE {table} SET id = id")  # noqa: S608 - fixed table names
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"DELETE FROM {table}")  # noqa: S608
    assert not DeclaredFinding.objects.exists()


def test_link_works_once(officer, org, site):
    call, _ = _covered_call(officer, org, site)
    token = _token(call.answer_link)
    assert services.data_call_open(token=token) == call
    services.data_call_answer(token=token, answers={"listed_entity": "no"}, **_sign())
    for attempt in (lambda: services.data_call_open(token=token),
                    lambda: services.data_call_answer(token=token, answers={"listed_entity": "yes"}, **_sign())):
        with pytest.raises(services.LinkRefused) as exc:
            attempt()
        assert exc.value.status == 410 and "already used" in exc.value.message
    assert DataCallResponse.objects.count() == 1


def test_expired_and_forged_links_are_refused(officer, org, site):
    call, _ = _covered_call(officer, org, site)
    token = _token(call.answer_link)
    later = timezone.now() + dt.timedelta(days=30 + 15)
    with pytest.raises(services.LinkRefused) as exc:
        services.data_call_answer(token=token, answers={"listed_entity": "no"}, **_sign(), now=later)
    assert exc.value.status == 410 and "expired" in exc.value.message
    with pytest.raises(services.LinkRefused) as exc:
        services.data_call_open(token=token[:-3] + "abc")
    assert exc.value.status == 403
    assert not DataCallResponse.objects.exists()


def test_another_organisations_call_id_in_a_link_never_works(officer, other_officer, org, other_org, site,
                                                            other_site):
    mine, _ = _covered_call(officer, org, site)
    theirs, _ = _covered_call(other_officer, other_org, other_site, vendor=VendorFactory())
    raw = signing.loads(_token(mine.answer_link), salt=services.TOKEN_SALT)["t"]
    forged = signing.dumps({"c": theirs.pk, "t": raw}, salt=services.TOKEN_SALT)  # my secret, their call
    with pytest.raises(services.LinkRefused) as exc:
        services.data_call_open(token=forged)
    assert exc.value.status == 403
    assert services.data_call_open(token=_token(theirs.answer_link)) == theirs


def test_every_answer_is_validated_and_nothing_is_stored_on_error(officer, org, site):
    call, _ = _covered_call(officer, org, site)
    with pytest.raises(ApplicationError) as exc:
        services.data_call_answer(token=_token(call.answer_link), answers={"listed_entity": "maybe"},
                                  signer_name="", signer_title="", signed_on="2999-01-01")
    assert set(exc.value.fields) == {"listed_entity", "signer_name", "signer_title", "signed_on"}
    assert exc.value.fields["listed_entity"] == ["Answer yes or no."]
    assert not DataCallResponse.objects.exists()
    assert DataCallToken.objects.get(data_call=call).used_at is None  # the link still works


def test_yes_opens_a_finding_on_the_units_and_a_named_owner_becomes_a_proposal(officer, org, site):
    owner = VendorFactory(name="China Example Group")
    call, units = _covered_call(officer, org, site)
    response = services.data_call_answer(
        token=_token(call.answer_link),
        answers={"listed_entity": "yes", "listed_owner": "china example group", "affected_items": "NVR-1"},
        **_sign())
    finding = DeclaredFinding.objects.get()
    assert finding.answer.question.code == "listed_entity" and finding.answer.response == response
    assert set(finding.equipment.values_list("pk", flat=True)) == {u.pk for u in units}
    assert finding.vendor_id == call.vendor_id and finding.organization_id == org.pk
    proposal = ChangeProposal.objects.get()
    assert response.proposal_ids == [proposal.pk]
    assert proposal.kind == ProposalKind.OWNERSHIP_ADD and proposal.status == ProposalStatus.PENDING
    assert proposal.vendor_id == call.vendor_id and proposal.payload["owner"] == owner.pk
    assert proposal.organization_id == org.pk and proposal.proposed_by == officer
    assert f"Data call {call.pk}" in proposal.source_document
    assert AuditEvent.objects.filter(action="outreach.declared_finding.open").exists()
    services.declared_finding_close(finding=finding, user=officer, note="Replaced the NVR.")
    finding.refresh_from_db()
    assert finding.status == "closed"


def test_component_declaration_proposes_the_maker_and_keeps_the_file(officer, org, site):
    brand, maker = VendorFactory(name="Brand Co"), VendorFactory(name="Maker Works")
    pm = ProductModelFactory(brand=brand)
    call = services.data_call_create(
        user=officer, organization_id=org.pk, template=DataCallTemplate.COMPONENT_DECLARATION,
        recipient_kind=RecipientKind.VENDOR, vendor=brand, product_model=pm, recipient_email="a@brand.example",
        due_date=timezone.localdate() + dt.timedelta(days=10))
    answers = {"maker": "Maker Works", "country_of_origin": "CN", "software_supplier": "Brand Co",
               "remote_access": "yes", "remote_access_by": "Brand Co support, EU",
               "firmware_update_path": "Operator installs signed packages"}
    bad = SimpleUploadedFile("bom.pdf", b"<html><script>x</script></html>", content_type="application/pdf")
    with pytest.raises(ApplicationError) as exc:
        services.data_call_answer(token=_token(call.answer_link), answers=answers, files={"bill_of_materials": bad},
                                  **_sign())
    assert "not accepted" in exc.value.fields["bill_of_materials"][0]
    good = SimpleUploadedFile("bom.pdf", PDF, content_type="application/octet-stream")
    response = services.data_call_answer(token=_token(call.answer_link), answers=answers,
                                         files={"bill_of_materials": good}, **_sign())
    proposal = ChangeProposal.objects.get()
    assert proposal.kind == ProposalKind.OEM_ADD and proposal.vendor == brand
    assert proposal.payload["manufacturer"] == maker.pk
    stored = DataCallAnswer.objects.get(response=response, question__code="bill_of_materials")
    assert stored.file_content_type == "application/pdf" and stored.file_size == len(PDF)
    import hashlib
    assert stored.file_sha256 == hashlib.sha256(PDF).hexdigest()
    event = AuditEvent.objects.get(action="outreach.datacall.answer")
    assert event.changes["files_sha256"] == {"bill_of_materials": stored.file_sha256}
    assert not DeclaredFinding.objects.exists()


def test_overdue_reminder_once_with_a_new_link_and_a_webhook_event(officer, org, site,
                                                                  django_capture_on_commit_callbacks):
    call, _ = _covered_call(officer, org, site)
    old = _token(call.answer_link)
    mail.outbox.clear()
    later = timezone.now() + dt.timedelta(days=31)
    with events_recorded(events.RegistryActivities) as seen, django_capture_on_commit_callbacks(execute=True):
        assert services.data_calls_remind_overdue(now=later) == [call.pk]
        assert services.data_calls_remind_overdue(now=later) == []
    assert [(i.type, i.object_id) for b in seen for i in b.items] == [("data_call.overdue", call.pk)]
    assert len(mail.outbox) == 1 and "Reminder" in mail.outbox[0].subject
    with pytest.raises(services.LinkRefused) as exc:
        services.data_call_open(token=old, now=later)
    assert exc.value.status == 410 and "replaced" in exc.value.message
    new = re.search(r"/respond/([^/\s]+)/", mail.outbox[0].body).group(1)
    assert services.data_call_open(token=new, now=later) == call
    day = timezone.localdate(later)
    assert DataCall.objects.with_status(day).get().status_on == DataCallStatus.OVERDUE
    assert [c.pk for c in data_calls_due([org.pk], day=day)] == [call.pk]


def test_representation_is_re_requested_before_it_expires(officer, org, site):
    call, units = _covered_call(officer, org, site)
    services.data_call_answer(token=_token(call.answer_link), answers={"listed_entity": "no"}, **_sign())
    mail.outbox.clear()
    assert services.data_calls_renew() == []  # valid for a year
    near_end = timezone.now() + dt.timedelta(days=365 - 40)
    made = services.data_calls_renew(now=near_end)
    assert len(made) == 1 and services.data_calls_renew(now=near_end) == []
    renewal = DataCall.objects.get(pk=made[0])
    assert renewal.renewal_of == call and renewal.created_by == officer and renewal.vendor_id == call.vendor_id
    assert set(renewal.equipment.values_list("pk", flat=True)) == {u.pk for u in units}
    call.refresh_from_db()
    assert renewal.due_date == call.valid_until
    assert len(mail.outbox) == 1
    summary = supplier_calls(organization_id=org.pk, vendor_id=call.vendor_id, day=timezone.localdate(near_end))
    assert summary.counts["sent"] == 2 and summary.counts["answered"] == 1 and summary.counts["pending"] == 1
    assert [r["code"] for r in summary.rows][:1] == ["listed_entity"]
    assert summary.rows[0]["cells"][0].value is False


def test_status_as_of_a_past_day(officer, org, site):
    call, _ = _covered_call(officer, org, site)
    services.data_call_answer(token=_token(call.answer_link), answers={"listed_entity": "no"}, **_sign())
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert DataCall.objects.with_status(yesterday).get().status_on == DataCallStatus.PENDING
    assert DataCall.objects.with_status(timezone.localdate()).get().status_on == DataCallStatus.ANSWERED
    assert DataCall.objects.with_status(timezone.localdate() + dt.timedelta(days=400)).get().status_on == \
        DataCallStatus.EXPIRED


def test_respond_rate_limit(settings):
    settings.OUTREACH_RESPOND_RATE = "3/m"
    for _ in range(3):
        services.respond_rate_check("203.0.113.9")
    with pytest.raises(ApplicationError) as exc:
        services.respond_rate_check("203.0.113.9")
    assert exc.value.code == "throttled"
    services.respond_rate_check("203.0.113.10")


def test_supplier_view_reads_a_constant_number_of_queries(officer, org, site, django_assert_num_queries):
    vendor = VendorFactory()
    for n in range(4):
        call, _ = _covered_call(officer, org, site, vendor=vendor)
        if n % 2 == 0:
            services.data_call_answer(token=_token(call.answer_link), answers={"listed_entity": "no"}, **_sign())
    with django_assert_num_queries(3):
        summary = supplier_calls(organization_id=org.pk, vendor_id=vendor.pk, day=timezone.localdate())
    assert summary.counts["sent"] == 4 and len(summary.columns) == 2


def test_site_manager_call_and_custom_questions(officer, org, site, other_site):
    custom = [{"kind": "yes_no", "text": "Any camera from a listed maker on site?", "covered": True},
              {"kind": "choice", "text": "Who services the cameras?", "choices": ["In-house", "The landlord"]},
              {"kind": "date", "text": "Last inspection"},
              {"kind": "text", "text": "Notes", "required": False}]
    kwargs = {"user": officer, "organization_id": org.pk, "template": DataCallTemplate.CUSTOM,
              "recipient_kind": RecipientKind.SITE_MANAGER, "recipient_email": "manager@site.example",
              "due_date": timezone.localdate(), "questions": custom}
    with pytest.raises(ApplicationError) as exc:
        services.data_call_create(site=other_site, **kwargs)
    assert exc.value.code == "not_found"
    with pytest.raises(ApplicationError) as exc:
        services.data_call_create(site=site, **{**kwargs, "questions": [{"kind": "choice", "text": "Pick",
                                                                         "choices": ["only one"]}]})
    assert "two options" in exc.value.message
    unit = EquipmentFactory(site=site)
    call = services.data_call_create(site=site, equipment_ids=[unit.pk], **kwargs)
    assert [(q.code, q.kind, q.covered) for q in call.questions.all()] == [
        ("q1", "yes_no", True), ("q2", "choice", False), ("q3", "date", False), ("q4", "text", False)]
    token = _token(call.answer_link)
    with pytest.raises(ApplicationError) as exc:
        services.data_call_answer(token=token, answers={"q1": "yes", "q2": "Somebody", "q3": "31/12/2026"},
                                  **_sign())
    assert exc.value.fields == {"q2": ["Choose one of the options."], "q3": ["Give a date as YYYY-MM-DD."]}
    services.data_call_answer(token=token, answers={"q1": "yes", "q2": "The landlord", "q3": "2026-11-30"},
                              **_sign())
    finding = DeclaredFinding.objects.get()
    assert finding.vendor_id is None and list(finding.equipment.all()) == [unit]
    values = {a.question.code: a.value for a in DataCallAnswer.objects.all()}
    assert values == {"q1": True, "q2": "The landlord", "q3": "2026-11-30"}


def test_cancel_stops_the_link_and_only_writers_of_the_organisation_act(officer, viewer, other_officer, org, site):
    call, _ = _covered_call(officer, org, site)
    for user, code in ((viewer, "forbidden"), (other_officer, "not_found")):
        with pytest.raises(ApplicationError) as exc:
            services.data_call_cancel(data_call=call, user=user)
        assert exc.value.code == code
    services.data_call_cancel(data_call=call, user=officer)
    with pytest.raises(services.LinkRefused) as exc:
        services.data_call_open(token=_token(call.answer_link))
    assert exc.value.status == 410
    assert DataCall.objects.with_status(timezone.localdate()).get().status_on == DataCallStatus.CANCELLED
    with pytest.raises(ApplicationError) as exc:
        services.data_call_cancel(data_call=call, user=officer)
    assert exc.value.code == "conflict"


def test_another_organisation_cannot_close_a_declared_finding(officer, other_officer, org, site):
    call, _ = _covered_call(officer, org, site)
    services.data_call_answer(token=_token(call.answer_link), answers={"listed_entity": "yes"}, **_sign())
    finding = DeclaredFinding.objects.get()
    with pytest.raises(ApplicationError) as exc:
        services.declared_finding_close(finding=finding, user=other_officer, note="not mine")
    assert exc.value.code == "not_found"
    with pytest.raises(ApplicationError) as exc:
        services.declared_finding_close(finding=finding, user=officer, note="  ")
    assert "note" in exc.value.fields


def test_a_backdated_signature_is_refused(officer, org, site):
    call, _ = _covered_call(officer, org, site)
    with pytest.raises(ApplicationError) as exc:
        services.data_call_answer(token=_token(call.answer_link), answers={"listed_entity": "no"},
                                  **_sign(signed_on=(timezone.localdate() - dt.timedelta(days=3)).isoformat()))
    assert "before the request was sent" in exc.value.fields["signed_on"][0]


def test_app_role_with_the_documented_grants_cannot_change_answers(officer, org, site):
    """audit_grants gives the application's role SELECT and INSERT only on the answer tables (the triggers
    refuse changes for every role besides)."""
    from apps.audit.management.commands.audit_grants import append_only_tables, grants_sql

    assert {"outreach_datacallresponse", "outreach_datacallanswer"} <= set(append_only_tables())
    call, _ = _covered_call(officer, org, site)
    response = services.data_call_answer(token=_token(call.answer_link), answers={"listed_entity": "no"}, **_sign())
    with connection.cursor() as cur:
        cur.execute("CREATE ROLE vr_test_outreach_role NOLOGIN")
        for sql in grants_sql("vr_test_outreach_role"):
            cur.execute(sql)
        cur.execute("SET LOCAL ROLE vr_test_outreach_role")
        try:
            for table in ("outreach_datacallresponse", "outreach_datacallanswer"):
                with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                    cur.execute(f"UPDATE {table} SET id = id")  # noqa: S608 - fixed table names
                with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                    cur.execute(f"TRUNCATE {table}")  # noqa: S608
            cur.execute("SELECT sha256 FROM outreach_datacallresponse WHERE id = %s", [response.pk])
            assert cur.fetchone()[0] == response.sha256
        finally:
            cur.execute("RESET ROLE")
