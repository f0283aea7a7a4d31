"""API token services (apps.api.services): the refusals and audit events of creation and revocation, and the
throttled last-use stamp. Authentication with a token is tested in tests/api/test_tokens.py."""
import datetime as dt

import pytest

from apps.api.models import ApiToken
from apps.api.services import api_token_create, api_token_hash, api_token_revoke, api_token_touch
from apps.audit.models import AuditEvent
from apps.common.exceptions import ApplicationError
from tests.factories import ApiTokenFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_api_token_create_stores_expiry_and_records_an_event_without_the_key():
    user, admin = UserFactory(username="script-owner"), UserFactory()
    token, key = api_token_create(user=user, name="nightly export", expires_in_days=30, actor=admin, now=NOW)
    assert token.expires_at == NOW + dt.timedelta(days=30) and token.created_at == NOW
    assert token.key_hash == api_token_hash(key) and token.prefix == key[:10]
    [event] = AuditEvent.objects.filter(action="api_token.create")
    assert event.actor_id == admin.pk and event.object_id == str(token.pk)
    assert event.changes["user"] == "script-owner"
    assert key not in str(event.changes) and key not in event.object_repr


def test_api_token_create_cuts_a_long_name():
    token, _ = api_token_create(user=UserFactory(), name="x" * 150)
    assert len(token.name) == 100


def test_two_tokens_of_one_user_have_different_keys():
    user = UserFactory()
    (first, key1), (second, key2) = api_token_create(user=user), api_token_create(user=user)
    assert key1 != key2 and first.key_hash != second.key_hash


def test_api_token_create_refuses_an_inactive_user():
    with pytest.raises(ApplicationError) as exc:
        api_token_create(user=UserFactory(is_active=False))
    assert exc.value.code == "inactive_user"
    assert not ApiToken.objects.exists() and not AuditEvent.objects.filter(action="api_token.create").exists()


@pytest.mark.parametrize("days", [0, -5])
def test_api_token_create_refuses_an_expiry_under_one_day(days):
    with pytest.raises(ApplicationError) as exc:
        api_token_create(user=UserFactory(), expires_in_days=days)
    assert exc.value.code == "invalid_expiry" and set(exc.value.fields) == {"expires_in_days"}
    assert not ApiToken.objects.exists()


def test_api_token_revoke_is_idempotent_and_records_one_event():
    token = ApiTokenFactory()
    api_token_revoke(token=token, now=NOW)
    again = api_token_revoke(token=ApiToken.objects.get(pk=token.pk), now=NOW + dt.timedelta(hours=1))
    assert again.revoked_at == NOW
    assert AuditEvent.objects.filter(action="api_token.revoke", object_id=str(token.pk)).count() == 1
    assert not again.is_usable(now=NOW + dt.timedelta(hours=1))


def test_is_usable_follows_expiry_and_revocation():
    assert ApiTokenFactory(expires_at=None).is_usable(now=NOW)
    assert ApiTokenFactory(expires_at=NOW + dt.timedelta(seconds=1)).is_usable(now=NOW)
    assert not ApiTokenFactory(expires_at=NOW).is_usable(now=NOW)  # expires at that instant
    assert not ApiTokenFactory(revoked_at=NOW - dt.timedelta(days=1)).is_usable(now=NOW)


def test_api_token_touch_writes_at_most_once_a_minute():
    token = ApiTokenFactory()
    api_token_touch(token=token, now=NOW)
    api_token_touch(token=token, now=NOW + dt.timedelta(seconds=59))
    token.refresh_from_db()
    assert token.last_used_at == NOW
    api_token_touch(token=token, now=NOW + dt.timedelta(seconds=61))
    token.refresh_from_db()
    assert token.last_used_at == NOW + dt.timedelta(seconds=61)


def test_a_factory_token_authenticates_with_its_key(site, auditor):
    from rest_framework.test import APIClient

    ApiTokenFactory(user=auditor, key="vr_known-key-for-this-test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token vr_known-key-for-this-test")
    assert client.get("/api/v1/sites/").status_code == 200
    assert ApiToken.objects.get(user=auditor).last_used_at is not None
