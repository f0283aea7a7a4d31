"""One row per listed party: entries (or matches) that name the same party across list versions and sources.

The same company is published many times: every DoD 1260H tranche is its own row (2021, 2025, 2026 ...), an
OFAC SDN entry reappears in the trade.gov CSL with the OFAC UID as its id (``SDN:<ent_num>``, and once more per
Treasury sub-list it is on), and entries of different lists may carry the same registration number. A party is
the set of entries joined, directly or through others, by any of these keys:

* the same source and external id (the same entry in another version of its list);
* the OFAC UID: the external id of an OFAC source (``ent_num``) and the bare id of a CSL row of a Treasury
  sub-list (``extra["csl_id"]``, or the id after the sub-list code);
* within one source whose format publishes one row per tranche (DoD 1260H), the same normalised primary name or
  a previous name recorded by the parser (``extra["entity_key"]``, ``extra["previous_names"]``);
* a shared identifier of a scheme that names one legal person (LEI, USCC, DUNS, IMO ...), in canonical form.

Names alone never join entries of different sources or of one-row-per-party lists (two SDN persons may share a
name). The grouping is a pure, deterministic function of the entries given (union-find over the keys): the
party id is the smallest (source, external id) of its members, whatever the order of the input. The check
answer and the review queue both call `party_ids`; `party_entries_load` reads what it needs from the database.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field, replace

from apps.vendors.identifiers import identifier_canonical, identifier_scheme

from .matching import normalize_name

# Formats that publish one row per party per tranche: their rows of one name are one party.
TRANCHE_FORMATS = frozenset({"dod_1260h_csv"})
OFAC_FORMATS = frozenset({"ofac_enhanced_xml", "ofac_legacy_csv", "ofac_sdnlist_xml"})
CSL_FORMATS = frozenset({"us_csl_csv", "us_csl_json"})
# CSL sub-lists published by Treasury (OFAC): their ids are OFAC UIDs (ent_num).
CSL_TREASURY_SUB_LISTS = frozenset({"SDN", "SSI", "FSE", "CMIC", "NS-CMIC", "NS-MBS", "PLC", "NS-PLC", "CAP",
                                    "MBS"})
# Identifier schemes that name one legal or natural person (not a bank code, a ticker, a website).
PARTY_IDENTIFIER_SCHEMES = frozenset({"lei", "uei", "duns", "uscc", "tax_id", "vat", "us_fein", "ein", "inn",
                                      "ogrn", "imo", "cage"})


@dataclass(frozen=True)
class PartyEntry:
    """What the grouping reads of one list entry. `key` is the caller's (an entry pk, a match pk ...)."""

    key: Hashable
    source_code: str
    source_format: str
    external_id: str
    primary_name: str
    sub_list: str = ""
    identifiers: tuple[tuple[str, str], ...] = ()
    previous_names: tuple[str, ...] = ()
    csl_id: str = ""
    csl_source: str = ""
    extra_keys: tuple[str, ...] = field(default=())

    @property
    def ref(self) -> tuple[str, str]:
        return (self.source_code, self.external_id)


def ofac_uid(entry: PartyEntry) -> str:
    """The OFAC UID (ent_num) an entry carries, or ""."""
    if entry.source_format in OFAC_FORMATS:
        return entry.external_id if entry.external_id.isdigit() else ""
    if entry.source_format in CSL_FORMATS:
        code, _, bare = entry.external_id.partition(":")
        uid = entry.csl_id or bare
        treasury = "treasury" in entry.csl_source.lower() or code in CSL_TREASURY_SUB_LISTS \
            or entry.sub_list in CSL_TREASURY_SUB_LISTS
        return uid if uid.isdigit() and treasury else ""
    return ""


def party_keys(entry: PartyEntry) -> list[str]:
    """The keys that join an entry to others (see the module doc)."""
    keys = [f"id:{entry.source_code}:{entry.external_id}"]
    uid = ofac_uid(entry)
    if uid:
        keys.append(f"ofac:{uid}")
    if entry.source_format in TRANCHE_FORMATS:
        for name in (entry.primary_name, *entry.previous_names):
            norm = normalize_name(name)
            if norm:
                keys.append(f"name:{entry.source_code}:{norm}")
        keys.extend(f"name:{entry.source_code}:{k}" for k in entry.extra_keys if k)
    for scheme, value in entry.identifiers:
        scheme = identifier_scheme(scheme)
        if scheme in PARTY_IDENTIFIER_SCHEMES and value:
            keys.append(f"ident:{scheme}:{identifier_canonical(scheme, value)}")
    return keys


def party_ids(entries: Iterable[PartyEntry]) -> dict[Hashable, str]:
    """Each entry's party id ("<source>:<external id>" of the party's smallest member). Set-based: one pass over
    the entries' keys with union-find; the same entries give the same ids in any order."""
    entries = list(entries)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            parent[rb] = ra

    first_key: dict[Hashable, str] = {}
    for e in entries:
        keys = party_keys(e)
        for k in keys:
            parent.setdefault(k, k)
        for k in keys[1:]:
            union(keys[0], k)
        first_key[e.key] = keys[0]
    # the id: the smallest (source, external id) of each group, so it does not depend on the order of the input
    smallest: dict[str, tuple[str, str]] = {}
    for e in entries:
        root = find(first_key[e.key])
        if root not in smallest or e.ref < smallest[root]:
            smallest[root] = e.ref
    return {e.key: ":".join(smallest[find(first_key[e.key])]) for e in entries}


def _identifier_pairs(raw) -> tuple[tuple[str, str], ...]:
    out = []
    for item in raw or []:
        if isinstance(item, dict) and item.get("value"):
            out.append((str(item.get("scheme", "")), str(item["value"])))
    return tuple(out)


def party_entry(*, key: Hashable, source_code: str, source_format: str, external_id: str, primary_name: str,
                sub_list: str = "", identifiers=None, extra: dict | None = None) -> PartyEntry:
    """A PartyEntry from the stored fields of a list entry (identifiers as stored, `extra` as the parsers
    write it)."""
    extra = extra or {}
    previous = extra.get("previous_names") or []
    return PartyEntry(
        key=key, source_code=source_code, source_format=source_format, external_id=external_id,
        primary_name=primary_name, sub_list=sub_list or "", identifiers=_identifier_pairs(identifiers),
        previous_names=tuple(p for p in previous if isinstance(p, str)),
        csl_id=str(extra.get("csl_id") or ""), csl_source=str(extra.get("source") or ""),
        extra_keys=(str(extra["entity_key"]),) if extra.get("entity_key") else (),
    )


def party_entries_load(entry_ids: Iterable[int]) -> dict[int, PartyEntry]:
    """The PartyEntry of each list entry (by pk), in one query."""
    from apps.lists.models import ListEntry

    ids = sorted({i for i in entry_ids if i is not None})
    if not ids:
        return {}
    rows = ListEntry.objects.filter(pk__in=ids).values_list(
        "pk", "version__source__code", "version__source__format", "external_id", "primary_name", "sub_list",
        "identifiers", "extra")
    return {pk: party_entry(key=pk, source_code=code, source_format=fmt, external_id=ext, primary_name=name,
                            sub_list=sub_list, identifiers=idents, extra=extra)
            for pk, code, fmt, ext, name, sub_list, idents, extra in rows}


# Short names for the "listed on" line of a party; other sources show their own name.
SOURCE_SHORT_NAMES = {
    "dod_1260h": "DoD 1260H", "ofac_sdn": "OFAC SDN", "ofac_cons": "OFAC non-SDN", "us_csl": "CSL",
    "un_sc": "UN SC", "uk_ofsi": "UK OFSI", "eu_fsf": "EU FSF", "fcc_covered": "FCC Covered List",
    "ndaa_889": "NDAA s.889", "opensanctions": "OpenSanctions",
}


def listed_on_label(*, source_code: str, source_name: str, source_format: str, years: Iterable[int]) -> str:
    """ "DoD 1260H (2025, 2026)": the source's short name, with the years of its tranches for a list that
    publishes one row per tranche; "OFAC SDN", "CSL" for the others."""
    label = SOURCE_SHORT_NAMES.get(source_code, source_name)
    years = sorted(set(years))
    if source_format in TRANCHE_FORMATS and years:
        return f"{label} ({', '.join(str(y) for y in years)})"
    return label


def match_party_ids(rows: Iterable[tuple]) -> dict[int, str]:
    """The party id of each match, from rows (match pk, source code, source format, external id, entry name,
    sub-list, entry pk): the stored entries are read in one query; a match whose entry is gone is grouped by its
    own fields."""
    rows = list(rows)
    loaded = party_entries_load(r[6] for r in rows)
    entries = []
    for pk, code, fmt, ext, name, sub_list, entry_id in rows:
        stored = loaded.get(entry_id)
        entries.append(replace(stored, key=pk) if stored is not None else party_entry(
            key=pk, source_code=code, source_format=fmt, external_id=ext, primary_name=name, sub_list=sub_list))
    return party_ids(entries)


MATCH_PARTY_FIELDS = ("pk", "source__code", "source__format", "external_id", "entry_name", "sub_list", "entry_id")
