"""The real server answers: migrate a fresh database, load the demo, start gunicorn with production
settings (DEBUG off) and ask it for the login page, a static file, the health check and the admin login."""
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from apps.api.bounds import REQUEST_LINE_LIMIT

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def server_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=f"sqlite:///{tmp_path / 'smoke.sqlite3'}",
        VAR_DIR=str(tmp_path / "var"),
        DEMO_PASSWORD="smoke-test-password-1",
        CELERY_BROKER_URL="memory://",
        AUDIT_HMAC_KEYS=f"smoke:{secrets.token_urlsafe(32)}",
    )
    return env


def test_running_server_answers(server_env):
    py = sys.executable
    for cmd in (["migrate", "--noinput"], ["load_demo"], ["collectstatic", "--noinput"]):
        subprocess.run([py, "manage.py", *cmd], cwd=ROOT, env=server_env, check=True, capture_output=True)
    port = _free_port()
    gunicorn = Path(py).parent / "gunicorn"
    proc = subprocess.Popen(
        [str(gunicorn), "vendorrisk.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1",
         "--limit-request-line", str(REQUEST_LINE_LIMIT)],  # as the Dockerfile and docker-compose.yml
        cwd=ROOT, env=server_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                status, body = _get(f"{base}/login/")
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("server did not start: " + proc.stdout.read1().decode())
        assert status == 200 and "Log in" in body
        status, css = _get(f"{base}/static/css/app.css")
        assert status == 200 and "--accent" in css
        status, body = _get(f"{base}/api/v1/health/")
        assert status == 200 and body == '{"status":"ok"}'  # anonymous: no names of the parts behind it
        status, body = _get(f"{base}/admin/login/")
        assert status == 200 and "Django" in body
        # A request line of over 7,000 bytes reaches the API (401 JSON: no token here); one over the limit
        # gets gunicorn's own HTML 400, as docs/api.md and the schema say.
        query = "/api/v1/equipment/?q=" + "%F0%9F%98%80" * 600
        status, body = _get(base + query)
        assert len(f"GET {query} HTTP/1.1") > 7000 and status == 401 and '"not_authenticated"' in body
        status, body = _get(base + query + "x" * (REQUEST_LINE_LIMIT - len(query)))
        assert status == 400 and "Request Line is too large" in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)
