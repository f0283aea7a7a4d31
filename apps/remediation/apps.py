from django.apps import AppConfig

from apps.common import events


class RemediationConfig(AppConfig):
    name = "apps.remediation"
    label = "remediation"

    def ready(self) -> None:
        from .services import on_proposal_accepted, on_proposal_accepted_before, on_screening_changed

        # Plans follow findings (screening) and new units (imports). Subscribed after screening (INSTALLED_APPS
        # order), so an import's risk statuses are written before the evaluation is enqueued.
        events.subscribe(events.ScreeningChanged, on_screening_changed)
        events.subscribe(events.EquipmentImported, on_screening_changed)
        # An accepted change proposal: "before" now, in the accepting transaction; "after" in a task.
        events.subscribe(events.ProposalAccepted, on_proposal_accepted_before, phase=events.IN_TRANSACTION)
        events.subscribe(events.ProposalAccepted, on_proposal_accepted)
