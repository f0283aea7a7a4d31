"""POST /api/v1/lists/{id}/upload/: the browser's list upload through the API (the same service and policy)."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.lists.models import FetchRun, ListVersion
from tests.api.conftest import token_client
from tests.factories import ListSourceFactory

pytestmark = pytest.mark.django_db

BLOCKLIST = Path(__file__).resolve().parents[1] / "web" / "fixtures" / "blocklist.csv"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _post(client, source, name: str, data: bytes):
    return client.post(f"/api/v1/lists/{source.pk}/upload/", {"files": [SimpleUploadedFile(name, data)]},
                       format="multipart")


def test_admin_uploads_the_in_house_list_and_the_same_file_is_recognised(org, admin_user):
    source = ListSourceFactory(organization=org, format="custom_csv", regime="custom")
    client = token_client(admin_user)
    first = _post(client, source, "blocklist.csv", BLOCKLIST.read_bytes())
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "active" and first.json()["entries"] == 10
    again = _post(client, source, "blocklist.csv", BLOCKLIST.read_bytes())
    assert again.status_code == 200
    assert again.json()["status"] == "unchanged" and "already loaded" in again.json()["message"]
    assert ListVersion.objects.filter(source=source).count() == 1


def test_a_bad_file_is_a_400_with_the_reason(org, admin_user):
    source = ListSourceFactory(organization=org, format="custom_csv", regime="custom")
    response = _post(token_client(admin_user), source, "list.csv", b"company,city\nAcme,Paris\n")
    assert response.status_code == 400
    assert "could not be read" in response.json()["error"]["message"]
    assert not ListVersion.objects.filter(source=source).exclude(status="failed").exists()


def test_an_officer_may_not_upload(org, officer):
    source = ListSourceFactory(organization=org, format="custom_csv", regime="custom")
    response = _post(token_client(officer), source, "blocklist.csv", BLOCKLIST.read_bytes())
    assert response.status_code == 403
    assert not FetchRun.objects.exists()
