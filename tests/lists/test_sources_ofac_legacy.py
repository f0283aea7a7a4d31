import pytest

from apps.lists.sources import ofac_legacy_csv
from apps.lists.sources.base import ParseError
from tests.lists.fixtures import FIXTURES, by_id

SDN = [FIXTURES / "ofac_sdn" / n for n in ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv")]
CONS = [FIXTURES / "ofac_cons" / n for n in ("cons_prim.csv", "cons_alt.csv", "cons_add.csv")]


def test_parse_sdn_set_joins_aliases_addresses_and_comments():
    entries = by_id(ofac_legacy_csv.parse(SDN))
    assert set(entries) == {"36", "13062", "20001", "20002"}
    obt = entries["20001"]
    assert obt.primary_name == "O\u2019BRIEN TRADING CO., LTD."  # cp1252 0x92 decoded
    assert obt.programs == ["NPWMD", "IFSR"]
    assert obt.sub_list == "SDN"
    assert obt.aliases == ["OBRIEN TRADING", "O.B.T. CO.", "OBT"]
    assert obt.addresses == ["1 Main Street, Moscow 101000, Russia"]
    assert obt.countries == ["RU"]
    # the remarks continue in sdn_comments.csv
    assert obt.remarks.endswith("Tax ID No. 7744001497 (Russia); Website www.obt.example.")
    idents = {(i["scheme"], i["value"]) for i in obt.identifiers}
    assert ("lei", "5493001KJTIIGC8Y1R12") in idents
    assert ("registration", "1027700132195") in idents
    assert ("tax_id", "7744001497") in idents
    assert obt.listed_on is not None and obt.listed_on.isoformat() == "2021-06-03"


def test_parse_sdn_nulls_types_and_vessels():
    entries = by_id(ofac_legacy_csv.parse(SDN))
    assert entries["36"].entry_type == "entity"
    assert entries["36"].remarks == ""
    assert entries["36"].aliases == ["AERO-CARIBBEAN"]
    assert entries["13062"].entry_type == "individual"
    assert entries["13062"].countries == ["TR"]
    vessel = entries["20002"]
    assert vessel.entry_type == "vessel"
    assert vessel.addresses == []
    assert {"scheme": "imo", "value": "9187629"} in vessel.identifiers
    assert vessel.extra["call_sign"] == "9HXY1"


def test_parse_consolidated_set_recognised_by_file_names():
    (entry,) = list(ofac_legacy_csv.parse(CONS))
    assert entry.external_id == "30930"
    assert entry.sub_list == "NS-CMIC"
    assert "CCCC" in entry.aliases
    assert {"scheme": "uscc", "value": "91110000710934369E", "country": "CN"} in entry.identifiers


def test_primary_file_alone_is_enough():
    entries = list(ofac_legacy_csv.parse([FIXTURES / "ofac_sdn" / "sdn.csv"]))
    assert len(entries) == 4


def test_missing_primary_file_is_refused():
    with pytest.raises(ParseError, match="no sdn.csv or cons_prim.csv"):
        list(ofac_legacy_csv.parse([FIXTURES / "ofac_sdn" / "alt.csv"]))


def test_wrong_column_count_is_refused(tmp_path):
    path = tmp_path / "sdn.csv"
    path.write_bytes(b'36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA"\r\n')
    with pytest.raises(ParseError, match="expected 12 columns, got 4"):
        list(ofac_legacy_csv.parse([path]))


def test_non_numeric_ent_num_is_refused(tmp_path):
    path = tmp_path / "sdn.csv"
    path.write_bytes(b'x1,"A",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n')
    with pytest.raises(ParseError, match="is not a number"):
        list(ofac_legacy_csv.parse([path]))


def test_undefined_cp1252_byte_is_a_wrong_encoding(tmp_path):
    path = tmp_path / "sdn.csv"
    path.write_bytes(b'36,"A\x81B",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n')
    with pytest.raises(ParseError, match="not valid cp1252"):
        list(ofac_legacy_csv.parse([path]))
