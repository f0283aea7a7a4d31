"""Factories of apps.remediation. Rows only: remediation_evaluate decides plans from findings and rules, and the
plan/waiver services check transitions and four-eyes; use those to test the behaviour."""
import datetime as dt
import hashlib

import factory
from django.utils import timezone

from apps.remediation.choices import Action, NotificationKind, PlanStatus, WaiverStatus
from apps.remediation.models import (
    Digest,
    DigestDelivery,
    DigestItem,
    Evidence,
    FactChangeNotice,
    Notification,
    PlanStep,
    PolicyRule,
    ProjectionLine,
    ProjectionReport,
    RemediationPlan,
    Waiver,
)

from .accounts import OrganizationFactory, UserFactory
from .inventory import EquipmentFactory


class PolicyRuleFactory(factory.django.DjangoModelFactory):
    """An enabled finding rule for every organisation: replace within a year (a rule needs a deadline, a
    database constraint)."""

    class Meta:
        model = PolicyRule

    code = factory.Sequence(lambda n: f"test-rule-{n}")
    name = factory.Sequence(lambda n: f"Test rule {n}")
    citation = "Test s.1"
    action = Action.REPLACE
    deadline_days = 365


class RemediationPlanFactory(factory.django.DjangoModelFactory):
    """An open plan for `equipment`: its site, organisation and category follow the unit; action and version
    follow the rule; due today unless given."""

    class Meta:
        model = RemediationPlan

    equipment = factory.SubFactory(EquipmentFactory)
    site = factory.LazyAttribute(lambda o: o.equipment.site)
    organization = factory.LazyAttribute(lambda o: o.site.organization)
    category = factory.LazyAttribute(lambda o: o.equipment.category)
    rule = factory.SubFactory(PolicyRuleFactory)
    rule_version = factory.LazyAttribute(lambda o: o.rule.version)
    action = factory.LazyAttribute(lambda o: o.rule.action)
    status = PlanStatus.OPEN
    deadline = factory.LazyFunction(timezone.localdate)
    computed_deadline = factory.SelfAttribute("deadline")
    discovered_on = factory.LazyFunction(timezone.localdate)
    opened_at = factory.LazyFunction(timezone.now)


class PlanStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanStep

    plan = factory.SubFactory(RemediationPlanFactory)
    position = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Step {n}")


EVIDENCE_BYTES = b"signed work order\n"


class EvidenceFactory(factory.django.DjangoModelFactory):
    """A small text file stored under MEDIA_ROOT (use the `settings` fixture to point it at tmp_path). The
    upload checks of apps.remediation.uploads are not run: use the evidence service to test them."""

    class Meta:
        model = Evidence

    plan = factory.SubFactory(RemediationPlanFactory)
    file = factory.django.FileField(data=EVIDENCE_BYTES, filename="evidence.txt")
    original_name = "work-order.txt"
    content_type = "text/plain"
    extension = "txt"
    size = len(EVIDENCE_BYTES)
    sha256 = hashlib.sha256(EVIDENCE_BYTES).hexdigest()
    uploaded_by = factory.SubFactory(UserFactory)
    uploaded_at = factory.LazyFunction(timezone.now)


class WaiverFactory(factory.django.DjangoModelFactory):
    """A requested waiver of `plan` for 90 days. Deciding it needs another user (four-eyes constraint)."""

    class Meta:
        model = Waiver

    plan = factory.SubFactory(RemediationPlanFactory)
    organization = factory.LazyAttribute(lambda o: o.plan.organization)
    status = WaiverStatus.REQUESTED
    justification = "Replacement on order."
    compensating_controls = "Vendor remote access disconnected."
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=90))
    requested_by = factory.SubFactory(UserFactory)
    requested_at = factory.LazyFunction(timezone.now)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    kind = NotificationKind.NEW_PLAN
    title = factory.Sequence(lambda n: f"Notification {n}")
    created_at = factory.LazyFunction(timezone.now)


class DigestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Digest

    organization = factory.SubFactory(OrganizationFactory)
    digest_date = factory.LazyFunction(timezone.localdate)
    sent_at = factory.LazyFunction(timezone.now)
    subject = factory.Sequence(lambda n: f"Digest {n}")
    body = "Nothing new."
    recipients = factory.LazyFunction(lambda: ["officer@example.org"])


class DigestDeliveryFactory(factory.django.DjangoModelFactory):
    """A sent day's claim (one per organisation and day)."""

    class Meta:
        model = DigestDelivery

    digest = factory.SubFactory(DigestFactory)
    organization = factory.SelfAttribute("digest.organization")
    day = factory.SelfAttribute("digest.digest_date")
    status = DigestDelivery.Status.SENT
    claimed_at = factory.LazyFunction(timezone.now)
    sent_at = factory.LazyFunction(timezone.now)


class DigestItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DigestItem

    digest = factory.SubFactory(DigestFactory)
    organization = factory.LazyAttribute(lambda o: o.digest.organization)
    digest_date = factory.LazyAttribute(lambda o: o.digest.digest_date)
    item_key = factory.Sequence(lambda n: f"item-{n}")
    kind = NotificationKind.NEW_PLAN


class ProjectionReportFactory(factory.django.DjangoModelFactory):
    """A queued report about a day 90 days ahead (projection_run computes it)."""

    class Meta:
        model = ProjectionReport

    organization = factory.SubFactory(OrganizationFactory)
    on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=90))
    computed_on = factory.LazyFunction(timezone.localdate)


class ProjectionLineFactory(factory.django.DjangoModelFactory):
    """A line about a unit (kept as numbers, as the model does: give `equipment` to fill them)."""

    class Meta:
        model = ProjectionLine

    class Params:
        equipment = factory.SubFactory(EquipmentFactory)

    report = factory.SubFactory(ProjectionReportFactory)
    equipment_id = factory.LazyAttribute(lambda o: o.equipment.pk)
    site_id = factory.LazyAttribute(lambda o: o.equipment.site_id)
    category = factory.LazyAttribute(lambda o: o.equipment.category)
    rule_code = "test-rule"
    action = Action.REPLACE
    deadline = factory.LazyFunction(timezone.localdate)
    already_due = True


class FactChangeNoticeFactory(factory.django.DjangoModelFactory):
    """A completed notice: one unit went from clear to restricted after an accepted proposal."""

    class Meta:
        model = FactChangeNotice

    organization = factory.SubFactory(OrganizationFactory)
    proposal = factory.SubFactory("tests.factories.vendors.ChangeProposalFactory", organization=factory.SelfAttribute(
        "..organization"), status="accepted")
    vendor_ids = factory.LazyAttribute(lambda o: [o.proposal.vendor_id])
    before = factory.LazyFunction(lambda: {"clear": 1})
    after = factory.LazyFunction(lambda: {"restricted": 1})
    state = FactChangeNotice.State.READY
    title = factory.Sequence(lambda n: f"Accepted change {n} changed your units' status")
    created_at = factory.LazyFunction(timezone.now)
    computed_at = factory.LazyFunction(timezone.now)
