"""Reads of the remediation programme: the board, plan lists scoped to the user's organisations, risk scores,
projection (who will be non-compliant on a future date) and burn-down over time."""
from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from django.db.models import Case, Count, IntegerField, Min, Q, QuerySet, Value, When

from apps.accounts.selectors import organization_ids_for_user
from apps.common.choices import FLAGGED_STATUSES, RiskStatus
from apps.inventory.choices import RETIRED_STATUSES
from apps.inventory.models import Component, Equipment

from . import conf
from .choices import (
    CLOCK_STATUSES,
    FOREIGN_ADVERSARY_COUNTRIES,
    LIVE_STATUSES,
    DeadlineKind,
    Obligation,
    PlanStatus,
    StepStatus,
    WaiverStatus,
)
from .context import FindingsProvider, equipment_contexts, equipment_rows, rule_specs, screening_findings
from .models import Notification, PolicyRule, RemediationPlan, RemediationPlanQuerySet, Waiver
from .policy import candidates_for, choose, deadline_kept
from .scoring import RiskInputs, RiskScore, risk_score

# --- plans ------------------------------------------------------------------------------------------------


def plan_list_for_user(user, *, status: str | None = None, overdue: bool | None = None,
                       organization_id: int | None = None) -> QuerySet[RemediationPlan]:
    """Plans of the user's organisations only (nothing for a user without membership)."""
    org_ids = organization_ids_for_user(user)
    if organization_id is not None:
        org_ids = [o for o in org_ids if o == organization_id]
    qs = RemediationPlan.objects.filter(organization_id__in=org_ids).select_related(
        "equipment", "site", "rule", "owner", "vendor", "equipment__product_model__brand")
    if status:
        qs = qs.filter(status=status)
    if overdue is not None:
        qs = qs.filter(is_overdue=overdue)
    return qs.order_by("deadline", "id")


def plan_rules_done(equipment_ids: Iterable[int]) -> dict[int, set[int]]:
    """The rules already done (a plan closed as done) for each unit: not applied to it again."""
    done: dict[int, set[int]] = defaultdict(set)
    for eq_id, rule_id in RemediationPlan.objects.filter(equipment_id__in_ids=set(equipment_ids),
                                                         status=PlanStatus.DONE).values_list("equipment_id", "rule_id"):
        done[eq_id].add(rule_id)
    return done


def staged_rule_progress(rules, organization_ids: Iterable[int]) -> dict[tuple[int, int], tuple[int, int]]:
    """For each staged rule and organisation: (units done under it, units live or done under it), the progress
    its quotas are measured against. One query, none when no rule is staged."""
    staged = [r.id for r in rules if r.effective_deadline_kind == DeadlineKind.STAGED]
    org_ids = list(organization_ids)
    if not staged or not org_ids:
        return {}
    rows = (RemediationPlan.objects.filter(rule_id__in=staged, organization_id__in=org_ids,
                                           status__in=[*LIVE_STATUSES, PlanStatus.DONE])
            .order_by().values("organization_id", "rule_id")
            .annotate(done=Count("id", filter=Q(status=PlanStatus.DONE)), total=Count("id")))
    return {(r["organization_id"], r["rule_id"]): (r["done"], r["total"]) for r in rows}


def plan_get_for_user(user, plan_id: int) -> RemediationPlan | None:
    return plan_list_for_user(user).filter(pk=plan_id).prefetch_related("steps", "evidence", "waivers").first()


def plan_board(*, user, organization_id: int | None = None, today: dt.date) -> dict:
    """Counts for the remediation board: by status, overdue, due within each window, by action. One query."""
    qs = plan_list_for_user(user, organization_id=organization_id).order_by()
    windows = conf.due_windows()
    aggregates = {s: Count("id", filter=Q(status=s)) for s in PlanStatus.values}
    aggregates["overdue"] = Count("id", filter=RemediationPlanQuerySet.overdue_q(today))
    for w in windows:
        aggregates[f"due_{w}"] = Count("id", filter=RemediationPlanQuerySet.due_q(today, today + dt.timedelta(days=w)))
    return qs.aggregate(**aggregates)


@dataclass(frozen=True)
class PlanTiming:
    """What a plan's card says about time on `today`: days overdue (running plans past their deadline), days
    left (running plans before it) and, for a waived plan, the day its approved waiver expires."""

    days_overdue: int | None
    days_left: int | None
    waiver_expires_on: dt.date | None

    @property
    def overdue(self) -> bool:
        return self.days_overdue is not None


def plan_timings(plans: Iterable[RemediationPlan], *, today: dt.date) -> dict[int, PlanTiming]:
    """`PlanTiming` of each plan by id: one query (the approved waivers of the waived plans among them), none
    when no plan is waived. Overdue follows `RemediationPlanQuerySet.overdue_on` on `today` (not the stored
    flag, which the daily job refreshes)."""
    plans = list(plans)
    waived_ids = [p.pk for p in plans if p.status == PlanStatus.WAIVED]
    expiries: dict[int, dt.date] = {}
    if waived_ids:
        for plan_id, expires_on in (Waiver.objects.filter(plan_id__in=waived_ids, status=WaiverStatus.APPROVED)
                                    .order_by("expires_on").values_list("plan_id", "expires_on")):
            expiries[plan_id] = expires_on  # the latest wins (one approved at a time, by constraint)
    timings = {}
    for p in plans:
        is_overdue = RemediationPlanQuerySet.overdue_on(p.status, p.deadline, today)
        timings[p.pk] = PlanTiming(
            days_overdue=(today - p.deadline).days if is_overdue else None,
            days_left=(p.deadline - today).days if p.status in CLOCK_STATUSES and not is_overdue else None,
            waiver_expires_on=expiries.get(p.pk),
        )
    return timings


def plan_history(plan: RemediationPlan) -> list[dict]:
    """Every version of the plan (status, deadline, rule), oldest first, for the 'why' and audit views."""
    return list(plan.history.order_by("history_date", "history_id").values(
        "history_date", "history_type", "history_user_id", "history_change_reason", "status", "deadline",
        "rule_id", "rule_version", "action", "is_overdue", "outcome", "deadline_reason"))


def waiver_list_for_user(user, *, status: str | None = None) -> QuerySet[Waiver]:
    qs = Waiver.objects.filter(organization_id__in=organization_ids_for_user(user)).select_related(
        "plan", "requested_by", "decided_by")
    return qs.filter(status=status) if status else qs


def waivers_awaiting_decision(user) -> QuerySet[Waiver]:
    """Requests this user may decide: admin of the organisation and not the requester."""
    from apps.accounts.choices import Role

    admin_orgs = organization_ids_for_user(user, roles=[Role.ADMIN])
    return Waiver.objects.filter(organization_id__in=admin_orgs, status=WaiverStatus.REQUESTED).exclude(
        requested_by=user).select_related("plan", "requested_by")


def notification_list_for_user(user, *, unread_only: bool = False) -> QuerySet[Notification]:
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    qs = Notification.objects.filter(user=user)
    return qs.filter(read_at__isnull=True) if unread_only else qs


def policy_rule_list(*, organization_ids: Iterable[int] | None = None) -> QuerySet[PolicyRule]:
    qs = PolicyRule.objects.all()
    if organization_ids is not None:
        qs = qs.filter(Q(organization__isnull=True) | Q(organization_id__in=list(organization_ids)))
    return qs.order_by("code")


def policy_rule_versions(rule: PolicyRule) -> list[dict]:
    return list(rule.history.order_by("history_date", "history_id").values(
        "version", "history_date", "history_user_id", "action", "deadline_date", "deadline_days", "enabled",
        "effective_from", "suspended_from", "suspended_until", "grandfathered_before"))


# --- risk score ---------------------------------------------------------------------------------------------

def equipment_risk_scores(*, equipment_ids: Iterable[int],
                          as_of: dt.date | None = None) -> dict[int, RiskScore]:
    """The explained risk score of each unit (see apps.remediation.scoring). Vendor status is
    Equipment.risk_status (set by screening in the writing transaction)."""
    ids = list(equipment_ids)
    rows = equipment_rows(ids)
    contexts = equipment_contexts(rows, as_of=as_of)
    status_of: dict[int, tuple[str, str]] = {}
    for r in Equipment.objects.filter(id__in=ids).values("id", "risk_status", "risk_reason"):
        status_of[r["id"]] = (r["risk_status"] or RiskStatus.CLEAR, r["risk_reason"] or "")
    out: dict[int, RiskScore] = {}
    for r in rows:
        ctx = contexts[r["id"]]
        concern = tuple(sorted({(f.test, f.subject, f.country) for f in ctx.country_facts
                                if f.country in FOREIGN_ADVERSARY_COUNTRIES}))
        status, reason = status_of.get(r["id"], ("clear", ""))
        out[r["id"]] = risk_score(RiskInputs(
            vendor_status=status, vendor_status_reason=reason, countries_of_concern=concern,
            site_criticality=ctx.site_criticality, site_is_defence=ctx.site_is_defence,
            connectivity=ctx.connectivity, remote_access_capable=r["product_model__remote_access_capable"],
            collects_data=r["collects_data"], quantity=r["quantity"]))
    return out


def equipment_risk_score(*, equipment_id: int, **kwargs) -> RiskScore:
    return equipment_risk_scores(equipment_ids=[equipment_id], **kwargs)[equipment_id]


# --- projection ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProjectionItem:
    equipment_id: int
    organization_id: int
    site_id: int
    category: str
    rule_code: str
    action: str
    deadline: dt.date
    already_due_today: bool
    explanation: str
    also: tuple[str, ...] = ()


def remediation_projection(*, on: dt.date, today: dt.date, **scope) -> list[ProjectionItem]:
    """Which units will be non-compliant on date `on` under the rules and findings already known: a rule in
    force on that date applies, its deadline (or the plan's hand-set deadline) falls on or before it, the unit
    is still installed, the rule is not already done for it, and no approved waiver covers that date. Rules
    that take effect later and list entries dated in the future count from their dates. `scope`: the other
    keywords of remediation_projection_chunks (organization_ids, user, site_ids, findings_provider, chunk_size)."""
    return [item for _done, items in remediation_projection_chunks(on=on, today=today, **scope) for item in items]


def remediation_projection_scope(*, organization_ids: Iterable[int] | None = None, user=None,
                                 site_ids: Iterable[int] | None = None):
    """The installed units a projection looks at (for its progress: how many there are)."""
    if user is not None:
        allowed = set(organization_ids_for_user(user))
        org_ids = allowed if organization_ids is None else allowed & set(organization_ids)
    else:
        org_ids = None if organization_ids is None else set(organization_ids)
    eq_qs = Equipment.objects.exclude(status__in=RETIRED_STATUSES)
    if org_ids is not None:
        eq_qs = eq_qs.filter(site__organization_id__in=org_ids)
    if site_ids is not None:
        eq_qs = eq_qs.filter(site_id__in=list(site_ids))
    return org_ids, eq_qs


def remediation_projection_chunks(
    *,
    on: dt.date,
    today: dt.date,
    organization_ids: Iterable[int] | None = None,
    user=None,
    site_ids: Iterable[int] | None = None,
    findings_provider: FindingsProvider | None = None,
    chunk_size: int = 2000,
    id_from: int | None = None,
    id_to: int | None = None,
) -> Iterator[tuple[int, list[ProjectionItem]]]:
    """remediation_projection, chunk by chunk of `chunk_size` units (by id): yields (units looked at so far,
    the items of this chunk), so a long projection can report progress and write as it goes. `id_from`/`id_to`:
    only the units with ids in that range (one part of a projection spread over workers)."""
    org_ids, eq_qs = remediation_projection_scope(organization_ids=organization_ids, user=user, site_ids=site_ids)
    if id_from is not None:
        eq_qs = eq_qs.filter(id__gte=id_from)
    if id_to is not None:
        eq_qs = eq_qs.filter(id__lte=id_to)
    provider = findings_provider or screening_findings
    rules = rule_specs(organization_ids=org_ids)
    last = 0
    looked_at = 0
    while True:
        ids = list(eq_qs.filter(id__gt=last).order_by("id").values_list("id", flat=True)[:chunk_size])
        if not ids:
            return
        last = ids[-1]
        looked_at += len(ids)
        out: list[ProjectionItem] = []
        contexts = equipment_contexts(equipment_rows(ids), as_of=today)
        findings = provider(ids)
        live = {p["equipment_id"]: p for p in RemediationPlan.objects.filter(
            equipment_id__in=ids, status__in=LIVE_STATUSES).values(
            "id", "equipment_id", "rule_id", "deadline", "deadline_overridden", "discovered_on", "status")}
        done = plan_rules_done(ids)
        waived_until = dict(Waiver.objects.filter(plan__equipment_id__in=ids, status=WaiverStatus.APPROVED)
                            .values_list("plan__equipment_id", "expires_on"))
        for eq_id in ids:
            ctx = contexts[eq_id]
            plan = live.get(eq_id)
            cands = candidates_for(ctx, findings.get(eq_id, []), rules, day=on,
                                   first_seen=plan["discovered_on"] if plan else today,
                                   exclude_rule_ids=done.get(eq_id, set()))
            due = []
            for c in cands:
                kept = deadline_kept(plan, c.rule.id)
                deadline = c.deadline if kept is None else kept
                # Not overdue_q: a unit is non-compliant *on* `on` when its deadline falls on or before that day
                # (overdue is the day after the deadline), and the plan's status is today's, not that day's.
                if deadline <= on:
                    c.deadline = deadline
                    due.append(c)
            if not due:
                continue
            if plan and waived_until.get(eq_id) and waived_until[eq_id] >= on and \
                    all(c.rule.id == plan["rule_id"] for c in due):
                continue
            winner, others = choose(due)
            out.append(ProjectionItem(
                equipment_id=eq_id, organization_id=ctx.organization_id, site_id=ctx.site_id, category=ctx.category,
                rule_code=winner.rule.code, action=winner.action, deadline=winner.deadline,
                already_due_today=winner.deadline <= today, explanation=winner.explanation,
                also=tuple(o.rule.code for o in others)))
        yield looked_at, out


def remediation_projection_summary(items: list[ProjectionItem]) -> dict:
    by_rule: dict[str, int] = defaultdict(int)
    new = 0
    for item in items:
        by_rule[item.rule_code] += 1
        new += 0 if item.already_due_today else 1
    return {"total": len(items), "newly_due": new, "already_due": len(items) - new, "by_rule": dict(by_rule)}


# --- burn-down ----------------------------------------------------------------------------------------------

GROUP_FIELDS = {None: None, "site": "site_id", "vendor": "vendor_id", "category": "category",
                "organization": "organization_id"}
MAX_PERIODS = 120


def burndown_periods(start: dt.date, end: dt.date, interval: str, *, include_start: bool = False) -> list[dt.date]:
    """Period end dates from start to end: every day for days, Sundays for weeks, last days for months (end
    included; `start` too with `include_start`, so a line can begin on the day something began)."""
    if end < start:
        raise ValueError("end is before start")
    out: list[dt.date] = []
    if include_start and start < end:
        out.append(start)
    if interval == "day":
        day = start + dt.timedelta(days=1) if include_start else start
        while day < end and len(out) < MAX_PERIODS:
            out.append(day)
            day += dt.timedelta(days=1)
    elif interval == "week":
        day = start + dt.timedelta(days=(6 - start.weekday()))
        while day < end and len(out) < MAX_PERIODS:
            out.append(day)
            day += dt.timedelta(days=7)
    elif interval == "month":
        y, m = start.year, start.month
        while len(out) < MAX_PERIODS:
            last = dt.date(y, m, calendar.monthrange(y, m)[1])
            if last >= end:
                break
            out.append(last)
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    else:
        raise ValueError("interval must be 'day', 'week' or 'month'")
    out.append(end)
    out = sorted(set(out))  # `start` or `end` may also be a period's last day
    return out[-MAX_PERIODS:]


def remediation_burndown(
    *,
    organization_ids: Iterable[int] | None = None,
    user=None,
    start: dt.date,
    end: dt.date,
    interval: str = "week",
    group_by: str | None = None,
    site_id: int | None = None,
    vendor_id: int | None = None,
    category: str | None = None,
    include_start: bool = False,
) -> list[dict]:
    """Open, overdue and done plans at the end of each period, from the plans' lifecycle timestamps
    (opened_at, closed_at, status, deadline). One query whatever the number of plans. A plan reopened after
    `not_required` counts from its reopening. With `user`, only that user's organisations count.
    Rows: {"period_end", "group", "open", "overdue", "done"}."""
    if group_by not in GROUP_FIELDS:
        raise ValueError(f"group_by must be one of {sorted(k for k in GROUP_FIELDS if k)}")
    org_ids = set(organization_ids or ())
    if user is not None:  # only the user's organisations (all of them when none are named)
        allowed = set(organization_ids_for_user(user))
        org_ids = allowed if organization_ids is None else org_ids & allowed
    periods = burndown_periods(start, end, interval, include_start=include_start)
    tz = zoneinfo.ZoneInfo(conf.time_zone())
    qs = RemediationPlan.objects.filter(organization_id__in=sorted(org_ids))
    if site_id:
        qs = qs.filter(site_id=site_id)
    if vendor_id:
        qs = qs.filter(vendor_id=vendor_id)
    if category:
        qs = qs.filter(category=category)
    aggregates = {}
    for i, day in enumerate(periods):
        cutoff = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        is_open = Q(opened_at__lt=cutoff) & (Q(closed_at__isnull=True) | Q(closed_at__gte=cutoff))
        aggregates[f"open_{i}"] = Count("id", filter=is_open)
        # Not overdue_q: "running" at a past period end comes from the lifecycle timestamps (opened, not yet
        # closed then); only the current status is stored, so a waived plan counts as waived for every period.
        aggregates[f"overdue_{i}"] = Count("id", filter=is_open & Q(deadline__lt=day) & ~Q(status=PlanStatus.WAIVED))
        aggregates[f"done_{i}"] = Count("id", filter=Q(status=PlanStatus.DONE, closed_at__lt=cutoff))
    field_name = GROUP_FIELDS[group_by]
    if field_name:
        groups = list(qs.order_by().values(field_name).annotate(**aggregates))
    else:
        groups = [qs.aggregate(**aggregates) | {None: None}]
    rows = []
    for g in groups:
        key = g.get(field_name) if field_name else None
        for i, day in enumerate(periods):
            rows.append({"period_end": day, "group": key, "open": g[f"open_{i}"] or 0,
                         "overdue": g[f"overdue_{i}"] or 0, "done": g[f"done_{i}"] or 0})
    return rows


# --- projection reports -----------------------------------------------------------------------------------

def projection_reports(*, organization_ids: Iterable[int]):
    """The projection reports of these organisations, newest first."""
    from .models import ProjectionReport

    return (ProjectionReport.objects.filter(organization_id__in=list(organization_ids))
            .select_related("site", "requested_by").order_by("-created_at"))


def rule_titles(codes: Iterable[str]) -> dict[str, str]:
    """The title of each rule code (reports keep codes, people read titles); an unknown code (a rule deleted
    since) maps to itself. One query."""
    codes = set(codes)
    titles = dict(PolicyRule.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    return {code: titles.get(code, code) for code in codes}


def projection_summary_by_rule(summary: dict) -> list[dict]:
    """A projection report's count by rule with each rule's title, largest first (one query)."""
    by_rule = summary.get("by_rule") or {}
    titles = rule_titles(by_rule)
    return [{"code": code, "title": titles[code], "units": n}
            for code, n in sorted(by_rule.items(), key=lambda kv: (-kv[1], titles[kv[0]]))]


def projection_lines_with_units(lines: list) -> list[tuple]:
    """(line, unit or None, site name) for a page of lines, each line with `rule_title` and `also_titles` set:
    three queries whatever the page size."""
    from apps.inventory.models import Site

    units = {e.pk: e for e in Equipment.objects.filter(pk__in=[ln.equipment_id for ln in lines])
             .select_related("product_model__brand")}
    sites = dict(Site.objects.filter(pk__in={ln.site_id for ln in lines}).values_list("pk", "name"))
    titles = rule_titles({ln.rule_code for ln in lines} | {code for ln in lines for code in ln.also or ()})
    for ln in lines:
        ln.rule_title = titles[ln.rule_code]
        ln.also_titles = [titles[code] for code in ln.also or ()]
    return [(ln, units.get(ln.equipment_id), sites.get(ln.site_id, f"site {ln.site_id}")) for ln in lines]


# --- summary headers (issue #18 item 1) ---------------------------------------------------------------------

@dataclass(frozen=True)
class SummaryHeader:
    """What the top of a unit, plan or vendor page says at a glance: the risk status, the obligation (the rule's
    title and its legal basis), the due date and how far overdue or how long left, the plan's state and owner,
    and the one next action. Vendor pages add the organisation's units it affects and its running plans.
    Computed here; templates/includes/summary_header.html only renders it."""

    risk_status: str
    next_action: str
    # Where the next action is done: "plan" (the plan's page, plan_id), "waivers" (its waiver section), "owner" (its
    # owner form), "review"
    # (the review queue), "overdue" (the board's overdue plans) or "" (nowhere else); the template makes the link.
    next_action_link: str = ""
    plan_id: int | None = None
    plan_status: str = ""  # the plan's state, as a label
    owner: str = ""
    obligation: str = ""  # the rule's title (never its code)
    obligation_kind: str = ""  # what the law asks: "Remove or replace", "Do not procure" ...
    legal_basis: str = ""
    legal_basis_url: str = ""
    deadline: dt.date | None = None
    deadline_label: str = "Due"
    timing: PlanTiming | None = None
    units: int | None = None  # vendor pages: the organisation's installed units with the vendor in any role
    running_plans: int | None = None  # vendor pages: their running plans ...
    overdue_plans: int | None = None  # ... and how many of those are overdue


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 'es' if word.endswith('ch') else 's'}"


WAIVER_DECISION = "Decide the waiver request"
ASSIGN_OWNER = "Assign an owner"
EVIDENCE_WORDS = {"remove": "removal", "replace": "replacement", "mitigate": "mitigation", "monitor": "monitoring"}


def plan_next_action(plan: RemediationPlan, *, timing: PlanTiming, waiver_requested: bool, open_steps: int,
                     evidence: int) -> str:
    """The one thing to do next on a plan, in words. Pure: the counts are read by the caller."""
    if plan.status == PlanStatus.DONE:
        return f"Nothing to do: done ({plan.get_outcome_display().lower() or 'closed'})"
    if plan.status == PlanStatus.NOT_REQUIRED:
        return "Nothing to do: no longer required"
    if waiver_requested:
        return WAIVER_DECISION
    if plan.status == PlanStatus.WAIVED:
        until = f" on {timing.waiver_expires_on:%Y-%m-%d}" if timing.waiver_expires_on else ""
        return f"Prepare the work before the waiver expires{until}"
    if plan.obligation == Obligation.DO_NOT_PROCURE and plan.status == PlanStatus.OPEN and plan.owner_id:
        return "Buy no more of it; record the decision and mark as planned"
    if plan.owner_id is None:
        return ASSIGN_OWNER
    if plan.status == PlanStatus.OPEN:
        return "Plan the work: add its steps and mark as planned"
    if plan.status == PlanStatus.PLANNED:
        return "Start the work: mark as in progress"
    if open_steps:
        return f"Finish {_plural(open_steps, 'open step')}"
    if not evidence:
        return f"Upload evidence of {EVIDENCE_WORDS.get(plan.action, 'the work')}"
    return "Mark as done with its outcome"


def plan_header(plan: RemediationPlan, *, today: dt.date, risk_status: str | None = None) -> SummaryHeader:
    """The summary header of one plan (its page, or its unit's page). Two queries at most: the plan's open steps,
    evidence and pending waiver in one, and the approved waiver's expiry when the plan is waived (plan_timings).
    `plan` comes with its rule and owner (select_related) and, without `risk_status`, its equipment."""
    counts = RemediationPlan.objects.filter(pk=plan.pk).aggregate(
        open_steps=Count("steps", filter=~Q(steps__status=StepStatus.DONE), distinct=True),
        evidence=Count("evidence", distinct=True),
        waiver_requested=Count("waivers", filter=Q(waivers__status=WaiverStatus.REQUESTED), distinct=True))
    timing = plan_timings([plan], today=today)[plan.pk]
    action = plan_next_action(plan, timing=timing, waiver_requested=bool(counts["waiver_requested"]),
                              open_steps=counts["open_steps"] or 0, evidence=counts["evidence"] or 0)
    link = {WAIVER_DECISION: "waivers", ASSIGN_OWNER: "owner"}.get(action, "plan")
    return SummaryHeader(
        risk_status=risk_status if risk_status is not None else (plan.equipment.risk_status or RiskStatus.CLEAR),
        next_action=action, next_action_link=link, plan_id=plan.pk, plan_status=plan.get_status_display(),
        owner=str(plan.owner) if plan.owner_id else "", obligation=plan.rule.name,
        obligation_kind=plan.get_obligation_display().split(" (", 1)[0], legal_basis=plan.rule.citation,
        legal_basis_url=plan.rule.citation_url, deadline=plan.deadline,
        deadline_label="In force since" if plan.obligation == Obligation.DO_NOT_PROCURE else "Due", timing=timing)


def _pending_review(organization_id: int | None, vendor_ids: Iterable[int]) -> int:
    """How many review decisions wait in the organisation's view for these vendors (one per listed party, however
    many list copies name it: apps.screening.selectors.review_queue_groups). Two queries, none without vendors."""
    from apps.screening.selectors import review_queue_groups

    ids = {v for v in vendor_ids if v}
    return len(review_queue_groups(organization_id, vendor_ids=ids)) if ids else 0


def equipment_header(equipment: Equipment, *, organization_id: int | None, today: dt.date) -> SummaryHeader:
    """The summary header of a unit: its live plan (at most one), else its latest closed plan, else what waits
    (pending matches on its vendors) or that nothing does. At most five queries, whatever the inventory."""
    status = equipment.risk_status or RiskStatus.CLEAR
    plan = (equipment.remediation_plans.select_related("rule", "owner")
            .annotate(live=Case(When(status__in=sorted(LIVE_STATUSES), then=Value(0)), default=Value(1),
                                output_field=IntegerField()))
            .order_by("live", "-opened_at", "-pk").first())
    if plan is not None and plan.is_live:
        return plan_header(plan, today=today, risk_status=status)
    pm = equipment.product_model
    vendor_ids = [pm.brand_id, pm.manufacturer_id, pm.software_supplier_id,
                  *Component.objects.filter(equipment_id=equipment.pk).values_list("vendor_id", flat=True)]
    pending = _pending_review(organization_id, vendor_ids)
    if pending:
        return SummaryHeader(risk_status=status, next_action=f"Review {_plural(pending, 'pending match')}",
                             next_action_link="review")
    if plan is not None:  # the latest plan, closed
        return plan_header(plan, today=today, risk_status=status)
    if status in (RiskStatus.PROHIBITED, RiskStatus.RESTRICTED):
        return SummaryHeader(risk_status=status, next_action="No rule sets a plan for it yet: check which rules "
                             "bind your organisation")
    return SummaryHeader(risk_status=status, next_action="Nothing to do")


def vendor_header(vendor_id: int, *, organization_id: int | None, risk_status: str, units: int,
                  today: dt.date) -> SummaryHeader:
    """The summary header of a vendor in the organisation's view: its status there (`risk_status`), the
    organisation's installed units with it in any role (`units`, counted by the caller), the running plans of the
    organisation's units it is part of when it is flagged there (how many, how many overdue, the earliest due
    date) and the next action.
    Four queries, whatever the inventory (running plans are read through their own indexes)."""
    status = risk_status or RiskStatus.CLEAR
    in_units = (Q(equipment__product_model__brand_id=vendor_id) | Q(equipment__product_model__manufacturer_id=vendor_id)
                | Q(equipment__product_model__software_supplier_id=vendor_id)
                | Q(equipment_id__in=Component.objects.filter(vendor_id=vendor_id).values("equipment_id")))
    # A clear vendor affects none of its units: the plans of a camera with a clear chip maker are the listed
    # brand's, not the chip maker's.
    plans = (RemediationPlan.objects.filter(organization_id=organization_id).running().filter(in_units)
             if organization_id is not None and status in FLAGGED_STATUSES else RemediationPlan.objects.none())
    counts = plans.order_by().aggregate(n=Count("id"), overdue=Count("id", filter=Q(deadline__lt=today)),
                                        first=Min("deadline"))
    running, overdue = counts["n"] or 0, counts["overdue"] or 0
    first = plans.select_related("rule", "owner").order_by("deadline", "id").first() if running else None
    pending = _pending_review(organization_id, [vendor_id]) if organization_id is not None else 0
    if pending:
        action, link = f"Review {_plural(pending, 'pending match')}", "review"
    elif overdue:
        action = f"Deal with {_plural(overdue, 'overdue plan')}"
        link = "overdue"
    elif running:
        action = f"Follow {_plural(running, 'running plan')}; the earliest is due first"
        link = "plan"
    elif status in (RiskStatus.PROHIBITED, RiskStatus.RESTRICTED):
        action, link = ("Buy nothing more from it" if not units
                       else f"No plan covers its {_plural(units, 'unit')} yet: check which rules bind your "
                            "organisation"), ""
    else:
        action, link = "Nothing to do", ""
    header = SummaryHeader(risk_status=status, next_action=action, next_action_link=link, units=units,
                           running_plans=running, overdue_plans=overdue)
    if first is None:
        return header
    timing = plan_timings([first], today=today)[first.pk]
    return replace(header, plan_id=first.pk, plan_status=first.get_status_display(),
                   owner=str(first.owner) if first.owner_id else "", obligation=first.rule.name,
                   obligation_kind=first.get_obligation_display().split(" (", 1)[0],
                   legal_basis=first.rule.citation, legal_basis_url=first.rule.citation_url, deadline=first.deadline,
                   timing=timing)
