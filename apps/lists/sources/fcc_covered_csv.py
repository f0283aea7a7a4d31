"""FCC Covered List (Secure and Trusted Communications Networks Act s.2), project-maintained CSV. Two layouts
are accepted, recognised by their header:

1. **Transcribed** (``covered_list_entities_transcribed.csv``, preferred): ``entity, equipment_or_service,
   date_added, legal_basis, basis_source_or_caveat``; one row per entity, ISO ``date_added`` (a cell like
   "2025-12-22 (updated 2026-01-07, ...)" gives the first date). "A / B" in ``entity`` (Pacific Networks Corp /
   ComNet (USA) LLC) gives two entries with the same scope.
2. **Scraped FCC table** (``table.csv``): ``covered_equipment_or_services, date_of_inclusion_on_covered_list``,
   the HTML table at fcc.gov/supplychain/coveredlist as scraped. Artefacts handled: link text ``Visit - ``,
   footnote marks (†, ††, ^, £, ³, #), merged rows, and date cells such as
   "December 22, 2025Updated:January 7, 2026Updated:..." (the first date is the date of inclusion; the
   updates go to ``extra["updated"]``). The entity is read from "... produced by X, ...", "... provided by X
   subject to ...", "... supplied ... by X or any of ..."; "X and its wholly-owned subsidiary Y" gives X and Y.

Both layouts give ``scope`` (the covered equipment or service, cleaned), ``listed_on`` (date of inclusion) and
``scope_categories``: the inventory equipment categories the entry's own wording names (``scope_categories_of``):
"video surveillance ... equipment" -> camera, NVR/VMS; "telecommunications equipment" -> network equipment, telecom
module; "information security products" / "cybersecurity and anti-virus software" -> every category (software
runs on any unit); services only (the s.214 entries) -> [] (no equipment category); wording not recognised -> None
(no per-entry scope: the risk policy's categories apply). The transcribed layout may carry an
``equipment_categories`` column ("camera;nvr_vms"), which then wins; an unknown category there is a ParseError.
The services an entry names alongside its equipment ("including telecommunications or video surveillance
services ...") add no equipment category.
Rows that name no entity — product categories such as foreign-produced UAS, routers, power inverters and
robotic devices, written "(category) ..." in the transcription — are **not** entries (screening matches
names; a category cannot be name-matched); they are skipped and documented in docs/list-formats.md.

**external_id = slug of the entity name** (``hangzhou-hikvision-digital-technology-company``), the same in
both layouts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from apps.common.choices import EquipmentCategory
from apps.lists.sources.base import (
    ParsedEntry,
    ParseError,
    clean,
    iter_csv_rows,
    merge_repeats,
    parse_date,
    single_path,
    slug,
)

FORMAT = "fcc_covered_csv"
DESCRIPTION = "FCC Covered List, CSV (transcribed entity rows or the scraped FCC table)"
SOURCE_URL = "https://www.fcc.gov/supplychain/coveredlist"
PROGRAM = "FCC Covered List"

_ARTEFACTS = re.compile(r"Visit - |†|\^|£|³|²|¹|#")
_DATE_TEXT = re.compile(r"[A-Z][a-z]+ \d{1,2}, \d{4}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_BY_ENTITY = re.compile(
    r"\b(?:produced|provided|supplied)(?: or provided)?(?:, directly or indirectly,)? by (?P<name>.+?)"
    r"(?=,? (?:including|subject to|to the extent|or any of|or its|and its wholly-owned)\b|\.$|$)"
)
_SUBSIDIARY = re.compile(r"\band its wholly-owned subsidiary (?P<name>.+?)(?= subject to\b|,|\.$|$)")


# The services an equipment entry also names: no equipment category of their own.
_SERVICES_CLAUSE = re.compile(r"\(incl\.[^)]*\)|,? including telecommunications or video surveillance services.*$",
                              re.IGNORECASE)
_VIDEO = re.compile(r"video surveillance (?:and telecommunications )?equipment", re.IGNORECASE)
_TELECOM = re.compile(r"telecommunications equipment", re.IGNORECASE)
_SOFTWARE = re.compile(r"information security products|cybersecurity|anti-?virus software", re.IGNORECASE)
_DRONES = re.compile(r"\bUAS\b|uncrewed aircraft|unmanned aircraft", re.IGNORECASE)
_ROUTERS = re.compile(r"\brouters?\b", re.IGNORECASE)
_SERVICES = re.compile(r"\bservices?\b", re.IGNORECASE)
_ALL_CATEGORIES = list(EquipmentCategory.values)


def scope_categories_of(scope: str) -> list[str] | None:
    """The equipment categories an FCC Covered List entry's wording names (see the module docstring)."""
    text = _SERVICES_CLAUSE.sub("", scope)
    if _SOFTWARE.search(text):
        return list(_ALL_CATEGORIES)
    found: list[str] = []
    if _VIDEO.search(text):
        found += [EquipmentCategory.CAMERA, EquipmentCategory.NVR_VMS]
    if _TELECOM.search(text) or re.search(r"and telecommunications equipment", text, re.IGNORECASE):
        found += [EquipmentCategory.NETWORK, EquipmentCategory.TELECOM_MODULE]
    if _DRONES.search(text):
        found.append(EquipmentCategory.DRONE)
    if _ROUTERS.search(text):
        found.append(EquipmentCategory.NETWORK)
    if found:
        return [str(c) for c in dict.fromkeys(found)]
    return [] if _SERVICES.search(text) else None


def _categories_cell(cell: str, path: Path, entity: str) -> list[str]:
    """An ``equipment_categories`` cell: category values separated by ";" (empty cell: services only)."""
    values = [v.strip() for v in cell.split(";") if v.strip()]
    unknown = [v for v in values if v not in EquipmentCategory.values]
    if unknown:
        raise ParseError(f"{path.name}: {entity}: unknown equipment categories {', '.join(unknown)} "
                         f"(known: {', '.join(EquipmentCategory.values)})")
    return values


_LIMITATION = re.compile(r"to the extent (?:it is )?used for (?:the purpose of )?(?P<purposes>.+?)(?=, including\b|$)",
                         re.IGNORECASE)


def _entry(name: str, scope: str, listed_on, extra: dict, categories: list[str] | None) -> ParsedEntry:
    """One entry; the purpose limitation some entries state (Hytera, Hikvision, Dahua: "to the extent it is used
    for the purpose of public safety, ...") is kept apart in ``extra["scope_limitation"]`` as well."""
    name = clean(name)
    limitation = _LIMITATION.search(scope)
    if limitation:
        extra["scope_limitation"] = limitation.group("purposes").rstrip(" .,")
    return ParsedEntry(
        external_id=slug(name),
        primary_name=name,
        entry_type="entity",
        sub_list=PROGRAM,
        programs=[PROGRAM],
        countries=[],
        listed_on=listed_on,
        source_url=SOURCE_URL,
        scope=scope,
        scope_categories=categories,
        extra=extra,
    )


def _records(rows: Iterator[tuple[int, list[str]]], index: dict[str, int], path: Path) -> Iterator[list[str]]:
    """The non-blank rows, each with at least the header's columns (a longer row is a trailing comma)."""
    for line, row in rows:
        if not row or not any(row):
            continue
        if len(row) < len(index):
            raise ParseError(f"{path.name} line {line}: expected {len(index)} columns, got {len(row)}")
        yield row


def _transcribed(rows: Iterator[tuple[int, list[str]]], index: dict[str, int], path: Path) -> Iterator[ParsedEntry]:
    for row in _records(rows, index, path):
        entity = clean(row[index["entity"]])
        if not entity or entity.startswith("(category)"):
            continue
        scope = clean(row[index["equipment_or_service"]])
        date_cell = row[index["date_added"]]
        dates = _ISO_DATE.findall(date_cell)
        listed_on = parse_date(dates[0]) if dates else parse_date(date_cell)
        extra: dict = {}
        if len(dates) > 1:
            extra["updated"] = dates[1:]
        for key in ("legal_basis", "basis_source_or_caveat"):
            if key in index and clean(row[index[key]]):
                extra[key] = clean(row[index[key]])
        if "equipment_categories" in index:
            categories = _categories_cell(row[index["equipment_categories"]], path, entity)
        else:
            categories = scope_categories_of(scope)
        for name in entity.split(" / "):
            yield _entry(name, scope, listed_on, dict(extra), categories)


def _scraped(rows: Iterator[tuple[int, list[str]]], index: dict[str, int], path: Path) -> Iterator[ParsedEntry]:
    for row in _records(rows, index, path):
        scope = clean(_ARTEFACTS.sub("", row[index["covered_equipment_or_services"]]))
        date_cell = row[index["date_of_inclusion_on_covered_list"]]
        dates = [d for d in (parse_date(x) for x in _DATE_TEXT.findall(date_cell)) if d]
        extra: dict = {}
        if len(dates) > 1:
            extra["updated"] = [d.isoformat() for d in dates[1:]]
        m = _BY_ENTITY.search(scope)
        if not m:
            continue  # a product category with no named entity (see module doc)
        names = [m.group("name")]
        sub = _SUBSIDIARY.search(scope, m.start("name"))
        if sub:
            names.append(sub.group("name"))
        categories = scope_categories_of(scope)
        for name in names:
            yield _entry(name.strip(" ,"), scope, dates[0] if dates else None, dict(extra), categories)


def _entries(path: Path) -> Iterator[ParsedEntry]:
    rows = iter_csv_rows(path)  # a project-kept file (transcribed or scraped): no final line break guaranteed
    header = next(rows, (0, None))[1]
    if not header:
        raise ParseError(f"{path.name}: empty file (no header row)")
    index = {h.strip().lstrip("\ufeff").lower(): i for i, h in enumerate(header)}
    if {"entity", "equipment_or_service", "date_added"} <= index.keys():
        yield from _transcribed(rows, index, path)
    elif {"covered_equipment_or_services", "date_of_inclusion_on_covered_list"} <= index.keys():
        yield from _scraped(rows, index, path)
    else:
        shown = ", ".join(header[:8])
        raise ParseError(
            f"{path.name}: missing columns: expected entity, equipment_or_service, date_added (transcribed) "
            f"or covered_equipment_or_services, date_of_inclusion_on_covered_list (FCC table); "
            f"the header has: {shown}"
        )


def parse(paths: list[Path]) -> Iterator[ParsedEntry]:
    """Entries of one FCC Covered List file (either layout)."""
    return merge_repeats(_entries(single_path(paths, FORMAT)))
