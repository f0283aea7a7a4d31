"""UK HM Treasury / OFSI consolidated list, legacy ``ConList.csv`` layout (published until 2022).

Windows-1252, CRLF, 29 columns. As published the file starts with two preamble lines: ``Last Updated,dd/mm/yyyy``
and the header row; some copies (like the sample) have both removed. Both are accepted: a first row starting
with "Last Updated" is skipped, a header row is recognised by "Name 6" and checked, and a headerless file must
have exactly 29 columns per row. Column order::

    Name 6, Name 1, Name 2, Name 3, Name 4, Name 5, Title, DOB, Town of Birth, Country of Birth, Nationality,
    Passport Details, NI Number, Position, Address 1..6, Post/Zip Code, Country, Other Information,
    Group Type, Alias Type, Regime, Listed On, Last Updated, Group ID

- There is **one row per name variation** (and per date-of-birth variation). Rows are grouped by ``Group ID``
  into one entry: **external_id = Group ID**; the "Prime Alias" row gives primary_name (else the first row),
  every other name (AKA, FKA) becomes an alias. The rows of one group are not adjacent in the file (it is
  sorted by name), so the parser keeps one entry per group in memory until the end of the file: memory grows
  with the number of groups (about 2,000-5,000 for the UK list), not with the number of rows.
- Names: Name 6 is the surname or the entity name; individuals are written "Name 1 ... Name 5 Name 6" (given
  names first); leading spaces in Name 6 are stripped.
- Dates are dd/mm/yyyy; unknown parts are written ``00/00/1980`` and give None (DOBs are kept as text in
  ``extra["dates_of_birth"]``). Listed On -> listed_on; Last Updated -> ``extra["last_updated"]``.
- Country (address) and Nationality ("1) Saudi Arabia 2) Qatar", "Syrian") -> ISO alpha-2 where recognisable;
  "(since 2009)"-style notes are dropped.
- Regime -> sub_list and programs; Group Type (Individual / Entity / Ship) -> entry_type; Other Information ->
  remarks; Passport Details and NI Number -> ``extra``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from apps.lists.sources.base import (
    NameGroups,
    ParsedEntry,
    ParseError,
    clean,
    country_code,
    iter_csv_rows,
    parse_date,
    single_path,
)

FORMAT = "uk_ofsi_csv"
DESCRIPTION = "UK OFSI consolidated list, legacy ConList.csv (one row per name variation, grouped by Group ID)"
ENCODING = "cp1252"
SOURCE_URL = "https://ofsistorage.blob.core.windows.net/publishlive/ConList.csv"
COLUMNS = (
    "Name 6", "Name 1", "Name 2", "Name 3", "Name 4", "Name 5", "Title", "DOB", "Town of Birth",
    "Country of Birth", "Nationality", "Passport Details", "NI Number", "Position", "Address 1", "Address 2",
    "Address 3", "Address 4", "Address 5", "Address 6", "Post/Zip Code", "Country", "Other Information",
    "Group Type", "Alias Type", "Regime", "Listed On", "Last Updated", "Group ID",
)  # fmt: skip
_COL = {name: i for i, name in enumerate(COLUMNS)}
_TYPES = {"individual": "individual", "entity": "entity", "ship": "vessel"}
_NUMBERED = re.compile(r"(?:^|\s)\d{1,2}\)\s*")
_NOTE = re.compile(r"\([^()]*\)")
_DEMONYMS = {
    "syrian": "SY", "iranian": "IR", "iraqi": "IQ", "russian": "RU", "libyan": "LY", "tunisian": "TN",
    "indonesian": "ID", "egyptian": "EG", "saudi arabian": "SA", "yemeni": "YE", "sudanese": "SD",
    "afghan": "AF", "pakistani": "PK", "jordanian": "JO", "kuwaiti": "KW", "lebanese": "LB", "belarusian": "BY",
    "ukrainian": "UA", "north korean": "KP", "somali": "SO", "moroccan": "MA", "algerian": "DZ",
    "burmese": "MM", "zimbabwean": "ZW", "chinese": "CN", "british": "GB", "french": "FR", "german": "DE",
}  # fmt: skip


def _countries(value: str) -> list[str]:
    out = []
    for part in _NUMBERED.split(_NOTE.sub(" ", value)):
        part = part.strip(" .,")
        if not part:
            continue
        cc = _DEMONYMS.get(part.lower()) or country_code(part)
        if cc:
            out.append(cc)
    return out


def _name(row: list[str], individual: bool) -> str:
    surname = clean(row[0])
    given = [clean(row[i]) for i in range(1, 6) if clean(row[i])]
    if individual and given:
        return " ".join([*given, surname]) if surname else " ".join(given)
    return " ".join([surname, *given]) if given else surname


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    # HM Treasury's ConList.csv is machine-written with CRLF after every line, the last one included.
    rows = iter_csv_rows(path, encoding=ENCODING, final_newline=True)
    first = True
    for line, row in rows:
        if not row or not any(c.strip() for c in row):
            continue
        if first:
            first = False
            if row[0].strip().lower().startswith("last updated"):
                first = True  # the preamble; the header row follows
                continue
            if row[0].strip().lstrip("\ufeff") == "Name 6":
                names = [c.strip() for c in row]
                if tuple(names[: len(COLUMNS)]) != COLUMNS:
                    missing = [c for c in COLUMNS if c not in names]
                    raise ParseError(
                        f"{path.name}: the header is not the ConList.csv layout"
                        + (f"; missing column(s) {', '.join(missing)}" if missing else "; columns reordered")
                    )
                continue
        if len(row) < len(COLUMNS):
            raise ParseError(
                f"{path.name} line {line}: expected {len(COLUMNS)} columns, got {len(row)} (not a UK ConList.csv file)"
            )
        yield line, row


def _entries(path: Path) -> Iterator[ParsedEntry]:
    groups = NameGroups(skip_known_names=True)
    for line, row in _rows(path):
        group_id = row[_COL["Group ID"]].strip()
        if not group_id:
            raise ParseError(f"{path.name} line {line}: empty Group ID")
        group_type = row[_COL["Group Type"]].strip().lower()
        name = _name(row, group_type == "individual")
        if not name:
            continue
        prime = row[_COL["Alias Type"]].strip().lower() == "prime alias"
        entry = groups.existing(group_id, name, primary=prime)
        if entry is None:
            entry = groups.start(
                group_id,
                name,
                primary=prime,
                entry_type=_TYPES.get(group_type, "other"),
                sub_list=clean(row[_COL["Regime"]]),
                listed_on=parse_date(row[_COL["Listed On"]]),
                remarks=clean(row[_COL["Other Information"]]),
                source_url=SOURCE_URL,
                extra={},
            )
        _add_facts(entry, row)
    yield from groups.finished(path, "group")


def _add_facts(entry: ParsedEntry, row: list[str]) -> None:
    regime = clean(row[_COL["Regime"]])
    if regime and regime not in entry.programs:
        entry.programs.append(regime)
    parts = [clean(row[i]) for i in range(_COL["Address 1"], _COL["Country"] + 1)]
    address = ", ".join(p for p in parts if p)
    if address and address not in entry.addresses:
        entry.addresses.append(address)
    entry.countries.extend(_countries(row[_COL["Country"]]))
    entry.countries.extend(_countries(row[_COL["Nationality"]]))
    extra = entry.extra
    for key, col in (
        ("title", "Title"),
        ("passport_details", "Passport Details"),
        ("ni_number", "NI Number"),
        ("position", "Position"),
        ("last_updated", "Last Updated"),
    ):
        value = clean(row[_COL[col]])
        if value and key not in extra:
            extra[key] = value
    dob = clean(row[_COL["DOB"]])
    if dob:
        dobs = extra.setdefault("dates_of_birth", [])
        if dob not in dobs:
            dobs.append(dob)


def parse(paths: list[Path]) -> Iterator[ParsedEntry]:
    """One entry per Group ID, in order of first appearance."""
    return _entries(single_path(paths, FORMAT))
