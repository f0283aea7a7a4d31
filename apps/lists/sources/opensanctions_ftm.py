"""OpenSanctions FollowTheMoney (FtM) entities, JSON lines: full exports (``entities.ftm.json``) and delta files
(``entities.delta.json``).

- Full file: one entity per line, ``{"id", "caption", "schema", "properties": {prop: [values]}, "referents",
  "datasets", "first_seen", "last_seen", "last_change", "target"}``.
- Delta file: one operation per line, ``{"op": "ADD" | "MOD" | "DEL", "entity": {...}}``; DEL needs only the
  entity id. ``parse_delta`` yields ``("ADD"|"MOD", entry)`` or ``("DEL", external_id)``; ``parse`` refuses a
  delta file with a clear reason (a delta is not a full list).

Mapping:
- external_id = ``id`` (the OpenSanctions canonical id, e.g. ``NK-2GdmHtZTeNXjNVrBGEXZNj``).
- schema -> entry_type: Person -> individual; Company, Organization, LegalEntity, PublicBody -> entity;
  Vessel -> vessel; Airplane -> aircraft. Entities of other schemas (Address, Sanction, Ownership,
  Directorship, Family ... which FtM exports carry alongside the targets) are **not list entries** and are
  skipped, as are entities with ``"target": false``.
- primary_name = ``caption`` (else the first name); aliases = the other ``name`` values, ``alias``,
  ``weakAlias``, ``previousName`` (transliterations in many scripts included).
- countries = country, nationality, citizenship, jurisdiction, mainCountry, registrationCountry (FtM already
  uses ISO alpha-2, lower-case; upper-cased here).
- identifiers: registrationNumber, leiCode, innCode, ogrnCode, taxNumber, vatCode, idNumber, passportNumber,
  imoNumber, swiftBic, isinCode, dunsCode, okpoCode, kppCode, uscCode (scheme names as in base).
- listed_on = earliest ``createdAt`` (date listed at the source); end_date = latest ``endDate`` if any;
  programs = ``programId`` values else the ``topics``; sub_list = the first dataset; remarks = ``notes``;
  source_url = first ``sourceUrl``; addresses = ``address`` strings.

Streaming: one line at a time (``readline`` bounded to MAX_LINE_BYTES); memory does not depend on file size,
so a 1,000,000-entity export parses in constant memory (bench/bench_sources.py measures it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from apps.lists.sources.base import (
    ParsedEntry,
    ParseError,
    clean,
    country_code,
    iter_json_lines,
    parse_date,
    unique,
)

FORMAT = "opensanctions_ftm"
DESCRIPTION = "OpenSanctions FollowTheMoney JSON lines (full export or delta with ADD/MOD/DEL)"
IS_DELTA_CAPABLE = True

SCHEMA_TYPES = {
    "Person": "individual",
    "Company": "entity",
    "Organization": "entity",
    "LegalEntity": "entity",
    "PublicBody": "entity",
    "Vessel": "vessel",
    "Airplane": "aircraft",
}
IDENTIFIER_PROPS = {
    "registrationNumber": "registration",
    "leiCode": "lei",
    "innCode": "inn",
    "ogrnCode": "ogrn",
    "taxNumber": "tax_id",
    "vatCode": "vat",
    "idNumber": "national_id",
    "passportNumber": "passport",
    "imoNumber": "imo",
    "swiftBic": "bic",
    "isinCode": "isin",
    "dunsCode": "duns",
    "okpoCode": "okpo",
    "kppCode": "kpp",
    "uscCode": "uscc",
}
COUNTRY_PROPS = ("country", "nationality", "citizenship", "jurisdiction", "mainCountry", "registrationCountry")
ALIAS_PROPS = ("name", "alias", "weakAlias", "previousName")
OPS = ("ADD", "MOD", "DEL")


def _cc(value: str) -> str:
    if len(value) == 2 and value.isalpha():
        return value.upper()
    return country_code(value)


def entity_to_entry(entity: dict, *, where: str) -> ParsedEntry | None:
    """A ParsedEntry for a target entity of a listed schema; None for other entities."""
    ent_id = entity.get("id")
    if not isinstance(ent_id, str) or not ent_id:
        raise ParseError(f"{where}: an entity without an id")
    schema = entity.get("schema")
    if not isinstance(schema, str):
        raise ParseError(f"{where}: entity {ent_id} has no schema")
    entry_type = SCHEMA_TYPES.get(schema)
    if entry_type is None or entity.get("target") is False:
        return None
    props = entity.get("properties") or {}
    if not isinstance(props, dict):
        raise ParseError(f"{where}: entity {ent_id}: properties is not an object")

    get = props.get

    def values(prop: str) -> list[str]:
        raw = get(prop)
        if not raw:  # most properties are absent: no list to build
            return []
        if isinstance(raw, str):
            raw = [raw]
        return [clean(v) for v in raw if isinstance(v, str) and v.strip()]

    names = [n for prop in ALIAS_PROPS for n in values(prop)]
    caption = clean(entity.get("caption")) if isinstance(entity.get("caption"), str) else ""
    primary = caption or (names[0] if names else "")
    if not primary:
        raise ParseError(f"{where}: entity {ent_id} has no name")
    identifiers = []
    for prop, scheme in IDENTIFIER_PROPS.items():
        if prop not in props:
            continue
        for value in values(prop):
            ident = {"scheme": scheme, "value": value}
            if ident not in identifiers:
                identifiers.append(ident)
    created = [d for d in (parse_date(v) for v in values("createdAt")) if d]
    ended = [d for d in (parse_date(v) for v in values("endDate")) if d]
    datasets = entity.get("datasets") or []
    extra = {"schema": schema, "datasets": datasets}
    for key in ("first_seen", "last_seen", "last_change"):
        if entity.get(key):
            extra[key] = entity[key]
    topics = values("topics")
    if topics:
        extra["topics"] = topics
    countries = [_cc(c) for p in COUNTRY_PROPS if p in props for c in values(p)]
    return ParsedEntry(
        external_id=ent_id,
        primary_name=primary,
        entry_type=entry_type,
        aliases=unique(names, exclude=[primary]),
        sub_list=datasets[0] if datasets and isinstance(datasets[0], str) else "",
        programs=values("programId") or topics,
        countries=unique(countries),
        addresses=values("address"),
        identifiers=identifiers,
        listed_on=min(created) if created else None,
        end_date=max(ended) if ended else None,
        remarks="\n".join(values("notes")),
        source_url=(values("sourceUrl") or [""])[0],
        extra=extra,
    )


def _files(paths: list[Path]) -> list[Path]:
    if not paths:
        raise ParseError(f"{FORMAT}: no file given")
    return [Path(p) for p in paths]


def parse(paths: list[Path]) -> Iterator[ParsedEntry]:
    """Stream the target entities of full FtM exports (one or more files, in order)."""
    for path in _files(paths):
        for number, obj in iter_json_lines(path):
            if "op" in obj and "entity" in obj:
                raise ParseError(
                    f"{path.name} line {number}: this is a delta file (op={str(obj.get('op'))[:10]}); "
                    "import it as a delta, not as a full list"
                )
            entry = entity_to_entry(obj, where=f"{path.name} line {number}")
            if entry is not None:
                yield entry


def parse_delta(paths: list[Path]) -> Iterator[tuple[str, ParsedEntry | str]]:
    """Stream delta operations: ("ADD"|"MOD", entry) or ("DEL", external_id)."""
    for path in _files(paths):
        for number, obj in iter_json_lines(path):
            where = f"{path.name} line {number}"
            op = obj.get("op")
            entity = obj.get("entity")
            if op not in OPS or not isinstance(entity, dict):
                raise ParseError(f"{where}: not a delta operation (expected op ADD/MOD/DEL and an entity)")
            if op == "DEL":
                ent_id = entity.get("id")
                if not isinstance(ent_id, str) or not ent_id:
                    raise ParseError(f"{where}: DEL without an entity id")
                yield "DEL", ent_id
                continue
            entry = entity_to_entry(entity, where=where)
            if entry is not None:
                yield op, entry
