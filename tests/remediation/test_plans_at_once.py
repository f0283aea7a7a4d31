"""Plans at once (#16 item 6): a unit recorded or changed by hand (web, API) gets its plans in the same
transaction as its risk status; an import's units get theirs right after their risk status."""
import pytest
from django.urls import reverse

from apps.inventory.imports import import_commit
from apps.inventory.models import Equipment, ImportJob
from apps.remediation.models import RemediationPlan
from tests.factories import FindingFactory, ListSourceFactory, ProductModelFactory, VendorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed_brand(make_rule):
    """A brand with an open prohibited finding on an NDAA-regime list and a rule for it."""
    brand = VendorFactory(name="Hangzhou Example Vision")
    FindingFactory(vendor=brand, source=ListSourceFactory(code="ndaa-test", regime="us_ndaa"))
    make_rule(code="any-ndaa", regimes=["us_ndaa"], action="replace", deadline_days=180, deadline_anchor="discovery")
    return brand


def test_unit_recorded_on_the_web_has_its_plan_at_once(client, officer, site, listed_brand):
    officer.save()
    client.force_login(officer)
    response = client.post(reverse("web:equipment-create"), {
        "site": site.pk, "category": "camera", "brand": listed_brand.name, "model_number": "CAM-9",
        "manufacturer": "", "software_supplier": "", "quantity": 2, "serial_number": "SN-9", "asset_tag": "NEW-1",
        "installed_date": "2022-03-04", "status": "in_service",
        "operator_name": "", "notes": ""})
    assert response.status_code == 302
    unit = Equipment.objects.get(asset_tag="NEW-1")
    assert unit.risk_status == "prohibited"
    plan = RemediationPlan.objects.get(equipment=unit)
    assert plan.rule.code == "any-ndaa" and plan.status == "open" and plan.deadline_source == "relative"


def test_unit_recorded_and_changed_through_the_api_follows_at_once(officer, site, listed_brand):
    from rest_framework.test import APIClient

    from apps.api.services import api_token_create

    _, key = api_token_create(user=officer, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    listed_model = ProductModelFactory(brand=listed_brand, model_number="CAM-1", category="camera")
    clean_model = ProductModelFactory(brand=VendorFactory(name="Clean Maker"), model_number="OK-1", category="camera")
    created = client.post("/api/v1/equipment/", {"site": site.pk, "product_model": clean_model.pk,
                                                  "quantity": 1, "asset_tag": "API-1"}, format="json")
    assert created.status_code == 201, created.content
    unit_id = created.json()["id"]
    assert not RemediationPlan.objects.filter(equipment_id=unit_id).exists()
    changed = client.patch(f"/api/v1/equipment/{unit_id}/", {"product_model": listed_model.pk}, format="json")
    assert changed.status_code == 200, changed.content
    plan = RemediationPlan.objects.get(equipment_id=unit_id)
    assert plan.status == "open" and plan.rule.code == "any-ndaa"
    back = client.patch(f"/api/v1/equipment/{unit_id}/", {"product_model": clean_model.pk}, format="json")
    assert back.status_code == 200
    plan.refresh_from_db()
    assert plan.status == "not_required"


def test_a_failing_evaluation_rolls_the_unit_back(officer, site, listed_brand, monkeypatch):
    from apps.common.exceptions import ApplicationError
    from apps.inventory.services import equipment_create
    from apps.remediation.services import evaluation

    def broken(**kwargs):
        raise ApplicationError("evaluation failed")

    monkeypatch.setattr(evaluation, "remediation_evaluate", broken)
    model = ProductModelFactory(brand=listed_brand, model_number="CAM-2", category="camera")
    with pytest.raises(ApplicationError):
        equipment_create(site=site, product_model=model, asset_tag="ROLLBACK", actor=officer)
    assert not Equipment.objects.filter(asset_tag="ROLLBACK").exists()


def test_imported_units_get_their_plans_after_commit(org, site, officer, listed_brand, tmp_path, settings,
                                                     django_capture_on_commit_callbacks):
    from apps.inventory.import_jobs import import_job_commit

    settings.MEDIA_ROOT = tmp_path
    path = tmp_path / "eq.csv"
    path.write_text("site_code,category,brand,model_number,quantity,asset_tag,installed_date\n"
                    f"T1,camera,{listed_brand.name},C-1,2,IMP-1,2020-01-01\n"
                    "T1,camera,Unlisted Maker,C-2,1,IMP-2,2020-01-01\n", encoding="utf-8")
    job = ImportJob.objects.create(organization=org, kind="equipment", fmt="csv", path=str(path), size=100,
                                   status=ImportJob.Status.VALID, filename="eq.csv", user=officer)
    with django_capture_on_commit_callbacks(execute=True):
        import_job_commit(job=job, actor=officer)
    listed = Equipment.objects.get(asset_tag="IMP-1")
    assert RemediationPlan.objects.filter(equipment=listed, status="open").exists()
    assert not RemediationPlan.objects.filter(equipment__asset_tag="IMP-2").exists()
    job.refresh_from_db()
    assert "equipment_ids" not in job.report  # the ids travel in the event, not in the stored report


def test_import_report_lists_the_new_units(org, site, officer, tmp_path):
    path = tmp_path / "eq.csv"
    path.write_text("site_code,category,brand,model_number,quantity,asset_tag,installed_date\n"
                    "T1,camera,Acme,C-1,1,A-1,\nT1,camera,Acme,C-1,1,A-2,\n", encoding="utf-8")
    report = import_commit(organization=org, kind="equipment", path=path, fmt="csv", actor=officer)
    assert sorted(report.equipment_ids) == sorted(Equipment.objects.values_list("id", flat=True))
