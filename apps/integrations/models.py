"""Webhook endpoints (an organisation's HTTPS receivers and the events they want) and their deliveries."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.common.models import TimeStampedModel

from .choices import DeliveryStatus, EventType


class WebhookEndpoint(TimeStampedModel):
    """An HTTPS endpoint of one organisation subscribed to some event types, with optional filters (site ids,
    equipment categories, statuses: empty means any). Deliveries are signed with `secret` (a Standard Webhooks
    `whsec_` base64 secret); after a rotation `previous_secret` also signs until `previous_secret_expires_at`,
    so receivers can switch without losing a message. Disabled by an admin or automatically after
    `settings.WEBHOOK_DISABLE_AFTER_FAILURES` deliveries failed in a row (`disabled_reason` says which)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE,
                                      related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list, help_text="Event type names; empty: none.")
    filter_site_ids = models.JSONField(default=list, blank=True)
    filter_categories = models.JSONField(default=list, blank=True)
    filter_statuses = models.JSONField(default=list, blank=True)
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["organization_id", "id"]
        indexes = [models.Index(fields=["organization", "enabled"])]

    def __str__(self) -> str:
        return self.description or self.url

    def secrets_in_force(self, now) -> list[str]:
        """The secrets a delivery is signed with now: the current one, and the previous during its grace."""
        found = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            found.append(self.previous_secret)
        return found


class WebhookDelivery(models.Model):
    """One message to one endpoint, with its attempts summed up: `message_id` is the Standard Webhooks
    `webhook-id` header, the receiver's idempotency key (the same on every retry and on a manual redelivery).
    The request body is `payload` exactly as sent (canonical JSON)."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    message_id = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set while an attempt is on the wire (no row lock is held during the HTTP request): another attempt of the
    # same delivery leaves it until then; a worker that died mid-request frees it when it passes.
    claimed_until = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"]),
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["status", "next_attempt_at"]),
        ]
        constraints = [models.UniqueConstraint(fields=["endpoint", "message_id"], name="webhookdelivery_message_uniq")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"
