"""Token authentication: hashed keys, expiry, revocation, last use; the management command."""
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from apps.api.models import ApiToken
from apps.api.services import api_token_create, api_token_hash, api_token_revoke
from apps.common.exceptions import ApplicationError

pytestmark = pytest.mark.django_db

URL = "/api/v1/sites/"


def _client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_token_key_is_stored_only_as_hash(auditor, site):
    token, key = api_token_create(user=auditor, name="script")
    assert token.key_hash == api_token_hash(key) and key not in token.key_hash
    assert not ApiToken.objects.filter(key_hash=key).exists()
    assert key.startswith(token.prefix)
    response = _client(key).get(URL)
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_expired_token_is_refused(auditor, site):
    past = timezone.now() - dt.timedelta(days=3)
    _, key = api_token_create(user=auditor, expires_in_days=1, now=past)
    response = _client(key).get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "This token has expired."
    assert response["WWW-Authenticate"] == "Token"


def test_revoked_token_is_refused(auditor, site):
    token, key = api_token_create(user=auditor)
    assert _client(key).get(URL).status_code == 200
    api_token_revoke(token=token, actor=auditor)
    response = _client(key).get(URL)
    assert response.status_code == 401 and response.json()["error"]["code"] == "authentication_failed"


def test_unknown_token_and_missing_credentials_are_401(site):
    assert _client("vr_nonsense").get(URL).status_code == 401
    response = APIClient().get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_inactive_user_token_is_refused(auditor, site):
    _, key = api_token_create(user=auditor)
    auditor.is_active = False
    auditor.save()
    assert _client(key).get(URL).status_code == 401


def test_create_api_token_command_prints_key_once(auditor):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", auditor.username, "--expires-in", "30", stdout=out, stderr=err)
    key = out.getvalue().strip()
    token = ApiToken.objects.get(user=auditor)
    assert token.key_hash == api_token_hash(key)
    assert token.expires_at - timezone.now() > dt.timedelta(days=29)
    assert "cannot be shown again" in err.getvalue()


def test_create_api_token_command_rejects_unknown_user_and_bad_expiry(auditor):
    with pytest.raises(CommandError, match="No user"):
        call_command("create_api_token", "nobody", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="between 1 and 365 days"):
        call_command("create_api_token", auditor.username, "--expires-in", "0", stdout=io.StringIO(),
                     stderr=io.StringIO())
    assert not ApiToken.objects.exists()


def test_user_manages_own_tokens_through_the_api(auditor, officer):
    client = APIClient()
    client.force_authenticate(auditor)
    created = client.post("/api/v1/tokens/", {"name": "ci", "expires_in_days": 7}, format="json")
    assert created.status_code == 201 and created.json()["key"].startswith("vr_")
    listed = client.get("/api/v1/tokens/").json()["results"]
    assert [t["name"] for t in listed] == ["ci"] and "key" not in listed[0]
    other, _ = api_token_create(user=officer)
    assert client.delete(f"/api/v1/tokens/{other.pk}/").status_code == 404
    assert client.delete(f"/api/v1/tokens/{listed[0]['id']}/").status_code == 204
    assert ApiToken.objects.get(pk=listed[0]["id"]).revoked_at is not None


def test_throttle_limits_requests_per_user_whatever_the_number_of_tokens(auditor, viewer, site, settings):
    from django.core.cache import cache

    cache.clear()
    settings.API_THROTTLE_RATE = "3/minute"
    _, key = api_token_create(user=auditor)
    _, key2 = api_token_create(user=auditor)
    codes = [_client(key).get(URL).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert _client(key2).get(URL).status_code == 429  # a new token of the same user buys no more requests
    _, other = api_token_create(user=viewer)
    assert _client(other).get(URL).status_code == 200  # counted per user
    cache.clear()


def test_every_token_expires_by_default_and_not_later_than_the_maximum(auditor, settings):
    settings.API_TOKEN_DEFAULT_DAYS, settings.API_TOKEN_MAX_DAYS = 90, 365
    now = timezone.now()
    token, _ = api_token_create(user=auditor, now=now)
    assert token.expires_at == now + dt.timedelta(days=90)
    with pytest.raises(ApplicationError) as exc:
        api_token_create(user=auditor, expires_in_days=366, now=now)
    assert exc.value.code == "invalid_expiry" and "expires_in_days" in exc.value.fields


def test_live_tokens_per_user_are_capped_and_a_revoked_or_expired_one_frees_a_place(auditor, viewer, settings):
    settings.API_TOKEN_MAX_LIVE, settings.API_TOKEN_CREATE_RATE = 3, "100/h"
    now = timezone.now()
    tokens = [api_token_create(user=auditor, now=now)[0] for _ in range(3)]
    with pytest.raises(ApplicationError) as exc:
        api_token_create(user=auditor, now=now)
    assert exc.value.code == "too_many_tokens"
    assert ApiToken.objects.filter(user=auditor).count() == 3  # nothing stored by the refusal
    api_token_create(user=viewer, now=now)  # per user
    api_token_revoke(token=tokens[0])
    api_token_create(user=auditor, now=now)
    ApiToken.objects.filter(pk=tokens[1].pk).update(expires_at=now - dt.timedelta(seconds=1))
    api_token_create(user=auditor, now=now)


def test_token_creation_is_throttled_per_user_through_the_api(auditor, settings, client):
    settings.API_TOKEN_CREATE_RATE, settings.API_TOKEN_MAX_LIVE = "2/h", 50
    client.force_login(auditor)
    codes = [client.post("/api/v1/tokens/", {"name": f"t{i}"}, content_type="application/json").status_code
             for i in range(3)]
    assert codes == [201, 201, 400]
    assert ApiToken.objects.filter(user=auditor).count() == 2
