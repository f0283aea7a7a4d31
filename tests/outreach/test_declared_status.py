"""A supplier's "yes" on a covered-equipment question counts in the named units' risk status (issue #20 follow-up):
the declared finding opens a declaration on each unit through apps.screening, the units become prohibited (FAR
Part A) or restricted (1260H / FCC Covered List, custom), with a reason naming the supplier, the call and the
signer; closing the finding restores them; another organisation's units are never touched; a full screening
refresh keeps the declaration; the tallies, unit.status_changed and finding.opened/closed webhooks follow."""
import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.common import events
from apps.common.choices import RiskStatus
from apps.common.exceptions import ApplicationError
from apps.integrations import services as hooks
from apps.integrations.models import WebhookDelivery
from apps.inventory.models import SiteEquipmentCount
from apps.outreach import services
from apps.outreach.choices import DataCallTemplate, RecipientKind
from apps.outreach.models import DataCall, DeclaredFinding
from apps.screening.models import UnitDeclaration
from apps.screening.services import equipment_risk_refresh, unit_declarations_open
from apps.vendors.models import Vendor
from tests.conftest import events_recorded
from tests.factories import EquipmentFactory, MembershipFactory, UserFactory, VendorFactory

pytestmark = pytest.mark.django_db
PUBLIC = "https://93.184.216.34/hook"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PUBLIC_BASE_URL = "https://registry.example"


def _token(link: str) -> str:
    return re.search(r"/respond/([^/]+)/$", link).group(1)


def _supplier():
    return Vendor.objects.filter(name="Camera Supply Co").first() or VendorFactory(name="Camera Supply Co")


def _send(officer, org, units, template=DataCallTemplate.FAR_889, **kw):
    return services.data_call_create(
        user=officer, organization_id=org.pk, template=template, recipient_kind=RecipientKind.VENDOR,
        vendor=kw.pop("vendor", None) or _supplier(), recipient_email="rep@camera.example",
        due_date=timezone.localdate() + dt.timedelta(days=30), equipment_ids=[u.pk for u in units], **kw)


def _answer(call, answers):
    return services.data_call_answer(token=_token(call.answer_link), answers=answers, signer_name="Rep Example",
                                     signer_title="Sales", signed_on=timezone.localdate())


def _statuses(*units):
    for u in units:
        u.refresh_from_db()
    return [u.risk_status for u in units]


def test_far_part_a_yes_prohibits_the_named_units_and_closing_restores_them(officer, org, site):
    named = [EquipmentFactory(site=site), EquipmentFactory(site=site)]
    bystander = EquipmentFactory(site=site)
    call = _send(officer, org, named)
    with events_recorded(events.RegistryActivities, phase=events.IN_TRANSACTION) as batches:
        _answer(call, {"part_a_provides": "yes", "part_b_uses": "no"})
    assert _statuses(*named, bystander) == ["prohibited", "prohibited", "clear"]
    today = timezone.localdate().isoformat()
    reason = (f"Declared by Camera Supply Co in data call #{call.pk} (signed by Rep Example, {today}): "
              "covered equipment (prohibited)")
    assert named[0].risk_reason == reason
    finding = DeclaredFinding.objects.get()
    assert finding.risk_status == RiskStatus.PROHIBITED
    changed = [a for b in batches for a in b.items if a.type == "unit.status_changed"]
    assert sorted(i for a in changed for i in a.object_ids) == sorted(u.pk for u in named)
    tally = SiteEquipmentCount.objects.filter(site=site, risk_status="prohibited").values_list("records", flat=True)
    assert sum(tally) == 2

    services.declared_finding_close(finding=finding, user=officer, note="Replaced the NVRs.")
    assert _statuses(*named) == ["clear", "clear"] and named[0].risk_reason == ""
    assert not UnitDeclaration.objects.filter(closed_at__isnull=True).exists()
    assert not SiteEquipmentCount.objects.filter(site=site, risk_status="prohibited", records__gt=0).exists()


def test_covered_list_yes_restricts_and_a_no_changes_nothing(officer, org, site):
    yes_unit, no_unit = EquipmentFactory(site=site), EquipmentFactory(site=site)
    _answer(_send(officer, org, [yes_unit], template=DataCallTemplate.COVERED_LIST), {"listed_entity": "yes"})
    _answer(_send(officer, org, [no_unit], template=DataCallTemplate.COVERED_LIST), {"listed_entity": "no"})
    assert _statuses(yes_unit, no_unit) == ["restricted", "clear"]
    assert "covered equipment (restricted)" in yes_unit.risk_reason


def test_custom_covered_question_restricts(officer, org, site):
    unit = EquipmentFactory(site=site)
    call = _send(officer, org, [unit], template=DataCallTemplate.CUSTOM, questions=[
        {"kind": "yes_no", "text": "Does the DVR contain a Hikvision board?", "covered": True}])
    _answer(call, {"q1": "yes"})
    assert _statuses(unit) == ["restricted"]


def test_the_worse_of_declaration_and_findings_wins_and_a_full_refresh_keeps_it(officer, org, site):
    unit = EquipmentFactory(site=site)
    _answer(_send(officer, org, [unit], template=DataCallTemplate.COVERED_LIST), {"listed_entity": "yes"})
    equipment_risk_refresh()  # the bulk pass (a screening run's phase 4) must not reset a declared unit
    assert _statuses(unit) == ["restricted"]
    equipment_risk_refresh(organization_id=org.pk)
    assert _statuses(unit) == ["restricted"]
    _answer(_send(officer, org, [unit]), {"part_a_provides": "yes", "part_b_uses": "no"})
    assert _statuses(unit) == ["prohibited"]
    equipment_risk_refresh()
    assert _statuses(unit) == ["prohibited"]
    assert unit.risk_reason.startswith("Declared by Camera Supply Co in data call #")


def test_another_organisations_units_are_never_touched(officer, org, site, other_site):
    mine, theirs = EquipmentFactory(site=site), EquipmentFactory(site=other_site)
    _answer(_send(officer, org, [mine]), {"part_a_provides": "yes", "part_b_uses": "no"})
    equipment_risk_refresh()
    assert _statuses(mine, theirs) == ["prohibited", "clear"]
    with pytest.raises(ApplicationError):  # the screening service refuses another organisation's unit
        unit_declarations_open(organization_id=org.pk, equipment_ids=[theirs.pk], status="prohibited",
                               reason="x", source_key="test:1")
    assert not UnitDeclaration.objects.filter(equipment=theirs).exists()


def test_the_equipment_page_shows_the_declaration_and_links_to_the_call(client, officer, org, site):
    unit = EquipmentFactory(site=site)
    call = _send(officer, org, [unit])
    _answer(call, {"part_a_provides": "yes", "part_b_uses": "no"})
    client.force_login(officer)
    html = client.get(reverse("web:equipment-detail", args=[unit.pk])).content.decode()
    declaration = UnitDeclaration.objects.get()
    assert f'id="declaration-{declaration.pk}"' in html
    assert f'{reverse("web:data-call-detail", args=[call.pk])}#findings' in html
    assert f"Declared by Camera Supply Co in data call #{call.pk}" in html
    detail = client.get(reverse("web:data-call-detail", args=[call.pk])).content.decode()
    assert "units prohibited" in detail and reverse("web:equipment-detail", args=[unit.pk]) in detail


def test_declared_findings_reach_only_the_organisations_endpoints(
        org, other_org, admin_user, officer, site, django_capture_on_commit_callbacks):
    other_admin = MembershipFactory(organization=other_org, role="admin", user=UserFactory(username="oadm")).user
    types = ["finding.opened", "finding.closed"]
    mine = hooks.webhook_endpoint_create(organization=org, user=admin_user, url=PUBLIC, event_types=types)
    hooks.webhook_endpoint_create(organization=other_org, user=other_admin, url=PUBLIC, event_types=types)
    call = _send(officer, org, [EquipmentFactory(site=site)])
    with django_capture_on_commit_callbacks(execute=True):
        _answer(call, {"part_a_provides": "yes", "part_b_uses": "no"})
    finding = DeclaredFinding.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.declared_finding_close(finding=finding, user=officer, note="Reviewed.")
    rows = {d.event_type: d for d in WebhookDelivery.objects.all()}
    assert set(rows) == set(types) and {d.endpoint_id for d in rows.values()} == {mine.pk}
    for row in rows.values():
        assert row.payload["data"]["object"] == {
            "kind": "declared_finding", "id": finding.pk,
            "link": f"https://registry.example/api/v1/declared-findings/{finding.pk}/"}
        assert row.payload["data"]["status"] == "prohibited"


def test_officer_marks_a_custom_question_covered_through_the_web_form(client, officer, org, site):
    _supplier()
    unit = EquipmentFactory(site=site)
    client.force_login(officer)
    url = reverse("web:data-call-create")
    form = {"template": DataCallTemplate.CUSTOM, "recipient_kind": RecipientKind.VENDOR, "vendor": "camera supply co",
            "equipment_ids": [unit.pk], "recipient_email": "rep@camera.example",
            "due_date": (timezone.localdate() + dt.timedelta(days=14)).isoformat()}
    refused = client.post(url, {**form, "questions": "text covered: Which board?"})
    assert refused.status_code == 400
    assert "only a yes/no question can be a covered-equipment question" in refused.content.decode()
    unknown = client.post(url, {**form, "questions": "yes_no coverd: Hikvision inside?"})
    assert unknown.status_code == 400 and "unknown mark" in unknown.content.decode()
    assert not DataCall.objects.exists()

    sent = client.post(url, {**form, "questions": "yes_no covered: Does the DVR contain a Hikvision board?\n"
                                                  "yes_no: Is the firmware signed?"})
    assert sent.status_code == 302
    call = DataCall.objects.get()
    assert [(q.code, q.covered) for q in call.questions.all()] == [("q1", True), ("q2", False)]
    link = re.search(r"(/respond/[^/\s]+/)", mail.outbox[-1].body).group(1)
    answered = Client().post(link, {"q1": "yes", "q2": "yes", "signer_name": "Rep Example", "signer_title": "Sales",
                                    "signed_on": timezone.localdate().isoformat()})
    assert answered.status_code == 200
    assert _statuses(unit) == ["restricted"] and DeclaredFinding.objects.get().answer.question.code == "q1"



def test_refreshing_declared_units_takes_constant_queries(officer, org, site):
    """equipment_risk_refresh_units reads the declarations in one query, whatever their number."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.inventory.models import Equipment
    from apps.screening.services import equipment_risk_refresh_units

    counts = []
    for n in (2, 12):
        units = [EquipmentFactory(site=site) for _ in range(n)]
        _answer(_send(officer, org, units), {"part_a_provides": "yes", "part_b_uses": "no"})
        Equipment.objects.filter(pk__in=[u.pk for u in units]).update(risk_status="clear", risk_reason="")
        with CaptureQueriesContext(connection) as ctx:
            assert equipment_risk_refresh_units([u.pk for u in units]) == n
        counts.append(len(ctx.captured_queries))
        assert _statuses(*units) == ["prohibited"] * n
    assert counts[0] == counts[1], counts
