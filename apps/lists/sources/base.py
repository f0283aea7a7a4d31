"""What every source module produces: normalised entries, streamed; and the helpers they share.

A source module (one per published format) exposes::

    FORMAT: str                       # key stored on ListSource.format
    DESCRIPTION: str                  # one line for admins
    def parse(paths: list[Path]) -> Iterator[ParsedEntry]   # streams; raises ParseError on bad content
    # delta-capable formats also:
    IS_DELTA_CAPABLE = True
    def parse_delta(paths) -> Iterator[tuple[str, ParsedEntry | str]]   # ("ADD"|"MOD", entry) / ("DEL", id)

Parsers are pure (no ORM) and take file paths, so they are tested on the real files in
../shared/data/lists and on small fixtures. See docs/list-formats.md.

The helpers live in ``apps.lists.sources.common``, one concern per module; this module re-exports them so a
parser (or a test) can import everything from one place:

- ``common.errors``: ParseError. ``common.entry``: ParsedEntry, ENTRY_TYPES, merge_into, merge_repeats,
  NameGroups (rows written one per name, grouped by the designation's id).
- ``common.files``: sniff_file (empty file, HTML error page, NUL bytes/UTF-16, gzip/zip refused before any
  parsing work), open_text (strict decoding: a wrong encoding is a ParseError, not mojibake), translate_errors,
  read_tail, file_ends_with_newline, single_path, paths_by_name; the bounds MAX_FIELD_CHARS, MAX_LINE_BYTES.
- ``common.csv_rows``: iter_csv_rows (the one strict CSV reader, with the truncation checks), require_columns,
  csv_records (the header-row loop: required columns, the header's width, ``(line, get)`` per record).
- ``common.xmlfiles``: iter_xml (lxml iterparse: DTDs, entities and external references refused; elements cleared
  as soon as used), xml_entries (an XML format's whole parse: one file, its records built and merged),
  xml_end_check, xml_text, xml_findall, xml_namespace, local_name.
- ``common.jsonfiles``: iter_json_lines (bounded lines), iter_json_array (a streamed array, the whole document
  checked to its end).
- ``common.text``: clean, split_multi, unique, slug. ``common.dates``: parse_date.
  ``common.countries``: country_code, countries_from. ``common.identifiers``: make_identifier,
  identifier_scheme and is_identifier_label (the scheme table and canonical value: apps.vendors.identifiers).
"""

from __future__ import annotations

from apps.lists.sources.common.countries import countries_from, country_code
from apps.lists.sources.common.csv_rows import csv_records, iter_csv_rows, require_columns
from apps.lists.sources.common.dates import parse_date
from apps.lists.sources.common.entry import ENTRY_TYPES, NameGroups, ParsedEntry, merge_into, merge_repeats
from apps.lists.sources.common.errors import ParseError
from apps.lists.sources.common.files import (
    MAX_FIELD_CHARS,
    MAX_LINE_BYTES,
    SNIFF_BYTES,
    file_ends_with_newline,
    open_text,
    paths_by_name,
    read_tail,
    single_path,
    sniff_file,
    translate_errors,
)
from apps.lists.sources.common.identifiers import identifier_scheme, is_identifier_label, make_identifier
from apps.lists.sources.common.jsonfiles import iter_json_array, iter_json_lines
from apps.lists.sources.common.text import SLUG_MAX, clean, slug, split_multi, unique
from apps.lists.sources.common.xmlfiles import (
    iter_xml,
    local_name,
    xml_end_check,
    xml_entries,
    xml_findall,
    xml_namespace,
    xml_text,
)

__all__ = [
    "ENTRY_TYPES", "MAX_FIELD_CHARS", "MAX_LINE_BYTES", "SLUG_MAX", "SNIFF_BYTES", "NameGroups", "ParseError",
    "ParsedEntry", "clean", "countries_from", "country_code", "csv_records", "file_ends_with_newline",
    "identifier_scheme", "is_identifier_label", "iter_csv_rows", "iter_json_array", "iter_json_lines", "iter_xml",
    "local_name", "make_identifier", "merge_into", "merge_repeats", "open_text", "parse_date", "paths_by_name",
    "read_tail", "require_columns", "single_path", "slug", "sniff_file", "split_multi", "translate_errors", "unique",
    "xml_end_check", "xml_entries", "xml_findall", "xml_namespace", "xml_text",
]  # fmt: skip
