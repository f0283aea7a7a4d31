"""Upload checks: type by content, size caps, zip member count and uncompressed size, XML without entity
expansion, CSV field size, request body cap (ASVS 12.1.1, 12.1.2, 12.2.1, 5.5.2)."""
import io
import zipfile

import pytest
from openpyxl import Workbook

from apps.security.uploads import (
    UploadRejected,
    csv_reader,
    sniff_type,
    upload_check,
    xlsx_check,
    xml_parse,
    zip_check,
)


def _xlsx_bytes() -> bytes:
    wb = Workbook()
    wb.active.append(["asset_tag", "model"])
    wb.active.append(["T-1", "DS-2CD2143G2-I"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _zip(members: dict[str, bytes]) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    buf.seek(0)
    return buf


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"%PDF-1.7\n...", "pdf"),
        (b"\x89PNG\r\n\x1a\n....", "png"),
        (b"asset_tag,model\nT-1,X\n", "text"),
        (b"\xef\xbb\xbfasset_tag;model\n", "text"),
        (b'<?xml version="1.0"?><a/>', "xml"),
        (b'{"a": 1}', "json"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "binary"),
    ],
)
def test_sniff_type_by_content(content, kind):
    assert sniff_type(content) == kind


def test_xlsx_is_recognised_by_content_not_name():
    assert upload_check(io.BytesIO(_xlsx_bytes()), allowed={"xlsx", "csv"}) == "xlsx"
    assert upload_check(io.BytesIO(b"asset_tag,model\nT-1,X\n"), allowed={"xlsx", "csv"}) == "csv"


def test_executable_renamed_to_csv_is_refused():
    with pytest.raises(UploadRejected, match="binary"):
        upload_check(io.BytesIO(b"MZ\x90\x00\x03\x00\x00\x00" * 10), allowed={"csv", "xlsx"})


def test_pdf_is_refused_where_only_spreadsheets_are_accepted():
    with pytest.raises(UploadRejected, match="pdf"):
        upload_check(io.BytesIO(b"%PDF-1.7 something"), allowed={"csv", "xlsx"})


def test_oversized_and_empty_files_are_refused():
    with pytest.raises(UploadRejected, match="too large"):
        upload_check(io.BytesIO(b"a,b\n" * 1000), allowed={"csv"}, max_bytes=100)
    with pytest.raises(UploadRejected, match="empty"):
        upload_check(io.BytesIO(b""), allowed={"csv"})


def test_real_xlsx_passes_zip_checks():
    xlsx_check(io.BytesIO(_xlsx_bytes()))


def test_zip_with_too_many_members_is_refused(settings):
    settings.SECURITY_ZIP_MAX_MEMBERS = 50
    with pytest.raises(UploadRejected, match="members"):
        zip_check(_zip({f"xl/sheet{i}.xml": b"<a/>" for i in range(51)}))


def test_zip_bomb_is_refused_before_decompression(settings):
    settings.SECURITY_ZIP_MAX_UNCOMPRESSED_BYTES = 10 * 2**20
    bomb = _zip({"xl/worksheets/sheet1.xml": b"\0" * (20 * 2**20)})  # 20 MiB of zeros -> ~20 KiB compressed
    assert len(bomb.getvalue()) < 100_000
    with pytest.raises(UploadRejected, match="expands to"):
        zip_check(bomb)


def test_extreme_compression_ratio_is_refused():
    with pytest.raises(UploadRejected, match="compressed"):
        zip_check(_zip({"xl/worksheets/sheet1.xml": b"\0" * (5 * 2**20)}))


def test_zip_member_with_parent_path_is_refused():
    with pytest.raises(UploadRejected, match="unsafe path"):
        zip_check(_zip({"../../etc/cron.d/x": b"x"}))


def test_not_a_workbook_is_refused():
    with pytest.raises(UploadRejected, match="workbook"):
        xlsx_check(_zip({"hello.txt": b"hi"}))


def test_xml_entity_expansion_is_refused():
    billion_laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>'
    )
    with pytest.raises(UploadRejected, match="EntitiesForbidden"):
        xml_parse(billion_laughs)


def test_xml_external_entity_is_refused():
    xxe = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    with pytest.raises(UploadRejected):
        xml_parse(xxe)


def test_plain_xml_parses():
    tree = xml_parse(b"<sdnList><sdnEntry><uid>1</uid></sdnEntry></sdnList>")
    assert tree.getroot().find("sdnEntry/uid").text == "1"


def test_csv_field_over_the_cap_is_refused_with_its_line(settings):
    settings.SECURITY_CSV_FIELD_MAX_CHARS = 1000
    text = io.StringIO("name,remarks\nok,short\nbad," + "x" * 5000 + "\n")
    rows = csv_reader(text)
    assert next(rows) == ["name", "remarks"]
    assert next(rows) == ["ok", "short"]
    with pytest.raises(UploadRejected, match="line"):
        next(rows)


@pytest.mark.django_db
def test_request_body_over_the_cap_gets_413(client, settings):
    settings.SECURITY_MAX_REQUEST_BYTES = 1000
    response = client.post("/login/", data=b"x" * 2000, content_type="application/octet-stream")
    assert response.status_code == 413


@pytest.mark.django_db
def test_too_many_form_fields_are_refused(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = client.post("/login/", {f"f{i}": "x" for i in range(50)})
    assert response.status_code == 400
