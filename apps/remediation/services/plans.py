"""A plan's own life: status transitions, owner, cost, hand-set deadlines, steps and evidence."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from apps.accounts.choices import WRITE_ROLES
from apps.accounts.policies import Action as Do
from apps.accounts.policies import require
from apps.accounts.selectors import membership_role
from apps.audit.services import audit_record, changes_between, model_snapshot
from apps.audit.writes import model_save_audited, write_transaction
from apps.common.exceptions import ApplicationError
from apps.inventory.choices import RETIRED_STATUSES, EquipmentStatus
from apps.inventory.models import Equipment

from .. import conf
from ..choices import NEXT_STATUS, Action, Outcome, PlanStatus, StepStatus
from ..models import Evidence, PlanStep, RemediationPlan, RemediationPlanQuerySet
from ..uploads import read_limited, sniff
from .common import _announce_plan, _locked, _save_audited, remediation_today

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


@write_transaction()  # audit chain lock last (apps.audit.writes)
def plan_transition(*, plan: RemediationPlan | int, to_status: str, user, outcome: str = "", note: str = "",
                    now: dt.datetime | None = None, today: dt.date | None = None) -> RemediationPlan:
    """Move a plan one step forward: open -> planned -> in_progress -> done (done needs an outcome that
    satisfies the action: a remove/replace plan cannot be closed as merely mitigated; ask for a waiver)."""
    now = now or timezone.now()
    today = today or remediation_today(now)
    plan = _locked(RemediationPlan, plan)
    require(user, Do.WRITE, organization_id=plan.organization_id)
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
        plan.outcome, plan.closed_at = outcome, now
        plan.closing_note = note
    plan.status = target
    plan.is_overdue = RemediationPlanQuerySet.overdue_on(target, plan.deadline, today)  # never for a done plan
    model_save_audited(plan, actor=user, organization_id=plan.organization_id)
    if target == PlanStatus.DONE:
        _announce_plan("plan.closed", plan, previous_status=str(current))
    if target == PlanStatus.DONE and outcome in EQUIPMENT_STATUS_FOR_OUTCOME:
        from apps.inventory.services import equipment_update

        eq = Equipment.objects.select_for_update().get(pk=plan.equipment_id)
        if eq.status not in RETIRED_STATUSES:
            equipment_update(equipment=eq, actor=user, status=EQUIPMENT_STATUS_FOR_OUTCOME[outcome])
    return plan


@transaction.atomic
def plan_assign(*, plan: RemediationPlan | int, owner, user) -> RemediationPlan:
    plan = _locked(RemediationPlan, plan)
    require(user, Do.WRITE, organization_id=plan.organization_id)
    if owner is not None and membership_role(owner, plan.organization_id) not in WRITE_ROLES:
        raise ApplicationError("The owner must be an officer or admin of the plan's organisation.",
                               code="invalid_owner", fields={"owner": ["Not an officer or admin here."]})
    plan.owner = owner
    return model_save_audited(plan, actor=user, organization_id=plan.organization_id)


@transaction.atomic
def plan_set_cost(*, plan: RemediationPlan | int, estimated_cost: Decimal | None, user,
                  currency: str = "USD") -> RemediationPlan:
    plan = _locked(RemediationPlan, plan)
    require(user, Do.WRITE, organization_id=plan.organization_id)
    if estimated_cost is not None and Decimal(estimated_cost) < 0:
        raise ApplicationError("The cost cannot be negative.", code="validation_error",
                               fields={"estimated_cost": ["Must be 0 or more."]})
    plan.estimated_cost = estimated_cost
    plan.currency = (currency or "USD").upper()[:3]
    return _save_audited(plan, actor=user, organization_id=plan.organization_id)


@transaction.atomic
def plan_change_deadline(*, plan: RemediationPlan | int, deadline: dt.date, reason: str, user,
                         today: dt.date | None = None) -> RemediationPlan:
    """Set a deadline by hand. Needs a reason; recorded (audit event with before/after and the reason). Later
    evaluations keep a hand-set deadline (the rule's own date stays visible as `computed_deadline`)."""
    today = today or remediation_today()
    plan = _locked(RemediationPlan, plan)
    require(user, Do.WRITE, organization_id=plan.organization_id)
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
    plan.is_overdue = RemediationPlanQuerySet.overdue_on(plan.status, deadline, today)
    plan._history_user = user
    plan.save()
    audit_record(action="remediationplan.deadline_change", actor=user, obj=plan, organization_id=plan.organization_id,
                 changes=changes_between(before, model_snapshot(plan, list(before))) | {"reason": reason.strip()})
    return plan


# --- steps and evidence --------------------------------------------------------------------------------------

@transaction.atomic
def plan_step_add(*, plan: RemediationPlan | int, title: str, user, description: str = "",
                  due_on: dt.date | None = None) -> PlanStep:
    plan = _locked(RemediationPlan, plan)
    require(user, Do.WRITE, organization_id=plan.organization_id)
    if not plan.is_live:
        raise ApplicationError("The plan is closed.", code="invalid_transition")
    position = (plan.steps.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    return _save_audited(PlanStep(plan=plan, title=title, description=description, due_on=due_on,
                                  position=position, created_by=user),
                         actor=user, organization_id=plan.organization_id)


@transaction.atomic
def plan_step_complete(*, step: PlanStep | int, user, now: dt.datetime | None = None) -> PlanStep:
    step = PlanStep.objects.select_for_update().select_related("plan").get(pk=step if isinstance(step, int)
                                                                           else step.pk)
    require(user, Do.WRITE, organization_id=step.plan.organization_id)
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
    require(user, Do.WRITE, organization_id=plan_obj.organization_id)
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
