"""Schemathesis hooks of `bench_load.py --schemathesis` (loaded through SCHEMATHESIS_HOOKS by `st run`).

Only a workaround in the fuzzing client, nothing about the API: with `--workers 4`, Hypothesis describes
filtered strategies by parsing their lambdas' source with `ast.parse` in several threads at once, and
CPython 3.11 keeps the AST constructor's recursion depth in shared interpreter state, so two parses at the
same time can fail with "SystemError: AST constructor recursion depth mismatch" (python/cpython#106905).
Schemathesis reported that as a runtime error of one operation. One lock around `ast.parse` in the client
process removes the race; the parses are few (their results are cached) and short.
"""
from __future__ import annotations

import ast
import functools
import threading

_lock = threading.RLock()
_parse = ast.parse


@functools.wraps(_parse)
def _parse_one_at_a_time(*args, **kwargs):
    with _lock:
        return _parse(*args, **kwargs)


ast.parse = _parse_one_at_a_time
