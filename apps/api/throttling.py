"""Throttling per token (or per user for session requests), counted in the cache."""
from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from apps.common.cache import FailOpenCache

from .models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """`API_THROTTLE_RATE` requests per token; session users are counted per user.

    The history is read and written through `FailOpenCache` (apps.common.cache): with the cache down the
    throttle lets requests through and the cache module logs it, rather than answering 500 to every API call.
    The trade-off is deliberate: while Redis is down the per-token rate is not enforced (the API still needs
    an authenticated member; login lockout and the security rate limits do not depend on the cache)."""

    scope = "token"
    cache = FailOpenCache()

    def get_rate(self):
        return getattr(settings, "API_THROTTLE_RATE", "1200/minute")

    def allow_request(self, request, view):
        self.rate = self.get_rate()  # read on every request so settings overrides apply
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
