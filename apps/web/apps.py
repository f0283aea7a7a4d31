from django.apps import AppConfig

from apps.common import events


class WebConfig(AppConfig):
    name = "apps.web"
    label = "web"

    def ready(self) -> None:
        from .caches import sites_changed, vendors_changed
        from .selectors import organization_vendor_ids_changed

        # In the writing transaction: the units' organisations are read before a delete removes them.
        events.subscribe(events.EquipmentChanged, organization_vendor_ids_changed, phase=events.IN_TRANSACTION)
        # After the commit: the per-organisation page caches (apps.web.caches) compute again.
        events.subscribe(events.SitesChanged, sites_changed)
        events.subscribe(events.VendorsChanged, vendors_changed)
