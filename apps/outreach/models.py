"""Data calls to suppliers and site managers, their one-time answer links, and the signed answers (append-only
evidence: the database refuses UPDATE and DELETE on answers, migration 0002)."""
from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from simple_history.models import HistoricalRecords

from apps.common.choices import RiskStatus
from apps.common.models import AppendOnlyModel, TimeStampedModel

from .choices import DataCallState, DataCallStatus, DataCallTemplate, DeclaredFindingStatus, QuestionKind, RecipientKind


class DataCallQuerySet(models.QuerySet):
    def with_status(self, day: dt.date) -> DataCallQuerySet:
        """Annotate `status_on` (a DataCallStatus) as it was or is on `day`: an answered call whose answer came
        after `day` was still pending (or overdue) then."""
        answered = Q(state=DataCallState.ANSWERED, answered_at__date__lte=day)
        return self.annotate(status_on=Case(
            When(state=DataCallState.CANCELLED, cancelled_at__date__lte=day, then=Value(DataCallStatus.CANCELLED)),
            When(answered & Q(valid_until__lt=day), then=Value(DataCallStatus.EXPIRED)),
            When(answered, then=Value(DataCallStatus.ANSWERED)),
            When(due_date__lt=day, then=Value(DataCallStatus.OVERDUE)),
            default=Value(DataCallStatus.PENDING), output_field=models.CharField()))

    def overdue(self, day: dt.date) -> DataCallQuerySet:
        return self.filter(state=DataCallState.SENT, due_date__lt=day)

    def renewal_due(self, day: dt.date, days_before: int) -> DataCallQuerySet:
        """Answered representations whose validity ends within `days_before` days and not re-requested yet."""
        return self.filter(state=DataCallState.ANSWERED, valid_until__lte=day + dt.timedelta(days=days_before),
                           renewals__isnull=True)


class DataCall(TimeStampedModel):
    """A questionnaire sent to a supplier (a registry vendor, with the contact e-mail given here: vendors are
    shared data without contacts) or to a site manager, from a template (question_sets.py). The recipient
    answers once through a link that needs no account (DataCallToken). A representation holds `validity_days`
    from its signature (`valid_until`) and is re-requested before then (`renewal_of` on the new call)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    template = models.CharField(max_length=32, choices=DataCallTemplate.choices)
    title = models.CharField(max_length=200)
    message = models.TextField(blank=True, help_text="A note to the recipient, shown above the questions.")
    recipient_kind = models.CharField(max_length=16, choices=RecipientKind.choices)
    vendor = models.ForeignKey("vendors.Vendor", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               help_text="The supplier asked (recipient kind vendor).")
    site = models.ForeignKey("inventory.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             help_text="The site whose manager is asked (recipient kind site manager).")
    product_model = models.ForeignKey("inventory.ProductModel", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", help_text="The product model a component declaration is about.")
    equipment = models.ManyToManyField("inventory.Equipment", blank=True, related_name="+",
                                       help_text="The units the call is about: a 'yes' on a covered-equipment "
                                                 "question opens a finding on them.")
    recipient_name = models.CharField(max_length=200, blank=True)
    recipient_email = models.EmailField()
    due_date = models.DateField()
    validity_days = models.PositiveIntegerField(help_text="How long a signed answer holds before it is re-requested.")
    state = models.CharField(max_length=16, choices=DataCallState.choices, default=DataCallState.SENT)
    sent_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, help_text="Last overdue reminder (once per call).")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    renewal_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="renewals")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = DataCallQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["organization", "state", "due_date"]),
                   models.Index(fields=["organization", "vendor"])]
        constraints = [
            models.CheckConstraint(name="datacall_recipient_target", condition=(
                Q(recipient_kind=RecipientKind.VENDOR, vendor__isnull=False)
                | Q(recipient_kind=RecipientKind.SITE_MANAGER, site__isnull=False))),
            models.CheckConstraint(name="datacall_answered_dated", condition=(
                ~Q(state=DataCallState.ANSWERED) | Q(answered_at__isnull=False, valid_until__isnull=False))),
            models.CheckConstraint(name="datacall_cancelled_dated", condition=(
                ~Q(state=DataCallState.CANCELLED) | Q(cancelled_at__isnull=False))),
        ]

    def __str__(self) -> str:
        return f"Data call {self.pk}: {self.title}"

    def policy_organization(self) -> int:
        return self.organization_id

    def status_on(self, day: dt.date) -> str:
        """The same rule as DataCallQuerySet.with_status, for one loaded call."""
        if self.state == DataCallState.CANCELLED and self.cancelled_at and self.cancelled_at.date() <= day:
            return DataCallStatus.CANCELLED
        if self.state == DataCallState.ANSWERED and self.answered_at and self.answered_at.date() <= day:
            return DataCallStatus.EXPIRED if self.valid_until and self.valid_until < day else DataCallStatus.ANSWERED
        return DataCallStatus.OVERDUE if self.due_date < day else DataCallStatus.PENDING


class DataCallQuestion(models.Model):
    """One question of a call, copied from the template (or written by the officer for custom questions) when
    the call is created, so later edits of a template never change what was asked. Never changed after."""

    data_call = models.ForeignKey(DataCall, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    code = models.SlugField(max_length=40)
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    text = models.TextField()
    help = models.TextField(blank=True)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=True)
    covered = models.BooleanField(default=False, help_text="A 'yes' opens a finding on the call's units.")
    fact = models.CharField(max_length=24, blank=True, help_text="The registry fact the answer declares.")

    class Meta:
        ordering = ["data_call_id", "position"]
        constraints = [models.UniqueConstraint(fields=["data_call", "code"], name="datacallquestion_code_uniq"),
                       models.UniqueConstraint(fields=["data_call", "position"], name="datacallquestion_pos_uniq")]

    def __str__(self) -> str:
        return f"{self.code}: {self.text[:60]}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise RuntimeError("The questions of a data call are never changed after it is sent.")
        super().save(*args, **kwargs)


class DataCallToken(models.Model):
    """The answer link's secret, stored as its SHA-256 only (the link itself is in the e-mail, signed with
    django.core.signing). Single use (`used_at`), expiring (`expires_at`), revoked when a reminder sends a new
    link (`revoked_at`)."""

    data_call = models.ForeignKey(DataCall, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Link of data call {self.data_call_id} (expires {self.expires_at:%Y-%m-%d})"


class DataCallResponse(AppendOnlyModel):
    """The signed answer to a call: who signed (name, title, date), when, from where, and `sha256` of the
    canonical JSON of every answer (files by their own SHA-256) and the signature, also written to the audit
    chain. Append-only: never updated or deleted (model and database trigger)."""

    data_call = models.OneToOneField(DataCall, on_delete=models.PROTECT, related_name="response")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    token = models.OneToOneField(DataCallToken, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(max_length=200)
    signer_title = models.CharField(max_length=200)
    signed_on = models.DateField()
    submitted_at = models.DateTimeField(db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    proposal_ids = models.JSONField(default=list, blank=True,
                                    help_text="Change proposals made from the declared facts.")

    append_only_noun = "Data call answers (evidence)"

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"Answer to data call {self.data_call_id} signed by {self.signer_name}"


def answer_upload_to(instance: DataCallAnswer, filename: str) -> str:
    """A random name (never the uploader's) under data-calls/<call>/; the original name is kept in a field."""
    return f"data-calls/{instance.data_call_id}/{uuid.uuid4().hex}.{instance.file_extension or 'bin'}"


class DataCallAnswer(AppendOnlyModel):
    """The answer to one question: `value` (true/false, a choice, text, an ISO date) or a file checked by content
    like evidence uploads (apps.remediation.uploads), with its SHA-256. Append-only like the response."""

    response = models.ForeignKey(DataCallResponse, on_delete=models.PROTECT, related_name="answers")
    data_call = models.ForeignKey(DataCall, on_delete=models.PROTECT, related_name="+")
    question = models.ForeignKey(DataCallQuestion, on_delete=models.PROTECT, related_name="answers")
    value = models.JSONField(null=True, blank=True)
    file = models.FileField(upload_to=answer_upload_to, max_length=300, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    file_content_type = models.CharField(max_length=100, blank=True)
    file_extension = models.CharField(max_length=8, blank=True)
    file_size = models.PositiveIntegerField(null=True, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)

    append_only_noun = "Data call answers (evidence)"

    class Meta:
        ordering = ["response_id", "question__position"]
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="datacallanswer_once")]

    def __str__(self) -> str:
        return f"{self.question.code}: {self.file_name or self.value!r}"


class DeclaredFinding(TimeStampedModel):
    """A finding opened by a supplier's own "yes" on a covered-equipment question, on the units the call names,
    with that answer as its source. Screening's findings are derived from list matches and re-derived by every
    run, so a declaration is kept here, beside them; an officer closes it with a note once reviewed. While open, its
units carry `risk_status` through a declaration in apps.screening (UnitDeclaration), part of their risk status."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    data_call = models.ForeignKey(DataCall, on_delete=models.PROTECT, related_name="declared_findings")
    answer = models.ForeignKey(DataCallAnswer, on_delete=models.PROTECT, related_name="declared_findings")
    vendor = models.ForeignKey("vendors.Vendor", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    equipment = models.ManyToManyField("inventory.Equipment", blank=True, related_name="+")
    text = models.TextField()
    risk_status = models.CharField(max_length=16, choices=RiskStatus.choices, blank=True,
                                   help_text="The status the units take while it is open (question_sets."
                                             "covered_status_for); blank on findings opened before it counted.")
    status = models.CharField(max_length=8, choices=DeclaredFindingStatus.choices,
                              default=DeclaredFindingStatus.OPEN)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    close_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["organization", "status"])]
        constraints = [models.CheckConstraint(
            name="declaredfinding_closed_dated",
            condition=Q(status=DeclaredFindingStatus.OPEN, closed_at__isnull=True)
            | Q(status=DeclaredFindingStatus.CLOSED, closed_at__gte=F("opened_at")))]

    def __str__(self) -> str:
        return f"Declared finding {self.pk} ({self.status})"

    def policy_organization(self) -> int:
        return self.organization_id
