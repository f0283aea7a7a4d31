"""Login lockout keyed on username + IP (django-axes) on the web and admin logins, password validators,
idle and absolute session timeouts, and the audit of failed logins (ASVS 2.2.1, 2.1.7, 3.3.1, 3.3.2, 7.1.3)."""
import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.security.middleware import SESSION_AUTH_TIME, SESSION_LAST_SEEN
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture
def alice(db):
    user = UserFactory(username="alice", is_staff=True, is_superuser=True)
    user.save()  # UserFactory sets the password without saving it
    return user


def _post_login(client, url, username, password, ip):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.parametrize("url_name", ["web:login", "admin:login"])
def test_repeated_failures_lock_out_that_username_from_that_ip(client, alice, settings, url_name):
    url = reverse(url_name)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = _post_login(client, url, "alice", "wrong-password", "10.0.0.1")
        assert response.status_code in (200, 429)
    locked = _post_login(client, url, "alice", PASSWORD, "10.0.0.1")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # the same account from another address, and another account from that address, still log in
    other_ip = _post_login(client, url, "alice", PASSWORD, "10.0.0.2")
    assert other_ip.status_code == 302
    client.logout()
    bob = UserFactory(username="bob", is_staff=True)
    bob.save()
    other_user = _post_login(client, url, "bob", PASSWORD, "10.0.0.1")
    assert other_user.status_code == 302


def test_failed_login_is_audited_with_ip_and_request_id(client, alice):
    _post_login(client, reverse("web:login"), "alice", "wrong-password", "10.9.8.7")
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.object_repr == "alice"
    assert event.ip == "10.9.8.7"
    assert len(event.request_id) >= 16
    assert "wrong-password" not in str(event.changes)


def test_successful_login_resets_the_failure_count(client, alice, settings):
    url = reverse("web:login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _post_login(client, url, "alice", "nope", "10.0.0.3")
    assert _post_login(client, url, "alice", PASSWORD, "10.0.0.3").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _post_login(client, url, "alice", "nope", "10.0.0.3")
    assert _post_login(client, url, "alice", PASSWORD, "10.0.0.3").status_code == 302


@pytest.mark.parametrize("password", ["password123456", "123456789012", "short", "alice-alice-alice"])
def test_weak_passwords_are_refused(password):
    user = UserFactory.build(username="alice-alice-alice")
    with pytest.raises(ValidationError):
        validate_password(password, user=user)


def test_strong_password_is_accepted():
    validate_password("Vessel-gantry-harbour-42", user=UserFactory.build(username="alice"))


def _logged_in(client, alice):
    assert _post_login(client, reverse("web:login"), "alice", PASSWORD, "10.0.0.4").status_code == 302
    return client


def _age_session(client, *, auth_age: float, idle_age: float) -> None:
    session = client.session
    now = time.time()
    session[SESSION_AUTH_TIME] = now - auth_age
    session[SESSION_LAST_SEEN] = now - idle_age
    session.save()


def test_active_session_within_limits_is_kept(client, alice, settings):
    MembershipFactory(user=alice)  # the dashboard is for members of an organisation
    _logged_in(client, alice)
    _age_session(client, auth_age=settings.SESSION_ABSOLUTE_TIMEOUT - 60, idle_age=settings.SESSION_IDLE_TIMEOUT - 60)
    assert client.get(reverse("web:dashboard")).status_code == 200


def test_idle_session_is_logged_out(client, alice, settings):
    _logged_in(client, alice)
    _age_session(client, auth_age=60, idle_age=settings.SESSION_IDLE_TIMEOUT + 1)
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.session_expired.idle", actor=alice).exists()


def test_session_is_logged_out_after_absolute_timeout_despite_activity(client, alice, settings):
    _logged_in(client, alice)
    _age_session(client, auth_age=settings.SESSION_ABSOLUTE_TIMEOUT + 1, idle_age=5)
    response = client.get("/api/v1/health/", HTTP_ACCEPT="application/json")
    assert client.get(reverse("web:dashboard")).status_code == 302
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 401, 503)
    assert AuditEvent.objects.filter(action="auth.session_expired.absolute").exists()


def test_expired_api_session_gets_json_401(client, alice, settings):
    _logged_in(client, alice)
    _age_session(client, auth_age=60, idle_age=settings.SESSION_IDLE_TIMEOUT + 1)
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "session_expired"


def test_session_cookie_is_httponly_and_samesite(client, alice):
    response = _post_login(client, reverse("web:login"), "alice", PASSWORD, "10.0.0.5")
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
