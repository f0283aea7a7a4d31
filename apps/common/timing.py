"""Per-request cost in a `Server-Timing` response header (W3C Server Timing), for load tests and profiling.

With SERVER_TIMING on, every response says what it cost the server process that answered it:

    Server-Timing: app;dur=41.2, cpu;dur=18.7, db;dur=16.0, queries;desc="9"

`app` is the wall time from the first middleware in and back out, `cpu` the CPU time of the thread that served
the request (Python, templates, serialisation: `time.thread_time`), `db` the wall time spent in the database
calls of that thread (every database alias) and `queries` their number. The database server's own CPU is not in
it (it runs in another process): `bench/bench_load.py` reads that from `/proc` for the whole run.

Off by default: the header tells a client how long the server's work took, which has no place on a public
deployment. Browsers show it in their developer tools (network panel, Timing).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

_state = threading.local()


def _db_wrapper(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        tally = getattr(_state, "tally", None)
        if tally is not None:
            tally[0] += 1
            tally[1] += time.perf_counter() - started


class ServerTimingMiddleware:
    """Adds the `Server-Timing` header when settings.SERVER_TIMING is true; a pass-through otherwise. Place first
    in MIDDLEWARE so the figures cover the whole stack."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.enabled = bool(getattr(settings, "SERVER_TIMING", False))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.enabled:
            return self.get_response(request)
        _state.tally = tally = [0, 0.0]
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            wrappers = [connection.execute_wrapper(_db_wrapper) for connection in connections.all()]
            for wrapper in wrappers:
                wrapper.__enter__()
            try:
                response = self.get_response(request)
            finally:
                for wrapper in reversed(wrappers):
                    wrapper.__exit__(None, None, None)
        finally:
            _state.tally = None
        cpu = time.thread_time() - cpu
        wall = time.perf_counter() - wall
        response["Server-Timing"] = (f"app;dur={wall * 1000:.1f}, cpu;dur={cpu * 1000:.1f}, "
                                     f"db;dur={tally[1] * 1000:.1f}, queries;desc=\"{tally[0]}\"")
        return response


def parse_server_timing(value: str) -> dict[str, float]:
    """The figures of a `Server-Timing` header written by ServerTimingMiddleware: {"app": ms, "cpu": ms,
    "db": ms, "queries": n}; metrics it does not know are skipped."""
    figures: dict[str, float] = {}
    for metric in value.split(","):
        name, _, rest = metric.strip().partition(";")
        for part in rest.split(";"):
            key, _, raw = part.strip().partition("=")
            if (key == "dur" and name in ("app", "cpu", "db")) or (key == "desc" and name == "queries"):
                try:
                    figures[name] = float(raw.strip('"'))
                except ValueError:
                    continue
    return figures
