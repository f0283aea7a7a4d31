from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = "Integrations (webhooks)"

    def ready(self) -> None:
        from .services import connect_event_handlers

        connect_event_handlers()
