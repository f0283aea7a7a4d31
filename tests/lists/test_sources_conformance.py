"""Conformance: parse every real published file in ../shared/data/lists and check counts and known entries
(figures from PROVENANCE.md)."""

import collections
import datetime as dt

import pytest

from apps.lists.sources import get_parser

pytestmark = pytest.mark.conformance


def _parse(fmt, paths):
    entries = list(get_parser(fmt).parse(paths))
    ids = [e.external_id for e in entries]
    assert len(ids) == len(set(ids)), "external ids must be unique within one parse"
    for entry in entries:
        assert entry.primary_name and entry.primary_name == entry.primary_name.strip()
        assert len(entry.content_hash()) == 64
    return entries


def _ofac(shared_lists, folder, names):
    return {e.external_id: e for e in _parse("ofac_legacy_csv", [shared_lists / folder / n for n in names])}


def test_ofac_sdn_legacy_csv(shared_lists):
    entries = _ofac(shared_lists, "ofac_sdn", ["sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"])
    assert len(entries) == 8976
    assert entries["306"].primary_name == "BANCO NACIONAL DE CUBA"
    assert "NATIONAL BANK OF CUBA" in entries["306"].aliases
    assert entries["13062"].primary_name == "BOZTEPE, Omer"
    # no false "ZTE" entries: no name or alias is ZTE
    assert not [e for e in entries.values() if "ZTE" in {e.primary_name, *e.aliases}]
    # remarks continued in sdn_comments.csv
    assert "LAZARUS GROUP" in entries["28263"].remarks
    types = collections.Counter(e.entry_type for e in entries.values())
    assert types["vessel"] == 406 and types["aircraft"] == 277
    assert all(e.sub_list == "SDN" for e in entries.values())


def test_ofac_consolidated_legacy_csv(shared_lists):
    names = ["cons_prim.csv", "cons_alt.csv", "cons_add.csv", "cons_comments.csv"]
    entries = _ofac(shared_lists, "ofac_consolidated", names)
    assert len(entries) == 442
    hik = entries["30946"]
    assert hik.primary_name == "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD."
    assert "HIKVISION" in hik.aliases
    assert hik.programs == ["CMIC-EO13959"]
    assert hik.sub_list == "NS-CMIC"
    assert hik.countries == ["CN"]
    assert {"scheme": "uscc", "value": "91330000733796106P", "country": "CN"} in hik.identifiers
    assert hik.listed_on == dt.date(2021, 6, 3)
    cccc = entries["30930"]
    assert cccc.primary_name == "CHINA COMMUNICATIONS CONSTRUCTION COMPANY LIMITED"
    assert "CCCC" in cccc.aliases
    assert entries["30947"].primary_name == "HUAWEI TECHNOLOGIES CO., LTD."
    assert {"scheme": "lei", "value": "253400WSS48YWMBUA688"} in entries["17016"].identifiers
    assert collections.Counter(e.sub_list for e in entries.values()) == {
        "SSI": 286,
        "NS-PLC": 78,
        "NS-CMIC": 68,
        "Consolidated (non-SDN)": 9,
        "CAPTA": 1,
    }


def test_us_csl_csv(shared_lists):
    entries = _parse("us_csl_csv", [shared_lists / "us_csl" / "consolidated.csv"])
    # 14,160 rows; one CAP row repeats the previous row (same _id) and is merged into it
    assert len(entries) == 14159
    per_list = collections.Counter(e.sub_list for e in entries)
    assert per_list == {
        "SDN": 10026,
        "Entity List": 2001,
        "DTC": 727,
        "DPL": 462,
        "SSI": 290,
        "UVL": 201,
        "ISN": 163,
        "PLC": 78,
        "MEU": 71,
        "CMIC": 68,
        "CAP": 52,
        "NS-MBS": 17,
        "FSE": 3,
    }
    by_id = {e.external_id: e for e in entries}
    hik = by_id["EL:f095626c9f8becc70b5948507fb6de6e443b257a"]
    assert hik.primary_name == "Hangzhou Hikvision Digital Technology Co., Ltd."
    assert hik.aliases == ["Hikvision"]
    assert hik.listed_on == dt.date(2019, 10, 9)
    nuctech = [e for e in entries if e.extra["csl_id"].startswith("5d6921cda395")]
    assert [(e.sub_list, e.primary_name) for e in nuctech] == [("Entity List", "Tongfang NucTech Technology Ltd.")]
    dahua_dpl = [e for e in entries if e.extra["csl_id"].startswith("9d575b755f97")]
    assert [(e.sub_list, e.primary_name) for e in dahua_dpl] == [("DPL", "DAHUA ELECTRONICS CORPORATION")]
    dahua_el = [e for e in entries if e.extra["csl_id"].startswith("f85aef98e839")]
    assert dahua_el[0].sub_list == "Entity List" and dahua_el[0].external_id != dahua_dpl[0].external_id
    glued = [e for e in entries if e.extra["csl_id"].startswith("3f59b5f408d6")]
    assert glued[0].primary_name == "Huawei Technologies Service Co., Ltd."
    assert not [e for e in entries if e.primary_name != e.primary_name.strip() or e.primary_name.endswith(",")]
    cccc = [e for e in entries if e.extra["csl_id"].startswith("5ab6d75cd003")]
    assert cccc[0].sub_list == "Entity List"
    assert "China Communications Construction" in cccc[0].primary_name


def test_dod_1260h_csv(shared_lists):
    entries = _parse("dod_1260h_csv", [shared_lists / "dod_1260h" / "sanctions.csv"])
    assert len(entries) == 397
    assert sum(1 for e in entries if e.end_date) == 21
    starts = collections.Counter(e.listed_on.isoformat() for e in entries)
    assert starts == {"2021-06-03": 47, "2022-10-05": 13, "2024-01-31": 16, "2025-01-07": 133, "2026-06-08": 188}
    hik = [e for e in entries if e.extra["entity_key"] == "hangzhou-hikvision-digital-technology-co-ltd"]
    assert sorted(e.listed_on.year for e in hik) == [2021, 2025, 2026]
    assert {e.parent_name for e in hik if e.listed_on.year in (2021, 2025)} == {
        "China Electronics Technology Group Corporation"
    }
    cccc = [e for e in entries if e.primary_name == "China Communications Construction Company Limited"]
    assert sorted(e.listed_on.year for e in cccc) == [2021, 2025, 2026]
    assert cccc[0].extra["ns_cmic"] is True
    zpmc = [e for e in entries if e.primary_name == "ZPMC North America, Inc."]
    assert len(zpmc) == 1 and zpmc[0].listed_on == dt.date(2026, 6, 8)
    assert "China Communications Construction Group" in zpmc[0].parent_name
    megvii = [e for e in entries if "Megvii" in e.primary_name]
    assert [(e.listed_on, e.end_date) for e in megvii] == [(dt.date(2024, 1, 31), dt.date(2025, 1, 7))]


def test_ndaa_csv(shared_lists):
    files = sorted((shared_lists / "us_ndaa").glob("section_*.csv"))
    entries = _parse("ndaa_csv", files)
    per_section = collections.Counter(e.sub_list for e in entries)
    assert per_section == {"Section 889": 5, "Section 5949": 3, "Section 154": 6}
    names_889 = {e.primary_name for e in entries if e.sub_list == "Section 889"}
    assert names_889 == {
        "Huawei Technologies Company",
        "ZTE Corporation",
        "Hytera Communications Corporation",
        "Hangzhou Hikvision Digital Technology Company",
        "Dahua Technology Company",
    }


@pytest.mark.parametrize("name", ["table.csv", "covered_list_entities_transcribed.csv"])
def test_fcc_covered_csv(shared_lists, name):
    entries = {e.external_id: e for e in _parse("fcc_covered_csv", [shared_lists / "fcc_covered_list" / name])}
    assert len(entries) == 13  # 16 rows: 4 product categories skipped, Pacific Networks / ComNet split in two
    hik = entries["hangzhou-hikvision-digital-technology-company"]
    assert hik.listed_on == dt.date(2021, 3, 12)
    assert "Video surveillance" in hik.scope
    assert entries["ao-kaspersky-lab"].listed_on == dt.date(2022, 3, 25)
    assert entries["kaspersky-lab-inc"].listed_on == dt.date(2024, 7, 23)
    assert entries["zte-corporation"].scope.startswith("Telecommunications equipment")


def test_ofac_enhanced_xml(shared_lists):
    entries = {
        e.external_id: e
        for e in _parse("ofac_enhanced_xml", [shared_lists / "ofac_consolidated" / "cons_enhanced.xml"])
    }
    assert len(entries) == 443
    types = collections.Counter(e.entry_type for e in entries.values())
    assert types == {"entity": 363, "individual": 80}
    hik = entries["30946"]
    assert hik.primary_name == "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD."
    assert "HIKVISION" in hik.aliases
    assert hik.sub_list == "Non-SDN CMIC List"
    assert {"scheme": "uscc", "value": "91330000733796106P", "country": "CN"} in hik.identifiers
    cccc = entries["30930"]
    assert cccc.primary_name == "CHINA COMMUNICATIONS CONSTRUCTION COMPANY LIMITED"
    assert cccc.programs == ["CMIC-EO13959"]
    assert "CCCC" in cccc.aliases
    # the enhanced XML and the legacy CSV describe the same entities with the same ids
    legacy = _ofac(
        shared_lists, "ofac_consolidated", ["cons_prim.csv", "cons_alt.csv", "cons_add.csv", "cons_comments.csv"]
    )
    assert len(set(legacy) & set(entries)) >= 440


def test_ofac_sdnlist_xml(shared_lists):
    entries = {
        e.external_id: e
        for e in _parse("ofac_sdnlist_xml", [shared_lists / "ofac_consolidated" / "consolidated_legacy_xml_sample.xml"])
    }
    assert len(entries) == 23  # 24 sdnEntry records; uid 15268 appears twice (two programs) and is merged
    assert entries["15268"].programs == ["561List", "561-Related"]
    assert entries["17013"].primary_name == "VTB BANK OAO"
    assert {"scheme": "bic", "value": "VTBRRUMM"} in entries["17013"].identifiers
    assert any(p.startswith("CMIC") or p.startswith("CCMC") for e in entries.values() for p in e.programs)


def test_un_sc_xml(shared_lists):
    entries = _parse("un_sc_xml", [shared_lists / "un_sc" / "consolidated.xml"])
    types = collections.Counter(e.entry_type for e in entries)
    assert types == {"individual": 730, "entity": 273}
    by_id = {e.external_id: e for e in entries}
    adf = by_id["6908402"]
    assert adf.primary_name == "ADF"
    assert "Allied Democratic Forces" in adf.aliases
    assert adf.listed_on == dt.date(2014, 6, 30)
    assert adf.countries == ["CD"]
    assert all(e.listed_on for e in entries)


def test_uk_ofsi_csv(shared_lists):
    entries = _parse("uk_ofsi_csv", [shared_lists / "uk_ofsi" / "conlist_2018_legacy_noheader.csv"])
    assert len(entries) == 2137
    by_id = {e.external_id: e for e in entries}
    group = by_id["13349"]
    assert group.primary_name == "Nayef Salam Muhammad Ujaym AL-HABABI"
    assert "Sheikh Farooq AL-QAHTANI" in group.aliases
    assert group.countries[:2] == ["AF", "SA"]
    assert group.listed_on == dt.date(2016, 4, 1)
    assert not [e for e in entries if e.primary_name.startswith(" ")]
    total_names = sum(1 + len(e.aliases) for e in entries)
    assert 2137 < total_names <= 9717


def test_opensanctions_ftm_full_and_delta(shared_lists):
    folder = shared_lists / "opensanctions_ftm"
    with open(folder / "entities.ftm.json", encoding="utf-8") as fh:
        assert sum(1 for line in fh if line.strip()) == 7
    entries = {e.external_id: e for e in _parse("opensanctions_ftm", [folder / "entities.ftm.json"])}
    assert len(entries) == 6  # the 7th line is an Address entity, not a list entry
    tobacco = entries["NK-2GdmHtZTeNXjNVrBGEXZNj"]
    assert tobacco.primary_name == "RAB „Inter Tobacco“"
    assert tobacco.countries == ["BY"]
    assert {"scheme": "registration", "value": "808000714"} in tobacco.identifiers
    assert entries["NK-2PacmNpiLUmoz4XD2mSt7A"].primary_name == "IRGC"
    assert entries["NK-2Ka3UvopqbpZmVDFjWd4LA"].entry_type == "individual"
    ops = list(get_parser("opensanctions_ftm").parse_delta([folder / "entities.delta.json"]))
    assert [(op, e.external_id) for op, e in ops] == [
        ("ADD", "NK-2T3S8Hu29ktYnKSTgQp2wL"),
        ("ADD", "NK-2sJaJRaPJcWUfMbHjTtWcL"),
    ]
    assert ops[0][1].primary_name == "AL-QAIDA IN IRAQ"


def test_eu_journal_833_csv(shared_lists):
    entries = _parse("eu_journal_csv", [shared_lists / "eu_journal_833" / "32014R0833.csv"])
    assert len(entries) == 1746
    assert collections.Counter(e.entry_type for e in entries) == {"entity": 1085, "vessel": 633, "other": 28}
    hytera = {e.external_id: e for e in entries}["IV:713"]
    assert hytera.primary_name == "Hytera Communications Limited"
    assert hytera.aliases == ["Hytera Communications Ltd."]
    assert hytera.listed_on == dt.date(2025, 2, 25)
    assert hytera.countries == ["HK"]
    # the Zhenhua false friend is not ZPMC
    assert [e.primary_name for e in entries if "Zhenhua" in e.primary_name] == [
        "Zhejiang Zhenhuan CNC Machine Tool Co., Ltd"
    ]
