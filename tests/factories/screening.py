"""Factories of apps.screening. Rows only: the screening services (screening_run_full...) compute matches,
findings and statuses; a finding made here does not change the vendor's stored risk_status."""
import hashlib

import factory
from django.utils import timezone

from apps.common.choices import RiskStatus
from apps.lists.choices import Propagation
from apps.screening.choices import Decision, FindingKind, MatchStrength, RunStatus, RunTrigger
from apps.screening.models import (
    Finding,
    Match,
    PrePurchaseCheck,
    PropagationRule,
    ReviewDecision,
    RiskPolicy,
    ScreeningRun,
    UnitDeclaration,
    VendorOrgStatus,
)

from .accounts import OrganizationFactory
from .lists import ListSourceFactory
from .vendors import VendorFactory


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class ScreeningRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScreeningRun

    trigger = RunTrigger.MANUAL
    status = RunStatus.SUCCEEDED
    started_at = factory.LazyFunction(timezone.now)


class MatchFactory(factory.django.DjangoModelFactory):
    """An open strong name match of `vendor` to an entry of `source` (no ListEntry row unless given)."""

    class Meta:
        model = Match

    vendor = factory.SubFactory(VendorFactory)
    source = factory.SubFactory(ListSourceFactory)
    external_id = factory.Sequence(lambda n: f"E-{n}")
    entry_name = factory.SelfAttribute("vendor.name")
    entry_content_hash = factory.Sequence(lambda n: _sha256(f"match-entry-{n}"))
    vendor_identity = factory.Sequence(lambda n: _sha256(f"match-vendor-{n}"))
    matched_name = factory.SelfAttribute("vendor.name")
    entry_matched_name = factory.SelfAttribute("entry_name")
    score = 1.0
    strength = MatchStrength.STRONG
    algorithm_version = "test"
    first_seen_at = factory.LazyFunction(timezone.now)
    last_seen_at = factory.SelfAttribute("first_seen_at")


class ReviewDecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewDecision

    vendor_identity = factory.Sequence(lambda n: _sha256(f"decision-vendor-{n}"))
    entry_content_hash = factory.Sequence(lambda n: _sha256(f"decision-entry-{n}"))
    source = factory.SubFactory(ListSourceFactory)
    external_id = factory.Sequence(lambda n: f"E-{n}")
    vendor = factory.SubFactory(VendorFactory)
    decision = Decision.CONFIRM
    reason = "Same company."
    decided_at = factory.LazyFunction(timezone.now)


class FindingFactory(factory.django.DjangoModelFactory):
    """An open direct finding: `vendor` listed by `source`, prohibited, discovered now."""

    class Meta:
        model = Finding

    vendor = factory.SubFactory(VendorFactory)
    kind = FindingKind.DIRECT
    key = factory.Sequence(lambda n: f"finding-{n}")
    source = factory.SubFactory(ListSourceFactory)
    regime = factory.SelfAttribute("source.regime")
    path_text = factory.LazyAttribute(lambda o: f"{o.vendor.name} <- listed: {o.source.name}")
    status = RiskStatus.PROHIBITED
    discovered_at = factory.LazyFunction(timezone.now)
    last_seen_at = factory.SelfAttribute("discovered_at")


class RiskPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RiskPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")
    status = RiskStatus.RESTRICTED


class PropagationRuleFactory(factory.django.DjangoModelFactory):
    """`propagation` is unique and migration screening.0002 seeds one rule per value: this factory gets (or
    creates) the rule of that propagation instead of failing on the unique constraint. Given fields are only
    used when the rule is created: update a seeded rule explicitly."""

    class Meta:
        model = PropagationRule
        django_get_or_create = ("propagation",)

    propagation = Propagation.OFAC_50


class PrePurchaseCheckFactory(factory.django.DjangoModelFactory):
    """Append-only like the model: a check is created once and never saved again."""

    class Meta:
        model = PrePurchaseCheck

    created_at = factory.LazyFunction(timezone.now)
    query_name = factory.Sequence(lambda n: f"Prospective Supplier {n}")
    query = factory.LazyAttribute(lambda o: {"name": o.query_name})
    verdict = RiskStatus.CLEAR
    list_versions = factory.LazyFunction(list)
    result = factory.LazyAttribute(lambda o: {"verdict": o.verdict})
    result_sha256 = factory.Sequence(lambda n: _sha256(f"check-{n}"))


class VendorOrgStatusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VendorOrgStatus

    vendor = factory.SubFactory(VendorFactory)
    organization = factory.SubFactory(OrganizationFactory)
    risk_status = RiskStatus.RESTRICTED
    since = factory.LazyFunction(timezone.now)


class UnitDeclarationFactory(factory.django.DjangoModelFactory):
    """An open declaration on a unit (a supplier's "yes" in a data call), in the unit's organisation. A row only:
    the unit's risk status is not recomputed (apps.screening.services.declarations does that)."""

    class Meta:
        model = UnitDeclaration

    equipment = factory.SubFactory("tests.factories.inventory.EquipmentFactory")
    organization = factory.SelfAttribute("equipment.site.organization")
    status = RiskStatus.PROHIBITED
    reason = "Declared by Camera Supply Co in data call #1: covered equipment (prohibited)"
    source_key = factory.Sequence(lambda n: f"outreach.declared_finding:{n}")
    opened_at = factory.LazyFunction(timezone.now)
