"""`make run`'s last step: the development server, a Celery worker and beat, stopped together within seconds by
one Ctrl-C (the worker with a cold shutdown: a development run has nothing worth waiting for).

The worker's and beat's logs go to var/log/ so the terminal keeps the server's requests; once the server answers,
a welcome (apps.demo.services.demo_welcome) says where to go and whom to sign in as. A process that dies on its
own stops the others and the command fails, with the end of that process's log."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.demo.services import demo_welcome

STOP_SIGNALS = {"worker": signal.SIGQUIT, "beat": signal.SIGTERM, "web": signal.SIGTERM}
# Seconds each may take before it is killed (at most --stop-timeout).
STOP_GRACE = {"worker": 2.0, "beat": 2.0, "web": 2.0}


class Command(BaseCommand):
    help = "Serve the app with a Celery worker and beat for development; Ctrl-C stops all three."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--ready-timeout", type=float, default=90.0,
                            help="Seconds to wait for the server's first answer.")
        parser.add_argument("--stop-timeout", type=float, default=4.0,
                            help="At most this many seconds for each process to stop before it is killed.")

    def handle(self, *args, port: int, ready_timeout: float, stop_timeout: float, **options):
        # Ctrl-C and a SIGTERM (a supervisor, `kill`) both stop the three, even when this process was started
        # with SIGINT ignored (a parent that ignores it passes that on, and Python then installs no handler).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        log_dir = settings.VAR_DIR / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        bin_dir = Path(sys.executable).parent
        celery = str(bin_dir / "celery")
        commands = {
            "worker": [celery, "-A", "vendorrisk", "worker", "--loglevel=INFO", "--concurrency=2"],
            "beat": [celery, "-A", "vendorrisk", "beat", "--loglevel=INFO"],
            "web": [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"],
        }
        logs = {name: log_dir / f"{name}.log" for name in ("worker", "beat")}
        procs: dict[str, subprocess.Popen] = {}
        base_url = f"http://127.0.0.1:{port}"
        try:
            for name, command in commands.items():
                out = open(logs[name], "ab") if name in logs else None  # noqa: SIM115 - closed with the process
                # Own process groups: the terminal's Ctrl-C reaches this command only, which stops them in order.
                procs[name] = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT if out else None,
                                               start_new_session=True, cwd=settings.BASE_DIR)
            self._wait_ready(procs, base_url, ready_timeout, logs)
            self.stdout.write("\n" + "\n".join(demo_welcome(base_url)) + "\n")
            self.stdout.flush()
            while True:
                self._check_alive(procs, logs)
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stdout.write("Stopping the server, the worker and beat ...")
        finally:
            self._stop(procs, stop_timeout)

    def _wait_ready(self, procs, base_url: str, timeout: float, logs) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive(procs, logs)
            try:
                with urllib.request.urlopen(f"{base_url}/api/v1/health/", timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answered (503: a dependency is down; the welcome still helps)
            except OSError:
                time.sleep(0.3)
        raise CommandError(f"The server did not answer on {base_url} within {timeout:.0f} s.")

    def _check_alive(self, procs, logs) -> None:
        for name, proc in procs.items():
            code = proc.poll()
            if code is not None:
                tail = ""
                if name in logs and logs[name].exists():
                    tail = "\n".join(logs[name].read_text(errors="replace").splitlines()[-15:])
                raise CommandError(f"The {name} stopped (exit {code}).{chr(10) + tail if tail else ''}")

    def _stop(self, procs, timeout: float) -> None:
        """Signal all three at once, then kill what is still there after its grace: the worker's cold shutdown
        can hang on restoring unacknowledged messages to the embedded broker, which a development run need not
        wait for: a task cut short may be lost, and the next `make run` loads the demo and screens it again."""
        for name, proc in procs.items():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, STOP_SIGNALS[name])
        started = time.monotonic()
        for name, proc in procs.items():
            grace = min(timeout, STOP_GRACE[name])
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, started + grace - time.monotonic()))
            # The whole group: a worker's pool children or runserver's reloaded child may outlive their parent.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
