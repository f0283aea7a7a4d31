"""The summary report (a selector of remediation, read by the API and the web): equipment counts by risk status, by
site and by category, remediation counts and overdue plans, and the list versions in force — now, or as of a past
moment (from history)."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

from django.db import connection
from django.db.models import Case, Count, F, Min, Q, Sum, Value, When
from django.utils import timezone

from apps.common.choices import RiskStatus, risk_worst
from apps.inventory.choices import RETIRED_STATUSES
from apps.inventory.models import Equipment, Site
from apps.inventory.selectors import equipment_counts
from apps.lists.selectors import list_versions_active
from apps.screening.selectors import equipment_findings, equipment_flag_candidates

from .choices import CLOCK_STATUSES, PlanStatus
from .models import RemediationPlan, RemediationPlanQuerySet

STATUSES = [s.value for s in RiskStatus]
AS_OF_CHUNK = 5000


def _zero() -> dict[str, int]:
    return dict.fromkeys(STATUSES, 0)


def _equipment_rows_now(site_ids: list[int]) -> Iterable[tuple[int, str, str, int, int]]:
    """(site_id, category, risk_status, count, units) of installed equipment, from the per-site tally (one
    query over a few rows per site, not a GROUP BY over the inventory)."""
    qs = (equipment_counts(site_ids=site_ids, installed_only=True)
          .values_list("site_id", "category", "risk_status").annotate(n=Sum("records"), units=Sum("units")))
    return list(qs)


def _history_groups(site_ids: list[int], as_of: dt.datetime, *, own: Q, by_model: Q) -> Iterable[tuple]:
    """(site, category, unit, product model, records, units, smallest unit id) over the units' history rows in
    force at `as_of` (each unit's latest row by then) that were installed then at these sites, grouped by site
    and category, and by `unit` id where `own` holds and `product_model_id` where `by_model` does (else NULL).

    On PostgreSQL one DISTINCT ON pass over the history feeds the GROUP BY as a derived table (simple-history's
    latest_of_each is an anti-join probing the history once per row, and a DISTINCT ON under ``IN`` was planned as
    a million index probes too: seconds at a million units); the index historicalequipment_as_of (inventory
    migration 0011) lets it read the index alone, in order. Elsewhere latest_of_each."""
    history = Equipment.history
    quantity = Case(When(quantity__gt=0, then=F("quantity")), default=Value(1))  # `quantity or 1`
    marks = {"unit": Case(When(own, then=F("id")), default=None),
             "model": Case(When(by_model, then=F("product_model_id")), default=None), "qty": quantity}
    retired = sorted(RETIRED_STATUSES)
    if connection.vendor != "postgresql":
        return list(history.filter(history_date__lte=as_of).latest_of_each().exclude(history_type="-")
                    .filter(site_id__in=site_ids).exclude(status__in=retired).order_by().annotate(**marks)
                    .values("site_id", "category", "unit", "model")
                    .annotate(n=Count("history_id"), units=Sum("qty"), sample=Min("id"))
                    .values_list("site_id", "category", "unit", "model", "n", "units", "sample"))
    latest = (history.filter(history_date__lte=as_of).annotate(**marks)
              .order_by("id", "-history_date", "-history_id").distinct("id")
              .values("id", "site_id", "category", "history_type", "status", "unit", "model", "qty"))
    inner, params = latest.query.sql_with_params()
    sql = ("SELECT site_id, category, unit, model, COUNT(*), SUM(qty), MIN(id) "  # noqa: S608 - compiled by the ORM
           f"FROM ({inner}) latest WHERE history_type <> '-' AND NOT (status = ANY(%s)) "
           "AND site_id IN (SELECT unnest(%s::bigint[])) "  # hashed: `= ANY(array)` compares each row to every site
           "GROUP BY site_id, category, unit, model")
    with connection.cursor() as cur:
        cur.execute(sql, [*params, retired, list(site_ids)])
        return cur.fetchall()


def _equipment_rows_as_of(site_ids: list[int], as_of: dt.datetime,
                          site_orgs: dict[int, int]) -> Iterable[tuple[int, str, str, int, int]]:
    """The same from the historical rows in force at `as_of`, each unit's status under the findings open
    then, in one GROUP BY over the history: units that cannot carry a finding (equipment_flag_candidates) by
    site and category; units that may through their product model by site, category and product model, whose
    findings are looked up once per (organisation, category, product model) on one of them; and the few units
    with findings of their own (components, their BOM) one by one, AS_OF_CHUNK at a time. No step holds more
    than those groups and a chunk of units in memory."""
    by_model, own = equipment_flag_candidates(as_of)
    groups = _history_groups(site_ids, as_of, own=own, by_model=by_model)
    counts: Counter = Counter()
    quantities: Counter = Counter()
    alike: list[tuple[int, str, int, int, int, int]] = []  # (site, category, product model, n, units, sample)
    alone: list[tuple[int, int, str, int]] = []  # (unit, site, category, units)
    for site_id, category, unit, model, n, units, sample in groups:
        if unit is not None:
            alone.append((unit, site_id, category, units))
        elif model is not None:
            alike.append((site_id, category, model, n, units, sample))
        else:
            counts[(site_id, category, RiskStatus.CLEAR)] += n
            quantities[(site_id, category, RiskStatus.CLEAR)] += units
    samples: dict[tuple[int | None, str, int], int] = {}
    for site_id, category, model, _n, _units, sample in alike:
        samples.setdefault((site_orgs.get(site_id), category, model), sample)
    statuses = _statuses(list(samples.values()), as_of)
    for site_id, category, model, n, units, _sample in alike:
        status = statuses[samples[(site_orgs.get(site_id), category, model)]]
        counts[(site_id, category, status)] += n
        quantities[(site_id, category, status)] += units
    for chunk in _chunked(alone, AS_OF_CHUNK):
        statuses = _statuses([row[0] for row in chunk], as_of)
        for unit, site_id, category, units in chunk:
            counts[(site_id, category, statuses[unit])] += 1
            quantities[(site_id, category, statuses[unit])] += units
    return [(s, c, st, n, quantities[(s, c, st)]) for (s, c, st), n in counts.items()]


def _statuses(unit_ids: list[int], as_of: dt.datetime) -> dict[int, str]:
    """Each unit's worst status under its findings open at `as_of` (equipment_findings, AS_OF_CHUNK at a time)."""
    out: dict[int, str] = {}
    for chunk in _chunked(unit_ids, AS_OF_CHUNK):
        findings = equipment_findings(equipment_ids=chunk, as_of=as_of)
        out.update({pk: risk_worst(*(f.status for f in findings.get(pk, []))) for pk in chunk})
    return out


def _chunked(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _plans(organization_ids: list[int], site_ids: list[int] | None, as_of: dt.datetime | None, day: dt.date
           ) -> dict:
    if as_of is None:
        qs = RemediationPlan.objects.filter(organization_id__in=organization_ids)
    else:
        qs = (RemediationPlan.history.filter(history_date__lte=as_of).latest_of_each().exclude(history_type="-")
              .filter(organization_id__in=organization_ids))
    if site_ids is not None:
        qs = qs.filter(site_id__in=site_ids)
    by_status = dict.fromkeys(PlanStatus.values, 0)
    overdue = 0
    for status, deadline in qs.values_list("status", "deadline").order_by().iterator(chunk_size=5000):
        by_status[status] = by_status.get(status, 0) + 1
        if RemediationPlanQuerySet.overdue_on(status, deadline, day):
            overdue += 1
    return {"by_status": by_status, "overdue": overdue,
            "live": sum(by_status[s] for s in CLOCK_STATUSES) + by_status.get(PlanStatus.WAIVED, 0)}


def summary_report(*, organization_ids: list[int], site_ids: list[int] | None = None,
                   as_of: dt.datetime | None = None) -> dict:
    """Counts for the given organisations (and sites), now or at `as_of`. A constant number of queries now;
    from history one GROUP BY, and the findings of one unit per (organisation, category, product model) that
    may carry one, plus those of the units with flagged components of their own (five queries per 5,000)."""
    day = timezone.localdate(as_of) if as_of else timezone.localdate()
    sites_qs = Site.objects.filter(organization_id__in=organization_ids)
    if site_ids is not None:
        sites_qs = sites_qs.filter(pk__in=site_ids)
    sites = {s.pk: s for s in sites_qs.only("id", "code", "name", "organization_id")}
    rows = (_equipment_rows_as_of(list(sites), as_of, {pk: s.organization_id for pk, s in sites.items()}) if as_of
            else _equipment_rows_now(list(sites)))
    # "equipment"/"by_status" count records (a record may be a batch: its quantity); "units"/"units_by_status"
    # count units, the unit of the dashboard and the Sites page.
    total = {"equipment": 0, "units": 0, "by_status": _zero(), "units_by_status": _zero()}
    by_category: dict[str, dict] = defaultdict(lambda: {"equipment": 0, "units": 0, "by_status": _zero(),
                                                        "units_by_status": _zero()})
    by_site: dict[int, dict] = {}
    for site_id, category, status, n, units in rows:
        status = status or RiskStatus.CLEAR
        site = sites[site_id]
        entry = by_site.setdefault(site_id, {"site": site_id, "code": site.code, "name": site.name,
                                             "organization": site.organization_id, "equipment": 0, "units": 0,
                                             "by_status": _zero(), "units_by_status": _zero()})
        for group in (total, by_category[category], entry):
            group["equipment"] += n
            group["units"] += units or 0
            group["by_status"][status] += n
            group["units_by_status"][status] += units or 0
    flagged = total["equipment"] - total["by_status"][RiskStatus.CLEAR]
    versions = [{"source": v.source.code, "version_id": v.pk, "sha256": v.sha256, "activated_at": v.activated_at,
                 "entry_count": v.entry_count}
                for v in list_versions_active(as_of).visible_to(organization_ids).order_by("source__code")]
    return {
        "as_of": as_of.date() if as_of else None,
        "generated_at": timezone.now(),
        "organizations": sorted(organization_ids),
        "equipment": {**total, "flagged": flagged},
        "by_category": [{"category": c, **v} for c, v in sorted(by_category.items())],
        "by_site": sorted(by_site.values(), key=lambda s: (s["code"], s["site"])),
        "remediation": _plans(organization_ids, site_ids, as_of, day),
        "list_versions": versions,
    }
