from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "apps.web"
    label = "web"

    def ready(self) -> None:
        from apps.inventory.services import equipment_change_hook_register

        from .selectors import organization_vendor_ids_changed

        equipment_change_hook_register(organization_vendor_ids_changed)
