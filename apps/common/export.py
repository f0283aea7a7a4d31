"""Spreadsheet exports shared by the API (`?format=csv`) and the web UI: a streaming CSV writer and an
XLSX writer, both neutralising spreadsheet formula injection.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula (or a
DDE call) by Excel, LibreOffice and Google Sheets, so a vendor named ``=HYPERLINK(...)`` typed by anyone
could run in an auditor's spreadsheet. Such text cells get a leading apostrophe (OWASP's advice); numbers,
dates and booleans are written as they are.

Usage::

    rows = ((e.id, e.site.code, e.serial_number) for e in qs.iterator(chunk_size=2000))
    return csv_streaming_response(filename="equipment.csv", header=["id", "site", "serial"], rows=rows)

The CSV response is a ``StreamingHttpResponse`` over a generator: memory stays constant whatever the row
count, provided the caller passes a lazy iterable (``QuerySet.iterator()``, not a list).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START = frozenset(FORMULA_PREFIXES)
# Control characters that XLSX (XML 1.0) cannot hold; openpyxl raises on them.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: Any) -> Any:
    """A value safe to put in a spreadsheet cell: text that a spreadsheet would run as a formula gets a
    leading apostrophe; other types pass through unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        value = "; ".join(str(v) for v in value)
    return neutralise(str(value))


def _text(value: Any) -> Any:
    if value is None:
        return ""
    value = value if value.__class__ is str else str(value)
    return "'" + value if value[:1] in _FORMULA_START else value


def _datetime(value: Any) -> Any:
    return "" if value is None else value.isoformat()


def _boolean(value: Any) -> Any:
    return "" if value is None else ("true" if value else "false")


def _json(value: Any) -> Any:
    return "" if value is None else _text(json.dumps(value, ensure_ascii=False, default=str))


# Column kinds for the fast path: a converter per column, chosen once (numbers, dates and None need none:
# the csv module writes them as they are, None as an empty cell).
CONVERTERS = {"text": _text, "datetime": _datetime, "bool": _boolean, "json": _json}


def csv_rows(header: Sequence[str], rows: Iterable[Sequence[Any]], *, kinds: Sequence[str] | None = None,
             batch: int = 1000) -> Iterator[str]:
    """CSV text (header first) in pieces of up to `batch` rows, every cell neutralised. Lazy: consumes
    `rows` as it goes. With `kinds` ("text", "datetime", "bool", "json" or anything else for numbers and
    dates) each column is converted by its kind only, which is several times faster than guessing per cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(str(h)) for h in header])
    if kinds is None:
        def convert(row):
            return [_csv_cell(v) for v in row]
    else:
        plan = [(i, CONVERTERS[k]) for i, k in enumerate(kinds) if k in CONVERTERS]

        def convert(row):
            row = list(row)
            for i, fn in plan:
                row[i] = fn(row[i])
            return row
    pending: list = []
    for row in rows:
        pending.append(convert(row))
        if len(pending) >= batch:
            writer.writerows(pending)
            pending.clear()
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if pending:
        writer.writerows(pending)
    if buffer.tell():
        yield buffer.getvalue()


def _safe_filename(filename: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "export"


def csv_streaming_response(*, filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]],
                           kinds: Sequence[str] | None = None) -> StreamingHttpResponse:
    """A streaming CSV download (UTF-8, with a BOM so Excel reads accents right). See csv_rows for `kinds`."""

    def body() -> Iterator[bytes]:
        yield "\ufeff".encode()
        for piece in csv_rows(header, rows, kinds=kinds):
            yield piece.encode()

    response = StreamingHttpResponse(body(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_safe_filename(filename)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _xlsx_cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool | int | float | Decimal | dt.date):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return value.replace(tzinfo=None)  # XLSX has no time zones; values are written in UTC
        return value
    if isinstance(value, list | tuple | set):
        value = "; ".join(str(v) for v in value)
    return neutralise(_XLSX_ILLEGAL.sub("", str(value)))


def xlsx_write(fileobj, *, header: Sequence[str], rows: Iterable[Sequence[Any]], sheet_title: str = "Export"
               ) -> None:
    """Write one sheet to `fileobj` with openpyxl's write-only mode (rows are not kept in memory).

    Text cells are neutralised and typed as strings so no cell is ever stored as a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet_title[:31] or "Export")

    def cells(values: Iterable[Any]) -> list:
        out = []
        for value in values:
            cell = WriteOnlyCell(ws, value=_xlsx_cell(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never "f" (formula), whatever the text
            out.append(cell)
        return out

    ws.append(cells(str(h) for h in header))
    for row in rows:
        ws.append(cells(row))
    wb.save(fileobj)


def xlsx_response(*, filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]],
                  sheet_title: str = "Export") -> HttpResponse:
    """An XLSX download. XLSX is a zip and cannot be streamed row by row; the workbook is built in a
    spooled buffer (write-only mode keeps the rows themselves out of memory)."""
    buffer = io.BytesIO()
    xlsx_write(buffer, header=header, rows=rows, sheet_title=sheet_title)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_safe_filename(filename)}"'
    return response
