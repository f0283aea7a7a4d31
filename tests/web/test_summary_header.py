"""The summary header of unit, plan and vendor pages, and the folded path blocks of the equipment page (issue #18
item 1): status, obligation (rule title and legal basis, never its code), due date with overdue by / days left,
plan state and owner, the next action; one block per listed vendor and path, "applies to brand, software supplier
and component"; constant queries on the three pages."""
import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.common.choices import RiskStatus
from apps.remediation.choices import Action, PlanStatus, StepStatus, WaiverStatus
from apps.remediation.selectors import equipment_header, plan_header, vendor_header
from apps.screening.selectors import EquipmentFinding, equipment_findings_folded, words_joined
from tests.factories import (
    ComponentFactory,
    EquipmentFactory,
    EvidenceFactory,
    FindingFactory,
    ListSourceFactory,
    MatchFactory,
    PlanStepFactory,
    PolicyRuleFactory,
    ProductModelFactory,
    RemediationPlanFactory,
    UserFactory,
    VendorFactory,
    WaiverFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule(db):
    return PolicyRuleFactory(code="test-1260h-contracting", name="DoD 1260H contracting ban",
                             citation="NDAA FY2024 s.805", citation_url="https://example.org/s805",
                             action=Action.REPLACE)


@pytest.fixture
def crane(site):
    """A crane whose maker is also its software supplier and a component vendor, listed by one source."""
    zpmc = VendorFactory(name="Shanghai Zhenhua Heavy Industries", risk_status=RiskStatus.PROHIBITED)
    model = ProductModelFactory(brand=zpmc, software_supplier=zpmc, model_number="STS-65")
    unit = EquipmentFactory(site=site, product_model=model, asset_tag="STS-01", risk_status=RiskStatus.PROHIBITED)
    ComponentFactory(equipment=unit, vendor=zpmc)
    return unit


def _today():
    return timezone.localdate()


def _body(client, name, pk) -> str:
    response = client.get(reverse(name, args=[pk]))
    assert response.status_code == 200
    return response.content.decode()


def _summary(body: str) -> str:
    """The header's text, whitespace collapsed."""
    match = re.search(r'<section class="card summary-header".*?</section>', body, re.S)
    assert match, "no summary header on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(0)).split())


# --- the header's content ------------------------------------------------------------------------------------

def test_unit_header_overdue_plan_without_owner(client_for, officer, crane, rule):
    RemediationPlanFactory(equipment=crane, rule=rule, deadline=_today() - dt.timedelta(days=12))
    body = _body(client_for(officer), "web:equipment-detail", crane.pk)
    text = _summary(body)
    assert "prohibited" in text
    assert "DoD 1260H contracting ban" in text and "test-1260h-contracting" not in text  # the title, not the code
    assert "NDAA FY2024 s.805" in text and 'href="https://example.org/s805"' in body
    assert "remove or replace" in text  # the obligation's kind
    assert "overdue by 12 days" in text
    assert "Open" in text and "no owner" in text
    assert "Next action Assign an owner" in text
    # above the chain: the header comes first
    assert body.index("summary-header") < body.index('id="h-chain"')


def test_unit_header_days_left_with_owner(client_for, officer, crane, rule):
    RemediationPlanFactory(equipment=crane, rule=rule, status=PlanStatus.PLANNED, owner=officer,
                           deadline=_today() + dt.timedelta(days=30))
    text = _summary(_body(client_for(officer), "web:equipment-detail", crane.pk))
    assert "30 days left" in text and "overdue" not in text
    assert f"Planned · owner {officer}" in text
    assert "Next action Start the work: mark as in progress" in text


def test_unit_header_without_plan_asks_to_review_pending_matches(client_for, officer, site):
    brand = VendorFactory(name="Dahua Vision")
    unit = EquipmentFactory(site=site, product_model=ProductModelFactory(brand=brand),
                            risk_status=RiskStatus.POTENTIAL_MATCH)
    MatchFactory(vendor=brand)
    MatchFactory(vendor=brand)  # another listed party: a second decision
    text = _summary(_body(client_for(officer), "web:equipment-detail", unit.pk))
    assert "potential match" in text
    assert "no plan" in text and "no deadline" in text and "Obligation none" in text
    assert "Next action Review 2 pending matches" in text


def test_unit_header_clear_unit_says_nothing_to_do(client_for, officer, inventory):
    text = _summary(_body(client_for(officer), "web:equipment-detail", inventory["units"][0].pk))
    assert "clear" in text and "Next action Nothing to do" in text


def test_unit_header_waived_plan(client_for, officer, admin_user, crane, rule):
    plan = RemediationPlanFactory(equipment=crane, rule=rule, status=PlanStatus.WAIVED, owner=officer,
                                  deadline=_today() - dt.timedelta(days=40))
    expires = _today() + dt.timedelta(days=60)
    WaiverFactory(plan=plan, status=WaiverStatus.APPROVED, expires_on=expires, requested_by=officer,
                  decided_by=admin_user)
    text = _summary(_body(client_for(officer), "web:equipment-detail", crane.pk))
    assert f"waived until {expires:%Y-%m-%d}" in text
    assert "overdue" not in text  # a waiver stops the clock
    assert "Waived" in text
    assert f"Next action Prepare the work before the waiver expires on {expires:%Y-%m-%d}" in text


def test_plan_header_next_actions(client_for, officer, admin_user, crane, rule, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    plan = RemediationPlanFactory(equipment=crane, rule=rule, status=PlanStatus.IN_PROGRESS, owner=officer,
                                  deadline=_today() + dt.timedelta(days=1))
    c = client_for(officer)
    text = _summary(_body(c, "web:plan-detail", plan.pk))
    assert "1 day left" in text and "DoD 1260H contracting ban" in text
    assert "Next action Upload evidence of replacement" in text
    step = PlanStepFactory(plan=plan)
    PlanStepFactory(plan=plan, status=StepStatus.DONE)
    assert "Next action Finish 1 open step" in _summary(_body(c, "web:plan-detail", plan.pk))
    step.status = StepStatus.DONE
    step.save()
    EvidenceFactory(plan=plan)
    assert "Next action Mark as done with its outcome" in _summary(_body(c, "web:plan-detail", plan.pk))
    WaiverFactory(plan=plan, requested_by=officer)
    body = _body(client_for(admin_user), "web:plan-detail", plan.pk)
    assert "Next action Decide the waiver request" in _summary(body)
    assert f'href="{reverse("web:plan-detail", args=[plan.pk])}#waivers"' in body


def test_vendor_header_units_plans_and_earliest_due(client_for, officer, site, crane, rule):
    zpmc = crane.product_model.brand
    other = EquipmentFactory(site=site, product_model=crane.product_model, asset_tag="STS-02")
    third = EquipmentFactory(site=site, product_model=ProductModelFactory())
    ComponentFactory(equipment=third, vendor=zpmc)  # a component of another maker's unit counts too
    RemediationPlanFactory(equipment=crane, rule=rule, deadline=_today() + dt.timedelta(days=20))
    RemediationPlanFactory(equipment=other, rule=rule, deadline=_today() - dt.timedelta(days=3))
    RemediationPlanFactory(equipment=third, rule=rule, status=PlanStatus.DONE, outcome="replaced",
                           deadline=_today() - dt.timedelta(days=90))  # closed: not running
    text = _summary(_body(client_for(officer), "web:vendor-detail", zpmc.pk))
    assert "3 installed units · 2 running plans, 1 overdue" in text
    assert f"Earliest due {_today() - dt.timedelta(days=3):%Y-%m-%d} overdue by 3 days" in text
    assert "DoD 1260H contracting ban" in text
    assert "Next action Deal with 1 overdue plan" in text


def test_a_clear_vendor_takes_no_plan_of_its_units(officer, org, crane, rule):
    chip = VendorFactory(name="Clear Chip Maker")
    ComponentFactory(equipment=crane, vendor=chip)
    RemediationPlanFactory(equipment=crane, rule=rule, deadline=_today() - dt.timedelta(days=3))
    header = vendor_header(chip.pk, organization_id=org.pk, risk_status=RiskStatus.CLEAR, units=1, today=_today())
    assert (header.running_plans, header.plan_id, header.next_action) == (0, None, "Nothing to do")
    flagged = vendor_header(chip.pk, organization_id=org.pk, risk_status=RiskStatus.RESTRICTED, units=1,
                            today=_today())
    assert (flagged.running_plans, flagged.overdue_plans, flagged.next_action) == (1, 1, "Deal with 1 overdue plan")


def test_vendor_header_without_units_or_plans(client_for, officer):
    vendor = VendorFactory(name="Nobody's Supplier")
    text = _summary(_body(client_for(officer), "web:vendor-detail", vendor.pk))
    assert "0 installed units" in text and "no plan" in text and "Next action Nothing to do" in text


def test_vendor_header_pending_matches_come_first(officer, org, site):
    vendor = VendorFactory(name="Hikmat Trading")
    MatchFactory(vendor=vendor)
    header = vendor_header(vendor.pk, organization_id=org.pk, risk_status=RiskStatus.POTENTIAL_MATCH, units=0,
                           today=_today())
    assert (header.next_action, header.next_action_link) == ("Review 1 pending match", "review")


def test_closed_plan_is_shown_when_no_plan_is_live(crane, rule, org):
    RemediationPlanFactory(equipment=crane, rule=rule, status=PlanStatus.DONE, outcome="replaced")
    header = equipment_header(crane, organization_id=org.pk, today=_today())
    assert header.plan_status == "Done" and header.next_action == "Nothing to do: done (replaced)"


def test_assign_an_owner_from_the_plan_page(client_for, officer, viewer, auditor, other_officer, crane, rule):
    plan = RemediationPlanFactory(equipment=crane, rule=rule)
    c = client_for(officer)
    body = _body(c, "web:plan-detail", plan.pk)
    assert "Next action Assign an owner" in _summary(body)
    assert f'href="{reverse("web:plan-detail", args=[plan.pk])}#owner"' in body and 'id="owner"' in body
    url = reverse("web:plan-action", args=[plan.pk, "owner"])
    # a viewer cannot own a plan (not offered; refused if posted), nor another organisation's officer
    for outsider in (viewer, other_officer):
        response = c.post(url, {"owner-owner": outsider.pk})
        assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    plan.refresh_from_db()
    assert plan.owner_id is None
    assert c.post(url, {"owner-owner": officer.pk}).status_code == 302
    plan.refresh_from_db()
    assert plan.owner_id == officer.pk
    text = _summary(_body(c, "web:plan-detail", plan.pk))
    assert f"owner {officer}" in text and "Next action Plan the work: add its steps and mark as planned" in text
    assert client_for(auditor).post(url, {"owner-owner": ""}).status_code == 403
    assert client_for(officer).post(url, {"owner-owner": ""}).status_code == 302
    plan.refresh_from_db()
    assert plan.owner_id is None


# --- folded path blocks --------------------------------------------------------------------------------------

def test_blocks_sharing_vendor_and_path_fold_into_one(client_for, officer, crane):
    zpmc = crane.product_model.brand
    path = f"{zpmc.name} <- owned by CCCC <- listed: DoD 1260H"
    FindingFactory(vendor=zpmc, source=ListSourceFactory(code="dod1260h-2025", name="1260H 2025"), path_text=path)
    FindingFactory(vendor=zpmc, source=ListSourceFactory(code="dod1260h-2026", name="1260H 2026"), path_text=path)
    body = _body(client_for(officer), "web:equipment-detail", crane.pk)
    assert body.count('class="hit finding-block"') == 1  # 3 roles x 2 list years: one block
    assert "applies to brand, software supplier and component" in body
    assert "dod1260h-2025" in body and "dod1260h-2026" in body
    assert "Each role and list entry (6)" in body  # every row still there, behind the toggle


def test_different_paths_stay_apart(client_for, officer, crane):
    zpmc = crane.product_model.brand
    FindingFactory(vendor=zpmc, path_text="ZPMC <- listed: A")
    FindingFactory(vendor=zpmc, path_text="ZPMC <- owned by CCCC <- listed: B")
    body = _body(client_for(officer), "web:equipment-detail", crane.pk)
    assert body.count('class="hit finding-block"') == 2


def _finding(role: str, finding_id: int, *, vendor_id: int = 1, path: str = "V <- listed: X",
             status: str = "prohibited") -> EquipmentFinding:
    return EquipmentFinding(equipment_id=1, vendor_id=vendor_id, vendor_name="V", vendor_role=role,
                            finding_id=finding_id, source_code="S", regime="r", sub_list="", listed_on=None,
                            discovered_at=timezone.now(), status=status, path_text=path)


def test_equipment_findings_folded_joins_roles_in_their_order():
    blocks = equipment_findings_folded([
        _finding("brand", 1), _finding("component", 1), _finding("software_supplier", 1), _finding("brand", 2),
        _finding("brand", 3, vendor_id=2), _finding("brand", 4, status="restricted"),
    ])
    assert [(b.roles_text, [e.finding_id for e in b.entries], b.folded) for b in blocks] == [
        ("brand, software supplier and component", [1, 2], 3), ("brand", [3], 0), ("brand", [4], 0)]


def test_words_joined():
    assert [words_joined([]), words_joined(["a"]), words_joined(["a", "b"]), words_joined(["a", "b", "c"])] == [
        "", "a", "a and b", "a, b and c"]


# --- constant queries ----------------------------------------------------------------------------------------

def _queries(client, url: str) -> int:
    client.get(url)  # warm per-process caches
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_unit_page_queries_do_not_grow_with_plans_findings_steps_or_the_inventory(
        client_for, officer, admin_user, site, crane, rule, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    c = client_for(officer)
    plan = RemediationPlanFactory(equipment=crane, rule=rule, status=PlanStatus.IN_PROGRESS, owner=officer)
    FindingFactory(vendor=crane.product_model.brand)
    url = reverse("web:equipment-detail", args=[crane.pk])
    few = _queries(c, url)
    for _ in range(4):
        PlanStepFactory(plan=plan)
        EvidenceFactory(plan=plan)
        FindingFactory(vendor=crane.product_model.brand)
        MatchFactory(vendor=crane.product_model.brand)
    for i in range(10):
        unit = EquipmentFactory(site=site, product_model=crane.product_model, asset_tag=f"MORE-{i}")
        RemediationPlanFactory(equipment=unit, rule=rule)
    assert _queries(c, url) == few


def test_plan_page_queries_do_not_grow_with_steps_evidence_or_waivers(
        client_for, officer, admin_user, crane, rule, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    c = client_for(officer)
    plan = RemediationPlanFactory(equipment=crane, rule=rule, status=PlanStatus.IN_PROGRESS, owner=officer)
    url = reverse("web:plan-detail", args=[plan.pk])
    few = _queries(c, url)
    for _ in range(4):
        PlanStepFactory(plan=plan)
        EvidenceFactory(plan=plan)
        WaiverFactory(plan=plan, status=WaiverStatus.REJECTED, requested_by=officer, decided_by=admin_user)
    assert _queries(c, url) == few


def test_vendor_page_queries_do_not_grow_with_units_or_plans(client_for, officer, site, crane, rule):
    c = client_for(officer)
    zpmc = crane.product_model.brand
    RemediationPlanFactory(equipment=crane, rule=rule, deadline=_today() - dt.timedelta(days=1))
    url = reverse("web:vendor-detail", args=[zpmc.pk])
    few = _queries(c, url)
    for i in range(15):
        unit = EquipmentFactory(site=site, product_model=crane.product_model, asset_tag=f"MORE-{i}")
        ComponentFactory(equipment=unit, vendor=zpmc)
        RemediationPlanFactory(equipment=unit, rule=rule, deadline=_today() + dt.timedelta(days=i))
    assert _queries(c, url) == few


def test_plan_header_reads_two_queries_at_most(crane, rule, officer, django_assert_max_num_queries):
    plan = RemediationPlanFactory(equipment=crane, rule=rule, owner=officer, status=PlanStatus.WAIVED)
    WaiverFactory(plan=plan, status=WaiverStatus.APPROVED, requested_by=officer, decided_by=UserFactory())
    plan = type(plan).objects.select_related("rule", "owner", "equipment").get(pk=plan.pk)
    with django_assert_max_num_queries(2):
        header = plan_header(plan, today=_today())
    assert header.timing.waiver_expires_on is not None
