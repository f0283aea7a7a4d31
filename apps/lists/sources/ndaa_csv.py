"""NDAA named companies (s.889 FY2019, s.5949 FY2023, s.154 FY2024 ...), project-maintained CSV files in the
layout of the OpenSanctions ``us/special_leg`` transcriptions (``us_ndaa/section_*.csv``).

UTF-8 CSV with a header: ``schema, name, aliases, topics, program, authority, reason, report-date, start-date,
end-date, country, notes, source_url``. Several files (one per section) may be parsed together.

- ``schema`` (FtM: Company, Organization, LegalEntity, Person) -> entry_type.
- The section is read from the file name (``section_889.csv`` -> "Section 889") or else from ``program``
  ("Section 889 of the ..."); it is the ``sub_list``. ``program`` is kept in programs.
- **external_id = "s<section>:<slug of name>"**, e.g. ``s889:zte-corporation``.
- ``aliases`` is ``;``-separated. ``country`` (names or codes, ``;``-separated) -> ISO alpha-2.
- ``report-date`` (enactment) -> listed_on; ``start-date`` is when the prohibition takes effect (s.154:
  "October 1, 2027") -> ``extra["effective_date"]`` (and listed_on when there is no report-date);
  ``end-date`` -> end_date. ``notes``/``reason`` -> remarks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from apps.lists.sources.base import (
    ParsedEntry,
    ParseError,
    clean,
    countries_from,
    csv_records,
    merge_repeats,
    parse_date,
    slug,
    split_multi,
)

FORMAT = "ndaa_csv"
DESCRIPTION = "NDAA named companies (s.889, s.5949, s.154 ...), CSV per section"
REQUIRED = ("schema", "name", "aliases", "program", "start-date", "end-date", "source_url")
SCHEMA_TYPES = {
    "company": "entity",
    "organization": "entity",
    "legalentity": "entity",
    "publicbody": "entity",
    "person": "individual",
    "vessel": "vessel",
    "airplane": "aircraft",
}
_SECTION_FILE = re.compile(r"section[_-]?(\d+)", re.IGNORECASE)
_SECTION_TEXT = re.compile(r"Section (\d+)", re.IGNORECASE)


def _entries(path: Path) -> Iterator[ParsedEntry]:
    file_section = _SECTION_FILE.search(path.stem)
    # a project-kept transcription: the final line break is not guaranteed
    for line, get in csv_records(path, REQUIRED):
        name = clean(get("name"))
        if not name:
            raise ParseError(f"{path.name} line {line}: row without a name")
        program = clean(get("program"))
        m = file_section or _SECTION_TEXT.search(program)
        section = m.group(1) if m else ""
        schema = get("schema").strip()
        entry_type = SCHEMA_TYPES.get(schema.lower())
        if entry_type is None:
            raise ParseError(f"{path.name} line {line}: unknown schema {schema[:40]!r}")
        report = parse_date(get("report-date"))
        effective = parse_date(get("start-date"))
        extra: dict = {}
        if effective:
            extra["effective_date"] = effective.isoformat()
        for key in ("authority", "topics"):
            if clean(get(key)):
                extra[key] = clean(get(key))
        remarks = "\n".join(x for x in (clean(get("reason")), clean(get("notes"))) if x)
        yield ParsedEntry(
            external_id=f"s{section}:{slug(name)}" if section else slug(name),
            primary_name=name,
            entry_type=entry_type,
            aliases=[a for a in split_multi(get("aliases")) if a != name],
            sub_list=f"Section {section}" if section else "NDAA",
            programs=[program] if program else [],
            countries=countries_from(split_multi(get("country"))),
            listed_on=report or effective,
            end_date=parse_date(get("end-date")),
            remarks=remarks,
            source_url=get("source_url").strip(),
            extra=extra,
        )


def parse(paths: list[Path]) -> Iterator[ParsedEntry]:
    """Entries of every section file given, in order."""
    if not paths:
        raise ParseError(f"{FORMAT}: no file given")

    def chained() -> Iterator[ParsedEntry]:
        for path in sorted(Path(p) for p in paths):
            yield from _entries(path)

    return merge_repeats(chained())
