"""The summary report (a selector of remediation, read by the API and the web): equipment counts by risk status, by
site and by category, remediation counts and overdue plans, and the list versions in force — now, or as of a past
moment (from history)."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

from django.db.models import Case, Count, F, Sum, Value, When
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


def _equipment_rows_as_of(site_ids: list[int], as_of: dt.datetime) -> Iterable[tuple[int, str, str, int, int]]:
    """The same from the historical rows in force at `as_of`, each unit's status under the findings open
    then. Only the units that may carry a finding (equipment_flag_candidates: a superset, in SQL) have their
    findings looked up, AS_OF_CHUNK at a time (three queries per chunk); every other unit is clear and counted
    by one GROUP BY in the database. No step holds more than a chunk of units in memory."""
    history = (Equipment.history.filter(history_date__lte=as_of).latest_of_each().exclude(history_type="-")
               .filter(site_id__in=site_ids).exclude(status__in=sorted(RETIRED_STATUSES)).order_by())
    candidates = equipment_flag_candidates(as_of)
    units = Sum(Case(When(quantity__gt=0, then=F("quantity")), default=Value(1)))  # `quantity or 1`
    clear = (history.exclude(candidates).values("site_id", "category")
             .annotate(n=Count("history_id"), units=units).values_list("site_id", "category", "n", "units"))
    rows = [(site_id, category, RiskStatus.CLEAR, n, u) for site_id, category, n, u in clear]
    counts: Counter = Counter()
    quantities: Counter = Counter()
    flagged = history.filter(candidates).values_list("id", "site_id", "category", "quantity").order_by("id")
    for chunk in _chunked(flagged.iterator(chunk_size=AS_OF_CHUNK), AS_OF_CHUNK):
        findings = equipment_findings(equipment_ids=[r[0] for r in chunk], as_of=as_of)
        for eq_id, site_id, category, quantity in chunk:
            status = risk_worst(*(f.status for f in findings.get(eq_id, [])))
            counts[(site_id, category, status)] += 1
            quantities[(site_id, category, status)] += quantity or 1
    return rows + [(s, c, st, n, quantities[(s, c, st)]) for (s, c, st), n in counts.items()]


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
    from history, three more per 5,000 units that may carry a finding (the others are counted in SQL)."""
    day = timezone.localdate(as_of) if as_of else timezone.localdate()
    sites_qs = Site.objects.filter(organization_id__in=organization_ids)
    if site_ids is not None:
        sites_qs = sites_qs.filter(pk__in=site_ids)
    sites = {s.pk: s for s in sites_qs.only("id", "code", "name", "organization_id")}
    rows = (_equipment_rows_as_of(list(sites), as_of) if as_of else _equipment_rows_now(list(sites)))
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
