"""Import (#18 item 3): the recorded vendor chosen for a near-duplicate name in the preview (no re-upload), the
done page's risk summary with its links, the templates' codes and the help page."""
import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from apps.inventory.choices import Connectivity, EquipmentCategory, EquipmentStatus
from apps.inventory.imports import import_template
from apps.inventory.models import Equipment, ImportJob
from apps.remediation.models import RemediationPlan
from apps.vendors.models import Vendor
from tests.factories import FindingFactory, ListSourceFactory, PolicyRuleFactory, VendorFactory

pytestmark = pytest.mark.django_db

HEADER = "site_code,category,brand,model_number,quantity,asset_tag,installed_date\n"
HIK = "Hangzhou Hikvision Digital Technology Co., Ltd."
TYPO = "Hangzhou Hikvsion Digital Technology Co. Ltd"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _upload(c, text: str, name: str = "eq.csv") -> ImportJob:
    f = io.BytesIO(text.encode())
    f.name = name
    response = c.post(reverse("web:import"), {"kind": "equipment", "file": f})
    assert response.status_code == 302, response.content[:500]
    return ImportJob.objects.latest("created_at")


def _choose(c, job: ImportJob, choices: dict[str, str], follow: bool = True):
    data = {"name": list(choices)}
    for i, value in enumerate(choices.values()):
        data[f"choice_{i}"] = value
    return c.post(reverse("web:import-vendors", args=[job.token]), data, follow=follow)


@pytest.fixture
def hik(db):
    return VendorFactory(name=HIK)


def test_choosing_the_recorded_vendor_changes_the_dry_run_and_the_commit_uses_it(client_for, officer, site, hik):
    c = client_for(officer)
    job = _upload(c, HEADER + f"T1,camera,{TYPO},C-1,1,A-1,\nT1,camera,Brand New Optics,C-2,1,A-2,\n")
    assert job.status == "valid"
    assert job.report["close_vendors"] == {TYPO: [{"id": hik.pk, "name": HIK}]}
    page = c.get(reverse("web:import-preview", args=[job.token])).content.decode()
    assert 'id="close-names"' in page and f'value="{hik.pk}"' in page and 'value="new"' in page

    response = _choose(c, job, {TYPO: str(hik.pk)})
    assert b"Vendor choices saved" in response.content
    job.refresh_from_db()
    assert job.vendor_choices == {TYPO: hik.pk} and job.status == "valid"
    assert job.report["new_vendors"] == ["Brand New Optics"]  # the typo is no longer created
    assert job.report["chosen_vendors"] == {TYPO: {"id": hik.pk, "name": HIK}}
    assert job.report["preview"][0]["brand"] == f"{TYPO} \u2192 {HIK}"
    assert TYPO in job.report["close_vendors"]  # still offered, with the choice checked
    assert f'value="{hik.pk}" checked' in response.content.decode()

    c.post(reverse("web:import-preview", args=[job.token]), {"confirm": "on"})
    job.refresh_from_db()
    assert job.status == "committed"
    done = c.get(reverse("web:import-preview", args=[job.token])).content.decode()
    assert 'id="chosen-vendors"' in done and HIK in done
    unit = Equipment.objects.select_related("product_model").get(asset_tag="A-1")
    assert unit.product_model.brand_id == hik.pk and unit.import_job_id == job.pk
    assert not Vendor.objects.filter(name=TYPO).exists()
    assert Vendor.objects.filter(name="Brand New Optics").exists()


def test_choosing_new_creates_the_name_as_written(client_for, officer, site, hik):
    c = client_for(officer)
    job = _upload(c, HEADER + f"T1,camera,{TYPO},C-1,1,A-1,\n")
    _choose(c, job, {TYPO: str(hik.pk)})
    _choose(c, job, {TYPO: "new"})  # changing one's mind: the warning is still offered
    job.refresh_from_db()
    assert job.vendor_choices == {TYPO: "new"} and job.report["new_vendors"] == [TYPO]
    c.post(reverse("web:import-preview", args=[job.token]), {"confirm": "on"})
    assert Vendor.objects.filter(name=TYPO).exists()


@pytest.mark.parametrize("bad", ["name", "foreign_id", "word", "huge"])
def test_bad_choices_are_refused_and_nothing_is_stored(client_for, officer, site, hik, bad):
    other = VendorFactory(name="Somebody Else Ltd")
    c = client_for(officer)
    job = _upload(c, HEADER + f"T1,camera,{TYPO},C-1,1,A-1,\n")
    choices = {"name": {"Not In The File": str(hik.pk)}, "foreign_id": {TYPO: str(other.pk)},
               "word": {TYPO: "hikvision"}, "huge": {TYPO: "9" * 40}}[bad]
    response = _choose(c, job, choices)
    page = response.content.decode()
    assert "not one of" in page
    job.refresh_from_db()
    assert job.vendor_choices == {} and job.status == "valid"


def test_a_chosen_vendor_deleted_since_is_refused_at_commit_and_asked_again(client_for, officer, site, hik):
    c = client_for(officer)
    job = _upload(c, HEADER + f"T1,camera,{TYPO},C-1,1,A-1,\n")
    _choose(c, job, {TYPO: str(hik.pk)})
    Vendor.objects.filter(pk=hik.pk).delete()
    response = c.post(reverse("web:import-preview", args=[job.token]), {"confirm": "on"}, follow=True)
    assert "no longer recorded" in response.content.decode()
    job.refresh_from_db()
    assert job.status == "failed" and not Equipment.objects.exists() and not Vendor.objects.filter(name=TYPO).exists()
    # A failed job can be answered again (the deleted vendor is no longer suggested: create the name, or fix it).
    _choose(c, job, {TYPO: "new"})
    job.refresh_from_db()
    assert job.status == "valid" and job.vendor_choices == {TYPO: "new"} and job.error == ""


def test_another_organisations_job_cannot_be_answered(client_for, officer, other_officer, site, other_site, hik):
    job = _upload(client_for(other_officer), HEADER + f"X1,camera,{TYPO},C-1,1,A-1,\n")
    assert _choose(client_for(officer), job, {TYPO: str(hik.pk)}, follow=False).status_code == 404
    job.refresh_from_db()
    assert job.vendor_choices == {}


def test_a_committed_job_takes_no_choices(client_for, officer, site, hik):
    c = client_for(officer)
    job = _upload(c, HEADER + f"T1,camera,{TYPO},C-1,1,A-1,\n")
    c.post(reverse("web:import-preview", args=[job.token]), {"confirm": "on"})
    response = _choose(c, job, {TYPO: str(hik.pk)})
    assert "only between the dry run and the import" in response.content.decode()


@pytest.fixture
def listed_brand(db):
    brand = VendorFactory(name="Listed Vision Co")
    FindingFactory(vendor=brand, source=ListSourceFactory(code="ndaa-imp", regime="us_ndaa"))
    PolicyRuleFactory(code="imp-ndaa", regimes=["us_ndaa"], basis="finding", action="replace", deadline_days=180)
    return brand


def _rows(n: int, brand: str, prefix: str) -> str:
    return "".join(f"T1,camera,{brand},C-{prefix},2,{prefix}-{i},\n" for i in range(n))


def test_done_page_summarises_risk_with_links(client_for, officer, site, listed_brand, other_officer, other_site,
                                              django_capture_on_commit_callbacks):
    clean = VendorFactory(name="Clean Maker")
    c = client_for(officer)
    job = _upload(c, HEADER + _rows(1, listed_brand.name, "L") + _rows(3, clean.name, "K"))
    with django_capture_on_commit_callbacks(execute=True):
        c.post(reverse("web:import-preview", args=[job.token]), {"confirm": "on"})
    job.refresh_from_db()
    assert job.status == "committed"
    page = c.get(reverse("web:import-preview", args=[job.token])).content.decode()
    assert 'id="risk-summary"' in page and "screening-pending" not in page  # no new vendor to wait for
    assert "1 of them is flagged (1 prohibited) and" in page
    assert '<tr data-status="prohibited"><td><span class="badge prohibited">Prohibited</span></td>' \
           '<td class="num">1</td><td class="num">2</td>' in page
    assert '<tr data-status="clear"><td><span class="badge clear">Clear</span></td><td class="num">3</td>' \
           '<td class="num">6</td>' in page
    plans = RemediationPlan.objects.filter(equipment__import_job=job)
    assert plans.count() >= 1
    assert f"<strong>{plans.count()} remediation plan" in page
    assert f"?import_job={job.pk}&amp;risk_status=prohibited" in page
    assert f"{reverse('web:remediation-board')}?import_job={job.pk}" in page

    listed = c.get(reverse("web:equipment-list"), {"import_job": job.pk, "risk_status": "prohibited"})
    assert listed.status_code == 200 and 'id="import-filter"' in listed.content.decode()
    assert [row[0].asset_tag for row in listed.context["rows"]] == ["L-0"]
    everything = c.get(reverse("web:equipment-list"), {"import_job": job.pk})
    assert len(everything.context["rows"]) == 4
    board = c.get(reverse("web:remediation-board"), {"import_job": job.pk})
    assert 'id="import-filter"' in board.content.decode()
    shown = {p.pk for col in board.context["columns"] for p in col["plans"]}
    assert shown == set(plans.values_list("pk", flat=True))
    assert c.get(reverse("web:remediation-board"), {"import_job": "x"}).status_code == 404
    # Another organisation's import: nothing of it through the filters.
    assert client_for(other_officer).get(reverse("web:remediation-board"), {"import_job": job.pk}).status_code == 404
    assert client_for(other_officer).get(reverse("web:equipment-list"), {"import_job": job.pk}).context["rows"] == []


def test_done_page_waits_for_the_screening_of_new_vendors(client_for, officer, site):
    from django.utils import timezone

    from apps.screening.models import ScreeningRun

    c = client_for(officer)
    job = _upload(c, HEADER + _rows(1, "Quite New Cameras", "N"))
    c.post(reverse("web:import-preview", args=[job.token]), {"confirm": "on"})
    page = c.get(reverse("web:import-preview", args=[job.token])).content.decode()
    assert 'id="screening-pending"' in page and 'hx-select="#risk-summary"' in page
    ScreeningRun.objects.create(trigger="vendor_change", status="succeeded", started_at=timezone.now(),
                                finished_at=timezone.now())
    page = c.get(reverse("web:import-preview", args=[job.token])).content.decode()
    assert 'id="risk-summary"' in page and 'id="screening-pending"' not in page


def test_done_page_queries_do_not_grow_with_the_file(client_for, officer, site, listed_brand):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(officer)
    counts = []
    for n, prefix in ((1, "S"), (40, "B")):
        job = _upload(c, HEADER + _rows(n, listed_brand.name, prefix))
        c.post(reverse("web:import-preview", args=[job.token]), {"confirm": "on"})
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(reverse("web:import-preview", args=[job.token])).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def _codes_expected() -> set[tuple[str, str]]:
    out = {("category", v) for v in EquipmentCategory.values}
    out |= {("status", v) for v in EquipmentStatus.values}
    out |= {("connectivity", v) for v in Connectivity.values}
    return out


def test_templates_list_every_allowed_code(client_for, officer):
    c = client_for(officer)
    xlsx = c.get(reverse("web:import-template", args=["equipment", "xlsx"]))
    wb = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content) if xlsx.streaming else xlsx.content))
    assert wb.sheetnames == ["equipment", "help", "codes"]
    rows = list(wb["codes"].iter_rows(values_only=True))
    assert rows[0] == ("column", "code", "meaning")
    assert _codes_expected() <= {(r[0], r[1]) for r in rows[1:]}
    assert ("internet_connected", "yes") in {(r[0], r[1]) for r in rows[1:]}
    codes = c.get(reverse("web:import-codes", args=["equipment"]))
    assert codes.status_code == 200 and codes["Content-Disposition"].endswith('equipment-codes.csv"')
    read = list(csv.reader(io.StringIO(codes.content.decode("utf-8-sig"))))
    assert _codes_expected() <= {(r[0], r[1]) for r in read[1:]}
    vendor_codes = {(r[0], r[1]) for r in csv.reader(io.StringIO(
        c.get(reverse("web:import-codes", args=["vendors"])).content.decode("utf-8-sig")))}
    assert ("country_of_incorporation", "CN") in vendor_codes
    assert c.get(reverse("web:import-codes", args=["nothing"])).status_code == 404
    head = import_template("equipment", "csv").decode("utf-8-sig").splitlines()
    assert head[0].startswith("site_code,category") and head[1].startswith("PT-T1,camera")


def test_help_page_explains_columns_codes_and_limits(client_for, officer, settings):
    settings.IMPORT_MAX_ROWS = 123456
    c = client_for(officer)
    page = c.get(reverse("web:import-help")).content.decode()
    for code in EquipmentCategory.values + EquipmentStatus.values + Connectivity.values:
        assert f"<code>{code}</code>" in page
    assert "123,456" in page or "123456" in page
    assert "IMPORT_MAX_ROWS" in page and "dry run" in page
    assert reverse("web:import-help") in c.get(reverse("web:import")).content.decode()


def test_a_chosen_vendor_deleted_before_the_dry_run_is_asked_again(client_for, officer, site, hik):
    other = VendorFactory(name="Hangzhou Hikvision Digital Technology Co Ltd")
    c = client_for(officer)
    job = _upload(c, HEADER + f"T1,camera,{TYPO},C-1,1,A-1,\n")
    assert {o["id"] for o in job.report["close_vendors"][TYPO]} == {hik.pk, other.pk}
    ImportJob.objects.filter(pk=job.pk).update(vendor_choices={TYPO: hik.pk}, status="validating")
    Vendor.objects.filter(pk=hik.pk).delete()
    from apps.inventory.import_jobs import import_job_validate

    job = import_job_validate(job=ImportJob.objects.get(pk=job.pk))
    assert any("no longer recorded" in w for w in job.report["warnings"])
    assert job.report["new_vendors"] == [TYPO] and job.report["close_vendors"][TYPO] == [
        {"id": other.pk, "name": other.name}]
