"""EU Official Journal sanctions annexes as tabulated by OpenSanctions (``datasets/eu/journal_sanctions``), e.g.
``32014R0833.csv``: the annexes of Council Regulation (EU) 833/2014 (Russia sectoral and export-control
measures: Annex IV export-control end users, Annex XLII vessels, Annex XIV ...).

This is **not** the EU FSF consolidated list (see eu_fsf_xml); it is the substitute kept in
../shared/data/lists/eu_journal_833 (PROVENANCE.md section 4), and it covers measures the FSF list does not
(Annex IV end users such as Hytera Communications Limited).

UTF-8 CSV with a header of 45 columns; the ones used: ``celex, recordId, programKey, annex, measure,
startDate, reason, schema, name, alias, weakAlias, previousName, country, jurisdiction, registrationNumber,
taxNumber, innCode, ogrnCode, leiCode, swiftBic, imoNumber, address, website, email``.

- ``recordId`` is numbered per annex and sometimes empty, so **external_id = "<annex>:<recordId>"**, or
  "<annex>:<slug of name>" without a recordId (e.g. ``IV:713``, ``V:opk-oboronprom``).
- ``schema`` (FtM): LegalEntity/Company/Organization -> entity, Vessel -> vessel, Person -> individual,
  Asset -> other.
- ``alias``, ``weakAlias``, ``previousName`` are ``;``-separated -> aliases (Cyrillic and Chinese included).
- ``registrationNumber`` is written "7704730655 (Tax ID/INN)": the label in brackets gives the scheme
  (``Tax ID/INN`` -> inn, ``USCC`` -> uscc, ``OGRN`` -> ogrn, ...; a bare number -> registration).
- ``startDate`` is d.m.yyyy -> listed_on. sub_list = "Annex <annex>"; programs = [programKey,
  "<celex> Annex <annex>: <measure>"]; ``reason`` -> remarks.
- Countries: ``country``/``jurisdiction`` and the last part of ``address`` ("..., Russian Federation",
  "People's Republic of China") -> ISO alpha-2.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from apps.lists.sources.base import (
    ParsedEntry,
    ParseError,
    clean,
    country_code,
    csv_records,
    identifier_scheme,
    merge_repeats,
    parse_date,
    single_path,
    slug,
    split_multi,
    unique,
)

FORMAT = "eu_journal_csv"
DESCRIPTION = "EU Official Journal sanctions annexes (e.g. Reg. 833/2014), OpenSanctions CSV tabulation"
REQUIRED = ("celex", "recordId", "programKey", "annex", "measure", "startDate", "schema", "name", "alias")
SCHEMA_TYPES = {
    "legalentity": "entity",
    "company": "entity",
    "organization": "entity",
    "publicbody": "entity",
    "vessel": "vessel",
    "person": "individual",
    "airplane": "aircraft",
    "asset": "other",
}
_LABELLED = re.compile(r"^(?P<value>.+?)\s*\((?P<label>[^()]+)\)\s*$")
_LABEL_SCHEMES = {"tax id/inn": "inn", "inn": "inn", "ogrn": "ogrn", "uscc": "uscc", "tin": "tax_id"}
_PROPS = (
    ("taxNumber", "tax_id"), ("innCode", "inn"), ("ogrnCode", "ogrn"), ("leiCode", "lei"), ("swiftBic", "bic"),
    ("imoNumber", "imo"), ("website", "website"), ("email", "email"),
)  # fmt: skip


def _registration(value: str) -> dict:
    m = _LABELLED.match(value)
    if not m:
        return {"scheme": "registration", "value": value}
    label = m.group("label").strip()
    scheme = _LABEL_SCHEMES.get(label.lower()) or identifier_scheme(label)
    return {"scheme": scheme, "value": m.group("value").strip()}


def _entries(path: Path) -> Iterator[ParsedEntry]:
    # written by OpenSanctions' csv writer: always terminated
    for line, get in csv_records(path, REQUIRED, final_newline=True):
        name = clean(get("name"))
        if not name:
            raise ParseError(f"{path.name} line {line}: row without a name")
        annex = clean(get("annex"))
        record = clean(get("recordId"))
        schema = get("schema").strip()
        entry_type = SCHEMA_TYPES.get(schema.lower())
        if entry_type is None:
            raise ParseError(f"{path.name} line {line}: unknown schema {schema[:40]!r}")
        identifiers = [_registration(v) for v in split_multi(get("registrationNumber"))]
        for column, scheme in _PROPS:
            for value in split_multi(get(column)):
                ident = {"scheme": scheme, "value": value}
                if ident not in identifiers:
                    identifiers.append(ident)
        addresses = split_multi(get("address"), ";")
        countries = [country_code(c) for c in split_multi(get("country")) + split_multi(get("jurisdiction"))]
        countries += [country_code(a.rsplit(",", 1)[-1]) for a in addresses]
        celex = clean(get("celex"))
        measure = clean(get("measure"))
        aliases = [a for col in ("alias", "weakAlias", "previousName") for a in split_multi(get(col))]
        yield ParsedEntry(
            external_id=f"{annex}:{record or slug(name)}",
            primary_name=name,
            entry_type=entry_type,
            aliases=unique(aliases, exclude=[name]),
            sub_list=f"Annex {annex}" if annex else "",
            programs=unique([clean(get("programKey")), f"{celex} Annex {annex}: {measure}".strip()]),
            countries=unique(countries),
            addresses=addresses,
            identifiers=identifiers,
            listed_on=parse_date(get("startDate")),
            remarks=clean(get("reason")),
            source_url=f"https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:{celex}" if celex else "",
            extra={"celex": celex, "annex": annex, "measure": measure},
        )


def parse(paths: list[Path]) -> Iterator[ParsedEntry]:
    """Stream the annex rows of one Official Journal CSV."""
    return merge_repeats(_entries(single_path(paths, FORMAT)))
