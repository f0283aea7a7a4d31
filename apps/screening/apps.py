from django.apps import AppConfig


def on_vendors_changed(vendor_ids: set[int]) -> None:
    """Vendor, alias, identifier, ownership or OEM change: re-screen those vendors and their descendants in a
    task queued on commit (a broker outage keeps it in the outbox; the nightly run catches up anyway)."""
    from apps.common.tasks import enqueue_on_commit

    from .tasks import screen_vendors

    if vendor_ids:
        enqueue_on_commit(screen_vendors, sorted(vendor_ids))


def on_equipment_changed(equipment_ids: set[int]) -> None:
    """A unit was recorded, or its product model, category or components changed: its risk status now, in the
    same transaction (the officer sees it on the next page; the 15-minute catch-up would be late)."""
    from .services import equipment_risk_refresh_units

    equipment_risk_refresh_units(equipment_ids)


def on_list_version_activated(version_id: int) -> None:
    """A list version became active: screen its added/changed entries, close removed ones, in a task."""
    from apps.common.tasks import enqueue_on_commit

    from .tasks import screen_list_version

    enqueue_on_commit(screen_list_version, version_id)


class ScreeningConfig(AppConfig):
    name = "apps.screening"
    label = "screening"

    def ready(self) -> None:
        from apps.inventory.services import equipment_change_hook_register
        from apps.lists.services import list_version_activated_hook_register
        from apps.vendors.services import vendor_change_hook_register

        vendor_change_hook_register(on_vendors_changed)
        equipment_change_hook_register(on_equipment_changed)
        list_version_activated_hook_register(on_list_version_activated)
