"""The evaluation's list reader uses the production parsers only and fails closed."""
import pytest

from apps.lists.sources.base import ParseError
from apps.screening.matching_sources import PARSER_FILES, load_list_records


def _lists(tmp_path, body: bytes):
    for name in PARSER_FILES["ofac_sdn"][1]:
        (tmp_path / "ofac_sdn").mkdir(exist_ok=True)
        (tmp_path / "ofac_sdn" / name).write_bytes(body)
    return tmp_path


def test_a_parser_error_is_an_error_not_a_fallback(tmp_path):
    root = _lists(tmp_path, b"<html><body>Service unavailable</body></html>\n")
    with pytest.raises(ParseError, match="HTML page"):
        load_list_records(root)


def test_a_missing_list_file_is_an_error_not_a_smaller_index(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing list file"):
        load_list_records(tmp_path)
