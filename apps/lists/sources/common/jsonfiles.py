"""JSON: lines and big arrays, streamed and bounded, with the end-of-document checks."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import ijson
import orjson

from .errors import ParseError
from .files import MAX_LINE_BYTES, sniff_file


def _loads_line(raw: bytes):
    """One line's JSON: orjson (C, several times faster) for the common case; anything it refuses goes through
    the standard library, which gives the error messages (and accepts what it always accepted, NaN or integers
    beyond 64 bits)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw.decode("utf-8"))


def iter_json_lines(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line of a JSON-lines file; each line at most MAX_LINE_BYTES."""
    sniff_file(path, kind="json")
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed in finally; a generator cannot use `with` across yields safely
    except OSError as exc:
        raise ParseError(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc
    try:
        number = 0
        while True:
            raw = fh.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            number += 1
            if len(raw) > MAX_LINE_BYTES:
                raise ParseError(f"{path.name} line {number}: a line is longer than {MAX_LINE_BYTES} bytes")
            if not raw.strip():
                continue
            try:
                obj = _loads_line(raw)
            except UnicodeDecodeError as exc:
                raise ParseError(f"{path.name} line {number}: not valid utf-8 text: wrong encoding") from exc
            except json.JSONDecodeError as exc:
                hint = " (truncated file?)" if not raw.endswith(b"\n") else ""
                raise ParseError(f"{path.name} line {number}: invalid JSON: {exc.msg}{hint}") from exc
            if not isinstance(obj, dict):
                raise ParseError(f"{path.name} line {number}: expected a JSON object, got {type(obj).__name__}")
            yield number, obj
    finally:
        fh.close()


_JSON_CHUNK = 1 << 20  # bytes read at a time (ijson's buffer)


class _CountingReader:
    """The binary file ijson reads: a leading BOM is dropped, every chunk is checked to be utf-8 (strictly, as
    the text was before), what was read is counted, and the end of the file noted: a parse error at the end of
    the file is a truncated document, and a record that spans more than MAX_LINE_BYTES is refused while it is
    being built (memory stays bounded)."""

    def __init__(self, fh: IO[bytes]):
        self.fh, self.read_chars, self.eof, self._first = fh, 0, False, True
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="strict")

    def read(self, size: int = -1) -> bytes:
        chunk = self.fh.read(size)
        if self._first and size:
            self._first = False
            chunk = chunk.removeprefix(codecs.BOM_UTF8)
        if size and not chunk:
            self.eof = True
        self._utf8.decode(chunk, final=self.eof)  # raises UnicodeDecodeError on bad bytes
        self.read_chars += len(chunk)
        return chunk


def iter_json_array(path: Path, key: str) -> Iterator[dict]:
    """Stream the objects of the array under top-level ``key`` (or of a top-level array) without loading the
    document: ijson parses it event by event and each object is built alone.

    The whole document is checked, not only the array: the other top-level members must be well-formed, the
    object (or array) must close, and nothing but whitespace may follow. A file cut after the array's ``]``
    but before the object's ``}`` is truncated too, and is refused. Only the first ``key`` member holding an
    array is read.
    """
    sniff_file(path, kind="json")
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed in finally
    except OSError as exc:
        raise ParseError(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc
    reader = _CountingReader(fh)
    closed = False  # the top-level value has ended: anything but whitespace after it is an error
    try:
        events = ijson.parse(reader, buf_size=_JSON_CHUNK, use_float=True)
        top = None
        for prefix, event, value in events:
            if top is None:
                top = event
                item_prefix = "item" if event == "start_array" else f"{key}.item"
                state = "read" if event == "start_array" else "before"  # before / read / done (the key's array)
                continue
            if prefix == "" and event in ("end_map", "end_array"):
                closed = True
                continue
            if top == "start_map" and prefix == key and event in ("start_array", "end_array"):
                if event == "start_array" and state == "before":
                    state = "read"
                elif event == "end_array" and state == "read":
                    state = "done"
                continue
            if state == "read" and prefix == item_prefix:
                yield _json_item(events, event, value, reader, path, prefix)
        if top == "start_map" and state != "done":
            raise ParseError(f'{path.name}: no "{key}" array in the JSON document')
    except ijson.JSONError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if closed:
            raise ParseError(f"{path.name}: invalid JSON: data after the end of the document") from exc
        if reader.eof:
            raise ParseError(f"{path.name}: invalid or truncated JSON: the document ends early ({reason})") from exc
        raise ParseError(f"{path.name}: invalid JSON: {reason}") from exc
    except UnicodeDecodeError as exc:
        raise ParseError(f"{path.name}: not valid utf-8 text: wrong encoding or binary data") from exc
    finally:
        fh.close()


def _json_item(events, event: str, value, reader: _CountingReader, path: Path, prefix: str) -> dict:
    """The object whose first event was just read, built from the following events; bounded in size."""
    if event not in ("start_map", "start_array"):
        found = type(value).__name__
        raise ParseError(f"{path.name}: expected objects in the array, got {found}")
    start = reader.read_chars
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1
    for _prefix, ev, val in events:
        builder.event(ev, val)
        if ev in ("start_map", "start_array"):
            depth += 1
        elif ev in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                break
        if reader.read_chars - start > MAX_LINE_BYTES + _JSON_CHUNK:
            raise ParseError(f"{path.name}: one record is larger than {MAX_LINE_BYTES} bytes")
    if not isinstance(builder.value, dict):
        raise ParseError(f"{path.name}: expected objects in the array, got {type(builder.value).__name__}")
    return builder.value
