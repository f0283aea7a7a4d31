"""The screening engine's pure parts: policies, propagation through ownership, path texts.

No writes here (services.py does them); the functions take plain data already loaded in a constant number
of queries, so a run over every vendor costs the same few queries as a run over one.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from functools import lru_cache

from apps.common.choices import RiskStatus, risk_worst
from apps.inventory.choices import EquipmentCategory
from apps.lists.choices import Propagation, Regime
from apps.vendors.choices import OwnershipKind

from .choices import FindingKind, ReviewState

CONFIRMED_STATES = frozenset({ReviewState.CONFIRMED, ReviewState.AUTO_CONFIRMED})
MAX_PATH_TEXT = 2000
ZERO = Decimal("0")


# ---------------------------------------------------------------------------------------------------------------
# Policies


@dataclass(frozen=True)
class PolicyView:
    id: int | None
    name: str
    regime: str
    source_code: str
    pattern: str
    status: str
    categories: tuple[str, ...]
    other_status: str
    propagation: str
    priority: int
    effective_from: dt.date | None
    effective_until: dt.date | None


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


def policy_choose(policies: Iterable[PolicyView], *, regime: str, source_code: str, sub_list: str,
                  programs: Iterable[str], day: dt.date) -> PolicyView | None:
    """The policy for one listing: enabled, in force on `day`, regime/source/pattern matching; the highest
    priority wins and a tie goes to the worse status."""
    texts = [sub_list or "", *[str(p) for p in programs or []]]
    best: PolicyView | None = None
    for policy in policies:
        if policy.regime and policy.regime != regime:
            continue
        if policy.source_code and policy.source_code != source_code:
            continue
        if policy.effective_from and day < policy.effective_from:
            continue
        if policy.effective_until and day > policy.effective_until:
            continue
        if policy.pattern:
            rx = _compiled(policy.pattern)
            if not any(rx.search(t) for t in texts if t):
                continue
        if best is None or policy.priority > best.priority or (
            policy.priority == best.priority and risk_worst(policy.status, best.status) != best.status
        ):
            best = policy
    return best


# ---------------------------------------------------------------------------------------------------------------
# Listings and propagation


@dataclass
class ListedEntry:
    """The list entry a listing or a finding is about: its source and regime, the propagation that applies to it,
    and the entry itself."""

    source_id: int
    regime: str
    propagation: str
    sub_list: str
    external_id: str
    entry_name: str
    listed_on: dt.date | None
    # The entry's own scope where the list states one per entry (FCC Covered List): the covered equipment or
    # services as published, and the equipment categories it names (None: the entry states no scope; []: it
    # names services only, no equipment category).
    entry_scope: str
    entry_scope_categories: list[str] | None

    def listed_entry(self, **changes) -> dict:
        """The ListedEntry fields of this record (``changes`` replacing some), for a record about the same entry."""
        return {name: changes.get(name, getattr(self, name)) for name in _LISTED_ENTRY_FIELDS}


_LISTED_ENTRY_FIELDS = tuple(f.name for f in fields(ListedEntry))


@dataclass
class Listing(ListedEntry):
    """An open, not dismissed match of a vendor, with the policy that applies to it."""

    match_id: int
    vendor_id: int
    source_code: str
    source_name: str
    confirmed: bool
    policy: PolicyView | None

    @property
    def status(self) -> str:
        if not self.confirmed:
            return RiskStatus.POTENTIAL_MATCH
        return self.policy.status if self.policy else RiskStatus.RESTRICTED

    @property
    def base_label(self) -> str:
        text = self.source_name
        name_words = set(re.findall(r"\w+", text.casefold()))
        if self.sub_list and not set(re.findall(r"\w+", self.sub_list.casefold())) <= name_words:
            text += f" / {self.sub_list}"
        return text

    @property
    def label(self) -> str:
        text = self.base_label
        if self.listed_on:
            text += f" ({self.listed_on.year})"
        if not self.confirmed:
            text += " [match awaiting review]"
        return text


def listings_label(listings: Iterable[Listing]) -> str:
    """'OFAC SDN (2021), DoD 1260H (2021, 2025)': one label per list, years merged; only the confirmed
    listings when there are any."""
    listings = list(listings)
    confirmed = [li for li in listings if li.confirmed]
    chosen = confirmed or listings
    years: dict[str, set[int]] = {}
    for li in chosen:
        years.setdefault(li.base_label, set())
        if li.listed_on:
            years[li.base_label].add(li.listed_on.year)
    parts = [f"{label} ({', '.join(map(str, sorted(ys)))})" if ys else label for label, ys in years.items()]
    text = ", ".join(parts)
    return text if confirmed else f"{text} [match awaiting review]"


# The Match columns a listing is built from (values_list order), the entry's scope read through the match's entry.
MATCH_ROW_FIELDS = ("pk", "vendor_id", "source_id", "sub_list", "programs", "external_id", "entry_name", "listed_on",
                    "review_state", "entry__scope", "entry__scope_categories")


def listings_from_rows(rows: Iterable[tuple], *, sources: dict, policies: list[PolicyView], day: dt.date
                       ) -> tuple[dict[int, list[Listing]], dict[tuple[int, str], dict[int, list[Listing]]]]:
    """Listings per vendor, and per (source id, propagation) group then vendor, from Match rows in
    MATCH_ROW_FIELDS order. A matching policy's propagation overrides the source's."""
    direct: dict[int, list[Listing]] = defaultdict(list)
    grouped: dict[tuple[int, str], dict[int, list[Listing]]] = defaultdict(lambda: defaultdict(list))
    for pk, vendor_id, source_id, sub_list, programs, ext, entry_name, listed_on, state, scope, scope_cats in rows:
        source = sources[source_id]
        policy = policy_choose(policies, regime=source.regime, source_code=source.code, sub_list=sub_list,
                               programs=programs or [], day=day)
        propagation = policy.propagation if policy and policy.propagation else source.propagation
        listing = Listing(
            source_id=source_id, regime=source.regime, propagation=propagation, sub_list=sub_list, external_id=ext,
            entry_name=entry_name, listed_on=listed_on, entry_scope=scope or "",
            entry_scope_categories=None if scope_cats is None else list(scope_cats), match_id=pk,
            vendor_id=vendor_id, source_code=source.code, source_name=source.name,
            confirmed=state in CONFIRMED_STATES, policy=policy)
        direct[vendor_id].append(listing)
        grouped[(source_id, propagation)][vendor_id].append(listing)
    return direct, grouped


def propagation_groups(grouped: dict[tuple[int, str], dict[int, list[Listing]]], rules: dict[str, RuleView],
                       links_by_owned: dict[int, list[LinkView]]) -> dict[tuple[int, str], PropagationGroup]:
    """One PropagationGroup per (source id, propagation); a propagation without a rule row does not propagate."""
    return {
        key: PropagationGroup(rules.get(key[1]) or RuleView(key[1], Decimal(50), True, False, False), by_vendor,
                              links_by_owned)
        for key, by_vendor in grouped.items()
    }


@dataclass(frozen=True)
class RuleView:
    propagation: str
    threshold: Decimal
    inclusive: bool
    control_counts: bool
    in_force: bool

    def meets(self, total: Decimal) -> bool:
        return total >= self.threshold if self.inclusive else total > self.threshold


@dataclass(frozen=True)
class LinkView:
    owner_id: int
    owned_id: int
    share: Decimal | None
    kind: str


@dataclass
class Node:
    """Whether a vendor is caught by one propagation group, and why."""

    level: str | None  # "confirmed" | "potential" | None
    listings: list[Listing] = field(default_factory=list)  # direct listings in the group
    contributions: list[tuple[LinkView, Node]] = field(default_factory=list)
    unknown_share: bool = False  # some share on the way is unknown
    known_total: Decimal | None = None  # aggregate of known shares of caught owners

    @property
    def direct(self) -> bool:
        return bool(self.listings)

    def roots(self) -> list[Listing]:
        if self.listings:
            return list(self.listings)
        seen: dict[int, Listing] = {}
        for _link, node in self.contributions:
            for listing in node.roots():
                seen.setdefault(listing.match_id, listing)
        return list(seen.values())


NOT_CAUGHT = Node(level=None)


class PropagationGroup:
    """One source + propagation rule: computes, with memo, which vendors are caught and why.

    OFAC-style aggregation: the shares of every caught owner add up; an owner counts in full when it is
    itself caught (listed, or owned past the threshold); shares are not multiplied along the path. Control
    links count in full only where the rule says control counts (EU/UK, subsidiary/affiliate); otherwise a
    control link is judged by its share, and an unknown share gives "potential" (review), never clear.
    Propagation goes only from owner to owned: a listed subsidiary never taints its parent.
    """

    def __init__(self, rule: RuleView, listings_by_vendor: dict[int, list[Listing]],
                 links_by_owned: dict[int, list[LinkView]]):
        self.rule = rule
        self.listings_by_vendor = listings_by_vendor
        self.links_by_owned = links_by_owned
        self._memo: dict[int, Node] = {}

    def node(self, vendor_id: int, _stack: frozenset[int] = frozenset()) -> Node:
        if vendor_id in self._memo:
            return self._memo[vendor_id]
        listings = self.listings_by_vendor.get(vendor_id)
        if listings and any(li.confirmed for li in listings):
            result = Node(level="confirmed", listings=listings)
            self._memo[vendor_id] = result
            return result
        # Not (confirmed) listed itself: caught through its owners? A confirmed derivation beats a direct match
        # that still awaits review (which gives its own finding anyway).
        derived = self._derived(vendor_id, _stack)
        if listings and derived.level != "confirmed":
            derived = Node(level="potential", listings=listings)
        self._memo[vendor_id] = derived
        return derived

    def _derived(self, vendor_id: int, _stack: frozenset[int]) -> Node:
        if not self.rule.in_force or vendor_id in _stack:
            return NOT_CAUGHT
        if vendor_id not in self.links_by_owned:
            return NOT_CAUGHT
        tally = self.tally(vendor_id, _stack | {vendor_id}, stakes=False)
        contributions = tally.contributions
        if not contributions:
            result = NOT_CAUGHT
        elif tally.control_confirmed or self.rule.meets(tally.confirmed_total):
            result = Node("confirmed", contributions=contributions, known_total=tally.known_total)
            result.unknown_share = False
        elif tally.control_potential or tally.unknown or self.rule.meets(tally.known_total):
            result = Node("potential", contributions=contributions, unknown_share=tally.unknown,
                          known_total=tally.known_total)
        else:
            result = NOT_CAUGHT  # caught owners hold too little: below the threshold, with every share known
        return result

    def tally(self, vendor_id: int, stack: frozenset[int], *, stakes: bool = True) -> Tally:
        """The regime's count over the vendor's direct owners: a stake counts in full when its owner is itself
        caught (listed, or owned past the threshold), and not at all otherwise; nothing is multiplied.
        ``stakes``: also list every owner's Stake (for the ownership view; the screening run does without)."""
        tally = Tally()
        control_counts = self.rule.control_counts
        for link in self.links_by_owned.get(vendor_id, ()):
            owner = self.node(link.owner_id, stack)
            if tally.add(link, owner, control_counts=control_counts, record=stakes) and owner.unknown_share:
                tally.unknown = True
        return tally


@dataclass
class Stake:
    """One direct owner's stake as the regime test sees it. `counted`: "blocked" (owner caught, share counted),
    "pending" (owner caught only through a match awaiting review), "control" (a control link, counting in full
    where the rule says control counts), "unknown" (owner caught, share not published) or "" (owner not caught:
    the stake does not count, whatever its owners hold)."""

    link: LinkView
    owner: Node
    counted: str


@dataclass(slots=True)
class Tally:
    """The sums behind one vendor's regime test (see PropagationGroup.tally)."""

    stakes: list[Stake] = field(default_factory=list)
    contributions: list[tuple[LinkView, Node]] = field(default_factory=list)
    confirmed_total: Decimal = ZERO
    potential_total: Decimal = ZERO
    control_confirmed: bool = False
    control_potential: bool = False
    unknown: bool = False

    @property
    def known_total(self) -> Decimal:
        return self.confirmed_total + self.potential_total

    def add(self, link: LinkView, owner: Node, *, control_counts: bool, record: bool = True) -> bool:
        """Count one direct owner's stake (``record``: and keep it as a Stake); True when the owner is caught
        (the stake contributes)."""
        if owner.level is None:
            if record:
                self.stakes.append(Stake(link, owner, ""))
            return False
        self.contributions.append((link, owner))
        confirmed = owner.level == "confirmed"
        if link.kind == OwnershipKind.CONTROL and control_counts:
            if confirmed:
                self.control_confirmed = True
            else:
                self.control_potential = True
            counted = "control"
        elif link.share is None:
            self.unknown = True
            counted = "unknown"
        elif confirmed:
            self.confirmed_total += link.share
            counted = "blocked"
        else:
            self.potential_total += link.share
            counted = "pending"
        if record:
            self.stakes.append(Stake(link, owner, counted))
        return True


@dataclass
class RegimeTest:
    """A vendor under one (list, propagation rule) group: the regime's own test, not path arithmetic.

    `verdict`: "listed" (the vendor itself is on the list), "caught" (the aggregate of counted stakes meets the
    threshold, or a counted control link), "review" (it would with stakes awaiting review or unknown shares),
    "not_caught" (below the threshold with every share known), "not_in_force" (the rule does not propagate on
    the day)."""

    rule: RuleView
    listings: list[Listing]
    tally: Tally
    verdict: str


def regime_test(group: PropagationGroup, vendor_id: int) -> RegimeTest:
    """The regime test of one vendor in one group, with the same counting the screening run uses."""
    node = group.node(vendor_id)
    listings = [li for li in group.listings_by_vendor.get(vendor_id, []) if li.confirmed]
    tally = group.tally(vendor_id, frozenset({vendor_id})) if group.rule.in_force else Tally()
    if listings:
        verdict = "listed"
    elif not group.rule.in_force:
        verdict = "not_in_force"
    elif node.level == "confirmed":
        verdict = "caught"
    elif node.level == "potential":
        verdict = "review"
    else:
        verdict = "not_caught"
    return RegimeTest(rule=group.rule, listings=listings or group.listings_by_vendor.get(vendor_id, []),
                      tally=tally, verdict=verdict)


def _share_text(share: Decimal | None) -> str:
    if share is None:
        return "share unknown"
    return f"{share.normalize():f}%"


def _relation(kind: str) -> str:
    return {OwnershipKind.CONTROL: "controlled by", OwnershipKind.JOINT_VENTURE: "joint venture of"}.get(
        kind, "owned by"
    )


def explain(node: Node, names: dict[int, str], depth: int = 0) -> str:
    """'controlled by X (share unknown) <- listed: ...' for a caught vendor (without its own name)."""
    if node.direct:
        return "listed: " + listings_label(node.listings)
    if depth > 12:
        return "..."
    parts = [
        f"{_relation(link.kind)} {names.get(link.owner_id, link.owner_id)} ({_share_text(link.share)}) <- "
        f"{explain(owner, names, depth + 1)}"
        for link, owner in node.contributions
    ]
    if len(parts) == 1:
        return parts[0]
    text = " + ".join(f"[{p}]" for p in parts)
    if node.known_total:
        text += f" (aggregate of known shares {node.known_total.normalize():f}%)"
    return text


def path_data(node: Node, names: dict[int, str], depth: int = 0) -> dict:
    """The same path as JSON: {"listed": [...]} or {"owners": [{"owner_id", "name", "relation", "share", ...}]}."""
    if node.direct:
        return {"listed": [{"match_id": li.match_id, "source": li.source_code, "label": li.label}
                           for li in node.listings]}
    if depth > 12:
        return {"truncated": True}
    return {"owners": [
        {"owner_id": link.owner_id, "name": names.get(link.owner_id, ""), "relation": link.kind,
         "share": None if link.share is None else str(link.share), "via": path_data(owner, names, depth + 1)}
        for link, owner in node.contributions
    ]}


# ---------------------------------------------------------------------------------------------------------------
# Findings wanted for a vendor


@dataclass
class WantedFinding(ListedEntry):
    vendor_id: int
    kind: str
    key: str
    match_id: int | None
    root_match_ids: list[int]
    via_vendor_id: int | None
    path: list
    path_text: str
    status: str
    status_reason: str
    categories: list[str]
    other_status: str
    policy_id: int | None
    aggregate_percent: Decimal | None

    def comparable(self) -> tuple:
        return (self.kind, self.source_id, self.regime, self.propagation, self.sub_list, self.external_id,
                self.entry_name, self.listed_on, self.entry_scope, self.entry_scope_categories,
                self.match_id, sorted(self.root_match_ids), self.via_vendor_id,
                self.path_text, self.status, self.status_reason, sorted(self.categories), self.other_status,
                self.policy_id, None if self.aggregate_percent is None else Decimal(self.aggregate_percent))


def _policy_scope(listing: Listing) -> tuple[str, list[str], str]:
    """(status, categories, other status) a listing gives. A category-scoped policy (e.g. the FCC Covered List's)
    takes the entry's own categories when the entry states them; an entry naming services only gives its other
    status to every category (the status for covered equipment applies to none)."""
    if not listing.confirmed or listing.policy is None:
        return listing.status, [], ""
    other = listing.policy.other_status if listing.policy.other_status != RiskStatus.CLEAR else ""
    categories = list(listing.policy.categories)
    if categories and listing.entry_scope_categories is not None:
        if listing.entry_scope_categories:
            categories = list(listing.entry_scope_categories)
        elif other:
            return other, [], ""
    return listing.status, categories, other


def finding_direct(vendor_id: int, vendor_name: str, listing: Listing) -> WantedFinding:
    status, categories, other = _policy_scope(listing)
    reason = listing.policy.name if (listing.confirmed and listing.policy) else "match awaiting review"
    return WantedFinding(
        vendor_id=vendor_id, kind=FindingKind.DIRECT, key=f"direct:{listing.source_id}:{listing.external_id}",
        **listing.listed_entry(), match_id=listing.match_id, root_match_ids=[listing.match_id],
        via_vendor_id=vendor_id, path=[{"listed": [{"match_id": listing.match_id, "label": listing.label}]}],
        path_text=f"{vendor_name} <- listed: {listing.label}"[:MAX_PATH_TEXT], status=status,
        status_reason=reason[:300], categories=categories, other_status=other,
        policy_id=listing.policy.id if listing.policy else None, aggregate_percent=None,
    )


def finding_derived(vendor_id: int, node: Node, group_key: tuple[int, str], names: dict[int, str]) -> WantedFinding:
    roots = node.roots()
    first = roots[0]
    if node.level == "confirmed":
        scoped = [(li, *_policy_scope(li)) for li in roots if li.confirmed]
        status = risk_worst(*(s for _li, s, _c, _o in scoped))
        chosen, _status, categories, other = next(t for t in scoped if t[1] == status)
        rule_label = Propagation(group_key[1]).label if group_key[1] in Propagation.values else group_key[1]
        regime_label = Regime(chosen.regime).label if chosen.regime in Regime.values else chosen.regime
        policy_name = chosen.policy.name if chosen.policy else ""
        reason = f"{regime_label} / {rule_label}: {policy_name}".strip(": ")
        policy_id = chosen.policy.id if chosen.policy else None
        first = chosen
    else:
        status = RiskStatus.POTENTIAL_MATCH
        categories, other = [], ""
        reason = "ownership unknown: review" if node.unknown_share else "listed owner's match awaiting review"
        policy_id = None
    text = f"{names.get(vendor_id, vendor_id)} <- {explain(node, names)}"
    return WantedFinding(
        vendor_id=vendor_id, kind=FindingKind.OWNERSHIP, key=f"own:{group_key[0]}:{group_key[1]}",
        **first.listed_entry(propagation=group_key[1]), match_id=first.match_id,
        root_match_ids=sorted(li.match_id for li in roots), via_vendor_id=first.vendor_id,
        path=[path_data(node, names)], path_text=text[:MAX_PATH_TEXT], status=status, status_reason=reason[:300],
        categories=categories, other_status=other, policy_id=policy_id,
        aggregate_percent=node.known_total if node.known_total else None,
    )


def finding_oem(brand_id: int, manufacturer_id: int, category: str, inner: WantedFinding,
                names: dict[int, str]) -> WantedFinding | None:
    """The brand inherits its real manufacturer's finding for the OEM relation's category (empty: all)."""
    if category:
        status = inner.status if (not inner.categories or category in inner.categories) else inner.other_status
        if not status or status == RiskStatus.CLEAR:
            return None
        categories, other = [category], ""
        scope = EquipmentCategory(category).label if category in EquipmentCategory.values else category
    else:
        status, categories, other, scope = inner.status, list(inner.categories), inner.other_status, "all categories"
    text = f"{names.get(brand_id, brand_id)} <- made by ({scope}) {inner.path_text}"
    return WantedFinding(
        vendor_id=brand_id, kind=FindingKind.OEM, key=f"oem:{manufacturer_id}:{category}:{inner.key}"[:200],
        **inner.listed_entry(), match_id=inner.match_id, root_match_ids=list(inner.root_match_ids),
        via_vendor_id=inner.via_vendor_id,
        path=[{"oem_manufacturer_id": manufacturer_id, "category": category, "via": inner.path}],
        path_text=text[:MAX_PATH_TEXT], status=status, status_reason=f"white label: {inner.status_reason}"[:300],
        categories=categories, other_status=other, policy_id=inner.policy_id,
        aggregate_percent=inner.aggregate_percent,
    )
