"""Rows the security plumbing needs: atomic rate-limit counters (when no Redis), open windows of repeated
authorisation failures, and the task outbox."""
from django.conf import settings
from django.db import models


class RateCounter(models.Model):
    """One fixed-window counter. Incremented with a single INSERT ... ON CONFLICT DO UPDATE ... RETURNING,
    so concurrent requests never lose an increment (no read-modify-write). Expired rows are purged by
    `outbox_flush`'s periodic run."""

    key = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}={self.count}"


class DenialWindow(models.Model):
    """Repeated authorisation failures of one subject (a signed-in user, or the IP of an anonymous caller) on one
    kind of request (status, method, URL name), while the window is open.

    The first failure is chained as usual (`authz.denied`, id in `first_event_id`); the following ones only
    increment `count` (one atomic INSERT ... ON CONFLICT DO UPDATE, apps.security.denials). When the window has
    closed, the next failure of the same kind or the periodic flush chains one `authz.denied.repeated` event
    with the exact count and deletes the row. Until then this row is the only evidence of those failures, so
    it lives in the database beside the chain, never in the cache (which may be down, evicted or flushed)."""

    key = models.CharField(max_length=64, unique=True, help_text="sha256 of subject and kind.")
    subject = models.CharField(max_length=100)
    kind = models.CharField(max_length=300)
    # Like AuditEvent.actor: no database constraint, so deleting the user does not touch this row.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+",
    )
    actor_repr = models.CharField(max_length=150, blank=True)
    status = models.PositiveSmallIntegerField()
    method = models.CharField(max_length=16)
    ip = models.GenericIPAddressField(null=True, blank=True)
    last_ip = models.GenericIPAddressField(null=True, blank=True)
    first_path = models.CharField(max_length=500)
    last_path = models.CharField(max_length=500)
    last_request_id = models.CharField(max_length=64, blank=True)
    first_event_id = models.BigIntegerField(null=True, blank=True)
    count = models.PositiveIntegerField(default=0, help_text="Failures after the first one (not chained yet).")
    opened_at = models.DateTimeField()
    last_at = models.DateTimeField()
    closes_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.subject} {self.kind}: 1+{self.count}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboxJob(models.Model):
    """A task that could not be handed to the broker (broker down) when its transaction committed.

    `apps.security.enqueue.enqueue_on_commit` writes it; the periodic `security.outbox_flush` task (and the
    `outbox_flush` management command) re-sends it once the broker answers. Nothing committed is lost.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "id"])]

    def __str__(self) -> str:
        return f"{self.task_name} ({self.status})"
