"""Single-record pages: officers record and correct sites, equipment and vendors in the browser; read-only
roles and other organisations are refused; a refused write shows why and stores nothing."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.inventory.models import Equipment, ProductModel, Site
from apps.inventory.selectors import equipment_records_count
from apps.vendors.models import Vendor, VendorAlias, VendorIdentifier
from tests.factories import (
    ComponentFactory,
    EquipmentFactory,
    FindingFactory,
    ListSourceFactory,
    OwnershipFactory,
    RemediationPlanFactory,
    VendorAliasFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db

SITE_POST = {"name": "Terminal 2", "code": "T2", "kind": "seaport", "country": "US", "region": "Long Beach",
             "address": "", "latitude": "", "longitude": "", "criticality": "high", "operator_name": ""}


def _unit_post(site, **overrides):
    data = {"site": site.pk, "category": "camera", "brand": "Hangzhou Example Vision", "model_number": "CAM-9",
            "manufacturer": "", "software_supplier": "", "quantity": 2, "serial_number": "SN-9",
            "asset_tag": "NEW-1", "installed_date": "2022-03-04", "status": "in_service",
            "vendor_remote_access": "on", "collects_data": "on", "operator_name": "", "notes": "lobby"}
    data.update(overrides)
    return data


def _errors(response) -> str:
    return " ".join(str(e) for form in [response.context["form"]] for errs in form.errors.values() for e in errs)


# --- sites -----------------------------------------------------------------------------------------------------

def test_officer_records_a_site_with_audit_and_history(client_for, officer, org):
    response = client_for(officer).post(reverse("web:site-create"), SITE_POST)
    site = Site.objects.get(organization=org, code="T2")
    assert response.status_code == 302 and response["Location"] == reverse("web:site-detail", args=[site.pk])
    assert (site.name, site.kind, site.country.code, site.criticality) == ("Terminal 2", "seaport", "US", "high")
    event = AuditEvent.objects.get(action="site.create")
    assert event.actor_id == officer.pk and event.organization_id == org.pk
    assert site.history.first().history_user_id == officer.pk


def test_duplicate_site_code_is_refused_on_the_form(client_for, officer, site):
    response = client_for(officer).post(reverse("web:site-create"), {**SITE_POST, "code": site.code})
    assert response.status_code == 200
    assert "already exists" in " ".join(response.context["form"].non_field_errors())
    assert Site.objects.filter(code=site.code).count() == 1


def test_site_coordinates_come_in_pairs(client_for, officer, org):
    response = client_for(officer).post(reverse("web:site-create"), {**SITE_POST, "latitude": "33.75"})
    assert response.status_code == 200
    assert "both latitude and longitude" in " ".join(response.context["form"].errors["longitude"])
    assert not Site.objects.filter(code="T2").exists()


def test_officer_edits_a_site(client_for, officer, site):
    c = client_for(officer)
    page = c.get(reverse("web:site-edit", args=[site.pk]))
    assert page.status_code == 200 and page.context["form"].initial["code"] == site.code
    response = c.post(reverse("web:site-edit", args=[site.pk]), {**SITE_POST, "code": site.code,
                                                                  "name": "Terminal One", "criticality": "critical"})
    assert response.status_code == 302
    site.refresh_from_db()
    assert (site.name, site.criticality) == ("Terminal One", "critical")
    assert AuditEvent.objects.filter(action="site.update", object_id=str(site.pk)).exists()


@pytest.mark.parametrize("role", ["viewer", "auditor"])
def test_read_only_roles_cannot_open_or_post_the_edit_pages(client_for, request, role, site):
    c = client_for(request.getfixturevalue(role))
    unit = EquipmentFactory(site=site)
    vendor = unit.product_model.brand
    for url in (reverse("web:site-create"), reverse("web:site-edit", args=[site.pk]),
                reverse("web:equipment-create"), reverse("web:equipment-edit", args=[unit.pk]),
                reverse("web:equipment-delete", args=[unit.pk]), reverse("web:vendor-create"),
                reverse("web:vendor-edit", args=[vendor.pk])):
        assert c.get(url).status_code == 403, url
        assert c.post(url, {}).status_code == 403, url
    assert c.post(reverse("web:vendor-alias-add", args=[vendor.pk]), {"alias-name": "X"}).status_code == 403
    assert not VendorAlias.objects.exists()
    page = c.get(reverse("web:site-detail", args=[site.pk]))
    assert reverse("web:site-edit", args=[site.pk]).encode() not in page.content


def test_other_organisations_records_are_not_found(client_for, officer, other_site):
    c = client_for(officer)
    unit = EquipmentFactory(site=other_site)
    for url in (reverse("web:site-edit", args=[other_site.pk]), reverse("web:equipment-edit", args=[unit.pk]),
                reverse("web:equipment-delete", args=[unit.pk])):
        assert c.get(url).status_code == 404, url
        assert c.post(url, {"confirm": "on"}).status_code == 404, url
    assert Equipment.objects.filter(pk=unit.pk).exists()


# --- equipment -------------------------------------------------------------------------------------------------

def test_officer_records_a_unit_by_brand_alias_and_a_new_product_model(client_for, officer, site, inventory):
    VendorAliasFactory(vendor=inventory["brand"], name="ExampleVision")
    before = equipment_records_count(site_ids=[site.pk])
    response = client_for(officer).post(reverse("web:equipment-create"), _unit_post(
        site, brand="examplevision", manufacturer="Example OEM Maker", software_supplier="Example OEM Maker"))
    unit = Equipment.objects.get(asset_tag="NEW-1")
    assert response.status_code == 302 and response["Location"] == reverse("web:equipment-detail", args=[unit.pk])
    pm = unit.product_model
    assert (pm.brand, pm.model_number, pm.manufacturer, pm.software_supplier, pm.category) == (
        inventory["brand"], "CAM-9", inventory["maker"], inventory["maker"], "camera")
    assert (unit.quantity, unit.connectivity, unit.collects_data, unit.notes) == (2, "vendor_remote", True, "lobby")
    assert unit.vendor_remote_access and not unit.internet_connected and unit.remote_access_vendor is None
    assert equipment_records_count(site_ids=[site.pk]) == before + 1  # the per-site tally follows at once
    assert AuditEvent.objects.filter(action="equipment.create", object_id=str(unit.pk)).exists()


def test_unknown_brand_is_refused_and_nothing_is_stored(client_for, officer, site, inventory):
    models_before, vendors_before = ProductModel.objects.count(), Vendor.objects.count()
    response = client_for(officer).post(reverse("web:equipment-create"), _unit_post(site, brand="Hikvisoin"))
    assert response.status_code == 200
    assert "No vendor is recorded" in " ".join(response.context["form"].errors["brand"])
    assert not Equipment.objects.filter(asset_tag="NEW-1").exists()
    assert (ProductModel.objects.count(), Vendor.objects.count()) == (models_before, vendors_before)


def test_existing_product_model_is_not_changed_from_an_officers_form(client_for, officer, site, inventory):
    other = VendorFactory(name="Another Maker")
    response = client_for(officer).post(reverse("web:equipment-create"), _unit_post(
        site, model_number="CAM-1", manufacturer="Another Maker"))
    assert response.status_code == 200
    assert "recorded with Example OEM Maker" in " ".join(response.context["form"].errors["manufacturer"])
    assert inventory["model"].manufacturer_id != other.pk
    assert not Equipment.objects.filter(asset_tag="NEW-1").exists()
    # Naming the recorded maker, or none, uses the existing product model.
    client_for(officer).post(reverse("web:equipment-create"), _unit_post(site, model_number="CAM-1"))
    assert Equipment.objects.get(asset_tag="NEW-1").product_model == inventory["model"]


def test_duplicate_asset_tag_and_foreign_site_are_refused(client_for, officer, site, other_site, inventory):
    c = client_for(officer)
    response = c.post(reverse("web:equipment-create"), _unit_post(site, asset_tag="TAG-1"))
    assert response.status_code == 200 and response.context["form"].errors
    response = c.post(reverse("web:equipment-create"), _unit_post(other_site))
    assert "site" in response.context["form"].errors
    assert not Equipment.objects.filter(asset_tag="NEW-1").exists()
    assert Equipment.objects.filter(asset_tag="TAG-1").count() == 1


def test_officer_retires_a_unit_and_the_counts_follow(client_for, officer, site, inventory):
    unit = inventory["units"][0]
    c = client_for(officer)
    page = c.get(reverse("web:equipment-edit", args=[unit.pk]))
    initial = page.context["form"].initial
    assert (initial["brand"], initial["model_number"], initial["manufacturer"]) == (
        "Hangzhou Example Vision", "CAM-1", "Example OEM Maker")
    data = {**initial, "site": site.pk, "status": "removed", "installed_date": "", "collects_data": ""}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    response = c.post(reverse("web:equipment-edit", args=[unit.pk]), data)
    assert response.status_code == 302, _errors(response)
    unit.refresh_from_db()
    assert unit.status == "removed" and unit.product_model == inventory["model"]
    assert equipment_records_count(site_ids=[site.pk], installed_only=True) == 2


def test_delete_needs_confirmation_and_protected_units_are_kept(client_for, officer, site, inventory):
    c = client_for(officer)
    mistake, kept = inventory["units"][0], inventory["units"][1]
    response = c.post(reverse("web:equipment-delete", args=[mistake.pk]), {})
    assert response.status_code == 200 and Equipment.objects.filter(pk=mistake.pk).exists()
    response = c.post(reverse("web:equipment-delete", args=[mistake.pk]), {"confirm": "on"})
    assert response.status_code == 302 and not Equipment.objects.filter(pk=mistake.pk).exists()
    assert AuditEvent.objects.filter(action="equipment.delete", object_id=str(mistake.pk)).exists()

    from apps.remediation.models import PolicyRule

    rule, day = PolicyRule.objects.first(), dt.date(2026, 1, 1)  # rules seeded by the remediation migration
    RemediationPlanFactory(equipment=kept, rule=rule, deadline=day, discovered_on=day)
    response = c.post(reverse("web:equipment-delete", args=[kept.pk]), {"confirm": "on"})
    assert response.status_code == 200
    assert "set its status to removed" in " ".join(response.context["form"].non_field_errors())
    assert Equipment.objects.filter(pk=kept.pk).exists()


# --- vendors ---------------------------------------------------------------------------------------------------

def _as_curator(user):
    """The officer as a registry curator with a verified second factor: its changes to shared vendor facts are
    written at once (an officer's are change proposals: tests/web/test_proposals.py)."""
    from django.test import Client

    from tests.conftest import second_factor_login
    from tests.factories import CuratorFactory

    CuratorFactory(user=user)
    user.save()
    return second_factor_login(Client(), user)


def test_officer_records_and_edits_a_vendor(client_for, officer):
    c = _as_curator(officer)  # a verified curator writes shared vendor facts directly
    response = c.post(reverse("web:vendor-create"), {"name": "  Example   Drone Co.,  Ltd. ",
                                                     "country_of_incorporation": "CN",
                                                     "country_of_headquarters": "", "website": "",
                                                     "description": ""})
    vendor = Vendor.objects.get(name="Example Drone Co., Ltd.")
    assert response.status_code == 302 and response["Location"] == reverse("web:vendor-detail", args=[vendor.pk])
    assert vendor.country_of_incorporation.code == "CN"
    response = c.post(reverse("web:vendor-create"), {"name": "Example Drone Co., Ltd."})
    assert response.status_code == 200 and "name" in response.context["form"].errors
    response = c.post(reverse("web:vendor-edit", args=[vendor.pk]), {"name": vendor.name, "website": "ftp://x",
                                                                     "country_of_incorporation": "CN"})
    assert "website" in response.context["form"].errors
    response = c.post(reverse("web:vendor-edit", args=[vendor.pk]), {"name": vendor.name,
                                                                     "country_of_headquarters": "HK",
                                                                     "country_of_incorporation": "CN"})
    assert response.status_code == 302
    vendor.refresh_from_db()
    assert vendor.country_of_headquarters.code == "HK"
    assert AuditEvent.objects.filter(action="vendor.update", object_id=str(vendor.pk)).exists()


def test_aliases_and_identifiers_are_added_checked_and_removed(client_for, officer):
    vendor = VendorFactory(name="Zhejiang Example Technology Co., Ltd.")
    c = _as_curator(officer)  # a verified curator writes shared vendor facts directly
    page = c.get(reverse("web:vendor-detail", args=[vendor.pk]))
    assert b'id="alias-form"' in page.content and b'id="identifier-form"' in page.content

    ok = c.post(reverse("web:vendor-alias-add", args=[vendor.pk]),
                {"alias-name": "浙江示例科技", "alias-kind": "local_script", "alias-language": "zh-Hans"})
    assert ok.status_code == 302
    alias = VendorAlias.objects.get(vendor=vendor)
    assert (alias.name, alias.kind) == ("浙江示例科技", "local_script")
    again = c.post(reverse("web:vendor-alias-add", args=[vendor.pk]),
                   {"alias-name": "浙江示例科技", "alias-kind": "trade_name", "alias-language": ""})
    assert again.status_code == 400 and again.context["alias_form"].errors
    assert VendorAlias.objects.filter(vendor=vendor).count() == 1

    bad = c.post(reverse("web:vendor-identifier-add", args=[vendor.pk]),
                 {"identifier-scheme": "lei", "identifier-value": "5299000J2N45DDNE4Y29", "identifier-country": ""})
    assert bad.status_code == 400 and "value" in bad.context["identifier_form"].errors
    good = c.post(reverse("web:vendor-identifier-add", args=[vendor.pk]),
                  {"identifier-scheme": "lei", "identifier-value": "5299000j2n45ddne4y28", "identifier-country": ""})
    assert good.status_code == 302
    ident = VendorIdentifier.objects.get(vendor=vendor)
    assert ident.value == "5299000J2N45DDNE4Y28"  # stored canonical

    assert c.post(reverse("web:vendor-alias-remove", args=[vendor.pk, alias.pk])).status_code == 302
    assert c.post(reverse("web:vendor-identifier-remove", args=[vendor.pk, ident.pk])).status_code == 302
    assert not VendorAlias.objects.filter(vendor=vendor).exists()
    assert not VendorIdentifier.objects.filter(vendor=vendor).exists()
    assert AuditEvent.objects.filter(action="vendoralias.delete").exists()
    assert c.get(reverse("web:vendor-alias-remove", args=[vendor.pk, alias.pk])).status_code == 405


def test_owners_and_oem_makers_are_recorded_by_name_checked_and_removed(client_for, officer):
    from apps.vendors.models import OemRelation, Ownership

    zpmc = VendorFactory(name="Shanghai Zhenhua Heavy Industries Co., Ltd.")
    cccc = VendorFactory(name="China Communications Construction Company Limited")
    VendorAliasFactory(vendor=cccc, name="CCCC")
    brand = VendorFactory(name="Example White Label Cameras")
    c = _as_curator(officer)  # a verified curator writes shared vendor facts directly
    add_owner = reverse("web:vendor-ownership-add", args=[zpmc.pk])

    unknown = c.post(add_owner, {"owner-owner": "CCCCC", "owner-kind": "shareholding", "owner-share_percent": "16"})
    assert unknown.status_code == 400
    assert "No vendor is recorded" in " ".join(unknown.context["ownership_form"].errors["owner"])
    ok = c.post(add_owner, {"owner-owner": "cccc", "owner-kind": "shareholding", "owner-share_percent": "16.2",
                            "owner-start_date": "2020-01-01", "owner-source": "ZPMC annual report 2023"})
    assert ok.status_code == 302
    link = Ownership.objects.get(owned=zpmc)
    assert (link.owner, link.share_percent, link.source) == (cccc, Decimal("16.2"), "ZPMC annual report 2023")
    too_much = c.post(add_owner, {"owner-owner": "CCCC", "owner-kind": "control", "owner-share_percent": "90"})
    assert too_much.status_code == 400
    assert "cannot exceed 100%" in " ".join(too_much.context["ownership_form"].errors["share_percent"])
    cycle = c.post(reverse("web:vendor-ownership-add", args=[cccc.pk]),
                   {"owner-owner": zpmc.name, "owner-kind": "shareholding", "owner-share_percent": ""})
    assert cycle.status_code == 400 and "cycle" in " ".join(cycle.context["ownership_form"].errors["owner"])
    page = c.get(reverse("web:vendor-detail", args=[zpmc.pk]))
    assert b"ZPMC annual report 2023" in page.content and b"since 2020-01-01" in page.content

    add_oem = reverse("web:vendor-oem-add", args=[brand.pk])
    itself = c.post(add_oem, {"oem-manufacturer": brand.name, "oem-confidence": "reported", "oem-category": ""})
    assert itself.status_code == 400 and "manufacturer" in itself.context["oem_form"].errors
    made = c.post(add_oem, {"oem-manufacturer": zpmc.name, "oem-confidence": "confirmed", "oem-category": "camera",
                            "oem-source": "FCC filing"})
    assert made.status_code == 302
    relation = OemRelation.objects.get(brand=brand)
    assert (relation.manufacturer, relation.category, relation.confidence) == (zpmc, "camera", "confirmed")
    twice = c.post(add_oem, {"oem-manufacturer": zpmc.name, "oem-confidence": "likely", "oem-category": "camera"})
    assert twice.status_code == 400 and OemRelation.objects.count() == 1

    assert c.post(reverse("web:vendor-ownership-remove", args=[zpmc.pk, link.pk])).status_code == 302
    assert c.post(reverse("web:vendor-oem-remove", args=[brand.pk, relation.pk])).status_code == 302
    assert not Ownership.objects.exists() and not OemRelation.objects.exists()
    assert AuditEvent.objects.filter(action="ownership.delete").exists()
    assert AuditEvent.objects.filter(action="oemrelation.delete").exists()
    # A link is removed from the page of the vendor it belongs to only.
    other = OwnershipFactory(owner=cccc, owned=zpmc)
    assert c.post(reverse("web:vendor-ownership-remove", args=[cccc.pk, other.pk])).status_code == 404


def test_vendor_page_writes_say_what_was_recorded_or_removed(client_for, officer):
    from django.contrib.messages import get_messages

    from apps.vendors.models import OemRelation, Ownership

    zpmc = VendorFactory(name="ZPMC")
    cccc = VendorFactory(name="CCCC")
    c = _as_curator(officer)  # a verified curator writes shared vendor facts directly

    def said(url, data=None):
        response = c.post(url, data or {})
        assert response.status_code == 302 and response.url == reverse("web:vendor-detail", args=[zpmc.pk])
        return [str(m) for m in get_messages(response.wsgi_request)][-1]  # the page's earlier ones not shown

    assert said(reverse("web:vendor-alias-add", args=[zpmc.pk]), {"alias-name": "Zhenhua", "alias-kind": "trade_name"}
                ) == "Recorded: alias \u201cZhenhua\u201d."
    ident_data = {"identifier-scheme": "lei", "identifier-value": "5299000J2N45DDNE4Y28"}
    added = said(reverse("web:vendor-identifier-add", args=[zpmc.pk]), ident_data)
    assert added == "Recorded: identifier 5299000J2N45DDNE4Y28."
    owned = said(reverse("web:vendor-ownership-add", args=[zpmc.pk]),
                 {"owner-owner": "CCCC", "owner-kind": "shareholding", "owner-share_percent": "16"})
    link = Ownership.objects.get(owned=zpmc)
    assert owned == "Recorded: CCCC owns ZPMC; the vendor is screened again through its owner once it is in force."
    made = said(reverse("web:vendor-oem-add", args=[zpmc.pk]),
                {"oem-manufacturer": "CCCC", "oem-confidence": "confirmed", "oem-category": ""})
    relation = OemRelation.objects.get(brand=zpmc)
    assert made == "Recorded: ZPMC is made by CCCC." and relation.confidence == "confirmed"

    alias, ident = zpmc.aliases.get(), zpmc.identifiers.get()
    assert said(reverse("web:vendor-alias-remove", args=[zpmc.pk, alias.pk])) == (
        "Recorded: removal of alias \u201cZhenhua\u201d.")
    assert said(reverse("web:vendor-identifier-remove", args=[zpmc.pk, ident.pk])) == (
        f"Recorded: removal of identifier {ident}.")
    assert said(reverse("web:vendor-ownership-remove", args=[zpmc.pk, link.pk])) == f"Recorded: removal of {link}."
    assert said(reverse("web:vendor-oem-remove", args=[zpmc.pk, relation.pk])) == f"Recorded: removal of {relation}."
    assert not (zpmc.aliases.exists() or zpmc.identifiers.exists() or Ownership.objects.exists()
                or OemRelation.objects.exists())
    assert c.post(reverse("web:vendor-alias-remove", args=[cccc.pk, alias.pk])).status_code == 404


def test_read_only_roles_cannot_change_vendor_links(client_for, viewer):
    from apps.vendors.models import Ownership

    owned, owner = VendorFactory(), VendorFactory()
    link = OwnershipFactory(owner=owner, owned=owned)
    c = client_for(viewer)
    assert c.post(reverse("web:vendor-ownership-add", args=[owned.pk]), {"owner-owner": owner.name}).status_code == 403
    assert c.post(reverse("web:vendor-ownership-remove", args=[owned.pk, link.pk])).status_code == 403
    assert c.post(reverse("web:vendor-oem-add", args=[owned.pk]), {"oem-manufacturer": owner.name}).status_code == 403
    assert Ownership.objects.filter(pk=link.pk).exists()
    page = c.get(reverse("web:vendor-detail", args=[owned.pk]))
    assert page.status_code == 200 and b'id="ownership-form"' not in page.content and b"Remove" not in page.content


def test_components_are_added_by_vendor_name_and_move_the_risk_status(client_for, officer, site, inventory):
    from apps.inventory.models import Component

    unit = inventory["units"][0]
    modem_maker = VendorFactory(name="Example Cellular Modules Co.")
    fcc = ListSourceFactory(code="fcc_covered", name="FCC Covered List", publisher="FCC", regime="us_fcc")
    FindingFactory(vendor=modem_maker, key="fcc:1", source=fcc, path_text="listed", status="prohibited")
    c = client_for(officer)
    add = reverse("web:component-add", args=[unit.pk])
    unknown = c.post(add, {"component-kind": "comms_module", "component-vendor": "Example Cellular"})
    assert unknown.status_code == 400
    assert "No vendor is recorded" in " ".join(unknown.context["component_form"].errors["vendor"])
    assert not Component.objects.exists()

    ok = c.post(add, {"component-kind": "comms_module", "component-vendor": "example cellular modules co.",
                      "component-name": "EC25 LTE modem"})
    assert ok.status_code == 302
    part = Component.objects.get(equipment=unit)
    assert (part.vendor, part.kind, part.name) == (modem_maker, "comms_module", "EC25 LTE modem")
    unit.refresh_from_db()
    assert unit.risk_status == "prohibited" and "Component Example Cellular Modules Co." in unit.risk_reason
    page = c.get(reverse("web:equipment-detail", args=[unit.pk]))
    assert b"EC25 LTE modem" in page.content and b'id="component-form"' in page.content

    assert c.post(reverse("web:component-remove", args=[unit.pk, part.pk])).status_code == 302
    unit.refresh_from_db()
    assert not Component.objects.exists() and unit.risk_status == "clear"
    assert AuditEvent.objects.filter(action="component.delete").exists()


def test_components_of_other_organisations_and_read_only_roles_are_refused(client_for, viewer, officer,
                                                                           other_site, site):
    from apps.inventory.models import Component

    foreign = EquipmentFactory(site=other_site)
    part = ComponentFactory(equipment=foreign, kind="soc")
    c = client_for(officer)
    assert c.post(reverse("web:component-remove", args=[foreign.pk, part.pk])).status_code == 404
    own = EquipmentFactory(site=site)
    assert c.post(reverse("web:component-remove", args=[own.pk, part.pk])).status_code == 404
    v = client_for(viewer)
    assert v.post(reverse("web:component-add", args=[own.pk]), {"component-kind": "soc"}).status_code == 403
    assert Component.objects.filter(pk=part.pk).exists()
