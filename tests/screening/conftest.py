"""Builders for screening tests: list sources, active versions and entries created directly (no parsers)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.lists.models import ListEntry, ListSource, ListVersion
from apps.screening.services import screening_run_full
from apps.vendors.services import ownership_create
from tests.factories import ListSourceFactory, ListVersionFactory, VendorFactory


def entry_hash(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def make_source(code: str, *, regime: str, propagation: str = "named_only", name: str | None = None) -> ListSource:
    return ListSourceFactory(code=code, name=name or code.upper(), publisher="test", regime=regime,
                             propagation=propagation)


def make_version(source: ListSource, entries: list[dict], *, previous: ListVersion | None = None,
                 activate: bool = True) -> ListVersion:
    """A version of `source` holding `entries` (dicts with external_id, primary_name and optional fields);
    activating supersedes the active one, as the lists app does."""
    now = timezone.now()
    if activate:
        ListVersion.objects.filter(source=source, status="active").update(status="superseded", superseded_at=now)
    version = ListVersionFactory(source=source, active=activate, fetched_at=now, entry_count=len(entries),
                                 previous=previous)
    rows = []
    for e in entries:
        data = {"entry_type": "entity", "aliases": [], "sub_list": "", "programs": [], "countries": [],
                "identifiers": [], "listed_on": None, **e}
        rows.append(ListEntry(version=version, content_hash=entry_hash(data), **data))
    ListEntry.objects.bulk_create(rows)
    return version


@pytest.fixture
def today() -> dt.date:
    return dt.date(2026, 11, 25)


def listed_entry(name: str, ext: str, **fields) -> dict:
    return {"external_id": ext, "primary_name": name, **fields}


def ofac_faq401_example(sdn: ListSource, *, today: dt.date):
    """Issue #16's example: a blocked person holds 30% of the target directly and 40% of an unblocked company
    that owns 50% of it (path shares add up to 50%; OFAC counts 30%). Screened; returns the target vendor."""
    person, company = VendorFactory(name="Zorblax Holdings"), VendorFactory(name="Middleton Alloys")
    target = VendorFactory(name="Plainfield Widgets")
    ownership_create(owner=person, owned=target, share_percent=Decimal("30"))
    ownership_create(owner=person, owned=company, share_percent=Decimal("40"))
    ownership_create(owner=company, owned=target, share_percent=Decimal("50"))
    make_version(sdn, [listed_entry("Zorblax Holdings", "1")])
    screening_run_full(today=today)
    return target


@pytest.fixture
def sdn(db) -> ListSource:
    return make_source("test_sdn", regime="us_ofac", propagation="ofac_50", name="OFAC SDN")


@pytest.fixture
def eu(db) -> ListSource:
    return make_source("test_eu", regime="eu", propagation="owned_or_controlled", name="EU FSF")


@pytest.fixture
def bis(db) -> ListSource:
    return make_source("test_bis", regime="us_bis", propagation="bis_affiliates_50", name="BIS Entity List")


@pytest.fixture
def fcc(db) -> ListSource:
    return make_source("test_fcc", regime="us_fcc", propagation="subsidiary_affiliate", name="FCC Covered List")


@pytest.fixture
def no_auto_confirm(settings):
    """Every match waits for a reviewer (so tests control confirmation)."""
    settings.SCREENING_AUTO_CONFIRM_STRENGTHS = ()


@pytest.fixture
def own_view_owner(bis, org, other_org):
    """An Entity List parent and a subsidiary no shared fact links to it. `org`'s officer proposes parent ->
    subsidiary (60%) and applies it to its own view (the default), re-screened as the task would; `other_org`
    has not. Returns the vendors and one officer per organisation."""
    from apps.common import events
    from apps.screening.services import screening_run_view
    from apps.vendors import proposals
    from apps.vendors.choices import ProposalKind
    from tests.conftest import events_recorded
    from tests.factories import MembershipFactory

    today = timezone.localdate()
    parent = VendorFactory(name="Zorblax Heavy Industries")
    sub = VendorFactory(name="Plainfield Cranes Inc")
    make_version(bis, [listed_entry("Zorblax Heavy Industries", "EL-1")])
    screening_run_full(today=today)
    officer = MembershipFactory(organization=org, role="officer").user
    other_officer = MembershipFactory(organization=other_org, role="officer").user
    with events_recorded(events.OwnViewChanged, phase=events.IN_TRANSACTION) as seen:
        proposal = proposals.proposal_submit(kind=ProposalKind.OWNERSHIP_ADD, vendor=sub, actor=officer,
                                             organization_id=org.pk,
                                             payload={"owner": parent.pk, "share_percent": "60"})
    assert proposal.applies_to_own_view and seen
    for event in seen:
        screening_run_view(organization_id=event.organization_id, vendor_ids=event.vendor_ids, today=today)
    return {"parent": parent, "sub": sub, "officer": officer, "other_officer": other_officer}
