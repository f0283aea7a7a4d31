"""PATCH /api/v1/organizations/{id}/: the profile, by the organisation's admins only."""
import pytest

from apps.accounts.models import Organization

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role, status", [("admin", 200), ("officer", 403), ("auditor", 403), ("viewer", 403)])
def test_profile_patch_by_role(world, client_for, role, status):
    org = world["org"]
    answer = client_for(world["users"][role]).patch(
        f"/api/v1/organizations/{org.pk}/", {"country": "us", "subdivision": "CA",
                                             "legal_kinds": ["mtsa_port_facility"], "remediation_target_days": 120},
        format="json")
    assert answer.status_code == status, answer.content
    org.refresh_from_db()
    if status == 200:
        body = answer.json()
        assert body["country"] == "US" and body["legal_kinds"] == ["mtsa_port_facility"]
        assert body["remediation_target_days"] == 120 and body["subdivision"] == "CA"
        assert org.history.count() == 2
    else:
        assert org.legal_kinds == [] and org.history.count() == 1


def test_profile_patch_other_organisation_and_bad_input(world, client_for):
    admin = client_for(world["users"]["admin"])
    other = world["other_org"]
    assert admin.patch(f"/api/v1/organizations/{other.pk}/", {"country": "US"}, format="json").status_code == 404
    bad = admin.patch(f"/api/v1/organizations/{world['org'].pk}/", {"legal_kinds": ["martian"]}, format="json")
    assert bad.status_code == 400
    assert admin.put(f"/api/v1/organizations/{world['org'].pk}/", {}, format="json").status_code == 405
    assert Organization.objects.get(pk=world["org"].pk).legal_kinds == []
