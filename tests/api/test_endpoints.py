"""Behaviour of individual endpoints: CSV export, writes through services, cross-organisation attach,
pre-purchase checks, ownership chain, one error shape, health."""
import csv
import io

import pytest

from apps.inventory.models import Equipment
from apps.screening.models import PrePurchaseCheck
from tests.api.conftest import token_client
from tests.factories import EquipmentFactory, VendorFactory

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_equipment_csv_export_is_scoped_filtered_and_neutralised(world):
    EquipmentFactory(site=world["site"], product_model=world["product"], serial_number="=HYPERLINK(\"x\")")
    client = token_client(world["users"]["auditor"])
    rows = _csv(client.get("/api/v1/equipment/", {"format": "csv"}))
    header, data = rows[0], rows[1:]
    serials = [r[header.index("serial_number")] for r in data]
    assert sorted(serials) == sorted(["SN-OWN", "'=HYPERLINK(\"x\")"])  # the other organisation's unit is absent
    filtered = _csv(client.get("/api/v1/equipment/", {"format": "csv", "q": "SN-"}))
    assert [r[header.index("serial_number")] for r in filtered[1:]] == ["SN-OWN"]


def test_every_list_endpoint_exports_csv_named_after_its_url(world):
    from tests.api.test_permission_matrix import REPORTS, _url
    from tests.api.test_queries import LIST_ROUTES

    client = token_client(world["users"]["auditor"])
    names = {}
    for route, name in LIST_ROUTES:
        if name in REPORTS or name == "token-list":  # your own tokens: JSON only
            continue
        response = client.get(_url(route, None), {"format": "csv"})
        rows = _csv(response)
        assert rows and rows[0], name
        names[_url(route, None)] = response["Content-Disposition"]
    for url, disposition in names.items():
        assert disposition == f'attachment; filename="{url.rstrip("/").rsplit("/", 1)[-1]}.csv"', url
    assert names["/api/v1/list-runs/"] == 'attachment; filename="list-runs.csv"'
    assert names["/api/v1/products/"] == 'attachment; filename="products.csv"'


def test_serialised_csv_export_neutralises_nested_text(world):
    world["vendor"].description = "@SUM(1)"
    world["vendor"].save()
    client = token_client(world["users"]["auditor"])
    rows = _csv(client.get("/api/v1/vendors/", {"format": "csv"}))
    assert "'@SUM(1)" in [r[rows[0].index("description")] for r in rows[1:]]


def test_officer_creates_equipment_through_the_service_with_audit(world):
    from apps.audit.models import AuditEvent

    client = token_client(world["users"]["officer"])
    response = client.post("/api/v1/equipment/", {"site": world["site"].pk, "product_model": world["product"].pk,
                                                  "serial_number": "NEW-1"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["category"] == world["product"].category and body["organization"] == world["org"].pk
    assert AuditEvent.objects.filter(action="equipment.create", object_id=str(body["id"])).exists()


def test_write_cannot_attach_another_organisations_site(world):
    client = token_client(world["users"]["officer"])
    before = Equipment.objects.count()
    for site in (world["other_site"].pk, 999999):
        response = client.post("/api/v1/equipment/", {"site": site, "product_model": world["product"].pk},
                               format="json")
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "validation_error" and set(error["fields"]) == {"site"}
    # The same message for another organisation's id and for an id that does not exist.
    messages = {
        client.post("/api/v1/equipment/", {"site": s, "product_model": world["product"].pk}, format="json")
        .json()["error"]["fields"]["site"][0].replace(str(s), "N") for s in (world["other_site"].pk, 999999)}
    assert len(messages) == 1
    moved = client.patch(f"/api/v1/equipment/{world['equipment'].pk}/", {"site": world["other_site"].pk},
                         format="json")
    assert moved.status_code == 400
    assert Equipment.objects.count() == before
    assert Equipment.objects.get(pk=world["equipment"].pk).site_id == world["site"].pk


def test_validation_errors_have_one_shape_and_change_nothing(world):
    client = token_client(world["users"]["officer"])
    response = client.post("/api/v1/equipment/", {"site": world["site"].pk, "product_model": world["product"].pk,
                                                  "quantity": 0, "installed_date": "2999-01-01"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and set(error["fields"]) == {"quantity"}
    response = client.post("/api/v1/equipment/", {"site": world["site"].pk, "product_model": world["product"].pk,
                                                  "installed_date": "2999-01-01"}, format="json")
    assert response.status_code == 400  # the model's own rule, raised by the service's full_clean()
    assert set(response.json()["error"]["fields"]) == {"installed_date"}
    assert not Equipment.objects.filter(installed_date__year=2999).exists()
    not_found = client.get("/api/v1/equipment/999999/").json()["error"]
    assert not_found == {"code": "not_found", "message": "Not found.", "fields": {}}


def test_filter_on_another_organisation_is_refused_like_a_missing_one(world):
    client = token_client(world["users"]["auditor"])
    other = client.get("/api/v1/equipment/", {"organization": world["other_org"].pk})
    missing = client.get("/api/v1/equipment/", {"organization": 999999})
    assert other.status_code == missing.status_code == 400
    assert set(other.json()["error"]["fields"]) == {"organization"}


def test_protected_delete_answers_conflict(world):
    client = token_client(world["users"]["officer"])
    response = client.delete(f"/api/v1/equipment/{world['equipment'].pk}/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "protected"
    assert Equipment.objects.filter(pk=world["equipment"].pk).exists()


def test_screening_post_returns_the_screen_command_json_and_keeps_evidence(world):
    client = token_client(world["users"]["officer"])
    response = client.post("/api/v1/screenings/", {"name": "Parent Group", "country": "CN"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= {"query", "verdict", "matches", "versions", "check_id"}
    check = PrePurchaseCheck.objects.get(pk=body["check_id"])
    assert check.organization_id == world["org"].pk and check.requested_by == world["users"]["officer"]
    listed = client.get("/api/v1/screenings/").json()["results"]
    assert body["check_id"] in [c["id"] for c in listed] and world["other_check"].pk not in [c["id"] for c in listed]


def test_auditor_cannot_run_a_check_and_officer_cannot_file_it_elsewhere(world):
    auditor = token_client(world["users"]["auditor"])
    assert auditor.post("/api/v1/screenings/", {"name": "X"}, format="json").status_code == 403
    officer = token_client(world["users"]["officer"])
    response = officer.post("/api/v1/screenings/", {"name": "X", "organization": world["other_org"].pk},
                            format="json")
    assert response.status_code == 400 and "organization" in response.json()["error"]["fields"]


def test_ownership_chain_is_explained(world):
    client = token_client(world["users"]["viewer"])
    body = client.get(f"/api/v1/vendors/{world['vendor'].pk}/ownership/").json()
    assert body["ultimate_parents"][0]["name"] == "Parent Group"
    assert body["paths"][0]["text"] == ("Crane Maker Co <- controlled by Parent Group "
                                        "(path share (arithmetic, not a regime test): unknown)")
    assert body["paths"][0]["path_share_percent"] is None and "effective_percent" not in body["paths"][0]
    assert body["paths"][0]["steps"][0]["share_percent"] is None


def test_equipment_shows_findings_with_the_path(world):
    client = token_client(world["users"]["auditor"])
    body = client.get(f"/api/v1/equipment/{world['equipment'].pk}/").json()
    assert body["findings"][0]["finding_id"] == world["finding"].pk
    assert body["findings"][0]["vendor_role"] == "brand"


def test_overdue_filters(world):
    import datetime as dt

    from apps.remediation.models import RemediationPlan

    RemediationPlan.objects.filter(pk=world["plan"].pk).update(deadline=dt.date(2020, 1, 1))
    client = token_client(world["users"]["auditor"])
    overdue = client.get("/api/v1/equipment/", {"overdue": "true", "site": world["site"].pk}).json()["results"]
    assert [e["id"] for e in overdue] == [world["equipment"].pk]
    plans = client.get("/api/v1/remediations/", {"overdue": "true"}).json()["results"]
    assert [p["id"] for p in plans] == [world["plan"].pk]
    assert client.get("/api/v1/summary/").json()["remediation"]["overdue"] == 1


def test_health_reports_lists_to_signed_in_users_only(world, client):
    anonymous = client.get("/api/v1/health/")
    assert anonymous.json() == {"status": "ok" if anonymous.status_code == 200 else "unavailable"}
    body = token_client(world["users"]["viewer"]).get("/api/v1/health/").json()
    assert set(body["checks"]) == {"database", "broker", "cache", "lists"}
    assert "test-source" in body["checks"]["lists"]["fresh"]


def test_equipment_fast_representation_matches_the_declared_fields(world):
    from apps.inventory.api.serializers import EquipmentFindingSerializer, EquipmentSerializer

    client = token_client(world["users"]["auditor"])
    body = client.get(f"/api/v1/equipment/{world['equipment'].pk}/").json()
    assert list(body) == list(EquipmentSerializer().fields)
    assert list(body["findings"][0]) == list(EquipmentFindingSerializer().fields)
    assert body["created_at"].endswith("Z") and body["installed_date"] is None


def test_officer_proposes_ownership_through_the_service_and_cycles_are_refused(world):
    """An officer's ownership writes are change proposals (202) that change no shared chain until a curator
    accepts them (tests/api/test_proposals.py): only the proposing organisation's view has the link meanwhile,
    marked `proposed` (tests/web/test_own_view_ownership.py); what could never be accepted (a cycle) is refused
    at once."""
    from apps.vendors.models import Ownership

    officer = token_client(world["users"]["officer"])
    grand = VendorFactory(name="Grand Parent Holding")
    proposed = officer.post("/api/v1/ownerships/", {"owner": grand.pk, "owned": world["parent"].pk,
                                                    "share_percent": "60", "kind": "shareholding"}, format="json")
    assert proposed.status_code == 202, proposed.content
    assert proposed.json()["payload"]["owner"] == grand.pk and proposed.json()["payload"]["share_percent"] == "60"
    assert proposed.json()["applies_to_own_view"] is True
    url = f"/api/v1/vendors/{world['vendor'].pk}/ownership/"
    chain = officer.get(url).json()
    assert chain["ultimate_parents"][0]["name"] == "Grand Parent Holding"  # in the officer's own view
    assert [(s["owner_name"], s["ownership_id"] is None, s["proposed"]) for s in chain["paths"][0]["steps"]] == [
        ("Parent Group", False, False), ("Grand Parent Holding", True, True)]
    shared = token_client(world["users"]["other_officer"]).get(url).json()  # another organisation's view
    assert shared["ultimate_parents"][0]["name"] == "Parent Group"
    assert [s["proposed"] for s in shared["paths"][0]["steps"]] == [False]
    cycle = officer.post("/api/v1/ownerships/", {"owner": world["vendor"].pk, "owned": world["parent"].pk},
                         format="json")
    assert cycle.status_code == 400 and "owner" in cycle.json()["error"]["fields"]
    auditor = token_client(world["users"]["auditor"])
    assert auditor.post("/api/v1/ownerships/", {"owner": grand.pk, "owned": world["vendor"].pk},
                        format="json").status_code == 403
    assert officer.delete(f"/api/v1/ownerships/{world['ownership'].pk}/").status_code == 202
    assert Ownership.objects.filter(pk=world["ownership"].pk).exists()


def test_rule_changes_need_the_right_admin(world):
    admin = token_client(world["users"]["admin"])
    changed = admin.patch(f"/api/v1/rules/{world['org_rule'].pk}/", {"deadline_days": 90}, format="json")
    assert changed.status_code == 200 and changed.json()["deadline_days"] == 90 and changed.json()["version"] == 2
    # A registry-wide rule belongs to the curators, not to an organisation's admin.
    refused = admin.patch(f"/api/v1/rules/{world['rule'].pk}/", {"enabled": False}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    assert admin.patch(f"/api/v1/rules/{world['other_rule'].pk}/", {}, format="json").status_code == 404
    officer = token_client(world["users"]["officer"])
    assert officer.patch(f"/api/v1/rules/{world['org_rule'].pk}/", {}, format="json").status_code == 403
