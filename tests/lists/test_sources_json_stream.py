"""The CSL JSON array streamed by ijson: encoding, record bound and item checks (truncation and trailing data
are in test_sources_truncation.py)."""
import pytest

from apps.lists.sources import us_csl_json
from apps.lists.sources.base import ParseError
from apps.lists.sources.common import jsonfiles

RECORD = '{"_id": "1", "source": "Denied Persons List (DPL) - BIS", "name": "X Corp \u00e9"}'


def test_a_bom_is_accepted_and_text_is_utf8(tmp_path):
    path = tmp_path / "csl.json"
    path.write_bytes(b"\xef\xbb\xbf" + f'{{"results": [{RECORD}]}}'.encode())
    assert [e.primary_name for e in us_csl_json.parse([path])] == ["X Corp \u00e9"]


def test_bytes_that_are_not_utf8_are_refused(tmp_path):
    path = tmp_path / "csl.json"
    path.write_bytes(f'{{"results": [{RECORD}]}}'.encode().replace("\u00e9".encode(), b"\xe9"))
    with pytest.raises(ParseError, match="not valid utf-8"):
        list(us_csl_json.parse([path]))


def test_an_item_that_is_not_an_object_is_refused(tmp_path):
    path = tmp_path / "csl.json"
    path.write_text(f'{{"results": [{RECORD}, 7]}}', encoding="utf-8")
    with pytest.raises(ParseError, match="expected objects in the array, got int"):
        list(us_csl_json.parse([path]))


def test_a_record_over_the_bound_is_refused_while_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(jsonfiles, "MAX_LINE_BYTES", 200)
    monkeypatch.setattr(jsonfiles, "_JSON_CHUNK", 16)
    big = '{"_id": "2", "source": "(DPL)", "name": "Y", "alt_names": [' + ", ".join(['"' + "z" * 40 + '"'] * 20) + "]}"
    path = tmp_path / "csl.json"
    path.write_text(f'{{"results": [{RECORD}, {big}]}}', encoding="utf-8")
    with pytest.raises(ParseError, match="one record is larger than 200 bytes"):
        list(us_csl_json.parse([path]))


def test_only_the_first_results_array_is_read(tmp_path):
    path = tmp_path / "csl.json"
    path.write_text(f'{{"results": {{"n": 1}}, "x": {{"results": [7]}}, "results": [{RECORD}], "results": [8]}}',
                    encoding="utf-8")
    assert [e.external_id for e in us_csl_json.parse([path])] == ["DPL:1"]
