"""OFAC Sanctions List Service "enhanced" XML (SDN_ENHANCED.XML / CONS_ENHANCED.XML).

UTF-8 XML, namespace ``https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ENHANCED_XML``.
Root ``sanctionsData``: ``publicationInfo`` (``dataAsOf``), ``referenceValues`` (a ``refId`` -> type/value lookup
table), ``featureTypes``, then ``entities/entity[@id]``. An entity has ``generalInfo`` (entityType, remarks),
``sanctionsLists`` (with ``datePublished``), ``sanctionsPrograms``, ``names/name`` (``isPrimary``,
``aliasType`` A.K.A./F.K.A./N.K.A., ``isLowQuality``, ``translations/translation`` with ``isPrimary``,
``script`` and ``formattedFullName``), ``addresses/address`` (``country`` + ``addressParts``), ``features/feature``
(type + value: ISIN, website, nationality, listing dates ...) and ``identityDocuments/identityDocument``.

Mapping:
- external_id = ``entity/@id`` (equals the legacy CSV ent_num).
- primary_name = primary translation of the primary name; every other translation (other scripts) and every
  other name (a.k.a., f.k.a., n.k.a., low-quality "weak" names) -> aliases.
- sub_list = the most specific list ("Non-SDN CMIC List", "SDN List", ... rather than "Consolidated List");
  all lists in ``extra["sanctions_lists"]``; listed_on = the earliest ``datePublished``.
- referenceValues resolve a ``refId`` when an element carries no text.
- features whose type is an identifier (ISIN, SWIFT/BIC, Website, LEI ...) and identityDocuments ->
  identifiers; "Nationality Country"/"Citizenship Country"/"Nationality of Registration" -> countries.
Streaming: lxml iterparse (common.xmlfiles.iter_xml: DTDs and entities refused); each referenceValue and entity
is cleared once read, and children are looked up with lxml's C-level ``iterchildren(tag)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from apps.lists.sources.base import (
    ENTRY_TYPES,
    ParsedEntry,
    ParseError,
    clean,
    country_code,
    make_identifier,
    parse_date,
    unique,
    xml_entries,
    xml_namespace,
)

FORMAT = "ofac_enhanced_xml"
DESCRIPTION = "OFAC Sanctions List Service enhanced XML (SDN or consolidated)"
_GENERIC_LISTS = {"Consolidated List"}
_COUNTRY_FEATURES = ("nationality country", "citizenship country", "nationality of registration")


class _Tags:
    """The qualified tag names of one namespace, made once per file: lxml's ``iterchildren(tag)`` filters in C,
    where a ``find("a/b")`` path goes through lxml's ElementPath in Python (most of the parse time before)."""

    _NAMES = (
        "generalInfo", "entityType", "remarks", "names", "name", "isPrimary", "translations", "translation",
        "formattedFullName", "sanctionsLists", "sanctionsList", "sanctionsPrograms", "sanctionsProgram",
        "addresses", "address", "country", "addressParts", "addressPart", "value", "features", "feature", "type",
        "valueRefId", "identityDocuments", "identityDocument", "documentNumber", "issuingCountry",
    )  # fmt: skip

    def __init__(self, ns: str):
        self.ns = ns
        for name in self._NAMES:
            setattr(self, name, f"{ns}{name}")


def _child(elem, tag: str):
    """The first child with the qualified ``tag``, or None."""
    for child in elem.iterchildren(tag):
        return child
    return None


def _grandchildren(elem, outer: str, inner: str) -> list:
    """The ``inner`` children of every ``outer`` child: ``outer/inner`` without ElementPath."""
    return [item for group in elem.iterchildren(outer) for item in group.iterchildren(inner)]


def _ctext(elem, tag: str) -> str:
    child = _child(elem, tag)
    return clean(child.text) if child is not None else ""


def _text(elem, refs: dict[str, str]) -> str:
    if elem is None:
        return ""
    text = clean(elem.text)
    if not text:
        text = refs.get(elem.get("refId", ""), "")
    return text


def _entity(elem, refs: dict[str, str], path: Path, q: _Tags) -> ParsedEntry:
    ent_id = clean(elem.get("id"))
    if not ent_id:
        raise ParseError(f"{path.name}: an <entity> without an id attribute")
    general = _child(elem, q.generalInfo)
    raw_type = _text(_child(general, q.entityType), refs).lower() if general is not None else ""
    primary = ""
    aliases: list[str] = []
    for name in _grandchildren(elem, q.names, q.name):
        is_primary = _ctext(name, q.isPrimary).lower() == "true"
        for tr in _grandchildren(name, q.translations, q.translation):
            full = _ctext(tr, q.formattedFullName)
            if not full:
                continue
            if is_primary and not primary and _ctext(tr, q.isPrimary).lower() == "true":
                primary = full
            else:
                aliases.append(full)
    if not primary:
        if not aliases:
            raise ParseError(f"{path.name}: entity {ent_id} has no name")
        primary = aliases.pop(0)
    lists = []
    dates = []
    for sl in _grandchildren(elem, q.sanctionsLists, q.sanctionsList):
        label = _text(sl, refs)
        if label:
            lists.append(label)
        published = parse_date(sl.get("datePublished"))
        if published:
            dates.append(published)
    specific = [x for x in lists if x not in _GENERIC_LISTS]
    programs = unique(_text(p, refs) for p in _grandchildren(elem, q.sanctionsPrograms, q.sanctionsProgram))
    addresses: list[str] = []
    countries: list[str] = []
    for addr in _grandchildren(elem, q.addresses, q.address):
        country = _text(_child(addr, q.country), refs)
        parts = []
        for tr in _grandchildren(addr, q.translations, q.translation):
            if _ctext(tr, q.isPrimary).lower() != "true":
                continue
            parts = [_ctext(part, q.value) for part in _grandchildren(tr, q.addressParts, q.addressPart)]
        text = ", ".join(p for p in [*parts, country] if p)
        if text:
            addresses.append(text)
        if country:
            countries.append(country_code(country))
    identifiers: list[dict] = []
    extra: dict = {}
    for feature in _grandchildren(elem, q.features, q.feature):
        ftype = _text(_child(feature, q.type), refs)
        value = _ctext(feature, q.value) or refs.get(_ctext(feature, q.valueRefId), "")
        if not ftype or not value:
            continue
        low = ftype.lower()
        if low.startswith(_COUNTRY_FEATURES):
            countries.append(country_code(value))
        ident = make_identifier(ftype, value)
        if ident and ident not in identifiers:
            identifiers.append(ident)
        elif ident is None:
            extra.setdefault("features", []).append(f"{ftype} {value}")
    for doc in _grandchildren(elem, q.identityDocuments, q.identityDocument):
        ident = make_identifier(
            _text(_child(doc, q.type), refs),
            _ctext(doc, q.documentNumber),
            _text(_child(doc, q.issuingCountry), refs),
        )
        if ident and ident not in identifiers:
            identifiers.append(ident)
    extra["sanctions_lists"] = lists
    return ParsedEntry(
        external_id=ent_id,
        primary_name=primary,
        entry_type=ENTRY_TYPES.get(raw_type, "other"),
        aliases=unique(aliases, exclude=[primary]),
        sub_list=("SDN List" if "SDN List" in specific else specific[0]) if specific else (lists[0] if lists else ""),
        programs=programs,
        countries=unique(countries),
        addresses=unique(addresses),
        identifiers=identifiers,
        listed_on=min(dates) if dates else None,
        remarks=_ctext(general, q.remarks) if general is not None else "",
        source_url="https://sanctionslistservice.ofac.treas.gov/",
        extra=extra,
    )


def parse(paths: list[Path]) -> Iterator[ParsedEntry]:
    """Stream the entities of one enhanced XML file."""
    refs: dict[str, str] = {}  # the referenceValues, read before the entities that use them
    tags: dict[str, _Tags] = {}  # namespace -> its qualified tag names

    def build(name: str, elem, path: Path) -> ParsedEntry | None:
        ns = xml_namespace(elem)
        q = tags.get(ns) or tags.setdefault(ns, _Tags(ns))
        if name == "referenceValue":
            ref_id = elem.get("refId")
            if ref_id:
                refs[ref_id] = _ctext(elem, q.value)
            return None
        return _entity(elem, refs, path, q)

    return xml_entries(
        paths, FORMAT, build, tags={"referenceValue", "entity"}, roots={"sanctionsData"}, label="OFAC enhanced XML"
    )
