"""Waivers: request, four-eyes decision, expiry (the plan reopens with a restarted clock), and closing the
waivers of plans that are no longer required."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from apps.accounts.choices import Role
from apps.accounts.policies import Action as Do
from apps.accounts.policies import require
from apps.audit.writes import model_save_audited, write_transaction
from apps.common import events
from apps.common.exceptions import ApplicationError

from .. import conf
from ..choices import CLOCK_STATUSES, NotificationKind, PlanStatus, WaiverStatus
from ..models import RemediationPlan, Waiver
from ..policy import add_days
from .common import _announce_waiver, _locked, _notify, _org_members, remediation_today

# A plan has at most one of these at a time; they end (expire) when the plan closes.
PENDING_OR_ACTIVE = (WaiverStatus.REQUESTED, WaiverStatus.APPROVED)


@transaction.atomic
def waiver_request(*, plan: RemediationPlan | int, user, justification: str, compensating_controls: str,
                   expires_on: dt.date, today: dt.date | None = None, now: dt.datetime | None = None) -> Waiver:
    now = now or timezone.now()
    today = today or remediation_today(now)
    plan = _locked(RemediationPlan, plan)
    require(user, Do.WRITE, organization_id=plan.organization_id)
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
    if Waiver.objects.filter(plan=plan, status__in=PENDING_OR_ACTIVE).exists():
        raise ApplicationError("This plan already has a pending or active waiver.", code="duplicate")
    waiver = model_save_audited(
        Waiver(plan=plan, organization_id=plan.organization_id, justification=justification.strip(),
               compensating_controls=compensating_controls.strip(), expires_on=expires_on, requested_by=user,
               requested_at=now), actor=user, organization_id=plan.organization_id)
    admins = [u for u in _org_members(plan.organization_id, [Role.ADMIN]) if u.pk != user.pk]
    _notify(organization_id=plan.organization_id, users=admins, kind=NotificationKind.WAIVER_REQUESTED,
            title=f"Waiver requested for plan #{plan.pk} until {expires_on}", body=justification, plan=plan,
            waiver=waiver, now=now)
    _announce_waiver("waiver.requested", waiver)
    return waiver


def _check_decider(waiver: Waiver, user) -> None:
    require(user, Do.ADMINISTER, organization_id=waiver.organization_id)
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
    waiver = _locked(Waiver, waiver)
    _check_decider(waiver, user)
    if waiver.expires_on < today:
        raise ApplicationError("The waiver's expiry date has passed; ask for a new request.", code="validation_error",
                               fields={"expires_on": ["The expiry date cannot be before today."]})
    plan = _locked(RemediationPlan, waiver.plan_id)
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
    _announce_waiver("waiver.decided", waiver)
    return waiver


@transaction.atomic
def waiver_reject(*, waiver: Waiver | int, user, note: str, now: dt.datetime | None = None) -> Waiver:
    now = now or timezone.now()
    waiver = _locked(Waiver, waiver)
    _check_decider(waiver, user)
    if not (note or "").strip():
        raise ApplicationError("Say why the waiver is rejected.", code="reason_required",
                               fields={"note": ["Required."]})
    waiver.status, waiver.decided_by, waiver.decided_at, waiver.decision_note = (
        WaiverStatus.REJECTED, user, now, note.strip())
    model_save_audited(waiver, actor=user, organization_id=waiver.organization_id)
    _notify(organization_id=waiver.organization_id, users=[waiver.requested_by], kind=NotificationKind.WAIVER_DECIDED,
            title=f"Waiver for plan #{waiver.plan_id} rejected", body=note, plan=waiver.plan, waiver=waiver, now=now)
    _announce_waiver("waiver.decided", waiver)
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


@transaction.atomic
def waivers_announce_expiring(*, today: dt.date, now: dt.datetime | None = None) -> list[int]:
    """Publish `waiver.expiring` (webhooks) once per approved waiver that expires within
    REMEDIATION_WAIVER_WARNING_DAYS: marked `expiry_announced_at`, so the next daily runs do not repeat it (a
    run that missed days still announces it). One batch of events for the whole run. Returns the waiver ids."""
    now = now or timezone.now()
    due = (Waiver.objects.select_for_update(skip_locked=True)
           .filter(status=WaiverStatus.APPROVED, expiry_announced_at__isnull=True, expires_on__gte=today,
                   expires_on__lte=add_days(today, conf.waiver_warning_days())).order_by("id"))
    rows = list(due.values_list("id", "organization_id", "status"))
    if not rows:
        return []
    Waiver.objects.filter(pk__in=[r[0] for r in rows]).update(expiry_announced_at=now)
    events.publish_activities([
        events.RegistryActivity(type="waiver.expiring", organization_id=org_id, object_kind="waiver", object_id=pk,
                                status=str(status)) for pk, org_id, status in rows])
    return [r[0] for r in rows]


def _close_waivers_of(plan_ids: list[int], *, now: dt.datetime, note: str) -> None:
    waivers = list(Waiver.objects.filter(plan_id__in=plan_ids,
                                         status__in=PENDING_OR_ACTIVE))
    for w in waivers:
        w.status, w.expired_at, w.decision_note = WaiverStatus.EXPIRED, now, (w.decision_note + "\n" + note).strip()
    if waivers:
        bulk_update_with_history(waivers, Waiver, ["status", "expired_at", "decision_note"], default_date=now)
