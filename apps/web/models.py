"""State of an import between its upload, its dry run and its commit (the file itself stays on disk under
MEDIA_ROOT/imports/, outside the served media, and is deleted after the commit)."""
from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models


def _token() -> str:
    return secrets.token_urlsafe(18)


class ImportJob(models.Model):
    """One uploaded file on its way into the inventory. The token in URLs is unguessable; views also check
    the organisation."""

    class Status(models.TextChoices):
        VALIDATING = "validating", "Checking rows"
        VALID = "valid", "Ready to import"
        INVALID = "invalid", "Has errors"
        COMMITTING = "committing", "Saving"
        COMMITTED = "committed", "Imported"
        FAILED = "failed", "Failed"

    token = models.CharField(max_length=32, unique=True, default=_token)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=16)
    fmt = models.CharField(max_length=8)
    filename = models.CharField(max_length=255)
    path = models.CharField(max_length=500)
    size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.VALIDATING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} import {self.filename} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status in (self.Status.VALID, self.Status.INVALID, self.Status.COMMITTED):
            return 100
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    @property
    def running(self) -> bool:
        return self.status in (self.Status.VALIDATING, self.Status.COMMITTING)
