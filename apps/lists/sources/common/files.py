"""Files: sniffing the first bytes, strict decoding, reading the tail, translating read errors."""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from .errors import ParseError

MAX_FIELD_CHARS = 131_072  # one CSV field; also the stdlib default, set explicitly so the bound is visible
MAX_LINE_BYTES = 8 * 1024 * 1024  # one JSON line (a single FtM entity is a few KB; 8 MB is generous)
SNIFF_BYTES = 65_536


def sniff_file(path: Path, *, kind: str) -> bytes:
    """Refuse obviously wrong content fast and return the first bytes. kind: "csv", "xml" or "json"."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise ParseError(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc
    name = path.name
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n\x1a")
    if not stripped:
        raise ParseError(f"{name}: empty file")
    if head.startswith(b"\x1f\x8b"):
        raise ParseError(f"{name}: gzip-compressed data; decompress it before parsing")
    if head.startswith(b"PK\x03\x04"):
        raise ParseError(f"{name}: zip archive; extract the list file before parsing")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise ParseError(f"{name}: NUL bytes found: binary data or UTF-16 text, not a {kind.upper()} list")
    low = stripped[:1024].lower()
    if low.startswith((b"<!doctype html", b"<html")) or (low.startswith(b"<") and b"<html" in low):
        raise ParseError(f"{name}: an HTML page (an error or login page?) instead of {kind.upper()} data")
    if kind != "xml" and stripped.startswith(b"<"):
        raise ParseError(f"{name}: markup (HTML or XML) instead of {kind.upper()} data")
    if kind == "xml" and not stripped.startswith(b"<"):
        raise ParseError(f"{name}: not XML (does not start with '<')")
    if kind == "json" and not stripped.startswith((b"{", b"[")):
        raise ParseError(f"{name}: not JSON (does not start with '{{' or '[')")
    return head


def open_text(path: Path, *, encoding: str = "utf-8", kind: str = "csv") -> IO[str]:
    """Sniff, then open for strict decoding; utf-8 also accepts (and drops) a BOM."""
    sniff_file(path, kind=kind)
    enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    return open(path, encoding=enc, errors="strict", newline="")


@contextlib.contextmanager
def translate_errors(path: Path, *, encoding: str = "utf-8", where: Callable[[], str] | None = None):
    """Turn decoding/CSV/JSON errors raised while reading ``path`` into ParseError with a clear reason."""
    try:
        yield
    except ParseError:
        raise
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"{path.name}: not valid {encoding} text (byte {exc.object[exc.start : exc.start + 1]!r} "
            f"at offset ~{exc.start} of a chunk): wrong encoding or binary data"
        ) from exc
    except csv.Error as exc:
        loc = where() if where else ""
        msg = str(exc)
        if "field larger than field limit" in msg:
            msg = f"a field is longer than {MAX_FIELD_CHARS} characters (corrupt file or wrong format)"
        elif "NUL" in msg:
            msg = "NUL byte in data: binary or UTF-16 content"
        raise ParseError(f"{path.name}{loc}: malformed CSV: {msg}") from exc
    except json.JSONDecodeError as exc:
        loc = where() if where else ""
        raise ParseError(f"{path.name}{loc}: invalid JSON: {exc.msg} at column {exc.colno}") from exc
    except OSError as exc:
        raise ParseError(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc


def read_tail(path: Path, size: int) -> bytes:
    """The last ``size`` bytes of a file (seek to the tail), so it costs nothing on files of hundreds of MB."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - size))
            return fh.read()
    except OSError as exc:
        raise ParseError(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc


_TAIL_BYTES = 64


def file_ends_with_newline(path: Path) -> bool:
    """True when the file's last line is terminated (a trailing Ctrl-Z end byte, as OFAC writes, is ignored)."""
    return read_tail(path, _TAIL_BYTES).rstrip(b"\x1a").endswith((b"\n", b"\r"))


def paths_by_name(paths: Iterable[Path]) -> dict[str, Path]:
    return {Path(p).name.lower(): Path(p) for p in paths}


def single_path(paths: list[Path], fmt: str) -> Path:
    paths = [Path(p) for p in paths]
    if len(paths) != 1:
        raise ParseError(f"{fmt}: expected exactly one file, got {len(paths)}")
    return paths[0]
