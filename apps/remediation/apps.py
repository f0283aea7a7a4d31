import logging

from django.apps import AppConfig

logger = logging.getLogger(__name__)


class RemediationConfig(AppConfig):
    name = "apps.remediation"
    label = "remediation"

    def ready(self) -> None:
        # Re-evaluate plans when screening changes a vendor's findings (called on commit by screening).
        try:
            from apps.screening.services import screening_changed_hook_register
        except ImportError:
            logger.warning("apps.screening.services.screening_changed_hook_register not available; "
                           "remediation will not re-evaluate on screening changes")
            return
        from .services import on_screening_changed

        screening_changed_hook_register(on_screening_changed)
