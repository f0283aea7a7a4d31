from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """Security plumbing: login/authorisation audit, rate limits, upload checks, the task outbox."""

    name = "apps.security"
    label = "security"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the authentication audit receivers)
