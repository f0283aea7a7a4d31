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


_SCHEMES = {
    "legal entity number": "lei",
    "lei": "lei",
    "leicode": "lei",
    "unified social credit code (uscc)": "uscc",
    "unified social credit code": "uscc",
    "uscc": "uscc",
    "china unified social credit code": "uscc",
    "swift/bic": "bic",
    "swift": "bic",
    "bic": "bic",
    "swiftbic": "bic",
    "imo": "imo",
    "vessel registration identification": "imo",
    "imonumber": "imo",
    "registration number": "registration",
    "registrationnumber": "registration",
    "business registration number": "registration",
    "business registration document #": "registration",
    "company number": "registration",
    "tax id no.": "tax_id",
    "tax id": "tax_id",
    "taxnumber": "tax_id",
    "inn": "inn",
    "inncode": "inn",
    "ogrn": "ogrn",
    "ogrncode": "ogrn",
    "passport": "passport",
    "passportnumber": "passport",
    "national id no.": "national_id",
    "idnumber": "national_id",
    "national identification number": "national_id",
    "isin": "isin",
    "isincode": "isin",
    "duns": "duns",
    "dunscode": "duns",
    "us fein": "us_fein",
    "website": "website",
    "email address": "email",
    "cage": "cage",
    "ticker": "ticker",
    "equity ticker": "ticker",
}
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
def identifier_scheme(label: str) -> str:
    """Canonical scheme for an identifier label (``Legal Entity Number`` -> ``lei``); else a slug of it."""
    low = clean(label).lower().rstrip(":")
    if low in _SCHEMES:
        return _SCHEMES[low]
    return re.sub(r"[^a-z0-9]+", "_", low).strip("_")


@lru_cache(maxsize=4096)
def is_identifier_label(label: str) -> bool:
    low = label.strip().lower()
    return bool(low) and not any(low.startswith(p) or p in low for p in _NOT_IDENTIFIERS)


def make_identifier(label: str, value: str, country: str = "") -> dict | None:
    value = clean(value)
    if not value or not is_identifier_label(label):
        return None
    ident = {"scheme": identifier_scheme(label), "value": value}
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


def iter_json_array(path: Path, key: str) -> Iterator[dict]:
    """Stream the objects of the array under top-level ``key`` (or of a top-level array) without loading the
    document: objects are decoded one at a time with ``raw_decode`` from a bounded buffer."""
    sniff_file(path, kind="json")
    decoder = json.JSONDecoder()
    try:
        fh = open(path, encoding="utf-8-sig", errors="strict")  # noqa: SIM115 - closed in finally
    except OSError as exc:
        raise ParseError(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc
    try:
        buf = fh.read(_JSON_CHUNK)
        eof = len(buf) < _JSON_CHUNK
        start = buf.lstrip()
        if start.startswith("["):
            pos = buf.index("[") + 1
        else:
            pattern = re.compile(r'"' + re.escape(key) + r'"\s*:\s*\[')
            match = pattern.search(buf)
            while match is None and not eof and len(buf) < 4 * _JSON_CHUNK:
                more = fh.read(_JSON_CHUNK)
                eof = len(more) < _JSON_CHUNK
                buf += more
                match = pattern.search(buf)
            if match is None:
                raise ParseError(f'{path.name}: no "{key}" array in the first part of the JSON document')
            pos = match.end()
        while True:
            while True:  # skip separators
                while pos < len(buf) and buf[pos] in " \t\r\n,":
                    pos += 1
                if pos < len(buf) or eof:
                    break
                buf, pos = buf[pos:] + fh.read(_JSON_CHUNK), 0
                eof = len(buf) < _JSON_CHUNK
            if pos >= len(buf):
                raise ParseError(f"{path.name}: truncated JSON (the array is not closed)")
            if buf[pos] == "]":
                return
            while True:
                try:
                    obj, end = decoder.raw_decode(buf, pos)
                    break
                except json.JSONDecodeError as exc:
                    if eof:
                        raise ParseError(f"{path.name}: invalid or truncated JSON: {exc.msg}") from exc
                    if len(buf) - pos > MAX_LINE_BYTES:
                        raise ParseError(f"{path.name}: one record is larger than {MAX_LINE_BYTES} bytes") from exc
                    more = fh.read(_JSON_CHUNK)
                    eof = len(more) < _JSON_CHUNK
                    buf, pos = buf[pos:] + more, 0
            if not isinstance(obj, dict):
                raise ParseError(f"{path.name}: expected objects in the array, got {type(obj).__name__}")
            yield obj
            pos = end
            if pos > _JSON_CHUNK:
                buf, pos = buf[pos:], 0
    except UnicodeDecodeError as exc:
        raise ParseError(f"{path.name}: not valid utf-8 text: wrong encoding or binary data") from exc
    finally:
        fh.close()
