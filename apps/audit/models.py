"""Append-only audit events forming a keyed hash chain: each row carries the hash of the one before it."""
from django.conf import settings
from django.db import models

from apps.common.models import AppendOnlyModel


class AuditEvent(AppendOnlyModel):
    """Something a person or a job did: who, when, from where, to what, before and after.

    Rows are never updated or deleted (the model refuses it; on PostgreSQL a trigger refuses UPDATE and
    DELETE for every role, see migration 0003 and docs/security.md for the grants).
    `hash` = HMAC-SHA256 under the key `key_id` (held outside the database, settings.AUDIT_HMAC_KEYS) of
    prev_hash + canonical JSON of the row, so a changed or removed row breaks the chain and only the key holder
    can recompute it. `key_id` empty: a legacy row from before the keys, hash = plain sha256 (still verified,
    and counted by the verification so operators see how many remain; no new row is ever written unkeyed).
    Signed checkpoints outside the database (apps.audit.checkpoints) catch rows deleted from the end.
    """

    created_at = models.DateTimeField(db_index=True)
    # No database constraint and no cascade: deleting a user or an organisation must not rewrite (SET NULL)
    # audit rows - the trigger refuses any UPDATE, and the hash covers these ids. The id stays as recorded.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+",
    )
    actor_repr = models.CharField(max_length=150, blank=True)
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+",
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(max_length=32, blank=True, default="",
                              help_text="Id of the AUDIT_HMAC_KEYS key that signed the hash; empty: legacy sha256.")

    append_only_noun = "Audit events"

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["organization", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_repr or 'system'} {self.action} {self.object_repr}"
