"""Import of equipment and vendors: dry run with row errors, all-or-nothing commit, content checks."""
import io
import zipfile

import pytest
from django.urls import reverse

from apps.common.exceptions import ApplicationError
from apps.inventory.imports import import_commit, import_template, import_validate
from apps.inventory.models import Equipment, ImportJob
from apps.vendors.models import Vendor
from tests.factories import ImportJobFactory

pytestmark = pytest.mark.django_db

HEADER = "site_code,category,brand,model_number,quantity,asset_tag,installed_date\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _csv(tmp_path, text, name="eq.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_validate_reports_row_and_column(org, site, tmp_path):
    path = _csv(tmp_path, HEADER + "T1,camera,Acme,C-1,1,A-1,2020-01-01\nT1,toaster,Acme,C-1,0,A-2,2020-13-01\n")
    report = import_validate(organization=org, kind="equipment", path=path, fmt="csv")
    cols = {(e.row, e.column) for e in report.errors}
    assert (3, "category") in cols
    assert (3, "quantity") in cols
    assert (3, "installed_date") in cols
    assert report.valid_rows == 1
    assert Equipment.objects.count() == 0


def test_validate_rejects_other_organisations_site(org, other_site, tmp_path):
    path = _csv(tmp_path, HEADER + "X1,camera,Acme,C-1,1,A-1,\n")
    report = import_validate(organization=org, kind="equipment", path=path, fmt="csv")
    assert report.errors[0].column == "site_code"


def test_commit_saves_all_rows_and_new_vendors(org, site, officer, tmp_path):
    path = _csv(tmp_path, HEADER + "T1,camera,Acme Vision,C-1,2,A-1,2020-01-01\nT1,Surveillance camera,Acme Vision,"
                "C-1,1,A-2,\n")
    report = import_commit(organization=org, kind="equipment", path=path, fmt="csv", actor=officer)
    assert report.created == 2
    assert Equipment.objects.filter(site=site).count() == 2
    assert Vendor.objects.filter(name="Acme Vision").exists()
    assert Equipment.history.count() == 2


def test_dry_run_points_out_new_names_that_look_like_recorded_vendors(client_for, officer, org, site, tmp_path):
    from tests.factories import VendorFactory

    VendorFactory(name="Hangzhou Hikvision Digital Technology Co., Ltd.")
    path = _csv(tmp_path, HEADER + "T1,camera,Hangzhou Hikvsion Digital Technology Co. Ltd,C-1,1,A-1,\n"
                "T1,camera,Brand New Optics,C-2,1,A-2,\n")
    report = import_validate(organization=org, kind="equipment", path=path, fmt="csv")
    assert report.ok and set(report.new_vendors) == {"Hangzhou Hikvsion Digital Technology Co. Ltd",
                                                     "Brand New Optics"}
    assert report.close_vendor_names == {
        "Hangzhou Hikvsion Digital Technology Co. Ltd": ["Hangzhou Hikvision Digital Technology Co., Ltd."]}

    c = client_for(officer)
    upload = io.BytesIO(path.read_bytes())
    upload.name = "eq.csv"
    response = c.post(reverse("web:import"), {"kind": "equipment", "file": upload}, follow=True)
    assert b'id="close-names"' in response.content and b"did you mean" in response.content


def test_commit_is_all_or_nothing(org, site, officer, tmp_path):
    from apps.common.exceptions import ApplicationError

    rows = "".join(f"T1,camera,Acme,C-1,1,A-{i},\n" for i in range(1500)) + "T1,camera,Acme,C-1,1,A-0,\n"
    path = _csv(tmp_path, HEADER + rows)
    with pytest.raises(ApplicationError):
        import_commit(organization=org, kind="equipment", path=path, fmt="csv", actor=officer)
    assert Equipment.objects.count() == 0
    assert not Vendor.objects.filter(name="Acme").exists()


def test_asset_tag_already_used_is_an_error(org, site, tmp_path):
    from tests.factories import EquipmentFactory

    EquipmentFactory(site=site, asset_tag="A-1")
    path = _csv(tmp_path, HEADER + "T1,camera,Acme,C-1,1,A-1,\n")
    report = import_validate(organization=org, kind="equipment", path=path, fmt="csv")
    assert report.errors[0].column == "asset_tag"


def test_xlsx_import_and_templates(org, site, officer, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["site_code", "category", "brand", "model_number", "installed_date"])
    import datetime as dt

    ws.append(["T1", "camera", "Acme", "C-9", dt.datetime(2020, 5, 1)])
    path = tmp_path / "eq.xlsx"
    wb.save(path)
    report = import_commit(organization=org, kind="equipment", path=path, fmt="xlsx", actor=officer)
    assert report.created == 1
    assert Equipment.objects.get().installed_date == dt.date(2020, 5, 1)
    assert import_template("equipment", "csv").decode("utf-8-sig").startswith("site_code,category,brand")
    assert import_template("vendors", "xlsx")[:2] == b"PK"


def test_vendor_import_checks_identifiers(org, officer, tmp_path):
    path = _csv(tmp_path, "name,country_of_incorporation,lei,aliases\nGood Co,CN,,GC; Good\nBad Co,ZZ,NOTALEI,\n")
    report = import_validate(organization=org, kind="vendors", path=path, fmt="csv")
    cols = {(e.row, e.column) for e in report.errors}
    assert (3, "country_of_incorporation") in cols
    assert (3, "lei") in cols
    assert report.valid_rows == 1


def test_import_page_dry_run_then_commit(client_for, officer, site):
    c = client_for(officer)
    bad = io.BytesIO((HEADER + "T1,camera,Acme,C-1,1,A-1,\nNOPE,camera,Acme,C-1,1,A-2,\n").encode())
    bad.name = "bad.csv"
    response = c.post(reverse("web:import"), {"kind": "equipment", "file": bad}, follow=True)
    assert b"No site with code" in response.content
    assert Equipment.objects.count() == 0
    good = io.BytesIO((HEADER + "T1,camera,Acme,C-1,1,A-1,\n").encode())
    good.name = "good.csv"
    response = c.post(reverse("web:import"), {"kind": "equipment", "file": good})
    job = ImportJob.objects.latest("created_at")
    assert job.status == "valid"
    response = c.post(reverse("web:import-preview", args=[job.token]), {"confirm": "on"}, follow=True)
    assert b"Imported 1" in response.content
    assert Equipment.objects.count() == 1


def test_import_refuses_binary_disguised_as_csv(client_for, officer, site):
    fake = io.BytesIO(b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 100)
    fake.name = "x.csv"
    response = client_for(officer).post(reverse("web:import"), {"kind": "equipment", "file": fake})
    assert response.status_code == 200
    assert ImportJob.objects.count() == 0
    assert b"errorlist" in response.content


def test_more_rows_than_import_max_rows_are_refused_and_nothing_is_saved(org, site, officer, tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = "".join(f"T1,camera,Acme,C-1,1,A-{i},\n" for i in range(4))
    path = _csv(tmp_path, HEADER + rows)
    with pytest.raises(ApplicationError) as exc:
        import_validate(organization=org, kind="equipment", path=path, fmt="csv")
    assert exc.value.code == "import_too_many_rows" and "more than 3 rows" in exc.value.message
    with pytest.raises(ApplicationError):
        import_commit(organization=org, kind="equipment", path=path, fmt="csv", actor=officer)
    assert Equipment.objects.count() == 0
    settings.IMPORT_MAX_ROWS = 4
    assert import_validate(organization=org, kind="equipment", path=path, fmt="csv").valid_rows == 4


def test_an_unreadable_workbook_is_refused_without_naming_the_server_path(client_for, officer, site, tmp_path):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:  # a zip (the XLSX container) with no workbook inside
        z.writestr("notes.txt", "not a workbook")
    upload = io.BytesIO(archive.getvalue())
    upload.name = "inventory.xlsx"
    response = client_for(officer).post(reverse("web:import"), {"kind": "equipment", "file": upload}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and Equipment.objects.count() == 0
    assert "not a readable Excel workbook" in page or "errorlist" in page
    assert str(tmp_path) not in page and "/imports/" not in page and "KeyError" not in page
    path = tmp_path / "broken.xlsx"
    path.write_bytes(archive.getvalue())
    with pytest.raises(ApplicationError) as exc:
        import_validate(organization=site.organization, kind="equipment", path=path, fmt="xlsx")
    assert exc.value.code == "import_unreadable" and str(tmp_path) not in exc.value.message


def test_auditor_cannot_import(client_for, auditor, site):
    f = io.BytesIO(HEADER.encode())
    f.name = "x.csv"
    response = client_for(auditor).post(reverse("web:import"), {"kind": "equipment", "file": f})
    assert response.status_code == 403
    assert ImportJob.objects.count() == 0


def test_import_job_of_other_organisation_is_404(client_for, officer, other_officer, other_site, settings):
    job = ImportJobFactory(organization=other_site.organization, user=other_officer, filename="x.csv")
    response = client_for(officer).get(reverse("web:import-preview", args=[job.token]))
    assert response.status_code == 404


def test_large_file_runs_in_background_with_progress(client_for, officer, site, settings,
                                                     django_capture_on_commit_callbacks):
    settings.IMPORT_INLINE_MAX_BYTES = 10  # every file counts as large here
    settings.CELERY_TASK_ALWAYS_EAGER = True  # apps.security.enqueue.enqueue_on_commit then runs the task in-process
    c = client_for(officer)
    f = io.BytesIO((HEADER + "".join(f"T1,camera,Acme,C-1,1,BG-{i},\n" for i in range(50))).encode())
    f.name = "big.csv"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = c.post(reverse("web:import"), {"kind": "equipment", "file": f})
    job = ImportJob.objects.get()
    assert job.status == "validating"
    page = c.get(response["Location"])
    assert b"<progress" in page.content
    assert b"hx-get" in page.content
    assert len(callbacks) == 1
    callbacks[0]()
    job.refresh_from_db()
    assert job.status == "valid"
    progress = c.get(reverse("web:import-progress", args=[job.token]))
    assert progress["HX-Refresh"] == "true"
    with django_capture_on_commit_callbacks(execute=True):
        c.post(reverse("web:import-preview", args=[job.token]), {"confirm": "on"})
    job.refresh_from_db()
    assert job.status == "committed"
    assert Equipment.objects.filter(asset_tag__startswith="BG-").count() == 50


def test_stale_uploads_are_purged_and_cannot_be_committed(client_for, officer, site, org):
    import datetime as dt

    from django.utils import timezone

    from apps.inventory.import_jobs import import_files_purge

    c = client_for(officer)
    f = io.BytesIO((HEADER + "T1,camera,Acme,C-1,1,OLD-1,\n").encode())
    f.name = "old.csv"
    c.post(reverse("web:import"), {"kind": "equipment", "file": f})
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    assert import_files_purge() == 1
    response = c.post(reverse("web:import-preview", args=[job.token]), {"confirm": "on"})
    assert response.status_code == 200
    assert b"upload it again" in response.content
    assert not Equipment.objects.filter(asset_tag="OLD-1").exists()


def test_committed_units_and_their_history_match_what_the_orm_writes(org, site, officer, tmp_path):
    """The commit writes units with COPY on PostgreSQL (ORM elsewhere): same defaults, timestamps, history row
    ("+", reason "import", the officer) and the ids it reports, as a unit saved through the ORM."""
    from django.forms.models import model_to_dict

    path = _csv(tmp_path, "site_code,category,brand,model_number,asset_tag,serial_number,internet_connected,notes\n"
                "T1,camera,Acme Vision,C-1,A-1,SN-1,yes,\"quoted, \"\"text\"\"\"\nT1,camera,Acme Vision,C-1,,,no,\n")
    report = import_commit(organization=org, kind="equipment", path=path, fmt="csv", actor=officer)
    units = list(Equipment.objects.filter(site=site).order_by("pk"))
    assert sorted(report.equipment_ids) == [u.pk for u in units] and len(units) == 2
    first, second = units
    assert (first.asset_tag, first.serial_number, first.notes) == ("A-1", "SN-1", 'quoted, "text"')
    assert first.internet_connected and not second.internet_connected
    assert (second.asset_tag, second.serial_number, second.notes, second.installed_date) == ("", "", "", None)
    reference = Equipment(site=site, product_model=first.product_model, category=first.category)
    reference.save()
    skip = {"id", "asset_tag", "serial_number", "notes", "internet_connected", "import_job"}
    assert {k: v for k, v in model_to_dict(second).items() if k not in skip} == \
        {k: v for k, v in model_to_dict(reference).items() if k not in skip}
    assert first.created_at and abs(first.updated_at - first.created_at).total_seconds() < 1
    history = first.history.get()
    assert (history.history_type, history.history_change_reason, history.history_user_id) == ("+", "import",
                                                                                                officer.pk)
    assert history.asset_tag == "A-1" and history.internet_connected
    assert Equipment.history.filter(id__in=report.equipment_ids).count() == 2
