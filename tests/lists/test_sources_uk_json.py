import datetime as dt

import pytest

from apps.lists.sources import opensanctions_ftm, uk_ofsi_csv, us_csl_csv, us_csl_json
from apps.lists.sources.base import MAX_LINE_BYTES, ParseError
from tests.lists.fixtures import FIXTURES, by_id


@pytest.mark.parametrize("name", ["uk_noheader.csv", "uk_preamble.csv"])
def test_uk_rows_grouped_by_group_id(name):
    entries = by_id(uk_ofsi_csv.parse([FIXTURES / name]))
    assert list(entries) == ["5001", "13349"]
    acme = entries["5001"]
    assert acme.primary_name == "ACME EXPORT LTD"
    assert acme.aliases == ["ACME TRADING", "O\u2019NEIL SHIPPING"]  # cp1252 0x92
    assert acme.entry_type == "entity"
    assert acme.sub_list == "Iran (Nuclear)"
    assert acme.countries == ["IR"]
    assert acme.listed_on == dt.date(2013, 4, 23)
    person = entries["13349"]
    assert person.primary_name == "Farooq AL-QAHTANI"  # the Prime Alias row, even though it came second
    assert person.aliases == ["Nayef Salam AL-HABABI"]
    assert person.entry_type == "individual"
    assert person.countries == ["AF", "SA", "QA"]
    assert person.extra["dates_of_birth"] == ["00/00/1980", "00/00/1981"]


def test_uk_renamed_header_is_refused(tmp_path):
    data = (FIXTURES / "uk_preamble.csv").read_bytes().replace(b"Group ID", b"GroupID")
    path = tmp_path / "ConList.csv"
    path.write_bytes(data)
    with pytest.raises(ParseError, match="missing column.*Group ID"):
        list(uk_ofsi_csv.parse([path]))


def test_uk_short_rows_are_refused(tmp_path):
    path = tmp_path / "ConList.csv"
    path.write_bytes(b"a,b,c\r\n")
    with pytest.raises(ParseError, match="expected 29 columns, got 3"):
        list(uk_ofsi_csv.parse([path]))


def test_csl_json_matches_csv_mapping():
    entries = by_id(us_csl_json.parse([FIXTURES / "csl.json"]))
    csv_entries = by_id(us_csl_csv.parse([FIXTURES / "csl.csv"]))
    hik = entries["EL:f095626c9f8becc70b5948507fb6de6e443b257a"]
    assert hik.aliases == csv_entries[hik.external_id].aliases == ["Hikvision"]
    assert hik.listed_on == dt.date(2019, 10, 9)
    assert hik.countries == ["CN"]
    cmic = entries["CMIC:30902"]
    assert cmic.identifiers == csv_entries["CMIC:30902"].identifiers
    assert cmic.aliases == ["AERO ENGINE CORP OF CHINA", "AECC"]


def test_csl_json_bare_array_and_errors(tmp_path):
    path = tmp_path / "csl.json"
    path.write_text('[{"_id": "1", "source": "Denied Persons List (DPL) - BIS", "name": "X Corp"}]', encoding="utf-8")
    (entry,) = list(us_csl_json.parse([path]))
    assert entry.external_id == "DPL:1"
    path.write_text('{"total": 1, "results": [{"_id": "1", "name": "X"', encoding="utf-8")
    with pytest.raises(ParseError, match="truncated"):
        list(us_csl_json.parse([path]))
    path.write_text(
        '{"meta": {"results": 2}, "results": [{"_id": "7", "source": "(DPL)", "name": "Y"}]}', encoding="utf-8"
    )
    assert [e.external_id for e in us_csl_json.parse([path])] == ["DPL:7"]
    path.write_text('{"total": 0, "items": []}', encoding="utf-8")
    with pytest.raises(ParseError, match='no "results" array'):
        list(us_csl_json.parse([path]))


def test_csl_json_streams_across_buffer_boundaries(tmp_path):
    records = ",".join(
        f'{{"_id": "{i}", "source": "Entity List (EL) - BIS", "name": "Company {i} ' + "x" * 300 + '"}'
        for i in range(8000)
    )
    path = tmp_path / "csl.json"
    path.write_text('{"results": [' + records + "]}", encoding="utf-8")
    entries = list(us_csl_json.parse([path]))
    assert len(entries) == 8000
    assert entries[-1].external_id == "EL:7999"


def test_ftm_full_file_maps_schema_properties_and_skips_non_targets():
    entries = by_id(opensanctions_ftm.parse([FIXTURES / "ftm.json"]))
    assert set(entries) == {"NK-acme", "NK-person"}
    acme = entries["NK-acme"]
    assert acme.entry_type == "entity"
    assert acme.aliases == ["ACME SURVEILLANCE LIMITED", "Acme CCTV", "ACS"]
    assert acme.countries == ["CN", "HK"]
    assert {"scheme": "lei", "value": "5493001KJTIIGC8Y1R12"} in acme.identifiers
    assert {"scheme": "inn", "value": "7707083893"} in acme.identifiers
    assert {"scheme": "registration", "value": "91330000733796106P"} in acme.identifiers
    assert acme.listed_on == dt.date(2021, 1, 5)
    assert acme.programs == ["US-BIS-EL"]
    assert acme.sub_list == "us_bis_el"
    assert acme.remarks == "Front company."
    assert acme.source_url == "https://example.org/acme"
    person = entries["NK-person"]
    assert person.entry_type == "individual"
    assert person.identifiers == [{"scheme": "passport", "value": "MP1234567"}]


def test_ftm_delta_operations():
    ops = list(opensanctions_ftm.parse_delta([FIXTURES / "ftm.delta.json"]))
    assert [(op, e if isinstance(e, str) else e.external_id) for op, e in ops] == [
        ("ADD", "NK-new"),
        ("MOD", "NK-acme"),
        ("DEL", "NK-person"),
    ]
    assert ops[1][1].aliases == ["Acme Security"]


def test_ftm_parse_refuses_a_delta_file_and_bad_ops(tmp_path):
    with pytest.raises(ParseError, match="delta file"):
        list(opensanctions_ftm.parse([FIXTURES / "ftm.delta.json"]))
    path = tmp_path / "d.json"
    path.write_text('{"op": "UPSERT", "entity": {"id": "x"}}\n', encoding="utf-8")
    with pytest.raises(ParseError, match="not a delta operation"):
        list(opensanctions_ftm.parse_delta([path]))


def test_ftm_bad_lines_are_refused(tmp_path):
    path = tmp_path / "e.json"
    path.write_text(
        '{"id": "a", "schema": "Company", "properties": {"name": ["A"]}}\n{"id": "b", "sch', encoding="utf-8"
    )
    with pytest.raises(ParseError, match="line 2: invalid JSON.*truncated"):
        list(opensanctions_ftm.parse([path]))
    path.write_text('{"id": "a", "schema": "Company", "properties": {"name": ["A"]}}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(ParseError, match="expected a JSON object"):
        list(opensanctions_ftm.parse([path]))
    path.write_bytes(b'{"id": "a", "caption": "\xe9", "schema": "Company"}\n')
    with pytest.raises(ParseError, match="not valid utf-8"):
        list(opensanctions_ftm.parse([path]))


def test_ftm_overlong_line_is_refused(tmp_path):
    path = tmp_path / "e.json"
    with open(path, "wb") as fh:
        fh.write(b'{"id": "a", "caption": "')
        fh.write(b"x" * (MAX_LINE_BYTES + 10))
        fh.write(b'"}\n')
    with pytest.raises(ParseError, match="longer than"):
        list(opensanctions_ftm.parse([path]))


def test_uk_sanctions_list_grouped_by_unique_id():
    from apps.lists.sources import uk_sanctions_list

    entries = by_id(uk_sanctions_list.parse([FIXTURES / "uk_sanctions_list.csv"]))
    assert list(entries) == ["RUS9901", "CHN9902", "AFG9903"]
    ship = entries["RUS9901"]
    assert ship.entry_type == "vessel"
    assert ship.identifiers == [{"scheme": "imo", "value": "9999901"}]
    company = entries["CHN9902"]
    assert company.primary_name == "SHENZHEN EXAMPLE ELECTRONICS TECHNOLOGY CO., LTD"  # the Primary Name line
    assert company.aliases == ["EXAMPLE ELECTRONICS CO., LTD", "深圳示例电子科技有限公司"]
    assert company.parent_name == "Example Holding Group"
    assert company.addresses == ["1 Example Road, Shenzhen, China"]
    assert company.countries == ["CN"]
    assert company.listed_on == dt.date(2024, 5, 9)
    person = entries["AFG9903"]
    assert person.primary_name == "Mohammad Hassan EXAMPLEZAI"
    assert person.countries == ["AF", "GB"]
    assert person.extra["un_reference_number"] == "TAi.999"


def test_uk_sanctions_list_missing_column_refused(tmp_path):
    from apps.lists.sources import uk_sanctions_list

    path = tmp_path / "UK-Sanctions-List.csv"
    path.write_text("Report Date: 08-Oct-2026\nLast Updated,Unique ID,Name 6\n01/01/2024,X1,Y\n", encoding="utf-8")
    with pytest.raises(ParseError, match="missing column.*Name type"):
        list(uk_sanctions_list.parse([path]))
