"""What the remediation services share: today's date in the registry's zone, the membership check (another
organisation's objects answer "not found"), locked rows, model validation turned into ApplicationError, and
in-app notifications."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils import timezone

from apps.accounts.models import Membership
from apps.audit.writes import model_save_audited
from apps.common import events
from apps.common.exceptions import ApplicationError

from .. import conf
from ..models import Notification
from ..policy import local_today

M = TypeVar("M", bound=Model)


def remediation_today(now: dt.datetime | None = None) -> dt.date:
    """Today's calendar date in the registry's zone (REMEDIATION_TIME_ZONE, else TIME_ZONE)."""
    return local_today(now or timezone.now(), conf.time_zone())


def _validation_to_app(exc: ValidationError) -> ApplicationError:
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    return ApplicationError("Invalid input: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()),
                            code="validation_error", fields=fields)


def _save_audited(obj: M, *, actor, organization_id: int | None) -> M:
    """`model_save_audited`, with the model's validation errors answered as an ApplicationError (a 400 naming
    the fields), as every service that saves user input does."""
    try:
        return model_save_audited(obj, actor=actor, organization_id=organization_id)
    except ValidationError as exc:
        raise _validation_to_app(exc) from exc


def _locked(model: type[M], obj: M | int) -> M:
    """The row (a plan or a waiver, given or by id) locked for the rest of the transaction; a missing one is
    "not found", the same answer as another organisation's."""
    pk = obj if isinstance(obj, int) else obj.pk
    try:
        return model.objects.select_for_update().get(pk=pk)
    except model.DoesNotExist as exc:
        raise ApplicationError("Not found.", code="not_found") from exc


def _notify(*, organization_id: int, users, kind: str, title: str, body: str = "", plan=None, waiver=None,
            digest=None, fact_change=None, now: dt.datetime | None = None) -> list[Notification]:
    now = now or timezone.now()
    return Notification.objects.bulk_create([
        Notification(organization_id=organization_id, user=u, kind=kind, title=title[:200], body=body, plan=plan,
                     waiver=waiver, digest=digest, fact_change=fact_change, created_at=now) for u in users])


def _plan_activity(event_type: str, plan, *, previous_status: str = "") -> events.RegistryActivity:
    """A plan's event for the organisation's webhooks (apps.integrations): ids and filter attributes."""
    return events.RegistryActivity(
        type=event_type, organization_id=plan.organization_id, object_kind="plan", object_id=plan.pk,
        site_id=plan.site_id, category=plan.category or "", status=str(plan.status),
        previous_status=previous_status)


def _announce_plan(event_type: str, plan, *, previous_status: str = "") -> None:
    events.publish(_plan_activity(event_type, plan, previous_status=previous_status))


def _announce_plans(pairs: Iterable[tuple[str, Any]]) -> None:
    """Many plans' events (one evaluation, one daily run) as one batch: the webhooks read endpoints once."""
    events.publish_activities([_plan_activity(t, p) for t, p in pairs])


def _announce_waiver(event_type: str, waiver) -> None:
    events.publish(events.RegistryActivity(
        type=event_type, organization_id=waiver.organization_id, object_kind="waiver", object_id=waiver.pk,
        status=str(waiver.status)))


def _org_members(organization_id: int, roles: Iterable[str]) -> list:
    return [m.user for m in Membership.objects.filter(organization_id=organization_id, role__in=list(roles),
                                                      user__is_active=True).select_related("user")]
