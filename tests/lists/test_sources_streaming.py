"""Parsers stream: peak memory while parsing does not grow with the size of the entries read.

FtM keeps nothing per entity (constant memory). The other formats keep one small string per external id (to
guarantee ids are unique within a parse, see base.merge_repeats): about 100 bytes per entry, never the entries.
"""

import json
import tracemalloc

import pytest

from apps.lists.sources import opensanctions_ftm, un_sc_xml, us_csl_csv


def _peak_bytes(parse, path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for _ in parse([path]))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _ftm(path, n):
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            entity = {
                "id": f"NK-{i}",
                "schema": "Company",
                "caption": f"Company {i}",
                "target": True,
                "properties": {"name": [f"Company {i}"], "country": ["cn"], "leiCode": [f"LEI{i:017d}"]},
            }
            fh.write(json.dumps(entity) + "\n")


def _un(path, n):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<CONSOLIDATED_LIST><INDIVIDUALS/><ENTITIES>\n')
        for i in range(n):
            fh.write(
                f"<ENTITY><DATAID>{i}</DATAID><FIRST_NAME>ENTITY NUMBER {i}</FIRST_NAME>"
                f"<UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>KPe.{i}</REFERENCE_NUMBER>"
                "<LISTED_ON>2016-03-02</LISTED_ON><ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY>"
                f"<ALIAS_NAME>ALIAS {i}</ALIAS_NAME></ENTITY_ALIAS></ENTITY>\n"
            )
        fh.write("</ENTITIES></CONSOLIDATED_LIST>\n")


def _csl(path, n):
    header = ",".join(us_csl_csv.COLUMNS)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(header + "\n")
        for i in range(n):
            row = [""] * len(us_csl_csv.COLUMNS)
            row[0], row[1], row[5] = f"{i:040x}", "Entity List (EL) - Bureau of Industry and Security", f"Company {i}"
            row[7], row[22] = "Road 1, Hangzhou, CN", f"Alias {i}; Other {i}"
            fh.write(",".join(f'"{v}"' for v in row) + "\n")


@pytest.mark.parametrize(
    ("module", "writer", "name", "bytes_per_entry"),
    [
        (opensanctions_ftm, _ftm, "e.ftm.json", 0),
        (un_sc_xml, _un, "consolidated.xml", 200),
        (us_csl_csv, _csl, "c.csv", 200),
    ],
)
def test_peak_memory_does_not_grow_with_entries(tmp_path, module, writer, name, bytes_per_entry):
    small, large = tmp_path / f"small-{name}", tmp_path / f"large-{name}"
    writer(small, 500)
    writer(large, 10_000)
    small_count, small_peak = _peak_bytes(module.parse, small)
    large_count, large_peak = _peak_bytes(module.parse, large)
    assert (small_count, large_count) == (500, 10_000)
    # 20x the entries: allow slack for buffers and caches and the id set, nothing proportional to entry content
    assert large_peak < small_peak * 2 + 256 * 1024 + bytes_per_entry * 9_500, (small_peak, large_peak)
