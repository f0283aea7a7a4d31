"""DoD Section 1260H "Chinese military companies" list, project-maintained CSV (layout of the OpenSanctions
transcription ``dod_1260h/sanctions.csv``).

UTF-8 CSV with a header: ``Name, Clean Name, Alias, Previous Name, Parent Name, Note, Start date, End date,
Source Url``.

- One row per entity **per tranche** (2021-06-03, 2022-10-05, 2024-01-31, 2025-01-07, 2026-06-08 ...). An entry
  is one row, so each tranche keeps its own start and end date (a company removed in 2025 and re-listed
  later keeps both facts). **external_id = "<slug of Clean Name>@<Start date>"**, e.g.
  ``hangzhou-hikvision-digital-technology-co-ltd@2021-06-03``. ``extra["entity_key"]`` is the slug alone,
  to group the tranches of one company.
- ``Name`` is the published form "Full Name (Short)*": a trailing ``*`` marks entities that were also on the
  2021 NS-CMIC list (``extra["ns_cmic"] = True``). ``Clean Name`` is the primary name (Name without the short
  form and star when Clean Name is empty).
- ``Alias``: several aliases are separated by ``;`` or by a comma *without* a following space
  ("Knownsec,Beijing Kownsec"); "China Avionics Systems Co., Ltd." stays one alias. ``Previous Name`` is
  ``;``-separated and added to aliases (also kept in ``extra["previous_names"]``).
- ``Parent Name`` -> parent_name; ``Note`` -> remarks; Start/End date (ISO) -> listed_on/end_date.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from apps.lists.sources.base import (
    ParsedEntry,
    ParseError,
    clean,
    csv_records,
    merge_repeats,
    parse_date,
    single_path,
    slug,
    unique,
)

FORMAT = "dod_1260h_csv"
DESCRIPTION = "DoD 1260H Chinese military companies, CSV (one row per entity per tranche)"
REQUIRED = ("Name", "Clean Name", "Alias", "Parent Name", "Start date", "End date")
PROGRAM = "DoD 1260H"

_ALIAS_SPLIT = re.compile(r";|,(?! )")
_SHORT_FORM = re.compile(r"\s*\(([^()]*)\)\s*\*?\s*$")


def _aliases(value: str) -> list[str]:
    return [a for a in (clean(x) for x in _ALIAS_SPLIT.split(value)) if a] if value else []


def _entries(path: Path) -> Iterator[ParsedEntry]:
    # a project-kept transcription: the final line break is not guaranteed
    for line, get in csv_records(path, REQUIRED):
        published = clean(get("Name"))
        ns_cmic = published.endswith("*")
        name = clean(get("Clean Name"))
        short = ""
        m = _SHORT_FORM.search(published)
        if m:
            short = clean(m.group(1))
        if not name:
            name = clean(_SHORT_FORM.sub("", published).rstrip("*")) if m else published.rstrip("* ")
        if not name:
            raise ParseError(f"{path.name} line {line}: row without a name")
        start_raw = get("Start date").strip()
        start = parse_date(start_raw)
        previous = [p for p in (clean(x) for x in get("Previous Name").split(";")) if p]
        aliases = unique([*_aliases(get("Alias")), *([short] if short else []), *previous], exclude=[name])
        key = slug(name)
        extra: dict = {"entity_key": key, "published_name": published, "ns_cmic": ns_cmic}
        if previous:
            extra["previous_names"] = previous
        yield ParsedEntry(
            external_id=f"{key}@{start.isoformat() if start else start_raw or 'undated'}",
            primary_name=name,
            entry_type="entity",
            aliases=aliases,
            sub_list=PROGRAM,
            programs=[PROGRAM],
            listed_on=start,
            end_date=parse_date(get("End date")),
            remarks=clean(get("Note")),
            source_url=get("Source Url").strip(),
            parent_name=clean(get("Parent Name")),
            extra=extra,
        )


def parse(paths: list[Path]) -> Iterator[ParsedEntry]:
    """One entry per tranche row (see module doc for the external_id)."""
    return merge_repeats(_entries(single_path(paths, FORMAT)))
