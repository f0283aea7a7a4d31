"""Auditors read the plans' evidence through the API: metadata with its hash, the file exactly as uploaded,
only of their own organisations' plans."""
from __future__ import annotations

import hashlib

import pytest

from apps.remediation.services.plans import evidence_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _upload(plan, user, data=b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", name="certificate.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return evidence_upload(plan=plan, file=SimpleUploadedFile(name, data, content_type="application/octet-stream"),
                           user=user, note="disposal certificate")


def test_an_auditor_lists_and_downloads_evidence_of_its_own_plans(world, client_for, media):
    officer, auditor = world["users"]["officer"], world["users"]["auditor"]
    plan, other_plan = world["plan"], world["other_plan"]
    data = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    mine = _upload(plan, officer, data)
    theirs = _upload(other_plan, world["users"]["other_officer"])
    client = client_for(auditor)

    rows = client.get("/api/v1/evidence/", {"plan": plan.pk}).json()["results"]
    assert [(r["id"], r["sha256"], r["content_type"], r["size"], r["uploaded_by"], r["organization"])
            for r in rows] == [(mine.pk, hashlib.sha256(data).hexdigest(), "application/pdf", len(data),
                                officer.username, world["org"].pk)]
    all_ids = {r["id"] for r in client.get("/api/v1/evidence/").json()["results"]}
    assert mine.pk in all_ids and theirs.pk not in all_ids

    response = client.get(rows[0]["download"])
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == rows[0]["sha256"]
    assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'attachment; filename="certificate.pdf"'

    assert client.get(f"/api/v1/evidence/{theirs.pk}/download/").status_code == 404
    assert client.get("/api/v1/evidence/", {"sha256": rows[0]["sha256"].upper()}).json()["results"][0]["id"] == mine.pk


def test_a_file_gone_from_storage_says_so(world, client_for, media):
    plan = world["plan"]
    ev = _upload(plan, world["users"]["officer"])
    ev.file.storage.delete(ev.file.name)
    response = client_for(world["users"]["auditor"]).get(f"/api/v1/evidence/{ev.pk}/download/")
    assert response.status_code == 404
    assert "missing from storage" in response.json()["error"]["message"]


def test_the_evidence_list_runs_a_constant_number_of_queries(world, client_for, media, django_assert_max_num_queries):
    plan = world["plan"]
    for n in range(3):
        _upload(plan, world["users"]["officer"], name=f"c{n}.pdf")
    client = client_for(world["users"]["auditor"])
    client.get("/api/v1/evidence/")
    with django_assert_max_num_queries(8) as few:
        client.get("/api/v1/evidence/")
    for n in range(3, 12):
        _upload(plan, world["users"]["officer"], name=f"c{n}.pdf")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/evidence/").json()["results"]) == 12
