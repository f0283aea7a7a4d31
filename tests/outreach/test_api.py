"""The auditors' read-only API of data calls: scoped to the organisation, paged, `as_of` from the rows' own
timestamps, no writes, in the schema."""
import datetime as dt
import re

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.api.services import api_token_create
from apps.outreach import services
from apps.outreach.choices import DataCallTemplate, RecipientKind
from tests.factories import EquipmentFactory, VendorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mail(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}")
    return client


def _call(user, org, site, **kw):
    return services.data_call_create(
        user=user, organization_id=org.pk, template=DataCallTemplate.COVERED_LIST, recipient_kind=RecipientKind.VENDOR,
        vendor=VendorFactory(), recipient_email="s@example.org", due_date=timezone.localdate() + dt.timedelta(days=5),
        equipment_ids=[EquipmentFactory(site=site).pk], **kw)


def _answer(call, yes=True, now=None):
    token = re.search(r"/respond/([^/]+)/$", call.answer_link).group(1)
    return services.data_call_answer(token=token, answers={"listed_entity": "yes" if yes else "no"},
                                     signer_name="Ann", signer_title="CEO", signed_on=timezone.localdate(), now=now)


def test_auditor_reads_calls_answers_and_findings_of_own_organisation_only(officer, auditor, other_officer, org,
                                                                           other_org, site, other_site):
    mine = _call(officer, org, site)
    theirs = _call(other_officer, other_org, other_site)
    response = _answer(mine)
    _answer(theirs)
    client = _client(auditor)
    calls = client.get("/api/v1/data-calls/").json()
    assert [c["id"] for c in calls["results"]] == [mine.pk]
    assert calls["results"][0]["status"] == "answered" and calls["results"][0]["response"] == response.pk
    assert [q["code"] for q in calls["results"][0]["questions"]][:1] == ["listed_entity"]
    answers = client.get("/api/v1/data-call-responses/").json()["results"]
    assert [a["id"] for a in answers] == [response.pk] and answers[0]["sha256"] == response.sha256
    assert answers[0]["answers"][0] == {"id": answers[0]["answers"][0]["id"], "question": "listed_entity",
                                        "value": True, "file_name": "", "file_content_type": "", "file_size": None,
                                        "file_sha256": ""}
    findings = client.get("/api/v1/declared-findings/").json()["results"]
    assert len(findings) == 1 and findings[0]["data_call"] == mine.pk and findings[0]["response"] == response.pk
    assert client.get(f"/api/v1/data-calls/{theirs.pk}/").status_code == 404
    assert client.get(f"/api/v1/data-call-responses/{theirs.response.pk}/").status_code == 404
    assert _client(officer).post("/api/v1/data-calls/", {}, format="json").status_code == 405  # read-only


def test_as_of_reads_the_call_as_it_was(officer, auditor, org, site):
    call = _call(officer, org, site)
    later = timezone.now() + dt.timedelta(days=10)
    _answer(call, now=later)  # answered after its due date
    client = _client(auditor)
    today = timezone.localdate().isoformat()
    then = client.get(f"/api/v1/data-calls/{call.pk}/?as_of={today}").json()
    assert then["status"] == "pending" and then["response"] is None and then["answered_at"] is None
    assert client.get(f"/api/v1/data-call-responses/?as_of={today}").json()["results"] == []
    assert client.get(f"/api/v1/declared-findings/?as_of={today}").json()["results"] == []
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert client.get(f"/api/v1/data-calls/?as_of={yesterday}").json()["results"] == []


def test_paged(officer, auditor, org, site):
    for _ in range(3):
        _call(officer, org, site)
    page = _client(auditor).get("/api/v1/data-calls/?limit=2").json()
    assert len(page["results"]) == 2 and page["next"]


def test_in_the_schema(auditor):
    schema = _client(auditor).get("/api/v1/schema/?format=json").json()
    for path in ("/api/v1/data-calls/", "/api/v1/data-calls/{id}/", "/api/v1/data-call-responses/",
                 "/api/v1/declared-findings/"):
        assert path in schema["paths"]
    names = [p["name"] for p in schema["paths"]["/api/v1/data-calls/"]["get"]["parameters"]]
    assert "as_of" in names and "cursor" in names


def test_status_filter_reads_the_status_on_the_day(officer, auditor, org, site):
    waiting, signed = _call(officer, org, site), _call(officer, org, site)
    _answer(signed, yes=False)
    client = _client(auditor)
    assert [c["id"] for c in client.get("/api/v1/data-calls/?status=pending").json()["results"]] == [waiting.pk]
    assert [c["id"] for c in client.get("/api/v1/data-calls/?status=answered").json()["results"]] == [signed.pk]
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert client.get(f"/api/v1/data-calls/?status=pending&as_of={yesterday}").json()["results"] == []  # not sent
    today = timezone.localdate().isoformat()
    assert len(client.get(f"/api/v1/data-calls/?status=pending&as_of={today}").json()["results"]) == 1
    assert client.get("/api/v1/data-calls/?status=bogus").status_code == 400
