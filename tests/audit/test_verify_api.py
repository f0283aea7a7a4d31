"""GET /api/v1/audit-verify/: organisation admins and staff only, over a bounded window."""
import pytest
from rest_framework.test import APIClient

from apps.audit.services import audit_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _get(user, **params):
    client = APIClient()
    client.force_authenticate(user)
    return client.get("/api/v1/audit-verify/", params)


@pytest.mark.parametrize("role", ["viewer", "auditor", "officer"])
def test_members_below_admin_are_refused(request, role):
    response = _get(request.getfixturevalue(role))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_other_organisations_officer_and_user_without_membership_are_refused(other_officer):
    assert _get(other_officer).status_code == 403
    assert _get(UserFactory(username="nobody")).status_code == 403


def test_admins_may_verify_and_the_staff_flag_gives_no_power(admin_user):
    """Verification is an admin's (or a verified curator's, tests/api/test_permission_matrix.py): Django's
    staff flag alone gives no power (apps.accounts.policies)."""
    audit_record(action="test.one")
    assert _get(admin_user).json()["ok"] is True
    assert _get(UserFactory(username="operator", is_staff=True)).status_code == 403


def test_the_window_is_bounded_by_the_setting(admin_user, settings):
    settings.AUDIT_VERIFY_MAX_EVENTS = 2
    for n in range(3):
        audit_record(action=f"test.{n}")
    body = _get(admin_user, since_id=0).json()
    assert body["checked"] == 2 and body["complete"] is False
    body = _get(admin_user, since_id=body["last_id"]).json()
    assert body["ok"] and body["checked"] == 1 and body["complete"] is True
    assert _get(admin_user, limit=3).status_code == 400
    assert _get(admin_user, limit=0).status_code == 400
    assert _get(admin_user, since_id=-1).status_code == 400
