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
Streaming: defusedxml iterparse; each referenceValue and entity is cleared once read.
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
    xml_findall,
    xml_namespace,
    xml_text,
)

FORMAT = "ofac_enhanced_xml"
DESCRIPTION = "OFAC Sanctions List Service enhanced XML (SDN or consolidated)"
_GENERIC_LISTS = {"Consolidated List"}
_COUNTRY_FEATURES = ("nationality country", "citizenship country", "nationality of registration")


def _text(elem, refs: dict[str, str]) -> str:
    if elem is None:
        return ""
    text = clean(elem.text)
    if not text:
        text = refs.get(elem.get("refId", ""), "")
    return text


def _entity(elem, refs: dict[str, str], path: Path) -> ParsedEntry:
    ns = xml_namespace(elem)
    ent_id = clean(elem.get("id"))
    if not ent_id:
        raise ParseError(f"{path.name}: an <entity> without an id attribute")
    raw_type = _text(elem.find(f"{ns}generalInfo/{ns}entityType"), refs).lower()
    primary = ""
    aliases: list[str] = []
    for name in xml_findall(elem, "names/name", ns):
        is_primary = xml_text(name, "isPrimary", ns).lower() == "true"
        for tr in xml_findall(name, "translations/translation", ns):
            full = xml_text(tr, "formattedFullName", ns)
            if not full:
                continue
            if is_primary and not primary and xml_text(tr, "isPrimary", ns).lower() == "true":
                primary = full
            else:
                aliases.append(full)
    if not primary:
        if not aliases:
            raise ParseError(f"{path.name}: entity {ent_id} has no name")
        primary = aliases.pop(0)
    lists = []
    dates = []
    for sl in xml_findall(elem, "sanctionsLists/sanctionsList", ns):
        label = _text(sl, refs)
        if label:
            lists.append(label)
        published = parse_date(sl.get("datePublished"))
        if published:
            dates.append(published)
    specific = [x for x in lists if x not in _GENERIC_LISTS]
    programs = unique(_text(p, refs) for p in xml_findall(elem, "sanctionsPrograms/sanctionsProgram", ns))
    addresses: list[str] = []
    countries: list[str] = []
    for addr in xml_findall(elem, "addresses/address", ns):
        country = _text(addr.find(f"{ns}country"), refs)
        parts = []
        for tr in xml_findall(addr, "translations/translation", ns):
            if xml_text(tr, "isPrimary", ns).lower() != "true":
                continue
            parts = [xml_text(part, "value", ns) for part in xml_findall(tr, "addressParts/addressPart", ns)]
        text = ", ".join(p for p in [*parts, country] if p)
        if text:
            addresses.append(text)
        if country:
            countries.append(country_code(country))
    identifiers: list[dict] = []
    extra: dict = {}
    for feature in xml_findall(elem, "features/feature", ns):
        ftype = _text(feature.find(f"{ns}type"), refs)
        value = xml_text(feature, "value", ns) or refs.get(xml_text(feature, "valueRefId", ns), "")
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
    for doc in xml_findall(elem, "identityDocuments/identityDocument", ns):
        ident = make_identifier(
            _text(doc.find(f"{ns}type"), refs),
            xml_text(doc, "documentNumber", ns),
            _text(doc.find(f"{ns}issuingCountry"), refs),
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
        remarks=xml_text(elem, "generalInfo/remarks", ns),
        source_url="https://sanctionslistservice.ofac.treas.gov/",
        extra=extra,
    )


def parse(paths: list[Path]) -> Iterator[ParsedEntry]:
    """Stream the entities of one enhanced XML file."""
    refs: dict[str, str] = {}  # the referenceValues, read before the entities that use them

    def build(name: str, elem, path: Path) -> ParsedEntry | None:
        if name == "referenceValue":
            ref_id = elem.get("refId")
            if ref_id:
                refs[ref_id] = xml_text(elem, "value", xml_namespace(elem))
            return None
        return _entity(elem, refs, path)

    return xml_entries(
        paths, FORMAT, build, tags={"referenceValue", "entity"}, roots={"sanctionsData"}, label="OFAC enhanced XML"
    )
