"""Rows the security plumbing needs: atomic rate-limit counters (when no Redis) and the task outbox."""
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
