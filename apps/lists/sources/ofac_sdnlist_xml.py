"""OFAC list in the older ``sdnList.xsd`` XML (SDN.XML / CONSOLIDATED.XML before the Sanctions List Service).

Namespace ``http://tempuri.org/sdnList.xsd``; root ``sdnList`` with ``publshInformation`` (sic: Publish_Date
mm/dd/yyyy, Record_Count) and ``sdnEntry`` elements: ``uid``, ``firstName``, ``lastName``, ``title``,
``sdnType`` (or ``nspType`` on non-SDN entries: Individual / Entity / Vessel / Aircraft), ``remarks``,
``programList/program``, ``idList/id`` (idType, idNumber, idCountry), ``akaList/aka`` (type, category
strong/weak, lastName, firstName), ``addressList/address`` (address1-3, city, stateOrProvince, postalCode,
country), ``nationalityList``, ``citizenshipList``, ``dateOfBirthList``, ``placeOfBirthList``, ``vesselInfo``.

Mapping: external_id = ``uid`` (the ent_num); names are written like the legacy CSV, "LAST, First" for
people; aka (strong and weak) -> aliases; ids -> identifiers (non-identifier facts such as "Gender" are left
out); address and nationality/citizenship countries -> countries. Publish_Date goes to
``extra["publish_date"]``. The sample is a trimmed fixture whose Record_Count (115) exceeds its 24 entries, so
Record_Count is not enforced.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from apps.lists.sources.base import (
    ENTRY_TYPES,
    ParsedEntry,
    ParseError,
    country_code,
    make_identifier,
    unique,
    xml_entries,
    xml_findall,
    xml_namespace,
    xml_text,
)
from apps.lists.sources.ofac_remarks import remarks_identifiers, remarks_listing_date, remarks_weak_aliases

FORMAT = "ofac_sdnlist_xml"
DESCRIPTION = "OFAC sdnList.xsd XML (legacy SDN.XML / CONSOLIDATED.XML)"


def _full_name(elem, ns: str) -> str:
    last = xml_text(elem, "lastName", ns)
    first = xml_text(elem, "firstName", ns)
    if last and first:
        return f"{last}, {first}"
    return last or first


def _entry(elem, path: Path, publish_date: str) -> ParsedEntry:
    ns = xml_namespace(elem)
    uid = xml_text(elem, "uid", ns)
    name = _full_name(elem, ns)
    if not uid or not name:
        raise ParseError(f"{path.name}: an <sdnEntry> without uid or name (uid={uid!r})")
    raw_type = (xml_text(elem, "sdnType", ns) or xml_text(elem, "nspType", ns)).lower()
    remarks = xml_text(elem, "remarks", ns)
    aliases = [_full_name(aka, ns) for aka in xml_findall(elem, "akaList/aka", ns)]
    identifiers: list[dict] = []
    for ident in xml_findall(elem, "idList/id", ns):
        made = make_identifier(
            xml_text(ident, "idType", ns), xml_text(ident, "idNumber", ns), xml_text(ident, "idCountry", ns)
        )
        if made and made not in identifiers:
            identifiers.append(made)
    for made in remarks_identifiers(remarks):
        if made not in identifiers:
            identifiers.append(made)
    addresses: list[str] = []
    countries: list[str] = []
    for addr in xml_findall(elem, "addressList/address", ns):
        parts = [
            xml_text(addr, tag, ns)
            for tag in ("address1", "address2", "address3", "city", "stateOrProvince", "postalCode", "country")
        ]
        text = ", ".join(p for p in parts if p)
        if text:
            addresses.append(text)
        if parts[-1]:
            countries.append(country_code(parts[-1]))
    for path_ in ("nationalityList/nationality", "citizenshipList/citizenship"):
        for item in xml_findall(elem, path_, ns):
            countries.append(country_code(xml_text(item, "country", ns)))
    extra: dict = {"publish_date": publish_date} if publish_date else {}
    title = xml_text(elem, "title", ns)
    if title:
        extra["title"] = title
    dobs = [xml_text(d, "dateOfBirth", ns) for d in xml_findall(elem, "dateOfBirthList/dateOfBirthItem", ns)]
    if any(dobs):
        extra["dates_of_birth"] = [d for d in dobs if d]
    return ParsedEntry(
        external_id=uid,
        primary_name=name,
        entry_type=ENTRY_TYPES.get(raw_type, "other"),
        aliases=unique([*aliases, *remarks_weak_aliases(remarks)], exclude=[name]),
        sub_list="SDN" if xml_text(elem, "sdnType", ns) else "Consolidated (non-SDN)",
        programs=unique(xml_text(p) for p in xml_findall(elem, "programList/program", ns)),
        countries=unique(countries),
        addresses=addresses,
        identifiers=identifiers,
        listed_on=remarks_listing_date(remarks),
        remarks=remarks,
        source_url="https://www.treasury.gov/ofac/downloads/sdn.xml",
        extra=extra,
    )


def parse(paths: list[Path]) -> Iterator[ParsedEntry]:
    """Stream the sdnEntry records of one sdnList XML file."""
    publish_date = ""  # publshInformation comes before the entries

    def build(name: str, elem, path: Path) -> ParsedEntry | None:
        nonlocal publish_date
        if name == "Publish_Date":
            publish_date = (elem.text or "").strip()
            return None
        return _entry(elem, path, publish_date)

    return xml_entries(
        paths, FORMAT, build, tags={"Publish_Date", "sdnEntry"}, roots={"sdnList"}, label="OFAC sdnList XML"
    )
