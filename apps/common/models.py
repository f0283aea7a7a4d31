"""Base models shared by every app."""
from django.db import models


class TimeStampedModel(models.Model):
    """Adds created/updated timestamps, set by the database layer on save."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyModel(models.Model):
    """Rows written once and never changed or deleted through the ORM (evidence, audit events): a save of a stored
    row or a delete raises. `append_only = True` also makes apps.audit's `audit_grants` give the app's database
    role SELECT and INSERT only on the table; triggers in the migrations refuse the rest in SQL."""

    append_only = True
    append_only_noun = "These rows"  # "Data call answers", "Audit events": the start of the refusal

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise RuntimeError(f"{self.append_only_noun} are append-only: never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError(f"{self.append_only_noun} are append-only: never deleted.")
