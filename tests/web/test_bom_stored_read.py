"""A web BOM upload is read once: at the upload (inline when small, by the worker when large), and its preview,
mapping and commit use the stored read. The commit still refuses an upload whose bytes changed or that expired."""
import io
from pathlib import Path

import pytest
from django.urls import reverse

from apps.inventory import bom as boms
from apps.inventory.import_jobs import PARSED_SUFFIX, import_files_purge
from apps.inventory.models import BomDocument, ImportJob
from tests.factories import EquipmentFactory, ProductModelFactory, VendorFactory
from tests.inventory.bom_docs import Part, crane_parts, cyclonedx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def crane(site):
    VendorFactory(name="Remote Care GmbH")
    VendorFactory(name="Siemens AG")
    return EquipmentFactory(site=site, asset_tag="PT-STS-01",
                            product_model=ProductModelFactory(model_number="PT-STS-01", category="sts_crane"))


def _file(data: bytes, name: str = "crane.cdx.json"):
    f = io.BytesIO(data)
    f.name = name
    return f


def _upload(c, crane, data: bytes) -> ImportJob:
    c.post(reverse("web:bom-upload", args=[crane.pk]), {"file": _file(data), "for_model": "unit"})
    return ImportJob.objects.get(kind="bom")


def test_preview_mapping_and_commit_use_the_read_made_at_the_upload(client_for, officer, crane, monkeypatch):
    calls = []
    real = boms.bom_parse
    monkeypatch.setattr(boms, "bom_parse", lambda data: calls.append(len(data)) or real(data))
    c = client_for(officer)
    parts = [*crane_parts(), Part("Wind sensor", "device", supplier="Siemens AGG")]
    job = _upload(c, crane, cyclonedx(parts))
    assert job.status == ImportJob.Status.VALID and len(calls) == 1
    assert Path(job.path + PARSED_SUFFIX).is_file()
    url = reverse("web:bom-preview", args=[job.token])
    for _ in range(2):
        page = c.get(url)
        assert page.status_code == 200 and "version 1" in page.content.decode()
    body = page.content.decode()
    row = body[:body.index("Siemens AGG\u201d to")].count('name="name_')
    siemens = VendorFactory._meta.model.objects.get(name="Siemens AG")
    mapped = c.post(url, {"map": "1", f"name_{row}": "Siemens AGG", f"vendor_{row}": str(siemens.pk)})
    assert mapped.status_code == 200 and "(mapped by you)" in mapped.content.decode()
    c.post(url, {"confirm": "on"})
    document = BomDocument.objects.get()
    assert document.component_count == 6 and len(calls) == 1  # read once, at the upload
    assert document.components.get(name="Wind sensor").supplier_id == siemens.pk
    assert not Path(job.path).exists() and not Path(job.path + PARSED_SUFFIX).exists()


def test_commit_refuses_an_upload_whose_bytes_changed_after_the_read(client_for, officer, crane):
    c = client_for(officer)
    job = _upload(c, crane, cyclonedx(crane_parts()))
    other = cyclonedx([*crane_parts(), Part("Wind sensor", "device", supplier="Siemens AG")])
    Path(job.path).write_bytes(other)
    response = c.post(reverse("web:bom-preview", args=[job.token]), {"confirm": "on"})
    assert response.status_code == 400 and "changed since it was read" in response.content.decode()
    assert not BomDocument.objects.exists()


def test_an_expired_upload_is_refused_and_nothing_is_stored(client_for, officer, crane):
    c = client_for(officer)
    job = _upload(c, crane, cyclonedx(crane_parts()))
    ImportJob.objects.filter(pk=job.pk).update(created_at=job.created_at.replace(year=job.created_at.year - 1))
    assert import_files_purge() == 1
    assert not Path(job.path).exists() and not Path(job.path + PARSED_SUFFIX).exists()
    url = reverse("web:bom-preview", args=[job.token])
    assert c.get(url).status_code == 400
    response = c.post(url, {"confirm": "on"})
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert not BomDocument.objects.exists()


def test_a_refused_document_keeps_nothing_of_the_upload(client_for, officer, crane):
    c = client_for(officer)
    job = _upload(c, crane, b'{"bomFormat": "CycloneDX", "specVersion": "1.1", "components": []}')
    assert job.status == ImportJob.Status.INVALID and "1.1 is not supported" in job.error and job.path == ""
    response = c.get(reverse("web:bom-preview", args=[job.token]))
    assert response.status_code == 400 and "1.1 is not supported" in response.content.decode()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_large_upload_is_read_by_the_worker_while_the_page_waits(settings, client_for, officer, crane,
                                                                    celery_worker_process):
    settings.IMPORT_INLINE_MAX_BYTES = 0  # every upload counts as large: read by the worker
    c = client_for(officer)
    job = _upload(c, crane, cyclonedx(crane_parts()))
    url = reverse("web:bom-preview", args=[job.token])
    first = c.get(url).content.decode()
    assert ('id="bom-reading"' in first) != ("version 1" in first)  # reading, or (a fast worker) already read
    job = celery_worker_process.wait_for(
        lambda: ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.VALID).first(), timeout=90)
    assert job.total_rows == 5 and Path(job.path + PARSED_SUFFIX).is_file()
    page = c.get(url)
    assert page.status_code == 200 and "version 1" in page.content.decode()
    c.post(url, {"confirm": "on"})
    assert BomDocument.objects.get().component_count == 5
