"""A file cut short is refused by its format, whatever the transport said: strict CSV with a final-record check,
the root element's closing tag for XML, the document's end for JSON (tests for defect "truncated list went
live": a CSL body cut at 97% without Content-Length was accepted by the lenient csv.reader)."""

import shutil

import pytest

from apps.lists.sources import (
    custom_csv,
    dod_1260h_csv,
    eu_fsf_xml,
    eu_journal_csv,
    fcc_covered_csv,
    ndaa_csv,
    ofac_enhanced_xml,
    ofac_legacy_csv,
    ofac_sdnlist_xml,
    uk_ofsi_csv,
    uk_sanctions_list,
    un_sc_xml,
    us_csl_csv,
    us_csl_json,
)
from apps.lists.sources.base import ParseError, iter_csv_rows
from apps.lists.sources.common import jsonfiles
from tests.lists.fixtures import FIXTURES

# module, fixture, whether the format always ends with a line break (checked from the tail)
CSV_FORMATS = [
    (us_csl_csv, "csl.csv", True),
    (ofac_legacy_csv, "ofac_sdn/sdn.csv", True),
    (uk_ofsi_csv, "uk_preamble.csv", True),
    (eu_journal_csv, "eu_journal.csv", True),
    (uk_sanctions_list, "uk_sanctions_list.csv", False),
    (dod_1260h_csv, "dod_1260h.csv", False),
    (ndaa_csv, "ndaa/section_889.csv", False),
    (fcc_covered_csv, "fcc_transcribed.csv", False),
    (fcc_covered_csv, "fcc_table.csv", False),
    (custom_csv, "custom.csv", False),
]
XML_FORMATS = [
    (ofac_enhanced_xml, "ofac_enhanced.xml", "sanctionsData"),
    (ofac_sdnlist_xml, "sdnlist.xml", "sdnList"),
    (un_sc_xml, "un.xml", "CONSOLIDATED_LIST"),
    (eu_fsf_xml, "eu_fsf.xml", "export"),
]


def _copy(tmp_path, fixture: str, data: bytes | None = None):
    path = tmp_path / fixture.rsplit("/", 1)[-1]
    if data is None:
        shutil.copy(FIXTURES / fixture, path)
    else:
        path.write_bytes(data)
    return path


def _last_record_span(data: bytes) -> tuple[int, int]:
    """Byte offsets of the last non-empty line (start, end without its line break and Ctrl-Z)."""
    end = len(data.rstrip(b"\x1a\r\n"))
    start = data.rfind(b"\n", 0, end) + 1
    return start, end


# --- iter_csv_rows ---------------------------------------------------------------------------------------------


def test_iter_csv_rows_refuses_an_unterminated_quote_at_the_end_with_file_and_line(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text('name,reason\nAcme,"fine"\nHarbour Ltd,"board decision of', encoding="utf-8")
    with pytest.raises(ParseError, match=r"list\.csv line 3: malformed CSV: unexpected end of data"):
        list(iter_csv_rows(path))


def test_iter_csv_rows_refuses_text_after_a_closing_quote(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text('name,reason\n"Acme"x,fine\n', encoding="utf-8")
    with pytest.raises(ParseError, match=r"line 2: malformed CSV: ',' expected after '\"'"):
        list(iter_csv_rows(path))


def test_iter_csv_rows_refuses_a_short_last_record_without_line_break(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("a,b,c\n1,2,3\n4,5", encoding="utf-8")
    with pytest.raises(ParseError, match="line 3: the last record has 2 fields, fewer than the 3 .* truncated"):
        list(iter_csv_rows(path))


def test_iter_csv_rows_accepts_a_complete_last_record_without_line_break_unless_the_format_requires_one(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("a,b,c\n1,2,3\n4,5,6", encoding="utf-8")
    assert list(iter_csv_rows(path)) == [(1, ["a", "b", "c"]), (2, ["1", "2", "3"]), (3, ["4", "5", "6"])]
    with pytest.raises(ParseError, match="last line is not terminated"):
        list(iter_csv_rows(path, final_newline=True))


def test_iter_csv_rows_leaves_terminated_ragged_rows_to_the_parser_and_ignores_the_ofac_end_byte(tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(b'a,b,c\r\n1,2\r\n"x","y","z"\r\n\x1a')
    rows = [row for _line, row in iter_csv_rows(path, encoding="cp1252", final_newline=True)]
    assert rows == [["a", "b", "c"], ["1", "2"], ["x", "y", "z"], ["\x1a"]]


def test_iter_csv_rows_quoted_line_breaks_count_lines(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text('a,b\n"multi\nline",2\n3,4\n', encoding="utf-8")
    assert [line for line, _row in iter_csv_rows(path)] == [1, 3, 4]


# --- every CSV format ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("module", "fixture", "_final"), CSV_FORMATS, ids=[f for _m, f, _ in CSV_FORMATS])
def test_csv_format_refuses_a_file_cut_inside_its_last_record(tmp_path, module, fixture, _final):
    data = (FIXTURES / fixture).read_bytes()
    start, end = _last_record_span(data)
    cut = data[: start + (end - start) // 3]
    with pytest.raises(ParseError, match="truncated|unexpected end of data|expected .* columns|fields"):
        list(module.parse([_copy(tmp_path, fixture, cut)]))


@pytest.mark.parametrize(("module", "fixture", "final"), CSV_FORMATS, ids=[f for _m, f, _ in CSV_FORMATS])
def test_csv_format_final_line_break_is_required_only_where_the_publisher_always_writes_one(
    tmp_path, module, fixture, final
):
    data = (FIXTURES / fixture).read_bytes()
    full = list(module.parse([_copy(tmp_path, fixture)]))
    without_break = data.rstrip(b"\x1a").rstrip(b"\r\n")
    path = _copy(tmp_path, fixture, without_break)
    if final:
        with pytest.raises(ParseError, match="last line is not terminated"):
            next(iter(module.parse([path])))  # refused from the tail, before any entry is produced
    else:
        assert [e.content_hash() for e in module.parse([path])] == [e.content_hash() for e in full]


def test_csl_cut_inside_the_last_field_is_refused_even_with_the_right_column_count(tmp_path):
    """The CSL's last column (ids) is unquoted when it has no comma: a cut inside it keeps 29 fields. Only the
    missing final line break tells, which is why the CSL requires one."""
    header = ",".join(us_csl_csv.COLUMNS)
    row = {c: "" for c in us_csl_csv.COLUMNS}
    row.update(_id="e1", source="Entity List (EL) - Bureau of Industry and Security", name="Acme Ltd",
               ids="CN, 91330000733796106P, Unified Social Credit Code (USCC)")
    complete = (header + "\n" + ",".join(f'"{v}"' if "," in v else v for v in row.values()) + "\n").encode()
    assert list(us_csl_csv.parse([_copy(tmp_path, "csl.csv", complete)]))[0].identifiers
    with pytest.raises(ParseError, match="last line is not terminated"):  # only the line break lost
        list(us_csl_csv.parse([_copy(tmp_path, "csl.csv", complete[:-1])]))
    unquoted = complete.replace(b'"CN, 91330000733796106P, Unified Social Credit Code (USCC)"', b"X123456")
    with pytest.raises(ParseError, match="last line is not terminated"):  # an unquoted last value cut short
        list(us_csl_csv.parse([_copy(tmp_path, "csl.csv", unquoted[:-3])]))


# --- XML -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("module", "fixture", "root"), XML_FORMATS, ids=[f for _m, f, _r in XML_FORMATS])
def test_xml_without_its_closing_root_tag_is_refused_before_any_entry(tmp_path, module, fixture, root):
    data = (FIXTURES / fixture).read_bytes()
    cut = data[: data.rindex(b"</")]  # everything but the closing root tag: every entry is complete
    with pytest.raises(ParseError, match=f"truncated XML: the file does not end with the closing </{root}>"):
        next(iter(module.parse([_copy(tmp_path, fixture, cut)])))


@pytest.mark.parametrize(("module", "fixture", "root"), XML_FORMATS, ids=[f for _m, f, _r in XML_FORMATS])
def test_xml_trailing_whitespace_and_comments_after_the_root_are_accepted(tmp_path, module, fixture, root):
    data = (FIXTURES / fixture).read_bytes()
    full = len(list(module.parse([_copy(tmp_path, fixture)])))
    path = _copy(tmp_path, fixture, data.rstrip() + b"\r\n<!-- generated 2026-03-01 -->\n<?done?>\n\n")
    assert len(list(module.parse([path]))) == full


# --- JSON ------------------------------------------------------------------------------------------------------


def test_csl_json_cut_anywhere_is_refused(tmp_path):
    data = (FIXTURES / "csl.json").read_bytes()
    body = data.rstrip()
    for cut in [len(body) - 1, len(body) - 2, len(body) * 97 // 100, len(body) // 2, data.index(b"[") + 1]:
        with pytest.raises(ParseError, match="truncated"):
            list(us_csl_json.parse([_copy(tmp_path, "csl.json", data[:cut])]))


def test_csl_json_other_members_and_trailing_data_are_checked(tmp_path):
    record = '{"_id": "1", "source": "Denied Persons List (DPL) - BIS", "name": "X Corp"}'
    path = tmp_path / "csl.json"
    path.write_text(f'{{"results": [{record}], "total": 1, "sources_used": [{{"a": [1, 2]}}]}}\n', encoding="utf-8")
    assert [e.external_id for e in us_csl_json.parse([path])] == ["DPL:1"]
    path.write_text(f'{{"results": [{record}], "total": 1, "sources_used": [{{"a": [1, 2', encoding="utf-8")
    with pytest.raises(ParseError, match="truncated"):
        list(us_csl_json.parse([path]))
    path.write_text(f'{{"results": [{record}]}} {{"results": []}}', encoding="utf-8")
    with pytest.raises(ParseError, match="data after the end of the document"):
        list(us_csl_json.parse([path]))
    path.write_text(f"[{record}] x", encoding="utf-8")
    with pytest.raises(ParseError, match="data after the end"):
        list(us_csl_json.parse([path]))


def test_csl_json_values_split_across_read_windows_decode_the_same(tmp_path, monkeypatch):
    path = _copy(tmp_path, "csl.json")
    expected = [e.content_hash() for e in us_csl_json.parse([path])]
    path.write_text(path.read_text(encoding="utf-8").replace('"total": 2', '"total": 1234567'), encoding="utf-8")
    for chunk in (7, 13, 64):  # numbers, literals and strings cut at every kind of edge
        monkeypatch.setattr(jsonfiles, "_JSON_CHUNK", chunk)
        assert [e.content_hash() for e in us_csl_json.parse([path])] == expected


# --- the real files ----------------------------------------------------------------------------------------


REAL_CSV = [
    ("us_csl/consolidated.csv", "utf-8", True),
    ("ofac_sdn/sdn.csv", "cp1252", True),
    ("ofac_sdn/add.csv", "cp1252", True),
    ("ofac_sdn/alt.csv", "cp1252", True),
    ("ofac_sdn/sdn_comments.csv", "cp1252", True),
    ("ofac_consolidated/cons_prim.csv", "cp1252", True),
    ("uk_ofsi/conlist_2018_legacy_noheader.csv", "cp1252", True),
    ("eu_journal_833/32014R0833.csv", "utf-8", True),
    ("dod_1260h/sanctions.csv", "utf-8", False),
    ("us_ndaa/section_889.csv", "utf-8", False),
    ("fcc_covered_list/table.csv", "utf-8", False),
]


@pytest.mark.conformance
@pytest.mark.parametrize(("name", "encoding", "final"), REAL_CSV, ids=[n for n, _e, _f in REAL_CSV])
def test_real_csv_files_pass_the_strict_reader_and_the_final_record_check(shared_lists, name, encoding, final):
    rows = list(iter_csv_rows(shared_lists / name, encoding=encoding, final_newline=final))
    assert len(rows) > 1


@pytest.mark.conformance
def test_real_csl_parses_strictly_and_a_cut_copy_is_refused(shared_lists, tmp_path):
    real = shared_lists / "us_csl" / "consolidated.csv"
    assert len(list(us_csl_csv.parse([real]))) == 14159  # PROVENANCE.md: 14,160 rows, one repeat merged
    data = real.read_bytes()
    path = tmp_path / "consolidated.csv"
    path.write_bytes(data[: len(data) * 97 // 100])  # the fault that went live: 97 %, no Content-Length
    with pytest.raises(ParseError, match="consolidated.csv"):
        list(us_csl_csv.parse([path]))


def test_csl_cut_after_a_line_break_inside_a_quoted_field_is_refused_by_the_strict_reader(tmp_path):
    """The final line break is there, but it belongs to a quoted remark: the record is open. The lenient
    reader returned the half record as a whole one (the defect); the strict one refuses it."""
    header = ",".join(us_csl_csv.COLUMNS)
    row = {c: "" for c in us_csl_csv.COLUMNS}
    row.update(_id="e1", source="Entity List (EL) - Bureau of Industry and Security", name="Acme Ltd",
               remarks="first line\nsecond line")
    body = header + "\n" + ",".join(f'"{v}"' if ("," in v or "\n" in v) else v for v in row.values()) + "\n"
    cut = body[: body.index("first line\n") + len("first line\n")]
    with pytest.raises(ParseError, match=r"consolidated\.csv line 2: malformed CSV: unexpected end of data"):
        list(us_csl_csv.parse([_copy(tmp_path, "us_csl/consolidated.csv", cut.encode())]))
