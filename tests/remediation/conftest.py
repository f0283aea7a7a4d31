"""Fixtures of the remediation tests: rules built per test (the seeded default rules are removed so each test
states the rules it relies on), a fake findings provider, a crane/camera inventory."""
from __future__ import annotations

import datetime as dt

import pytest

from apps.accounts.choices import Role
from apps.inventory.choices import Criticality
from apps.remediation.models import PolicyRule
from apps.remediation.policy import FindingFact
from tests.factories import (
    EquipmentFactory,
    MembershipFactory,
    OwnershipFactory,
    ProductModelFactory,
    UserFactory,
    VendorFactory,
)


@pytest.fixture(autouse=True)
def _no_default_rules(db):
    PolicyRule.objects.all().delete()


@pytest.fixture
def make_rule(db):
    counter = {"n": 0}

    def make(**kw) -> PolicyRule:
        counter["n"] += 1
        data = {"code": f"rule-{counter['n']}", "name": f"Rule {counter['n']}", "citation": "test",
                "basis": "finding", "action": "replace", "deadline_days": 365}
        data.update(kw)
        rule = PolicyRule(**data)
        rule.full_clean()
        rule.save()
        return rule

    return make


class FakeFindings:
    """A findings provider: equipment id -> list of FindingFact, changeable between evaluations."""

    def __init__(self) -> None:
        self.by_equipment: dict[int, list[FindingFact]] = {}

    def add(self, equipment, *, vendor=None, regime="us_ndaa", source_code="ndaa_889", sub_list="",
            status="prohibited", listed_on=dt.date(2019, 8, 13), discovered_on=dt.date(2026, 1, 10),
            role="brand", finding_id=None, kind="direct", entry_name="",
            entry_scope_categories=None) -> FindingFact:
        vendor = vendor or equipment.product_model.brand
        fact = FindingFact(finding_id=finding_id or (len(self.by_equipment) + 1) * 100, vendor_id=vendor.pk,
                           vendor_name=vendor.name, vendor_role=role, source_code=source_code, regime=regime,
                           sub_list=sub_list, status=status, listed_on=listed_on, discovered_on=discovered_on,
                           kind=kind, entry_name=entry_name or vendor.name,
                           entry_scope_categories=(tuple(entry_scope_categories)
                                                   if entry_scope_categories is not None else None))
        self.by_equipment.setdefault(equipment.pk, []).append(fact)
        return fact

    def clear(self, equipment=None) -> None:
        if equipment is None:
            self.by_equipment.clear()
        else:
            self.by_equipment.pop(equipment.pk, None)

    def __call__(self, ids):
        return {i: list(self.by_equipment[i]) for i in ids if i in self.by_equipment}


@pytest.fixture
def findings():
    return FakeFindings()


@pytest.fixture
def second_admin(org):
    return MembershipFactory(organization=org, role=Role.ADMIN, user=UserFactory(username="admin2-harbor",
                                                                                 email="admin2@example.org")).user


@pytest.fixture
def other_admin(other_org):
    return MembershipFactory(organization=other_org, role=Role.ADMIN, user=UserFactory(username="admin-other")).user


@pytest.fixture
def camera(site):
    hik = VendorFactory(name="Hangzhou Hikvision Digital Technology Co., Ltd.", country_of_incorporation="CN")
    pm = ProductModelFactory(brand=hik, model_number="DS-2CD", category="camera", country_of_manufacture="CN")
    return EquipmentFactory(site=site, product_model=pm, quantity=24, collects_data=True,
                            installed_date=dt.date(2018, 8, 1))


@pytest.fixture
def crane(site):
    """A ZPMC ship-to-shore crane with vendor remote access, ZPMC <- CCCC <- CCCG (shares unknown)."""
    site.criticality = Criticality.CRITICAL
    site.save()
    cccg = VendorFactory(name="China Communications Construction Group (Limited)", country_of_incorporation="CN")
    cccc = VendorFactory(name="China Communications Construction Company Limited", country_of_incorporation="CN")
    # ZPMC recorded here with an unknown country: the owner chain alone must flag it.
    zpmc = VendorFactory(name="Shanghai Zhenhua Heavy Industries Co., Ltd.", country_of_incorporation="")
    OwnershipFactory(owner=cccg, owned=cccc)
    OwnershipFactory(owner=cccc, owned=zpmc)
    pm = ProductModelFactory(brand=zpmc, model_number="STS-65", category="sts_crane", remote_access_capable=True)
    return EquipmentFactory(site=site, product_model=pm, vendor_remote_access=True, remote_access_vendor=zpmc,
                            collects_data=True, installed_date=dt.date(2016, 4, 12))
