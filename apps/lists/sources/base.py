"""What every source module produces: normalised entries, streamed.

A source module (one per published format) exposes::

    FORMAT: str                       # key stored on ListSource.format
    def parse(paths: list[Path]) -> Iterator[ParsedEntry]   # streams; raises ParseError on bad content
    def fetch(...)                    # optional: how to download the files (default: one URL -> one file)

Parsers are pure (no ORM) and take file paths, so they are tested on the real files in
../shared/data/lists and on small fixtures.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field


class ParseError(ValueError):
    """The file is not what the format says: wrong columns, binary garbage, an HTML page, a truncated file."""


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
        """sha256 of the canonical content: the same entry in two versions hashes the same."""
        data = asdict(self)
        data["listed_on"] = self.listed_on.isoformat() if self.listed_on else None
        data["end_date"] = self.end_date.isoformat() if self.end_date else None
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
