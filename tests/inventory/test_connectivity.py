"""Connectivity as facts (#16 item 7): four flags and who holds remote access, in the model, filters, the API,
imports, and the rules' context."""
import pytest
from django.core.exceptions import ValidationError

from apps.inventory.filtersets import EquipmentFilterSet
from apps.inventory.imports import import_commit, import_validate
from apps.inventory.models import Equipment
from apps.remediation.context import equipment_contexts, equipment_rows
from tests.factories import EquipmentFactory, VendorFactory

pytestmark = pytest.mark.django_db
HEADER = "site_code,category,brand,model_number,asset_tag,internet_connected,vendor_remote_access," \
         "remote_access_vendor,cellular_modem,isolated_segment,connectivity\n"


def test_facts_combine_and_give_one_level(site):
    maker = VendorFactory(name="Crane Maker")
    unit = EquipmentFactory(site=site, internet_connected=True, vendor_remote_access=True, cellular_modem=True,
                            remote_access_vendor=maker)
    assert unit.connectivity_facts == {"internet_connected", "vendor_remote_access", "cellular_modem"}
    assert unit.connectivity == "vendor_remote"
    assert EquipmentFactory(site=site, cellular_modem=True).connectivity == "internet"
    assert EquipmentFactory(site=site, isolated_segment=True).connectivity == "isolated"
    assert EquipmentFactory(site=site).connectivity == "site_network"
    ctx = equipment_contexts(equipment_rows([unit.pk]))[unit.pk]
    assert ctx.facts == {"internet_connected", "vendor_remote_access", "cellular_modem"}
    assert ctx.connectivity == "vendor_remote"


def test_contradictions_are_refused(site):
    unit = Equipment(site=site, product_model=EquipmentFactory(site=site).product_model, category="camera",
                     isolated_segment=True, internet_connected=True, remote_access_vendor=VendorFactory())
    with pytest.raises(ValidationError) as exc:
        unit.full_clean()
    assert {"isolated_segment", "remote_access_vendor"} <= set(exc.value.message_dict)


def test_filters_by_fact_and_remote_access_vendor(site):
    maker = VendorFactory(name="Remote Holder")
    remote = EquipmentFactory(site=site, vendor_remote_access=True, remote_access_vendor=maker)
    modem = EquipmentFactory(site=site, cellular_modem=True)
    plain = EquipmentFactory(site=site)
    qs = Equipment.objects.all()
    assert set(EquipmentFilterSet({"vendor_remote_access": "true"}, queryset=qs).qs) == {remote}
    assert set(EquipmentFilterSet({"cellular_modem": "true"}, queryset=qs).qs) == {modem}
    assert set(EquipmentFilterSet({"vendor_remote_access": "false", "cellular_modem": "false"},
                                  queryset=qs).qs) == {plain}
    assert set(EquipmentFilterSet({"remote_access_vendor": maker.pk}, queryset=qs).qs) == {remote}


def test_import_reads_the_flags_the_holder_and_the_older_single_value(org, site, officer, tmp_path):
    VendorFactory(name="ZPMC Service Co")
    path = tmp_path / "eq.csv"
    path.write_text(HEADER + "T1,sts_crane,Crane Co,STS-1,C-1,yes,yes,ZPMC Service Co,yes,no,\n"
                             "T1,camera,Cam Co,CAM-1,C-2,,,,,,isolated\n"
                             "T1,camera,Cam Co,CAM-1,C-3,,,,,,vendor_remote\n", encoding="utf-8")
    import_commit(organization=org, kind="equipment", path=path, fmt="csv", actor=officer)
    crane = Equipment.objects.get(asset_tag="C-1")
    assert (crane.internet_connected, crane.vendor_remote_access, crane.cellular_modem, crane.isolated_segment) == (
        True, True, True, False)
    assert crane.remote_access_vendor.name == "ZPMC Service Co"
    assert Equipment.objects.get(asset_tag="C-2").connectivity_facts == {"isolated_segment"}
    assert Equipment.objects.get(asset_tag="C-3").connectivity_facts == {"vendor_remote_access"}


def test_import_refuses_bad_flags(org, site, tmp_path):
    path = tmp_path / "eq.csv"
    path.write_text(HEADER + "T1,camera,Cam Co,CAM-1,C-1,maybe,no,Someone,no,no,\n"
                             "T1,camera,Cam Co,CAM-1,C-2,yes,no,,no,yes,\n", encoding="utf-8")
    report = import_validate(organization=org, kind="equipment", path=path, fmt="csv")
    cols = {(e.row, e.column) for e in report.errors}
    assert {(2, "internet_connected"), (2, "remote_access_vendor"), (3, "isolated_segment")} <= cols


def test_api_reads_and_writes_the_facts(officer, site):
    from rest_framework.test import APIClient

    from apps.api.services import api_token_create

    _, key = api_token_create(user=officer, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    holder = VendorFactory(name="Holder Co")
    unit = EquipmentFactory(site=site)
    answer = client.patch(f"/api/v1/equipment/{unit.pk}/", {"vendor_remote_access": True, "cellular_modem": True,
                                                            "remote_access_vendor": holder.pk}, format="json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["vendor_remote_access"] and body["cellular_modem"] and body["remote_access_vendor"] == holder.pk
    assert body["connectivity"] == "vendor_remote" and not body["isolated_segment"]
    listed = client.get("/api/v1/equipment/", {"vendor_remote_access": "true"}).json()["results"]
    assert [row["id"] for row in listed] == [unit.pk]
    bad = client.patch(f"/api/v1/equipment/{unit.pk}/", {"vendor_remote_access": False}, format="json")
    assert bad.status_code == 400  # the holder stays named: refused, nothing changed
