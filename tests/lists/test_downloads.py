"""Downloads against a local HTTP server on 127.0.0.1, and the refresh path that uses them."""
# ruff: noqa: F811  (pytest fixtures imported from tests.lists.lists_fakes are used as arguments)
import datetime as dt
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from apps.lists import downloads
from apps.lists.choices import RunStatus, VersionStatus
from apps.lists.downloads import DownloadError, download
from apps.lists.models import FetchRun, ListVersion
from apps.lists.services import list_source_refresh
from tests.lists.lists_fakes import entries, fake_format, source, write_list  # noqa: F401


def etag_of(data: bytes) -> str:
    import hashlib

    return f'"{hashlib.sha256(data).hexdigest()[:16]}"'


class Handler(BaseHTTPRequestHandler):
    root: Path = Path(".")
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, status, body=b"", headers=None):
        self.send_response(status)
        headers = headers or {}
        headers.setdefault("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's naming
        path = self.path.split("?")[0]
        if path.startswith("/files/"):
            data = (self.root / path.removeprefix("/files/")).read_bytes()
            etag = etag_of(data)
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, headers={"ETag": etag, "Content-Length": "0"})
            return self._send(200, data, {"ETag": etag, "Last-Modified": "Sun, 01 Mar 2026 00:00:00 GMT",
                                          "Content-Type": "application/octet-stream"})
        if path == "/500":
            return self._send(500, b"oops")
        if path == "/404":
            return self._send(404, b"nope")
        if path == "/slow":
            time.sleep(2)
            return self._send(200, b"late")
        if path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 100)
            self.wfile.flush()
            self.close_connection = True
            return None
        if path == "/html":
            return self._send(200, b"<html><body>Service unavailable</body></html>", {"Content-Type": "text/html"})
        if path == "/html-sniffed":
            body = b"<!DOCTYPE html>\n<html><head><title>Maintenance</title></head><body>" + b" " * 200 + b"</body>"
            return self._send(200, body, {"Content-Type": "application/octet-stream"})
        if path == "/empty":
            return self._send(200, b"")
        if path == "/big":
            return self._send(200, b"y" * 300_000)
        if path == "/big-chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for _ in range(10):
                chunk = b"z" * 50_000
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return None
        if path.startswith("/trickle"):  # one byte every 100 ms, for a minute: never a read timeout
            self.send_response(200)
            framing = path.removeprefix("/trickle-")
            if framing == "length":
                self.send_header("Content-Length", "600")
            elif framing == "chunked":
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for _ in range(600):
                    self.wfile.write(b"1\r\nx\r\n" if framing == "chunked" else b"x")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass  # the client gave up
            self.close_connection = True
            return None
        if path == "/redirect":
            return self._send(302, headers={"Location": "/files/list.jsonl"})
        if path == "/redirect-away":
            port = self.server.server_address[1]
            return self._send(302, headers={"Location": f"http://localhost:{port}/files/list.jsonl"})
        if path == "/redirect-loop":
            return self._send(302, headers={"Location": "/redirect-loop"})
        return self._send(404, b"unknown")


@pytest.fixture
def server(tmp_path, settings):
    root = tmp_path / "www"
    root.mkdir()
    handler = type("H", (Handler,), {"root": root})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    settings.LISTS_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.LISTS_ALLOW_HTTP = True
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_200_saves_the_body_with_validators(server, tmp_path):
    base, root = server
    (root / "list.jsonl").write_bytes(b"hello list")
    result = download(f"{base}/files/list.jsonl", tmp_path / "out")
    assert not result.not_modified and result.size == 10 and result.etag == etag_of(b"hello list")
    assert result.last_modified.startswith("Sun, 01 Mar 2026")
    assert (tmp_path / "out").read_bytes() == b"hello list"


def test_304_when_the_etag_still_matches(server, tmp_path):
    base, root = server
    (root / "list.jsonl").write_bytes(b"hello list")
    result = download(f"{base}/files/list.jsonl", tmp_path / "out", etag=etag_of(b"hello list"))
    assert result.not_modified and result.path is None and not (tmp_path / "out").exists()


def test_500_is_a_retryable_failure(server, tmp_path):
    base, _ = server
    with pytest.raises(DownloadError) as exc:
        download(f"{base}/500", tmp_path / "out")
    assert exc.value.retryable and "HTTP 500" in exc.value.reason


def test_404_is_refused_without_retry(server, tmp_path):
    base, _ = server
    with pytest.raises(DownloadError) as exc:
        download(f"{base}/404", tmp_path / "out")
    assert not exc.value.retryable and "HTTP 404" in exc.value.reason


def test_read_timeout_is_a_retryable_network_error(server, tmp_path):
    base, _ = server
    with pytest.raises(DownloadError) as exc:
        download(f"{base}/slow", tmp_path / "out", timeout=0.5)
    assert exc.value.retryable and "Network error" in exc.value.reason


@pytest.mark.parametrize("framing", ["close", "length", "chunked"])
def test_the_total_deadline_stops_a_trickling_server(server, tmp_path, framing):
    """requests' read timeout is per read: a byte every 100 ms never trips a 5 s timeout. The total deadline
    must still stop the download, on time, whatever the body's framing; progress is reported meanwhile."""
    base, _ = server
    sizes = []
    started = time.monotonic()
    with pytest.raises(DownloadError) as exc:
        download(f"{base}/trickle-{framing}", tmp_path / "out", timeout=5, total_timeout=1.0,
                 on_progress=sizes.append)
    elapsed = time.monotonic() - started
    assert elapsed < 1.8, elapsed
    assert exc.value.retryable and "did not finish within its deadline of 1 s" in exc.value.reason
    assert len(sizes) >= 3 and sizes == sorted(sizes)  # called after every read, not every 256 KB
    assert not (tmp_path / "out").exists()


def test_a_body_shorter_than_its_content_length_is_refused(server, tmp_path):
    base, _ = server
    with pytest.raises(DownloadError) as exc:
        download(f"{base}/truncated", tmp_path / "out")
    assert "truncated" in exc.value.reason and exc.value.retryable
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("path", ["/html", "/html-sniffed"])
def test_an_html_page_is_refused(server, tmp_path, path):
    base, _ = server
    with pytest.raises(DownloadError, match="HTML page"):
        download(f"{base}{path}", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_empty_body_is_refused(server, tmp_path):
    base, _ = server
    with pytest.raises(DownloadError, match="empty body"):
        download(f"{base}/empty", tmp_path / "out")


@pytest.mark.parametrize("path", ["/big", "/big-chunked"])
def test_a_body_over_the_size_cap_is_refused(server, tmp_path, path):
    base, _ = server
    with pytest.raises(DownloadError, match="LISTS_DOWNLOAD_MAX_BYTES"):
        download(f"{base}{path}", tmp_path / "out", max_bytes=100_000)
    assert not (tmp_path / "out").exists()


def test_a_redirect_is_followed_and_rechecked(server, tmp_path):
    base, root = server
    (root / "list.jsonl").write_bytes(b"redirected")
    result = download(f"{base}/redirect", tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == b"redirected"
    assert result.final_url == f"{base}/files/list.jsonl"


def test_a_redirect_to_a_host_that_is_not_allowed_is_refused(server, tmp_path):
    base, root = server
    (root / "list.jsonl").write_bytes(b"secret")
    with pytest.raises(DownloadError, match="non-public address"):
        download(f"{base}/redirect-away", tmp_path / "out")  # localhost is loopback and not allow-listed
    assert not (tmp_path / "out").exists()


def test_a_redirect_loop_stops(server, tmp_path):
    base, _ = server
    with pytest.raises(DownloadError, match="redirects"):
        download(f"{base}/redirect-loop", tmp_path / "out")


def test_private_addresses_and_plain_http_are_refused_by_default(tmp_path, settings):
    settings.LISTS_ALLOWED_HOSTS = []
    with pytest.raises(DownloadError, match="non-public"):
        downloads.url_check("https://127.0.0.1/list.csv")
    with pytest.raises(DownloadError, match="non-public"):
        downloads.url_check("https://10.1.2.3/list.csv")
    with pytest.raises(DownloadError, match="non-public"):
        downloads.url_check("https://[::1]/list.csv")
    with pytest.raises(DownloadError, match="non-public"):
        downloads.url_check("https://169.254.169.254/latest/meta-data")
    with pytest.raises(DownloadError, match="only with LISTS_ALLOW_HTTP"):
        downloads.url_check("http://93.184.216.34/list.csv", allow_http=False)
    with pytest.raises(DownloadError, match="only https"):
        downloads.url_check("file:///etc/passwd")
    with pytest.raises(DownloadError, match="credentials"):
        downloads.url_check("https://user:pw@93.184.216.34/list.csv")


@pytest.mark.parametrize("address", [
    "64:ff9b::7f00:1",                      # NAT64 well-known prefix + 127.0.0.1
    "64:ff9b::a9fe:a9fe",                   # NAT64 + 169.254.169.254 (cloud metadata)
    "64:ff9b:1::a00:1",                     # NAT64 local-use prefix
    "2002:7f00:1::1",                       # 6to4 of 127.0.0.1
    "2002:c0a8:101::1",                     # 6to4 of 192.168.1.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    "::ffff:10.0.0.1",                      # IPv4-mapped
    "::127.0.0.1",                          # IPv4-compatible
    "ff02::1",                              # multicast
])
def test_ipv6_forms_that_carry_a_private_ipv4_address_are_refused(address, settings):
    settings.LISTS_ALLOWED_HOSTS = []
    assert downloads.address_refusal(address)
    with pytest.raises(DownloadError, match="non-public"):
        downloads.url_check(f"https://[{address}]/list.csv")


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946",
                                     "64:ff9b::5db8:d822", "2002:5db8:d822::1"])
def test_public_addresses_and_their_ipv6_forms_pass(address):
    assert downloads.address_refusal(address) == ""


def test_dns_rebinding_is_refused_at_connect_time(server, tmp_path, settings, monkeypatch):
    """The name resolves to a public address when checked and to loopback when connecting: the connection is
    refused because the address actually connected to is checked, and nothing is saved."""
    base, root = server
    (root / "list.jsonl").write_bytes(b"internal secrets")
    port = int(base.rsplit(":", 1)[1])
    settings.LISTS_ALLOWED_HOSTS = []  # only the test server's own name was allowed; rebind.example is not
    real = socket.getaddrinfo
    answers = iter([[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]])

    def resolver(host, *args, **kwargs):
        if host == "rebind.example":  # first answer (the check): public; later ones (the connect): loopback
            return next(answers, None) or real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with pytest.raises(DownloadError, match="connection went to the non-public address 127.0.0.1"):
        download(f"http://rebind.example:{port}/files/list.jsonl", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_filename_for_lowercases_the_last_segment():
    assert downloads.filename_for("https://x.example/api/exports/SDN.CSV") == "sdn.csv"
    assert downloads.filename_for("https://x.example/") == "download.bin"


# ---- the refresh path (download + the same import) ----

def test_refresh_downloads_imports_and_then_gets_304(server, source):
    base, root = server
    write_list(root / "list.jsonl", entries(5))
    source.url = f"{base}/files/list.jsonl"
    source.save()
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    first = list_source_refresh(source=source, now=now)
    assert first.status == "active" and first.entries == 5
    version = ListVersion.objects.get(pk=first.version)
    assert version.etag == etag_of((root / "list.jsonl").read_bytes()) and version.raw_filenames == ["list.jsonl"]
    again = list_source_refresh(source=source, now=now + dt.timedelta(hours=6))
    assert again.status == "unchanged" and "304" in again.reason
    assert ListVersion.objects.filter(source=source).count() == 1
    source.refresh_from_db()
    assert source.last_success_at == now + dt.timedelta(hours=6) and source.lock_until is None


def test_refresh_records_a_refused_download_and_keeps_the_active_version(server, source):
    base, root = server
    write_list(root / "list.jsonl", entries(5))
    source.url = f"{base}/files/list.jsonl"
    source.save()
    active = list_source_refresh(source=source)
    source.url = f"{base}/html"
    source.save()
    result = list_source_refresh(source=source)
    assert result.status == "failed" and "HTML page" in result.reason
    run = FetchRun.objects.get(pk=result.run)
    assert run.status == RunStatus.FAILED and "HTML page" in run.error
    assert ListVersion.objects.get(pk=active.version).status == VersionStatus.ACTIVE


def test_refresh_raises_retryable_errors_after_recording_them(server, source):
    base, _ = server
    source.url = f"{base}/500"
    source.save()
    with pytest.raises(DownloadError):
        list_source_refresh(source=source)
    run = FetchRun.objects.get(source=source)
    assert run.status == RunStatus.FAILED and "HTTP 500" in run.error
    source.refresh_from_db()
    assert source.lock_until is None  # the lease is released for the retry
