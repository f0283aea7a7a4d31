"""API tokens: one user may hold several, each stored only as a hash, optionally expiring, revocable."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """A personal API token. The key is shown once at creation; only its SHA-256 is stored (the key is
    256 random bits, so a fast hash is enough: there is nothing to brute-force)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for (script, tool).")
    prefix = models.CharField(max_length=12, db_index=True, help_text="First characters of the key, to tell "
                              "tokens apart; not secret.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    purpose = models.CharField(
        max_length=16, choices=[("", "General"), ("curate", "Curator work (short-lived)")], default="", blank=True,
        help_text="A curator token carries the curator's powers (apps.accounts.policies); it is created only from a "
                  "session verified by the second factor and lives API_CURATOR_TOKEN_HOURS.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    def is_usable(self, *, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
