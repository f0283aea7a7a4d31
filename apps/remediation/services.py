"""Writes of the remediation programme: rules, plan evaluation, transitions, deadlines, steps and evidence,
waivers, the daily overdue / digest run.

Every service takes keyword arguments, runs in one transaction, checks the user's role in the plan's
organisation (members of another organisation get the same "not found" as for a missing plan), and records
an audit event. Time is injected: `today` (a calendar date in REMEDIATION_TIME_ZONE) and `now`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from apps.accounts.choices import WRITE_ROLES, Role
from apps.accounts.models import Membership, Organization
from apps.accounts.selectors import membership_role
from apps.audit.services import audit_record, changes_between, model_snapshot
from apps.audit.writes import model_save_audited, write_transaction
from apps.common import events
from apps.common.exceptions import ApplicationError
from apps.inventory.choices import RETIRED_STATUSES, EquipmentStatus
from apps.inventory.models import Equipment
from apps.security.enqueue import enqueue_on_commit
from apps.vendors.selectors import vendor_descendant_ids

from . import conf
from .choices import (
    CLOCK_STATUSES,
    LIVE_STATUSES,
    NEXT_STATUS,
    Action,
    NotificationKind,
    Outcome,
    PlanStatus,
    StepStatus,
    WaiverStatus,
)
from .context import FindingsProvider, equipment_contexts, equipment_rows, rule_specs, screening_findings
from .models import (
    Digest,
    DigestDelivery,
    DigestItem,
    Evidence,
    Notification,
    PlanStep,
    PolicyRule,
    ProjectionLine,
    ProjectionReport,
    RemediationPlan,
    RemediationPlanQuerySet,
    Waiver,
)
from .policy import Candidate, add_days, candidates_for, choose, local_today, why_text
from .selectors import remediation_projection_chunks, remediation_projection_scope, remediation_projection_summary
from .uploads import read_limited, sniff

logger = logging.getLogger(__name__)

OUTCOMES_FOR_ACTION = {
    Action.REMOVE: {Outcome.REMOVED, Outcome.REPLACED, Outcome.DISPOSED},
    Action.REPLACE: {Outcome.REPLACED, Outcome.REMOVED, Outcome.DISPOSED},
    Action.MITIGATE: set(Outcome.values),
    Action.MONITOR: set(Outcome.values),
}
EQUIPMENT_STATUS_FOR_OUTCOME = {
    Outcome.REMOVED: EquipmentStatus.REMOVED,
    Outcome.REPLACED: EquipmentStatus.REPLACED,
    Outcome.DISPOSED: EquipmentStatus.DISPOSED,
}


def remediation_today(now: dt.datetime | None = None) -> dt.date:
    """Today's calendar date in the registry's zone (REMEDIATION_TIME_ZONE, else TIME_ZONE)."""
    return local_today(now or timezone.now(), conf.time_zone())


# --- permissions -----------------------------------------------------------------------------------------------

def _require_member(user, organization_id: int, *, roles: Iterable[str] = WRITE_ROLES, what: str = "do this") -> str:
    role = membership_role(user, organization_id)
    if role is None:
        # Same answer as for a missing object: another organisation's plans are not revealed.
        raise ApplicationError("Not found.", code="not_found")
    if role not in set(roles):
        raise ApplicationError(f"Your role ({role}) may not {what}.", code="forbidden")
    return role


def _validation_to_app(exc: ValidationError) -> ApplicationError:
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    return ApplicationError("Invalid input: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()),
                            code="validation_error", fields=fields)


# --- rules --------------------------------------------------------------------------------------------------

RULE_EDITABLE = {f.name for f in PolicyRule._meta.get_fields() if getattr(f, "editable", False)} - {
    "id", "version", "created_at", "updated_at", "code"}


def _require_rule_editor(user, organization_id: int | None) -> None:
    if organization_id is None:
        if not (getattr(user, "is_authenticated", False) and (user.is_superuser or user.is_staff)):
            raise ApplicationError("Only registry administrators may change rules that apply to everyone.",
                                   code="forbidden")
    else:
        _require_member(user, organization_id, roles=(Role.ADMIN,), what="change this organisation's rules")


@transaction.atomic
def policy_rule_create(*, user, code: str, **fields) -> PolicyRule:
    unknown = set(fields) - RULE_EDITABLE
    if unknown:
        raise ApplicationError(f"Unknown rule field(s): {', '.join(sorted(unknown))}.", code="validation_error")
    org = fields.get("organization")
    _require_rule_editor(user, org.pk if org else None)
    try:
        return model_save_audited(PolicyRule(code=code, **fields), actor=user,
                                  organization_id=org.pk if org else None)
    except ValidationError as exc:
        raise _validation_to_app(exc) from exc


@transaction.atomic
def policy_rule_update(*, rule: PolicyRule, user, **fields) -> PolicyRule:
    """Change a rule; the version goes up by one and the old version stays in the rule's history. Plans pick
    the change up at their next evaluation (daily, or `remediation_evaluate_all`)."""
    unknown = set(fields) - RULE_EDITABLE
    if unknown:
        raise ApplicationError(f"Unknown or read-only rule field(s): {', '.join(sorted(unknown))}.",
                               code="validation_error")
    rule = PolicyRule.objects.select_for_update().get(pk=rule.pk)
    _require_rule_editor(user, rule.organization_id)
    for key, value in fields.items():
        setattr(rule, key, value)
    rule.version += 1
    try:
        return model_save_audited(rule, actor=user, organization_id=rule.organization_id)
    except ValidationError as exc:
        raise _validation_to_app(exc) from exc


def policy_rules_seed_defaults(*, only_missing: bool = True) -> tuple[int, int]:
    """Create the default rule set (apps.remediation.defaults) where a rule with that code is missing. Never
    overwrites an admin's edits. Returns (created, already present)."""
    from .defaults import DEFAULT_RULES

    created = present = 0
    with transaction.atomic():
        for data in DEFAULT_RULES:
            if PolicyRule.objects.filter(code=data["code"]).exists():
                present += 1
                continue
            model_save_audited(PolicyRule(**data))
            created += 1
    return created, present


# --- evaluation ----------------------------------------------------------------------------------------------

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
                    "why", "vendor_id", "category", "site_id", "organization_id", "is_overdue")
PLAN_UPDATE_FIELDS = [*(f.removesuffix("_id") if f.endswith("_id") else f for f in PLAN_SYNC_FIELDS),
                      "evaluation_hash", "status", "closed_at", "closing_note", "opened_at", "discovered_on", "outcome",
                      "deadline_overridden", "deadline_reason", "last_evaluated_on"]


def _get(obj, name: str):
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


def _winner_vendor_id(winner: Candidate) -> int | None:
    if winner.basis.get("kind") == "finding":
        return winner.basis.get("vendor_id")
    facts = winner.basis.get("facts") or []
    return next((f["vendor_id"] for f in facts if f.get("vendor_id")), None)


def _fingerprint(values: dict) -> str:
    return hashlib.sha1(json.dumps(values, sort_keys=True, default=str).encode(), usedforsecurity=False).hexdigest()


def _sync_values(plan, winner: Candidate, others: list[Candidate], ctx, today: dt.date, status: str) -> dict:
    """The fields the rules decide. `plan` is the live plan (a model or a dict of its values) or None."""
    deadline, overridden, reason = winner.deadline, False, ""
    # A hand-set (or restarted) deadline holds while the same rule decides; another rule brings its own date.
    if plan is not None and _get(plan, "deadline_overridden") and _get(plan, "rule_id") == winner.rule.id:
        deadline, overridden, reason = _get(plan, "deadline"), True, _get(plan, "deadline_reason")
    return {
        "deadline_overridden": overridden, "deadline_reason": reason,
        "rule_id": winner.rule.id, "rule_version": winner.rule.version, "action": winner.rule.action,
        "computed_deadline": winner.deadline, "deadline": deadline, "basis": winner.basis,
        "also_applied": [c.as_dict() for c in others], "why": why_text(winner, others),
        "vendor_id": _winner_vendor_id(winner), "category": ctx.category, "site_id": ctx.site_id,
        "organization_id": ctx.organization_id,
        "is_overdue": status in CLOCK_STATUSES and deadline < today,
    }


def _evaluate_chunk(ids: list[int], rules, *, today: dt.date, now: dt.datetime, provider: FindingsProvider,
                    actor=None) -> EvaluationResult:
    res = EvaluationResult()
    rows = equipment_rows(ids)
    active = [r for r in rows if r["status"] not in RETIRED_STATUSES]
    contexts = equipment_contexts(active, as_of=today)
    findings = provider([r["id"] for r in active]) if active else {}
    # Live plans as values first: most are unchanged, and their fingerprint says so without loading models.
    live = {p["equipment_id"]: p for p in RemediationPlan.objects.filter(
        equipment_id__in=ids, status__in=LIVE_STATUSES).values(
        "id", "equipment_id", "status", "deadline", "deadline_overridden", "deadline_reason", "discovered_on",
        "evaluation_hash", "rule_id")}
    done_rules: dict[int, set[int]] = defaultdict(set)
    for eq_id, rule_id in RemediationPlan.objects.filter(equipment_id__in=ids, status=PlanStatus.DONE).values_list(
            "equipment_id", "rule_id"):
        done_rules[eq_id].add(rule_id)

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
            cands = candidates_for(ctx, findings.get(eq_id, []), rules, day=today,
                                   first_seen=plan["discovered_on"] if plan else today,
                                   exclude_rule_ids=done_rules.get(eq_id, set()))
            winner, others = choose(cands)
            reason = "No rule applies any more (vendor cleared: list entry removed, finding dismissed or rule changed)."
        if winner is None:
            if plan is not None:
                closing[plan["id"]] = reason
            else:
                res.unchanged += 1
            continue
        values = _sync_values(plan, winner, others, ctx, today, plan["status"] if plan else PlanStatus.OPEN)
        values["evaluation_hash"] = _fingerprint(values)
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
    if created:
        bulk_create_with_history(created, RemediationPlan, batch_size=1000, default_user=actor, default_date=now,
                                 default_change_reason="created by rule evaluation")
        if any(p.pk is None for p in created):  # backends that do not return ids
            by_eq = dict(RemediationPlan.objects.filter(
                equipment_id__in=[p.equipment_id for p in created], status=PlanStatus.OPEN).values_list(
                "equipment_id", "id"))
            for p in created:
                p.pk = p.id = by_eq.get(p.equipment_id)
    changed_plans = to_update + closed + reopened
    if changed_plans:
        bulk_update_with_history(changed_plans, RemediationPlan, PLAN_UPDATE_FIELDS, batch_size=1000,
                                 default_user=actor, default_date=now, default_change_reason="rule evaluation")
    if closed:
        _close_waivers_of([p.pk for p in closed], now=now, note="Plan closed: remediation no longer required.")
    res.created, res.reopened, res.closed = len(created), len(reopened), len(closed)
    res.created_ids = [p.pk for p in created] + [p.pk for p in reopened]
    res.closed_ids = [p.pk for p in closed]
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


def _close_waivers_of(plan_ids: list[int], *, now: dt.datetime, note: str) -> None:
    waivers = list(Waiver.objects.filter(plan_id__in=plan_ids,
                                         status__in=[WaiverStatus.REQUESTED, WaiverStatus.APPROVED]))
    for w in waivers:
        w.status, w.expired_at, w.decision_note = WaiverStatus.EXPIRED, now, (w.decision_note + "\n" + note).strip()
    if waivers:
        bulk_update_with_history(waivers, Waiver, ["status", "expired_at", "decision_note"], default_date=now)


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

    def run(chunk: list[int]) -> None:
        for attempt in (1, 2):
            try:
                with transaction.atomic():
                    total.add(_evaluate_chunk(chunk, rules, today=today, now=now, provider=provider, actor=actor))
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


def remediation_equipment_ids_for_vendors(vendor_ids: Iterable[int]) -> list[int]:
    """Units whose brand, manufacturer, software supplier or component vendor is one of the vendors or owned /
    branded by them, plus units that already have a live plan naming one of those vendors."""
    ids = set(vendor_ids)
    ids |= vendor_descendant_ids(ids)
    q = (Q(product_model__brand_id__in=ids) | Q(product_model__manufacturer_id__in=ids)
         | Q(product_model__software_supplier_id__in=ids) | Q(components__vendor_id__in=ids))
    eq = set(Equipment.objects.filter(q).values_list("id", flat=True))
    eq |= set(RemediationPlan.objects.filter(vendor_id__in=ids, status__in=LIVE_STATUSES).values_list(
        "equipment_id", flat=True))
    return sorted(eq)


def remediation_evaluate_vendors(*, vendor_ids: Iterable[int], today: dt.date | None = None,
                                 findings_provider: FindingsProvider | None = None) -> EvaluationResult:
    """Re-evaluate the plans of the units of vendors whose screening status changed."""
    return remediation_evaluate(equipment_ids=remediation_equipment_ids_for_vendors(vendor_ids), today=today,
                                findings_provider=findings_provider)


def on_screening_changed(event: events.ScreeningChanged | events.EquipmentImported) -> None:
    """Subscriber of ScreeningChanged and EquipmentImported (apps.common.events): enqueue a re-evaluation of those
    vendors' units. A down broker never breaks screening: the task then waits in the outbox."""
    if not event.vendor_ids:
        return
    enqueue_on_commit("apps.remediation.tasks.remediation_evaluate_vendors_task",
                      kwargs={"vendor_ids": sorted(int(v) for v in event.vendor_ids)})


# --- plans: transitions, owner, cost, deadline -------------------------------------------------------------

def _locked_plan(plan: RemediationPlan | int) -> RemediationPlan:
    pk = plan if isinstance(plan, int) else plan.pk
    try:
        return RemediationPlan.objects.select_for_update().get(pk=pk)
    except RemediationPlan.DoesNotExist as exc:
        raise ApplicationError("Not found.", code="not_found") from exc


@write_transaction()  # audit chain lock last (apps.audit.writes)
def plan_transition(*, plan: RemediationPlan | int, to_status: str, user, outcome: str = "", note: str = "",
                    now: dt.datetime | None = None, today: dt.date | None = None) -> RemediationPlan:
    """Move a plan one step forward: open -> planned -> in_progress -> done (done needs an outcome that
    satisfies the action: a remove/replace plan cannot be closed as merely mitigated; ask for a waiver)."""
    now = now or timezone.now()
    today = today or remediation_today(now)
    plan = _locked_plan(plan)
    _require_member(user, plan.organization_id, what="change plans")
    current = PlanStatus(plan.status)
    if to_status not in PlanStatus.values:
        raise ApplicationError(f"Unknown status {to_status!r}.", code="invalid_status",
                               fields={"status": ["Unknown status."]})
    target = PlanStatus(to_status)
    order = [PlanStatus.OPEN, PlanStatus.PLANNED, PlanStatus.IN_PROGRESS, PlanStatus.DONE]
    if current == PlanStatus.WAIVED:
        raise ApplicationError("The plan is waived; it reopens when the waiver expires.", code="invalid_transition")
    if current in (PlanStatus.DONE, PlanStatus.NOT_REQUIRED):
        raise ApplicationError(f"The plan is closed ({current.label}); it cannot change status.",
                               code="invalid_transition")
    if target not in order:
        raise ApplicationError(f"A plan cannot be moved to {target.label} by hand.", code="invalid_transition")
    if order.index(target) <= order.index(current):
        raise ApplicationError(f"{current.label} -> {target.label} goes backwards; plans only move forward.",
                               code="invalid_transition")
    if NEXT_STATUS.get(current) != target:
        raise ApplicationError(
            f"{current.label} -> {target.label} skips {NEXT_STATUS[current].label}; move one step at a time.",
            code="invalid_transition")
    if target == PlanStatus.DONE:
        if outcome not in Outcome.values:
            raise ApplicationError("Closing a plan needs an outcome: " + ", ".join(Outcome.values) + ".",
                                   code="outcome_required", fields={"outcome": ["Required."]})
        if outcome not in OUTCOMES_FOR_ACTION[plan.action]:
            raise ApplicationError(
                f"A plan to {plan.action} cannot be closed as {outcome}; request a waiver instead.",
                code="outcome_mismatch", fields={"outcome": ["Does not satisfy the plan's action."]})
        plan.outcome, plan.closed_at, plan.is_overdue = outcome, now, False
        plan.closing_note = note
    plan.status = target
    if target in CLOCK_STATUSES:
        plan.is_overdue = plan.deadline < today
    model_save_audited(plan, actor=user, organization_id=plan.organization_id)
    if target == PlanStatus.DONE and outcome in EQUIPMENT_STATUS_FOR_OUTCOME:
        from apps.inventory.services import equipment_update

        eq = Equipment.objects.select_for_update().get(pk=plan.equipment_id)
        if eq.status not in RETIRED_STATUSES:
            equipment_update(equipment=eq, actor=user, status=EQUIPMENT_STATUS_FOR_OUTCOME[outcome])
    return plan


@transaction.atomic
def plan_assign(*, plan: RemediationPlan | int, owner, user) -> RemediationPlan:
    plan = _locked_plan(plan)
    _require_member(user, plan.organization_id, what="assign plans")
    if owner is not None and membership_role(owner, plan.organization_id) not in WRITE_ROLES:
        raise ApplicationError("The owner must be an officer or admin of the plan's organisation.",
                               code="invalid_owner", fields={"owner": ["Not an officer or admin here."]})
    plan.owner = owner
    return model_save_audited(plan, actor=user, organization_id=plan.organization_id)


@transaction.atomic
def plan_set_cost(*, plan: RemediationPlan | int, estimated_cost: Decimal | None, user,
                  currency: str = "USD") -> RemediationPlan:
    plan = _locked_plan(plan)
    _require_member(user, plan.organization_id, what="change plans")
    if estimated_cost is not None and Decimal(estimated_cost) < 0:
        raise ApplicationError("The cost cannot be negative.", code="validation_error",
                               fields={"estimated_cost": ["Must be 0 or more."]})
    plan.estimated_cost = estimated_cost
    plan.currency = (currency or "USD").upper()[:3]
    try:
        return model_save_audited(plan, actor=user, organization_id=plan.organization_id)
    except ValidationError as exc:
        raise _validation_to_app(exc) from exc


@transaction.atomic
def plan_change_deadline(*, plan: RemediationPlan | int, deadline: dt.date, reason: str, user,
                         today: dt.date | None = None) -> RemediationPlan:
    """Set a deadline by hand. Needs a reason; recorded (audit event with before/after and the reason). Later
    evaluations keep a hand-set deadline (the rule's own date stays visible as `computed_deadline`)."""
    today = today or remediation_today()
    plan = _locked_plan(plan)
    _require_member(user, plan.organization_id, what="change deadlines")
    if not plan.is_live:
        raise ApplicationError("The plan is closed; its deadline cannot change.", code="invalid_transition")
    if not (reason or "").strip():
        raise ApplicationError("A changed deadline needs a reason.", code="reason_required",
                               fields={"reason": ["Required."]})
    if deadline < today:
        raise ApplicationError("The new deadline is in the past.", code="validation_error",
                               fields={"deadline": ["Must be today or later."]})
    before = model_snapshot(plan, ["deadline", "deadline_overridden", "deadline_reason"])
    plan.deadline, plan.deadline_overridden, plan.deadline_reason = deadline, True, reason.strip()
    plan.is_overdue = plan.status in CLOCK_STATUSES and deadline < today
    plan._history_user = user
    plan.save()
    audit_record(action="remediationplan.deadline_change", actor=user, obj=plan, organization_id=plan.organization_id,
                 changes=changes_between(before, model_snapshot(plan, list(before))) | {"reason": reason.strip()})
    return plan


# --- steps and evidence --------------------------------------------------------------------------------------

@transaction.atomic
def plan_step_add(*, plan: RemediationPlan | int, title: str, user, description: str = "",
                  due_on: dt.date | None = None) -> PlanStep:
    plan = _locked_plan(plan)
    _require_member(user, plan.organization_id, what="change plans")
    if not plan.is_live:
        raise ApplicationError("The plan is closed.", code="invalid_transition")
    position = (plan.steps.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    try:
        return model_save_audited(PlanStep(plan=plan, title=title, description=description, due_on=due_on,
                                           position=position, created_by=user),
                                  actor=user, organization_id=plan.organization_id)
    except ValidationError as exc:
        raise _validation_to_app(exc) from exc


@transaction.atomic
def plan_step_complete(*, step: PlanStep | int, user, now: dt.datetime | None = None) -> PlanStep:
    step = PlanStep.objects.select_for_update().select_related("plan").get(pk=step if isinstance(step, int)
                                                                           else step.pk)
    _require_member(user, step.plan.organization_id, what="change plans")
    if step.status == StepStatus.DONE:
        raise ApplicationError("The step is already done.", code="invalid_transition")
    step.status, step.done_at, step.done_by = StepStatus.DONE, now or timezone.now(), user
    return model_save_audited(step, actor=user, organization_id=step.plan.organization_id)


def evidence_upload(*, plan: RemediationPlan | int, file, user, step: PlanStep | None = None, note: str = "",
                    now: dt.datetime | None = None) -> Evidence:
    """Attach a file to a plan (and step). Size and type (from the content) are checked before anything is
    stored; if the database write fails, the stored file is deleted again."""
    plan_obj = plan if isinstance(plan, RemediationPlan) else RemediationPlan.objects.filter(pk=plan).first()
    if plan_obj is None:
        raise ApplicationError("Not found.", code="not_found")
    _require_member(user, plan_obj.organization_id, what="upload evidence")
    if step is not None and step.plan_id != plan_obj.pk:
        raise ApplicationError("The step belongs to another plan.", code="validation_error",
                               fields={"step": ["Not a step of this plan."]})
    name = (getattr(file, "name", "") or "evidence").rsplit("/", 1)[-1][:255]
    data = read_limited(file, conf.evidence_max_bytes())
    kind = sniff(data, name)
    ev = Evidence(plan=plan_obj, step=step, original_name=name, content_type=kind.content_type,
                  extension=kind.extension, size=len(data), sha256=hashlib.sha256(data).hexdigest(), note=note[:500],
                  uploaded_by=user, uploaded_at=now or timezone.now())
    stored_name = None
    try:
        with transaction.atomic():
            ev.file.save(f"upload.{kind.extension}", ContentFile(data), save=False)
            stored_name = ev.file.name
            ev.save()
            audit_record(action="evidence.create", actor=user, obj=ev, organization_id=plan_obj.organization_id,
                         changes={"plan": plan_obj.pk, "step": step.pk if step else None, "name": name,
                                  "content_type": kind.content_type, "size": len(data), "sha256": ev.sha256})
    except Exception:
        if stored_name:
            ev.file.storage.delete(stored_name)
        raise
    return ev


# --- waivers -------------------------------------------------------------------------------------------------

def _notify(*, organization_id: int, users, kind: str, title: str, body: str = "", plan=None, waiver=None,
            digest=None, now: dt.datetime | None = None) -> list[Notification]:
    now = now or timezone.now()
    return Notification.objects.bulk_create([
        Notification(organization_id=organization_id, user=u, kind=kind, title=title[:200], body=body, plan=plan,
                     waiver=waiver, digest=digest, created_at=now) for u in users])


def _org_members(organization_id: int, roles: Iterable[str]) -> list:
    return [m.user for m in Membership.objects.filter(organization_id=organization_id, role__in=list(roles),
                                                      user__is_active=True).select_related("user")]


@transaction.atomic
def waiver_request(*, plan: RemediationPlan | int, user, justification: str, compensating_controls: str,
                   expires_on: dt.date, today: dt.date | None = None, now: dt.datetime | None = None) -> Waiver:
    now = now or timezone.now()
    today = today or remediation_today(now)
    plan = _locked_plan(plan)
    _require_member(user, plan.organization_id, what="request waivers")
    errors: dict[str, list[str]] = {}
    if not (justification or "").strip():
        errors["justification"] = ["Required."]
    if not (compensating_controls or "").strip():
        errors["compensating_controls"] = ["Required."]
    if expires_on is None or expires_on < today:
        errors["expires_on"] = ["The expiry date cannot be before today."]
    if errors:
        raise ApplicationError("The waiver request is incomplete: " + ", ".join(errors) + ".",
                               code="validation_error", fields=errors)
    if plan.status not in CLOCK_STATUSES:
        raise ApplicationError(f"A {plan.get_status_display().lower()} plan cannot be waived.",
                               code="invalid_transition")
    if Waiver.objects.filter(plan=plan, status__in=[WaiverStatus.REQUESTED, WaiverStatus.APPROVED]).exists():
        raise ApplicationError("This plan already has a pending or active waiver.", code="duplicate")
    waiver = model_save_audited(
        Waiver(plan=plan, organization_id=plan.organization_id, justification=justification.strip(),
               compensating_controls=compensating_controls.strip(), expires_on=expires_on, requested_by=user,
               requested_at=now), actor=user, organization_id=plan.organization_id)
    admins = [u for u in _org_members(plan.organization_id, [Role.ADMIN]) if u.pk != user.pk]
    _notify(organization_id=plan.organization_id, users=admins, kind=NotificationKind.WAIVER_REQUESTED,
            title=f"Waiver requested for plan #{plan.pk} until {expires_on}", body=justification, plan=plan,
            waiver=waiver, now=now)
    return waiver


def _locked_waiver(waiver: Waiver | int) -> Waiver:
    pk = waiver if isinstance(waiver, int) else waiver.pk
    try:
        return Waiver.objects.select_for_update().get(pk=pk)
    except Waiver.DoesNotExist as exc:
        raise ApplicationError("Not found.", code="not_found") from exc


def _check_decider(waiver: Waiver, user) -> None:
    _require_member(user, waiver.organization_id, roles=(Role.ADMIN,), what="decide waivers")
    if waiver.requested_by_id == user.pk:
        raise ApplicationError("You cannot decide your own waiver request; another admin must (four-eyes).",
                               code="four_eyes")
    if waiver.status != WaiverStatus.REQUESTED:
        raise ApplicationError(f"The waiver is already {waiver.get_status_display().lower()}.",
                               code="invalid_transition")


@write_transaction()  # audit chain lock last (apps.audit.writes)
def waiver_approve(*, waiver: Waiver | int, user, note: str = "", today: dt.date | None = None,
                   now: dt.datetime | None = None) -> Waiver:
    """Approve (a different admin of the organisation). The plan becomes `waived`: its clock stops."""
    now = now or timezone.now()
    today = today or remediation_today(now)
    waiver = _locked_waiver(waiver)
    _check_decider(waiver, user)
    if waiver.expires_on < today:
        raise ApplicationError("The waiver's expiry date has passed; ask for a new request.", code="validation_error",
                               fields={"expires_on": ["The expiry date cannot be before today."]})
    plan = _locked_plan(waiver.plan_id)
    if plan.status not in CLOCK_STATUSES:
        raise ApplicationError(f"The plan is {plan.get_status_display().lower()}; nothing to waive.",
                               code="invalid_transition")
    waiver.status, waiver.decided_by, waiver.decided_at = WaiverStatus.APPROVED, user, now
    waiver.decision_note, waiver.plan_status_before = note, plan.status
    model_save_audited(waiver, actor=user, organization_id=waiver.organization_id)
    plan.status, plan.is_overdue = PlanStatus.WAIVED, False
    model_save_audited(plan, actor=user, organization_id=plan.organization_id)
    _notify(organization_id=waiver.organization_id, users=[waiver.requested_by], kind=NotificationKind.WAIVER_DECIDED,
            title=f"Waiver for plan #{plan.pk} approved until {waiver.expires_on}", body=note, plan=plan,
            waiver=waiver, now=now)
    return waiver


@transaction.atomic
def waiver_reject(*, waiver: Waiver | int, user, note: str, now: dt.datetime | None = None) -> Waiver:
    now = now or timezone.now()
    waiver = _locked_waiver(waiver)
    _check_decider(waiver, user)
    if not (note or "").strip():
        raise ApplicationError("Say why the waiver is rejected.", code="reason_required",
                               fields={"note": ["Required."]})
    waiver.status, waiver.decided_by, waiver.decided_at, waiver.decision_note = (
        WaiverStatus.REJECTED, user, now, note.strip())
    model_save_audited(waiver, actor=user, organization_id=waiver.organization_id)
    _notify(organization_id=waiver.organization_id, users=[waiver.requested_by], kind=NotificationKind.WAIVER_DECIDED,
            title=f"Waiver for plan #{waiver.plan_id} rejected", body=note, plan=waiver.plan, waiver=waiver, now=now)
    return waiver


@write_transaction()  # audit chain lock last (apps.audit.writes)
def waivers_expire(*, today: dt.date, now: dt.datetime | None = None) -> list[int]:
    """Approved waivers whose expiry date has passed: the waiver becomes `expired`, its plan reopens (`open`)
    and its deadline clock restarts: today + the rule's N days (or REMEDIATION_WAIVER_RESTART_DAYS)."""
    now = now or timezone.now()
    expired: list[int] = []
    due = Waiver.objects.select_for_update(of=("self",)).filter(status=WaiverStatus.APPROVED, expires_on__lt=today)
    for waiver in due.select_related("plan__rule"):
        waiver.status, waiver.expired_at = WaiverStatus.EXPIRED, now
        model_save_audited(waiver, organization_id=waiver.organization_id)
        plan = waiver.plan
        if plan.status == PlanStatus.WAIVED:
            days = plan.rule.deadline_days or conf.waiver_restart_days()
            plan.status = PlanStatus.OPEN
            # Kept by later evaluations like a hand-set deadline; the rule's own date stays in computed_deadline.
            plan.deadline, plan.deadline_overridden = add_days(today, days), True
            plan.deadline_reason = (f"Deadline clock restarted ({days} days) after waiver #{waiver.pk} expired on "
                                    f"{waiver.expires_on}.")
            plan.is_overdue = False
            model_save_audited(plan, organization_id=plan.organization_id)
        expired.append(waiver.pk)
    return expired


# --- daily run: overdue flags and digests -------------------------------------------------------------------

def plans_mark_overdue(*, today: dt.date, now: dt.datetime | None = None, chunk_size: int = 2000) -> tuple[int, int]:
    """Set `is_overdue` on running plans past their deadline, clear it where it no longer holds. Returns
    (newly overdue, cleared). Written with history, in chunks (bounded memory)."""
    now = now or timezone.now()
    counts = []
    for flag, qs in (
        (True, RemediationPlan.objects.overdue(today).filter(is_overdue=False)),
        (False, RemediationPlan.objects.filter(is_overdue=True).exclude(RemediationPlanQuerySet.overdue_q(today))),
    ):
        ids = list(qs.values_list("id", flat=True))
        for i in range(0, len(ids), chunk_size):
            with transaction.atomic():
                plans = list(RemediationPlan.objects.filter(pk__in=ids[i:i + chunk_size]))
                for p in plans:
                    p.is_overdue = flag
                bulk_update_with_history(plans, RemediationPlan, ["is_overdue"], batch_size=1000, default_date=now,
                                         default_change_reason="daily overdue check")
        counts.append(len(ids))
    return counts[0], counts[1]


@dataclass
class DigestEntry:
    key: str
    kind: str
    organization_id: int
    text: str
    plan_id: int | None = None
    waiver_id: int | None = None


def _digest_organization_ids(*, today: dt.date, expired_ids: Iterable[int] = ()) -> list[int]:
    horizon = add_days(today, max(conf.due_windows()))
    ids = set(RemediationPlan.objects.filter(status__in=CLOCK_STATUSES)
              .filter(Q(deadline__lte=horizon) | Q(discovered_on__gte=add_days(today, -conf.digest_new_days())))
              .order_by().values_list("organization_id", flat=True).distinct())
    ids |= set(Waiver.objects.filter(Q(status=WaiverStatus.APPROVED, expires_on__gte=today,
                                       expires_on__lte=add_days(today, conf.waiver_warning_days()))
                                     | Q(pk__in=list(expired_ids))).values_list("organization_id", flat=True))
    return sorted(ids)


def _digest_entries(*, organization_id: int, today: dt.date, expired_ids: Iterable[int] = ()) -> list[DigestEntry]:
    """What one organisation's digest would say today (before removing what was already sent today)."""
    windows = conf.due_windows()
    horizon = add_days(today, max(windows))
    out: list[DigestEntry] = []
    plan_fields = ("id", "deadline", "action", "category", "site__name", "equipment__asset_tag", "equipment_id",
                   "rule__code")
    plans = RemediationPlan.objects.filter(organization_id=organization_id, status__in=CLOCK_STATUSES)

    def label(p: dict) -> str:
        what = p["equipment__asset_tag"] or f"equipment #{p['equipment_id']}"
        return f"plan #{p['id']}: {p['action']} {p['category'].replace('_', ' ')} {what} at {p['site__name']}"

    # Newly flagged units (plans discovered in the last days), each announced once, whatever its deadline; on
    # that day they are listed here only, not again under overdue or due soon.
    announced = DigestItem.objects.filter(organization_id=organization_id, kind=NotificationKind.NEW_PLAN)
    # Announced as new *today* (by an earlier run): not repeated under overdue or due soon until tomorrow.
    new_ids: set[int] = set(announced.filter(digest_date=today).exclude(plan_id=None)
                            .values_list("plan_id", flat=True))
    for p in (plans.filter(discovered_on__gte=add_days(today, -conf.digest_new_days()), discovered_on__lte=today)
              .exclude(pk__in=announced.values("plan_id")).values(*plan_fields).order_by("discovered_on", "id")
              .iterator(2000)):
        new_ids.add(p["id"])
        out.append(DigestEntry(
            f"plan:{p['id']}:new", NotificationKind.NEW_PLAN, organization_id,
            f"newly flagged, deadline {p['deadline']}: {label(p)} ({p['rule__code']})", plan_id=p["id"]))
    plans = plans.exclude(pk__in=sorted(new_ids)) if new_ids else plans
    for p in plans.filter(deadline__lt=today).values(*plan_fields).order_by("deadline", "id").iterator(2000):
        out.append(DigestEntry(
            f"plan:{p['id']}:overdue", NotificationKind.OVERDUE, organization_id,
            f"OVERDUE since {p['deadline']}: {label(p)} ({p['rule__code']})", plan_id=p["id"]))
    for p in plans.filter(deadline__gte=today, deadline__lte=horizon).values(*plan_fields) \
            .order_by("deadline", "id").iterator(2000):
        left = (p["deadline"] - today).days
        window = next(w for w in windows if left <= w)
        out.append(DigestEntry(
            f"plan:{p['id']}:due{window}", NotificationKind.DUE_SOON, organization_id,
            f"due within {window} days ({p['deadline']}, {left} days left): {label(p)} ({p['rule__code']})",
            plan_id=p["id"]))
    waivers = Waiver.objects.filter(organization_id=organization_id)
    warn_until = add_days(today, conf.waiver_warning_days())
    for w in waivers.filter(status=WaiverStatus.APPROVED, expires_on__gte=today, expires_on__lte=warn_until) \
            .values("id", "plan_id", "expires_on"):
        out.append(DigestEntry(
            f"waiver:{w['id']}:expiring", NotificationKind.WAIVER_EXPIRING, organization_id,
            f"waiver #{w['id']} of plan #{w['plan_id']} expires on {w['expires_on']}", plan_id=w["plan_id"],
            waiver_id=w["id"]))
    day_start = dt.datetime.combine(today, dt.time.min, tzinfo=zoneinfo.ZoneInfo(conf.time_zone()))
    recent = Q(expired_at__gte=day_start, expires_on__lt=today) | Q(pk__in=list(expired_ids))
    for w in waivers.filter(recent, status=WaiverStatus.EXPIRED).values("id", "plan_id", "expires_on"):
        out.append(DigestEntry(
            f"waiver:{w['id']}:expired", NotificationKind.WAIVER_EXPIRED, organization_id,
            f"waiver #{w['id']} expired on {w['expires_on']}: plan #{w['plan_id']} is open again",
            plan_id=w["plan_id"], waiver_id=w["id"]))
    return out


SECTION_TITLES = [
    (NotificationKind.NEW_PLAN, "Newly flagged"),
    (NotificationKind.OVERDUE, "Overdue"),
    (NotificationKind.DUE_SOON, "Due soon"),
    (NotificationKind.WAIVER_EXPIRING, "Waivers expiring"),
    (NotificationKind.WAIVER_EXPIRED, "Waivers expired (plans reopened)"),
]


def _digest_body(org: Organization, today: dt.date, entries: list[DigestEntry]) -> str:
    limit = conf.digest_max_listed()
    lines = [f"Remediation digest for {org.name}, {today.isoformat()}", ""]
    for kind, title in SECTION_TITLES:
        items = [e for e in entries if e.kind == kind]
        if not items:
            continue
        lines.append(f"{title}: {len(items)}")
        lines.extend(f"  - {e.text}" for e in items[:limit])
        if len(items) > limit:
            lines.append(f"  ... and {len(items) - limit} more (see the remediation board)")
        lines.append("")
    lines.append("This digest lists only items not announced earlier today.")
    return "\n".join(lines)


# What a mail backend raises when the server cannot be reached or refuses the message: smtplib.SMTPException,
# ConnectionRefusedError, socket timeouts and name resolution errors are all OSError. Caught per organisation so
# that one failing send does not stop the other organisations' digests, then raised again (the task retries).
DIGEST_SEND_ERRORS: tuple[type[BaseException], ...] = (OSError,)


def _digest_claim(*, organization_id: int, today: dt.date, now: dt.datetime) -> DigestDelivery | None:
    """Claim the organisation's digest for `today` (its own short transaction, committed before anything is
    sent). None when another run sent it, or holds a live claim on it. A failed claim, or one whose lease ran
    out (a run that died after claiming), is taken over, so a failure never silently swallows the day's
    digest. The unique (organisation, day) constraint makes two concurrent first claims one insert and one
    read of the winner's row."""
    with transaction.atomic():
        delivery, created = DigestDelivery.objects.get_or_create(
            organization_id=organization_id, day=today,
            defaults={"status": DigestDelivery.Status.SENDING, "claimed_at": now})
        if created:
            return delivery
        delivery = DigestDelivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status == DigestDelivery.Status.SENT:
            return None
        lease = dt.timedelta(seconds=conf.digest_claim_lease_seconds())
        if delivery.status == DigestDelivery.Status.SENDING and now < delivery.claimed_at + lease:
            return None
        logger.warning("digest of organisation %s for %s: taking over a %s claim (attempt %s, claimed %s)",
                       organization_id, today, delivery.status, delivery.attempts + 1, delivery.claimed_at)
        delivery.status, delivery.claimed_at, delivery.attempts = DigestDelivery.Status.SENDING, now, \
            delivery.attempts + 1
        delivery.save(update_fields=["status", "claimed_at", "attempts"])
        return delivery


def digest_send_for_org(*, organization_id: int, today: dt.date, entries: list[DigestEntry],
                        now: dt.datetime | None = None) -> Digest | None:
    """Send the organisation's digest for `today`, once: one e-mail per recipient (admins and officers with an
    address) and one in-app notification per member with a write role. At most one digest per organisation
    and day, however many runs (a second beat, a retried task, a concurrent run): the run first claims the
    day (`DigestDelivery`), then builds and sends under the organisation's row lock, and marks the claim sent
    in the same transaction as the digest's records. If sending fails, nothing but the claim's `failed`
    status is kept and the next run the same day sends it. Returns None when there is nothing to send or
    another run has it."""
    now = now or timezone.now()
    if not entries:
        return None
    delivery = _digest_claim(organization_id=organization_id, today=today, now=now)
    if delivery is None:
        return None
    try:
        return _digest_send_claimed(delivery=delivery, today=today, entries=entries, now=now)
    except Exception as exc:
        # Recorded, not swallowed: the claim says `failed` (so the next run takes it over) and the error goes up.
        DigestDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(
            status=DigestDelivery.Status.FAILED, error=f"{exc.__class__.__name__}: {exc}"[:2000])
        raise


def _digest_send_claimed(*, delivery: DigestDelivery, today: dt.date, entries: list[DigestEntry],
                         now: dt.datetime) -> Digest | None:
    organization_id = delivery.organization_id
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=organization_id)
        current = DigestDelivery.objects.select_for_update().get(pk=delivery.pk)
        if current.status != DigestDelivery.Status.SENDING or current.attempts != delivery.attempts:
            return None  # our lease ran out and another run took the claim over
        sent = set(DigestItem.objects.filter(organization_id=organization_id, digest_date=today)
                   .values_list("item_key", flat=True))
        fresh, seen = [], set()
        for e in entries:
            if e.key not in sent and e.key not in seen:
                seen.add(e.key)
                fresh.append(e)
        if not fresh:
            current.delete()  # nothing new after all: no claim, a later run may send
            return None
        recipients = _org_members(organization_id, WRITE_ROLES)
        emails = sorted({u.email for u in recipients if u.email})
        counts = {title: sum(1 for e in fresh if e.kind == kind) for kind, title in SECTION_TITLES}
        subject = (f"[vendor-risk] {org.name}: " + ", ".join(f"{n} {t.lower()}" for t, n in counts.items() if n))[:200]
        body = _digest_body(org, today, fresh)
        digest = Digest.objects.create(organization=org, digest_date=today, sent_at=now, subject=subject, body=body,
                                       recipients=emails, item_count=len(fresh))
        DigestItem.objects.bulk_create([
            DigestItem(digest=digest, organization_id=organization_id, digest_date=today, item_key=e.key, kind=e.kind,
                       plan_id=e.plan_id, waiver_id=e.waiver_id) for e in fresh], batch_size=2000)
        _notify(organization_id=organization_id, users=recipients, kind=NotificationKind.DIGEST, title=subject,
                body=body, digest=digest, now=now)
        if emails:
            # Inside the transaction: if sending fails, the digest's records roll back and the claim is marked
            # failed (digest_send_for_org), so the next run sends it.
            connection = get_connection()
            connection.send_messages([EmailMessage(subject, body, to=[addr], connection=connection)
                                      for addr in emails])
            digest.email_sent = True
            digest.save(update_fields=["email_sent"])
        current.status, current.sent_at, current.digest, current.error = DigestDelivery.Status.SENT, now, digest, ""
        current.save(update_fields=["status", "sent_at", "digest", "error"])
        audit_record(action="remediation.digest", obj=digest, organization_id=organization_id,
                     changes={"items": len(fresh), "recipients": len(emails), "date": today.isoformat(),
                              "attempt": current.attempts})
        return digest


def remediation_daily(*, today: dt.date | None = None, now: dt.datetime | None = None) -> dict:
    """The daily beat job: expire waivers (reopening their plans), flag overdue plans, send each organisation
    a digest of overdue items, plans due within 30/60/90 days and waivers expiring. One digest per
    organisation and day, however many times or in how many processes it runs. A failed send does not stop
    the other organisations; it is raised at the end so the task retries (and the retry sends only it)."""
    now = now or timezone.now()
    today = today or remediation_today(now)
    expired = waivers_expire(today=today, now=now)
    newly_overdue, cleared = plans_mark_overdue(today=today, now=now)
    digests = []
    done = set(DigestDelivery.objects.filter(day=today, status=DigestDelivery.Status.SENT)
               .values_list("organization_id", flat=True))
    failures: list[BaseException] = []
    for org_id in _digest_organization_ids(today=today, expired_ids=expired):
        if org_id in done:
            continue
        entries = _digest_entries(organization_id=org_id, today=today, expired_ids=expired)
        try:
            digest = digest_send_for_org(organization_id=org_id, today=today, entries=entries, now=now)
        except DIGEST_SEND_ERRORS as exc:
            logger.warning("digest of organisation %s for %s not sent (%s: %s); the next run retries it",
                           org_id, today, exc.__class__.__name__, exc)
            failures.append(exc)
            continue
        if digest:
            digests.append(digest.pk)
    # The per-item records only serve to not send an item twice; the Digest rows keep what was sent.
    DigestItem.objects.filter(digest_date__lt=add_days(today, -conf.digest_item_retention_days())).delete()
    summary = {"today": today.isoformat(), "waivers_expired": len(expired), "newly_overdue": newly_overdue,
               "overdue_cleared": cleared, "digests": len(digests), "digests_failed": len(failures)}
    logger.info("remediation daily run: %s", summary)
    if failures:
        raise failures[0]
    return summary


def digests_retry_failed(*, today: dt.date | None = None, now: dt.datetime | None = None) -> dict:
    """Hourly: send today's digests whose send failed after the daily job's retries ran out (a mail server down
    for longer than the task's backoff), or whose run died holding the claim past its lease. Only those: an
    organisation the daily job has not reached yet is left to it, and a sent one is never sent again."""
    now = now or timezone.now()
    today = today or remediation_today(now)
    stale = now - dt.timedelta(seconds=conf.digest_claim_lease_seconds())
    org_ids = list(DigestDelivery.objects.filter(day=today)
                   .filter(Q(status=DigestDelivery.Status.FAILED)
                           | Q(status=DigestDelivery.Status.SENDING, claimed_at__lt=stale))
                   .order_by("organization_id").values_list("organization_id", flat=True))
    sent = failed = 0
    for org_id in org_ids:
        entries = _digest_entries(organization_id=org_id, today=today)
        try:
            digest = digest_send_for_org(organization_id=org_id, today=today, entries=entries, now=now)
        except DIGEST_SEND_ERRORS as exc:
            logger.warning("digest of organisation %s for %s still not sent (%s: %s)", org_id, today,
                           exc.__class__.__name__, exc)
            failed += 1
            continue
        sent += 1 if digest else 0
    return {"today": today.isoformat(), "pending": len(org_ids), "sent": sent, "failed": failed}


@transaction.atomic
def notification_mark_read(*, notification: Notification | int, user, now: dt.datetime | None = None) -> Notification:
    pk = notification if isinstance(notification, int) else notification.pk
    n = Notification.objects.filter(pk=pk, user=user).first()
    if n is None:
        raise ApplicationError("Not found.", code="not_found")
    if n.read_at is None:
        n.read_at = now or timezone.now()
        n.save(update_fields=["read_at"])
    return n



# --- projection reports -------------------------------------------------------------------------------------

PROJECTION_MAX_YEARS = 10
PROJECTION_MAX_DAYS = 3653  # ten years
PROJECTION_REPORTS_KEPT = 20  # per organisation; older ones are deleted when a new one is requested


@transaction.atomic
def projection_request(*, organization: Organization, user, on: dt.date, site=None,
                       today: dt.date | None = None) -> ProjectionReport:
    """Ask which units will be non-compliant on `on` (the organisation's, or one site's); computed in the
    background (`projection_run`). Only writers of the organisation may ask (it stores a report)."""
    today = today or timezone.localdate()
    role = membership_role(user, organization.pk)
    if role not in WRITE_ROLES:
        raise ApplicationError("Only officers and administrators may compute a projection.", code="forbidden")
    if site is not None and site.organization_id != organization.pk:
        raise ApplicationError("Not a site of this organisation.", code="invalid",
                               fields={"site": ["Not a site of this organisation."]})
    if on < today:
        raise ApplicationError("Pick today or a later day; the past is answered by the as_of history.",
                               code="invalid", fields={"on": ["Pick today or a later day."]})
    if on > today + dt.timedelta(days=PROJECTION_MAX_DAYS):
        raise ApplicationError(f"Pick a day within {PROJECTION_MAX_YEARS} years.", code="invalid",
                               fields={"on": [f"Pick a day within {PROJECTION_MAX_YEARS} years."]})
    report = ProjectionReport.objects.create(organization=organization, site=site, requested_by=user, on=on,
                                             computed_on=today)
    audit_record(action="remediation.projection_request", actor=user, obj=report, organization_id=organization.pk,
                 changes={"on": on.isoformat(), "site": site.pk if site else None})
    enqueue_on_commit("apps.remediation.tasks.projection_run_task", report.pk)
    return report


def projection_run(*, report: ProjectionReport, findings_provider: FindingsProvider | None = None,
                   chunk_size: int = 2000) -> ProjectionReport:
    """Compute the report: chunk by chunk of units, its lines written as they come and its progress saved.
    Idempotent: a report computed again (a worker that died half-way) starts from nothing; a done one is left."""
    if report.status == ProjectionReport.Status.DONE:
        return report
    site_ids = [report.site_id] if report.site_id else None
    _, scope = remediation_projection_scope(organization_ids=[report.organization_id], site_ids=site_ids)
    with transaction.atomic():
        report.lines.all().delete()
        report.status, report.units_done, report.error = ProjectionReport.Status.RUNNING, 0, ""
        report.units_total = scope.count()
        report.save(update_fields=["status", "units_done", "units_total", "error"])
    by_rule: dict[str, int] = defaultdict(int)
    total = newly = 0
    try:
        for done, items in remediation_projection_chunks(
                on=report.on, today=report.computed_on, organization_ids=[report.organization_id],
                site_ids=site_ids, findings_provider=findings_provider, chunk_size=chunk_size):
            ProjectionLine.objects.bulk_create([ProjectionLine(
                report=report, equipment_id=i.equipment_id, site_id=i.site_id, category=i.category,
                rule_code=i.rule_code, action=i.action, deadline=i.deadline, already_due=i.already_due_today,
                explanation=i.explanation, also=list(i.also)) for i in items], batch_size=1000)
            chunk_summary = remediation_projection_summary(items)
            total += chunk_summary["total"]
            newly += chunk_summary["newly_due"]
            for code, n in chunk_summary["by_rule"].items():
                by_rule[code] += n
            ProjectionReport.objects.filter(pk=report.pk).update(units_done=done)
    except Exception as exc:
        logger.exception("projection report %s failed", report.pk)
        ProjectionReport.objects.filter(pk=report.pk).update(status=ProjectionReport.Status.FAILED,
                                                             error=f"{exc.__class__.__name__}: {exc}"[:2000],
                                                             finished_at=timezone.now())
        raise
    report.summary = {"total": total, "newly_due": newly, "already_due": total - newly,
                      "by_rule": dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])))}
    report.units_done = report.units_total
    report.status = ProjectionReport.Status.DONE
    report.finished_at = timezone.now()
    report.save(update_fields=["summary", "units_done", "status", "finished_at"])
    projection_reports_prune(organization_id=report.organization_id)
    return report


def projection_reports_prune(*, organization_id: int) -> int:
    """Keep the PROJECTION_REPORTS_KEPT newest reports of an organisation (in the background, after a run:
    a big report's lines take a while to delete). Returns the reports deleted."""
    old = list(ProjectionReport.objects.filter(organization_id=organization_id).order_by("-created_at", "-pk")
               .values_list("pk", flat=True)[PROJECTION_REPORTS_KEPT:])
    for pk in old:
        ProjectionLine.objects.filter(report_id=pk).delete()
        ProjectionReport.objects.filter(pk=pk).delete()
    return len(old)
