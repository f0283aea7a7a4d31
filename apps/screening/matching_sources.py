"""Read the real list files in ../shared/data/lists into IndexRecords, for the evaluation and the bench.

Production screening builds its records from ListEntry rows (the lists app stores what the parsers produce).
This module lets the evaluation set, its test and bench/bench_screening.py run on ALL entries of the real
lists without a database, read by the production parsers only (apps.lists.sources, the same code that feeds
ListEntry), so the evaluation measures production parsing. It fails closed: a parser that raises, or a folder
whose files are missing, is an error, never a silent fallback to another reader or a smaller index. Records
are keyed "<folder>:<external id>". Pure: no ORM.
"""
from __future__ import annotations

from pathlib import Path

from apps.lists.sources import get_parser
from apps.screening.matching import IndexRecord

DEFAULT_LISTS_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "lists"


# folder -> (parser format, files in the order the parser wants them)
PARSER_FILES = {
    "ofac_sdn": ("ofac_legacy_csv", ["sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"]),
    "ofac_consolidated": ("ofac_legacy_csv", ["cons_prim.csv", "cons_alt.csv", "cons_add.csv", "cons_comments.csv"]),
    "us_csl": ("us_csl_csv", ["consolidated.csv"]),
    "eu_journal_833": ("eu_journal_csv", ["32014R0833.csv"]),
    "un_sc": ("un_sc_xml", ["consolidated.xml"]),
    "uk_ofsi": ("uk_ofsi_csv", ["conlist_2018_legacy_noheader.csv"]),
    "opensanctions_ftm": ("opensanctions_ftm", ["entities.ftm.json"]),
    "dod_1260h": ("dod_1260h_csv", ["sanctions.csv"]),
    "fcc_covered_list": ("fcc_covered_csv", ["covered_list_entities_transcribed.csv"]),
    "us_ndaa": ("ndaa_csv", ["section_889.csv", "section_5949.csv", "section_154.csv"]),
}

# What the last load_list_records() call used for each folder ("parser <format>").
LAST_LOAD: dict[str, str] = {}


def _parsed_records(root: Path, folder: str) -> list[IndexRecord]:
    fmt, files = PARSER_FILES[folder]
    paths = [root / folder / f for f in files]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"{root / folder}: missing list file(s) {', '.join(missing)}")
    records = []
    for entry in get_parser(fmt).parse(paths):
        names = tuple(dict.fromkeys(n for n in [entry.primary_name, *entry.aliases] if n and n.strip()))
        identifiers = tuple((str(i.get("scheme", "")), str(i["value"])) for i in entry.identifiers
                            if isinstance(i, dict) and i.get("value"))
        if not names and not identifiers:
            continue
        records.append(IndexRecord(key=f"{folder}:{entry.external_id}", names=names,
                                   countries=tuple(entry.countries), identifiers=identifiers,
                                   entry_type=entry.entry_type or "entity"))
    return records


def load_list_records(root: Path | None = None) -> list[IndexRecord]:
    """Every entry (entities, individuals, vessels...) of every real list file under ``root``, read by the
    production parsers; a ParseError or a missing file propagates."""
    root = Path(root or DEFAULT_LISTS_DIR)
    LAST_LOAD.clear()
    records: list[IndexRecord] = []
    for folder, (fmt, _files) in PARSER_FILES.items():
        records.extend(_parsed_records(root, folder))
        LAST_LOAD[folder] = f"parser {fmt}"
    return records
