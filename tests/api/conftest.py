"""API test helpers: token clients per role, and a small world with one of everything in two organisations."""
from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.choices import Role
from apps.api.services import api_token_create
from apps.inventory.choices import ComponentKind
from apps.inventory.models import Component
from apps.vendors.models import Ownership
from tests.factories import (
    EquipmentFactory,
    MembershipFactory,
    OrganizationFactory,
    ProductModelFactory,
    SiteFactory,
    UserFactory,
    VendorFactory,
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
    Ownership.objects.create(owner=parent, owned=maker, share_percent=None, kind="control")
    product = ProductModelFactory(brand=maker, model_number="STS-1")
    site = SiteFactory(organization=org, code="T1", name="Terminal 1")
    other_site = SiteFactory(organization=other, code="X1", name="Other site")
    equipment = EquipmentFactory(site=site, product_model=product, serial_number="SN-OWN")
    other_equipment = EquipmentFactory(site=other_site, product_model=product, serial_number="SN-OTHER")
    component = Component.objects.create(equipment=equipment, vendor=parent, kind=ComponentKind.SOC)
    other_component = Component.objects.create(equipment=other_equipment, vendor=parent, kind=ComponentKind.SOC)
    world = {
        "org": org, "other_org": other, "users": users, "vendor": maker, "parent": parent, "product": product,
        "site": site, "other_site": other_site, "equipment": equipment, "other_equipment": other_equipment,
        "component": component, "other_component": other_component,
        "ownership": Ownership.objects.get(owned=maker),
    }
    world.update(_screening_world(world))
    return world


def _screening_world(w) -> dict:
    """Lists (a public source and another organisation's in-house list), a match, a finding, a review
    decision, runs, checks, plans, waivers and audit events in both organisations."""
    from apps.audit.services import audit_record
    from apps.lists.models import FetchRun, ListDiff, ListEntry, ListSource, ListVersion
    from apps.remediation.models import PolicyRule, RemediationPlan, Waiver
    from apps.screening.models import Finding, Match, PrePurchaseCheck, ReviewDecision, ScreeningRun

    now = timezone.now()
    out: dict = {}
    for key, owner in (("source", None), ("other_source", w["other_org"])):
        source = ListSource.objects.create(code=f"test-{key}", name=f"Test {key}", publisher="Test", regime="us_dod",
                                           format="custom_csv", organization=owner, last_success_at=now)
        version = ListVersion.objects.create(source=source, status="active", fetched_at=now, sha256="a" * 64,
                                             entry_count=1, activated_at=now)
        entry = ListEntry.objects.create(version=version, external_id=f"E-{key}", primary_name="Parent Group",
                                         content_hash="b" * 64)
        diff = ListDiff.objects.create(version=version, added=1)
        run = FetchRun.objects.create(source=source, trigger="import", status="active", started_at=now,
                                      version=version)
        suffix = "" if owner is None else "_other"
        out.update({f"source{suffix}": source, f"version{suffix}": version, f"entry{suffix}": entry,
                    f"diff{suffix}": diff, f"fetchrun{suffix}": run})
    out["other_source"] = out.pop("source_other")
    source, version, entry = out["source"], out["version"], out["entry"]
    run = ScreeningRun.objects.create(trigger="manual", started_at=now, status="succeeded")
    match = Match.objects.create(
        vendor=w["parent"], source=source, list_version=version, entry=entry, external_id=entry.external_id,
        entry_name=entry.primary_name, entry_content_hash=entry.content_hash, vendor_identity="c" * 64,
        matched_name="Parent Group", entry_matched_name="Parent Group", score=1.0, strength="strong",
        explanation="Same name.", algorithm_version="t", first_seen_at=now, last_seen_at=now,
    )
    decision = ReviewDecision.objects.create(
        vendor_identity="c" * 64, entry_content_hash=entry.content_hash, source=source, external_id=entry.external_id,
        vendor=w["parent"], match=match, decision="confirm", reason="Same company.", decided_by=w["users"]["officer"],
        decided_at=now,
    )
    match.decision = decision
    match.review_state = "confirmed"
    match.save()
    finding = Finding.objects.create(
        vendor=w["vendor"], kind="ownership", key="k1", source=source, regime="us_dod", path_text=(
            "Crane Maker Co <- controlled by Parent Group (share unknown) <- listed: Test"),
        status="restricted", discovered_at=now, last_seen_at=now, match=match, via_vendor=w["parent"],
    )
    out.update({"match": match, "reviewdecision": decision, "finding": finding, "screeningrun": run})
    for key, org in (("check", w["org"]), ("other_check", w["other_org"])):
        out[key] = PrePurchaseCheck.objects.create(
            created_at=now, organization=org, query_name="Parent Group", query={"name": "Parent Group"},
            verdict="restricted", list_versions=[], result={"verdict": "restricted"}, result_sha256="d" * 64,
        )
    rule = PolicyRule.objects.order_by("id").first()
    out["rule"] = rule
    for key, org in (("org_rule", w["org"]), ("other_rule", w["other_org"])):
        out[key] = PolicyRule.objects.create(code=f"test-{key}", name=f"Rule of {org.slug}", citation="Internal",
                                             action="replace", deadline_days=365, organization=org)
    today = timezone.localdate()
    for key, eq in (("plan", w["equipment"]), ("other_plan", w["other_equipment"])):
        plan = RemediationPlan.objects.create(
            organization_id=eq.site.organization_id, site=eq.site, equipment=eq, category=eq.category,
            vendor=w["vendor"], rule=rule, rule_version=rule.version, action="replace", deadline=today,
            computed_deadline=today, discovered_on=today, opened_at=now,
        )
        waiver = Waiver.objects.create(
            plan=plan, organization_id=plan.organization_id, justification="j", compensating_controls="c",
            expires_on=today, requested_by=w["users"]["officer"] if key == "plan" else w["users"]["other_officer"],
            requested_at=now,
        )
        prefix = "" if key == "plan" else "other_"
        out.update({f"{prefix}plan": plan, f"{prefix}waiver": waiver})
    from apps.remediation.models import ProjectionLine, ProjectionReport

    for key, eq in (("projection", w["equipment"]), ("other_projection", w["other_equipment"])):
        report = ProjectionReport.objects.create(organization_id=eq.site.organization_id, on=today,
                                                 computed_on=today, status="done", units_total=1, units_done=1,
                                                 summary={"total": 1, "newly_due": 0, "already_due": 1,
                                                          "by_rule": {rule.code: 1}})
        ProjectionLine.objects.create(report=report, equipment_id=eq.pk, site_id=eq.site_id, category=eq.category,
                                      rule_code=rule.code, action="replace", deadline=today, already_due=True)
        out[key] = report
    out["event"] = audit_record(action="test.own", organization_id=w["org"].pk, object_type="inventory.site")
    out["other_event"] = audit_record(action="test.other", organization_id=w["other_org"].pk,
                                      object_type="inventory.site")
    return out
