import io
import zipfile

import pytest

from apps.common.exceptions import ApplicationError
from apps.remediation.uploads import read_limited, sniff


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@pytest.mark.parametrize("data,name,ctype", [
    (b"%PDF-1.7\n...", "x.exe", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n0000", "photo.pdf", "image/png"),
    (b"\xff\xd8\xff\xe0JFIF", "p.jpg", "image/jpeg"),
    (b"asset,removed\nPT-STS-01,2026-01-01\n", "log.csv", "text/csv"),
    (b"Work order 42 closed.", "note.txt", "text/plain"),
    (_docx(), "cert.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
])
def test_sniff_types_by_content_not_name(data, name, ctype):
    assert sniff(data, name).content_type == ctype


@pytest.mark.parametrize("data", [
    b"MZ\x90\x00\x03executable", b"\x7fELF\x02\x01", b"<html><script>alert(1)</script>", b"<svg onload=x>",
    b"PK\x03\x04not-really-a-zip", b"\x00\x01\x02binary",
])
def test_sniff_refuses_other_types(data):
    with pytest.raises(ApplicationError) as exc:
        sniff(data, "evidence.pdf")
    assert exc.value.code == "evidence_type"


def test_read_limited_refuses_large_and_empty():
    with pytest.raises(ApplicationError) as exc:
        read_limited(io.BytesIO(b"x" * 11), 10)
    assert exc.value.code == "evidence_too_large"
    with pytest.raises(ApplicationError):
        read_limited(io.BytesIO(b""), 10)
    assert read_limited(io.BytesIO(b"x" * 10), 10) == b"x" * 10
