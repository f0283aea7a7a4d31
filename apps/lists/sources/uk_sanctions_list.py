"""UK Sanctions List (FCDO), CSV download (``UK-Sanctions-List.csv``), the list that replaced the OFSI
ConList in 2022.

No real file is in ../shared/data/lists. The layout below is the one published by the FCDO, as quoted
(header and sample rows copied from the official file) in the test suites of public screening projects
(moov-io/watchman ``csl_uk``, and others). The fixture tests/lists/fixtures/uk_sanctions_list.csv is
hand-made in that layout. Check it against a real download before relying on it.

UTF-8 (names in non-Latin script), comma-separated. The first line is ``Report Date: 08-Oct-2026``
(optional here), then a header of 58 columns::

    Last Updated, Unique ID, OFSI Group ID, UN Reference Number, Name 6, Name 1 .. Name 5, Name type,
    Alias strength, Title, Name non-latin script, Non-latin script type, Non-latin script language,
    Regime Name, Designation Type, Designation source, Sanctions Imposed, Other Information,
    UK Statement of Reasons, Address Line 1 .. 6, Address Postal Code, Address Country, Phone number,
    Website, Email address, Date Designated, D.O.B, Nationality(/ies), National Identifier number,
    National Identifier additional information, Passport number, Passport additional information, Position,
    Gender, Town of birth, Country of birth, Type of entity, Subsidiaries, Parent company,
    Business registration number (s), IMO number, Current owner/operator (s), Previous owner/operator (s),
    Current believed flag of ship, Previous flags, Type of ship, Tonnage of ship, Length of ship, Year Built,
    Hull identification number (HIN)

- One line per name (and per address) of a designation; lines are grouped by **Unique ID** (e.g. RUS2176),
  which is the external_id. Name type "Primary Name" gives the primary name; other names ("Alias", "Primary
  Name Variation") and the non-Latin-script name are aliases. Groups are kept in memory until the end of the
  file (lines of one designation need not be adjacent): memory grows with the number of designations
  (about 5,000), not with the file.
- Names are written "Name 1 .. Name 5 Name 6" for individuals (given names first, as in uk_ofsi_csv); entities
  and ships use Name 6.
- Designation Type: Individual / Entity / Ship -> entry_type. Regime Name -> sub_list and programs.
- Date Designated (dd/mm/yyyy) -> listed_on; Last Updated, OFSI Group ID, UN Reference Number, Sanctions
  Imposed ("Asset freeze|Travel Ban"), UK Statement of Reasons -> extra; Other Information -> remarks;
  Parent company -> parent_name.
- Identifiers: National Identifier number (national_id), Passport number (passport), Business registration
  number (registration), IMO number (imo, "IMO9826902" -> "9826902"), Website, Email address. Multiple values
  inside a cell are separated by ``|``.
- Countries: Address Country and Nationality(/ies) names (and demonyms such as "British") -> ISO alpha-2.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from apps.lists.sources.base import (
    NameGroups,
    ParsedEntry,
    ParseError,
    clean,
    csv_records,
    parse_date,
    single_path,
)
from apps.lists.sources.uk_ofsi_csv import _countries

FORMAT = "uk_sanctions_list"
DESCRIPTION = "UK Sanctions List (FCDO) CSV, one line per name, grouped by Unique ID"
SOURCE_URL = "https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.csv"
REQUIRED = ("Last Updated", "Unique ID", "Name 6", "Name type", "Regime Name", "Designation Type")
_TYPES = {"individual": "individual", "entity": "entity", "ship": "vessel"}
_IDENTIFIERS = (
    ("National Identifier number", "national_id"),
    ("Passport number", "passport"),
    ("Business registration number (s)", "registration"),
    ("IMO number", "imo"),
    ("Website", "website"),
    ("Email address", "email"),
)
_EXTRA = (
    ("OFSI Group ID", "ofsi_group_id"),
    ("UN Reference Number", "un_reference_number"),
    ("Last Updated", "last_updated"),
    ("Sanctions Imposed", "sanctions_imposed"),
    ("UK Statement of Reasons", "statement_of_reasons"),
    ("Designation source", "designation_source"),
    ("Subsidiaries", "subsidiaries"),
    ("Type of entity", "type_of_entity"),
    ("Current believed flag of ship", "ship_flag"),
    ("Type of ship", "ship_type"),
)


def _pipe(value: str) -> list[str]:
    return [v for p in value.split("|") if (v := clean(p))]


def _is_report_date_line(first_row: list[str]) -> bool:
    """The FCDO file may start with a "Report Date: ..." line above the header."""
    return first_row[0].strip().lstrip("\ufeff").lower().startswith("report date")


def _entries(path: Path) -> Iterator[ParsedEntry]:
    groups = NameGroups()
    # No real FCDO file was available to confirm a final line break, so it is not required; a cut inside the
    # last record is still refused (fewer fields and no line break), and every line must have the header's width.
    for line, get in csv_records(path, REQUIRED, preamble=_is_report_date_line, whitespace_is_blank=True):
        uid = get("Unique ID").strip()
        if not uid:
            raise ParseError(f"{path.name} line {line}: empty Unique ID")
        kind = get("Designation Type").strip().lower()
        surname = clean(get("Name 6"))
        given = [clean(get(f"Name {i}")) for i in range(1, 6) if clean(get(f"Name {i}"))]
        if kind == "individual":
            name = " ".join([*given, surname]).strip()
        else:
            name = " ".join([surname, *given]).strip()
        primary = get("Name type").strip().lower() == "primary name"
        entry = groups.existing(uid, name, primary=primary)
        if entry is None:
            # listed_on, remarks and parent_name come from this row too, by _add_facts
            entry = groups.start(
                uid, name, primary=primary, entry_type=_TYPES.get(kind, "other"), sub_list=clean(get("Regime Name")),
                source_url=SOURCE_URL,
            )
        _add_facts(entry, get)
    yield from groups.finished(path, "designation")


def _add_facts(entry: ParsedEntry, get) -> None:
    regime = clean(get("Regime Name"))
    if regime and regime not in entry.programs:
        entry.programs.append(regime)
    non_latin = clean(get("Name non-latin script"))
    if non_latin:
        entry.aliases.append(non_latin)
    parts = [clean(get(f"Address Line {i}")) for i in range(1, 7)] + [clean(get("Address Postal Code"))]
    address = ", ".join(p for p in [*parts, clean(get("Address Country"))] if p) if any(parts) else ""
    if address and address not in entry.addresses:
        entry.addresses.append(address)
    entry.countries.extend(_countries(get("Address Country")))
    for nationality in _pipe(get("Nationality(/ies)")):
        entry.countries.extend(_countries(nationality))
    for column, scheme in _IDENTIFIERS:
        for value in _pipe(get(column)):
            if scheme == "imo" and value.upper().startswith("IMO"):
                value = value[3:].strip()
            ident = {"scheme": scheme, "value": value}
            if ident not in entry.identifiers:
                entry.identifiers.append(ident)
    for attr, column in (("parent_name", "Parent company"), ("remarks", "Other Information")):
        if not getattr(entry, attr):
            setattr(entry, attr, clean(get(column)))
    if entry.listed_on is None:
        entry.listed_on = parse_date(get("Date Designated"))
    for column, key in _EXTRA:
        value = clean(get(column))
        if value and key not in entry.extra:
            entry.extra[key] = value
    dob = clean(get("D.O.B"))
    if dob:
        dobs = entry.extra.setdefault("dates_of_birth", [])
        if dob not in dobs:
            dobs.append(dob)


def parse(paths: list[Path]) -> Iterator[ParsedEntry]:
    """One entry per Unique ID, in order of first appearance."""
    return _entries(single_path(paths, FORMAT))
