"""Reads over vendors and their ownership graph."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.db.models.functions import Length, Lower
from django.utils import timezone

from .choices import ProposalStatus
from .models import ChangeProposal, OemRelation, Ownership, Vendor, VendorAlias
from .name_text import GENERIC_TOKENS, GEO_TOKENS, normalize_name
from .overlay import OemRow, Overlay, overlay_oem_relations, overlay_oem_rows, overlay_ownership_links

# A pathological graph could have exponentially many paths; beyond this the chain is cut and says so.
MAX_OWNERSHIP_PATHS = 2000
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class OwnershipStep:
    """One link of a path, from a vendor up to its owner."""

    ownership_id: int | None  # None: a link an organisation proposes and applies to its own view
    owner_id: int
    owner_name: str
    kind: str
    share_percent: Decimal | None
    proposed: bool = False  # the link is in this view by its organisation's pending proposal (added or changed)


@dataclass
class OwnershipPath:
    """A path from the vendor up to one ultimate parent. `path_share_percent` multiplies the shares along
    it (arithmetic, not a regime test: no sanctions regime multiplies shares, see
    apps.screening.selectors.vendor_ownership_view); it is None when any share on the path is unknown."""

    steps: list[OwnershipStep]
    path_share_percent: Decimal | None

    @property
    def has_unknown_share(self) -> bool:
        return self.path_share_percent is None

    @property
    def ultimate_parent_id(self) -> int:
        return self.steps[-1].owner_id


@dataclass
class UltimateParent:
    vendor_id: int
    name: str
    paths: list[OwnershipPath] = field(default_factory=list)

    @property
    def path_share_percent(self) -> Decimal | None:
        """The path shares summed over every path (e.g. held both directly and through a subsidiary): arithmetic,
        not a regime test; unknown if any path has an unknown share."""
        if any(p.path_share_percent is None for p in self.paths):
            return None
        return min(HUNDRED, sum((p.path_share_percent for p in self.paths), Decimal("0")))


@dataclass
class OwnershipChain:
    vendor_id: int
    paths: list[OwnershipPath]
    ultimate_parents: list[UltimateParent]
    truncated: bool = False
    # Every link above the vendor, keyed by owned vendor id, for callers that walk the graph themselves.
    links_by_owned: dict[int, list[Ownership]] = field(default_factory=dict)

    @property
    def ancestor_ids(self) -> set[int]:
        return {link.owner_id for links in self.links_by_owned.values() for link in links}


def _ownership_filter(as_of: dt.date | None) -> QuerySet[Ownership]:
    qs = Ownership.objects.select_related("owner")
    return qs.active_on(as_of) if as_of else qs.active_on(timezone.localdate())


def _overlay_links(overlay: Overlay | None, day: dt.date | None) -> list[Ownership]:
    """The links `overlay` adds or changes, in force on `day` (None: any date); none without an overlay (no
    query)."""
    if overlay is None or overlay.empty:
        return []
    return overlay_ownership_links(overlay, day)


def _overlay_dropped(overlay: Overlay | None) -> set[int]:
    return overlay.ownership_dropped if overlay is not None else set()


def ownership_links_above(vendor_ids: set[int], *, as_of: dt.date | None = None, overlay: Overlay | None = None
                          ) -> dict[int, list[Ownership]]:
    """Every ownership link above the given vendors, level by level (one query per level). With `overlay` (an
    organisation's pending proposals applied to its own view, apps.vendors.overlay): the links of that view, the
    shared ones it removes or changes left out and the ones it adds or changes read instead (unsaved Ownership
    rows, overlay_ownership_links: two more queries)."""
    links_by_owned: dict[int, list[Ownership]] = defaultdict(list)
    seen: set[int] = set(vendor_ids)
    frontier = set(vendor_ids)
    base = _ownership_filter(as_of)
    dropped = _overlay_dropped(overlay)
    extra: dict[int, list[Ownership]] = defaultdict(list)
    for link in _overlay_links(overlay, as_of or timezone.localdate()):
        extra[link.owned_id].append(link)
    while frontier:
        links = [link for link in base.filter(owned_id__in=frontier) if link.pk not in dropped]
        links += [link for owned_id in frontier for link in extra.get(owned_id, ())]
        frontier = set()
        for link in links:
            links_by_owned[link.owned_id].append(link)
            if link.owner_id not in seen:
                seen.add(link.owner_id)
                frontier.add(link.owner_id)
    return dict(links_by_owned)


def ownership_links_below(vendor_id: int, *, as_of: dt.date | None = None, overlay: Overlay | None = None,
                          limit: int = 30) -> list[Ownership]:
    """The links in force on `as_of` (default today) by which `vendor_id` owns directly (at most `limit` shared
    ones), with the owned vendor loaded; with `overlay`, in that organisation's view: the shared links it removes
    or changes left out, the ones it adds or changes (marked `proposed`) read instead. One query; at most two more
    with a non-empty overlay, once per overlay (overlay_ownership_links)."""
    day = as_of or timezone.localdate()
    dropped = _overlay_dropped(overlay)
    qs = Ownership.objects.active_on(day).filter(owner_id=vendor_id).select_related("owned")
    if dropped:
        qs = qs.exclude(pk__in=dropped)
    links = list(qs[:limit])
    return links + [link for link in _overlay_links(overlay, day) if link.owner_id == vendor_id]


def owner_links_recorded(vendor_id: int, *, overlay: Overlay | None = None, limit: int = 100) -> list[Ownership]:
    """Every recorded link owning `vendor_id`, in force or not (at most `limit` shared ones), with the owner
    loaded, the ended ones first, then by owner name; with `overlay`, in that organisation's view (as
    ownership_links_below). One query; at most two more with a non-empty overlay, once per overlay."""
    dropped = _overlay_dropped(overlay)
    qs = Ownership.objects.filter(owned_id=vendor_id).select_related("owner").order_by("end_date", "owner__name")
    if dropped:
        qs = qs.exclude(pk__in=dropped)
    links = list(qs[:limit])
    proposed = [link for link in _overlay_links(overlay, None) if link.owned_id == vendor_id]
    if not proposed:
        return links  # the database's order, untouched
    # NULL end dates last, as PostgreSQL orders them ascending.
    return sorted(links + proposed, key=lambda link: (link.end_date is None, link.end_date or dt.date.min,
                                                      link.owner.name.casefold()))


def vendor_ownership_chain(vendor: Vendor | int, *, as_of: dt.date | None = None,
                           links_by_owned: dict[int, list[Ownership]] | None = None,
                           overlay: Overlay | None = None) -> OwnershipChain:
    """The whole ownership chain of a vendor up to its ultimate parents (vendors nobody owns), with the
    path share along each path (shares multiplied) and summed per ultimate parent. Unknown shares stay unknown.
    `links_by_owned`: ownership_links_above() of a set holding the vendor, read once for several chains (in the
    view it was read in). `overlay`: otherwise, the chain in that organisation's view (ownership_links_above);
    its proposed links' steps are marked `proposed`.
    """
    vendor_id = vendor if isinstance(vendor, int) else vendor.pk
    if links_by_owned is None:
        links_by_owned = ownership_links_above({vendor_id}, as_of=as_of, overlay=overlay)
    paths: list[OwnershipPath] = []
    truncated = False

    def walk(node_id: int, steps: list[OwnershipStep], pct: Decimal | None, on_path: frozenset[int]) -> None:
        nonlocal truncated
        if len(paths) >= MAX_OWNERSHIP_PATHS:
            truncated = True
            return
        parents = [link for link in links_by_owned.get(node_id, []) if link.owner_id not in on_path]
        if not parents:
            if steps:
                paths.append(OwnershipPath(steps=list(steps), path_share_percent=pct))
            return
        for link in parents:
            share = link.share_percent
            new_pct = None if pct is None or share is None else pct * share / HUNDRED
            step = OwnershipStep(link.pk, link.owner_id, link.owner.name, link.kind, share, link.proposed)
            walk(link.owner_id, [*steps, step], new_pct, on_path | {link.owner_id})

    walk(vendor_id, [], HUNDRED, frozenset({vendor_id}))
    parents: dict[int, UltimateParent] = {}
    for path in paths:
        last = path.steps[-1]
        parents.setdefault(last.owner_id, UltimateParent(last.owner_id, last.owner_name)).paths.append(path)
    for path in paths:
        if path.path_share_percent is not None:
            path.path_share_percent = path.path_share_percent.quantize(Decimal("0.001"))
    return OwnershipChain(vendor_id, paths, list(parents.values()), truncated, links_by_owned)


def oem_rows_in_view(brand_ids: set[int] | None = None, *, overlay: Overlay | None = None) -> list[OemRow]:
    """The OEM relations of the given brands (every brand when None) as rows; with `overlay` (an organisation's
    pending proposals applied to its own view, apps.vendors.overlay), those it removes left out and those it adds
    read too. One query."""
    qs = OemRelation.objects.all() if brand_ids is None else OemRelation.objects.filter(brand_id__in=brand_ids)
    dropped = overlay.oem_removed if overlay is not None else set()
    rows = [OemRow(*values) for values in qs.values_list("pk", "brand_id", "manufacturer_id", "category",
                                                          "confidence") if values[0] not in dropped]
    if overlay is not None:
        rows += [row for row in overlay_oem_rows(overlay) if brand_ids is None or row.brand_id in brand_ids]
    return rows


def oem_relations_in_view(vendor_id: int, *, overlay: Overlay | None = None
                          ) -> tuple[list[OemRelation], list[OemRelation]]:
    """The OEM relations of `vendor_id` as a page lists them: (its makers: relations with it as the brand, the
    manufacturer loaded; its brands: relations with it as the manufacturer, the brand loaded), by id. With
    `overlay`, in that organisation's view: the relations it proposes removing left out, those it proposes adding
    (unsaved rows marked `proposed`, no id) after the shared ones. One query; one more, once per overlay, when the
    overlay adds OEM relations (overlay_oem_relations: the vendors, whatever the number of proposals)."""
    dropped = overlay.oem_removed if overlay is not None else set()
    qs = (OemRelation.objects.filter(Q(brand_id=vendor_id) | Q(manufacturer_id=vendor_id))
          .select_related("brand", "manufacturer").order_by("pk"))
    relations = [r for r in qs if r.pk not in dropped]
    if overlay is not None and overlay.oem_added:
        relations += overlay_oem_relations(overlay)
    makers = [r for r in relations if r.brand_id == vendor_id]
    brands = [r for r in relations if r.manufacturer_id == vendor_id]
    return makers, brands


def ownership_creates_cycle(*, owner_id: int, owned_id: int, exclude_pk: int | None = None) -> bool:
    """Would owner -> owned close a loop, i.e. does `owned` already own `owner` (directly or not)?
    Dates are ignored on purpose: a loop at any time is a data error."""
    if owner_id == owned_id:
        return True
    frontier, seen = {owner_id}, {owner_id}
    qs = Ownership.objects.all()
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    while frontier:
        up = set(qs.filter(owned_id__in=frontier).values_list("owner_id", flat=True))
        if owned_id in up:
            return True
        frontier = up - seen
        seen |= up
    return False


def ownership_total_share(
    *, owned_id: int, start: dt.date | None, end: dt.date | None, exclude_pk: int | None = None
) -> Decimal:
    """The most of `owned` held by recorded links with a known share on any one day of [start, end] (None: open):
    links in force at the same time add up, links that follow one another do not (60% until 2019 and 60% since
    2020 is 60%, not 120%). Dates are inclusive. One query over that vendor's links."""
    qs = Ownership.objects.filter(owned_id=owned_id, share_percent__isnull=False)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if end:
        qs = qs.filter(Q(start_date__isnull=True) | Q(start_date__lte=end))
    if start:
        qs = qs.filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
    # A sweep over the links' starts and ends, clipped to the period: +share the day a link starts, -share the
    # day after it ends; the running sum's maximum is the busiest day. On one day the ends count first (a link
    # ending the day before another starts is not in force with it).
    changes: list[tuple[dt.date, int, Decimal]] = []
    for share, link_start, link_end in qs.values_list("share_percent", "start_date", "end_date"):
        first = max(d for d in (link_start, start, dt.date.min) if d is not None)
        changes.append((first, 0, share))
        last = min((d for d in (link_end, end) if d is not None), default=None)
        if last is not None and last < dt.date.max:
            changes.append((last + dt.timedelta(days=1), -1, -share))
    total = busiest = Decimal("0")
    for _day, _order, delta in sorted(changes, key=lambda c: (c[0], c[1])):
        total += delta
        busiest = max(busiest, total)
    return busiest


def vendor_descendant_ids(vendor_ids: set[int]) -> set[int]:
    """Every vendor owned (at any depth) by, or branded from, the given vendors; used to re-screen."""
    result: set[int] = set()
    frontier = set(vendor_ids)
    while frontier:
        owned = set(Ownership.objects.filter(owner_id__in=frontier).values_list("owned_id", flat=True))
        brands = set(OemRelation.objects.filter(manufacturer_id__in=frontier).values_list("brand_id", flat=True))
        frontier = (owned | brands) - result - vendor_ids
        result |= frontier
    return result


MAX_FAMILY = 5000


@dataclass
class VendorFamily:
    """A vendor with the companies it owns (at any depth, links in force) and the brands it or they make
    white-label products for: `vendor_ids` (the vendor and what it owns) and `oem_brands` (brand id -> the
    categories made for it, None for every category)."""

    vendor_ids: set[int] = field(default_factory=set)
    oem_brands: dict[int, set[str] | None] = field(default_factory=dict)


def vendor_family(vendor_id: int, *, as_of: dt.date | None = None, overlay: Overlay | None = None) -> VendorFamily:
    """The family of `vendor_id` (see VendorFamily): one query per ownership level, one for the OEM brands.
    A white-label brand's own subsidiaries are not followed (the vendor does not make their products).
    Bounded by MAX_FAMILY companies. With `overlay` (an organisation's pending proposals applied to its own view,
    apps.vendors.overlay), the family in that view: the ownership links and OEM relations it proposes removing (or
    changing) are not followed, those it proposes adding (or the changed values) are; at most two more queries,
    once per overlay, when it holds ownership proposals (overlay_ownership_links)."""
    day = as_of or timezone.localdate()
    family = VendorFamily(vendor_ids={vendor_id})
    links = Ownership.objects.active_on(day)
    dropped = _overlay_dropped(overlay)
    if dropped:
        links = links.exclude(pk__in=dropped)
    extra: dict[int, set[int]] = defaultdict(set)
    for link in _overlay_links(overlay, day):
        extra[link.owner_id].add(link.owned_id)
    frontier = {vendor_id}
    while frontier and len(family.vendor_ids) < MAX_FAMILY:
        owned = set(links.filter(owner_id__in=frontier).values_list("owned_id", flat=True))
        owned |= {owned_id for owner_id in frontier for owned_id in extra.get(owner_id, ())}
        owned -= family.vendor_ids
        family.vendor_ids |= owned
        frontier = owned
    relations = OemRelation.objects.filter(manufacturer_id__in=family.vendor_ids)
    removed = overlay.oem_removed if overlay is not None else set()
    if removed:
        relations = relations.exclude(pk__in=removed)
    rows = list(relations.values_list("brand_id", "category")[:MAX_FAMILY])
    if overlay is not None:
        rows += [(row.brand_id, row.category) for row in overlay_oem_rows(overlay)
                 if row.manufacturer_id in family.vendor_ids]
    for brand_id, category in rows:
        if brand_id in family.vendor_ids:
            continue
        if not category:
            family.oem_brands[brand_id] = None
        elif brand_id not in family.oem_brands:
            family.oem_brands[brand_id] = {category}
        elif family.oem_brands[brand_id] is not None:
            family.oem_brands[brand_id].add(category)
    return family


def vendor_list() -> QuerySet[Vendor]:
    return Vendor.objects.prefetch_related("aliases", "identifiers")


def vendor_named(name: str, *, field: str = "vendor") -> Vendor:
    """The vendor whose legal name or alias is `name` (any case, surrounding spaces ignored); an
    ApplicationError on `field` when there is none (a typo must not silently name, or create, a company)."""
    from apps.common.exceptions import ApplicationError

    name = name.strip()
    vendor_id = vendor_ids_by_name({name}).get(name.lower())
    if vendor_id is None:
        close = vendor_names_like(name)
        hint = ("Did you mean " + " or ".join(f"\u201c{n}\u201d" for n in close) + "?") if close else \
            "Check the spelling, or add the vendor first."
        raise ApplicationError(
            f"No vendor is recorded as {name!r}.", code="unknown_vendor",
            fields={field: [f"No vendor is recorded as \u201c{name}\u201d (legal name or alias). {hint}"]})
    return Vendor.objects.get(pk=vendor_id)


SUGGESTION_POOL = 5000


def vendor_names_like(name: str, *, limit: int = 3, cutoff: float = 85) -> list[str]:
    """Recorded vendor names and aliases close to a name that matched none (a typo): up to `limit`, best first.
    The pool is the names sharing the first two characters (an indexed prefix scan, at most SUGGESTION_POOL),
    scored by rapidfuzz's WRatio."""
    from rapidfuzz import fuzz, process, utils

    prefix = name.strip()[:2]
    if len(prefix) < 2:
        return []
    pool = set(Vendor.objects.filter(name__istartswith=prefix).values_list("name", flat=True)[:SUGGESTION_POOL])
    pool |= set(VendorAlias.objects.filter(name__istartswith=prefix).values_list("name", flat=True)[:SUGGESTION_POOL])
    found = process.extract(name, pool, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit,
                            score_cutoff=cutoff)
    return [candidate for candidate, _score, _key in found]


def vendor_ids_by_name(names: set[str]) -> dict[str, int]:
    """Lower-cased name or alias -> vendor id, for the given names (two queries). A legal name wins over
    another vendor's alias."""
    lowered = {n.lower() for n in names if n}
    if not lowered:
        return {}
    found: dict[str, int] = {}
    for alias_name, vid in (VendorAlias.objects.annotate(l=Lower("name")).filter(l__in=lowered)
                            .values_list("l", "vendor_id")):
        found.setdefault(alias_name, vid)
    for name, vid in Vendor.objects.annotate(l=Lower("name")).filter(l__in=lowered).values_list("l", "pk"):
        found[name] = vid
    return found


NORMALISED_POOL = 5000  # candidate names read per look-up (the shortest first); beyond, a name stays unmatched


def _name_search_word(key: str) -> str:
    """The word of a normalised name to find candidates by: the longest distinctive one (not a generic or place
    word), else the longest; "" when it is too short to search on (a candidate scan would read every name)."""
    tokens = key.split()
    distinctive = [t for t in tokens if t not in GENERIC_TOKENS and t not in GEO_TOKENS] or tokens
    word = max(distinctive, key=len, default="")
    return word if len(word) >= 3 else ""


@dataclass
class NormalisedNameMatch:
    """The vendors whose legal name or alias has the same comparison form as a name (`same`: the name when there
    is exactly one), and those whose form holds all of the name's words or is held by them (`close`: "Hikvision
    Digital Technology" and "Hangzhou Hikvision Digital Technology", suggestions only)."""

    same: set[int] = field(default_factory=set)
    close: set[int] = field(default_factory=set)

    @property
    def vendor_id(self) -> int | None:
        return next(iter(self.same)) if len(self.same) == 1 else None


def vendors_by_normalised_name(names: set[str]) -> dict[str, NormalisedNameMatch]:
    """For each name, the vendors by comparison form (apps.vendors.name_text.normalize_name, the screening's
    normalisation: case, punctuation, diacritics, legal forms): "ZPMC North America, Inc." has the same form as
    "ZPMC North America Inc". A form shared by two vendors names neither (NormalisedNameMatch.vendor_id: a
    reviewer picks, never a guess). Keys are the names as given; names with no candidate are left out.

    Candidates are the names and aliases holding each name's most distinctive word (answered by the trigram
    indexes of vendors 0005), at most NORMALISED_POOL per table and call, shortest first; two queries. A recorded
    name that holds the word only in another form (another script, diacritics, dots: "Z.T.E.") is not a candidate:
    the exact look-up (vendor_ids_by_name) still finds it."""
    keys = {name: normalize_name(name) for name in names if name}
    words = {_name_search_word(k) for k in keys.values()} - {""}
    if not words:
        return {}
    cond = Q(pk__in=[])
    for word in sorted(words):
        cond |= Q(name__icontains=word)
    rows = list(Vendor.objects.filter(cond).order_by(Length("name"), "pk").values_list("name", "pk")[:NORMALISED_POOL])
    rows += list(VendorAlias.objects.filter(cond).order_by(Length("name"), "pk")
                 .values_list("name", "vendor_id")[:NORMALISED_POOL])
    by_key: dict[str, set[int]] = defaultdict(set)
    by_word: dict[str, list[tuple[frozenset[str], int]]] = defaultdict(list)
    for candidate, vendor_id in rows:
        key = normalize_name(candidate)
        by_key[key].add(vendor_id)
        tokens = frozenset(key.split())
        for word in tokens & words:
            by_word[word].append((tokens, vendor_id))
    out: dict[str, NormalisedNameMatch] = {}
    for name, key in keys.items():
        if not key:
            continue
        tokens = frozenset(key.split())
        same = set(by_key.get(key, ()))
        close = {vid for other, vid in by_word.get(_name_search_word(key), ())
                 if other != tokens and (other <= tokens or tokens <= other) and len(other) > 1} - same
        if same or close:
            out[name] = NormalisedNameMatch(same, close)
    return out


def proposals_visible(organization_ids) -> QuerySet:
    """The change proposals a member of `organization_ids` sees: its organisations' own (whatever their status)
    and every pending one (another organisation's shown without its proposer, source and evidence: the API's
    and the web's serializers hide them)."""
    return ChangeProposal.objects.filter(Q(organization_id__in=list(organization_ids))
                                         | Q(status=ProposalStatus.PENDING))


PROPOSAL_VENDOR_FIELDS = ("owner", "owned", "brand", "manufacturer")


def proposals_describe(proposals) -> list:
    """Give each proposal `changes`: (field, new value, old value) in words for pages, with vendor ids named
    (one query for the whole page)."""
    proposals = list(proposals)
    ids = {int(v) for p in proposals for part in (p.payload, p.base) for k, v in part.items()
           if k in PROPOSAL_VENDOR_FIELDS and v not in (None, "")}
    names = dict(Vendor.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}

    def word(field_name: str, value):
        if value in (None, ""):
            return "unknown" if field_name == "share_percent" else "—"
        if field_name in PROPOSAL_VENDOR_FIELDS:
            return names.get(int(value), f"vendor #{value}")
        return value

    for p in proposals:
        fields = list(p.payload) + [k for k in p.base if k not in p.payload]
        p.changes = [(f.replace("_", " "), word(f, p.payload[f]) if f in p.payload else "",
                      word(f, p.base[f]) if f in p.base else "") for f in fields]
    return proposals


def proposal_source_visible(proposal, *, organization_ids, curator: bool) -> bool:
    """Whether a proposal's proposer, source and evidence may be shown: to its own organisation's members and to
    curators; other organisations see only that the fact has a pending change."""
    return curator or proposal.organization_id in set(organization_ids)


EVIDENCE_CONTENT_TYPES = {
    "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "csv": "text/csv", "txt": "text/plain",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
