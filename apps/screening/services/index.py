"""What the matcher compares: vendor profiles (names, countries, identifiers, identity hash) and the candidate
index over the entries of the active list versions, cached per process (one snapshot at a time)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from apps.lists.models import ListEntry, ListVersion
from apps.vendors.identifiers import identifier_canonical
from apps.vendors.models import Vendor, VendorAlias, VendorIdentifier

from .. import matching
from .base import _chunks


@dataclass
class VendorProfile:
    id: int
    name: str
    names: list[str]
    countries: list[str]
    identifiers: list[tuple[str, str]]
    identity: str


def vendor_identity_hash(names: Iterable[str], identifiers: Iterable[tuple[str, str] | tuple[str, str, str]]) -> str:
    """sha256 of a vendor's names and identifiers (case and spacing folded, order ignored). A review decision
    keyed to it stops applying when a name or an identifier is added, removed or changed."""
    norm_names = sorted({" ".join(str(n).split()).casefold() for n in names if n and str(n).strip()})
    # values in their one canonical form (apps.vendors.identifiers), so "HRB 12345" and "HRB12345" are one identity
    norm_ids = sorted({":".join([str(ident[0]).strip().upper(), identifier_canonical(str(ident[0]), str(ident[1])),
                                 *(str(p).strip().upper() for p in ident[2:])]) for ident in identifiers})
    payload = json.dumps({"names": norm_names, "identifiers": norm_ids}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def vendor_profiles(vendor_ids: Iterable[int] | None) -> dict[int, VendorProfile]:
    """Names, countries, identifiers and identity of vendors (all when None): 3 queries per chunk."""
    profiles: dict[int, VendorProfile] = {}

    def load(ids: list[int] | None) -> None:
        vendors = Vendor.objects.all() if ids is None else Vendor.objects.filter(pk__in=ids)
        aliases = VendorAlias.objects.all() if ids is None else VendorAlias.objects.filter(vendor_id__in=ids)
        idents = VendorIdentifier.objects.all() if ids is None else VendorIdentifier.objects.filter(vendor_id__in=ids)
        rows = {}
        for pk, name, inc, hq in vendors.values_list("pk", "name", "country_of_incorporation",
                                                     "country_of_headquarters").iterator(chunk_size=2000):
            rows[pk] = ([name], [c for c in (str(inc or ""), str(hq or "")) if c], [], [])
        for vendor_id, name in aliases.values_list("vendor_id", "name").iterator(chunk_size=2000):
            if vendor_id in rows:
                rows[vendor_id][0].append(name)
        for vendor_id, scheme, value, country in idents.values_list(
            "vendor_id", "scheme", "value", "country"
        ).iterator(chunk_size=2000):
            if vendor_id in rows:
                rows[vendor_id][2].append((scheme, value))
                rows[vendor_id][3].append((scheme, value, str(country or "")))
        for pk, (names, countries, ids_, ids_full) in rows.items():
            profiles[pk] = VendorProfile(pk, names[0], names, sorted(set(countries)), ids_,
                                         vendor_identity_hash(names, ids_full))

    if vendor_ids is None:
        load(None)
    else:
        for chunk in _chunks(sorted(set(vendor_ids))):
            load(chunk)
    return profiles


# ---------------------------------------------------------------------------------------------------------------
# List entries and the candidate index


@dataclass(frozen=True)
class EntryMeta:
    id: int
    version_id: int
    source_id: int
    external_id: str
    primary_name: str
    entry_type: str
    content_hash: str
    sub_list: str
    programs: tuple
    listed_on: dt.date | None


@dataclass
class ListSnapshot:
    versions: list[ListVersion]
    index: matching.CandidateIndex
    entries: dict[int, EntryMeta]

    @property
    def versions_used(self) -> list[dict]:
        return versions_describe(self.versions)


def versions_describe(versions: Iterable[ListVersion]) -> list[dict]:
    return [
        {"version_id": v.pk, "source": v.source.code, "source_name": v.source.name, "sha256": v.sha256,
         "activated_at": v.activated_at.isoformat() if v.activated_at else None, "entry_count": v.entry_count}
        for v in sorted(versions, key=lambda v: v.source.code)
    ]


def _entry_identifiers(raw: Any) -> tuple[tuple[str, str], ...]:
    out = []
    for item in raw or []:
        if isinstance(item, dict) and item.get("value"):
            out.append((str(item.get("scheme", "")), str(item["value"])))
    return tuple(out)


def _entries_load(entry_qs) -> tuple[list[matching.IndexRecord], dict[int, EntryMeta]]:
    records: list[matching.IndexRecord] = []
    metas: dict[int, EntryMeta] = {}
    fields = ("pk", "version_id", "version__source_id", "external_id", "primary_name", "aliases", "entry_type",
              "content_hash", "sub_list", "programs", "countries", "identifiers", "listed_on")
    for (pk, version_id, source_id, ext, name, aliases, etype, chash, sub_list, programs, countries, idents,
         listed_on) in entry_qs.values_list(*fields).iterator(chunk_size=5000):
        names = tuple(n for n in [name, *[a for a in (aliases or []) if isinstance(a, str)]] if n and n.strip())
        if not names and not idents:
            continue
        records.append(matching.IndexRecord(
            key=pk, names=names, countries=tuple(c for c in (countries or []) if isinstance(c, str)),
            identifiers=_entry_identifiers(idents), entry_type=etype or "entity",
        ))
        metas[pk] = EntryMeta(pk, version_id, source_id, ext, name, etype or "", chash, sub_list or "",
                              tuple(programs or []), listed_on)
    return records, metas


def _active_versions(*, organization_id: int | None = None, every_view: bool = False) -> list[ListVersion]:
    """Active versions of enabled sources in one view: public lists only (organization_id None), public lists and
    the organisation's own private lists, or every list (`every_view`: a screening run, which matches every
    vendor against every list once; matches of a private list carry its organisation through the source)."""
    from apps.lists.selectors import list_versions_active

    return [v for v in list_versions_active() if v.source.enabled and (
        every_view or v.source.organization_id is None or v.source.organization_id == organization_id)]


_SNAPSHOT_CACHE: dict[tuple, ListSnapshot] = {}
_SNAPSHOT_CACHE_SIZE = 4  # the run's (every list), the public view and a few organisations' views


def list_snapshot(*, versions: list[ListVersion] | None = None, organization_id: int | None = None,
                  every_view: bool = False) -> ListSnapshot:
    """The candidate index over every entry of the active versions in one view (see _active_versions; by default
    the public lists only), cached per process by (version, sha256) so that per-vendor runs and pre-purchase
    checks do not rebuild it."""
    if versions is None:
        versions = _active_versions(organization_id=organization_id, every_view=every_view)
    key = tuple(sorted((v.pk, v.sha256) for v in versions))
    cached = _SNAPSHOT_CACHE.get(key)
    if cached is not None:
        return cached
    records, metas = _entries_load(ListEntry.objects.filter(version_id__in=[v.pk for v in versions]))
    snapshot = ListSnapshot(versions=versions, index=matching.CandidateIndex(records), entries=metas)
    while len(_SNAPSHOT_CACHE) >= _SNAPSHOT_CACHE_SIZE:  # keep only the newest few; an index over every list is big
        _SNAPSHOT_CACHE.pop(next(iter(_SNAPSHOT_CACHE)))
    _SNAPSHOT_CACHE[key] = snapshot
    return snapshot


def snapshot_cache_clear() -> None:
    """Forget the cached index (tests start each case with none; nothing else needs to: the key is the active
    versions and their sha256, so a new version is never served a stale index)."""
    _SNAPSHOT_CACHE.clear()
