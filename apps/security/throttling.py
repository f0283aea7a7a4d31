"""The API's throttle, on the registry's one rate limiter (`apps.security.ratelimit.rate_limit_hit`: atomic
fixed windows in Redis, in the database while Redis is down).

DRF's own SimpleRateThrottle keeps a list in the cache and writes it back (read-modify-write), so under
concurrent requests it lets more through than the rate, and with the cache down it enforces nothing; this one
does neither. Login lockout (django-axes) is a different control, not a rate limit.
"""
from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from .ratelimit import rate_limit_hit, rate_parse


class ApiRateThrottle(BaseThrottle):
    """`API_THROTTLE_RATE` requests per user, whatever the number of API tokens or sessions the user has (so
    minting more tokens buys no more requests); anonymous requests per client IP."""

    scope = "api"

    def allow_request(self, request, view) -> bool:
        limit, window = rate_parse(getattr(settings, "API_THROTTLE_RATE", "1200/minute"))
        user = getattr(request, "user", None)
        ident = f"user:{user.pk}" if user is not None and user.is_authenticated else f"ip:{self.get_ident(request)}"
        decision = rate_limit_hit(f"{self.scope}:{ident}", limit=limit, window=window)
        self._retry_after = decision.retry_after
        return decision.allowed

    def wait(self) -> float | None:
        return getattr(self, "_retry_after", None)
