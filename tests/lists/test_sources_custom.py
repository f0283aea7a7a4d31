import pytest

from apps.lists.sources import custom_csv
from apps.lists.sources.base import ParseError
from tests.lists.fixtures import FIXTURES, by_id


def test_custom_csv_documented_layout():
    entries = by_id(custom_csv.parse([FIXTURES / "custom.csv"]))
    acme = entries["acme-surveillance-ltd"]
    assert acme.aliases == ["Acme CCTV", "ACME-SEC"]
    assert acme.countries == ["CN"]
    assert acme.identifiers == [
        {"scheme": "lei", "value": "5493001KJTIIGC8Y1R12"},
        {"scheme": "uscc", "value": "91330000733796106P"},
    ]
    assert acme.remarks == "Board decision 2024-07"
    assert entries["jane-roe-trading"].countries == ["GB", "DE"]


def test_custom_csv_optional_columns(tmp_path):
    path = tmp_path / "block.csv"
    path.write_text(
        "\ufeffName,Aliases,Country,Identifiers,Reason,id,type,listed_on\nJohn Doe,,,,,ID-7,individual,05/02/2024\n",
        encoding="utf-8",
    )
    (entry,) = list(custom_csv.parse([path]))
    assert entry.external_id == "ID-7"
    assert entry.entry_type == "individual"
    assert entry.listed_on.isoformat() == "2024-02-05"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("X,,Atlantis,,r", "unknown country"),
        ("X,,,justavalue,r", "not written scheme:value"),
        (",,,,r", "name is empty"),
        ("X,,,,r,extra", "fields but the header has"),
    ],
)
def test_custom_csv_bad_rows_refused(tmp_path, row, reason):
    path = tmp_path / "block.csv"
    path.write_text("name,aliases,country,identifiers,reason\n" + row + "\n", encoding="utf-8")
    with pytest.raises(ParseError, match=reason):
        list(custom_csv.parse([path]))


def test_custom_csv_missing_column_refused(tmp_path):
    path = tmp_path / "block.csv"
    path.write_text("name,alias,country\nX,,\n", encoding="utf-8")
    with pytest.raises(ParseError, match="missing column"):
        list(custom_csv.parse([path]))
