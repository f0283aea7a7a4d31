"""UN Security Council consolidated sanctions list XML (scsanctions.un.org consolidated.xml).

UTF-8 XML, no namespace. Root ``CONSOLIDATED_LIST`` (attribute ``dateGenerated``) with
``INDIVIDUALS/INDIVIDUAL`` and ``ENTITIES/ENTITY``. A record has ``DATAID``, ``VERSIONNUM``,
``FIRST_NAME`` ... ``FOURTH_NAME`` (entities use FIRST_NAME for the whole name), ``UN_LIST_TYPE`` (the
regime: DRC, Al-Qaida, DPRK ...), ``REFERENCE_NUMBER`` (QDe.004), ``LISTED_ON``, ``COMMENTS1``,
``NAME_ORIGINAL_SCRIPT``, ``DESIGNATION``/``TITLE``/``NATIONALITY``/``LIST_TYPE``/``LAST_DAY_UPDATED`` holding
``VALUE`` children, ``INDIVIDUAL_ALIAS``/``ENTITY_ALIAS`` (QUALITY Good/Low/a.k.a./f.k.a., ALIAS_NAME),
``INDIVIDUAL_ADDRESS``/``ENTITY_ADDRESS`` (STREET, CITY, STATE_PROVINCE, ZIP_CODE, COUNTRY, NOTE),
``INDIVIDUAL_DATE_OF_BIRTH``, ``INDIVIDUAL_PLACE_OF_BIRTH`` and ``INDIVIDUAL_DOCUMENT`` (TYPE_OF_DOCUMENT,
NUMBER, ISSUING_COUNTRY).

Mapping: external_id = ``DATAID``; primary_name = the name parts joined with spaces; aliases = every
ALIAS_NAME (Good and Low quality) and NAME_ORIGINAL_SCRIPT; sub_list = UN_LIST_TYPE; programs =
[UN_LIST_TYPE, REFERENCE_NUMBER]; countries from nationality, address and document countries (names ->
ISO alpha-2); identifiers from INDIVIDUAL_DOCUMENT; LISTED_ON -> listed_on; COMMENTS1 -> remarks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from apps.lists.sources.base import (
    ParsedEntry,
    ParseError,
    clean,
    country_code,
    make_identifier,
    parse_date,
    unique,
    xml_entries,
    xml_findall,
    xml_text,
)

FORMAT = "un_sc_xml"
DESCRIPTION = "UN Security Council consolidated list XML"
SOURCE_URL = "https://scsanctions.un.org/resources/xml/en/consolidated.xml"
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")


def _entry(kind: str, elem, path: Path) -> ParsedEntry:
    data_id = xml_text(elem, "DATAID")
    name = " ".join(p for p in (xml_text(elem, part) for part in _NAME_PARTS) if p)
    if not data_id or not name:
        raise ParseError(f"{path.name}: a <{kind}> without DATAID or name (DATAID={data_id!r})")
    aliases = [xml_text(a, "ALIAS_NAME") for a in xml_findall(elem, f"{kind}_ALIAS")]
    original = xml_text(elem, "NAME_ORIGINAL_SCRIPT")
    if original:
        aliases.append(original)
    countries = [country_code(xml_text(v)) for v in xml_findall(elem, "NATIONALITY/VALUE")]
    addresses = []
    for addr in xml_findall(elem, f"{kind}_ADDRESS"):
        parts = [xml_text(addr, tag) for tag in ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY")]
        text = ", ".join(p for p in parts if p)
        if text:
            addresses.append(text)
        if parts[-1]:
            countries.append(country_code(parts[-1]))
    identifiers = []
    for doc in xml_findall(elem, "INDIVIDUAL_DOCUMENT"):
        country = xml_text(doc, "ISSUING_COUNTRY") or xml_text(doc, "COUNTRY_OF_ISSUE")
        made = make_identifier(xml_text(doc, "TYPE_OF_DOCUMENT"), xml_text(doc, "NUMBER"), country)
        if made and made not in identifiers:
            identifiers.append(made)
    list_type = xml_text(elem, "UN_LIST_TYPE")
    reference = xml_text(elem, "REFERENCE_NUMBER")
    extra: dict = {"reference_number": reference, "version": xml_text(elem, "VERSIONNUM")}
    designations = [xml_text(v) for v in xml_findall(elem, "DESIGNATION/VALUE")]
    if any(designations):
        extra["designations"] = [d for d in designations if d]
    dobs = []
    for dob in xml_findall(elem, "INDIVIDUAL_DATE_OF_BIRTH"):
        value = xml_text(dob, "DATE") or xml_text(dob, "YEAR")
        if value:
            dobs.append(value)
    if dobs:
        extra["dates_of_birth"] = dobs
    return ParsedEntry(
        external_id=data_id,
        primary_name=name,
        entry_type="individual" if kind == "INDIVIDUAL" else "entity",
        aliases=unique((clean(a) for a in aliases), exclude=[name]),
        sub_list=list_type,
        programs=unique([list_type, reference]),
        countries=unique(countries),
        addresses=unique(addresses),
        identifiers=identifiers,
        listed_on=parse_date(xml_text(elem, "LISTED_ON")),
        remarks=xml_text(elem, "COMMENTS1"),
        source_url=SOURCE_URL,
        extra=extra,
    )


def parse(paths: list[Path]) -> Iterator[ParsedEntry]:
    """Stream the individuals and entities of one UN consolidated XML file."""
    return xml_entries(
        paths, FORMAT, _entry, tags={"INDIVIDUAL", "ENTITY"}, roots={"CONSOLIDATED_LIST"}, label="UN consolidated XML"
    )
