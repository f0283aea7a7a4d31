"""DRF throttles backed by `rate_limit_hit` (atomic counters), for the API to use.

    REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
        "apps.security.throttling.AtomicAnonRateThrottle",
        "apps.security.throttling.AtomicUserRateThrottle",
    ]
    REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"anon": "60/m", "user": "1200/m"}

or per view: `throttle_classes = [AtomicScopedRateThrottle]` with `throttle_scope = "exports"`.
DRF's own SimpleRateThrottle keeps a list in the cache and writes it back (read-modify-write), so under
concurrent requests it lets more through than the rate; these do not.
"""
from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from .ratelimit import rate_limit_hit, rate_parse


class AtomicRateThrottle(BaseThrottle):
    """Fixed-window throttle. Subclasses say the scope and how to identify the client."""

    scope: str = ""

    def get_rate(self, view) -> str | None:
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        return rates.get(self.get_scope(view))

    def get_scope(self, view) -> str:
        return self.scope

    def get_ident_key(self, request, view) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        rate = self.get_rate(view)
        ident = self.get_ident_key(request, view)
        if not rate or ident is None:
            return True
        limit, window = rate_parse(rate)
        decision = rate_limit_hit(f"{self.get_scope(view)}:{ident}", limit=limit, window=window)
        self._retry_after = decision.retry_after
        return decision.allowed

    def wait(self) -> float | None:
        return getattr(self, "_retry_after", None)


class AtomicAnonRateThrottle(AtomicRateThrottle):
    scope = "anon"

    def get_ident_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return f"ip:{self.get_ident(request)}"


class AtomicUserRateThrottle(AtomicRateThrottle):
    scope = "user"

    def get_ident_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return f"ip:{self.get_ident(request)}"


class AtomicScopedRateThrottle(AtomicRateThrottle):
    """Uses the view's `throttle_scope`; views without one are not throttled by this class."""

    def get_scope(self, view) -> str:
        return getattr(view, "throttle_scope", "") or ""

    def get_ident_key(self, request, view):
        if not self.get_scope(view):
            return None
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return f"ip:{self.get_ident(request)}"
