"""Factories of apps.lists: sources, versions, entries, diffs and fetch runs (rows only: the ingestion services
in apps.lists.services parse, diff and activate)."""
import hashlib

import factory
from django.utils import timezone

from apps.lists.choices import Propagation, Regime, RunStatus, RunTrigger, VersionStatus
from apps.lists.models import FetchRun, ListDiff, ListEntry, ListSource, ListVersion, SourceRequirement


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class ListSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ListSource

    code = factory.Sequence(lambda n: f"test-list-{n}")
    name = factory.LazyAttribute(lambda o: f"List {o.code}")
    publisher = "Test"
    regime = Regime.US_OFAC
    propagation = Propagation.NAMED_ONLY
    format = "custom_csv"


class SourceRequirementFactory(factory.django.DjangoModelFactory):
    """An organisation's own answer to whether a list must be loaded before a check may say clear."""

    class Meta:
        model = SourceRequirement

    organization = factory.SubFactory("tests.factories.accounts.OrganizationFactory")
    source = factory.SubFactory(ListSourceFactory)
    required = False


class ListVersionFactory(factory.django.DjangoModelFactory):
    """A loading version; `ListVersionFactory(active=True)` gives the source's active one (at most one per source,
    a database constraint)."""

    class Meta:
        model = ListVersion

    class Params:
        active = factory.Trait(status=VersionStatus.ACTIVE,
                               activated_at=factory.SelfAttribute("fetched_at"))

    source = factory.SubFactory(ListSourceFactory)
    status = VersionStatus.LOADING
    fetched_at = factory.LazyFunction(timezone.now)
    sha256 = factory.Sequence(lambda n: _sha256(f"version-{n}"))


class ListEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ListEntry

    version = factory.SubFactory(ListVersionFactory)
    external_id = factory.Sequence(lambda n: f"E-{n}")
    primary_name = factory.Sequence(lambda n: f"Listed Company {n}")
    content_hash = factory.Sequence(lambda n: _sha256(f"entry-{n}"))


class ListDiffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ListDiff

    version = factory.SubFactory(ListVersionFactory)
    previous = None


class FetchRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FetchRun

    source = factory.SubFactory(ListSourceFactory)
    trigger = RunTrigger.MANUAL
    status = RunStatus.QUEUED
    started_at = factory.LazyFunction(timezone.now)
