from django.apps import AppConfig

from apps.common import events


class RemediationConfig(AppConfig):
    name = "apps.remediation"
    label = "remediation"

    def ready(self) -> None:
        from .services import (
            on_equipment_changed,
            on_equipment_imported,
            on_proposal_accepted,
            on_proposal_accepted_before,
            on_screening_changed,
        )

        # Plans follow findings (screening), units written one by one (in the same transaction as their risk
        # status) and imports (right after their risk status). Subscribed after screening (INSTALLED_APPS
        # order), so the risk statuses are written before the evaluation reads the findings.
        events.subscribe(events.ScreeningChanged, on_screening_changed)
        events.subscribe(events.EquipmentChanged, on_equipment_changed, phase=events.IN_TRANSACTION)
        events.subscribe(events.EquipmentImported, on_equipment_imported)
        # An accepted change proposal: "before" now, in the accepting transaction; "after" in a task.
        events.subscribe(events.ProposalAccepted, on_proposal_accepted_before, phase=events.IN_TRANSACTION)
        events.subscribe(events.ProposalAccepted, on_proposal_accepted)
