"""django-axes' lockout check as an authentication backend that tolerates calls without a request.

Every login form (admin and web) passes the request, so lockout applies to both. `authenticate()` without a
request (management commands, the test client's `login()`) cannot be keyed on an IP and is not a network
login path, so it is left to the next backend instead of raising."""
from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request) -> str:
    """The client address used for lockout keys: REMOTE_ADDR (set it right at the proxy, see operations.md)."""
    return request.META.get("REMOTE_ADDR", "") or ""
