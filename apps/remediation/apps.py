from django.apps import AppConfig

from apps.common import events


class RemediationConfig(AppConfig):
    name = "apps.remediation"
    label = "remediation"

    def ready(self) -> None:
        from .services import on_screening_changed

        # Plans follow findings (screening) and new units (imports). Subscribed after screening (INSTALLED_APPS
        # order), so an import's risk statuses are written before the evaluation is enqueued.
        events.subscribe(events.ScreeningChanged, on_screening_changed)
        events.subscribe(events.EquipmentImported, on_screening_changed)
