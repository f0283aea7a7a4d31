"""Every format refuses the same families of bad input with a ParseError and a clear reason."""

import csv
import gzip

import pytest

from apps.lists.sources import FORMATS
from apps.lists.sources.base import MAX_FIELD_CHARS, ParseError

# the file name each format recognises
FILE_NAMES = {
    "ofac_legacy_csv": "sdn.csv",
    "ofac_enhanced_xml": "cons_enhanced.xml",
    "ofac_sdnlist_xml": "sdn.xml",
    "us_csl_csv": "consolidated.csv",
    "us_csl_json": "consolidated.json",
    "un_sc_xml": "consolidated.xml",
    "uk_ofsi_csv": "ConList.csv",
    "uk_sanctions_list": "UK-Sanctions-List.csv",
    "eu_fsf_xml": "export.xml",
    "eu_journal_csv": "32014R0833.csv",
    "dod_1260h_csv": "sanctions.csv",
    "fcc_covered_csv": "table.csv",
    "ndaa_csv": "section_889.csv",
    "opensanctions_ftm": "entities.ftm.json",
    "custom_csv": "blocklist.csv",
}

BAD_CONTENT = {
    "empty": (b"", "empty"),
    "whitespace only": (b"\r\n  \r\n", "empty"),
    "html error page": (b"<!DOCTYPE html>\n<html><head><title>503</title></head><body>Busy</body></html>", "HTML"),
    "gzip": (gzip.compress(b"name\nx\n"), "gzip"),
    "zip": (b"PK\x03\x04" + b"\x00" * 40, "zip"),
    "binary garbage": (bytes(range(256)) * 8, "NUL bytes"),
    "utf-16": ("name,aliases\n".encode("utf-16"), "NUL bytes"),
}


def _formats():
    return sorted(FORMATS)


@pytest.mark.parametrize("fmt", _formats())
@pytest.mark.parametrize("case", sorted(BAD_CONTENT))
def test_bad_content_is_refused_with_reason(tmp_path, fmt, case):
    content, reason = BAD_CONTENT[case]
    path = tmp_path / FILE_NAMES[fmt]
    path.write_bytes(content)
    with pytest.raises(ParseError, match=reason):
        list(FORMATS[fmt].parse([path]))


@pytest.mark.parametrize("fmt", [f for f in _formats() if f.endswith("_csv")])
def test_csv_field_over_size_limit_is_refused(tmp_path, fmt):
    path = tmp_path / FILE_NAMES[fmt]
    huge = "x" * (MAX_FIELD_CHARS + 10)
    # an unterminated quote swallows the rest of the file into one field: the limit must stop it
    path.write_text('"' + huge + "\n", encoding="utf-8")
    with pytest.raises(ParseError, match="longer than"):
        list(FORMATS[fmt].parse([path]))
    assert csv.field_size_limit() == MAX_FIELD_CHARS


@pytest.mark.parametrize("fmt", _formats())
def test_missing_file_is_a_parse_error(tmp_path, fmt):
    with pytest.raises(ParseError):
        list(FORMATS[fmt].parse([tmp_path / FILE_NAMES[fmt]]))
