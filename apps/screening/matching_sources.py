"""Read the real list files in ../shared/data/lists straight into IndexRecords, for the evaluation and the bench.

Production screening builds its records from ListEntry rows (the lists app stores what the parsers produce).
This module exists so that the evaluation set, its test and bench/bench_screening.py can run on ALL entity
names of the real lists without a database and without depending on the parsers being finished. It reads
the files with plain csv / json / ElementTree (defusedxml), one small function per folder, and keys every
record as "<folder>:<id>". Pure: no ORM.
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

csv.field_size_limit(10_000_000)


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


def load_list_records(root: Path | None = None) -> list[IndexRecord]:
    """Every entry (entities, individuals, vessels...) of every real list file under ``root``."""
    root = Path(root or DEFAULT_LISTS_DIR)
    records: list[IndexRecord] = []
    records.extend(_ofac_legacy(root / "ofac_sdn", "sdn.csv", "alt.csv", "add.csv"))
    records.extend(_ofac_legacy(root / "ofac_consolidated", "cons_prim.csv", "cons_alt.csv", "cons_add.csv"))
    records.extend(_csl(root / "us_csl"))
    records.extend(_eu833(root / "eu_journal_833"))
    records.extend(_un(root / "un_sc"))
    records.extend(_uk(root / "uk_ofsi"))
    records.extend(_ftm(root / "opensanctions_ftm"))
    records.extend(_simple_csv(root / "dod_1260h", "sanctions.csv", ["Name", "Clean Name"],
                               ["Alias", "Previous Name"], "dod_1260h"))
    records.extend(_simple_csv(root / "fcc_covered_list", "covered_list_entities_transcribed.csv", ["entity"], [],
                               "fcc_covered_list"))
    for section in ("section_889.csv", "section_5949.csv", "section_154.csv"):
        records.extend(_simple_csv(root / "us_ndaa", section, ["name"], ["aliases"],
                                   f"us_ndaa_{section.split('.')[0]}", type_col="schema"))
    return records
