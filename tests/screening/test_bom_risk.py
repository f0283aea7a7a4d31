"""Screening through bills of materials: a unit is as bad as its worst part, at any depth, for its category, with
the path shown; the bulk refresh and the one-unit refresh agree; a new BOM version re-derives the units only when
a changed part has a registry vendor."""
import pytest

from apps.common import events
from apps.inventory.bom import bom_commit
from apps.screening.services import equipment_risk_refresh
from tests.conftest import events_recorded
from tests.factories import EquipmentFactory, FindingFactory, ProductModelFactory, SiteFactory, VendorFactory
from tests.inventory.bom_docs import Part, crane_parts, cyclonedx

from .conftest import make_source

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def listed_subsidiary(db):
    """Remote Care GmbH, controlled by a company on the DoD 1260H list: restricted through ownership."""
    source = make_source("dod_1260h", regime="us_dod_1260h", name="DoD Section 1260H list")
    agent_vendor = VendorFactory(name="Remote Care GmbH")
    FindingFactory(vendor=agent_vendor, source=source, kind="ownership", status="restricted",
                   key="1260h:remote-care",
                   path_text="Remote Care GmbH <- controlled by Listed Heavy Industries Co. (100%) <- listed: "
                             "DoD Section 1260H list (2026)")
    for name in ("Siemens AG", "ZPMC Software"):
        VendorFactory(name=name)
    return agent_vendor


@pytest.fixture
def crane_model(db):
    return ProductModelFactory(model_number="PT-STS-01", category="sts_crane")


def test_a_unit_bom_part_from_a_listed_subsidiary_restricts_the_unit_with_the_path(site, officer, crane_model,
                                                                                   listed_subsidiary):
    crane = EquipmentFactory(site=site, product_model=crane_model)
    bom_commit(organization=site.organization, data=cyclonedx(crane_parts()), equipment=crane, actor=officer)
    crane.refresh_from_db()
    assert crane.risk_status == "restricted"
    assert crane.risk_reason == (
        "Component Remote maintenance agent (in Crane control software) by Remote Care GmbH: restricted "
        "(Remote Care GmbH <- controlled by Listed Heavy Industries Co. (100%) <- listed: DoD Section 1260H list "
        "(2026))")
    assert equipment_risk_refresh() == 0  # the bulk refresh agrees row for row


def test_a_product_model_bom_applies_to_the_organisations_units_only(org, other_org, officer, crane_model,
                                                                     listed_subsidiary):
    ours = [EquipmentFactory(site=SiteFactory(organization=org), product_model=crane_model) for _ in range(2)]
    theirs = EquipmentFactory(site=SiteFactory(organization=other_org), product_model=crane_model)
    bom_commit(organization=org, data=cyclonedx(crane_parts()), product_model=crane_model, actor=officer)
    for unit in ours:
        unit.refresh_from_db()
        assert unit.risk_status == "restricted" and "Remote maintenance agent" in unit.risk_reason
    theirs.refresh_from_db()
    assert theirs.risk_status == "clear"
    assert equipment_risk_refresh() == 0

    # The bulk refresh finds the same from scratch, and clears it when the finding closes.
    from apps.inventory.models import Equipment
    Equipment.objects.update(risk_status="clear", risk_reason="")
    assert equipment_risk_refresh() == 2
    assert set(Equipment.objects.filter(risk_status="restricted").values_list("pk", flat=True)) == {
        u.pk for u in ours}
    from django.utils import timezone

    from apps.screening.models import Finding
    Finding.objects.update(closed_at=timezone.now())
    assert equipment_risk_refresh() == 2
    assert not Equipment.objects.exclude(risk_status="clear").exists()


def test_a_deeply_nested_part_counts(site, officer, crane_model, listed_subsidiary):
    deep = [Part("Crane", "device", children=[Part("Cabin", "device", children=[Part("Console", "device", children=[
        Part("Remote maintenance agent", "application", supplier="Remote Care GmbH")])])])]
    crane = EquipmentFactory(site=site, product_model=crane_model)
    bom_commit(organization=site.organization, data=cyclonedx(deep), equipment=crane, actor=officer)
    crane.refresh_from_db()
    assert crane.risk_status == "restricted" and "(in Console) by Remote Care GmbH" in crane.risk_reason
    assert equipment_risk_refresh() == 0


def test_a_new_version_without_the_part_clears_the_unit(site, officer, crane_model, listed_subsidiary):
    crane = EquipmentFactory(site=site, product_model=crane_model)
    bom_commit(organization=site.organization, data=cyclonedx(crane_parts()), equipment=crane, actor=officer)
    bom_commit(organization=site.organization, data=cyclonedx(crane_parts(agent_supplier="Siemens AG")),
               equipment=crane, actor=officer)
    crane.refresh_from_db()
    assert (crane.risk_status, crane.risk_reason) == ("clear", "")
    assert equipment_risk_refresh() == 0


def test_a_reimport_rederives_units_only_when_a_changed_part_has_a_registry_vendor(org, officer, crane_model,
                                                                                   listed_subsidiary):
    units = {EquipmentFactory(site=SiteFactory(organization=org), product_model=crane_model).pk for _ in range(2)}
    bom_commit(organization=org, data=cyclonedx(crane_parts()), product_model=crane_model, actor=officer)
    parts = crane_parts()
    parts.append(Part("Wind sensor", "device", supplier="Unknown Sensors Ltd"))  # no registry vendor
    with events_recorded(events.EquipmentChanged, phase=events.IN_TRANSACTION) as seen:
        document = bom_commit(organization=org, data=cyclonedx(parts), product_model=crane_model, actor=officer)
    assert document.summary["diff"]["added"] == 1 and seen == []
    parts = crane_parts(agent_version="4.3")  # a part with a registry vendor changed
    with events_recorded(events.EquipmentChanged, phase=events.IN_TRANSACTION) as seen:
        bom_commit(organization=org, data=cyclonedx(parts), product_model=crane_model, actor=officer)
    assert [set(e.equipment_ids) for e in seen] == [units]
    # an unknown supplier whose country the document states: remediation's country facts read it
    parts.append(Part("Wind sensor", "device", supplier="Unknown Sensors Ltd", country="CN"))
    with events_recorded(events.EquipmentChanged, phase=events.IN_TRANSACTION) as seen:
        document = bom_commit(organization=org, data=cyclonedx(parts), product_model=crane_model, actor=officer)
    assert document.summary["diff"]["added"] == 1 and [set(e.equipment_ids) for e in seen] == [units]


def test_the_units_findings_include_bom_parts_for_remediation_and_the_api(site, officer, crane_model,
                                                                          listed_subsidiary):
    from apps.screening.selectors import equipment_findings

    crane = EquipmentFactory(site=site, product_model=crane_model)
    other = EquipmentFactory(site=site, product_model=ProductModelFactory(category="sts_crane"))
    bom_commit(organization=site.organization, data=cyclonedx(crane_parts()), product_model=crane_model,
               actor=officer)
    found = equipment_findings(equipment_ids=[crane.pk, other.pk])
    assert [(f.vendor_role, f.vendor_name, f.status) for f in found[crane.pk]] == [
        ("component", "Remote Care GmbH", "restricted")]
    assert found[other.pk] == []


def test_remediation_finds_the_units_a_bom_part_vendor_reaches(org, other_org, officer, crane_model,
                                                              listed_subsidiary):
    from apps.remediation.services import remediation_equipment_ids_for_vendors

    ours = EquipmentFactory(site=SiteFactory(organization=org), product_model=crane_model)
    theirs = EquipmentFactory(site=SiteFactory(organization=other_org), product_model=crane_model)
    single = EquipmentFactory(site=SiteFactory(organization=other_org), product_model=ProductModelFactory(
        model_number="PT-STS-01", category="sts_crane"))
    bom_commit(organization=org, data=cyclonedx(crane_parts()), product_model=crane_model, actor=officer)
    bom_commit(organization=other_org, data=cyclonedx(crane_parts()), equipment=single)
    ids = remediation_equipment_ids_for_vendors([listed_subsidiary.pk])
    assert ours.pk in ids and single.pk in ids and theirs.pk not in ids


def test_as_of_answers_read_the_bom_versions_in_force_then(site, officer, crane_model, listed_subsidiary):
    """Point in time: per target the highest version imported by then (a unit's own, and its organisation's for
    its product model), with the findings open then."""
    import datetime as dt

    from django.utils import timezone

    from apps.inventory.models import BomDocument
    from apps.screening.models import Finding
    from apps.screening.selectors import equipment_findings

    now = timezone.now()
    day = [now - dt.timedelta(days=d) for d in (40, 30, 20, 10)]
    Finding.objects.filter(vendor=listed_subsidiary).update(discovered_at=day[0] - dt.timedelta(days=1))
    crane = EquipmentFactory(site=site, product_model=crane_model)
    without_agent = crane_parts(agent_supplier="Other Maintenance Ltd")
    v1 = bom_commit(organization=site.organization, data=cyclonedx(crane_parts()), equipment=crane, actor=officer)
    v2 = bom_commit(organization=site.organization, data=cyclonedx(without_agent), equipment=crane, actor=officer)
    model_bom = bom_commit(organization=site.organization, data=cyclonedx(crane_parts()), product_model=crane_model,
                           actor=officer)
    for document, when in ((v1, day[0]), (v2, day[1]), (model_bom, day[2])):
        BomDocument.objects.filter(pk=document.pk).update(imported_at=when)

    def vendors_at(moment):
        return [(f.vendor_role, f.vendor_name) for f in
                equipment_findings(equipment_ids=[crane.pk], as_of=moment)[crane.pk]]

    assert vendors_at(day[0] - dt.timedelta(days=1)) == []  # no BOM yet
    assert vendors_at(day[0] + dt.timedelta(days=1)) == [("component", "Remote Care GmbH")]  # v1 in force
    assert vendors_at(day[1] + dt.timedelta(days=1)) == []  # v2 dropped the part
    assert vendors_at(day[2] + dt.timedelta(days=1)) == [("component", "Remote Care GmbH")]  # the model's BOM
    Finding.objects.filter(vendor=listed_subsidiary).update(closed_at=day[3])
    assert vendors_at(day[3] + dt.timedelta(days=1)) == []  # closed by then
    assert vendors_at(day[2] + dt.timedelta(days=1)) == [("component", "Remote Care GmbH")]


def test_the_units_a_vendor_reaches_by_every_path_and_no_other(org, other_org, officer, crane_model,
                                                                listed_subsidiary):
    """equipment_ids_for_vendors (the per-vendor refresh's units): brand, maker, software supplier, a component,
    the unit's own BOM, its organisation's BOM of its product model; not another organisation's units of that
    model, not a unit the vendor does not reach. Ascending, each once."""
    from apps.screening.services.equipment import equipment_ids_for_vendors
    from tests.factories import ComponentFactory

    vendor = listed_subsidiary
    site, their_site = SiteFactory(organization=org), SiteFactory(organization=other_org)
    by_brand = EquipmentFactory(site=site, product_model=ProductModelFactory(brand=vendor))
    by_maker = EquipmentFactory(site=site, product_model=ProductModelFactory(manufacturer=vendor))
    by_software = EquipmentFactory(site=their_site, product_model=ProductModelFactory(software_supplier=vendor))
    by_part = EquipmentFactory(site=site)
    ComponentFactory(equipment=by_part, vendor=vendor)
    twice = EquipmentFactory(site=site, product_model=ProductModelFactory(brand=vendor))
    ComponentFactory(equipment=twice, vendor=vendor)
    own_bom = EquipmentFactory(site=their_site, product_model=crane_model)  # its own BOM, in the other organisation
    bom_commit(organization=other_org, data=cyclonedx(crane_parts()), equipment=own_bom)  # their system
    by_model_bom = [EquipmentFactory(site=site, product_model=crane_model) for _ in range(2)]
    bom_commit(organization=org, data=cyclonedx(crane_parts()), product_model=crane_model, actor=officer)
    EquipmentFactory(site=their_site, product_model=crane_model)  # another organisation's: its BOM is not theirs
    EquipmentFactory(site=site)  # reached by nothing

    expected = sorted(u.pk for u in (by_brand, by_maker, by_software, by_part, twice, own_bom, *by_model_bom))
    assert list(equipment_ids_for_vendors([vendor.pk])) == expected
    assert list(equipment_ids_for_vendors([vendor.pk], organization_id=other_org.pk)) == sorted(
        [by_software.pk, own_bom.pk])
    assert list(equipment_ids_for_vendors([])) == []
