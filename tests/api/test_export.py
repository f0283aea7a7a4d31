"""The shared spreadsheet writers: formula injection neutralised, values kept, streaming."""
import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from apps.common.export import csv_rows, csv_streaming_response, neutralise, xlsx_write


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "=HYPERLINK(\"http://x\")"])
def test_neutralise_prefixes_formula_text(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Hikvision", "a=b", "", 5, -3, Decimal("-1.5"), None])
def test_neutralise_keeps_harmless_values(value):
    assert neutralise(value) == value


def test_csv_rows_neutralise_and_format_types():
    lines = list(csv_rows(["name", "n", "day", "flag", "tags"],
                          [["=cmd|'/c calc'!A0", -4, dt.date(2024, 3, 1), True, ["a", "b"]]]))
    parsed = list(csv.reader(io.StringIO("".join(lines))))
    assert parsed[0] == ["name", "n", "day", "flag", "tags"]
    assert parsed[1] == ["'=cmd|'/c calc'!A0", "-4", "2024-03-01", "true", "a; b"]


def test_csv_streaming_response_consumes_rows_lazily():
    consumed = []

    def rows():
        for i in range(3):
            consumed.append(i)
            yield [i, f"+{i}"]

    response = csv_streaming_response(filename="x y.csv", header=["id", "v"], rows=rows())
    assert consumed == []  # nothing read before the body is iterated
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.splitlines() == ["id,v", "0,'+0", "1,'+1", "2,'+2"]
    assert response["Content-Disposition"] == 'attachment; filename="x_y.csv"'


def test_xlsx_write_never_stores_formulas():
    buffer = io.BytesIO()
    xlsx_write(buffer, header=["name", "n"], rows=[["=1+1", 3], ["ok\x01", None], ["-5", -5]])
    ws = load_workbook(io.BytesIO(buffer.getvalue())).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values == [["name", "n"], ["'=1+1", 3], ["ok", None], ["'-5", -5]]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
