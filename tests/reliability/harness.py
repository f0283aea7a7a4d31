"""Private services and fault switches for the reliability tests: a list server whose behaviour the test
changes (ok, hang, 500, truncated), a private redis-server, a private PostgreSQL cluster, Celery processes."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, *, timeout: float = 15.0, up: bool = True) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            if up:
                return True
        except OSError:
            if not up:
                return True
        time.sleep(0.1)
    return False


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


# --- a list publisher that misbehaves on demand ------------------------------------------------------------

class FaultServer:
    """Serves `body` at /list.csv. `mode`: ok | hang (never answers in time) | error (HTTP 500) |
    short (declares more bytes than it sends) | html (an error page with 200) |
    unframed (no Content-Length, `Connection: close`: the body ends where the server closes, so a body cut
    upstream looks complete to HTTP) | trickle (no Content-Length, one byte every `trickle_seconds`: every read
    returns within any read timeout, only a total deadline stops it)."""

    def __init__(self):
        self.mode = "ok"
        self.body = b""
        self.hits = 0
        self.trickle_seconds = 0.05
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.hits += 1
                mode = server.mode
                if mode == "hang":
                    time.sleep(5)
                    return
                if mode == "error":
                    self.send_response(500)
                    self.send_header("Content-Length", "5")
                    self.end_headers()
                    self.wfile.write(b"oops!")
                    return
                if mode == "html":
                    page = b"<html><body>Service unavailable</body></html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(page)))
                    self.end_headers()
                    self.wfile.write(page)
                    return
                body = server.body
                if mode in ("unframed", "trickle"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/csv")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.close_connection = True
                    try:
                        if mode == "unframed":
                            self.wfile.write(body)
                        else:
                            for i in range(len(body)):
                                self.wfile.write(body[i : i + 1])
                                self.wfile.flush()
                                time.sleep(server.trickle_seconds)
                    except OSError:
                        pass  # the client hung up (e.g. at its deadline)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                declared = len(body) * 2 if mode == "short" else len(body)
                self.send_header("Content-Length", str(declared))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                if mode == "short":
                    self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/list.csv"

    def start(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# --- private redis ------------------------------------------------------------------------------------------

class PrivateRedis:
    def __init__(self):
        self.binary = shutil.which("redis-server")
        if not self.binary:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        if not wait_port(self.port):
            self.stop()
            pytest.skip("private redis-server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        wait_port(self.port, up=False, timeout=5)


# --- private PostgreSQL ---------------------------------------------------------------------------------------

class PrivatePostgres:
    """A throw-away cluster (initdb) on a free port in a temp dir, run as the `postgres` OS user when we are
    root (PostgreSQL refuses to run as root). Skips the test with the reason when it cannot start."""

    def __init__(self):
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not bins:
            pytest.skip("PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb) are not installed")
        self.bindir = bins[-1].parent
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="vr-pg-"))
        self.data = self.dir / "data"
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            try:
                import pwd

                pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root and there is no `postgres` user to run a private cluster")
            runuser = shutil.which("runuser")
            if not runuser:
                pytest.skip("running as root without runuser")
            self.run_as = [runuser, "-u", "postgres", "--"]
            shutil.chown(self.dir, "postgres")
            os.chmod(self.dir, 0o755)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/vendorrisk"

    def _run(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([*self.run_as, *args], capture_output=True, text=True, timeout=timeout, check=check)

    def init(self):
        result = self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                           "--no-sync", "-E", "UTF8", check=False)
        if result.returncode != 0:
            pytest.skip(f"initdb failed: {result.stderr[-500:]}")
        self.start()
        self._run(str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                  "vendorrisk")

    def start(self):
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off"
        result = self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", opts, "-l",
                           str(self.dir / "log"), "-w", "-t", "30", "start", check=False)
        if result.returncode != 0:
            pytest.skip(f"private PostgreSQL did not start: {result.stderr[-500:]}")

    def stop(self, mode: str = "fast"):
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop",
                  check=False)

    def destroy(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


# --- app processes ------------------------------------------------------------------------------------------

def app_env(*, database_url: str, broker_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))}
    var_dir.mkdir(parents=True, exist_ok=True)
    env.update(
        DJANGO_SETTINGS_MODULE="vendorrisk.settings_test",
        DEBUG="true",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        VAR_DIR=str(var_dir),
        MEDIA_ROOT=str(var_dir / "media"),
        CELERY_TASK_ALWAYS_EAGER="false",
        LISTS_ALLOWED_HOSTS="127.0.0.1",
        LISTS_ALLOW_HTTP="true",
    )
    env.update(audit_key_env())
    env.pop("SQLITE_TEST_DB_FILE", None)
    env.update(extra)
    return env


def audit_key_env() -> dict[str, str]:
    """The test process's audit keys, so the events app processes sign verify here (with DEBUG each VAR_DIR would
    otherwise generate its own development key)."""
    from django.conf import settings

    return {"AUDIT_HMAC_KEYS": ",".join(f"{k}:{v}" for k, v in settings.AUDIT_HMAC_KEYS.items()),
            "AUDIT_HMAC_KEY_ID": settings.AUDIT_HMAC_KEY_ID}


def manage(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=True)


class Proc:
    """A Celery worker/beat subprocess in its own process group, with its log in a file."""

    def __init__(self, args: list[str], env: dict, log_path: Path):
        self.log_path = log_path
        self.log_file = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "vendorrisk", *args], cwd=ROOT, env=env,
                                     stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL):
        if self.alive():
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=20)

    def stop(self):
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log_file.close()


def start_worker(env: dict, log_path: Path, *, queue: str = "celery", name: str = "w1") -> Proc:
    proc = Proc(["worker", "--pool=solo", "-Q", queue, "-n", f"{name}@%h", "--loglevel=INFO",
                 "--without-heartbeat", "--without-mingle", "--without-gossip"], env, log_path)
    deadline = time.monotonic() + 60
    while "ready." not in proc.log():
        if not proc.alive() or time.monotonic() > deadline:
            proc.stop()
            pytest.fail(f"worker did not start:\n{proc.log()[-3000:]}")
        time.sleep(0.2)
    return proc


def worker_database_url() -> str | None:
    """The test database as a URL a subprocess can use (None for in-memory SQLite)."""
    from django.db import connection

    from tests.conftest import _database_url_for_worker

    return _database_url_for_worker(connection.settings_dict)
