"""trade.gov Consolidated Screening List (CSL), CSV download (consolidated.csv).

UTF-8 CSV, header row, 29 columns: _id, source, entity_number, type, programs, name, title, addresses,
federal_register_notice, start_date, end_date, standard_order, license_requirement, license_policy, call_sign,
vessel_type, gross_tonnage, gross_registered_tonnage, vessel_flag, vessel_owner, remarks, source_list_url,
alt_names, citizenships, dates_of_birth, nationalities, places_of_birth, source_information_url, ids.

- ``source`` (e.g. "Entity List (EL) - Bureau of Industry and Security") becomes ``sub_list``: the code in
  brackets, with EL written "Entity List" (Entity List, MEU, DPL, UVL, ISN, DTC, SDN, SSI, FSE, CMIC, PLC, CAP,
  NS-MBS). The full label is kept in ``extra["source"]``.
- ``_id`` is the OFAC ent_num for Treasury lists and a 40-hex hash for BIS/State lists. The same Treasury
  ent_num appears once per Treasury sub-list it is on (SDN + SSI + CAP ...), so
  **external_id = "<sub-list code>:<_id>"** (e.g. ``EL:f095626c...``, ``SDN:18725``); ``extra["csl_id"]``
  keeps the bare _id. Consecutive rows with the same external_id are merged (aliases united).
- Multi-valued fields (addresses, alt_names, programs, citizenships, nationalities, dates_of_birth, ids) are
  ``; ``-separated. ``ids`` items are ``[CC, ]value, label`` (e.g. ``CN, 9133..., Unified Social Credit Code
  (USCC)``); labels that are not identifiers (Gender, dates, "Additional Sanctions Information -") are
  dropped from identifiers and kept in ``extra["ids_other"]``.
- Names are cleaned: padding is stripped (" I. ASH"), a trailing comma is removed, and an address glued after
  the legal form ("Huawei Technologies Service Co., Ltd., Langfang, Hebei, ") is cut when its first part also
  appears in the row's addresses; the raw name is kept in ``extra["raw_name"]``.
- Address items end with an ISO alpha-2 code ("..., Hangzhou, 310052, CN"); these, citizenships and
  nationalities give ``countries``.
- Known mojibake in the source ("Co”peratief", "Xi?an") is left as published.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from apps.lists.sources.base import (
    ENTRY_TYPES,
    ParsedEntry,
    ParseError,
    clean,
    iter_csv_rows,
    make_identifier,
    merge_repeats,
    parse_date,
    single_path,
    unique,
)

FORMAT = "us_csl_csv"
DESCRIPTION = "trade.gov Consolidated Screening List, CSV (29 columns; source -> sub_list)"

COLUMNS = (
    "_id",
    "source",
    "entity_number",
    "type",
    "programs",
    "name",
    "title",
    "addresses",
    "federal_register_notice",
    "start_date",
    "end_date",
    "standard_order",
    "license_requirement",
    "license_policy",
    "call_sign",
    "vessel_type",
    "gross_tonnage",
    "gross_registered_tonnage",
    "vessel_flag",
    "vessel_owner",
    "remarks",
    "source_list_url",
    "alt_names",
    "citizenships",
    "dates_of_birth",
    "nationalities",
    "places_of_birth",
    "source_information_url",
    "ids",
)
REQUIRED = ("_id", "source", "name", "type", "programs", "addresses", "alt_names", "start_date", "ids")

_SUB_LIST_CODE = re.compile(r"\(([^)]+)\)")
_SUB_LIST_NAMES = {"EL": "Entity List", "NS-MBS List": "NS-MBS"}
_CODE_FOR_LABEL = {"Entity List": "EL"}
_LEGAL_FORM = re.compile(
    r"\b(?:Co\.?,?\s*Ltd\.?|Ltd\.?|Limited|Inc\.?|LLC|L\.L\.C\.|Corp\.?|Corporation|Company|GmbH|JSC|OAO|ZAO|"
    r"PJSC|PLC|S\.A\.|Pte\.?,?\s*Ltd\.?|Pvt\.?\s*Ltd\.?)",
    re.IGNORECASE,
)
# BIS entity-style lists give no type; they name companies (and some people): treat as entities.
_UNTYPED_ENTITY_LISTS = {"Entity List", "MEU", "UVL", "CMIC"}
_sub_list_cache: dict[str, str] = {}


def sub_list_of(source: str) -> str:
    """ "Entity List (EL) - Bureau of Industry and Security" -> "Entity List"; "... (DPL) ..." -> "DPL"."""
    cached = _sub_list_cache.get(source)
    if cached is None:
        m = _SUB_LIST_CODE.search(source)
        code = m.group(1).strip() if m else clean(source.split(" - ")[0])
        cached = _SUB_LIST_NAMES.get(code, code)
        _sub_list_cache[source] = cached
    return cached


def clean_name(raw: str, addresses: str) -> str:
    """Strip padding and a trailing comma; cut an address glued after the legal form (see module doc)."""
    name = raw.strip()
    if not name.endswith(","):
        return clean(name) if "  " in name else name
    name = name.rstrip(" ,")
    last = None
    for last in _LEGAL_FORM.finditer(name):  # noqa: B007 - we want the last match
        pass
    if last is not None and addresses:
        tail = name[last.end() :].lstrip(" ,.")
        if tail:
            first = tail.split(",")[0].strip().lower()
            if first and first in addresses.lower():
                name = name[: last.end()]
    return clean(name)


def _split(value: str) -> list[str]:
    if not value:
        return []
    return [v for p in value.split(";") if (v := p.strip())]


def _ids(value: str) -> tuple[list[dict], list[str]]:
    identifiers: list[dict] = []
    other: list[str] = []
    for item in _split(value):
        head, sep, label = item.rpartition(", ")
        if not sep:
            other.append(item)
            continue
        country = ""
        if len(head) > 4 and head[2:4] == ", " and head[:2].isalpha() and head[:2].isupper():
            country, head = head[:2], head[4:]
        if label == "Vessel Registration Identification" and head.startswith("IMO "):
            head = head[4:]
        ident = make_identifier(label, head, country)
        if ident is None:
            other.append(item)
        elif ident not in identifiers:
            identifiers.append(ident)
    return identifiers, other


_EXTRA_KEYS = (
    "entity_number",
    "title",
    "federal_register_notice",
    "standard_order",
    "license_requirement",
    "license_policy",
    "call_sign",
    "vessel_type",
    "vessel_flag",
    "vessel_owner",
    "gross_tonnage",
    "gross_registered_tonnage",
    "source_information_url",
    "places_of_birth",
)


def row_to_entry(rec: dict[str, str]) -> ParsedEntry | None:
    """Build an entry from a CSL record (column -> text), from the CSV or the JSON form alike."""
    get = rec.get
    csl_id = get("_id", "").strip()
    source = get("source", "").strip()
    addresses_raw = get("addresses", "")
    raw_name = get("name", "")
    name = clean_name(raw_name, addresses_raw)
    if not name:
        return None
    sub_list = sub_list_of(source)
    code = _CODE_FOR_LABEL.get(sub_list, sub_list)
    addresses = _split(addresses_raw)
    countries = []
    for addr in addresses:
        cc = addr[-2:]
        if len(addr) >= 2 and cc.isupper() and cc.isalpha() and (len(addr) == 2 or addr[-4:-2] == ", "):
            countries.append(cc)
    for field_name in ("citizenships", "nationalities"):
        value = get(field_name)
        if value:
            countries.extend([c for c in _split(value) if len(c) == 2])
    identifiers, ids_other = _ids(get("ids", ""))
    raw_type = get("type", "").strip().lower()
    entry_type = ENTRY_TYPES.get(raw_type) or ("entity" if sub_list in _UNTYPED_ENTITY_LISTS else "other")
    extra = {"csl_id": csl_id, "source": source}
    if name != raw_name and name != clean(raw_name):
        extra["raw_name"] = raw_name
    for key in _EXTRA_KEYS:
        value = get(key)
        if value:
            value = clean(value)
            if value:
                extra[key] = value
    dobs = _split(get("dates_of_birth", ""))
    if dobs:
        extra["dates_of_birth"] = dobs
    if ids_other:
        extra["ids_other"] = ids_other
    return ParsedEntry(
        external_id=f"{code}:{csl_id}",
        primary_name=name,
        entry_type=entry_type,
        aliases=unique(_split(get("alt_names", "")), exclude=[name]),
        sub_list=sub_list,
        programs=_split(get("programs", "")),
        countries=unique(countries),
        addresses=addresses,
        identifiers=identifiers,
        listed_on=parse_date(get("start_date")),
        end_date=parse_date(get("end_date")),
        remarks=clean(get("remarks")),
        source_url=get("source_list_url", "").strip(),
        extra=extra,
    )


def _entries(path: Path) -> Iterator[ParsedEntry]:
    rows = iter_csv_rows(path, final_newline=True)  # trade.gov always ends the file with a line break
    names = _header(next(rows, (0, None))[1], path)
    ncols = len(names)
    for line, row in rows:
        if not row:
            continue
        if len(row) != ncols:
            raise ParseError(f"{path.name} line {line}: expected {ncols} columns, got {len(row)}")
        entry = row_to_entry(dict(zip(names, row, strict=False)))  # lengths checked above
        if entry is not None:
            yield entry


def _header(header: list[str] | None, path: Path) -> list[str]:
    if not header:
        raise ParseError(f"{path.name}: empty file (no header row)")
    names = [h.strip().lstrip("\ufeff") for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
        raise ParseError(f"{path.name}: missing column(s) {', '.join(missing)}; the header has: {shown}")
    return names


def parse(paths: list[Path]) -> Iterator[ParsedEntry]:
    """Stream CSL entries (one per sub-list and _id)."""
    return merge_repeats(_entries(single_path(paths, FORMAT)))


def iter_entries(records: Iterable[dict]) -> Iterator[ParsedEntry]:
    """Entries from CSL records as dicts (the JSON form); shared with us_csl_json."""
    for record in records:
        entry = row_to_entry({key: _as_text(value) for key, value in record.items()})
        if entry is not None:
            yield entry


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(_as_text(v) for v in value)
    if isinstance(value, dict):
        # JSON ids/addresses are objects; flatten in the CSV's order
        if "address" in value or "city" in value:
            parts = [value.get(k) or "" for k in ("address", "city", "state", "postal_code", "country")]
            return ", ".join(str(p) for p in parts if p)
        if "number" in value or "type" in value:
            parts = [value.get("country") or "", value.get("number") or "", value.get("type") or ""]
            return ", ".join(str(p) for p in parts if p)
        return ", ".join(str(v) for v in value.values() if v)
    return str(value)
