import datetime as dt

import pytest

from apps.lists.sources import dod_1260h_csv, fcc_covered_csv, ndaa_csv
from apps.lists.sources.base import ParseError
from tests.lists.fixtures import FIXTURES, by_id


def test_1260h_one_entry_per_tranche_with_parent_and_cmic_star():
    entries = by_id(dod_1260h_csv.parse([FIXTURES / "dod_1260h.csv"]))
    hik21 = entries["hangzhou-hikvision-digital-technology-co-ltd@2021-06-03"]
    hik26 = entries["hangzhou-hikvision-digital-technology-co-ltd@2026-06-08"]
    assert hik21.parent_name == "China Electronics Technology Group Corporation"
    assert hik21.extra["ns_cmic"] is True and hik26.extra["ns_cmic"] is False
    assert hik21.extra["entity_key"] == hik26.extra["entity_key"]
    assert hik21.aliases == ["Hikvision"]
    assert hik26.remarks == "Hikvision is indirectly owned by SASAC."
    assert hik26.listed_on == dt.date(2026, 6, 8)
    megvii = entries["beijing-megvii-technology-co-ltd@2024-01-31"]
    assert megvii.end_date == dt.date(2025, 1, 7)
    zpmc = entries["zpmc-north-america-inc@2026-06-08"]
    assert zpmc.parent_name == "China Communications Construction Group (Limited)"


def test_1260h_alias_splitting_and_missing_clean_name():
    entries = by_id(dod_1260h_csv.parse([FIXTURES / "dod_1260h.csv"]))
    knownsec = entries["beijing-zhidao-chuangyu-information-technology-co-ltd@2022-10-05"]
    assert knownsec.aliases == ["Knownsec", "Beijing Kownsec"]
    avic = entries["avic-avionics-co-ltd@2025-01-07"]
    assert avic.primary_name == "AVIC Avionics Co., Ltd."
    assert avic.aliases == ["China Avionics Systems Co., Ltd.", "Old Avionics Name", "OAN"]
    assert avic.end_date is None  # "not a date"


def test_1260h_missing_columns_refused(tmp_path):
    path = tmp_path / "sanctions.csv"
    path.write_text("Name,Alias,Start\nX,Y,2021-01-01\n", encoding="utf-8")
    with pytest.raises(ParseError, match="missing column.*Clean Name"):
        list(dod_1260h_csv.parse([path]))


def test_ndaa_sections_from_file_names():
    entries = by_id(ndaa_csv.parse(sorted((FIXTURES / "ndaa").glob("*.csv"))))
    assert set(entries) == {
        "s889:huawei-technologies-company",
        "s889:zte-corporation",
        "s154:contemporary-amperex-technology-company-limited",
    }
    huawei = entries["s889:huawei-technologies-company"]
    assert huawei.sub_list == "Section 889"
    assert huawei.aliases == ["Huawei"]
    assert huawei.countries == ["CN"]
    assert entries["s889:zte-corporation"].countries == ["CN"]
    catl = entries["s154:contemporary-amperex-technology-company-limited"]
    assert catl.listed_on == dt.date(2023, 12, 22)
    assert catl.extra["effective_date"] == "2027-10-01"


def test_ndaa_unknown_schema_refused(tmp_path):
    path = tmp_path / "section_1.csv"
    text = (FIXTURES / "ndaa" / "section_889.csv").read_text(encoding="utf-8").replace("Company,ZTE", "Robot,ZTE")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParseError, match="unknown schema"):
        list(ndaa_csv.parse([path]))


def test_fcc_transcribed_gives_scope_and_date_and_skips_categories():
    entries = by_id(fcc_covered_csv.parse([FIXTURES / "fcc_transcribed.csv"]))
    assert set(entries) == {"hangzhou-hikvision-digital-technology-company", "pacific-networks-corp", "comnet-usa-llc"}
    hik = entries["hangzhou-hikvision-digital-technology-company"]
    assert hik.listed_on == dt.date(2021, 3, 12)
    assert hik.scope.startswith("Video surveillance")
    assert entries["comnet-usa-llc"].scope == entries["pacific-networks-corp"].scope


def test_fcc_scraped_table_extracts_entities_and_cleans_artefacts():
    entries = by_id(fcc_covered_csv.parse([FIXTURES / "fcc_table.csv"]))
    assert set(entries) == {
        "hangzhou-hikvision-digital-technology-company",
        "pacific-networks-corp",
        "comnet-usa-llc",
        "kaspersky-lab-inc",
    }
    hik = entries["hangzhou-hikvision-digital-technology-company"]
    assert hik.primary_name == "Hangzhou Hikvision Digital Technology Company"
    assert hik.listed_on == dt.date(2021, 3, 12)
    assert "to the extent it is used for the purpose of public safety" in hik.scope
    assert entries["kaspersky-lab-inc"].primary_name == "Kaspersky Lab, Inc."
    assert entries["comnet-usa-llc"].primary_name == "ComNet (USA) LLC"


def test_fcc_unknown_layout_refused(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("company,when\nX,2021\n", encoding="utf-8")
    with pytest.raises(ParseError, match="missing columns"):
        list(fcc_covered_csv.parse([path]))


def test_eu_journal_annex_rows():
    from apps.lists.sources import eu_journal_csv

    entries = by_id(eu_journal_csv.parse([FIXTURES / "eu_journal.csv"]))
    assert set(entries) == {"III:1", "IV:713", "IV:2", "XLII:1", "V:example-holding"}
    comms = entries["IV:713"]
    assert comms.sub_list == "Annex IV"
    assert comms.aliases == ["Example Communications Ltd.", "示例通信"]
    assert comms.countries == ["HK"]
    assert comms.listed_on == dt.date(2025, 2, 25)
    assert comms.identifiers == [{"scheme": "registration", "value": "2897516"}]
    plant = entries["IV:2"]
    assert plant.aliases == ["Old Plant Name"]
    assert {"scheme": "inn", "value": "7704730655"} in plant.identifiers
    assert plant.countries == ["RU"]
    vessel = entries["XLII:1"]
    assert vessel.entry_type == "vessel"
    assert vessel.identifiers == [{"scheme": "imo", "value": "9179842"}]
    assert vessel.remarks == "Transport of Russian crude oil"
