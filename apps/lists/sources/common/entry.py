"""What every parser produces (ParsedEntry), and the merging of repeated rows of one entity."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields

from .text import unique

# A list's own type word -> the entry_type, for the lists that use the project's words (OFAC, CSL)
ENTRY_TYPES = {"entity": "entity", "individual": "individual", "vessel": "vessel", "aircraft": "aircraft"}


@dataclass
class ParsedEntry:
    external_id: str
    primary_name: str
    entry_type: str = "entity"  # apps.lists.choices.EntryType value
    aliases: list[str] = field(default_factory=list)
    sub_list: str = ""  # CSL `source` (Entity List, MEU, DPL...), or the list within a regime
    programs: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)  # ISO 3166 alpha-2 where known
    addresses: list[str] = field(default_factory=list)
    identifiers: list[dict] = field(default_factory=list)  # {"scheme": ..., "value": ..., "country": ...}
    listed_on: dt.date | None = None
    end_date: dt.date | None = None
    remarks: str = ""
    source_url: str = ""
    parent_name: str = ""  # e.g. the 1260H "Parent Name"
    scope: str = ""  # e.g. FCC covered equipment scope
    extra: dict = field(default_factory=dict)

    def content_hash(self) -> str:
        """sha256 of the canonical content: the same entry in two versions hashes the same.

        A shallow field dict gives the same JSON as dataclasses.asdict without its deep copy (which was a third
        of ingestion time); values are only read here."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["listed_on"] = self.listed_on.isoformat() if self.listed_on else None
        data["end_date"] = self.end_date.isoformat() if self.end_date else None
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def merge_into(target: ParsedEntry, other: ParsedEntry) -> ParsedEntry:
    """Fold a repeated row of the same entity into ``target`` (names, lists and missing scalars)."""
    target.aliases = unique(
        [*target.aliases, *([other.primary_name] if other.primary_name else []), *other.aliases],
        exclude=[target.primary_name],
    )
    for attr in ("programs", "countries", "addresses"):
        setattr(target, attr, unique([*getattr(target, attr), *getattr(other, attr)]))
    seen = {(i.get("scheme"), i.get("value")) for i in target.identifiers}
    for ident in other.identifiers:
        key = (ident.get("scheme"), ident.get("value"))
        if key not in seen:
            seen.add(key)
            target.identifiers.append(ident)
    for attr in ("listed_on", "end_date", "source_url", "parent_name", "scope", "sub_list"):
        if not getattr(target, attr) and getattr(other, attr):
            setattr(target, attr, getattr(other, attr))
    if other.listed_on and target.listed_on and other.listed_on < target.listed_on:
        target.listed_on = other.listed_on
    if other.remarks and other.remarks not in target.remarks:
        target.remarks = f"{target.remarks}\n{other.remarks}".strip()
    return target


def merge_repeats(entries: Iterable[ParsedEntry]) -> Iterator[ParsedEntry]:
    """Merge consecutive rows with the same external_id; give a later, non-adjacent repeat a stable suffix.

    Streaming: holds one pending entry plus the set of ids seen (strings only). A non-adjacent repeat cannot
    be merged into an entry already yielded, so it becomes ``<id>~2`` (``~3``...) with
    ``extra["repeat_of"]``; the ids stay unique within the parse and deterministic for the same file.
    """
    pending: ParsedEntry | None = None
    seen: dict[str, int] = {}
    for entry in entries:
        if pending is not None and entry.external_id == pending.external_id:
            merge_into(pending, entry)
            continue
        if pending is not None:
            yield pending
        count = seen.get(entry.external_id, 0)
        seen[entry.external_id] = count + 1
        if count:
            entry.extra["repeat_of"] = entry.external_id
            entry.external_id = f"{entry.external_id}~{count + 1}"
        pending = entry
    if pending is not None:
        yield pending
