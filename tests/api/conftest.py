"""API test helpers: token clients per role, and a small world with one of everything in two organisations."""
from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.choices import Role
from apps.api.services import api_token_create
from apps.inventory.choices import ComponentKind
from tests.factories import (
    ComponentFactory,
    EquipmentFactory,
    FetchRunFactory,
    FindingFactory,
    ListDiffFactory,
    ListEntryFactory,
    ListSourceFactory,
    ListVersionFactory,
    MatchFactory,
    MembershipFactory,
    OrganizationFactory,
    OwnershipFactory,
    PolicyRuleFactory,
    PrePurchaseCheckFactory,
    ProductModelFactory,
    ProjectionLineFactory,
    ProjectionReportFactory,
    RemediationPlanFactory,
    ReviewDecisionFactory,
    ScreeningRunFactory,
    SiteFactory,
    UserFactory,
    VendorFactory,
    WaiverFactory,
)

ROLES = ["viewer", "auditor", "officer", "admin"]


def token_client(user) -> APIClient:
    _, key = api_token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def client_for():
    return token_client


@pytest.fixture
def world(db):
    """Two organisations with a site, equipment and a component each; one user per role in `org`;
    shared vendors with an ownership link."""
    org = OrganizationFactory(name="Harbor Authority", slug="harbor")
    other = OrganizationFactory(name="Other Agency", slug="other")
    users = {role: MembershipFactory(organization=org, role=role,
                                     user=UserFactory(username=f"{role}-harbor")).user for role in ROLES}
    users["other_officer"] = MembershipFactory(organization=other, role=Role.OFFICER,
                                               user=UserFactory(username="officer-other")).user
    parent, maker = VendorFactory(name="Parent Group"), VendorFactory(name="Crane Maker Co")
    ownership = OwnershipFactory(owner=parent, owned=maker, share_percent=None, kind="control")
    product = ProductModelFactory(brand=maker, model_number="STS-1")
    site = SiteFactory(organization=org, code="T1", name="Terminal 1")
    other_site = SiteFactory(organization=other, code="X1", name="Other site")
    equipment = EquipmentFactory(site=site, product_model=product, serial_number="SN-OWN")
    other_equipment = EquipmentFactory(site=other_site, product_model=product, serial_number="SN-OTHER")
    world = {
        "org": org, "other_org": other, "users": users, "vendor": maker, "parent": parent, "product": product,
        "site": site, "other_site": other_site, "equipment": equipment, "other_equipment": other_equipment,
        "component": ComponentFactory(equipment=equipment, vendor=parent, kind=ComponentKind.SOC),
        "other_component": ComponentFactory(equipment=other_equipment, vendor=parent, kind=ComponentKind.SOC),
        "ownership": ownership,
    }
    world.update(_screening_world(world))
    return world


def _screening_world(w) -> dict:
    """Lists (a public source and another organisation's in-house list), a match, a finding, a review
    decision, runs, checks, plans, waivers and audit events in both organisations."""
    from apps.audit.services import audit_record
    from apps.remediation.models import PolicyRule

    now = timezone.now()
    out: dict = {}
    for key, owner in (("source", None), ("other_source", w["other_org"])):
        source = ListSourceFactory(code=f"test-{key}", name=f"Test {key}", regime="us_dod", organization=owner,
                                   last_success_at=now)
        version = ListVersionFactory(source=source, active=True, fetched_at=now, sha256="a" * 64, entry_count=1)
        entry = ListEntryFactory(version=version, external_id=f"E-{key}", primary_name="Parent Group",
                                 content_hash="b" * 64)
        out[key] = source
        suffix = "" if owner is None else "_other"
        out.update({f"version{suffix}": version, f"entry{suffix}": entry,
                    f"diff{suffix}": ListDiffFactory(version=version, added=1),
                    f"fetchrun{suffix}": FetchRunFactory(source=source, trigger="import", status="active",
                                                         started_at=now, version=version)})
    source, version, entry = out["source"], out["version"], out["entry"]
    match = MatchFactory(
        vendor=w["parent"], source=source, list_version=version, entry=entry, external_id=entry.external_id,
        entry_name=entry.primary_name, entry_content_hash=entry.content_hash, vendor_identity="c" * 64,
        explanation="Same name.", algorithm_version="t", first_seen_at=now,
    )
    decision = ReviewDecisionFactory(
        vendor_identity="c" * 64, entry_content_hash=entry.content_hash, source=source, external_id=entry.external_id,
        vendor=w["parent"], match=match, decided_by=w["users"]["officer"], decided_at=now,
    )
    match.decision = decision
    match.review_state = "confirmed"
    match.save()
    finding = FindingFactory(
        vendor=w["vendor"], kind="ownership", key="k1", source=source, path_text=(
            "Crane Maker Co <- controlled by Parent Group (share unknown) <- listed: Test"),
        status="restricted", discovered_at=now, match=match, via_vendor=w["parent"],
    )
    # The other organisation's in-house list names the same vendor: a match, its decision and a finding that
    # exist in that organisation's view only.
    other_source, other_entry = out["other_source"], out["entry_other"]
    other_match = MatchFactory(
        vendor=w["parent"], source=other_source, list_version=out["version_other"], entry=other_entry,
        external_id=other_entry.external_id, entry_name=other_entry.primary_name,
        entry_content_hash=other_entry.content_hash, vendor_identity="c" * 64, explanation="Same name.",
        algorithm_version="t", first_seen_at=now,
    )
    other_decision = ReviewDecisionFactory(
        vendor_identity="c" * 64, entry_content_hash=other_entry.content_hash, source=other_source,
        organization=w["other_org"], external_id=other_entry.external_id, vendor=w["parent"], match=other_match,
        decided_at=now,
    )
    other_finding = FindingFactory(
        vendor=w["parent"], organization=w["other_org"], kind="direct", key="k-other", source=other_source,
        path_text="Parent Group <- listed: Test other_source", status="restricted", discovered_at=now,
        match=other_match, via_vendor=w["parent"],
    )
    out.update({"match": match, "reviewdecision": decision, "finding": finding,
                "other_match": other_match, "other_reviewdecision": other_decision, "other_finding": other_finding,
                "screeningrun": ScreeningRunFactory(started_at=now)})
    for key, org in (("check", w["org"]), ("other_check", w["other_org"])):
        out[key] = PrePurchaseCheckFactory(created_at=now, organization=org, query_name="Parent Group",
                                           verdict="restricted", result_sha256="d" * 64)
    rule = PolicyRule.objects.order_by("id").first()  # seeded by the remediation data migration
    out["rule"] = rule
    for key, org in (("org_rule", w["org"]), ("other_rule", w["other_org"])):
        out[key] = PolicyRuleFactory(code=f"test-{key}", name=f"Rule of {org.slug}", citation="Internal",
                                     organization=org)
    today = timezone.localdate()
    for prefix, eq, requester in (("", w["equipment"], w["users"]["officer"]),
                                  ("other_", w["other_equipment"], w["users"]["other_officer"])):
        plan = RemediationPlanFactory(equipment=eq, vendor=w["vendor"], rule=rule, action="replace", deadline=today,
                                      opened_at=now)
        waiver = WaiverFactory(plan=plan, justification="j", compensating_controls="c", expires_on=today,
                               requested_by=requester, requested_at=now)
        out.update({f"{prefix}plan": plan, f"{prefix}waiver": waiver})
    for key, eq in (("projection", w["equipment"]), ("other_projection", w["other_equipment"])):
        report = ProjectionReportFactory(organization_id=eq.site.organization_id, on=today, status="done",
                                         units_total=1, units_done=1,
                                         summary={"total": 1, "newly_due": 0, "already_due": 1,
                                                  "by_rule": {rule.code: 1}})
        ProjectionLineFactory(report=report, equipment=eq, rule_code=rule.code, deadline=today)
        out[key] = report
    out["event"] = audit_record(action="test.own", organization_id=w["org"].pk, object_type="inventory.site")
    out["other_event"] = audit_record(action="test.other", organization_id=w["other_org"].pk,
                                      object_type="inventory.site")
    return out
