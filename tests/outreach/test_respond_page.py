"""The public answer page `/respond/<token>/` (no login) and the officers' data call pages, through Django's test
client: only that call is shown, CSRF is enforced, refusals are 403/410 pages, too many requests 429; the
officers send a call from the form and read the answer, the supplier's calls and the dashboard's due card."""
import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.outreach import services
from apps.outreach.choices import DataCallTemplate, RecipientKind
from apps.outreach.models import DataCall, DataCallResponse
from tests.factories import EquipmentFactory, VendorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _call(officer, org, site, **kw):
    return services.data_call_create(
        user=officer, organization_id=org.pk, template=DataCallTemplate.COVERED_LIST,
        recipient_kind=RecipientKind.VENDOR, vendor=kw.pop("vendor", None) or VendorFactory(),
        recipient_email="s@example.org", due_date=timezone.localdate() + dt.timedelta(days=20),
        equipment_ids=[EquipmentFactory(site=site).pk], **kw)


def _path(call) -> str:
    return re.sub(r"^https?://[^/]+", "", call.answer_link)


def _answer(**kw):
    return {"listed_entity": "no", "signer_name": "Ann", "signer_title": "CEO",
            "signed_on": timezone.localdate().isoformat(), **kw}


def test_page_shows_only_that_call_and_refuses_a_second_use(officer, org, site):
    call = _call(officer, org, site, title="Covered list 2026")
    _call(officer, org, site, title="Another supplier's call")
    client = Client()
    page = client.get(_path(call))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert page["Referrer-Policy"] == "same-origin"
    html = page.content.decode()
    assert "Covered list 2026" in html and "Another supplier" not in html and "mainnav" not in html
    assert client.post(_path(call), _answer()).status_code == 200
    assert DataCallResponse.objects.get().data_call == call
    again = client.get(_path(call))
    assert again.status_code == 410 and "already used" in again.content.decode()
    assert client.post(_path(call), _answer(listed_entity="yes")).status_code == 410


def test_invalid_expired_and_csrf(officer, org, site):
    call = _call(officer, org, site)
    assert Client().get("/respond/not-a-token/").status_code == 403
    DataCall.objects.filter(pk=call.pk).update(due_date=timezone.localdate() - dt.timedelta(days=40))
    call.tokens.update(expires_at=timezone.now() - dt.timedelta(days=1))
    gone = Client().get(_path(call))
    assert gone.status_code == 410 and "expired" in gone.content.decode()
    fresh = _call(officer, org, site)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(_path(fresh), _answer()).status_code == 403  # no CSRF token
    page = strict.get(_path(fresh))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    assert strict.post(_path(fresh), {**_answer(), "csrfmiddlewaretoken": token}).status_code == 200


def test_errors_are_shown_per_question_and_nothing_is_stored(officer, org, site):
    call = _call(officer, org, site)
    page = Client().post(_path(call), {"signer_name": "", "signed_on": "soon"})
    assert page.status_code == 400
    html = page.content.decode()
    assert "Answer this question." in html and "Sign with your name." in html
    assert not DataCallResponse.objects.exists()


def test_rate_limited(officer, org, site, settings):
    settings.OUTREACH_RESPOND_RATE = "2/m"
    call = _call(officer, org, site)
    client = Client(REMOTE_ADDR="198.51.100.44")
    assert [client.get(_path(call)).status_code for _ in range(3)] == [200, 200, 429]


def test_officer_sends_from_the_form_and_reads_the_answer(client, officer, org, site):
    vendor = VendorFactory(name="Camera Supply Co")
    unit = EquipmentFactory(site=site)
    client.force_login(officer)
    assert client.get(reverse("web:data-call-create")).status_code == 200
    response = client.post(reverse("web:data-call-create"), {
        "template": DataCallTemplate.FAR_889, "recipient_kind": RecipientKind.VENDOR, "vendor": "camera supply co",
        "equipment_ids": [unit.pk], "recipient_email": "rep@camera.example",
        "due_date": (timezone.localdate() + dt.timedelta(days=14)).isoformat()})
    assert response.status_code == 302
    call = DataCall.objects.get()
    assert call.vendor == vendor and list(call.equipment.all()) == [unit]
    link = re.search(r"(/respond/[^/\s]+/)", mail.outbox[0].body).group(1)
    answered = Client().post(link, {"part_a_provides": "yes", "part_b_uses": "no", "disclosure": "NVR model X",
                                    "signer_name": "Rep", "signer_title": "Sales", "signed_on":
                                    timezone.localdate().isoformat()})
    assert answered.status_code == 200
    detail = client.get(reverse("web:data-call-detail", args=[call.pk])).content.decode()
    assert "Signed by <strong>Rep</strong>" in detail and "NVR model X" in detail and "Declared findings" in detail
    assert 'id="declared-finding-' in detail
    supplier = client.get(reverse("web:data-call-supplier", args=[vendor.pk])).content.decode()
    assert 'id="answers-over-time"' in supplier
    listing = client.get(reverse("web:data-call-list") + "?status=answered").content.decode()
    assert f'id="data-call-{call.pk}"' in listing


def test_dashboard_lists_calls_due(client, officer, org, site, settings):
    settings.OUTREACH_DUE_SOON_DAYS = 30  # due in 20 days
    call = _call(officer, org, site, title="Due soon call")
    client.force_login(officer)
    html = client.get(reverse("web:dashboard")).content.decode()
    assert 'id="alert-data_calls"' in html and reverse("web:data-call-detail", args=[call.pk]) in html


def test_list_filters_through_the_shared_filterset(client, officer, org, site):
    pending = _call(officer, org, site, title="Waiting call")
    answered = _call(officer, org, site, title="Signed call")
    Client().post(_path(answered), _answer())
    client.force_login(officer)
    url = reverse("web:data-call-list")
    every = client.get(url + "?status=&template=&q=").content.decode()  # the form's "Any" choices
    assert f'id="data-call-{pending.pk}"' in every and f'id="data-call-{answered.pk}"' in every
    only = client.get(url + "?status=pending").content.decode()
    assert f'id="data-call-{pending.pk}"' in only and f'id="data-call-{answered.pk}"' not in only
