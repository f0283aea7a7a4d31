"""Factories of apps.vendors. They write rows directly (no audit event, no re-screening hook): use the services
in apps.vendors.services to test those."""
import factory

from apps.vendors.choices import AliasKind, IdentifierScheme, OemConfidence, OwnershipKind, ProposalKind, ProposalStatus
from apps.vendors.models import ChangeProposal, OemRelation, Ownership, Vendor, VendorAlias, VendorIdentifier

from .accounts import OrganizationFactory, UserFactory


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"Vendor {n} Ltd")
    country_of_incorporation = "US"


class VendorAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VendorAlias

    vendor = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"Alias {n}")
    kind = AliasKind.TRADE_NAME


class VendorIdentifierFactory(factory.django.DjangoModelFactory):
    """A DUNS number (nine digits, no check digit): valid for VendorIdentifier.clean() whatever the sequence."""

    class Meta:
        model = VendorIdentifier

    vendor = factory.SubFactory(VendorFactory)
    scheme = IdentifierScheme.DUNS
    value = factory.Sequence(lambda n: f"{100000000 + n}")


class OwnershipFactory(factory.django.DjangoModelFactory):
    """owner -> owned with an unknown share. Cycles and totals above 100% are checked by Ownership.clean(), which
    a factory does not call: give distinct vendors and shares that add up."""

    class Meta:
        model = Ownership

    owner = factory.SubFactory(VendorFactory)
    owned = factory.SubFactory(VendorFactory)
    kind = OwnershipKind.SHAREHOLDING


class OemRelationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OemRelation

    brand = factory.SubFactory(VendorFactory)
    manufacturer = factory.SubFactory(VendorFactory)
    category = ""
    confidence = OemConfidence.REPORTED


class ChangeProposalFactory(factory.django.DjangoModelFactory):
    """A pending proposal to add an alias to a vendor (apps.vendors.proposals writes real ones)."""

    class Meta:
        model = ChangeProposal

    organization = factory.SubFactory(OrganizationFactory)
    proposed_by = factory.SubFactory(UserFactory)
    kind = ProposalKind.ALIAS_ADD
    vendor = factory.SubFactory(VendorFactory)
    payload = factory.Sequence(lambda n: {"name": f"Proposed alias {n}", "kind": AliasKind.TRADE_NAME, "language": ""})
    status = ProposalStatus.PENDING
