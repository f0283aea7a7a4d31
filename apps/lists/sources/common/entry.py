"""What every parser produces (ParsedEntry), the merging of repeated rows of one entity, and the grouping of
rows written one per name (NameGroups)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path

from .errors import ParseError
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
    # EquipmentCategory values the scope names (None: no per-entry scope; []: services only, no equipment)
    scope_categories: list[str] | None = None
    extra: dict = field(default_factory=dict)

    def content_hash(self) -> str:
        """sha256 of the canonical content: the same entry in two versions hashes the same.

        A shallow field dict gives the same JSON as dataclasses.asdict without its deep copy (which was a third
        of ingestion time); values are only read here."""
        data = {name: getattr(self, name) for name in _FIELD_NAMES}
        data["listed_on"] = self.listed_on.isoformat() if self.listed_on else None
        data["end_date"] = self.end_date.isoformat() if self.end_date else None
        if self.scope_categories is None:  # absent for lists with no per-entry scope: their hashes stay as they were
            del data["scope_categories"]
        return hashlib.sha256(_HASH_JSON.encode(data).encode()).hexdigest()


_FIELD_NAMES = tuple(f.name for f in fields(ParsedEntry))
# json.dumps(data, sort_keys=True, ensure_ascii=False) byte for byte (the stored hashes were made with it), without
# building an encoder per call.
_HASH_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


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
    if target.scope_categories is None and other.scope_categories is not None:
        target.scope_categories = list(other.scope_categories)
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


class NameGroups:
    """The entries of a list written one row per name (and per other variation) of a designation, grouped by the
    designation's id (the UK lists). The rows of one id need not be adjacent, so every entry is kept until the
    end of the file: memory grows with the number of designations, not of rows.

    The first row of an id starts its entry (``start``); on its later rows (``existing``) the first name flagged
    primary, unless the first row was, takes over ``primary_name`` (the earlier one becomes an alias), and any
    other name is an alias. ``skip_known_names``: a name the entry already holds is not added again (the OFSI
    ConList repeats each name once per date-of-birth variation), so an alias keeps the place of its first row.
    """

    def __init__(self, *, skip_known_names: bool = False) -> None:
        self.entries: dict[str, ParsedEntry] = {}
        self._primary: set[str] = set()
        self._skip_known = skip_known_names

    def existing(self, key: str, name: str, *, primary: bool) -> ParsedEntry | None:
        """The entry of ``key`` with this row's ``name`` taken in, or None on the first row of ``key``."""
        entry = self.entries.get(key)
        if entry is None:
            return None
        if name and primary and key not in self._primary:
            self._primary.add(key)
            entry.aliases.append(entry.primary_name)
            entry.primary_name = name
        elif name and not (self._skip_known and (name == entry.primary_name or name in entry.aliases)):
            entry.aliases.append(name)
        return entry

    def start(self, key: str, name: str, *, primary: bool, **fields) -> ParsedEntry:
        """The entry of ``key`` from its first row: named ``name`` (``primary``: flagged primary), with ``fields``."""
        entry = self.entries[key] = ParsedEntry(external_id=key, primary_name=name, **fields)
        if primary:
            self._primary.add(key)
        return entry

    def finished(self, path: Path, what: str) -> Iterator[ParsedEntry]:
        """The entries in order of first appearance, aliases and countries de-duplicated. An entry without a
        name takes its first alias; with none either it is a ParseError naming the ``what`` (group, designation)."""
        for key, entry in self.entries.items():
            if not entry.primary_name:
                entry.primary_name = entry.aliases.pop(0) if entry.aliases else ""
            if not entry.primary_name:
                raise ParseError(f"{path.name}: {what} {key} has no name")
            entry.aliases = unique(entry.aliases, exclude=[entry.primary_name])
            entry.countries = unique(entry.countries)
            yield entry
