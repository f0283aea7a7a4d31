import datetime as dt

import pytest

from apps.lists.sources.base import (
    NameGroups,
    ParsedEntry,
    ParseError,
    country_code,
    identifier_scheme,
    merge_repeats,
    parse_date,
    slug,
    sniff_file,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-03-12", dt.date(2021, 3, 12)),
        ("2025-03-28T00:00:00", dt.date(2025, 3, 28)),
        ("12/03/2021", dt.date(2021, 3, 12)),
        ("1.4.2016", dt.date(2016, 4, 1)),
        ("03 Jun 2021", dt.date(2021, 6, 3)),
        ("08-Oct-2026", dt.date(2026, 10, 8)),
        ("March 12, 2021", dt.date(2021, 3, 12)),
        ("December 22, 2025Updated:January 7, 2026", dt.date(2025, 12, 22)),
        ("00/00/1980", None),
        ("1980", None),
        ("31/02/2020", None),
        ("not a date", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date_handles_list_forms_and_never_raises(text, expected):
    assert parse_date(text) == expected


def test_parse_date_month_first_when_asked():
    assert parse_date("03/12/2021", dayfirst=False) == dt.date(2021, 3, 12)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("China", "CN"),
        ("Russia", "RU"),
        ("Korea, North", "KP"),
        ("Burma", "MM"),
        ("cn", "CN"),
        ("United Kingdom", "GB"),
        ("Palestinian", "PS"),
        ("undetermined", ""),
        ("Atlantis", ""),
        ("", ""),
    ],
)
def test_country_code_maps_names_to_alpha2(name, code):
    assert country_code(name) == code


def test_identifier_scheme_normalises_labels():
    assert identifier_scheme("Legal Entity Number") == "lei"
    assert identifier_scheme("Unified Social Credit Code (USCC)") == "uscc"
    assert identifier_scheme("SWIFT/BIC") == "bic"
    assert identifier_scheme("Cedula No.") == "cedula_no"


def test_slug_is_ascii_and_stable():
    assert slug("Hangzhou Hikvision Digital Technology Co., Ltd.") == "hangzhou-hikvision-digital-technology-co-ltd"
    assert slug("AVIC Xi’an Aircraft") == "avic-xian-aircraft"
    long_a, long_b = slug("A" * 200 + " one"), slug("A" * 200 + " two")
    assert len(long_a) <= 105 and long_a != long_b
    assert slug("华为技术有限公司").startswith("u-")


def test_merge_repeats_merges_adjacent_and_suffixes_later_repeats():
    entries = [
        ParsedEntry(external_id="a", primary_name="A", aliases=["A1"]),
        ParsedEntry(external_id="a", primary_name="A", aliases=["A2"], programs=["P"]),
        ParsedEntry(external_id="b", primary_name="B"),
        ParsedEntry(external_id="a", primary_name="A again"),
    ]
    out = list(merge_repeats(entries))
    assert [e.external_id for e in out] == ["a", "b", "a~2"]
    assert out[0].aliases == ["A1", "A2"]
    assert out[0].programs == ["P"]
    assert out[2].extra["repeat_of"] == "a"


@pytest.mark.parametrize(("skip_known", "aliases"), [(False, ["A", "B", "Q"]), (True, ["B", "A", "Q"])])
def test_name_groups_primary_takes_over_and_aliases_keep_order(tmp_path, skip_known, aliases):
    groups = NameGroups(skip_known_names=skip_known)
    for key, name, primary in [("1", "A", False), ("2", "", False), ("1", "A", False), ("1", "B", False),
                               ("1", "P", True), ("2", "C", False), ("1", "Q", True)]:
        if groups.existing(key, name, primary=primary) is None:
            groups.start(key, name, primary=primary, sub_list="S")
    first, second = groups.finished(tmp_path / "x.csv", "group")
    assert (first.external_id, first.primary_name, first.aliases, first.sub_list) == ("1", "P", aliases, "S")
    assert (second.primary_name, second.aliases) == ("C", [])  # a nameless first row takes its first alias


def test_name_groups_refuse_a_designation_without_a_name(tmp_path):
    groups = NameGroups()
    groups.start("9", "", primary=True)
    with pytest.raises(ParseError, match="x.csv: designation 9 has no name"):
        list(groups.finished(tmp_path / "x.csv", "designation"))


def test_content_hash_is_stable_and_sensitive():
    one = ParsedEntry(external_id="x", primary_name="X", listed_on=dt.date(2021, 1, 1))
    same = ParsedEntry(external_id="x", primary_name="X", listed_on=dt.date(2021, 1, 1))
    other = ParsedEntry(external_id="x", primary_name="X", listed_on=dt.date(2021, 1, 2))
    assert one.content_hash() == same.content_hash() != other.content_hash()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"  \r\n", "empty file"),
        (b"<!DOCTYPE html><html><body>Service Unavailable</body></html>", "HTML page"),
        (b"\r\n  <HTML><body>502 Bad Gateway</body></HTML>", "HTML page"),
        (b'<?xml version="1.0"?><html><body>x</body></html>', "HTML page"),
        (b'<?xml version="1.0"?><list/>', "markup"),
        (b"\x1f\x8b\x08\x00\x00\x00", "gzip"),
        (b"PK\x03\x04rest", "zip archive"),
        (b"a,b\x00,c", "NUL bytes"),
        (b"\xff\xfea\x00,\x00", "NUL bytes"),
    ],
)
def test_sniff_file_refuses_wrong_content(tmp_path, content, reason):
    path = tmp_path / "list.csv"
    path.write_bytes(content)
    with pytest.raises(ParseError, match=reason):
        sniff_file(path, kind="csv")


def test_sniff_file_refuses_non_xml_and_non_json(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(b"name,alias\n")
    with pytest.raises(ParseError, match="not XML"):
        sniff_file(path, kind="xml")
    with pytest.raises(ParseError, match="not JSON"):
        sniff_file(path, kind="json")
