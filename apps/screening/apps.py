from django.apps import AppConfig

from apps.common import events
from apps.security.enqueue import enqueue_on_commit


def on_vendors_changed(event: events.VendorsChanged) -> None:
    """Vendor, alias, identifier, ownership or OEM change: re-screen those vendors and their descendants in a
    task (a broker outage keeps it in the outbox; the nightly run catches up anyway)."""
    if event.vendor_ids:
        enqueue_on_commit("apps.screening.tasks.screen_vendors", sorted(event.vendor_ids))


def on_own_view_changed(event: events.OwnViewChanged) -> None:
    """A pending proposal applied to an organisation's own view came, went or was toggled: re-derive that view
    in a task."""
    enqueue_on_commit("apps.screening.tasks.screen_organization_view", event.organization_id,
                      sorted(event.vendor_ids))


def on_equipment_changed(event: events.EquipmentChanged) -> None:
    """A unit was recorded, or its product model, category or components changed: its risk status now, in the
    same transaction (the officer sees it on the next page; the 15-minute catch-up would be late)."""
    from .services import equipment_risk_refresh_units

    equipment_risk_refresh_units(set(event.equipment_ids))


def on_equipment_imported(event: events.EquipmentImported) -> None:
    """An import committed units in bulk: their risk status at once (bulk UPDATEs grouped by product model).
    New vendors are screened through VendorsChanged."""
    from .services import equipment_risk_refresh

    equipment_risk_refresh()


def on_list_version_activated(event: events.ListVersionActivated) -> None:
    """A list version became active: screen its added/changed entries, close removed ones, in a task."""
    enqueue_on_commit("apps.screening.tasks.screen_list_version", event.version_id)


class ScreeningConfig(AppConfig):
    name = "apps.screening"
    label = "screening"

    def ready(self) -> None:
        events.subscribe(events.VendorsChanged, on_vendors_changed)
        events.subscribe(events.EquipmentChanged, on_equipment_changed, phase=events.IN_TRANSACTION)
        events.subscribe(events.EquipmentImported, on_equipment_imported)
        events.subscribe(events.ListVersionActivated, on_list_version_activated)
        events.subscribe(events.OwnViewChanged, on_own_view_changed)
