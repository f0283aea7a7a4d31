import datetime as dt

import pytest

from apps.lists.sources import us_csl_csv
from apps.lists.sources.base import ParseError
from tests.lists.fixtures import FIXTURES, by_id


def _entries():
    return by_id(us_csl_csv.parse([FIXTURES / "csl.csv"]))


def test_sub_list_and_external_id_from_source_and_id():
    entries = _entries()
    hik = entries["EL:f095626c9f8becc70b5948507fb6de6e443b257a"]
    assert hik.sub_list == "Entity List"
    assert hik.extra["csl_id"] == "f095626c9f8becc70b5948507fb6de6e443b257a"
    assert hik.aliases == ["Hikvision"]
    assert hik.listed_on == dt.date(2019, 10, 9)
    assert hik.countries == ["CN"]
    assert len(hik.addresses) == 2
    assert hik.entry_type == "entity"


def test_glued_address_and_padding_are_cleaned():
    entries = _entries()
    huawei = entries["EL:3f59b5f408d659748d89f695148d9b00136a77e4"]
    assert huawei.primary_name == "Huawei Technologies Service Co., Ltd."
    assert huawei.extra["raw_name"] == "Huawei Technologies Service Co., Ltd., Langfang, Hebei, "
    assert entries["DPL:deb7a1d5743a85c354ca1a2c7f2664e2104b32d7"].primary_name == "I. ASH"
    dahua = entries["DPL:9d575b755f97b8e5e97a297c95fdc3a197a16fe8"]
    assert dahua.primary_name == "DAHUA ELECTRONICS CORPORATION"
    assert dahua.sub_list == "DPL"
    assert dahua.end_date == dt.date(2027, 9, 28)


def test_bad_date_gives_none():
    entries = _entries()
    assert entries["DPL:deb7a1d5743a85c354ca1a2c7f2664e2104b32d7"].end_date is None


def test_ids_become_identifiers_and_other_facts_are_kept_aside():
    entries = _entries()
    cmic = entries["CMIC:30902"]
    assert cmic.identifiers == [{"scheme": "uscc", "value": "91110000MA005UCQ5P", "country": "CN"}]
    assert "03 Jun 2021, Listing Date (CMIC)" in cmic.extra["ids_other"]
    person = entries["SDN:26860"]
    assert person.entry_type == "individual"
    assert person.identifiers == [{"scheme": "passport", "value": "A1234567", "country": "IQ"}]
    assert person.programs == ["IFSR", "IRGC", "SDGT"]
    assert set(person.countries) == {"IQ", "IR"}


def test_same_treasury_id_on_two_sub_lists_gives_two_entries_and_adjacent_repeat_merges():
    entries = _entries()
    assert {"CAP:18725", "SDN:18725"} <= entries.keys()
    cap = entries["CAP:18725"]
    assert cap.aliases == ["VTB AFRICA", "BANCO VTB AFRICA S.A."]
    assert {"scheme": "tax_id", "value": "5401108437", "country": "AO"} in cap.identifiers
    assert len(entries) == 8


def test_missing_column_is_refused(tmp_path):
    path = tmp_path / "consolidated.csv"
    path.write_text("_id,source,nom\n1,SDN,x\n", encoding="utf-8")
    with pytest.raises(ParseError, match="missing column"):
        list(us_csl_csv.parse([path]))


def test_ragged_row_is_refused(tmp_path):
    header = (FIXTURES / "csl.csv").read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "consolidated.csv"
    path.write_text(header + "\n1,SDN,x\n", encoding="utf-8")
    with pytest.raises(ParseError, match="expected 29 columns, got 3"):
        list(us_csl_csv.parse([path]))


def test_latin1_bytes_are_a_wrong_encoding(tmp_path):
    header = (FIXTURES / "csl.csv").read_bytes().splitlines()[0]
    path = tmp_path / "consolidated.csv"
    path.write_bytes(header + b"\n" + b"1,SDN,,,,Soci\xe9t\xe9" + b"," * 23 + b"\n")
    with pytest.raises(ParseError, match="not valid utf-8"):
        list(us_csl_csv.parse([path]))
