"""Password spraying (one password over many usernames from one address) meets an IP-wide limit on the web and
admin logins, while the per-username + IP lockout stays as it is (ASVS 2.2.1; apps.security.backends)."""
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
LOGINS = ["web:login", "admin:login"]


@pytest.fixture
def users(db):
    made = []
    for name in ("alice", "bob", "carol", "dave"):
        user = UserFactory(username=name, is_staff=True)
        user.save()  # UserFactory sets the password without saving it
        made.append(user)
    return made


@pytest.fixture
def ip_limit(settings):
    settings.SECURITY_LOGIN_IP_FAILURES = 6  # below 3 users x AXES_FAILURE_LIMIT (5): no single user locks first
    assert settings.AXES_FAILURE_LIMIT == 5
    return 6


def _post(client, url, username, password, ip):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _spray(client, url, ip, n):
    """n failures round-robin over alice, bob, carol: two each for n=6, none near the per-user limit."""
    return [_post(client, url, ("alice", "bob", "carol")[i % 3], "Spring2026!", ip).status_code for i in range(n)]


@pytest.mark.parametrize("url_name", LOGINS)
def test_password_spraying_from_one_ip_is_locked_at_the_threshold(client, users, ip_limit, url_name):
    url = reverse(url_name)
    statuses = _spray(client, url, "203.0.113.5", ip_limit)
    assert statuses == [200] * (ip_limit - 1) + [429]  # the failure reaching the limit gets the lockout answer
    assert AccessAttempt.objects.filter(ip_address="203.0.113.5").count() == 3  # one row per username, none locked
    # further attempts from that address are refused, right password or not, known username or not
    assert _post(client, url, "alice", PASSWORD, "203.0.113.5").status_code == 429
    assert _post(client, url, "dave", PASSWORD, "203.0.113.5").status_code == 429
    assert "_auth_user_id" not in client.session
    # another address still logs in
    assert _post(client, url, "alice", PASSWORD, "203.0.113.6").status_code == 302
    locked = AuditEvent.objects.filter(action="auth.login_failed", ip="203.0.113.5").order_by("id")
    assert [e.changes["locked_out"] for e in locked][ip_limit - 1:] == [True, True, True]


@pytest.mark.parametrize("url_name", LOGINS)
def test_per_user_lockout_is_unchanged(client, users, settings, url_name):
    assert settings.SECURITY_LOGIN_IP_FAILURES == 50
    url = reverse(url_name)
    statuses = [_post(client, url, "alice", "wrong-password", "203.0.113.7").status_code for _ in range(5)]
    assert statuses == [200] * 4 + [429]
    assert _post(client, url, "alice", PASSWORD, "203.0.113.7").status_code == 429
    # that user from another address, and another user from that address, still log in
    assert _post(client, url, "alice", PASSWORD, "203.0.113.8").status_code == 302
    client.logout()
    assert _post(client, url, "bob", PASSWORD, "203.0.113.7").status_code == 302


def test_a_successful_login_does_not_reset_the_address_count(client, users, ip_limit):
    """The attacker's own account logging in resets only its own failures, not the address's."""
    url = reverse("web:login")
    assert _spray(client, url, "203.0.113.9", ip_limit - 2) == [200] * (ip_limit - 2)
    assert _post(client, url, "dave", "typo", "203.0.113.9").status_code == 200
    assert _post(client, url, "dave", PASSWORD, "203.0.113.9").status_code == 302  # dave's one failure reset
    client.logout()
    assert _spray(client, url, "203.0.113.9", 2) == [200, 429]


def test_failures_older_than_the_window_no_longer_count(client, users, ip_limit, settings):
    url = reverse("web:login")
    _spray(client, url, "203.0.113.10", ip_limit)
    assert _post(client, url, "alice", PASSWORD, "203.0.113.10").status_code == 429
    old = timezone.now() - timedelta(minutes=settings.SECURITY_LOGIN_IP_WINDOW_MINUTES, seconds=1)
    AccessAttempt.objects.filter(ip_address="203.0.113.10").update(attempt_time=old)
    assert _post(client, url, "alice", PASSWORD, "203.0.113.10").status_code == 302


def test_ip_limit_zero_turns_it_off(client, users, settings):
    settings.SECURITY_LOGIN_IP_FAILURES = 0
    url = reverse("web:login")
    assert _spray(client, url, "203.0.113.11", 12) == [200] * 12  # four per user: below the per-user limit
    assert _post(client, url, "dave", PASSWORD, "203.0.113.11").status_code == 302


def test_whitelisted_address_is_exempt(client, users, ip_limit, settings):
    settings.AXES_NEVER_LOCKOUT_WHITELIST = True
    settings.AXES_IP_WHITELIST = ["203.0.113.12"]
    url = reverse("web:login")
    assert _spray(client, url, "203.0.113.12", ip_limit + 2) == [200] * (ip_limit + 2)
    assert _post(client, url, "alice", PASSWORD, "203.0.113.12").status_code == 302


def test_window_longer_than_the_cooloff_is_refused_at_start_up():
    """axes deletes its rows one cool-off after their latest failure: a longer window could not be counted."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "DEBUG": "true", "AXES_COOLOFF_MINUTES": "15", "SECURITY_LOGIN_IP_WINDOW_MINUTES": "16"}
    result = subprocess.run([sys.executable, "-c", "import vendorrisk.settings"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0 and "SECURITY_LOGIN_IP_WINDOW_MINUTES must be between" in result.stderr
