"""An organisation's own blocklist, as a CSV file an officer keeps in a spreadsheet.

Exact layout (UTF-8, a BOM is accepted; comma-separated; a header row is required; column names are
case-insensitive and may come in any order; extra columns are ignored):

=============  =========  ============================================================================
column         required   content
=============  =========  ============================================================================
name           yes        the primary name of the blocked party (non-empty)
aliases        yes        other names, separated by ``;`` (may be empty)
country        yes        country names or ISO alpha-2/alpha-3 codes, separated by ``;`` (may be empty);
                          an unknown country is an error
identifiers    yes        ``scheme:value`` pairs separated by ``;``, e.g. ``lei:5493001KJTIIGC8Y1R12;
                          duns:123456789``; the scheme is normalised (``LEI``/``Legal Entity Number`` ->
                          ``lei``, ``USCC`` -> ``uscc``...); an item without ``:`` is an error
reason         yes        why the party is blocked (kept as remarks; may be empty)
id             no         a stable id; without it the external id is the slug of the name
type           no         entity (default) / individual / vessel / aircraft / other
listed_on      no         date the party was blocked (ISO, dd/mm/yyyy or "12 Mar 2021")
end_date       no         date the block ends
source_url     no         a link to the decision
=============  =========  ============================================================================

Example::

    name,aliases,country,identifiers,reason
    Acme Surveillance Ltd,Acme CCTV; ACME-SEC,China,lei:5493001KJTIIGC8Y1R12,Board decision 2024-07

**external_id** = the ``id`` column, else the slug of the name (``acme-surveillance-ltd``). Rows repeating
the same id next to each other are merged; a later repeat gets ``~2``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from apps.lists.sources.base import (
    ParsedEntry,
    ParseError,
    clean,
    country_code,
    identifier_scheme,
    iter_csv_rows,
    merge_repeats,
    parse_date,
    require_columns,
    single_path,
    slug,
    split_multi,
)

FORMAT = "custom_csv"
DESCRIPTION = "In-house blocklist CSV: name, aliases, country, identifiers (scheme:value; ...), reason"
REQUIRED = ("name", "aliases", "country", "identifiers", "reason")
ENTRY_TYPES = {"entity", "individual", "vessel", "aircraft", "other", ""}


def _entries(path: Path) -> Iterator[ParsedEntry]:
    # A spreadsheet export may lack the final line break (Google Sheets writes none): not required here; a
    # cut inside the last record is still caught by iter_csv_rows (fewer fields and no line break).
    rows = iter_csv_rows(path)
    header = next(rows, (0, None))[1]
    require_columns(header, REQUIRED, path)
    lower = {h.strip().lstrip("\ufeff").lower(): i for i, h in enumerate(header)}
    for line, row in rows:
        if not row or not any(c.strip() for c in row):
            continue
        if len(row) > len(header):
            raise ParseError(f"{path.name} line {line}: {len(row)} fields but the header has {len(header)}")

        def get(name: str, row=row) -> str:
            i = lower.get(name)
            return row[i] if i is not None and i < len(row) else ""

        name = clean(get("name"))
        if not name:
            raise ParseError(f"{path.name} line {line}: the name is empty")
        countries = []
        for country in split_multi(get("country")):
            cc = country_code(country)
            if not cc:
                raise ParseError(f"{path.name} line {line}: unknown country {country[:60]!r}")
            if cc not in countries:
                countries.append(cc)
        identifiers = []
        for item in split_multi(get("identifiers")):
            scheme, sep, value = item.partition(":")
            if not sep or not scheme.strip() or not value.strip():
                raise ParseError(f"{path.name} line {line}: identifier {item[:60]!r} is not written scheme:value")
            identifiers.append({"scheme": identifier_scheme(scheme), "value": value.strip()})
        entry_type = get("type").strip().lower()
        if entry_type not in ENTRY_TYPES:
            raise ParseError(f"{path.name} line {line}: unknown type {entry_type[:30]!r}")
        ext_id = clean(get("id")) or slug(name)
        if not ext_id:
            raise ParseError(f"{path.name} line {line}: cannot derive an id from the name {name!r}")
        yield ParsedEntry(
            external_id=ext_id,
            primary_name=name,
            entry_type=entry_type or "entity",
            aliases=[a for a in split_multi(get("aliases")) if a != name],
            sub_list="In-house",
            countries=countries,
            identifiers=identifiers,
            listed_on=parse_date(get("listed_on")),
            end_date=parse_date(get("end_date")),
            remarks=clean(get("reason")),
            source_url=get("source_url").strip(),
        )


def parse(paths: list[Path]) -> Iterator[ParsedEntry]:
    """Entries of one in-house blocklist file."""
    return merge_repeats(_entries(single_path(paths, FORMAT)))
