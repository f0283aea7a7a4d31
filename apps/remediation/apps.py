from django.apps import AppConfig


class RemediationConfig(AppConfig):
    name = "apps.remediation"
    label = "remediation"

    def ready(self) -> None:
        # Re-evaluate plans when screening changes a vendor's findings (called on commit by screening).
        # No ImportError fallback: without this hook plans would silently stop following findings.
        from apps.screening.services import screening_changed_hook_register

        from .services import on_screening_changed

        screening_changed_hook_register(on_screening_changed)
