"""Read the real list files in ../shared/data/lists into IndexRecords, for the evaluation and the bench.

Production screening builds its records from ListEntry rows (the lists app stores what the parsers produce).
This module lets the evaluation set, its test and bench/bench_screening.py run on ALL entity names of the real
lists without a database. ``load_list_records(parsers=True)`` (the default) reads each folder with the
project's own parser (apps.lists.sources, the same code that feeds ListEntry) and falls back, per folder, to a
small direct reader (plain csv / json / defusedxml) when a parser is missing or fails; ``parsers=False`` uses
the direct readers only. Records are keyed "<folder>:<id>". Pure: no ORM.
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from defusedxml import ElementTree

from apps.screening.matching import IndexRecord

DEFAULT_LISTS_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "lists"

# csv.field_size_limit is process-wide: the parsers set their own bound (apps.lists.sources.base); do not raise it.


@lru_cache(maxsize=512)
def _country_code(text: str) -> str:
    text = (text or "").strip()
    if not text or text == "-0-":
        return ""
    if re.fullmatch(r"[A-Z]{2}", text):
        return text
    try:
        from rigour.territories import lookup_territory  # noqa: PLC0415 - optional, slow to import

        territory = lookup_territory(text)
    except Exception:  # noqa: BLE001 - a country we cannot resolve is simply not evidence
        return ""
    if territory is None or not territory.ftm_country:
        return ""
    return territory.ftm_country.upper()


def _ofac_rows(path: Path) -> Iterator[list[str]]:
    if not path.exists():
        return
    text = path.read_bytes().decode("cp1252", errors="replace").replace("\x1a", "")
    for row in csv.reader(io.StringIO(text)):
        yield [("" if c.strip() == "-0-" else c.strip()) for c in row]


def _ofac_legacy(folder: Path, prim: str, alt: str, add: str) -> Iterator[IndexRecord]:
    alts: dict[str, list[str]] = defaultdict(list)
    for row in _ofac_rows(folder / alt):
        if len(row) >= 4 and row[3]:
            alts[row[0]].append(row[3])
    countries: dict[str, set[str]] = defaultdict(set)
    for row in _ofac_rows(folder / add):
        if len(row) >= 5 and row[4]:
            code = _country_code(row[4])
            if code:
                countries[row[0]].add(code)
    for row in _ofac_rows(folder / prim):
        if len(row) < 3 or not row[1]:
            continue
        kind = row[2].lower()
        yield IndexRecord(
            key=f"{folder.name}:{row[0]}",
            names=(row[1], *alts.get(row[0], [])),
            countries=tuple(sorted(countries.get(row[0], ()))),
            entry_type="individual" if kind == "individual" else (kind or "entity"),
        )


def _csl(folder: Path) -> Iterator[IndexRecord]:
    path = folder / "consolidated.csv"
    if not path.exists():
        return
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            name = (row.get("name") or "").strip()
            if not name:
                continue
            aliases = [a.strip() for a in (row.get("alt_names") or "").split(";") if a.strip()]
            codes = set()
            for address in (row.get("addresses") or "").split(";"):
                last = address.strip().rsplit(",", 1)[-1].strip()
                if re.fullmatch(r"[A-Z]{2}", last):
                    codes.add(last)
            identifiers = []
            for chunk in (row.get("ids") or "").split(";"):
                parts = [p.strip() for p in chunk.split(",")]
                if len(parts) >= 2 and parts[-1] and re.search(r"\d", parts[-2]):
                    identifiers.append((parts[-1], parts[-2]))
            kind = (row.get("type") or "").strip().lower()
            yield IndexRecord(
                key=f"us_csl:{row.get('_id')}",
                names=(name, *aliases),
                countries=tuple(sorted(codes)),
                identifiers=tuple(identifiers),
                entry_type="individual" if kind == "individual" else (kind or "entity"),
            )


def _eu833(folder: Path) -> Iterator[IndexRecord]:
    path = folder / "32014R0833.csv"
    if not path.exists():
        return
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            name = (row.get("name") or "").strip()
            if not name:
                continue
            names = [name]
            for col in ("alias", "previousName"):
                names.extend(a.strip() for a in (row.get(col) or "").split(";") if a.strip())
            identifiers = []
            for col, scheme in (("registrationNumber", "registration"), ("innCode", "inn"), ("ogrnCode", "ogrn"),
                                ("leiCode", "lei"), ("taxNumber", "tax"), ("swiftBic", "swift")):
                for value in (row.get(col) or "").split(";"):
                    if value.strip():
                        identifiers.append((scheme, value.strip()))
            countries = tuple(sorted({c.strip().upper() for c in (row.get("country") or "").split(";")
                                      if len(c.strip()) == 2}))
            yield IndexRecord(
                key=f"eu_journal_833:{row.get('recordId')}",
                names=tuple(names),
                countries=countries,
                identifiers=tuple(identifiers),
                entry_type="individual" if row.get("schema") == "Person" else "entity",
            )


def _un(folder: Path) -> Iterator[IndexRecord]:
    path = folder / "consolidated.xml"
    if not path.exists():
        return
    root = ElementTree.parse(path).getroot()
    for tag, alias_tag, kind in (("ENTITIES/ENTITY", "ENTITY_ALIAS", "entity"),
                                 ("INDIVIDUALS/INDIVIDUAL", "INDIVIDUAL_ALIAS", "individual")):
        for el in root.iterfind(tag):
            parts = [(el.findtext(p) or "").strip() for p in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME",
                                                               "FOURTH_NAME")]
            name = " ".join(p for p in parts if p)
            if not name:
                continue
            aliases = [(a.findtext("ALIAS_NAME") or "").strip() for a in el.iterfind(alias_tag)]
            yield IndexRecord(
                key=f"un_sc:{el.findtext('DATAID')}",
                names=(name, *[a for a in aliases if a]),
                entry_type=kind,
            )


def _uk(folder: Path) -> Iterator[IndexRecord]:
    path = folder / "conlist_2018_legacy_noheader.csv"
    if not path.exists():
        return
    groups: dict[str, dict] = {}
    text = path.read_bytes().decode("cp1252", errors="replace")
    for row in csv.reader(io.StringIO(text)):
        if len(row) < 29:
            continue
        name6, names15 = row[0].strip(), [c.strip() for c in row[1:6]]
        if row[23].strip() == "Individual":
            full = " ".join([*[n for n in names15 if n], name6])
        else:
            full = name6
        if not full:
            continue
        group = groups.setdefault(row[28].strip(), {"names": [], "type": row[23].strip(), "countries": set()})
        if row[24].strip() == "Primary name":
            group["names"].insert(0, full)
        else:
            group["names"].append(full)
        code = _country_code(row[21])
        if code:
            group["countries"].add(code)
    for gid, group in groups.items():
        names = list(dict.fromkeys(group["names"]))
        yield IndexRecord(
            key=f"uk_ofsi:{gid}",
            names=tuple(names),
            countries=tuple(sorted(group["countries"])),
            entry_type="individual" if group["type"] == "Individual" else "entity",
        )


def _ftm(folder: Path) -> Iterator[IndexRecord]:
    for fname in ("entities.ftm.json", "entities.delta.json"):
        path = folder / fname
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            data = json.loads(line)
            entity = data.get("entity", data)
            props = entity.get("properties", {})
            names = [*props.get("name", []), *props.get("alias", []), *props.get("previousName", [])]
            if not names:
                continue
            yield IndexRecord(
                key=f"opensanctions_ftm:{entity.get('id')}",
                names=tuple(dict.fromkeys(names)),
                countries=tuple(sorted({c.upper() for c in props.get("country", []) if len(c) == 2})),
                entry_type="individual" if entity.get("schema") == "Person" else "entity",
            )


def _simple_csv(folder: Path, fname: str, name_cols: list[str], alias_cols: list[str], key_prefix: str,
                type_col: str = "") -> Iterator[IndexRecord]:
    path = folder / fname
    if not path.exists():
        return
    with path.open(encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            names = [row[c].strip().rstrip("*").strip() for c in name_cols if (row.get(c) or "").strip()]
            for col in alias_cols:
                names.extend(a.strip() for a in (row.get(col) or "").split(";") if a.strip())
            if not names:
                continue
            kind = "individual" if type_col and row.get(type_col) == "Person" else "entity"
            yield IndexRecord(key=f"{key_prefix}:{i}", names=tuple(dict.fromkeys(names)), entry_type=kind)


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

# What the last load_list_records() call used for each folder ("parser <format>" or "direct reader (...)").
LAST_LOAD: dict[str, str] = {}


def _parsed_records(root: Path, folder: str) -> list[IndexRecord]:
    from apps.lists.sources import get_parser  # noqa: PLC0415 - optional: the direct readers work without it

    fmt, files = PARSER_FILES[folder]
    paths = [root / folder / f for f in files if (root / folder / f).exists()]
    if not paths:
        return []
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


def load_list_records(root: Path | None = None, *, parsers: bool = True) -> list[IndexRecord]:
    """Every entry (entities, individuals, vessels...) of every real list file under ``root``."""
    root = Path(root or DEFAULT_LISTS_DIR)
    LAST_LOAD.clear()
    if parsers:
        records: list[IndexRecord] = []
        for folder in PARSER_FILES:
            try:
                records.extend(_parsed_records(root, folder))
                LAST_LOAD[folder] = f"parser {PARSER_FILES[folder][0]}"
            except Exception as exc:  # noqa: BLE001 - fall back to the direct reader for this folder
                records.extend(_direct_records(root, folder))
                LAST_LOAD[folder] = f"direct reader ({type(exc).__name__}: {exc})"[:200]
        return records
    records = []
    for folder in PARSER_FILES:
        records.extend(_direct_records(root, folder))
        LAST_LOAD[folder] = "direct reader"
    return records


def _direct_records(root: Path, folder: str) -> list[IndexRecord]:
    """One folder read by the direct readers."""
    if folder == "ofac_sdn":
        return list(_ofac_legacy(root / folder, "sdn.csv", "alt.csv", "add.csv"))
    if folder == "ofac_consolidated":
        return list(_ofac_legacy(root / folder, "cons_prim.csv", "cons_alt.csv", "cons_add.csv"))
    if folder == "us_csl":
        return list(_csl(root / folder))
    if folder == "eu_journal_833":
        return list(_eu833(root / folder))
    if folder == "un_sc":
        return list(_un(root / folder))
    if folder == "uk_ofsi":
        return list(_uk(root / folder))
    if folder == "opensanctions_ftm":
        return list(_ftm(root / folder))
    if folder == "dod_1260h":
        return list(_simple_csv(root / folder, "sanctions.csv", ["Name", "Clean Name"], ["Alias", "Previous Name"],
                                folder))
    if folder == "fcc_covered_list":
        return list(_simple_csv(root / folder, "covered_list_entities_transcribed.csv", ["entity"], [], folder))
    if folder == "us_ndaa":
        records: list[IndexRecord] = []
        for section in ("section_889.csv", "section_5949.csv", "section_154.csv"):
            records.extend(_simple_csv(root / folder, section, ["name"], ["aliases"],
                                       f"us_ndaa_{section.split('.')[0]}", type_col="schema"))
        return records
    raise KeyError(folder)
