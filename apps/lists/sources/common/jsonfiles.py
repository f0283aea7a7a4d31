"""JSON: lines and big arrays, streamed and bounded, with the end-of-document checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import ParseError
from .files import MAX_LINE_BYTES, sniff_file


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
                obj = json.loads(raw.decode("utf-8"))
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


_JSON_CHUNK = 1 << 20
_JSON_WS = " \t\r\n"


class _JsonStream:
    """A bounded window over a JSON text file, for decoding one value at a time with ``raw_decode``.

    Used to walk the top level of a large document (an object's members, an array's items) without loading it,
    while still checking the document's grammar to its very end: a body cut anywhere leaves an unclosed array
    or object, which is refused, even when the download had no Content-Length to check it against.
    """

    _decoder = json.JSONDecoder()

    def __init__(self, fh: IO[str], path: Path):
        self.fh, self.path = fh, path
        self.buf, self.pos, self.eof = "", 0, False

    def _more(self) -> bool:
        """Append the next chunk to the window (dropping what was consumed); False at the end of the file."""
        if self.eof:
            return False
        chunk = self.fh.read(_JSON_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buf, self.pos = self.buf[self.pos :] + chunk, 0
        return True

    def peek(self) -> str:
        """The next character that is not whitespace ('' at the end of the file), without consuming it."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _JSON_WS:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def expect(self, chars: str, what: str) -> str:
        found = self.peek()
        if not found:
            raise ParseError(f"{self.path.name}: truncated JSON: the document ends where {what} was expected")
        if found not in chars:
            raise ParseError(f"{self.path.name}: invalid JSON: expected {what}, found {found!r}")
        self.pos += 1
        return found

    def value(self):
        """Decode the next complete value; a value larger than MAX_LINE_BYTES is refused."""
        self.peek()
        while True:
            try:
                obj, end = self._decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if len(self.buf) - self.pos > MAX_LINE_BYTES:
                    raise ParseError(f"{self.path.name}: one record is larger than {MAX_LINE_BYTES} bytes") from exc
                if not self._more():
                    raise ParseError(f"{self.path.name}: invalid or truncated JSON: {exc.msg}") from exc
                continue
            if end == len(self.buf) and self._more():
                continue  # a number or literal at the window's edge may go on in the next chunk: decode again
            self.pos = end
            return obj


def _json_array_items(stream: _JsonStream) -> Iterator[dict]:
    """The objects of the array whose ``[`` was just consumed, up to and including its ``]``."""
    if stream.peek() == "]":
        stream.pos += 1
        return
    while True:
        obj = stream.value()
        if not isinstance(obj, dict):
            raise ParseError(f"{stream.path.name}: expected objects in the array, got {type(obj).__name__}")
        yield obj
        if stream.expect(",]", "',' or ']' (the array is not closed)") == "]":
            return


def iter_json_array(path: Path, key: str) -> Iterator[dict]:
    """Stream the objects of the array under top-level ``key`` (or of a top-level array) without loading the
    document: values are decoded one at a time from a bounded window.

    The whole document is checked, not only the array: the other top-level members must be well-formed, the
    object (or array) must close, and nothing but whitespace may follow. A file cut after the array's ``]``
    but before the object's ``}`` is truncated too, and is refused.
    """
    sniff_file(path, kind="json")
    try:
        fh = open(path, encoding="utf-8-sig", errors="strict")  # noqa: SIM115 - closed in finally
    except OSError as exc:
        raise ParseError(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc
    stream = _JsonStream(fh, path)
    try:
        if stream.expect("{[", "a JSON object or array") == "[":
            yield from _json_array_items(stream)
        else:
            found = False
            if stream.peek() == "}":
                stream.pos += 1
            else:
                while True:
                    name = stream.value()
                    if not isinstance(name, str):
                        raise ParseError(f"{path.name}: invalid JSON: expected a member name, got {name!r}"[:300])
                    stream.expect(":", "':'")
                    if name == key and not found and stream.peek() == "[":
                        stream.pos += 1
                        found = True
                        yield from _json_array_items(stream)
                    else:
                        stream.value()  # another member (total, sources_used, meta...): checked, not kept
                    if stream.expect(",}", "',' or '}' (the top-level object is not closed)") == "}":
                        break
            if not found:
                raise ParseError(f'{path.name}: no "{key}" array in the JSON document')
        if stream.peek():
            raise ParseError(f"{path.name}: invalid JSON: data after the end of the document")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{path.name}: not valid utf-8 text: wrong encoding or binary data") from exc
    finally:
        fh.close()
