"""/organisation/profile/: every member sees the profile; only its admins change it; the history shows who."""
import pytest

pytestmark = pytest.mark.django_db


def test_admin_edits_profile_and_history_shows_it(client_for, org, admin_user):
    client = client_for(admin_user)
    page = client.get("/organisation/profile/")
    assert page.status_code == 200 and b"Save profile" in page.content
    answer = client.post("/organisation/profile/", {"country": "AU", "subdivision": "act",
                                                    "legal_kinds": ["au_commonwealth_entity"],
                                                    "remediation_target_days": "90"})
    assert answer.status_code == 302
    org.refresh_from_db()
    assert (org.country.code, org.subdivision, org.legal_kinds, org.remediation_target_days) == (
        "AU", "ACT", ["au_commonwealth_entity"], 90)
    page = client.get("/organisation/profile/")
    assert b"au_commonwealth_entity" in page.content and admin_user.username.encode() in page.content


def test_bad_profile_is_refused_on_the_form(client_for, org, admin_user):
    answer = client_for(admin_user).post("/organisation/profile/", {"country": "", "subdivision": "CA"})
    assert answer.status_code == 200 and b"Give the country first" in answer.content
    org.refresh_from_db()
    assert org.subdivision == ""


@pytest.mark.parametrize("role", ["officer", "auditor"])
def test_non_admins_see_but_cannot_change(client_for, org, role, request):
    client = client_for(request.getfixturevalue(role))
    page = client.get("/organisation/profile/")
    assert page.status_code == 200 and b"Save profile" not in page.content
    assert client.post("/organisation/profile/", {"country": "US"}).status_code == 403
    org.refresh_from_db()
    assert not org.country
