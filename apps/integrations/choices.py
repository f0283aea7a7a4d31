"""The event types an organisation can subscribe a webhook endpoint to, and delivery statuses."""
from django.db import models


class EventType(models.TextChoices):
    FINDING_OPENED = "finding.opened", "Finding opened"
    FINDING_CLOSED = "finding.closed", "Finding closed"
    FINDING_STATUS_CHANGED = "finding.status_changed", "Finding status changed"
    UNIT_STATUS_CHANGED = "unit.status_changed", "Unit risk status changed"
    PLAN_CREATED = "plan.created", "Remediation plan created"
    PLAN_OVERDUE = "plan.overdue", "Remediation plan overdue"
    PLAN_CLOSED = "plan.closed", "Remediation plan closed"
    WAIVER_REQUESTED = "waiver.requested", "Waiver requested"
    WAIVER_DECIDED = "waiver.decided", "Waiver decided"
    WAIVER_EXPIRING = "waiver.expiring", "Waiver expiring"
    LIST_VERSION_ACTIVATED = "list_version.activated", "List version activated"
    LIST_VERSION_QUARANTINED = "list_version.quarantined", "List version quarantined"
    LIST_VERSION_STALE = "list_version.stale", "List stale"
    DATA_CALL_ANSWERED = "data_call.answered", "Data call answered"
    DATA_CALL_OVERDUE = "data_call.overdue", "Data call overdue"
    PING = "webhook.ping", "Test ping"


# The types an endpoint may subscribe to (the ping is sent on request only).
SUBSCRIBABLE = [c for c in EventType if c != EventType.PING]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"  # every attempt failed, or a refusal that no retry can fix
