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

Safety rules every parser follows (helpers below):
- ``sniff_file`` looks at the first bytes before parsing: empty file, HTML error page, NUL bytes (binary or
  UTF-16), gzip/zip archives are refused with a ParseError before any parsing work.
- text is decoded strictly (a wrong encoding is a ParseError, not mojibake silently stored);
- CSV fields are bounded by ``csv.field_size_limit`` (``MAX_FIELD_CHARS``), JSON lines by ``MAX_LINE_BYTES``;
- XML goes through defusedxml ``iterparse`` with DTDs, entities and external references forbidden, and
  elements are cleared as soon as an entry is built, so memory stays flat.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import ParseError as XMLParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from apps.vendors.identifiers import identifier_canonical, identifier_scheme

MAX_FIELD_CHARS = 131_072  # one CSV field; also the stdlib default, set explicitly so the bound is visible
MAX_LINE_BYTES = 8 * 1024 * 1024  # one JSON line (a single FtM entity is a few KB; 8 MB is generous)
SNIFF_BYTES = 65_536

csv.field_size_limit(MAX_FIELD_CHARS)


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
        """sha256 of the canonical content: the same entry in two versions hashes the same.

        A shallow field dict gives the same JSON as dataclasses.asdict without its deep copy (which was a third
        of ingestion time); values are only read here."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["listed_on"] = self.listed_on.isoformat() if self.listed_on else None
        data["end_date"] = self.end_date.isoformat() if self.end_date else None
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


# --------------------------------------------------------------------------------------------------------------
# Files: sniffing, strict decoding, error translation
# --------------------------------------------------------------------------------------------------------------


def sniff_file(path: Path, *, kind: str) -> bytes:
    """Refuse obviously wrong content fast and return the first bytes. kind: "csv", "xml" or "json"."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise ParseError(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc
    name = path.name
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n\x1a")
    if not stripped:
        raise ParseError(f"{name}: empty file")
    if head.startswith(b"\x1f\x8b"):
        raise ParseError(f"{name}: gzip-compressed data; decompress it before parsing")
    if head.startswith(b"PK\x03\x04"):
        raise ParseError(f"{name}: zip archive; extract the list file before parsing")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise ParseError(f"{name}: NUL bytes found: binary data or UTF-16 text, not a {kind.upper()} list")
    low = stripped[:1024].lower()
    if low.startswith((b"<!doctype html", b"<html")) or (low.startswith(b"<") and b"<html" in low):
        raise ParseError(f"{name}: an HTML page (an error or login page?) instead of {kind.upper()} data")
    if kind != "xml" and stripped.startswith(b"<"):
        raise ParseError(f"{name}: markup (HTML or XML) instead of {kind.upper()} data")
    if kind == "xml" and not stripped.startswith(b"<"):
        raise ParseError(f"{name}: not XML (does not start with '<')")
    if kind == "json" and not stripped.startswith((b"{", b"[")):
        raise ParseError(f"{name}: not JSON (does not start with '{{' or '[')")
    return head


def open_text(path: Path, *, encoding: str = "utf-8", kind: str = "csv") -> IO[str]:
    """Sniff, then open for strict decoding; utf-8 also accepts (and drops) a BOM."""
    sniff_file(path, kind=kind)
    enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    return open(path, encoding=enc, errors="strict", newline="")


@contextlib.contextmanager
def translate_errors(path: Path, *, encoding: str = "utf-8", where: Callable[[], str] | None = None):
    """Turn decoding/CSV/JSON errors raised while reading ``path`` into ParseError with a clear reason."""
    try:
        yield
    except ParseError:
        raise
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"{path.name}: not valid {encoding} text (byte {exc.object[exc.start : exc.start + 1]!r} "
            f"at offset ~{exc.start} of a chunk): wrong encoding or binary data"
        ) from exc
    except csv.Error as exc:
        loc = where() if where else ""
        msg = str(exc)
        if "field larger than field limit" in msg:
            msg = f"a field is longer than {MAX_FIELD_CHARS} characters (corrupt file or wrong format)"
        elif "NUL" in msg:
            msg = "NUL byte in data: binary or UTF-16 content"
        raise ParseError(f"{path.name}{loc}: malformed CSV: {msg}") from exc
    except json.JSONDecodeError as exc:
        loc = where() if where else ""
        raise ParseError(f"{path.name}{loc}: invalid JSON: {exc.msg} at column {exc.colno}") from exc
    except OSError as exc:
        raise ParseError(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc


_TAIL_BYTES = 64


def file_ends_with_newline(path: Path) -> bool:
    """True when the file's last line is terminated (a trailing Ctrl-Z end byte, as OFAC writes, is ignored).

    Reads only the last bytes (seek to the tail), so it costs nothing on files of hundreds of MB."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - _TAIL_BYTES))
            tail = fh.read()
    except OSError as exc:
        raise ParseError(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc
    return tail.rstrip(b"\x1a").endswith((b"\n", b"\r"))


def iter_csv_rows(
    path: Path, *, encoding: str = "utf-8", final_newline: bool = False
) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of every record of a CSV file, read strictly. The one CSV reader of the parsers.

    Why strict: the stdlib's default reader accepts an unterminated quote at the end of the file and returns
    the half record as if it were whole, so a download cut mid-record went live with a corrupted last entry.
    Here every malformed record is a ParseError naming the file and line, and the *last* record is checked:

    - an unterminated quote, or text after a closing quote, is an error (``strict=True``);
    - ``final_newline=True`` (formats whose publisher always ends the file with a line break: CSL, OFAC legacy,
      OFSI, the OpenSanctions tabulations) refuses a file whose last line is not terminated, checked first by
      reading the file's tail, before any row is parsed;
    - for every format, a file without a final line break whose last record has fewer fields than the
      widest record before it is refused: the file was cut inside that record. (A short last record that
      *is* terminated is left to the parser's own column checks: some hand-kept files have ragged rows.)

    The line number is the line on which the record ends (``csv.reader.line_num``). Blank lines are yielded
    as empty lists, as csv.reader gives them; parsers skip them.
    """
    ends_with_newline = file_ends_with_newline(path)
    if final_newline and not ends_with_newline:
        sniff_file(path, kind="csv")  # an empty/HTML/binary file gets its own, clearer reason
        raise ParseError(
            f"{path.name}: the last line is not terminated (no final line break): the file is truncated "
            "(this format always ends with a line break)"
        )
    with open_text(path, encoding=encoding, kind="csv") as fh:
        reader = csv.reader(fh, strict=True)
        with translate_errors(path, encoding=encoding, where=lambda: f" line {reader.line_num}"):
            widest = 0  # fields of the widest record before the last one
            pending: tuple[int, list[str]] | None = None
            for row in reader:  # one record of lookahead, so the last one can be checked before it is yielded
                if pending is not None:
                    widest = max(widest, len(pending[1]))
                    yield pending
                pending = (reader.line_num, row)
            if pending is None:
                return
            line, row = pending
            if not ends_with_newline and any(c.strip() for c in row) and len(row) < widest:
                raise ParseError(
                    f"{path.name} line {line}: the last record has {len(row)} fields, fewer than the {widest} of "
                    "the records before it, and no final line break: the file is truncated"
                )
            yield pending


def require_columns(header: list[str] | None, required: Iterable[str], path: Path) -> dict[str, int]:
    """Map column name -> index; ParseError naming the missing columns if any required one is absent."""
    if not header:
        raise ParseError(f"{path.name}: empty file (no header row)")
    names = [h.strip().lstrip("\ufeff") for h in header]
    index = {}
    for i, h in enumerate(names):
        index.setdefault(h, i)
        index.setdefault(h.lower(), i)
    missing = [c for c in required if c not in index and c.lower() not in index]
    if missing:
        shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        raise ParseError(f"{path.name}: missing column(s) {', '.join(missing)}; the header has: {shown}")
    return index


def paths_by_name(paths: Iterable[Path]) -> dict[str, Path]:
    return {Path(p).name.lower(): Path(p) for p in paths}


def single_path(paths: list[Path], fmt: str) -> Path:
    paths = [Path(p) for p in paths]
    if len(paths) != 1:
        raise ParseError(f"{fmt}: expected exactly one file, got {len(paths)}")
    return paths[0]


# --------------------------------------------------------------------------------------------------------------
# Values: text, dates, countries, identifiers
# --------------------------------------------------------------------------------------------------------------

_WS = re.compile(r"\s+")


def clean(value: str | None) -> str:
    """Collapse whitespace and strip; None -> ''."""
    if not value:
        return ""
    if "  " in value or "\n" in value or "\t" in value or "\r" in value or "\xa0" in value:
        return _WS.sub(" ", value).strip()
    return value.strip()


def split_multi(value: str | None, sep: str = ";") -> list[str]:
    """Split a packed multi-value field, dropping blanks and duplicates, keeping order."""
    if not value:
        return []
    out: list[str] = []
    for part in value.split(sep):
        part = clean(part)
        if part and part not in out:
            out.append(part)
    return out


def unique(values: Iterable[str], *, exclude: Iterable[str] = ()) -> list[str]:
    seen = set(exclude)
    out = []
    for v in values:
        if v and v not in seen:
            seen.add(v)
            out.append(v)
    return out


_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_DATE_NUMERIC = re.compile(r"^(\d{1,4})[-/.](\d{1,2})[-/.](\d{1,4})")
_DATE_WORDY = re.compile(
    r"^(?:(\d{1,2})[\s-]+([A-Za-z]{3,9})\.?,?[\s-]+(\d{4})|([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4}))"
)


def _mkdate(y: int, m: int, d: int) -> dt.date | None:
    if y < 1000 or m < 1 or d < 1:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def parse_date(value: str | None, *, dayfirst: bool = True) -> dt.date | None:
    """Parse the date forms found in the lists; partial or bad dates give None, never an exception.

    ISO ``2021-03-12`` (and ``2021-03-12T00:00:00``), ``12/03/2021`` (day first unless dayfirst=False),
    ``12.3.2021``, ``12 Mar 2021``, ``08-Oct-2026``, ``March 12, 2021``.
    ``00/00/1980`` and ``1980`` are partial -> None.
    """
    if not value:
        return None
    s = value.strip()
    if not s:
        return None
    if len(s) >= 10 and s[4] == "-" and s[7] == "-":
        try:
            return dt.date(int(s[0:4]), int(s[5:7]), int(s[8:10]))
        except ValueError:
            return None
    m = _DATE_NUMERIC.match(s)
    if m:
        a, b, c = (int(x) for x in m.groups())
        if len(m.group(1)) == 4:
            return _mkdate(a, b, c)
        return _mkdate(c, b, a) if dayfirst else _mkdate(c, a, b)
    m = _DATE_WORDY.match(s)
    if m:
        if m.group(1):
            day, mon, year = m.group(1), m.group(2), m.group(3)
        else:
            mon, day, year = m.group(4), m.group(5), m.group(6)
        month = _MONTHS.get(mon.lower())
        if month:
            return _mkdate(int(year), month, int(day))
    return None


_COUNTRY_FIXES = {
    "palestinian": "PS",
    "region: crimea": "UA",
    "region: gaza": "PS",
    "region: northern mali": "ML",
    "region: kurdistan region": "IQ",
    "undetermined": "",
}


@lru_cache(maxsize=4096)
def country_code(name: str | None) -> str:
    """ISO 3166-1 alpha-2 (upper case) for a country name or code, or "" when unknown.

    Uses rigour's territory database (names, former names, alpha-2/alpha-3 codes). Sub-national codes
    (``gb-sct``) map to their country; historical codes (``suhh``) give "".
    """
    if not name:
        return ""
    s = name.strip().strip(".").strip()
    if not s:
        return ""
    low = s.lower()
    if low in _COUNTRY_FIXES:
        return _COUNTRY_FIXES[low]
    from rigour.territories import lookup_territory  # local import: rigour loads its data lazily

    try:
        territory = lookup_territory(s)
    except Exception:  # noqa: BLE001 - a lookup failure must never break a parse
        return ""
    if territory is None:
        return ""
    code = territory.code
    if len(code) == 2 and code != "zz":
        return code.upper()
    if len(code) > 3 and code[2] == "-":
        return code[:2].upper()
    return ""


def countries_from(values: Iterable[str]) -> list[str]:
    return unique(country_code(v) for v in values)


_NOT_IDENTIFIERS = (
    "additional sanctions information",
    "gender",
    "target type",
    "secondary sanctions risk",
    "transactions prohibited",
    "organization type",
    "nationality of registration",
    "issuer name",
    "caatsa section",
    "phone number",
    "effective date",
    "listing date",
    "purchase/sales",
    "date",
    "executive order",
    "other vessel",
    "vessel flag",
    "vessel type",
    "aircraft model",
    "birth",
    "birthdate",
    "nationality",
    "citizenship",
    "capta list",
    "location",
    "title",
    "prohibited",
    "aircraft operator",
    "organization established",
)


@lru_cache(maxsize=4096)
def is_identifier_label(label: str) -> bool:
    low = label.strip().lower()
    return bool(low) and not any(low.startswith(p) or p in low for p in _NOT_IDENTIFIERS)


def make_identifier(label: str, value: str, country: str = "") -> dict | None:
    """``{"scheme", "value"[, "country"]}`` for an identifier item, or None when the label is not an identifier
    or the value has nothing an identifier could be compared on.

    The scheme is the canonical one (apps.vendors.identifiers.identifier_scheme, the one scheme table); the
    value keeps the publisher's spelling for display (``HRB 12345``), and every comparison goes through
    identifier_canonical, so both spellings are one."""
    value = clean(value)
    if not value or not is_identifier_label(label):
        return None
    scheme = identifier_scheme(label)
    if not identifier_canonical(scheme, value):
        return None
    ident = {"scheme": scheme, "value": value}
    cc = country_code(country) if country else ""
    if cc:
        ident["country"] = cc
    return ident


_SLUG = re.compile(r"[^a-z0-9]+")


SLUG_MAX = 96


def slug(value: str) -> str:
    """ascii lower-case slug: ``Hangzhou Hikvision Co., Ltd.`` -> ``hangzhou-hikvision-co-ltd``.

    Longer than SLUG_MAX: cut and suffixed with 8 hex of a sha1 of the full value, so ids stay short (the
    database column is 128) and distinct. A name without any ASCII letter or digit (e.g. only Chinese) gives
    ``u-<sha1 prefix>``.
    """
    ascii_ = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    result = _SLUG.sub("-", ascii_.lower()).strip("-")
    if not result and value.strip():
        return "u-" + hashlib.sha1(value.strip().encode()).hexdigest()[:16]
    if len(result) > SLUG_MAX:
        result = result[:SLUG_MAX].rstrip("-") + "-" + hashlib.sha1(result.encode()).hexdigest()[:8]
    return result


# --------------------------------------------------------------------------------------------------------------
# Entries: merging repeats
# --------------------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------------------
# XML: defused, streaming
# --------------------------------------------------------------------------------------------------------------


def local_name(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rsplit("}", 1)[-1] if tag[:1] == "{" else tag


_XML_TAIL_BYTES = 4096
_XML_TRAILER = re.compile(rb"(?:\s|<!--(?:(?!-->).)*-->|<\?(?:(?!\?>).)*\?>)*\Z", re.DOTALL)


def xml_end_check(path: Path, root: str) -> None:
    """Refuse a file that does not end with the closing tag of its root element (``</sdnList>``,
    ``</ns:export>``), reading only its tail.

    Why before parsing: a download without Content-Length that stopped early is otherwise found only when the
    streaming parse reaches the end, after every entry was parsed and stored; the tail tells at once. The
    parse still checks the whole document (an unclosed element is a ParseError there too). Whitespace,
    comments and processing instructions may follow the root, as XML allows.
    """
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - _XML_TAIL_BYTES))
            tail = fh.read()
    except OSError as exc:
        raise ParseError(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc
    closing = re.compile(rb"</(?:[\w.-]+:)?" + re.escape(root.encode()) + rb"\s*>")
    last = None
    for last in closing.finditer(tail):  # noqa: B007 - we want the last match
        pass
    if last is None or not _XML_TRAILER.match(tail, last.end()):
        raise ParseError(
            f"{path.name}: truncated XML: the file does not end with the closing </{root}> tag of its root element"
        )


def iter_xml(path: Path, tags: set[str], *, roots: set[str], label: str) -> Iterator[tuple[str, object]]:
    """Yield (local name, element) for each element whose local name is in ``tags``, streaming.

    defusedxml forbids DTDs, entity declarations and external references (billion laughs, XXE). Each yielded
    element is cleared and detached from its parent after the consumer has used it, so memory does not grow
    with the file. The root element's local name must be one of ``roots``.
    """
    sniff_file(path, kind="xml")
    stack: list = []
    try:
        for event, elem in iterparse(
            str(path), events=("start", "end"), forbid_dtd=True, forbid_entities=True, forbid_external=True
        ):
            if event == "start":
                if not stack:
                    root = local_name(elem.tag)
                    if root not in roots:
                        raise ParseError(
                            f"{path.name}: not a {label} file: the root element is <{root}>, "
                            f"expected <{'> or <'.join(sorted(roots))}>"
                        )
                    xml_end_check(path, root)
                stack.append(elem)
                continue
            stack.pop()
            name = local_name(elem.tag)
            if name in tags:
                yield name, elem
                elem.clear()
                if stack:
                    stack[-1].remove(elem)
    except ParseError:
        raise
    except DefusedXmlException as exc:
        raise ParseError(
            f"{path.name}: XML with a DTD, entity declarations or external references is refused "
            f"(entity expansion / external entity protection): {type(exc).__name__}"
        ) from exc
    except XMLParseError as exc:
        raise ParseError(f"{path.name}: malformed or truncated XML ({exc})") from exc
    except OSError as exc:
        raise ParseError(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc
    if stack:
        raise ParseError(f"{path.name}: truncated XML (unclosed <{local_name(stack[0].tag)}>)")


def xml_text(elem, path: str = "", ns: str = "") -> str:
    """Stripped text of a child (path with local names, ``ns`` prefix ``{uri}`` added), or ''."""
    if elem is None:
        return ""
    if path:
        if ns:
            path = "/".join(f"{ns}{p}" for p in path.split("/"))
        elem = elem.find(path)
        if elem is None:
            return ""
    return clean(elem.text)


def xml_findall(elem, path: str, ns: str = "") -> list:
    if elem is None:
        return []
    if ns:
        path = "/".join(p if p in (".", "..") else f"{ns}{p}" for p in path.split("/"))
    return elem.findall(path)


# --------------------------------------------------------------------------------------------------------------
# JSON: lines and big arrays, bounded
# --------------------------------------------------------------------------------------------------------------


def iter_json_lines(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line of a JSON-lines file; each line at most MAX_LINE_BYTES."""
    sniff_file(path, kind="json")
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed in finally; a generator cannot use `with` across yields safely
    except OSError as exc:
        raise ParseError(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc
    try:
        number = 0
        while True:
            raw = fh.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            number += 1
            if len(raw) > MAX_LINE_BYTES:
                raise ParseError(f"{path.name} line {number}: a line is longer than {MAX_LINE_BYTES} bytes")
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise ParseError(f"{path.name} line {number}: not valid utf-8 text: wrong encoding") from exc
            except json.JSONDecodeError as exc:
                hint = " (truncated file?)" if not raw.endswith(b"\n") else ""
                raise ParseError(f"{path.name} line {number}: invalid JSON: {exc.msg}{hint}") from exc
            if not isinstance(obj, dict):
                raise ParseError(f"{path.name} line {number}: expected a JSON object, got {type(obj).__name__}")
            yield number, obj
    finally:
        fh.close()


_JSON_CHUNK = 1 << 20
_JSON_WS = " \t\r\n"


class _JsonStream:
    """A bounded window over a JSON text file, for decoding one value at a time with ``raw_decode``.

    Used to walk the top level of a large document (an object's members, an array's items) without loading it,
    while still checking the document's grammar to its very end: a body cut anywhere leaves an unclosed array
    or object, which is refused, even when the download had no Content-Length to check it against.
    """

    _decoder = json.JSONDecoder()

    def __init__(self, fh: IO[str], path: Path):
        self.fh, self.path = fh, path
        self.buf, self.pos, self.eof = "", 0, False

    def _more(self) -> bool:
        """Append the next chunk to the window (dropping what was consumed); False at the end of the file."""
        if self.eof:
            return False
        chunk = self.fh.read(_JSON_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buf, self.pos = self.buf[self.pos :] + chunk, 0
        return True

    def peek(self) -> str:
        """The next character that is not whitespace ('' at the end of the file), without consuming it."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _JSON_WS:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def expect(self, chars: str, what: str) -> str:
        found = self.peek()
        if not found:
            raise ParseError(f"{self.path.name}: truncated JSON: the document ends where {what} was expected")
        if found not in chars:
            raise ParseError(f"{self.path.name}: invalid JSON: expected {what}, found {found!r}")
        self.pos += 1
        return found

    def value(self):
        """Decode the next complete value; a value larger than MAX_LINE_BYTES is refused."""
        self.peek()
        while True:
            try:
                obj, end = self._decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if len(self.buf) - self.pos > MAX_LINE_BYTES:
                    raise ParseError(f"{self.path.name}: one record is larger than {MAX_LINE_BYTES} bytes") from exc
                if not self._more():
                    raise ParseError(f"{self.path.name}: invalid or truncated JSON: {exc.msg}") from exc
                continue
            if end == len(self.buf) and self._more():
                continue  # a number or literal at the window's edge may go on in the next chunk: decode again
            self.pos = end
            return obj


def _json_array_items(stream: _JsonStream) -> Iterator[dict]:
    """The objects of the array whose ``[`` was just consumed, up to and including its ``]``."""
    if stream.peek() == "]":
        stream.pos += 1
        return
    while True:
        obj = stream.value()
        if not isinstance(obj, dict):
            raise ParseError(f"{stream.path.name}: expected objects in the array, got {type(obj).__name__}")
        yield obj
        if stream.expect(",]", "',' or ']' (the array is not closed)") == "]":
            return


def iter_json_array(path: Path, key: str) -> Iterator[dict]:
    """Stream the objects of the array under top-level ``key`` (or of a top-level array) without loading the
    document: values are decoded one at a time from a bounded window.

    The whole document is checked, not only the array: the other top-level members must be well-formed, the
    object (or array) must close, and nothing but whitespace may follow. A file cut after the array's ``]``
    but before the object's ``}`` is truncated too, and is refused.
    """
    sniff_file(path, kind="json")
    try:
        fh = open(path, encoding="utf-8-sig", errors="strict")  # noqa: SIM115 - closed in finally
    except OSError as exc:
        raise ParseError(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc
    stream = _JsonStream(fh, path)
    try:
        if stream.expect("{[", "a JSON object or array") == "[":
            yield from _json_array_items(stream)
        else:
            found = False
            if stream.peek() == "}":
                stream.pos += 1
            else:
                while True:
                    name = stream.value()
                    if not isinstance(name, str):
                        raise ParseError(f"{path.name}: invalid JSON: expected a member name, got {name!r}"[:300])
                    stream.expect(":", "':'")
                    if name == key and not found and stream.peek() == "[":
                        stream.pos += 1
                        found = True
                        yield from _json_array_items(stream)
                    else:
                        stream.value()  # another member (total, sources_used, meta...): checked, not kept
                    if stream.expect(",}", "',' or '}' (the top-level object is not closed)") == "}":
                        break
            if not found:
                raise ParseError(f'{path.name}: no "{key}" array in the JSON document')
        if stream.peek():
            raise ParseError(f"{path.name}: invalid JSON: data after the end of the document")
    except UnicodeDecodeError as exc:
        raise ParseError(f"{path.name}: not valid utf-8 text: wrong encoding or binary data") from exc
    finally:
        fh.close()
