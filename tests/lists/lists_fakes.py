"""A tiny fake list format used by the lists engine tests (registered only in tests, via monkeypatch).

Each line is JSON: {"id": "1", "name": "Acme", "aliases": [...], "country": "CN"} (optionally "sub_list" and
"programs"); a line {"op": "DEL", "id": "1"}
or {"op": "ADD"|"MOD", ...entry} makes the file a delta. A line "BROKEN" raises ParseError.
"""
from __future__ import annotations

import json
import types
from pathlib import Path

import pytest

from apps.lists.choices import Propagation, Regime
from apps.lists.sources.base import ParsedEntry, ParseError
from tests.factories import ListSourceFactory

FAKE_FORMAT = "fake_jsonl"


def _entry(obj: dict) -> ParsedEntry:
    return ParsedEntry(
        external_id=str(obj["id"]), primary_name=obj["name"], aliases=obj.get("aliases", []),
        countries=[obj["country"]] if obj.get("country") else [], remarks=obj.get("remarks", ""),
        sub_list=obj.get("sub_list", ""), programs=obj.get("programs", []),
    )


def _lines(paths):
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                if line == "BROKEN":
                    raise ParseError(f"{Path(path).name}: broken line")
                yield json.loads(line)


def parse(paths):
    for obj in _lines(paths):
        yield _entry(obj)


def parse_delta(paths):
    for obj in _lines(paths):
        op = obj.get("op", "ADD")
        yield (op, str(obj["id"])) if op == "DEL" else (op, _entry(obj))


fake_module = types.SimpleNamespace(FORMAT=FAKE_FORMAT, DESCRIPTION="fake", parse=parse, parse_delta=parse_delta,
                                    IS_DELTA_CAPABLE=True)


@pytest.fixture
def fake_format(monkeypatch):
    import apps.lists.sources as sources

    real = sources.get_parser

    def get_parser(fmt):
        return fake_module if fmt == FAKE_FORMAT else real(fmt)

    monkeypatch.setattr(sources, "get_parser", get_parser)
    return fake_module


def write_list(path: Path, entries: list[dict]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    return path


def entries(n: int, *, start: int = 0, suffix: str = "") -> list[dict]:
    return [{"id": str(i), "name": f"Company {i}{suffix}", "aliases": [f"C{i}"], "country": "CN"}
            for i in range(start, start + n)]


@pytest.fixture
def source(db, fake_format, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return ListSourceFactory(code="fake", name="Fake list", publisher="Tests", regime=Regime.US_OFAC,
                             propagation=Propagation.NAMED_ONLY, format=FAKE_FORMAT, freshness_limit_hours=48)
