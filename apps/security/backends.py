"""Login lockout: django-axes per username + IP, plus an IP-wide limit against password spraying.

* `LockoutBackend`: axes' lockout check as an authentication backend that tolerates calls without a request.
  Every login form (admin and web) passes the request, so lockout applies to both. `authenticate()` without a
  request (management commands, the test client's `login()`) cannot be keyed on an IP and is not a network
  login path, so it is left to the next backend instead of raising.
* `LockoutHandler` (AXES_HANDLER): axes' database handler with a second, IP-wide limit. axes compares one
  failure limit with the largest count of its lockout parameter alternatives, so `[["username", "ip_address"],
  "ip_address"]` would lock an IP after AXES_FAILURE_LIMIT (5) failures across all usernames - an office behind
  one address locked by five typos - and its reset on success deletes the rows of every alternative, so one
  good login (the attacker's own account) would wipe the failures of every username tried from that address.
  Instead the per-user lockout stays exactly as axes does it, and this handler adds: an IP with
  SECURITY_LOGIN_IP_FAILURES failed logins, over any usernames, within SECURITY_LOGIN_IP_WINDOW_MINUTES, is
  locked out too (the same 429 answer), counted from axes' own rows in the database.
"""
from __future__ import annotations

from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


class LockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request) -> str:
    """The client address used for lockout keys: REMOTE_ADDR (set it right at the proxy, see operations.md)."""
    return request.META.get("REMOTE_ADDR", "") or ""


def login_ip_failures(ip_address: str, *, now=None) -> int:
    """Failed logins from `ip_address` over every username within SECURITY_LOGIN_IP_WINDOW_MINUTES: the failures
    of axes' username + IP rows from that address whose latest failure is in the window (axes deletes a row one
    cool-off after its latest failure, and a successful login deletes only that user's row)."""
    window = timedelta(minutes=int(getattr(settings, "SECURITY_LOGIN_IP_WINDOW_MINUTES", 15)))
    since = (now or timezone.now()) - window
    total = AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start"))["total"]
    return int(total or 0)


def login_ip_locked(request) -> bool:
    """True when the request's address reached the IP-wide failure limit (0 disables it)."""
    limit = int(getattr(settings, "SECURITY_LOGIN_IP_FAILURES", 50))
    ip_address = getattr(request, "axes_ip_address", None) or client_ip(request)
    if limit <= 0 or not ip_address:
        return False
    return login_ip_failures(ip_address, now=getattr(request, "axes_attempt_time", None)) >= limit


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler (per username + IP, unchanged) plus the IP-wide limit.

    `is_locked` is what axes asks before the password is checked (LockoutBackend), so a locked address is
    refused whatever the username and password; `user_login_failed` locks the address on the failure that
    reaches the limit, as axes does for a user. Whitelisted addresses and users are exempt from both, as in axes."""

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return super().is_locked(request, credentials) or login_ip_locked(request)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False) or self.is_whitelisted(request, credentials):
            return
        if login_ip_locked(request):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send("axes", request=request, username=get_client_username(request, credentials),
                                 ip_address=request.axes_ip_address)
