"""EU consolidated list of persons, groups and entities subject to financial sanctions (FSF), XML
``xmlFullSanctionsList_1_1``.

**Written from the published schema, not from a real file**: no real FSF export was available to this
project (see ../shared/data/lists/PROVENANCE.md section 4), so this parser and its fixture
(tests/lists/fixtures/eu_fsf.xml) follow the XSD ``xmlFullSanctionsList_1_1`` as published by the
Commission (FSD, webgate.ec.europa.eu/fsd/fsf). Check it against a real download before relying on it.

Shape: root ``export`` (namespace ``http://eu.europa.ec/fpi/fsd/export``, attributes generationDate,
globalFileId) containing ``sanctionEntity`` elements (attributes ``logicalId``, ``euReferenceNumber``,
``unitedNationId``, ``designationDate``, ``designationDetails``). Data sits mostly in attributes:

- ``remark`` (text) -> remarks;
- ``regulation`` (``programme``, ``publicationDate``, ``entryIntoForceDate``, ``numberTitle``,
  ``regulationType``; child ``publicationUrl``) -> programs (programme codes such as RUS, UKR, IRN), sub_list
  (the first programme), listed_on (``designationDate`` of the entity, else the earliest regulation
  publicationDate), source_url (the first publicationUrl);
- ``subjectType`` (``code`` person / enterprise, ``classificationCode`` P / E) -> entry_type;
- ``nameAlias`` (``wholeName``, ``firstName``, ``middleName``, ``lastName``, ``strong``, ``nameLanguage``):
  the first strong wholeName is the primary name, all others aliases;
- ``citizenship`` / ``address`` / ``identification`` ``countryIso2Code`` -> countries ("00" = unknown,
  ignored); ``address`` street, zipCode, city, region, place, countryDescription -> addresses;
- ``identification`` (``identificationTypeCode`` passport / id / regnumber / fiscalcode / swiftbic / imo ...,
  ``number``, ``countryIso2Code``) -> identifiers;
- ``birthdate`` -> ``extra["dates_of_birth"]``.

external_id = ``logicalId`` of the sanctionEntity (stable across EU publications); the EU reference number
(EU.1234.56) is kept in ``extra["eu_reference_number"]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from apps.lists.sources.base import (
    ParsedEntry,
    ParseError,
    clean,
    identifier_scheme,
    parse_date,
    unique,
    xml_entries,
    xml_findall,
    xml_namespace,
    xml_text,
)

FORMAT = "eu_fsf_xml"
DESCRIPTION = "EU consolidated financial sanctions list (FSF) XML 1.1 - written from the schema"
SOURCE_URL = "https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content"
_SUBJECT_TYPES = {"person": "individual", "p": "individual", "enterprise": "entity", "e": "entity"}
_ID_TYPES = {
    "passport": "passport",
    "id": "national_id",
    "regnumber": "registration",
    "fiscalcode": "tax_id",
    "tax": "tax_id",
    "swiftbic": "bic",
    "imo": "imo",
    "lei": "lei",
}


def _country(code: str | None) -> str:
    code = (code or "").strip().upper()
    return code if len(code) == 2 and code.isalpha() else ""


def _entry(_name: str, elem, path: Path) -> ParsedEntry:
    ns = xml_namespace(elem)
    logical_id = clean(elem.get("logicalId"))
    if not logical_id:
        raise ParseError(f"{path.name}: a <sanctionEntity> without logicalId")
    names: list[tuple[bool, str]] = []
    for alias in xml_findall(elem, "nameAlias", ns):
        whole = clean(alias.get("wholeName")) or " ".join(
            p for p in (clean(alias.get(k)) for k in ("firstName", "middleName", "lastName")) if p
        )
        if whole:
            names.append((alias.get("strong", "true").lower() != "false", whole))
    if not names:
        raise ParseError(f"{path.name}: sanctionEntity {logical_id} has no nameAlias")
    primary = next((n for strong, n in names if strong), names[0][1])
    subject = elem.find(f"{ns}subjectType")
    raw_type = ""
    if subject is not None:
        raw_type = (subject.get("code") or subject.get("classificationCode") or "").lower()
    programs: list[str] = []
    dates = []
    source_url = ""
    for reg in xml_findall(elem, "regulation", ns):
        programme = clean(reg.get("programme"))
        if programme:
            programs.append(programme)
        published = parse_date(reg.get("publicationDate"))
        if published:
            dates.append(published)
        source_url = source_url or xml_text(reg, "publicationUrl", ns)
    countries: list[str] = []
    for citizenship in xml_findall(elem, "citizenship", ns):
        countries.append(_country(citizenship.get("countryIso2Code")))
    addresses = []
    for addr in xml_findall(elem, "address", ns):
        keys = ["street", "poBox", "zipCode", "city", "region", "place"]
        if _country(addr.get("countryIso2Code")):
            keys.append("countryDescription")
        parts = [clean(addr.get(k)) for k in keys]
        text = ", ".join(p for p in parts if p)
        if text:
            addresses.append(text)
        countries.append(_country(addr.get("countryIso2Code")))
    identifiers = []
    for ident in xml_findall(elem, "identification", ns):
        number = clean(ident.get("number") or ident.get("latinNumber"))
        if not number:
            continue
        code = clean(ident.get("identificationTypeCode")).lower()
        scheme = _ID_TYPES.get(code) or identifier_scheme(ident.get("identificationTypeDescription") or code)
        made = {"scheme": scheme or "other", "value": number}
        country = _country(ident.get("countryIso2Code"))
        if country:
            made["country"] = country
            countries.append(country)
        if made not in identifiers:
            identifiers.append(made)
    extra: dict = {}
    for key, attr in (
        ("eu_reference_number", "euReferenceNumber"),
        ("un_id", "unitedNationId"),
        ("designation_details", "designationDetails"),
    ):
        if clean(elem.get(attr)):
            extra[key] = clean(elem.get(attr))
    dobs = [clean(b.get("birthdate") or b.get("year")) for b in xml_findall(elem, "birthdate", ns)]
    if any(dobs):
        extra["dates_of_birth"] = [d for d in dobs if d]
    designated = parse_date(elem.get("designationDate"))
    remarks = "\n".join(r for r in (xml_text(r) for r in xml_findall(elem, "remark", ns)) if r)
    return ParsedEntry(
        external_id=logical_id,
        primary_name=primary,
        entry_type=_SUBJECT_TYPES.get(raw_type, "other"),
        aliases=unique((n for _s, n in names), exclude=[primary]),
        sub_list=programs[0] if programs else "",
        programs=unique(programs),
        countries=unique(countries),
        addresses=unique(addresses),
        identifiers=identifiers,
        listed_on=designated or (min(dates) if dates else None),
        remarks=remarks,
        source_url=source_url or SOURCE_URL,
        extra=extra,
    )


def parse(paths: list[Path]) -> Iterator[ParsedEntry]:
    """Stream the sanctionEntity records of one FSF XML file."""
    return xml_entries(paths, FORMAT, _entry, tags={"sanctionEntity"}, roots={"export"}, label="EU FSF XML")
