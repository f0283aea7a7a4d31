"""Declared risk on units (UnitDeclaration): the one writer. A higher app (apps.outreach, for a supplier's "yes"
on a covered-equipment question) opens a declaration on the units it names and closes it when its own record
closes; each call recomputes those units' risk status at once (equipment_risk_refresh_units: the tallies, and
`unit.status_changed` webhooks, follow as for any other change), inside the caller's transaction."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from apps.common.choices import RiskStatus
from apps.common.exceptions import ApplicationError
from apps.inventory.models import Equipment

from ..models import UnitDeclaration
from .equipment import equipment_risk_refresh_units


def unit_declarations_open(*, organization_id: int, equipment_ids: Iterable[int], status: str, reason: str,
                           source_key: str, data_call_id: int | None = None, answer_id: int | None = None,
                           now: dt.datetime | None = None) -> list[UnitDeclaration]:
    """Declare `status` (restricted or prohibited) with `reason` on units of `organization_id`, from `source_key`
    (once per unit and source). Refuses a unit of another organisation (fail closed: nothing is written)."""
    if status not in (RiskStatus.RESTRICTED, RiskStatus.PROHIBITED):
        raise ApplicationError(f"A declaration is restricted or prohibited, not {status!r}.")
    if not source_key or not reason:
        raise ApplicationError("A declaration names its source and its reason.")
    ids = sorted({int(i) for i in equipment_ids})
    if not ids:
        return []
    found = set(Equipment.objects.filter(pk__in=ids, site__organization_id=organization_id)
                .values_list("pk", flat=True))
    if found != set(ids):
        raise ApplicationError("No such unit in this organisation.", code="not_found")
    now = now or timezone.now()
    rows = UnitDeclaration.objects.bulk_create([
        UnitDeclaration(organization_id=organization_id, equipment_id=pk, status=status, reason=reason[:2000],
                        source_key=source_key, data_call_id=data_call_id, answer_id=answer_id, opened_at=now)
        for pk in ids])
    equipment_risk_refresh_units(ids)
    return rows


def unit_declarations_close(*, organization_id: int, source_key: str, now: dt.datetime | None = None) -> list[int]:
    """Close the open declarations of `source_key` in `organization_id` and recompute their units. Returns the
    ids of the units concerned."""
    rows = UnitDeclaration.objects.filter(organization_id=organization_id, source_key=source_key,
                                          closed_at__isnull=True)
    ids = sorted(rows.values_list("equipment_id", flat=True))
    if not ids:
        return []
    rows.update(closed_at=now or timezone.now())
    equipment_risk_refresh_units(ids)
    return ids

