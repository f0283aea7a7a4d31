"""Plan evaluation: bring every unit's plan in line with the rules and findings (create, update, close as
not required, reopen), chunk by chunk; and the subscriber that re-evaluates a vendor's units when screening
changes it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.audit.services import audit_record
from apps.common import events
from apps.common.history import history_copy
from apps.inventory.bom import bom_unit_ids_for_vendors
from apps.inventory.choices import RETIRED_STATUSES
from apps.inventory.models import Equipment
from apps.inventory.selectors import BomTargets
from apps.screening.selectors import UnitsRead
from apps.security.enqueue import enqueue_on_commit
from apps.vendors.selectors import vendor_descendant_ids

from .. import context
from ..choices import CLOCK_STATUSES, LIVE_STATUSES, PlanStatus
from ..context import (
    ContextCache,
    FindingsProvider,
    equipment_contexts,
    equipment_parts,
    equipment_rows,
    rule_specs,
    screening_findings,
)
from ..models import RemediationPlan, RemediationPlanQuerySet
from ..policy import Candidate, candidates_for, choose, deadline_kept, rules_binding, why_text
from ..selectors import staged_rule_progress
from .common import _announce_plans, remediation_today
from .waivers import _close_waivers_of


@dataclass
class EvaluationResult:
    evaluated: int = 0
    created: int = 0
    reopened: int = 0
    updated: int = 0
    closed: int = 0
    unchanged: int = 0
    created_ids: list[int] = field(default_factory=list)
    closed_ids: list[int] = field(default_factory=list)

    def add(self, other: EvaluationResult) -> None:
        for name in ("evaluated", "created", "reopened", "updated", "closed", "unchanged"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.created_ids += other.created_ids
        self.closed_ids += other.closed_ids

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("evaluated", "created", "reopened", "updated", "closed", "unchanged")}


PLAN_SYNC_FIELDS = ("rule_id", "rule_version", "action", "computed_deadline", "deadline", "basis", "also_applied",
                    "why", "vendor_id", "category", "site_id", "organization_id", "is_overdue", "obligation",
                    "deadline_source", "in_breach_since")
PLAN_UPDATE_FIELDS = [*(f.removesuffix("_id") if f.endswith("_id") else f for f in PLAN_SYNC_FIELDS),
                      "evaluation_hash", "status", "closed_at", "closing_note", "opened_at", "discovered_on", "outcome",
                      "deadline_overridden", "deadline_reason", "last_evaluated_on"]


def _winner_vendor_id(winner: Candidate) -> int | None:
    if winner.basis.get("kind") == "finding":
        return winner.basis.get("vendor_id")
    facts = winner.basis.get("facts") or []
    return next((f["vendor_id"] for f in facts if f.get("vendor_id")), None)


def _fingerprint(values: dict) -> str:
    return hashlib.sha1(json.dumps(values, sort_keys=True, default=str).encode(), usedforsecurity=False).hexdigest()


def _sync_values(plan, winner: Candidate, others: list[Candidate], ctx, today: dt.date, status: str) -> dict:
    """The fields the rules decide. `plan` is the live plan's values or None."""
    deadline, overridden, reason = winner.deadline, False, ""
    kept = deadline_kept(plan, winner.rule.id)
    if kept is not None:
        deadline, overridden, reason = kept, True, plan["deadline_reason"]
    return {
        "deadline_overridden": overridden, "deadline_reason": reason,
        "rule_id": winner.rule.id, "rule_version": winner.rule.version, "action": winner.rule.action,
        "computed_deadline": winner.deadline, "deadline": deadline, "basis": winner.basis,
        "also_applied": [c.as_dict() for c in others], "why": why_text(winner, others),
        "vendor_id": _winner_vendor_id(winner), "category": ctx.category, "site_id": ctx.site_id,
        "organization_id": ctx.organization_id,
        "is_overdue": RemediationPlanQuerySet.overdue_on(status, deadline, today),
        "obligation": winner.rule.obligation, "deadline_source": winner.deadline_source,
        "in_breach_since": winner.in_breach_since(today) if status in CLOCK_STATUSES else None,
    }


@dataclass
class PolicyMemo:
    """The policy's answers of one evaluation, by distinct input, kept across its chunks while the staged rules'
    progress (the one input that earlier chunks' writes can change) stays the same."""

    progress: dict | None = None
    chosen: dict[tuple, tuple[Candidate | None, list[Candidate]]] = field(default_factory=dict)
    synced: dict[tuple, dict] = field(default_factory=dict)
    bom_targets: BomTargets = field(default_factory=BomTargets)  # read again whenever a BOM is committed
    # The contexts by shape (the policy's inputs but the findings), kept for the whole evaluation as the answers
    # by shape are: a shape seen in an earlier chunk costs no context build and no vendor or ownership read.
    contexts: ContextCache = field(default_factory=ContextCache)

    def for_progress(self, progress: dict) -> PolicyMemo:
        if progress != self.progress:
            self.progress, self.chosen, self.synced = progress, {}, {}
        return self


NONE_DONE: frozenset[int] = frozenset()


def _evaluate_chunk(ids: list[int], rules, *, today: dt.date, now: dt.datetime, provider: FindingsProvider,
                    actor=None, memo: PolicyMemo | None = None) -> EvaluationResult:
    res = EvaluationResult()
    rows = equipment_rows(ids)
    active = [r for r in rows if r["status"] not in RETIRED_STATUSES]
    shapes: dict[int, tuple] = {}
    # The units are read once: their rows, components and BOM parts serve the contexts and the findings.
    memo = memo or PolicyMemo()
    parts = equipment_parts(active, bom_targets=memo.bom_targets)
    contexts = equipment_contexts(active, as_of=today, shapes=shapes, parts=parts, cache=memo.contexts)
    active_ids = [r["id"] for r in active]
    if not active:
        findings = {}
    elif provider is context.screening_findings:
        findings = provider(active_ids, units=UnitsRead(rows=active, component_vendors=parts[0]))
    else:
        findings = provider(active_ids)
    # Live plans as values first: most are unchanged, and their fingerprint says so without loading models. The
    # same query gives the rules done for each unit (plan_rules_done's answer: plans closed as done).
    live: dict[int, dict] = {}
    done_rules: dict[int, set[int]] = defaultdict(set)
    for p in RemediationPlan.objects.filter(equipment_id__in_ids=set(ids),
                                            status__in=[*LIVE_STATUSES, PlanStatus.DONE]).order_by().values(
            "id", "equipment_id", "status", "deadline", "deadline_overridden", "deadline_reason", "discovered_on",
            "evaluation_hash", "rule_id"):
        if p["status"] == PlanStatus.DONE:
            done_rules[p["equipment_id"]].add(p["rule_id"])
        else:
            live[p["equipment_id"]] = p
    progress = staged_rule_progress(rules, {c.organization_id for c in contexts.values()})

    binding: dict[int, list] = {}  # organisation id -> the rules that bind it today
    # Units with the same inputs (context but its id, findings, first seen, rules done) get the same winner, and
    # with the same plan state the same values: the pure policy runs once per distinct input (policy.py has no
    # per-unit state; the key holds everything candidates_for and _sync_values read).
    memo = memo.for_progress(progress)
    chosen, synced = memo.chosen, memo.synced
    changes: dict[int, dict] = {}  # plan id -> values to write
    closing: dict[int, str] = {}  # plan id -> reason
    new: list[tuple[int, dict]] = []
    for r in rows:
        res.evaluated += 1
        eq_id = r["id"]
        plan = live.get(eq_id)
        if r["status"] in RETIRED_STATUSES:
            winner = None
            reason = f"Equipment {r['status']}; no remediation required any more."
        else:
            ctx = contexts[eq_id]
            if ctx.organization_id not in binding:
                binding[ctx.organization_id] = rules_binding(rules, ctx, today)
            unit_findings = tuple(findings.get(eq_id, ()))
            first_seen = plan["discovered_on"] if plan else today
            done = frozenset(done_rules[eq_id]) if eq_id in done_rules else NONE_DONE
            key = (shapes[eq_id], unit_findings, first_seen, done)
            if key not in chosen:
                chosen[key] = choose(candidates_for(ctx, unit_findings, binding[ctx.organization_id], day=today,
                                                    first_seen=first_seen, exclude_rule_ids=done,
                                                    stage_progress=progress, bound=True))
            winner, others = chosen[key]
            reason = "No rule applies any more (vendor cleared: list entry removed, finding dismissed or rule changed)."
        if winner is None:
            if plan is not None:
                closing[plan["id"]] = reason
            else:
                res.unchanged += 1
            continue
        status = plan["status"] if plan else PlanStatus.OPEN
        kept = deadline_kept(plan, winner.rule.id)
        sync_key = (key, status, kept, plan["deadline_reason"] if kept is not None else "")
        if sync_key not in synced:
            values = _sync_values(plan, winner, others, ctx, today, status)
            values["evaluation_hash"] = _fingerprint(values)
            synced[sync_key] = values
        values = synced[sync_key]
        if plan is None:
            new.append((eq_id, values))
        elif plan["evaluation_hash"] == values["evaluation_hash"]:
            res.unchanged += 1
        else:
            changes[plan["id"]] = values

    to_update: list[RemediationPlan] = []
    closed: list[RemediationPlan] = []
    hash_only: list[RemediationPlan] = []
    if changes or closing:
        for plan in RemediationPlan.objects.filter(pk__in=[*changes, *closing]):
            if plan.pk in closing:
                plan.status, plan.closed_at, plan.closing_note = PlanStatus.NOT_REQUIRED, now, closing[plan.pk]
                plan.is_overdue = False
                plan.evaluation_hash = ""
                closed.append(plan)
                continue
            values = changes[plan.pk]
            changed = {k: v for k, v in values.items() if getattr(plan, k) != v}
            for k, v in changed.items():
                setattr(plan, k, v)
            if set(changed) - {"evaluation_hash"}:
                plan.last_evaluated_on = today
                to_update.append(plan)
                res.updated += 1
            else:  # only the fingerprint was missing or stale: stored below, without a history row
                hash_only.append(plan)
                res.unchanged += 1
    if hash_only:
        RemediationPlan.objects.bulk_update(hash_only, ["evaluation_hash"], batch_size=1000)

    created: list[RemediationPlan] = []
    reopened: list[RemediationPlan] = []
    if new:
        previous: dict[int, RemediationPlan] = {}
        for p in RemediationPlan.objects.filter(equipment_id__in=[e for e, _ in new],
                                                status=PlanStatus.NOT_REQUIRED).order_by("equipment_id", "-closed_at"):
            previous.setdefault(p.equipment_id, p)
        for eq_id, values in new:
            p = previous.get(eq_id)
            if p is not None:
                for k, v in values.items():
                    setattr(p, k, v)
                p.deadline = values["computed_deadline"]
                p.deadline_overridden, p.deadline_reason = False, ""
                p.status, p.closed_at, p.opened_at, p.discovered_on = PlanStatus.OPEN, None, now, today
                p.closing_note = ""
                p.last_evaluated_on = today
                reopened.append(p)
            else:
                created.append(RemediationPlan(
                    equipment_id=eq_id, status=PlanStatus.OPEN, discovered_on=today, opened_at=now,
                    last_evaluated_on=today, **values))
    # The history rows (django-simple-history) are copied from the written rows by the database (history_copy):
    # the same rows bulk_create_with_history / bulk_update_with_history would build, one INSERT ... SELECT each.
    if created:
        RemediationPlan.objects.bulk_create(created, batch_size=1000)
        if any(p.pk is None for p in created):  # backends that do not return ids
            by_eq = dict(RemediationPlan.objects.filter(
                equipment_id__in=[p.equipment_id for p in created], status=PlanStatus.OPEN).values_list(
                "equipment_id", "id"))
            for p in created:
                p.pk = p.id = by_eq.get(p.equipment_id)
        history_copy(RemediationPlan, [p.pk for p in created], history_type="+", date=now, user=actor,
                     reason="created by rule evaluation")
    changed_plans = to_update + closed + reopened
    if changed_plans:
        RemediationPlan.objects.bulk_update(changed_plans, PLAN_UPDATE_FIELDS, batch_size=1000)
        history_copy(RemediationPlan, [p.pk for p in changed_plans], history_type="~", date=now, user=actor,
                     reason="rule evaluation")
    if closed:
        _close_waivers_of([p.pk for p in closed], now=now, note="Plan closed: remediation no longer required.")
    res.created, res.reopened, res.closed = len(created), len(reopened), len(closed)
    res.created_ids = [p.pk for p in created] + [p.pk for p in reopened]
    res.closed_ids = [p.pk for p in closed]
    _announce_plans([*(("plan.created", p) for p in created + reopened), *(("plan.closed", p) for p in closed)])
    if created or reopened or closed or to_update:
        by_org: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for label, plans in (("created", created), ("reopened", reopened), ("updated", to_update),
                             ("closed_not_required", closed)):
            for p in plans:
                by_org[p.organization_id][label].append(p.pk)
        for org_id, groups in by_org.items():
            audit_record(action="remediationplan.evaluate", actor=actor, organization_id=org_id,
                         object_type="remediation.remediationplan",
                         object_repr=f"evaluation on {today.isoformat()}",
                         changes={k: v[:1000] for k, v in groups.items()} | {"today": today.isoformat()})
    return res


def remediation_evaluate(
    *,
    equipment_ids: Iterable[int] | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    findings_provider: FindingsProvider | None = None,
    chunk_size: int = 2000,
    actor=None,
) -> EvaluationResult:
    """Bring plans in line with the rules and findings: create a plan where a rule applies and none is live,
    update the live plan when the winning rule or its deadline changed, close it as `not_required` when no
    rule applies any more (kept in history), reopen a `not_required` plan when a rule applies again.

    Idempotent: a second run with the same data writes nothing (natural key: one live plan per unit; a rule
    already done for a unit is not applied to it again). Works in chunks, each in its own transaction."""
    today = today or remediation_today(now)
    now = now or timezone.now()
    provider = findings_provider or screening_findings
    rules = rule_specs()
    total = EvaluationResult()
    memo = PolicyMemo()

    def run(chunk: list[int]) -> None:
        for attempt in (1, 2):
            try:
                with transaction.atomic():
                    total.add(_evaluate_chunk(chunk, rules, today=today, now=now, provider=provider, actor=actor,
                                              memo=memo))
                return
            except IntegrityError:
                # Another evaluation created a plan for one of these units meanwhile; the retry sees it.
                if attempt == 2:
                    raise

    if equipment_ids is not None:
        ids = sorted(set(equipment_ids))
        for i in range(0, len(ids), chunk_size):
            run(ids[i:i + chunk_size])
        return total
    last = 0
    while True:
        chunk = list(Equipment.objects.filter(id__gt=last).order_by("id").values_list("id", flat=True)[:chunk_size])
        if not chunk:
            return total
        run(chunk)
        last = chunk[-1]


def remediation_evaluate_all(*, today: dt.date | None = None, findings_provider: FindingsProvider | None = None,
                             actor=None) -> EvaluationResult:
    """Evaluate every unit (e.g. after loading the demo, or after a rule change)."""
    return remediation_evaluate(today=today, findings_provider=findings_provider, actor=actor)


def remediation_evaluate_organization(*, organization_id: int, today: dt.date | None = None,
                                      findings_provider: FindingsProvider | None = None) -> EvaluationResult:
    """Evaluate every unit of one organisation (after its profile changed), chunk by chunk."""
    ids = Equipment.objects.filter(site__organization_id=organization_id).values_list("id", flat=True)
    return remediation_evaluate(equipment_ids=ids.iterator(chunk_size=5000), today=today,
                                findings_provider=findings_provider)


def remediation_equipment_ids_for_vendors(vendor_ids: Iterable[int]) -> list[int]:
    """Units whose brand, manufacturer, software supplier, component vendor or BOM part's vendor is one of the
    vendors or owned / branded by them, plus units that already have a live plan naming one of those vendors."""
    ids = set(vendor_ids)
    ids |= vendor_descendant_ids(ids)
    q = (Q(product_model__brand_id__in=ids) | Q(product_model__manufacturer_id__in=ids)
         | Q(product_model__software_supplier_id__in=ids) | Q(components__vendor_id__in=ids))
    eq = set(Equipment.objects.filter(q).values_list("id", flat=True))
    eq |= bom_unit_ids_for_vendors(ids)  # parts of bills of materials in force, at any depth
    eq |= set(RemediationPlan.objects.filter(vendor_id__in=ids, status__in=LIVE_STATUSES).values_list(
        "equipment_id", flat=True))
    return sorted(eq)


def remediation_evaluate_vendors(*, vendor_ids: Iterable[int], today: dt.date | None = None,
                                 findings_provider: FindingsProvider | None = None) -> EvaluationResult:
    """Re-evaluate the plans of the units of vendors whose screening status changed."""
    return remediation_evaluate(equipment_ids=remediation_equipment_ids_for_vendors(vendor_ids), today=today,
                                findings_provider=findings_provider)


def on_equipment_changed(event: events.EquipmentChanged) -> None:
    """Subscriber of EquipmentChanged, in the writer's transaction (after screening gave the units their risk
    status): a unit recorded or changed by hand (web, API) gets its plans at once, or the write rolls back."""
    if event.equipment_ids:
        remediation_evaluate(equipment_ids=event.equipment_ids)


def on_equipment_imported(event: events.EquipmentImported) -> None:
    """Subscriber of EquipmentImported, on commit right after screening refreshed the imported units' risk
    status: their plans now (an error is logged and the daily evaluation catches up). An event without unit
    ids re-evaluates the vendors' units in a task."""
    if event.equipment_ids:
        remediation_evaluate(equipment_ids=event.equipment_ids)
    else:
        on_screening_changed(event)


def on_screening_changed(event: events.ScreeningChanged | events.EquipmentImported) -> None:
    """Subscriber of ScreeningChanged and EquipmentImported (apps.common.events): enqueue a re-evaluation of those
    vendors' units. A down broker never breaks screening: the task then waits in the outbox."""
    if not event.vendor_ids:
        return
    enqueue_on_commit("apps.remediation.tasks.remediation_evaluate_vendors_task",
                      kwargs={"vendor_ids": sorted(int(v) for v in event.vendor_ids)})


# --- spread over workers ------------------------------------------------------------------------------------------

EVALUATE_RANGE_TASK = "apps.remediation.tasks.remediation_evaluate_range_task"
EVALUATE_TOTALS_TASK = "apps.remediation.tasks.remediation_evaluate_totals_task"
EVALUATE_FAILED_TASK = "apps.remediation.tasks.remediation_evaluate_failed_task"


def _units(organization_id: int | None):
    units = Equipment.objects.all()
    return units if organization_id is None else units.filter(site__organization_id=organization_id)


def remediation_evaluate_range(*, id_from: int, id_to: int, today: dt.date, now: dt.datetime | None = None,
                               organization_id: int | None = None) -> EvaluationResult:
    """One chunk of an evaluation spread over workers: the units with id_from <= id <= id_to (of one organisation
    when given). Idempotent as remediation_evaluate is: run again, it finds every plan in line and writes
    nothing; a chunk that died half-way had its finished inner chunks committed and the rest is done now."""
    ids = _units(organization_id).filter(id__gte=id_from, id__lte=id_to).order_by("id").values_list("id", flat=True)
    return remediation_evaluate(equipment_ids=ids.iterator(chunk_size=5000), today=today, now=now)


def remediation_evaluate_in_workers(*, today: dt.date | None = None, organization_id: int | None = None,
                                    now: dt.datetime | None = None) -> dict:
    """Evaluate every unit (of one organisation when given). With WORK_FANOUT: split into ranges of
    WORK_FANOUT_UNITS units by id, each evaluated by a task on whichever worker takes it, then one task adds up
    the totals (a chord; answers {"chunks": n, "chord": id} at once). Without: in this process, answering the
    totals. Every chunk evaluates as of the same day and moment."""
    from django.conf import settings

    from apps.common.chunks import id_ranges
    from apps.security.enqueue import fan_out

    today = today or remediation_today(now)
    now = now or timezone.now()
    if not settings.WORK_FANOUT:
        units = _units(organization_id).values_list("id", flat=True)
        return remediation_evaluate(equipment_ids=units.iterator(chunk_size=5000) if organization_id else None,
                                    today=today, now=now).as_dict()
    ranges = id_ranges(_units(organization_id), settings.WORK_FANOUT_UNITS)
    if not ranges:
        return EvaluationResult().as_dict() | {"chunks": 0}
    common = {"today": today.isoformat(), "now": now.isoformat(), "organization_id": organization_id}
    chord_id = fan_out([(EVALUATE_RANGE_TASK, {"id_from": a, "id_to": b, **common}) for a, b in ranges],
                       (EVALUATE_TOTALS_TASK, {"today": today.isoformat(), "organization_id": organization_id}),
                       on_error=(EVALUATE_FAILED_TASK, {"today": today.isoformat(),
                                                        "organization_id": organization_id}))
    return {"chunks": len(ranges), "chord": chord_id}


def remediation_evaluation_totals(results: list[dict]) -> dict:
    """The final step of an evaluation spread over workers: its chunks' counts added up."""
    total = EvaluationResult()
    for r in results:
        total.add(EvaluationResult(**{k: int(r.get(k, 0)) for k in total.as_dict()}))
    return total.as_dict() | {"chunks": len(results)}


DAILY_FINISH_TASK = "apps.remediation.tasks.remediation_daily_finish_task"
DAILY_FAILED_TASK = "apps.remediation.tasks.remediation_daily_failed_task"


def remediation_daily_in_workers(*, today: dt.date | None = None, now: dt.datetime | None = None) -> dict:
    """The daily job: re-evaluate every unit (rules that took effect or whose suspension ended today; skipped when
    REMEDIATION_DAILY_EVALUATE is off), then expire waivers, flag overdue plans and send the digests
    (remediation_daily), which read the plans the evaluation left.

    With WORK_FANOUT the evaluation is split into id ranges as remediation_evaluate_in_workers does, each range a
    task on whichever worker takes it, and the daily steps are the chord's final step (remediation_daily_finish):
    answers {"chunks": n, "chord": id} at once. Without, both here: the daily summary with the evaluation's
    totals under "evaluate". Every part is idempotent, and so are the daily steps (one digest per organisation
    and day): a redelivered part or a second run of the whole job writes nothing more."""
    from django.conf import settings

    from apps.common.chunks import id_ranges
    from apps.security.enqueue import fan_out

    from .digest import remediation_daily

    now = now or timezone.now()
    today = today or remediation_today(now)
    if not settings.REMEDIATION_DAILY_EVALUATE:
        return remediation_daily(today=today, now=now)
    if not settings.WORK_FANOUT:
        evaluated = remediation_evaluate_all(today=today).as_dict()
        return remediation_daily(today=today, now=now) | {"evaluate": evaluated}
    ranges = id_ranges(Equipment.objects.all(), settings.WORK_FANOUT_UNITS)
    if not ranges:  # no unit: nothing to spread, the daily steps here
        return remediation_daily_finish(results=[], today=today)
    common = {"today": today.isoformat(), "now": now.isoformat(), "organization_id": None}
    chord_id = fan_out([(EVALUATE_RANGE_TASK, {"id_from": a, "id_to": b, **common}) for a, b in ranges],
                       (DAILY_FINISH_TASK, {"today": today.isoformat()}),
                       on_error=(DAILY_FAILED_TASK, {"today": today.isoformat()}))
    return {"chunks": len(ranges), "chord": chord_id}


def remediation_daily_finish(*, results: list[dict], today: dt.date) -> dict:
    """The final step of the daily job spread over workers: the daily steps (waivers, overdue flags, digests) on
    the plans the parts left, with the evaluation's totals under "evaluate"."""
    from .digest import remediation_daily

    return remediation_daily(today=today) | {"evaluate": remediation_evaluation_totals(results)}
