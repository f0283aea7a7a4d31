"""Pure policy arithmetic: which rules apply to a piece of equipment, its deadline, and which rule wins.

No ORM in here. Services and selectors turn database rows into the frozen dataclasses below and call these
functions, so the arithmetic is tested with plain values and injected dates.

Precedence when several rules apply to one unit: the stricter wins, i.e. the earliest deadline, then the
strongest obligation (remove or replace > mitigate > report > do not procure), then the strongest action
(remove > replace > mitigate > monitor), then the rule code (so the choice is stable).

Where the date comes from (`due_date`): a fixed legal date or staged quotas (legal: a passed one means the
organisation is in breach), the rule's relative period (N days after listing or discovery), or, for an
obligation without a date (a procurement ban), the organisation's own target or the registry's default.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from apps.inventory.choices import LEGACY_CONNECTIVITY_FACTS

from .choices import (
    ACTION_STRENGTH,
    OBLIGATION_STRENGTH,
    CountryTest,
    DeadlineAnchor,
    DeadlineKind,
    DeadlineSource,
    Obligation,
    RuleBasis,
)

DEFAULT_TARGET_DAYS = 365  # an obligation without a date, for an organisation that set no target of its own



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
    jurisdictions: tuple[str, ...] = ()
    organization_kinds: tuple[str, ...] = ()
    connectivity_any: tuple[str, ...] = ()
    connectivity_none: tuple[str, ...] = ()
    installed_before: dt.date | None = None
    installed_after: dt.date | None = None
    names_any: tuple[str, ...] = ()
    finding_kinds: tuple[str, ...] = ()
    respect_entry_scope: bool = True
    obligation: str = Obligation.REMOVE_OR_REPLACE
    deadline_kind: str = ""  # "": inferred (fixed when a date is given, else relative), for hand-built specs
    staged_deadlines: tuple[tuple[dt.date, str, int], ...] = ()  # (date, "count" | "percent", value)

    @property
    def effective_deadline_kind(self) -> str:
        if self.deadline_kind:
            return self.deadline_kind
        return DeadlineKind.FIXED if self.deadline_date is not None else DeadlineKind.RELATIVE


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
    kind: str = "direct"
    entry_name: str = ""
    entry_scope_categories: tuple[str, ...] | None = None  # None: the list entry states no scope of its own


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
    country: str = ""  # the organisation's jurisdiction (ISO alpha-2)
    subdivision: str = ""  # its state or territory ("CA", "ACT")
    legal_kinds: frozenset[str] = frozenset()
    target_days: int | None = None  # the organisation's own remediation target
    connectivity_facts: frozenset[str] | None = None  # None: derived from `connectivity` (hand-built contexts)

    @property
    def facts(self) -> frozenset[str]:
        if self.connectivity_facts is not None:
            return self.connectivity_facts
        return LEGACY_CONNECTIVITY_FACTS.get(self.connectivity, frozenset())


@dataclass
class Candidate:
    """A rule that applies to a unit, with the deadline it gives and why it applies."""

    rule: RuleSpec
    deadline: dt.date
    basis: dict = field(default_factory=dict)
    explanation: str = ""
    deadline_source: str = DeadlineSource.LEGAL

    @property
    def action(self) -> str:
        return self.rule.action

    @property
    def obligation(self) -> str:
        return self.rule.obligation

    def in_breach_since(self, day: dt.date) -> dt.date | None:
        """The legal deadline when it has passed on `day`; None otherwise (a relative period or a target
        running out makes a plan overdue, never a breach of the law)."""
        if self.deadline_source == DeadlineSource.LEGAL and self.deadline < day:
            return self.deadline
        return None

    def sort_key(self) -> tuple:
        return (self.deadline, -OBLIGATION_STRENGTH.get(self.rule.obligation, 0),
                -ACTION_STRENGTH.get(self.rule.action, 0), self.rule.code)

    def as_dict(self) -> dict:
        return {
            "rule_id": self.rule.id, "rule_code": self.rule.code, "rule_version": self.rule.version,
            "rule_name": self.rule.name, "action": self.rule.action, "obligation": self.rule.obligation,
            "deadline": self.deadline.isoformat(), "deadline_source": self.deadline_source,
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
        options.append(add_days(_anchor(rule, listed_on, discovered_on), rule.deadline_days))
    if not options:
        raise ValueError(f"rule {rule.code} has neither a deadline date nor a number of days")
    if rule.effective_from:
        options.append(rule.effective_from)  # nothing is due before the rule takes effect
    return max(options)


def _anchor(rule: RuleSpec, listed_on: dt.date | None, discovered_on: dt.date) -> dt.date:
    if rule.deadline_anchor == DeadlineAnchor.LISTING:
        return listed_on or discovered_on
    if rule.deadline_anchor == DeadlineAnchor.DISCOVERY:
        return discovered_on
    return max(listed_on, discovered_on) if listed_on else discovered_on


def staged_deadline(stages: Sequence[tuple[dt.date, str, int]], *, done: int, total: int) -> dt.date:
    """The date of the first stage whose cumulative quota the organisation has not met yet (`done` units dealt
    with under the rule, out of `total` live and done); all met: the last stage's date. A percent quota is
    rounded up (40% of 3 units is 2)."""
    for day, quota, value in stages:
        required = value if quota == "count" else -(-value * total // 100)
        if done < min(required, total) or total == 0:
            return day
    return stages[-1][0]


def due_date(rule: RuleSpec, ctx: EquipmentContext, *, listed_on: dt.date | None, discovered_on: dt.date,
             first_seen: dt.date, progress: tuple[int, int] = (0, 0)) -> tuple[dt.date, str]:
    """The unit's date under the rule and where it comes from (DeadlineSource):

    * fixed: the legal date (with `deadline_days` too, the later of the two: a minimum notice period);
    * staged: the first stage whose quota is not met (`progress` = units done, units in all, for the rule in the
      organisation);
    * relative: N days after listing or discovery (the rule's anchor);
    * none: N days (the organisation's `target_days`, else DEFAULT_TARGET_DAYS) after the unit was flagged.

    Nothing is due before the rule takes effect."""
    kind = rule.effective_deadline_kind
    if kind == DeadlineKind.FIXED:
        day, source = deadline_for(rule, listed_on=listed_on, discovered_on=discovered_on), DeadlineSource.LEGAL
        return day, source
    if kind == DeadlineKind.STAGED:
        day, source = staged_deadline(rule.staged_deadlines, done=progress[0], total=progress[1]), DeadlineSource.LEGAL
    elif kind == DeadlineKind.RELATIVE:
        day = add_days(_anchor(rule, listed_on, discovered_on), rule.deadline_days or 0)
        source = DeadlineSource.RELATIVE
    else:
        if ctx.target_days:
            days, source = ctx.target_days, DeadlineSource.ORGANIZATION_TARGET
        else:
            days, source = DEFAULT_TARGET_DAYS, DeadlineSource.DEFAULT_TARGET
        day = add_days(first_seen, days)
    if rule.effective_from and day < rule.effective_from:
        day = rule.effective_from
    return day, source


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

def equipment_excluded(rule: RuleSpec, ctx: EquipmentContext, *, organization_checked: bool = False) -> str:
    """Why the rule does not reach this unit ("" when it does): organisation, its jurisdiction and legal kinds,
    category, site, connectivity, installation dates (an unknown installation date is never exempt)."""
    if not organization_checked:
        reason = organization_excluded(rule, ctx)
        if reason:
            return reason
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
    if rule.connectivity_any and not ctx.facts.intersection(rule.connectivity_any):
        return "none of the connectivity facts " + ", ".join(rule.connectivity_any)
    if rule.connectivity_none and ctx.facts.intersection(rule.connectivity_none):
        return "connectivity " + ", ".join(sorted(ctx.facts.intersection(rule.connectivity_none))) + " excluded"
    if ctx.installed_date:
        if rule.grandfathered_before and ctx.installed_date < rule.grandfathered_before:
            return f"grandfathered: installed {ctx.installed_date} before {rule.grandfathered_before}"
        if rule.installed_before and ctx.installed_date >= rule.installed_before:
            return f"installed {ctx.installed_date}, not before {rule.installed_before}"
        if rule.installed_after and ctx.installed_date < rule.installed_after:
            return f"installed {ctx.installed_date}, before {rule.installed_after}"
    return ""


def organization_excluded(rule: RuleSpec, ctx: EquipmentContext) -> str:
    """Why the rule does not bind the unit's organisation ("" when it does): another organisation's rule, or
    the organisation's jurisdiction or legal kinds. Fail closed: a profile that does not say where the
    organisation is, or what it is, excludes nothing (the rule applies, and says so: `profile_assumptions`)."""
    if rule.organization_id is not None and rule.organization_id != ctx.organization_id:
        return "rule of another organisation"
    if rule.jurisdictions and ctx.country and not jurisdiction_matches(rule.jurisdictions, ctx.country,
                                                                       ctx.subdivision):
        return f"jurisdiction {ctx.country} not covered"
    if rule.organization_kinds and ctx.legal_kinds and not ctx.legal_kinds.intersection(rule.organization_kinds):
        return "organisation kind not covered"
    return ""


def profile_assumptions(rule: RuleSpec, ctx: EquipmentContext) -> str:
    """What the rule assumed because the organisation's profile is incomplete ("" when nothing)."""
    missing = []
    if rule.jurisdictions and not ctx.country:
        missing.append("where the organisation is")
    if rule.organization_kinds and not ctx.legal_kinds:
        missing.append("what it is in law")
    return ("applied because the organisation's profile does not say " + " or ".join(missing)) if missing else ""


def rules_binding(rules: Iterable[RuleSpec], ctx: EquipmentContext, day: dt.date) -> list[RuleSpec]:
    """The rules in force on `day` that bind the organisation of `ctx`: the same for every unit of one
    organisation, so an evaluation computes it once per organisation and chunk (candidates_for checks again)."""
    return [r for r in rules if rule_in_force(r, day) and not organization_excluded(r, ctx)]


def jurisdiction_matches(jurisdictions: Sequence[str], country: str, subdivision: str) -> bool:
    """'US' covers every US organisation; 'US-CA' only those in California (codes in upper case, as the rules
    and contexts hold them)."""
    if not country:
        return False
    return country in jurisdictions or bool(subdivision and f"{country}-{subdivision}" in jurisdictions)


def finding_matches(rule: RuleSpec, finding: FindingFact, category: str | None = None) -> bool:
    """Whether the finding is one the rule looks at. With `respect_entry_scope`, a list entry that states its
    own scope (FCC Covered List: equipment categories) reaches only units of those categories."""
    if rule.finding_statuses and finding.status not in rule.finding_statuses:
        return False
    if rule.finding_kinds and finding.kind not in rule.finding_kinds:
        return False
    if (rule.respect_entry_scope and category is not None and finding.entry_scope_categories is not None
            and category not in finding.entry_scope_categories):
        return False
    if rule.names_any:
        text = f"{finding.entry_name}\n{finding.vendor_name}\n{finding.path_text}".casefold()
        if not any(name.casefold() in text for name in rule.names_any):
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
    stage_progress: dict[tuple[int, int], tuple[int, int]] | None = None,
    bound: bool = False,
) -> list[Candidate]:
    """Every rule in force on `day` that applies to the unit, one candidate per rule (for a finding rule
    matched by several findings, the finding giving the earliest deadline). `first_seen` is the discovery
    date for country rules and organisation targets (when the registry first flagged the unit). Rules in
    `exclude_rule_ids` (already done for this unit) are skipped. Findings listed after `day` are ignored
    (projection). `stage_progress[(organisation id, rule id)]` = (units done, units in all) for staged rules.
    `bound`: `rules` come from `rules_binding` for this unit's organisation and day (not checked again)."""
    progress_of = stage_progress or {}
    out: list[Candidate] = []
    for rule in rules:
        if rule.id in exclude_rule_ids or (not bound and not rule_in_force(rule, day)) \
                or equipment_excluded(rule, ctx, organization_checked=bound):
            continue
        if rule.basis == RuleBasis.FINDING:
            best: Candidate | None = None
            for f in findings:
                if f.listed_on and f.listed_on > day:
                    continue
                if not finding_matches(rule, f, ctx.category):
                    continue
                deadline, source = due_date(rule, ctx, listed_on=f.listed_on, discovered_on=f.discovered_on,
                                            first_seen=first_seen,
                                            progress=progress_of.get((ctx.organization_id, rule.id), (0, 0)))
                cand = Candidate(rule, deadline, deadline_source=source, basis={
                    "kind": "finding", "finding_id": f.finding_id, "source_code": f.source_code,
                    "regime": f.regime, "sub_list": f.sub_list, "vendor_id": f.vendor_id,
                    "vendor_name": f.vendor_name, "vendor_role": f.vendor_role, "status": f.status,
                    "listed_on": f.listed_on.isoformat() if f.listed_on else None,
                    "discovered_on": f.discovered_on.isoformat(), "path": f.path_text, "finding_kind": f.kind,
                    "entry_scope_categories": (list(f.entry_scope_categories)
                                               if f.entry_scope_categories is not None else None),
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
            deadline, source = due_date(rule, ctx, listed_on=None, discovered_on=first_seen, first_seen=first_seen,
                                        progress=progress_of.get((ctx.organization_id, rule.id), (0, 0)))
            text = "; ".join(f"{f.test.replace('_', ' ')} {f.subject} ({f.country})"
                             + (f" via {f.via}" if f.via else "") for f in facts)
            out.append(Candidate(rule, deadline, deadline_source=source, basis={
                "kind": "country", "facts": [
                    {"test": f.test, "country": f.country, "subject": f.subject, "vendor_id": f.vendor_id,
                     "via": f.via} for f in facts],
                "discovered_on": first_seen.isoformat(),
            }, explanation=f"country of concern: {text}"))
    return _note_assumptions(out, ctx)


def _note_assumptions(cands: list[Candidate], ctx: EquipmentContext) -> list[Candidate]:
    for cand in cands:
        assumed = profile_assumptions(cand.rule, ctx)
        if assumed:
            cand.basis["profile_assumed"] = assumed
            cand.explanation += f" ({assumed})"
    return cands


def choose(candidates: Sequence[Candidate]) -> tuple[Candidate | None, list[Candidate]]:
    """The stricter candidate wins (earliest deadline, then strongest obligation and action, then rule code); the others
    are returned in the same order so the plan can say which rules also applied."""
    ordered = sorted(candidates, key=Candidate.sort_key)
    if not ordered:
        return None, []
    return ordered[0], ordered[1:]


SOURCE_WORDS = {
    DeadlineSource.LEGAL: "legal deadline",
    DeadlineSource.RELATIVE: "the rule's period",
    DeadlineSource.ORGANIZATION_TARGET: "the organisation's own target",
    DeadlineSource.DEFAULT_TARGET: "the registry's default target; the law sets no date",
}


def why_text(winner: Candidate, others: Sequence[Candidate]) -> str:
    """One paragraph for the UI: which rule won and why the others lost."""
    text = (f"{winner.rule.name} ({winner.rule.code} v{winner.rule.version}) applies: {winner.action} by "
            f"{winner.deadline.isoformat()} ({SOURCE_WORDS.get(winner.deadline_source, winner.deadline_source)}) "
            f"because {winner.explanation}.")
    if winner.rule.requires_verification:
        text += " The rule's dates are marked 'verify'."
    for other in others:
        reason = ("later deadline" if other.deadline > winner.deadline
                  else "same deadline, weaker or equal action")
        text += (f" Also applies: {other.rule.code} ({other.obligation.replace('_', ' ')}: {other.action} by "
                 f"{other.deadline.isoformat()}; {reason}).")
    return text
