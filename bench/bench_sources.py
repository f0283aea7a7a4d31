"""Parse speed and memory of the list-source parsers (apps/lists/sources), no database.

    .venv/bin/python bench/bench_sources.py                    # real files + a generated 1,000,000-entity FtM file
    .venv/bin/python bench/bench_sources.py --ftm-size 200000  # smaller generated file

For every real file set in ../shared/data/lists: entries, wall and CPU seconds, entries per CPU second, and the
peak Python allocation during the parse (tracemalloc, measured in a second pass). Then a FollowTheMoney
JSON-lines file with N entities is generated in a temporary directory and streamed; the resident set size is
sampled along the way to show memory stays flat (it must not grow with N). CPU time is reported because the
machine may be shared; wall time is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apps.lists.sources import get_parser  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "lists"

REAL_SETS = [
    ("ofac_legacy_csv", ["ofac_sdn/sdn.csv", "ofac_sdn/alt.csv", "ofac_sdn/add.csv", "ofac_sdn/sdn_comments.csv"]),
    ("ofac_legacy_csv", ["ofac_consolidated/cons_prim.csv", "ofac_consolidated/cons_alt.csv",
                         "ofac_consolidated/cons_add.csv", "ofac_consolidated/cons_comments.csv"]),
    ("ofac_enhanced_xml", ["ofac_consolidated/cons_enhanced.xml"]),
    ("ofac_sdnlist_xml", ["ofac_consolidated/consolidated_legacy_xml_sample.xml"]),
    ("us_csl_csv", ["us_csl/consolidated.csv"]),
    ("un_sc_xml", ["un_sc/consolidated.xml"]),
    ("uk_ofsi_csv", ["uk_ofsi/conlist_2018_legacy_noheader.csv"]),
    ("dod_1260h_csv", ["dod_1260h/sanctions.csv"]),
    ("fcc_covered_csv", ["fcc_covered_list/table.csv"]),
    ("ndaa_csv", ["us_ndaa/section_889.csv", "us_ndaa/section_5949.csv", "us_ndaa/section_154.csv"]),
    ("opensanctions_ftm", ["opensanctions_ftm/entities.ftm.json"]),
    ("eu_journal_csv", ["eu_journal_833/32014R0833.csv"]),
]  # fmt: skip


def _rss_kb() -> tuple[int, int]:
    """(current RSS, peak RSS) in kB from /proc (Linux)."""
    values = {}
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    values[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        return 0, 0
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def bench_real() -> None:
    if not SHARED.is_dir():
        print(f"real list files not found at {SHARED}; skipping")
        return
    print(f"{'format':<20} {'file':<44} {'entries':>8} {'wall s':>7} {'cpu s':>7} {'entries/cpu s':>13} {'peak MB':>8}")
    total_entries = 0
    total_cpu = 0.0
    for fmt, names in REAL_SETS:
        paths = [SHARED / n for n in names]
        parser = get_parser(fmt)
        list(parser.parse(paths))  # warm caches (country lookups, imports)
        wall, cpu = time.perf_counter(), time.process_time()
        count = sum(1 for _ in parser.parse(paths))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        tracemalloc.start()
        for _ in parser.parse(paths):
            pass
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        total_entries += count
        total_cpu += cpu
        rate = count / cpu if cpu else float("inf")
        print(f"{fmt:<20} {names[0][:44]:<44} {count:>8} {wall:>7.3f} {cpu:>7.3f} {rate:>13,.0f} {peak:>8.1f}")
    print(f"{'all real files':<65} {total_entries:>8} {'':>7} {total_cpu:>7.3f} {total_entries / total_cpu:>13,.0f}")
    bench_enhanced_xml()


def _best_cpu(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        cpu = time.process_time()
        fn()
        best = min(best, time.process_time() - cpu)
    return best


def bench_enhanced_xml() -> None:
    """The OFAC enhanced XML parse beside two anchors on the same file, best of 5 (CPU seconds): the standard
    library's ElementTree iterparse that the parser used before (defusedxml), reading every element and building
    nothing, and lxml's iterparse alone (the floor of the current parser: libxml2 building the elements)."""
    from xml.etree.ElementTree import iterparse as et_iterparse

    from lxml import etree

    path = SHARED / "ofac_consolidated" / "cons_enhanced.xml"
    if not path.is_file():
        return
    parser = get_parser("ofac_enhanced_xml")
    count = sum(1 for _ in parser.parse([path]))
    mb = path.stat().st_size / 1e6
    ours = _best_cpu(lambda: sum(1 for _ in parser.parse([path])))

    def stdlib() -> None:
        for _event, elem in et_iterparse(str(path), events=("end",)):
            if elem.tag.endswith("}entity"):
                elem.clear()

    def lxml_alone() -> None:
        for _event, elem in etree.iterparse(str(path), events=("end",), tag="{*}entity", resolve_entities=False):
            elem.clear()

    et_cpu, lxml_cpu = _best_cpu(stdlib), _best_cpu(lxml_alone)
    print(f"\nOFAC enhanced XML ({mb:.1f} MB, {count} entities, {mb * 1000 / count:.1f} kB per entity): parser "
          f"{count / ours:,.0f} entities per CPU s ({mb / ours:.0f} MB/CPU s); anchors: ElementTree iterparse alone "
          f"(the engine before) {count / et_cpu:,.0f}/CPU s, lxml iterparse alone {count / lxml_cpu:,.0f}/CPU s")
    print(f"RESULT ofac_enhanced_xml entities_per_cpu_s={count / ours:.0f} stdlib_iterparse_per_cpu_s="
          f"{count / et_cpu:.0f} lxml_iterparse_per_cpu_s={count / lxml_cpu:.0f}")


def _write_ftm(path: Path, size: int) -> None:
    countries = ["cn", "ru", "ir", "kp", "by", "sy"]
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(size):
            entity = {
                "id": f"NK-bench-{i}",
                "caption": f"Bench Trading Company {i} Limited",
                "schema": "Company" if i % 3 else "Person",
                "properties": {
                    "name": [f"Bench Trading Company {i} Limited", f"BTC {i}"],
                    "alias": [f"Bench {i} Ltd"],
                    "country": [countries[i % len(countries)]],
                    "registrationNumber": [str(1027700000000 + i)],
                    "leiCode": [f"5493{i:016d}"],
                    "createdAt": ["2022-06-03"],
                    "topics": ["sanction"],
                },
                "datasets": ["bench"],
                "first_seen": "2023-04-20T18:00:25",
                "target": True,
            }
            fh.write(json.dumps(entity, ensure_ascii=False))
            fh.write("\n")


def bench_ftm(size: int) -> None:
    parser = get_parser("opensanctions_ftm")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "entities.ftm.json"
        started = time.perf_counter()
        _write_ftm(path, size)
        print(
            f"\ngenerated FtM file: {size:,} entities, {path.stat().st_size / 1e6:,.0f} MB "
            f"in {time.perf_counter() - started:.1f} s"
        )
        rss_before, _ = _rss_kb()
        samples = []
        step = max(size // 5, 1)
        wall, cpu = time.perf_counter(), time.process_time()
        count = 0
        for _entry in parser.parse([path]):
            count += 1
            if count % step == 0:
                samples.append((count, _rss_kb()[0]))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        _rss_after, peak = _rss_kb()
        print(f"parsed {count:,} entities: wall {wall:.1f} s, cpu {cpu:.1f} s, {count / cpu:,.0f} entities/cpu s")
        print(
            "RSS while streaming (entities read -> MB): " + ", ".join(f"{n:,} -> {kb / 1024:.0f}" for n, kb in samples)
        )
        growth = (samples[-1][1] - samples[0][1]) / 1024 if len(samples) > 1 else 0.0
        print(
            f"RSS before parse {rss_before / 1024:.0f} MB, process peak {peak / 1024:.0f} MB, "
            f"growth from first to last sample {growth:+.1f} MB (flat = constant memory)"
        )


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--ftm-size", type=int, default=int(os.environ.get("BENCH_FTM_SIZE", 1_000_000)))
    opts = args.parse_args()
    bench_real()
    if opts.ftm_size > 0:
        bench_ftm(opts.ftm_size)


if __name__ == "__main__":
    main()
