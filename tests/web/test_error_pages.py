"""Every refusal is a page in the app's layout, with DEBUG on and off: 403 says which role is needed (and the
user's own), 404 says the thing is not in the user's organisations; API paths keep their JSON errors."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LAYOUT = 'class="topbar"'


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def test_read_only_refusal_is_styled_and_names_the_roles_needed(client_for, auditor, debug):
    response = client_for(auditor).get(reverse("web:equipment-create"))
    assert response.status_code == 403
    text = response.content.decode()
    assert LAYOUT in text and "Not allowed" in text
    assert "procurement officer or administrator role" in text
    assert "Auditor (read-only)" in text and "Harbor Authority" in text


def test_admin_only_refusal_says_so(client_for, officer, debug):

    client = client_for(officer)
    response = client.post(reverse("web:organization-profile"), {"country": "US"})
    assert response.status_code == 403
    assert "Only an administrator" in response.content.decode()


def test_other_organisations_object_is_styled_404(client_for, officer, other_site, debug):
    response = client_for(officer).get(reverse("web:site-detail", args=[other_site.pk]))
    assert response.status_code == 404
    text = response.content.decode()
    assert LAYOUT in text and "Not found" in text
    assert "in your organisations" in text and "Harbor Authority" in text
    assert "Page not found at" not in text  # not Django's technical page
    assert "Other site" not in text


def test_unknown_url_is_styled_404_when_debug_is_off(client_for, officer, settings):
    settings.DEBUG = False
    response = client_for(officer).get("/no-such-page/")
    assert response.status_code == 404
    assert LAYOUT in response.content.decode()


def test_anonymous_404_offers_log_in(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert reverse("web:login") in response.content.decode()


def test_api_errors_stay_json(client_for, officer, other_site, debug):
    client = client_for(officer)
    missing = client.get("/api/v1/no-such-endpoint/")
    assert missing.status_code == 404
    if not debug:  # with DEBUG on an unknown URL keeps Django's technical page, API or not
        assert missing.json()["error"]["code"] == "not_found"
    foreign = client.get(f"/api/v1/sites/{other_site.pk}/")
    assert foreign.status_code == 404 and foreign["Content-Type"].startswith("application/json")


def test_csrf_failure_is_styled(client_for, officer, debug):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    response = client.post(reverse("web:organization-profile"), {"country": "US"})
    assert response.status_code == 403
    text = response.content.decode()
    assert LAYOUT in text and "security token" in text
