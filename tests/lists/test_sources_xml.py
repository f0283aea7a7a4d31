import datetime as dt

import pytest

from apps.lists.sources import eu_fsf_xml, ofac_enhanced_xml, ofac_sdnlist_xml, un_sc_xml
from apps.lists.sources.base import ParseError
from tests.lists.fixtures import FIXTURES, by_id

XML_FORMATS = [
    (ofac_enhanced_xml, "ofac_enhanced.xml"),
    (ofac_sdnlist_xml, "sdnlist.xml"),
    (un_sc_xml, "un.xml"),
    (eu_fsf_xml, "eu_fsf.xml"),
]
ROOTS = {
    "ofac_enhanced.xml": "sanctionsData",
    "sdnlist.xml": "sdnList",
    "un.xml": "CONSOLIDATED_LIST",
    "eu_fsf.xml": "export",
}


def test_ofac_enhanced_names_lists_refs_and_documents():
    entries = by_id(ofac_enhanced_xml.parse([FIXTURES / "ofac_enhanced.xml"]))
    hik = entries["30946"]
    assert hik.primary_name == "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD."
    assert hik.aliases == ["杭州海康威视数字技术股份有限公司", "HIKVISION"]
    assert hik.entry_type == "entity"  # resolved through referenceValues (refId 601)
    assert hik.sub_list == "Non-SDN CMIC List"
    assert hik.extra["sanctions_lists"] == ["Consolidated List", "Non-SDN CMIC List"]
    assert hik.listed_on == dt.date(2020, 11, 12)
    assert hik.programs == ["CMIC-EO13959"]
    assert hik.addresses == ["555, Qianmo Road, Hangzhou, China"]
    assert hik.countries == ["CN"]
    assert {"scheme": "isin", "value": "CNE100000PM8"} in hik.identifiers
    assert {"scheme": "uscc", "value": "91330000733796106P", "country": "CN"} in hik.identifiers
    assert all(i["scheme"] != "target_type" for i in hik.identifiers)
    person = entries["9639"]
    assert person.entry_type == "individual"
    assert person.remarks == "HAMAS - Hebron"


def test_sdnlist_xml_merges_repeated_uid_and_formats_person_names():
    entries = by_id(ofac_sdnlist_xml.parse([FIXTURES / "sdnlist.xml"]))
    assert set(entries) == {"15268", "9674"}
    bank = entries["15268"]
    assert bank.programs == ["561List", "561-Related"]
    assert bank.aliases == ["KUNLUN BANK"]
    assert bank.identifiers == [{"scheme": "bic", "value": "CKLBCNBJ"}]
    assert bank.countries == ["CN"]
    assert bank.extra["publish_date"] == "12/17/2014"
    person = entries["9674"]
    assert person.primary_name == "QFEISHEH, Hatem"
    assert person.aliases == ["KAFEESHEH, Hatem Rabah"]
    assert person.entry_type == "individual"
    assert person.countries == ["PS"]


def test_un_xml_individuals_and_entities():
    entries = by_id(un_sc_xml.parse([FIXTURES / "un.xml"]))
    person = entries["6907995"]
    assert person.primary_name == "GASTON IYAMUREMYE"
    assert person.entry_type == "individual"
    assert person.aliases == ["Rumuli", "Victor Rumuri"]
    assert person.countries == ["RW", "CD"]
    assert person.listed_on == dt.date(2010, 12, 1)
    assert person.programs == ["DRC", "CDi.003"]
    assert person.identifiers == [{"scheme": "passport", "value": "PC123", "country": "RW"}]
    entity = entries["6908024"]
    assert entity.entry_type == "entity"
    assert entity.aliases == []
    assert entity.addresses == ["Butembo, Democratic Republic of the Congo"]


def test_eu_fsf_written_from_schema():
    assert "Written from the published schema" in eu_fsf_xml.__doc__
    entries = by_id(eu_fsf_xml.parse([FIXTURES / "eu_fsf.xml"]))
    company = entries["900001"]
    assert company.primary_name == "Example Optics Joint Stock Company"
    assert company.aliases == ["АО Пример Оптика", "EXOPT"]
    assert company.entry_type == "entity"
    assert company.sub_list == "RUS"
    assert company.listed_on == dt.date(2022, 2, 23)
    assert company.countries == ["RU"]
    assert company.identifiers == [{"scheme": "registration", "value": "1027700000000", "country": "RU"}]
    assert company.extra["eu_reference_number"] == "EU.9999.01"
    person = entries["900002"]
    assert person.entry_type == "individual"
    assert person.primary_name == "Ivan Examplov"
    assert person.listed_on == dt.date(2019, 5, 10)
    assert person.countries == ["BY"]
    assert person.addresses == []


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<ROOT><x>&lol3;</x></ROOT>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ROOT><x>&xxe;</x></ROOT>"""
DTD_ONLY = b"""<?xml version="1.0"?>
<!DOCTYPE ROOT SYSTEM "http://127.0.0.1:9/evil.dtd">
<ROOT/>"""


@pytest.mark.parametrize(("module", "fixture"), XML_FORMATS)
@pytest.mark.parametrize("attack", [BILLION_LAUGHS, EXTERNAL_ENTITY, DTD_ONLY])
def test_xml_with_dtd_or_entities_is_refused(tmp_path, module, fixture, attack):
    root = ROOTS[fixture]
    path = tmp_path / fixture
    path.write_bytes(attack.replace(b"ROOT", root.encode()))
    with pytest.raises(ParseError, match="DTD, entity declarations or external references"):
        list(module.parse([path]))


@pytest.mark.parametrize(("module", "fixture"), XML_FORMATS)
def test_truncated_xml_is_refused(tmp_path, module, fixture):
    data = (FIXTURES / fixture).read_bytes()
    path = tmp_path / fixture
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(ParseError, match="truncated"):
        list(module.parse([path]))


@pytest.mark.parametrize(("module", "fixture"), XML_FORMATS)
def test_wrong_root_is_refused(tmp_path, module, fixture):
    path = tmp_path / fixture
    path.write_bytes(b'<?xml version="1.0"?><rss><channel/></rss>')
    with pytest.raises(ParseError, match="root element is <rss>"):
        list(module.parse([path]))


def test_invalid_bytes_in_xml_are_refused(tmp_path):
    path = tmp_path / "consolidated.xml"
    path.write_bytes(b'<?xml version="1.0" encoding="UTF-8"?><CONSOLIDATED_LIST><INDIVIDUALS>\xff\xfe</INDIVIDUALS>'
                     b"</CONSOLIDATED_LIST>")
    with pytest.raises(ParseError, match="malformed or truncated XML"):
        list(un_sc_xml.parse([path]))
