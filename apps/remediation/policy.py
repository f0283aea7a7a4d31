"""Pure policy arithmetic: which rules apply to a piece of equipment, its deadline, and which rule wins.

No ORM in here. Services and selectors turn database rows into the frozen dataclasses below and call these
functions, so the arithmetic is tested with plain values and injected dates.

Precedence when several rules apply to one unit: the stricter wins, i.e. the earliest deadline, then the
strongest action (remove > replace > mitigate > monitor), then the rule code (so the choice is stable).
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .choices import ACTION_STRENGTH, CountryTest, DeadlineAnchor, RuleBasis


@dataclass(frozen=True)
class RuleSpec:
    """A PolicyRule as plain values (one version of it)."""

    id: int
    code: str
    version: int
    name: str
    basis: str
    action: str
    organization_id: int | None = None
    source_codes: tuple[str, ...] = ()
    regimes: tuple[str, ...] = ()
    sub_list_contains: str = ""
    finding_statuses: tuple[str, ...] = ("prohibited", "restricted")
    vendor_roles: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    site_kinds: tuple[str, ...] = ()
    site_criticalities: tuple[str, ...] = ()
    defence_only: bool = False
    connectivities: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    country_tests: tuple[str, ...] = ()
    deadline_date: dt.date | None = None
    deadline_days: int | None = None
    deadline_anchor: str = DeadlineAnchor.LATER_OF_LISTING_OR_DISCOVERY
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    suspended_from: dt.date | None = None
    suspended_until: dt.date | None = None
    grandfathered_before: dt.date | None = None
    requires_verification: bool = False


@dataclass(frozen=True)
class FindingFact:
    """One screening finding on one unit (from apps.screening.selectors.equipment_findings)."""

    finding_id: int
    vendor_id: int
    vendor_name: str
    vendor_role: str
    source_code: str
    regime: str
    sub_list: str
    status: str
    listed_on: dt.date | None
    discovered_on: dt.date
    path_text: str = ""


@dataclass(frozen=True)
class CountryFact:
    """A country attached to the unit: its maker's, an ultimate owner's, or its place of manufacture."""

    test: str  # CountryTest
    country: str  # ISO alpha-2
    subject: str  # vendor name or product
    vendor_id: int | None = None
    via: str = ""  # e.g. "owner of ZPMC"


@dataclass(frozen=True)
class EquipmentContext:
    equipment_id: int
    organization_id: int
    site_id: int
    category: str
    site_kind: str
    site_criticality: str
    site_is_defence: bool
    connectivity: str
    installed_date: dt.date | None = None
    country_facts: tuple[CountryFact, ...] = ()


@dataclass
class Candidate:
    """A rule that applies to a unit, with the deadline it gives and why it applies."""

    rule: RuleSpec
    deadline: dt.date
    basis: dict = field(default_factory=dict)
    explanation: str = ""

    @property
    def action(self) -> str:
        return self.rule.action

    def sort_key(self) -> tuple:
        return (self.deadline, -ACTION_STRENGTH.get(self.rule.action, 0), self.rule.code)

    def as_dict(self) -> dict:
        return {
            "rule_id": self.rule.id, "rule_code": self.rule.code, "rule_version": self.rule.version,
            "rule_name": self.rule.name, "action": self.rule.action, "deadline": self.deadline.isoformat(),
            "requires_verification": self.rule.requires_verification, "basis": self.basis,
            "explanation": self.explanation,
        }


# --- dates -------------------------------------------------------------------------------------------------

def local_today(now: dt.datetime, tz: str | dt.tzinfo) -> dt.date:
    """The calendar date at `now` (timezone-aware) in the given zone: 03:00 UTC on 1 March is still
    28/29 February in New York. Deadlines are calendar dates in the registry's zone."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = zoneinfo.ZoneInfo(tz) if isinstance(tz, str) else tz
    return now.astimezone(zone).date()


def add_days(day: dt.date, days: int) -> dt.date:
    """Calendar arithmetic: 365 days after 2024-02-29 is 2025-02-28; 1 day after it is 2024-03-01."""
    return day + dt.timedelta(days=days)


def deadline_kept(plan: dict | None, rule_id: int) -> dt.date | None:
    """A live plan's hand-set (or restarted) deadline, which holds while the same rule decides; None when the
    rule's own date applies (no plan, no hand-set date, or another rule decides: it brings its own date).
    `plan` is the plan's values (deadline, deadline_overridden, rule_id)."""
    if plan is not None and plan["deadline_overridden"] and plan["rule_id"] == rule_id:
        return plan["deadline"]
    return None


def deadline_for(rule: RuleSpec, *, listed_on: dt.date | None, discovered_on: dt.date) -> dt.date:
    """A fixed (statutory) date, or N days after listing or discovery, whichever is later.

    When a rule carries both a fixed date and N days, the later of the two wins (a statutory date with a
    minimum notice period after discovery). A missing listing date falls back to the discovery date. Nothing
    is due before the rule's effective date.
    """
    options: list[dt.date] = []
    if rule.deadline_date is not None:
        options.append(rule.deadline_date)
    if rule.deadline_days is not None:
        if rule.deadline_anchor == DeadlineAnchor.LISTING:
            anchor = listed_on or discovered_on
        elif rule.deadline_anchor == DeadlineAnchor.DISCOVERY:
            anchor = discovered_on
        else:
            anchor = max(listed_on, discovered_on) if listed_on else discovered_on
        options.append(add_days(anchor, rule.deadline_days))
    if not options:
        raise ValueError(f"rule {rule.code} has neither a deadline date nor a number of days")
    if rule.effective_from:
        options.append(rule.effective_from)  # nothing is due before the rule takes effect
    return max(options)


def rule_in_force(rule: RuleSpec, day: dt.date) -> bool:
    """Effective on `day` and not suspended on it (suspension dates inclusive)."""
    if rule.effective_from and day < rule.effective_from:
        return False
    if rule.effective_until and day > rule.effective_until:
        return False
    suspended = bool(rule.suspended_from and day >= rule.suspended_from
                     and (rule.suspended_until is None or day <= rule.suspended_until))
    return not suspended


# --- matching ----------------------------------------------------------------------------------------------

def equipment_excluded(rule: RuleSpec, ctx: EquipmentContext) -> str:
    """Why the rule does not reach this unit ("" when it does): organisation, category, site, connectivity,
    grandfathering (installed before the date; an unknown installation date is not grandfathered)."""
    if rule.organization_id is not None and rule.organization_id != ctx.organization_id:
        return "rule of another organisation"
    if rule.categories and ctx.category not in rule.categories:
        return f"category {ctx.category} not covered"
    if rule.site_kinds and ctx.site_kind not in rule.site_kinds:
        return f"site kind {ctx.site_kind} not covered"
    if rule.site_criticalities and ctx.site_criticality not in rule.site_criticalities:
        return f"site criticality {ctx.site_criticality} not covered"
    if rule.defence_only and not ctx.site_is_defence:
        return "not a defence site"
    if rule.connectivities and ctx.connectivity not in rule.connectivities:
        return f"connectivity {ctx.connectivity} not covered"
    if rule.grandfathered_before and ctx.installed_date and ctx.installed_date < rule.grandfathered_before:
        return f"grandfathered: installed {ctx.installed_date} before {rule.grandfathered_before}"
    return ""


def finding_matches(rule: RuleSpec, finding: FindingFact) -> bool:
    if rule.finding_statuses and finding.status not in rule.finding_statuses:
        return False
    if rule.source_codes and finding.source_code not in rule.source_codes:
        return False
    if rule.regimes and finding.regime not in rule.regimes:
        return False
    if rule.sub_list_contains and rule.sub_list_contains.casefold() not in (finding.sub_list or "").casefold():
        return False
    return not (rule.vendor_roles and finding.vendor_role not in rule.vendor_roles)


def country_facts_matching(rule: RuleSpec, ctx: EquipmentContext) -> list[CountryFact]:
    tests = set(rule.country_tests or CountryTest.values)
    countries = {c.upper() for c in rule.countries}
    return [f for f in ctx.country_facts if f.test in tests and f.country.upper() in countries]


def candidates_for(
    ctx: EquipmentContext,
    findings: Sequence[FindingFact],
    rules: Iterable[RuleSpec],
    *,
    day: dt.date,
    first_seen: dt.date,
    exclude_rule_ids: frozenset[int] | set[int] = frozenset(),
) -> list[Candidate]:
    """Every rule in force on `day` that applies to the unit, one candidate per rule (for a finding rule
    matched by several findings, the finding giving the earliest deadline). `first_seen` is the discovery
    date for country rules (when the registry first flagged the unit). Rules in `exclude_rule_ids` (already
    done for this unit) are skipped. Findings listed after `day` are ignored (projection)."""
    out: list[Candidate] = []
    for rule in rules:
        if rule.id in exclude_rule_ids or not rule_in_force(rule, day) or equipment_excluded(rule, ctx):
            continue
        if rule.basis == RuleBasis.FINDING:
            best: Candidate | None = None
            for f in findings:
                if f.listed_on and f.listed_on > day:
                    continue
                if not finding_matches(rule, f):
                    continue
                deadline = deadline_for(rule, listed_on=f.listed_on, discovered_on=f.discovered_on)
                cand = Candidate(rule, deadline, basis={
                    "kind": "finding", "finding_id": f.finding_id, "source_code": f.source_code,
                    "regime": f.regime, "sub_list": f.sub_list, "vendor_id": f.vendor_id,
                    "vendor_name": f.vendor_name, "vendor_role": f.vendor_role, "status": f.status,
                    "listed_on": f.listed_on.isoformat() if f.listed_on else None,
                    "discovered_on": f.discovered_on.isoformat(), "path": f.path_text,
                }, explanation=f"{f.vendor_name} ({f.vendor_role}) {f.status} on {f.source_code or f.regime}"
                   + (f" [{f.sub_list}]" if f.sub_list else "") + (f": {f.path_text}" if f.path_text else ""))
                if best is None or cand.sort_key() < best.sort_key():
                    best = cand
            if best:
                out.append(best)
        elif rule.basis == RuleBasis.COUNTRY:
            facts = country_facts_matching(rule, ctx)
            if not facts:
                continue
            deadline = deadline_for(rule, listed_on=None, discovered_on=first_seen)
            text = "; ".join(f"{f.test.replace('_', ' ')} {f.subject} ({f.country})"
                             + (f" via {f.via}" if f.via else "") for f in facts)
            out.append(Candidate(rule, deadline, basis={
                "kind": "country", "facts": [
                    {"test": f.test, "country": f.country, "subject": f.subject, "vendor_id": f.vendor_id,
                     "via": f.via} for f in facts],
                "discovered_on": first_seen.isoformat(),
            }, explanation=f"country of concern: {text}"))
    return out


def choose(candidates: Sequence[Candidate]) -> tuple[Candidate | None, list[Candidate]]:
    """The stricter candidate wins (earliest deadline, then strongest action, then rule code); the others
    are returned in the same order so the plan can say which rules also applied."""
    ordered = sorted(candidates, key=Candidate.sort_key)
    if not ordered:
        return None, []
    return ordered[0], ordered[1:]


def why_text(winner: Candidate, others: Sequence[Candidate]) -> str:
    """One paragraph for the UI: which rule won and why the others lost."""
    text = (f"{winner.rule.name} ({winner.rule.code} v{winner.rule.version}) applies: {winner.action} by "
            f"{winner.deadline.isoformat()} because {winner.explanation}.")
    if winner.rule.requires_verification:
        text += " The rule's dates are marked 'verify'."
    for other in others:
        reason = ("later deadline" if other.deadline > winner.deadline
                  else "same deadline, weaker or equal action")
        text += (f" Also applies: {other.rule.code} ({other.action} by {other.deadline.isoformat()}; "
                 f"{reason}).")
    return text
