"""Evidence file checks: the type comes from the content (magic bytes), never from the name or the
browser's Content-Type; anything not on the short allow-list is refused (no ORM); and the download of a
stored file."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from django.http import FileResponse, Http404

from apps.common.exceptions import ApplicationError

ALLOWED_DESCRIPTION = "PDF, PNG, JPEG, WebP, plain text / CSV, Word (.docx) or Excel (.xlsx)"


@dataclass(frozen=True)
class SniffedType:
    content_type: str
    extension: str


def _zip_office_type(data: bytes) -> SniffedType | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return SniffedType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx")
    if "xl/workbook.xml" in names:
        return SniffedType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
    return None


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if any((ord(ch) < 32 and ch not in "\t\n\r\f") or ord(ch) == 127 for ch in text[:65536]):
        return False
    head = text.lstrip()[:200].lower()
    # Markup is refused: served back, it could run script in a browser.
    return not (head.startswith("<") or "<script" in text.lower() or "<svg" in head or "<html" in head)


def sniff(data: bytes, original_name: str = "") -> SniffedType:
    """The type of `data`, or ApplicationError(code="evidence_type") when it is not allowed."""
    if data.startswith(b"%PDF-"):
        return SniffedType("application/pdf", "pdf")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return SniffedType("image/png", "png")
    if data.startswith(b"\xff\xd8\xff"):
        return SniffedType("image/jpeg", "jpg")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return SniffedType("image/webp", "webp")
    if data.startswith(b"PK\x03\x04"):
        office = _zip_office_type(data)
        if office:
            return office
    elif data and _is_text(data):
        if original_name.lower().endswith(".csv"):
            return SniffedType("text/csv", "csv")
        return SniffedType("text/plain", "txt")
    raise ApplicationError(
        f"This file type is not accepted as evidence (by its content). Accepted: {ALLOWED_DESCRIPTION}.",
        code="evidence_type", fields={"file": ["Type not accepted."]},
    )


def read_limited(fileobj, max_bytes: int) -> bytes:
    """Read at most max_bytes + 1 bytes; refuse a larger file before anything is stored."""
    size = getattr(fileobj, "size", None)
    if size is not None and size > max_bytes:
        raise ApplicationError(f"The file is {size} bytes; the limit is {max_bytes} bytes.", code="evidence_too_large",
                               fields={"file": ["File too large."]})
    if hasattr(fileobj, "seek"):
        fileobj.seek(0)
    chunks, total = [], 0
    chunk_iter = fileobj.chunks() if hasattr(fileobj, "chunks") else iter(lambda: fileobj.read(65536), b"")
    for chunk in chunk_iter:
        total += len(chunk)
        if total > max_bytes:
            raise ApplicationError(f"The file is larger than the limit of {max_bytes} bytes.",
                                   code="evidence_too_large", fields={"file": ["File too large."]})
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise ApplicationError("The file is empty.", code="evidence_empty", fields={"file": ["Empty file."]})
    return data


def stored_file_response(file, *, filename: str, content_type: str) -> FileResponse:
    """A stored upload (evidence, a data call answer's file) as a download, web and API alike: its original name,
    the type taken from its content at upload, never rendered inline, never sniffed. A file gone from storage is a
    404 that says so (the row and its hash stay on record)."""
    try:
        handle = file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage.") from exc
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def evidence_file_response(evidence) -> FileResponse:
    """The stored file of an evidence row as a download (stored_file_response)."""
    return stored_file_response(evidence.file, filename=evidence.original_name, content_type=evidence.content_type)
