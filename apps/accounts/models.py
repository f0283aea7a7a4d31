"""Users, organisations and the memberships that give a user a role in an organisation."""
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from apps.common.models import TimeStampedModel

from .choices import LegalKind, OrganizationKind, Role


class User(AbstractUser):
    """The registry's user. Custom from the first migration so fields can be added later without pain."""

    class Meta:
        db_table = "accounts_user"

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Organization(TimeStampedModel):
    """An agency, port authority, airport operator or ministry that owns sites and equipment.

    Its profile (jurisdiction, legal kinds, own remediation target) decides which rules bind it
    (apps.remediation); every change of it is kept in the history and the audit chain.
    """

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=32, choices=OrganizationKind.choices, default=OrganizationKind.AGENCY)
    country = CountryField(blank=True)
    subdivision = models.CharField(
        max_length=6, blank=True,
        help_text="State or territory: the ISO 3166-2 part after the country, e.g. 'CA' (California), 'ACT'.")
    legal_kinds = models.JSONField(
        default=list, blank=True,
        help_text="What the organisation is in law (several may apply): " + ", ".join(LegalKind.values) + ".")
    remediation_target_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="The organisation's own target for dealing with a flagged unit when no law sets a date "
                  "(days after the unit is flagged); empty: the rule's own period.")
    is_demo = models.BooleanField(default=False, help_text="Created by load_demo; safe to delete.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        kinds = self.legal_kinds
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            errors["legal_kinds"] = "Give a list of legal kinds."
        else:
            bad = [k for k in kinds if k not in LegalKind.values]
            if bad:
                errors["legal_kinds"] = f"Unknown legal kind(s) {', '.join(map(repr, bad))}."
            self.legal_kinds = sorted(set(kinds))
        sub = (self.subdivision or "").strip().upper()
        if sub and not (sub.isalnum() and 1 <= len(sub) <= 3):
            errors["subdivision"] = "Give the ISO 3166-2 subdivision code without the country, e.g. 'CA' or 'ACT'."
        if sub and not self.country:
            errors["subdivision"] = "Give the country first."
        self.subdivision = sub
        if errors:
            raise ValidationError(errors)


class Membership(TimeStampedModel):
    """A user's role in one organisation. A user may belong to several organisations."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique_user_org"),
        ]
        indexes = [models.Index(fields=["organization", "role"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"


class Curator(models.Model):
    """A registry-wide role for the shared reference data (public list decisions, registry-wide rules, shared
    vendor facts). Distinct from Django's staff flag; granted and withdrawn by a superuser in the admin, and
    usable only with a verified second factor (apps.accounts.policies)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="curator")
    granted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=200, blank=True, help_text="Why this person curates (team, mandate).")
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Curator {self.user}"
