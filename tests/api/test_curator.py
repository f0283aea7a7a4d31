"""Curator powers through the API: a short-lived curator token, created only from a session verified by the
second factor; an organisation admin cannot decide public lists or registry-wide rules (tenancy review)."""
import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.api.models import ApiToken
from apps.lists.choices import VersionStatus
from apps.remediation.models import PolicyRule
from tests.api.conftest import token_client
from tests.conftest import second_factor_login
from tests.factories import CuratorFactory, ListVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator_admin(world):
    """The harbour's admin, who is also a registry curator."""
    user = world["users"]["admin"]
    CuratorFactory(user=user)
    return user


def _curator_token(user) -> str:
    session = second_factor_login(APIClient(), user)
    created = session.post("/api/v1/tokens/", {"name": "curation", "purpose": "curate"}, format="json")
    assert created.status_code == 201, created.content
    return created.json()["key"]


def test_a_curator_token_is_short_lived_and_made_only_by_a_verified_session(world, curator_admin, settings):
    settings.API_CURATOR_TOKEN_HOURS = 8
    key = _curator_token(curator_admin)
    token = ApiToken.objects.get(prefix=key[:10])
    assert token.purpose == "curate"
    assert token.expires_at - token.created_at == dt.timedelta(hours=8)
    unverified = APIClient()
    unverified.force_login(curator_admin)
    refused = unverified.post("/api/v1/tokens/", {"purpose": "curate"}, format="json")
    assert refused.status_code == 403
    by_token = token_client(curator_admin).post("/api/v1/tokens/", {"purpose": "curate"}, format="json")
    assert by_token.status_code == 403  # a token, even a curator one, never mints a curator token
    by_curator_token = APIClient()
    by_curator_token.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert by_curator_token.post("/api/v1/tokens/", {"purpose": "curate"}, format="json").status_code == 403
    not_curator = second_factor_login(APIClient(), world["users"]["officer"])
    assert not_curator.post("/api/v1/tokens/", {"purpose": "curate"}, format="json").status_code == 403
    assert ApiToken.objects.filter(purpose="curate").count() == 1


def test_an_organisation_admin_cannot_approve_a_public_list_version(world):
    """Attack 1 of the tenancy review: a non-staff admin approved a shrunk public list for everyone (200)."""
    version = ListVersionFactory(source=world["source"], status=VersionStatus.QUARANTINED, sha256="d" * 64)
    admin = token_client(world["users"]["admin"])
    response = admin.post(f"/api/v1/list-versions/{version.pk}/approve/", {"reason": "fine"}, format="json")
    assert response.status_code == 403
    assert "curator" in response.json()["error"]["message"]
    version.refresh_from_db()
    assert version.status == VersionStatus.QUARANTINED and world["version"].status == VersionStatus.ACTIVE


def test_registry_wide_decisions_need_the_curator_token(world, curator_admin):
    version = ListVersionFactory(source=world["source"], status=VersionStatus.QUARANTINED, sha256="e" * 64)
    rule = world["rule"]
    general = token_client(curator_admin)  # the same person with an everyday token: no curator powers
    assert general.patch(f"/api/v1/rules/{rule.pk}/", {"deadline_days": 30}, format="json").status_code == 403
    curator = APIClient()
    curator.credentials(HTTP_AUTHORIZATION=f"Token {_curator_token(curator_admin)}")
    changed = curator.patch(f"/api/v1/rules/{rule.pk}/", {"deadline_days": 30}, format="json")
    assert changed.status_code == 200 and PolicyRule.objects.get(pk=rule.pk).deadline_days == 30
    rejected = curator.post(f"/api/v1/list-versions/{version.pk}/reject/", {"reason": "truncated"}, format="json")
    assert rejected.status_code == 200 and rejected.json()["status"] == VersionStatus.REJECTED


def test_an_expired_curator_token_is_refused(world, curator_admin):
    key = _curator_token(curator_admin)
    ApiToken.objects.filter(prefix=key[:10]).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.patch(f"/api/v1/rules/{world['rule'].pk}/", {"deadline_days": 30}, format="json").status_code == 401
