"""CSV: the one strict row reader of the parsers, and header checks."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .errors import ParseError
from .files import MAX_FIELD_CHARS, file_ends_with_newline, open_text, sniff_file, translate_errors

csv.field_size_limit(MAX_FIELD_CHARS)


def iter_csv_rows(
    path: Path, *, encoding: str = "utf-8", final_newline: bool = False
) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of every record of a CSV file, read strictly. The one CSV reader of the parsers.

    Why strict: the stdlib's default reader accepts an unterminated quote at the end of the file and returns
    the half record as if it were whole, so a download cut mid-record went live with a corrupted last entry.
    Here every malformed record is a ParseError naming the file and line, and the *last* record is checked:

    - an unterminated quote, or text after a closing quote, is an error (``strict=True``);
    - ``final_newline=True`` (formats whose publisher always ends the file with a line break: CSL, OFAC legacy,
      OFSI, the OpenSanctions tabulations) refuses a file whose last line is not terminated, checked first by
      reading the file's tail, before any row is parsed;
    - for every format, a file without a final line break whose last record has fewer fields than the
      widest record before it is refused: the file was cut inside that record. (A short last record that
      *is* terminated is left to the parser's own column checks: some hand-kept files have ragged rows.)

    The line number is the line on which the record ends (``csv.reader.line_num``). Blank lines are yielded
    as empty lists, as csv.reader gives them; parsers skip them.
    """
    ends_with_newline = file_ends_with_newline(path)
    if final_newline and not ends_with_newline:
        sniff_file(path, kind="csv")  # an empty/HTML/binary file gets its own, clearer reason
        raise ParseError(
            f"{path.name}: the last line is not terminated (no final line break): the file is truncated "
            "(this format always ends with a line break)"
        )
    with open_text(path, encoding=encoding, kind="csv") as fh:
        reader = csv.reader(fh, strict=True)
        with translate_errors(path, encoding=encoding, where=lambda: f" line {reader.line_num}"):
            widest = 0  # fields of the widest record before the last one
            pending: tuple[int, list[str]] | None = None
            for row in reader:  # one record of lookahead, so the last one can be checked before it is yielded
                if pending is not None:
                    widest = max(widest, len(pending[1]))
                    yield pending
                pending = (reader.line_num, row)
            if pending is None:
                return
            line, row = pending
            if not ends_with_newline and any(c.strip() for c in row) and len(row) < widest:
                raise ParseError(
                    f"{path.name} line {line}: the last record has {len(row)} fields, fewer than the {widest} of "
                    "the records before it, and no final line break: the file is truncated"
                )
            yield pending


def require_columns(header: list[str] | None, required: Iterable[str], path: Path) -> dict[str, int]:
    """Map column name -> index; ParseError naming the missing columns if any required one is absent."""
    if not header:
        raise ParseError(f"{path.name}: empty file (no header row)")
    names = [h.strip().lstrip("\ufeff") for h in header]
    index = {}
    for i, h in enumerate(names):
        index.setdefault(h, i)
        index.setdefault(h.lower(), i)
    missing = [c for c in required if c not in index and c.lower() not in index]
    if missing:
        shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        raise ParseError(f"{path.name}: missing column(s) {', '.join(missing)}; the header has: {shown}")
    return index


def csv_records(
    path: Path,
    required: Iterable[str],
    *,
    encoding: str = "utf-8",
    final_newline: bool = False,
    preamble: Callable[[list[str]], bool] | None = None,
    whitespace_is_blank: bool = False,
) -> Iterator[tuple[int, Callable[[str], str]]]:
    """(line number, get) for each record of a CSV file with a header row; ``get(column)`` is the record's cell
    for that column ('' for an optional column the header lacks). The row loop the header-row formats share.

    The header must have the ``required`` columns (matched as written, else case-insensitively) and every
    record the header's width, else a ParseError names the file and line. Blank lines are skipped (with
    ``whitespace_is_blank``, lines of blank cells too). ``preamble(first_row)`` true: the first row is a title
    line above the header (the FCDO list's "Report Date: ..."), skipped.
    """
    rows = iter_csv_rows(path, encoding=encoding, final_newline=final_newline)
    header = next(rows, (0, None))[1]
    if header and preamble is not None and preamble(header):
        header = next(rows, (0, None))[1]
    index = require_columns(header, required, path)
    width = len(header)
    for line, row in rows:
        blank = not any(c.strip() for c in row) if whitespace_is_blank else not any(row)
        if blank:
            continue
        if len(row) != width:
            raise ParseError(f"{path.name} line {line}: expected {width} columns, got {len(row)}")
        yield line, _getter(index, row)


def _getter(index: dict[str, int], row: list[str]) -> Callable[[str], str]:
    def get(column: str) -> str:
        i = index.get(column)
        if i is None:
            i = index.get(column.lower())
        return row[i] if i is not None else ""

    return get
