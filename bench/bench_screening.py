"""Screening benchmark: 10,000 generated vendor names against every name of the real lists.

    .venv/bin/python bench/bench_screening.py [--vendors 10000] [--pairwise-sample 40] [--workers 2]

Prints: list loading and index build time, the full run (total time, names per second), the latency of single
checks (p50/p95/max), the latency of the complete search a pre-purchase check makes (every match, its cap),
the same run in 2 worker processes (the target machine has 2 cores), and the baseline without the candidate index
(pairwise scoring of every list name), measured on a sample and extrapolated to the full run, with the
agreement between the two on that sample.

The lists are read from ../shared/data/lists by apps.screening.matching_sources with the project's parsers
(apps.lists.sources only; a parser error is an error), without a database. The
vendor names are generated with a fixed seed: invented company names in the styles of several countries
(a coined word + trade words + a legal form, sometimes a city), well-known legitimate companies, people's
names as sole traders, and about 12% variants of real list entity names (typos, legal forms changed, word
order, case), so that matches, near-misses and clean names are all exercised.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from apps.screening.matching import CHECK_MAX_CANDIDATES, THRESHOLDS, CandidateIndex, IndexRecord  # noqa: E402
from apps.screening.matching_sources import DEFAULT_LISTS_DIR, LAST_LOAD, load_list_records  # noqa: E402

SEED = 1260

SYLLABLES = ["ka", "ro", "vi", "tel", "mar", "no", "sen", "dra", "lo", "qui", "ber", "tan", "zen", "fa", "lu",
             "gor", "vel", "tri", "son", "mex", "pra", "dio", "hal", "ven", "cor", "ast", "rin", "bel", "tek", "nor",
             "sha", "win", "hua", "xin", "jia", "long", "tai", "feng", "kon", "ster", "ix", "ora", "eda", "lin"]
TRADE_WORDS = ["Technology", "Technologies", "Systems", "Electronics", "Logistics", "Engineering", "Industrial",
               "Security", "Solutions", "Networks", "Communications", "Marine", "Port Services", "Automation",
               "Controls", "Software", "Trading", "Equipment", "Instruments", "Power", "Cranes", "Data",
               "Vision", "Digital", "Optical", "Cable", "Machinery", "Consulting", "Supply", "Components"]
LEGAL = {
    "US": ["Inc.", "LLC", "Corp.", "Corporation", "Co."], "GB": ["Ltd", "Limited", "PLC", "LLP"],
    "DE": ["GmbH", "AG", "GmbH & Co. KG"], "FR": ["S.A.", "SAS", "SARL"], "CN": ["Co., Ltd.", "Co. Ltd",
                                                                              "Company Limited"],
    "SG": ["Pte. Ltd.", "Pte Ltd"], "NL": ["B.V.", "N.V."], "RU": ["OOO", "AO", "LLC", "JSC"],
    "JP": ["K.K.", "Co., Ltd.", "Corporation"], "IT": ["S.p.A.", "S.r.l."], "ES": ["S.L.", "S.A."],
    "SE": ["AB"], "KR": ["Co., Ltd."], "IN": ["Pvt. Ltd.", "Limited"], "AE": ["FZE", "LLC", "FZCO"],
}
CITIES = {"CN": ["Shenzhen", "Hangzhou", "Shanghai", "Ningbo", "Xiamen"], "US": ["Houston", "Seattle", "Boston"],
          "DE": ["Hamburg", "Bremen"], "RU": ["Moscow", "Novorossiysk"], "JP": ["Osaka", "Yokohama"]}
FIRST = ["John", "Maria", "Ahmed", "Wei", "Olga", "Carlos", "Priya", "Hans", "Fatima", "Kenji", "Lucas", "Anna"]
LAST = ["Smith", "Garcia", "Chen", "Ivanova", "Khan", "Muller", "Rossi", "Tanaka", "Silva", "Novak", "Larsen"]
KNOWN = ["Siemens AG", "Honeywell International Inc.", "Bosch Security Systems", "Axis Communications AB",
         "Motorola Solutions, Inc.", "Genetec Inc.", "Konecranes Plc", "Kalmar Corporation", "Cisco Systems, Inc.",
         "Juniper Networks, Inc.", "Schneider Electric SE", "ABB Ltd", "Rockwell Automation, Inc.",
         "Dell Technologies Inc.", "Hewlett Packard Enterprise", "Zebra Technologies Corporation", "Fortinet, Inc.",
         "Microsoft Corporation", "Oracle Corporation", "Ericsson AB", "Nokia Oyj", "Thales S.A.", "Smiths Detection",
         "Rapiscan Systems, Inc.", "Liebherr-Werk Nenzing GmbH", "Navis LLC", "Trimble Inc.", "Garmin Ltd."]


def _coined(rnd: random.Random) -> str:
    return "".join(rnd.choice(SYLLABLES) for _ in range(rnd.choice([2, 2, 3]))).capitalize()


def _typo(name: str, rnd: random.Random) -> str:
    words = [w for w in name.split() if len(w) >= 6 and w.isalpha()]
    if not words:
        return name.upper()
    word = rnd.choice(words)
    i = rnd.randrange(1, len(word) - 1)
    return name.replace(word, word[:i] + word[i + 1 :], 1)


def generate_vendors(count: int, records: list[IndexRecord], seed: int = SEED) -> list[tuple[str, str]]:
    """(name, country) pairs, deterministic for a seed."""
    rnd = random.Random(seed)
    entities = sorted((r for r in records if r.entry_type == "entity"), key=lambda r: str(r.key))
    out: list[tuple[str, str]] = []
    while len(out) < count:
        roll = rnd.random()
        country = rnd.choice(list(LEGAL))
        if roll < 0.12 and entities:
            base = rnd.choice(entities).names[0].strip()
            variant = rnd.choice(["same", "typo", "upper", "no_legal", "city"])
            if variant == "typo":
                base = _typo(base, rnd)
            elif variant == "upper":
                base = base.upper()
            elif variant == "no_legal":
                base = base.replace("Co., Ltd.", "").replace("LIMITED", "").replace("Ltd", "").strip(" ,")
            elif variant == "city":
                base = f"{base}, {rnd.choice(CITIES['CN'])}"
            out.append((base, ""))
        elif roll < 0.17:
            out.append((rnd.choice(KNOWN), ""))
        elif roll < 0.22:
            out.append((f"{rnd.choice(FIRST)} {rnd.choice(LAST)} {rnd.choice(['Consulting', 'Services', 'Trading'])}",
                        country))
        else:
            parts = []
            if country in CITIES and rnd.random() < 0.35:
                parts.append(rnd.choice(CITIES[country]))
            parts.append(_coined(rnd))
            parts.extend(rnd.sample(TRADE_WORDS, rnd.choice([1, 1, 2])))
            parts.append(rnd.choice(LEGAL[country]))
            out.append((" ".join(parts), country))
    return out


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct))]


def _rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    try:
        import resource  # noqa: PLC0415 - POSIX only
    except ImportError:
        return float("nan")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_WORKER_INDEX: CandidateIndex | None = None


def _screen_chunk(chunk: list[tuple[str, str]]) -> tuple[int, list[float]]:
    hits = 0
    latencies = []
    for name, country in chunk:
        t0 = time.perf_counter()
        results = _WORKER_INDEX.search([name], countries=[country] if country else ())
        latencies.append(time.perf_counter() - t0)
        hits += bool(results)
    return hits, latencies


def main(argv: list[str] | None = None) -> int:
    """Figures are wall-clock unless marked CPU; on a busy machine the CPU figures say more."""
    global _WORKER_INDEX
    parser = argparse.ArgumentParser(description="screening benchmark")
    parser.add_argument("--lists", type=Path, default=DEFAULT_LISTS_DIR)
    parser.add_argument("--vendors", type=int, default=10_000)
    parser.add_argument("--pairwise-sample", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if not args.lists.is_dir():
        print(f"SKIPPED: real list files not found at {args.lists}")
        return 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f} at start")

    t0 = time.perf_counter()
    records = load_list_records(args.lists)
    load_s = time.perf_counter() - t0
    rss_before = _rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    index = CandidateIndex(records)
    build_s, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"lists: {len(records)} entries, {index.name_count} indexed names (variants); read in {load_s:.2f} s "
          f"by {', '.join(sorted(set(LAST_LOAD.values())))}")
    print(f"index build: {build_s:.2f} s wall, {build_cpu:.2f} s CPU; peak RSS {rss_before:.0f} MB before, "
          f"{_rss_mb():.0f} MB after")

    vendors = generate_vendors(args.vendors, records)
    # warm-up (first-use caches of the normaliser), not counted
    for name, _ in vendors[:20]:
        index.search([name])

    _WORKER_INDEX = index
    t0, c0 = time.perf_counter(), time.process_time()
    hits, latencies = _screen_chunk(vendors)
    total_s, total_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"full run, 1 process: {len(vendors)} vendors in {total_s:.2f} s wall ({total_cpu:.2f} s CPU) = "
          f"{len(vendors) / total_s:,.0f} names/s; {hits} with a match >= {THRESHOLDS['potential']}")
    print(f"single check latency: p50 {_percentile(latencies, 0.50) * 1000:.2f} ms, "
          f"p95 {_percentile(latencies, 0.95) * 1000:.2f} ms, p99 {_percentile(latencies, 0.99) * 1000:.2f} ms, "
          f"max {max(latencies) * 1000:.1f} ms, mean {statistics.mean(latencies) * 1000:.2f} ms")

    # What a pre-purchase check asks (apps.screening.services.checks): every match, cap CHECK_MAX_CANDIDATES.
    # The check shows the plain-language why of every match (MatchResult.why, computed on first use): counted here.
    check_latencies, truncated, explained = [], 0, 0
    for name, country in vendors[:2000]:
        t0 = time.perf_counter()
        outcome = index.search_complete([name], countries=[country] if country else (),
                                        max_candidates=CHECK_MAX_CANDIDATES)
        explained += sum(bool(m.why) for m in outcome.matches)
        check_latencies.append(time.perf_counter() - t0)
        truncated += outcome.truncated is not None
    p50, p95 = _percentile(check_latencies, 0.50) * 1000, _percentile(check_latencies, 0.95) * 1000
    print(f"complete check search (every match, cap {CHECK_MAX_CANDIDATES}, with the why of each), "
          f"{len(check_latencies)} names: p50 {p50:.2f} ms, p95 {p95:.2f} ms, "
          f"max {max(check_latencies) * 1000:.1f} ms; {truncated} truncated; {explained} matches explained")

    # A screening run stores the why of every match it finds (services.match): the cost over the full run's matches.
    found = [r for name, country in vendors for r in index.search([name], countries=[country] if country else ())]
    t0 = time.perf_counter()
    for r in found:
        r.why  # noqa: B018 - computed on first use
    why_s = time.perf_counter() - t0
    print(f"plain-language why of every match of the full run: {len(found)} matches in {why_s:.2f} s "
          f"({why_s / max(1, len(found)) * 1e6:.0f} us each)")

    if args.workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        chunks = [vendors[i :: args.workers] for i in range(args.workers)]
        ctx = multiprocessing.get_context("fork")  # the workers share the built index copy-on-write
        t0 = time.perf_counter()
        with ctx.Pool(args.workers) as pool:
            parts = pool.map(_screen_chunk, chunks)
        par_s = time.perf_counter() - t0
        print(f"full run, {args.workers} processes (fork, index shared): {len(vendors)} vendors in {par_s:.2f} s = "
              f"{len(vendors) / par_s:,.0f} names/s; {sum(p[0] for p in parts)} with a match")

    sample = random.Random(SEED + 1).sample(vendors, min(args.pairwise_sample, len(vendors)))
    t0 = time.perf_counter()
    pairwise = [index.search_exhaustive([n], countries=[c] if c else ()) for n, c in sample]
    pair_s = time.perf_counter() - t0
    blocked = [index.search([n], countries=[c] if c else ()) for n, c in sample]
    agree = sum([(r.key, r.score) for r in a] == [(r.key, r.score) for r in b] for a, b in zip(pairwise, blocked,
                                                                                                strict=True))
    per = pair_s / len(sample)
    print(f"baseline without index (pairwise scoring of all {index.name_count} names): measured on a sample of "
          f"{len(sample)} vendors: {per * 1000:.0f} ms per vendor -> EXTRAPOLATED {per * len(vendors):,.0f} s for "
          f"{len(vendors)} vendors ({per * len(vendors) / total_s:,.0f}x the indexed run); "
          f"same results as the index on {agree}/{len(sample)} of the sample")
    print(f"RESULT screening vendors={len(vendors)} seconds={total_s:.3f} pairwise_seconds={per * len(vendors):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
