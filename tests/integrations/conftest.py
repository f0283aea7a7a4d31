"""A real local HTTPS receiver for webhook deliveries: http.server + ssl with a throw-away trustme CA, which
the delivery client trusts through settings.WEBHOOK_CA_BUNDLE (and 127.0.0.1 through WEBHOOK_ALLOWED_HOSTS)."""
from __future__ import annotations

import http.server
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import trustme


@dataclass
class Receiver:
    base: str
    ca_path: str
    received: list[dict] = field(default_factory=list)
    # path -> list of behaviours for the next requests ("500", "sleep", "200"); then 200
    script: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Called in the server's thread while a request is held open, before the answer (its result is kept).
    during: Callable[[], object] | None = None
    during_results: list = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.received)} requests received, {count} expected")


@pytest.fixture
def receiver(tmp_path, settings):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_path = tmp_path / "webhook-ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(ctx)

    state: dict = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_POST(self):
            rec: Receiver = state["receiver"]
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with rec.lock:
                steps = rec.script.get(self.path, [])
                step = steps.pop(0) if steps else "200"
                rec.received.append({"path": self.path, "headers": dict(self.headers.items()), "body": body,
                                     "answered": step})
            if rec.during is not None:
                rec.during_results.append(rec.during())
            if step == "sleep":
                time.sleep(3)
            code = 500 if step == "500" else 200
            payload = b'{"ok": false}' if code == 500 else b'{"ok": true}'
            try:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    rec = Receiver(base=f"https://127.0.0.1:{server.server_address[1]}", ca_path=str(ca_path))
    state["receiver"] = rec
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_CA_BUNDLE = str(ca_path)
    settings.WEBHOOK_TIMEOUT = 1.0
    settings.WEBHOOK_BACKOFF_SECONDS = 0.1
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
