"""OFAC legacy CSV set: SDN (sdn.csv, alt.csv, add.csv, sdn_comments.csv) and the consolidated non-SDN list
(cons_prim.csv, cons_alt.csv, cons_add.csv, cons_comments.csv).

Layout (no header row in any file; CRLF; Windows-1252; the literal ``-0- `` is the null and is not quoted;
other fields are double-quoted; sdn/add/alt/cons files end with a Ctrl-Z 0x1A byte after the last line):

- primary (sdn.csv / cons_prim.csv), 12 columns: ent_num, SDN_Name, SDN_Type (individual / vessel / aircraft /
  null = entity), Program (several packed as ``NPWMD] [IFSR``), Title, Call_Sign, Vess_type, Tonnage, GRT,
  Vess_flag, Vess_owner, Remarks.
- alt.csv / cons_alt.csv, 5 columns: ent_num, alt_num, alt_type (aka/fka/nka), alt_name, alt_remarks.
- add.csv / cons_add.csv, 6 columns: ent_num, add_num, address, city/state/postal, country, add_remarks.
- sdn_comments.csv / cons_comments.csv, 2 columns: ent_num, continuation of Remarks cut off in the primary file.

external_id = ent_num (stable across OFAC releases, equal to the enhanced XML entity id). sub_list = "SDN" for
sdn.csv; for cons_prim.csv it is derived from the programs (NS-CMIC, NS-PLC, SSI, FSE, CAPTA, else
"Consolidated (non-SDN)"; see consolidated_sub_list). Identifiers and nationalities are pulled from Remarks
(see ofac_remarks).

Memory: the primary file streams; the three side files are read first into dicts keyed by ent_num holding
small tuples (OFAC side files are a few MB; their size is bounded by the download size cap).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from apps.lists.sources.base import (
    ParsedEntry,
    ParseError,
    clean,
    country_code,
    iter_csv_rows,
    merge_repeats,
    paths_by_name,
    unique,
)
from apps.lists.sources.ofac_remarks import (
    remarks_countries,
    remarks_identifiers,
    remarks_listing_date,
    remarks_weak_aliases,
)

FORMAT = "ofac_legacy_csv"
DESCRIPTION = "OFAC legacy CSV set (sdn.csv+alt.csv+add.csv[+sdn_comments.csv] or cons_prim/cons_alt/cons_add)"
ENCODING = "cp1252"

_SETS = {
    "sdn.csv": ("SDN", "alt.csv", "add.csv", "sdn_comments.csv"),
    "cons_prim.csv": ("Consolidated (non-SDN)", "cons_alt.csv", "cons_add.csv", "cons_comments.csv"),
}
_TYPES = {"individual": "individual", "vessel": "vessel", "aircraft": "aircraft", "": "entity", "entity": "entity"}
_SOURCE_URLS = {
    "SDN": "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN.CSV",
    "Consolidated (non-SDN)": "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/CONS_PRIM.CSV",
}


def consolidated_sub_list(programs: list[str]) -> str:
    """The non-SDN list an entry of cons_prim.csv is on, derived from its programs (the legacy CSV has no list
    column): CMIC-* -> NS-CMIC, NS-PLC -> NS-PLC, UKRAINE-EO13662 -> SSI, FSE-* -> FSE, 561-Related -> CAPTA;
    otherwise "Consolidated (non-SDN)". Checked against the list names of the enhanced XML of the same release.
    """
    if any(p.startswith("CMIC") for p in programs):
        return "NS-CMIC"
    if "NS-PLC" in programs:
        return "NS-PLC"
    if "UKRAINE-EO13662" in programs:
        return "SSI"
    if any(p.startswith("FSE") for p in programs):
        return "FSE"
    if "561-Related" in programs:
        return "CAPTA"
    return "Consolidated (non-SDN)"


def _v(value: str) -> str:
    """The field without the ``-0-`` null, the Ctrl-Z end byte and padding."""
    value = value.strip().strip("\x1a").strip()
    return "" if value == "-0-" else value


def _rows(path: Path, ncols: int) -> Iterator[tuple[int, list[str]]]:
    """(line, row) for each data row; ParseError on a wrong column count or a non-numeric ent_num."""
    # OFAC ends every line with CRLF (the data files then add a Ctrl-Z byte): a file whose last line is not
    # terminated was cut off.
    for line, row in iter_csv_rows(path, encoding=ENCODING, final_newline=True):
        if not row or (len(row) == 1 and not _v(row[0])):
            continue  # blank line or the trailing Ctrl-Z
        if len(row) != ncols:
            raise ParseError(
                f"{path.name} line {line}: expected {ncols} columns, got {len(row)} "
                "(not an OFAC legacy CSV file, or a column was added/removed)"
            )
        ent = _v(row[0])
        if not ent.isdigit():
            if line == 1 and ent.lower() in ("ent_num", "entnum"):
                continue  # tolerate a header row someone added
            raise ParseError(f"{path.name} line {line}: ent_num {ent[:40]!r} is not a number")
        yield line, row


def _side_files(names: dict[str, Path], alt_name: str, add_name: str, comments_name: str):
    alts: dict[str, list[tuple[str, str]]] = {}
    adds: dict[str, list[tuple[str, str]]] = {}
    comments: dict[str, str] = {}
    if alt_name in names:
        for _line, row in _rows(names[alt_name], 5):
            name = clean(_v(row[3]))
            if name:
                alts.setdefault(_v(row[0]), []).append((_v(row[2]).lower(), name))
    if add_name in names:
        for _line, row in _rows(names[add_name], 6):
            parts = [clean(_v(x)) for x in row[2:5]]
            text = ", ".join(p for p in parts if p)
            if text:
                adds.setdefault(_v(row[0]), []).append((text, parts[2]))
    if comments_name in names:
        for _line, row in _rows(names[comments_name], 2):
            comments[_v(row[0])] = comments.get(_v(row[0]), "") + _v(row[1])
    return alts, adds, comments


def parse(paths: list[Path]) -> Iterator[ParsedEntry]:
    """Entries of the primary file joined with aliases, addresses and remark continuations."""
    names = paths_by_name(paths)
    primary = next((n for n in _SETS if n in names), None)
    if primary is None:
        given = ", ".join(sorted(names)) or "none"
        raise ParseError(f"{FORMAT}: no sdn.csv or cons_prim.csv among the files ({given})")
    sub_list, alt_name, add_name, comments_name = _SETS[primary]
    alts, adds, comments = _side_files(names, alt_name, add_name, comments_name)
    return merge_repeats(_entries(names[primary], sub_list, alts, adds, comments))


def _entries(path: Path, sub_list: str, alts: dict, adds: dict, comments: dict) -> Iterator[ParsedEntry]:
    source_url = _SOURCE_URLS[sub_list]
    for _line, row in _rows(path, 12):
        ent = _v(row[0])
        name = clean(_v(row[1]))
        if not name:
            raise ParseError(f"{path.name}: ent_num {ent} has no name")
        programs = [p.strip(" []") for p in _v(row[3]).split("] [")] if _v(row[3]) else []
        remarks = clean(_v(row[11]) + comments.get(ent, ""))
        entry_type = _TYPES.get(_v(row[2]).lower(), "other")
        addresses = adds.get(ent, [])
        countries = unique([*(country_code(c) for _t, c in addresses if c), *remarks_countries(remarks)])
        extra = {}
        for key, idx in (("title", 4), ("call_sign", 5), ("vessel_type", 6), ("vessel_flag", 9), ("vessel_owner", 10)):
            value = clean(_v(row[idx]))
            if value:
                extra[key] = value
        identifiers = remarks_identifiers(remarks)
        if extra.get("call_sign"):
            identifiers.append({"scheme": "call_sign", "value": extra["call_sign"]})
        programs = unique(p for p in programs if p)
        yield ParsedEntry(
            external_id=ent,
            primary_name=name,
            entry_type=entry_type,
            aliases=unique([*(alt for _t, alt in alts.get(ent, [])), *remarks_weak_aliases(remarks)], exclude=[name]),
            sub_list=sub_list if sub_list == "SDN" else consolidated_sub_list(programs),
            programs=programs,
            countries=countries,
            addresses=unique(t for t, _c in addresses),
            identifiers=identifiers,
            listed_on=remarks_listing_date(remarks),
            remarks=remarks,
            source_url=source_url,
            extra=extra,
        )
