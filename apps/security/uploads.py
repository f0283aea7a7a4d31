"""Checks for files that come from outside (uploads, list downloads): size, type by content, zip bombs,
XML entity expansion, CSV field sizes. Raise `UploadRejected` (an ApplicationError) with a clear reason.

    from apps.security.uploads import upload_check, xlsx_check, xml_parse, csv_reader

    kind = upload_check(f, allowed={"csv", "xlsx"}, max_bytes=20 * 2**20)   # -> "csv" | "xlsx"
    if kind == "xlsx":
        xlsx_check(f)                    # zip member count / uncompressed size / ratio, before openpyxl
"""
from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.conf import settings

from apps.common.exceptions import ApplicationError

# Leading bytes of the kinds the registry accepts. Text kinds (csv, json, xml, txt) have no magic: they are
# recognised by being valid text without NUL bytes, and xml/json by their first non-blank character.
_MAGIC: list[tuple[str, bytes]] = [
    ("pdf", b"%PDF-"),
    ("zip", b"PK\x03\x04"),
    ("zip", b"PK\x05\x06"),  # empty zip
    ("png", b"\x89PNG\r\n\x1a\n"),
    ("jpeg", b"\xff\xd8\xff"),
    ("gif", b"GIF87a"),
    ("gif", b"GIF89a"),
    ("gzip", b"\x1f\x8b"),
    ("ole", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),  # legacy .xls/.doc: refused unless asked for
]
_TEXT_KINDS = {"csv", "txt", "json", "xml"}
_OOXML = {"xlsx": "xl/", "docx": "word/", "pptx": "ppt/"}


class UploadRejected(ApplicationError):
    def __init__(self, message: str, *, field: str = "file"):
        super().__init__(message, code="upload_rejected", fields={field: [message]})


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _read_head(f: IO[bytes], n: int = 8192) -> bytes:
    pos = f.tell() if hasattr(f, "tell") else 0
    head = f.read(n)
    if hasattr(f, "seek"):
        f.seek(pos)
    if isinstance(head, str):
        head = head.encode()
    return head


def _file_size(f: Any) -> int | None:
    size = getattr(f, "size", None)
    if size is not None:
        return int(size)
    if hasattr(f, "seek") and hasattr(f, "tell"):
        pos = f.tell()
        f.seek(0, os.SEEK_END)
        end = f.tell()
        f.seek(pos)
        return end - pos
    return None


def sniff_type(head: bytes) -> str:
    """The kind of a file from its first bytes: pdf, zip, png, jpeg, gif, gzip, ole, xml, json, text,
    or "binary"."""
    for kind, magic in _MAGIC:
        if head.startswith(magic):
            return kind
    if b"\x00" in head:
        return "binary"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    try:
        text.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sample is still text
        if exc.start < len(text) - 4:
            try:
                text.decode("cp1252")
            except UnicodeDecodeError:
                return "binary"
    if text.startswith(b"<"):
        return "xml"
    if text[:1] in (b"{", b"["):
        return "json"
    return "text"


def _zip_subtype(f: IO[bytes]) -> str:
    try:
        with zipfile.ZipFile(f) as zf:
            names = zf.namelist()
    except zipfile.BadZipFile:
        return "zip"
    finally:
        f.seek(0)
    for kind, prefix in _OOXML.items():
        if "[Content_Types].xml" in names and any(n.startswith(prefix) for n in names):
            return kind
    return "zip"


def upload_check(f: IO[bytes], *, allowed: Iterable[str], max_bytes: int | None = None) -> str:
    """Refuse a file that is too large or whose content is not one of `allowed` (by content, never by the
    name or the Content-Type the client sent). Returns the detected kind; `text` satisfies csv/txt."""
    allowed = set(allowed)
    max_bytes = max_bytes or _limit("SECURITY_UPLOAD_MAX_BYTES", 50 * 2**20)
    size = _file_size(f)
    if size is not None and size > max_bytes:
        raise UploadRejected(f"File too large: {size} bytes (limit {max_bytes}).")
    if size == 0:
        raise UploadRejected("File is empty.")
    head = _read_head(f)
    kind = sniff_type(head)
    if kind == "zip":
        kind = _zip_subtype(f)
    accepted = {kind}
    if kind == "text":
        accepted |= {"csv", "txt"}
    if kind == "xml":
        accepted |= {"xml", "txt"}
    if kind == "json":
        accepted |= {"txt"}
    if not accepted & allowed:
        raise UploadRejected(
            f"File content is {kind}, not one of: {', '.join(sorted(allowed))}."
        )
    if kind == "text" and "csv" in allowed:
        return "csv"
    return kind


def zip_check(f: IO[bytes] | str | os.PathLike, *, max_members: int | None = None,
              max_uncompressed: int | None = None, max_ratio: int | None = None) -> list[zipfile.ZipInfo]:
    """Refuse a zip bomb before anything decompresses it: too many members, too much declared uncompressed
    data, an extreme compression ratio, or absolute/parent paths. The declared sizes are what zipfile
    enforces when reading (it stops at file_size), so checking them bounds the work."""
    max_members = max_members or _limit("SECURITY_ZIP_MAX_MEMBERS", 10_000)
    max_uncompressed = max_uncompressed or _limit("SECURITY_ZIP_MAX_UNCOMPRESSED_BYTES", 500 * 2**20)
    max_ratio = max_ratio or _limit("SECURITY_ZIP_MAX_RATIO", 200)
    try:
        zf = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadRejected(f"Not a readable zip/XLSX file: {exc}") from exc
    try:
        infos = zf.infolist()
    finally:
        zf.close()
        if hasattr(f, "seek"):
            f.seek(0)
    if len(infos) > max_members:
        raise UploadRejected(f"Archive has {len(infos)} members (limit {max_members}).")
    total = sum(i.file_size for i in infos)
    if total > max_uncompressed:
        raise UploadRejected(f"Archive expands to {total} bytes (limit {max_uncompressed}).")
    for info in infos:
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"):
            raise UploadRejected(f"Archive member has an unsafe path: {name!r}.")
        if info.compress_size and info.file_size / info.compress_size > max_ratio and info.file_size > 2**20:
            raise UploadRejected(
                f"Archive member {name!r} is compressed {info.file_size // info.compress_size}:1 (limit {max_ratio}:1)."
            )
    return infos


def xlsx_check(f: IO[bytes] | str | os.PathLike) -> None:
    """An XLSX is a zip: apply `zip_check` and require the workbook part, before openpyxl opens it."""
    infos = zip_check(f)
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise UploadRejected("Not an XLSX workbook (xl/workbook.xml missing).")


def xml_parse(source: IO[bytes] | bytes | str | os.PathLike, *, forbid_dtd: bool = False):
    """Parse XML with entity expansion, external entities and DTD retrieval forbidden (defusedxml); with
    `forbid_dtd`, any DOCTYPE at all (formats that never need one, e.g. CycloneDX).
    Returns an ElementTree; raises UploadRejected on a forbidden construct or malformed XML."""
    from xml.etree.ElementTree import ElementTree, ParseError

    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    try:
        if isinstance(source, bytes):
            return ElementTree(DET.fromstring(source, forbid_dtd=forbid_dtd, forbid_entities=True,
                                                  forbid_external=True))
        return DET.parse(source, forbid_dtd=forbid_dtd, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise UploadRejected(f"XML refused: {exc.__class__.__name__} ({exc}).") from exc
    except ParseError as exc:
        raise UploadRejected(f"Malformed XML: {exc}.") from exc


def csv_field_limit() -> int:
    return _limit("SECURITY_CSV_FIELD_MAX_CHARS", 1 * 2**20)


def _csv_rows(reader, line_num) -> Iterator:
    cap = csv_field_limit()
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise UploadRejected(f"CSV refused at line {line_num()}: {exc}.") from exc
        values = row.values() if isinstance(row, dict) else row
        for value in values:
            if isinstance(value, str) and len(value) > cap:
                raise UploadRejected(f"CSV refused at line {line_num()}: a field is longer than {cap} characters.")
        yield row


def csv_reader(text_stream: Iterable[str], **kwargs) -> Iterator[list[str]]:
    """csv.reader whose fields are capped at SECURITY_CSV_FIELD_MAX_CHARS; an overflow (or a CSV syntax error)
    becomes UploadRejected with the line number. Leaves csv.field_size_limit alone: it is process-wide, and
    other readers (list parsers) set their own."""
    reader = csv.reader(text_stream, **kwargs)
    return _csv_rows(reader, lambda: reader.line_num)


def csv_dict_reader(text_stream: Iterable[str], **kwargs) -> Iterator[dict[str, str]]:
    reader = csv.DictReader(text_stream, **kwargs)
    return _csv_rows(reader, lambda: reader.line_num)


def text_stream(f: IO[bytes], encoding: str = "utf-8-sig") -> io.TextIOWrapper:
    """A text view of an uploaded binary file, for csv_reader (newline='' as csv requires)."""
    return io.TextIOWrapper(f, encoding=encoding, errors="strict", newline="")
