"""Reads that assemble page data for the officers' UI. Every function is scoped by organisation ids and
runs a constant number of queries whatever the size of the inventory."""
from __future__ import annotations

import datetime as dt
import threading
import zoneinfo
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum

from apps.common import events
from apps.common.cache import CACHE_DOWN, cache_generation, cache_generation_bump, cache_get, cache_set
from apps.common.choices import FLAGGED_STATUSES, RISK_STATUSES_WORST_FIRST
from apps.inventory.choices import RETIRED_STATUSES, EquipmentCategory
from apps.inventory.models import Equipment, Site
from apps.inventory.selectors import (
    bom_supplier_ids_of_organization,
    equipment_counts,
    equipment_records_count,
    site_count_subquery,
)
from apps.screening.selectors import (
    equipment_blocks_name_parts,
    equipment_findings,
    equipment_findings_folded,
    unit_declarations_open_for,
    vendor_findings,
    vendor_ownership_view,
    vendor_status_annotate,
)

RISK_STATUSES = RISK_STATUSES_WORST_FIRST
FLAGGED = FLAGGED_STATUSES


def equipment_installed(organization_ids: list[int]) -> QuerySet[Equipment]:
    # order_by(): the model's default ordering would join sites and organisations into every aggregate.
    return Equipment.objects.filter(site__organization_id__in=organization_ids).exclude(
        status__in=list(RETIRED_STATUSES)
    ).order_by()


def equipment_risk_breakdown(*, organization_ids: list[int]) -> tuple[dict[str, int], list, list, dict[str, int]]:
    """Installed units by risk status, flagged units by site and by category (biggest first, 15 each), and the
    equipment records behind the units by risk status (a record may stand for a batch: `quantity`), from the
    per-site tally (a few hundred rows per organisation, whatever the size of its inventory). One query."""
    counts = dict.fromkeys(RISK_STATUSES, 0)
    records = dict.fromkeys(RISK_STATUSES, 0)
    by_site: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_cat: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (equipment_counts(organization_ids=organization_ids, installed_only=True)
            .values_list("site__name", "category", "risk_status").annotate(n=Sum("units"), r=Sum("records")))
    labels = dict(EquipmentCategory.choices)
    for site_name, category, status, n, r in rows:
        counts[status] = counts.get(status, 0) + (n or 0)
        records[status] = records.get(status, 0) + (r or 0)
        if status in FLAGGED:
            by_site[site_name][status] += n or 0
            by_cat[str(labels.get(category, category))][status] += n or 0

    def top(groups: dict[str, dict[str, int]]) -> list[tuple[str, dict[str, int]]]:
        return sorted(((k, dict(v)) for k, v in groups.items()), key=lambda kv: (-sum(kv[1].values()), kv[0]))[:15]

    return counts, top(by_site), top(by_cat), records


def site_list_with_counts(*, organization_ids: list[int]) -> QuerySet[Site]:
    """Sites with their installed units (`n_equipment`; the dashboard's unit), the equipment records behind
    them (`n_records`: a record may be a batch with a quantity), and flagged units per status (`n_<status>`,
    with `n_<status>_records`), from the per-site tally. One query (a correlated sum per column over the
    tally's few rows per site)."""
    annotations: dict[str, Any] = {
        "n_equipment": site_count_subquery(field="units", installed_only=True),
        "n_records": site_count_subquery(installed_only=True),
    }
    for status in FLAGGED:
        annotations[f"n_{status}"] = site_count_subquery(field="units", installed_only=True, risk_statuses=[status])
        annotations[f"n_{status}_records"] = site_count_subquery(installed_only=True, risk_statuses=[status])
    return Site.objects.filter(organization_id__in=organization_ids).annotate(**annotations).order_by("name")


ORG_VENDORS_CACHE_SECONDS = 600
_org_vendors_lock = threading.Lock()


def organization_vendor_ids(organization_id: int | None) -> set[int]:
    """Ids of the vendors that are brand, maker, software supplier or component vendor of the organisation's
    equipment, a part of a bill of materials in force included (the equipment list's vendor filter, the vendor
    name suggestions of the forms).

    Computing it reads the organisation's whole inventory (an index-only DISTINCT over (site, product_model):
    ~45 ms on PostgreSQL, ~1.4 s on SQLite at 250,000 units), so it is cached for ten minutes under a key that
    includes the organisation's equipment count from the tally (adding or removing a unit anywhere, in any
    process, changes it) and a generation that the services bump when a unit's product model or components
    change (organization_vendor_ids_changed). Writes outside the services show after the ten minutes. One
    computation per process at a time (no stampede when many officers open the list together).
    """
    if organization_id is None:
        return set()
    key = organization_vendor_ids_key(organization_id)
    if key is CACHE_DOWN:  # cache unreachable (apps.common.cache): compute, serve, do not store
        return _organization_vendor_ids_compute(organization_id)
    ids = cache_get(key)
    if ids is not None:
        return ids
    with _org_vendors_lock:
        ids = cache_get(key)
        if ids is None:
            ids = _organization_vendor_ids_compute(organization_id)
            cache_set(key, ids, ORG_VENDORS_CACHE_SECONDS)
    return ids


def organization_vendor_ids_key(organization_id: int) -> Any:
    """The cache key of the organisation's vendor set as it stands (its equipment record count and the
    generation EquipmentChanged moves on); CACHE_DOWN when the cache is unreachable. One query (the tally)."""
    records = equipment_records_count(organization_ids=[organization_id])
    generation = cache_generation(f"web:org-vendor-gen:{organization_id}")
    if generation is CACHE_DOWN:
        return CACHE_DOWN
    return f"web:org-vendor-ids:{organization_id}:{records}:{generation}"


def _organization_vendor_ids_compute(organization_id: int) -> set[int]:
    from apps.inventory.models import Component, ProductModel

    used = list(Equipment.objects.filter(site__organization_id=organization_id).order_by()
                .values_list("product_model_id", flat=True).distinct())
    ids: set[int] = set()
    for row in ProductModel.objects.filter(pk__in=used).values_list("brand_id", "manufacturer_id",
                                                                      "software_supplier_id"):
        ids.update(v for v in row if v)
    ids.update(Component.objects.filter(equipment__site__organization_id=organization_id).order_by()
               .values_list("vendor_id", flat=True).distinct())
    ids |= bom_supplier_ids_of_organization(organization_id, used)
    return ids


def organization_vendor_ids_changed(event: events.EquipmentChanged) -> None:
    """Units' product models or components were written (the EquipmentChanged event): their organisations'
    vendor sets are computed again at the first read after the commit. One query."""
    organization_ids = list(Equipment.objects.filter(pk__in=list(event.equipment_ids)).order_by()
                            .values_list("site__organization_id", flat=True).distinct())

    def bump() -> None:
        for organization_id in organization_ids:
            cache_generation_bump(f"web:org-vendor-gen:{organization_id}")

    transaction.on_commit(bump)


def organization_vendor_names(organization_id: int | None) -> QuerySet:
    """Names of the vendors in the organisation's inventory, sorted: suggestions for the name fields of forms."""
    from apps.vendors.models import Vendor

    return (Vendor.objects.filter(pk__in=organization_vendor_ids(organization_id)).order_by("name")
            .values_list("name", flat=True))


def equipment_due_on() -> Subquery:
    """The unit's earliest deadline among its running remediation plans (open, planned, in progress; at most one
    by the one-live-plan constraint), empty when none: one probe of the partial index
    `remplan_running_equip_deadline` per unit."""
    from apps.remediation.models import RemediationPlan, RemediationPlanQuerySet

    return Subquery(RemediationPlan.objects.filter(RemediationPlanQuerySet.running_q(), equipment_id=OuterRef("pk"))
                    .order_by("deadline").values("deadline")[:1])


def equipment_list_queryset(*, organization_ids: list[int]) -> QuerySet[Equipment]:
    """Equipment of the organisations with everything a list row shows, joined (no N+1), and `due_on` (the
    earliest running plan's deadline: the list's "Due" column, its sort and its exports)."""
    return Equipment.objects.filter(site__organization_id__in=organization_ids).select_related(
        "site", "product_model", "product_model__brand", "product_model__manufacturer",
        "product_model__software_supplier",
    ).annotate(due_on=equipment_due_on())


def today_default(today: dt.date | None) -> dt.date:
    from django.utils import timezone

    return today or timezone.localdate()


def dashboard_data(*, organization_id: int, user=None, today: dt.date | None = None,
                   now: dt.datetime | None = None) -> dict[str, Any]:
    """Everything the dashboard shows for one organisation, in `user`'s view of it (the alerts depend on what
    the user may do there); a fixed number of queries whatever the size of the inventory, the lists or the
    remediation programme. Counts are units (a record with quantity 3 is 3 units); the records behind them go
    in `records` for the tooltips."""
    from django.utils import timezone

    from apps.lists.selectors import list_coverage_states

    from . import svg
    from .caches import risk_breakdown

    now = now or timezone.now()
    today = today_default(today)
    breakdown = risk_breakdown(organization_id)  # cached per organisation until its sites or tallies change
    counts, records = breakdown["counts"], breakdown["records"]
    data: dict[str, Any] = {
        "counts": [(s, svg.STATUS_LABELS[s], counts[s], records[s]) for s in RISK_STATUSES],
        "by_site": breakdown["by_site"],
        "by_category": breakdown["by_category"],
        "chart_site": breakdown["chart_site"],
        "chart_category": breakdown["chart_category"],
        "today": today,
    }
    data.update(remediation_summary(organization_id=organization_id, today=today))
    coverage = list_coverage_states(organization_id=organization_id, now=now)
    for row in coverage:
        row["badge"] = COVERAGE_BADGES[row["state"]]
    data["coverage"] = coverage
    n_states = {state: sum(1 for r in coverage if r["state"] == state) for state in COVERAGE_BADGES}
    data["coverage_summary"] = f"{len(coverage)} list{'s' if len(coverage) != 1 else ''}" + "".join(
        f", {n} {state}" for state, n in n_states.items() if n)
    data["alerts"] = dashboard_alerts(organization_id=organization_id, user=user, coverage=coverage,
                                      overdue_count=data["overdue_count"], now=now)
    return data


COVERAGE_BADGES = {"quarantined": "potential_match", "failed": "prohibited", "missing": "restricted",
                   "stale": "restricted", "current": "clear", "loaded": "neutral"}  # badge colours in app.css
ALERT_ITEMS = 5  # items listed per alert card (the card counts all of them)
DATA_CALLS_COUNTED = 500  # the data calls card reads at most this many due calls (one query)
IMPORT_ATTENTION_DAYS = 7  # failed or rejected uploads older than this no longer raise an alert


def dashboard_alerts(*, organization_id: int, user, coverage: list[dict[str, Any]], overdue_count: int,
                     now: dt.datetime) -> list[dict[str, Any]]:
    """The dashboard's alert cards, each with a count, a few items, who acts and a link to where they act:
    quarantined list versions (from the coverage rows, no query), waivers awaiting a decision, imports needing
    attention (for members who may import), data calls due (apps.outreach) and overdue plans (the count the
    dashboard already has). Empty when nothing needs the user. At most five queries."""
    from django.db.models import Count
    from django.urls import reverse
    from django.utils import timezone

    from apps.accounts.policies import Action, allowed
    from apps.inventory.models import ImportJob
    from apps.outreach.selectors import data_calls_due
    from apps.remediation.choices import WaiverStatus
    from apps.remediation.models import Waiver
    from apps.remediation.selectors import waivers_awaiting_decision

    alerts: list[dict[str, Any]] = []
    waiting = [r for r in coverage if r["state"] == "quarantined"]
    if waiting:
        alerts.append({
            "key": "quarantined", "count": sum(r["quarantined"] for r in waiting),
            "title": "List versions in quarantine",
            "text": "A new version changed too much to be activated on its own; screening keeps using the active "
                    "version until it is decided. Public lists are decided by registry curators (with a verified "
                    "second factor), your in-house lists by your organisation's administrators.",
            "items": [{"label": r["name"], "url": reverse("web:list-version", args=[r["quarantined_id"]])
                       if r["quarantined_id"] else reverse("web:list-source", args=[r["source"].pk])}
                      for r in waiting[:ALERT_ITEMS]],
            "link": reverse("web:list-sources"), "link_text": "All lists",
        })

    requested = Waiver.objects.filter(organization_id=organization_id, status=WaiverStatus.REQUESTED).aggregate(
        total=Count("id"), mine=Count("id", filter=Q(requested_by_id=getattr(user, "pk", None))))
    if requested["total"]:
        may_decide = user is not None and allowed(user, Action.ADMINISTER, organization_id=organization_id)
        decidable = list(waivers_awaiting_decision(user).filter(organization_id=organization_id).order_by(
            "requested_at", "id")[:ALERT_ITEMS]) if may_decide else []
        yours = waivers_awaiting_decision(user).filter(organization_id=organization_id).count() if decidable else 0
        if yours:
            text = (f"{yours} waiting for your decision. Any administrator of the organisation other than the "
                    "requester may approve or reject (four eyes).")
        else:
            text = ("Waiting for an administrator of the organisation other than the requester (four eyes)"
                    + ("; your own requests wait for another administrator." if requested["mine"] else "."))
        alerts.append({
            "key": "waivers", "count": requested["total"], "title": "Waivers awaiting a decision", "text": text,
            "items": [{"label": f"Plan #{w.plan_id}: until {w.expires_on:%Y-%m-%d}, requested by {w.requested_by}",
                       "url": reverse("web:plan-detail", args=[w.plan_id]) + "#waivers"} for w in decidable],
            "link": reverse("web:remediation-board"), "link_text": "Remediation board",
        })

    if user is not None and allowed(user, Action.WRITE, organization_id=organization_id):
        since = now - dt.timedelta(days=IMPORT_ATTENTION_DAYS)
        attention = ImportJob.objects.filter(organization_id=organization_id).filter(
            Q(status=ImportJob.Status.VALID, path__gt="")
            | Q(status__in=[ImportJob.Status.FAILED, ImportJob.Status.INVALID], created_at__gte=since))
        jobs = list(attention.order_by("-created_at")[:ALERT_ITEMS])
        if jobs:
            count = attention.count()
            labels = {ImportJob.Status.VALID: "checked, not imported yet", ImportJob.Status.INVALID: "has errors",
                      ImportJob.Status.FAILED: "failed"}
            alerts.append({
                "key": "imports", "count": count, "title": "Imports needing attention",
                "text": "Checked uploads wait for someone to press Import (nothing is saved before); uploads with "
                        "errors or that failed are fixed and uploaded again. Officers and administrators import.",
                "items": [{"label": f"{j.filename} ({labels[j.status]}, {j.created_at:%Y-%m-%d})",
                           "url": reverse("web:import-preview", args=[j.token])} for j in jobs],
                "link": reverse("web:import"), "link_text": "Import page",
            })

    due_calls = data_calls_due([organization_id], day=timezone.localdate(now), limit=DATA_CALLS_COUNTED)
    if due_calls:
        labels = {"overdue": "overdue since", "pending": "due", "answered": "expires", "expired": "expired"}
        alerts.append({
            "key": "data_calls", "count": len(due_calls),
            "title": "Data calls due",
            "text": "Supplier and site manager questionnaires overdue or due soon, and signed representations that "
                    "expire soon (each is re-requested automatically before then). Officers and administrators "
                    "send and follow them up.",
            "items": [{"label": f"{c.title} ({(c.vendor.name if c.vendor_id else c.site.name)}): "
                                f"{labels.get(c.status_on, c.status_on)} "
                                f"{(c.valid_until if c.state == 'answered' else c.due_date):%Y-%m-%d}",
                       "url": reverse("web:data-call-detail", args=[c.pk])} for c in due_calls[:ALERT_ITEMS]],
            "link": reverse("web:data-call-list"), "link_text": "Data calls",
        })

    if overdue_count:
        alerts.append({
            "key": "overdue", "count": overdue_count, "title": "Overdue remediation plans",
            "text": "Plans past their deadline. The plan's owner records progress, closes it with evidence, or asks "
                    "for a waiver.",
            "items": [], "link": reverse("web:remediation-board") + "?overdue=true", "link_text": "Overdue plans",
            "link2": reverse("web:equipment-list") + "?overdue=true", "link2_text": "Overdue equipment",
        })
    return alerts


def remediation_summary(*, organization_id: int, today: dt.date) -> dict[str, Any]:
    """Overdue plans and plans due in the next 90 days (at most 10 each listed, counted in full), and the
    burn-down chart. A fixed number of queries."""
    from django.urls import reverse

    from apps.remediation.models import RemediationPlan, RemediationPlanQuerySet

    live = RemediationPlan.objects.filter(organization_id=organization_id).running()
    base = live.select_related("equipment", "site", "equipment__product_model__brand").order_by("deadline", "id")

    def items(qs) -> list[dict[str, Any]]:
        return [{"deadline": p.deadline, "url": reverse("web:plan-detail", args=[p.pk]),
                 "label": f"{p.get_action_display().split(' (')[0]} {p.equipment} at {p.site.code} "
                          f"({p.equipment.product_model.brand.name})"} for p in qs[:10]]

    overdue_qs = base.overdue(today)
    upcoming_qs = base.filter(RemediationPlanQuerySet.due_q(today, today + dt.timedelta(days=90)))
    burndown = burndown_chart(organization_id=organization_id, today=today, with_start=True)
    return {
        "overdue": items(overdue_qs), "overdue_count": overdue_qs.count(),
        "upcoming": items(upcoming_qs), "upcoming_count": upcoming_qs.count(),
        "burndown": burndown[0] if burndown else None, "burndown_start": burndown[1] if burndown else None,
        "remediation_ready": True,
    }


def burndown_chart(*, organization_id: int, today: dt.date, with_start: bool = False):
    """Open remediation plans from the day of the organisation's first plan to today (no flat zero line before
    the programme existed, and no cliff on the day plans were first derived): daily up to a month, weekly up
    to half a year, monthly beyond. Drawn as SVG; None when the organisation never had a plan. Two queries.
    With `with_start`, (chart, first day)."""
    from django.db.models import Min

    from apps.remediation import conf
    from apps.remediation.models import RemediationPlan
    from apps.remediation.selectors import remediation_burndown

    from . import svg

    first = RemediationPlan.objects.filter(organization_id=organization_id).aggregate(first=Min("opened_at"))["first"]
    if first is None:
        return None
    start = min(first.astimezone(zoneinfo.ZoneInfo(conf.time_zone())).date(), today)
    span = (today - start).days
    interval = "day" if span <= 31 else "week" if span <= 26 * 7 else "month"
    rows = remediation_burndown(organization_ids=[organization_id], start=start, end=today, interval=interval,
                                include_start=True)
    open_points = [(r["period_end"], r["open"]) for r in rows]
    chart = svg.burndown_svg(open_points, title=f"Open remediation plans per {interval} since the first plan",
                             today=today)
    return (chart, start) if with_start else chart


def equipment_findings_for(equipment_ids: list[int]) -> dict[int, list[Any]]:
    """Screening's explained findings for a page of equipment (constant queries), or {} before screening."""
    if not equipment_ids:
        return {}
    return equipment_findings(equipment_ids=equipment_ids)


def equipment_vendor_roles(equipment: Equipment) -> list[tuple[str, Any]]:
    """(role, vendor) for the brand, the real maker when white label, the software supplier and components."""
    pm = equipment.product_model
    roles: list[tuple[str, Any]] = [("brand", pm.brand)]
    if pm.manufacturer_id:
        roles.append(("manufacturer", pm.manufacturer))
    if pm.software_supplier_id:
        roles.append(("software_supplier", pm.software_supplier))
    for component in equipment.components.select_related("vendor"):
        roles.append((f"component: {component.get_kind_display()}", component.vendor))
    return roles


def equipment_chain(equipment: Equipment, *, today: dt.date | None = None) -> dict[str, Any]:
    """The explained chain of one unit: unit -> model -> vendors -> ownership paths -> list entries -> rule ->
    deadline. Each vendor carries its status and ownership chain in the view of the unit's organisation (its own
    status where it differs; the links its pending proposals apply to its own view too, marked `proposed`: the
    view its findings were derived in); each finding its path text and, when remediation is installed, the rule
    and deadline that apply."""
    from apps.remediation.selectors import equipment_header
    from apps.vendors.models import Vendor
    from apps.vendors.overlay import organization_overlay
    from apps.vendors.selectors import ownership_links_above, vendor_ownership_chain

    today = today_default(today)
    roles = equipment_vendor_roles(equipment)
    # The organisation's overlay read once, the links above every vendor of the unit read once (per level).
    overlay = organization_overlay(equipment.site.organization_id)
    links = ownership_links_above({vendor.pk for _role, vendor in roles}, as_of=today, overlay=overlay)
    # Each vendor's status in the same view (its organisation's own status where it differs), one query.
    statuses = dict(vendor_status_annotate(
        Vendor.objects.filter(pk__in={vendor.pk for _role, vendor in roles}), equipment.site.organization_id)
        .values_list("pk", "view_risk_status"))
    vendors = [{"role": role, "vendor": vendor, "risk_status": statuses.get(vendor.pk, vendor.risk_status),
                "chain": vendor_ownership_chain(vendor, as_of=today, links_by_owned=links)}
               for role, vendor in roles]
    findings = equipment_findings_for([equipment.pk]).get(equipment.pk, [])
    plans = remediation_for_equipment(equipment)
    # Open declarations (a supplier's signed "yes" in a data call): part of the status, each linking to its call.
    declarations = unit_declarations_open_for([equipment.pk]).get(equipment.pk, [])
    # One block per listed vendor and path, "applies to brand, software supplier and component" (issue #18).
    blocks = equipment_blocks_name_parts(equipment, equipment_findings_folded(findings))
    return {"vendors": vendors, "findings": findings, "finding_blocks": blocks,
            "plans": plans, "declarations": declarations,
            "header": equipment_header(equipment, organization_id=equipment.site.organization_id, today=today)}


def remediation_for_equipment(equipment: Equipment) -> list[dict[str, Any]]:
    """The unit's remediation plans, newest first, with the rule (and its citation) and the deadline."""
    from django.urls import reverse

    from apps.remediation.models import RemediationPlanQuerySet

    today = today_default(None)
    out = []
    for p in equipment.remediation_plans.select_related("rule").order_by("-opened_at")[:10]:
        out.append({
            "rule_text": f"{p.rule.name} ({p.rule.citation}): {p.get_action_display()}",
            "deadline": p.deadline, "overdue": RemediationPlanQuerySet.overdue_on(p.status, p.deadline, today),
            "status_label": p.get_status_display(), "url": reverse("web:plan-detail", args=[p.pk]), "why": p.why,
        })
    return out


def equipment_history(equipment: Equipment, limit: int = 50) -> list[dict[str, Any]]:
    """The unit's change history (django-simple-history) as readable rows: when, who, what changed."""
    records = list(equipment.history.select_related("history_user").order_by("-history_date", "-history_id")[
        : limit + 1])
    rows = []
    for i, rec in enumerate(records[:limit]):
        prev = records[i + 1] if i + 1 < len(records) else None
        changes: list[str] = []
        if prev is not None and rec.history_type == "~":
            delta = rec.diff_against(prev)
            changes = [f"{c.field}: {c.old!s} → {c.new!s}" for c in delta.changes]
        rows.append({
            "when": rec.history_date,
            "who": rec.history_user or "system",
            "type": {"+": "created", "~": "changed", "-": "deleted"}.get(rec.history_type, rec.history_type),
            "changes": changes,
            "reason": rec.history_change_reason or "",
        })
    return rows


MAX_OWNER_LINKS_SHOWN = 100


def vendor_page(vendor, *, organization_ids: list[int], organization_id: int | None = None,
                today: dt.date | None = None) -> dict[str, Any]:
    """A vendor with aliases, identifiers, its ownership graph (owners up to the ultimate parents and the
    companies it owns directly) drawn as SVG, OEM relations, findings, and the user's equipment from it; the
    statuses, findings and regime tests in the view of `organization_id` (the user's current organisation)."""
    from apps.vendors.overlay import organization_overlay
    from apps.vendors.selectors import oem_relations_in_view, owner_links_recorded, ownership_links_below

    from . import svg

    today = today_default(today)
    # In the view of the user's organisation: the links and OEM relations its pending proposals apply to its own
    # view count (marked `proposed`), those it proposes removing do not; its overlay is read once for the whole page.
    overlay = organization_overlay(organization_id) if organization_id is not None else None
    # the paths and each regime's own test (one place)
    ownership = vendor_ownership_view(vendor, day=today, organization_id=organization_id, overlay=overlay)
    chain = ownership.chain
    links = [link for group in chain.links_by_owned.values() for link in group]
    below = ownership_links_below(vendor.pk, as_of=today, overlay=overlay)
    names = {vendor.pk: vendor.name}
    for link in links:
        names[link.owner_id] = link.owner.name
    for link in below:
        names[link.owned_id] = link.owned.name
    statuses = {}
    if any(f.name == "risk_status" for f in type(vendor)._meta.get_fields()):
        statuses = dict(vendor_status_annotate(type(vendor).objects.filter(pk__in=names), organization_id)
                        .values_list("pk", "view_risk_status"))
    nodes = [svg.GraphNode(pk, name, status=statuses.get(pk, "") if statuses.get(pk) != "clear" else "",
                           focus=pk == vendor.pk) for pk, name in names.items()]

    def edge(link) -> Any:
        share = "share unknown" if link.share_percent is None else f"{link.share_percent.normalize():f}%"
        if link.kind != "shareholding":
            share = f"{link.get_kind_display().lower()}, {share}"
        if link.proposed:
            share = f"{share}, proposed"
        return svg.GraphEdge(link.owner_id, link.owned_id, share, unknown=link.share_percent is None)

    edges = [edge(link) for link in links + below]
    graph = svg.ownership_graph_svg(nodes, edges, title=f"Ownership of {vendor.name}") if edges else None
    oem_makers, oem_brands = oem_relations_in_view(vendor.pk, overlay=overlay)
    findings = list(vendor_findings(vendor_id=vendor.pk, organization_id=organization_id))
    # Installed units with the vendor in any role, each counted once: product models first, then components.
    # Counted in the organisation whose view the page answers in (the lists these counts link to show its units
    # only); all of the user's organisations only when none is selected.
    counted_ids = [organization_id] if organization_id is not None else organization_ids
    n_units = sum(vendor_site_units(organization_ids=counted_ids, vendor_ids={vendor.pk})
                  .get(vendor.pk, {}).values())
    # "Under any brand": with the companies it owns and the brands it makes white-label products for (in this view).
    from apps.inventory.filtersets import vendor_family_q
    from apps.vendors.selectors import vendor_family

    family = vendor_family(vendor.pk, as_of=today, overlay=overlay)
    n_family_units = None
    if len(family.vendor_ids) > 1 or family.oem_brands:
        n_family_units = (equipment_installed(counted_ids).filter(vendor_family_q(family))
                          .aggregate(n=Sum("quantity"))["n"] or 0)
    from apps.remediation.selectors import vendor_header

    risk_status = statuses.get(vendor.pk) or getattr(vendor, "risk_status", "")
    return {
        "vendor": vendor,
        "risk_status": risk_status,
        "header": vendor_header(vendor.pk, organization_id=organization_id, risk_status=risk_status, units=n_units,
                                today=today),
        "aliases": list(vendor.aliases.order_by("name")),
        "identifiers": list(vendor.identifiers.order_by("scheme")),
        "chain": chain,
        "ownership_tests": ownership.tests,
        "below": below,
        # Every recorded owner link of this vendor, in force or not, with its dates and source (in this view).
        "owner_links": owner_links_recorded(vendor.pk, overlay=overlay, limit=MAX_OWNER_LINKS_SHOWN),
        "graph": graph,
        "oem_makers": oem_makers,
        "oem_brands": oem_brands,
        "findings": findings,
        "n_units": n_units,
        "n_family_units": n_family_units,
        "family_size": len(family.vendor_ids) - 1 + len(family.oem_brands),
    }


def vendor_ids_in_inventory(*, organization_ids: list[int]) -> QuerySet:
    """Ids of vendors that are brand, maker, software supplier or component vendor of the organisations'
    equipment (a subquery, not a list)."""
    from apps.inventory.models import Component, ProductModel
    from apps.vendors.models import Vendor

    pms = ProductModel.objects.filter(equipment__site__organization_id__in=organization_ids)
    comps = Component.objects.filter(equipment__site__organization_id__in=organization_ids)
    return Vendor.objects.filter(
        Q(pk__in=pms.values("brand_id")) | Q(pk__in=pms.values("manufacturer_id"))
        | Q(pk__in=pms.values("software_supplier_id")) | Q(pk__in=comps.values("vendor_id"))
    ).values("pk")


def review_groups_by_units(groups: list, units: dict[int, int]) -> list:
    """Review-queue rows (apps.screening.selectors.review_queue_groups) with the vendors touching the most of the
    organisation's units first, then by best score (the queue's own order)."""
    return sorted(groups, key=lambda g: (-units.get(g.vendor_id, 0), -g.best_score))


def units_by_vendor(*, organization_ids: list[int], vendor_ids: set[int]) -> dict[int, int]:
    """Installed units of the organisations per vendor (any role), for the given vendors. Four queries."""
    from django.db.models import Sum

    from apps.inventory.models import Component

    result: dict[int, int] = defaultdict(int)
    if not vendor_ids:
        return result
    base = equipment_installed(organization_ids)
    for field in ("product_model__brand_id", "product_model__manufacturer_id",
                  "product_model__software_supplier_id"):
        for vid, n in (base.filter(**{f"{field}__in": vendor_ids}).values_list(field).annotate(n=Sum("quantity"))
                       .order_by()):
            result[vid] += n or 0
    comp = (Component.objects.filter(vendor_id__in=vendor_ids, equipment__in=base)
            .values_list("vendor_id").annotate(n=Sum("equipment__quantity")).order_by())
    for vid, n in comp:
        result[vid] += n or 0
    return result


# The equipment list's filters that the per-site tally can count, and the tally field each narrows.
TALLY_FILTERS = {"site": "site_ids", "category": "categories", "status": "statuses", "risk_status": "risk_statuses"}


def equipment_list_count(*, organization_ids: list[int], filters: dict[str, Any] | None) -> int | None:
    """The equipment list's total from the per-site tally when only site, category, status and risk status
    narrow it (one query over a few hundred rows instead of a COUNT over the organisation's inventory); None
    when another filter is set (search, vendor, deadlines ...) and the rows must be counted."""
    narrowing: dict[str, list] = {}
    for name, value in (filters or {}).items():
        if value is None or value == "" or (isinstance(value, (list, tuple, set, QuerySet)) and not value):
            continue
        if name not in TALLY_FILTERS:
            return None
        values = value if isinstance(value, (list, tuple, set, QuerySet)) else [value]
        narrowing[TALLY_FILTERS[name]] = [getattr(v, "pk", v) for v in values]
    return equipment_records_count(organization_ids=organization_ids, **narrowing)


def paginate_deferred(queryset: QuerySet, *, page_number: Any, per_page: int = 50, count: int | None = None):
    """Paginate a large, sorted, joined queryset in three constant queries: COUNT (skipped when the caller knows
    the total, e.g. from the per-site tally), the page's ids (a lean query that sorts ids only), and the page's
    rows with their joins fetched by id (a "deferred join"). Sorting the full joined rows to keep 50 of them is
    what makes deep pages slow on big inventories."""
    from django.core.paginator import Paginator

    paginator = Paginator(queryset.values_list("pk", flat=True), per_page)
    if count is not None:
        paginator.count = count  # Paginator.count is a cached property: the known total replaces the COUNT
    page = paginator.get_page(page_number)
    ids = list(page.object_list)
    rows = queryset.model._default_manager.none()
    if ids:
        by_id = {obj.pk: obj for obj in queryset.order_by().filter(pk__in=ids)}
        rows = [by_id[i] for i in ids if i in by_id]
    page.object_list = rows
    return page


# --- what changed in the lists ----------------------------------------------------------------------------------

CHANGES_ROWS = 500  # findings shown per section (the counts cover all of them)
VENDOR_CHUNK = 2000


def vendor_site_units(*, organization_ids: list[int], vendor_ids: set[int]) -> dict[int, dict[int, int]]:
    """Installed units per site of the organisations for each vendor (brand, real maker, software supplier or
    component maker), each unit counted once per vendor: {vendor id: {site id: units}}. Three queries per
    2,000 vendors, whatever the size of the inventory (product models first, then grouped equipment)."""
    from apps.inventory.models import Component, ProductModel

    result: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    ids = sorted(vendor_ids)
    for start in range(0, len(ids), VENDOR_CHUNK):
        chunk = ids[start:start + VENDOR_CHUNK]
        wanted = set(chunk)
        pm_vendors: dict[int, set[int]] = {}
        for pk, *roles in ProductModel.objects.filter(
                Q(brand_id__in=chunk) | Q(manufacturer_id__in=chunk) | Q(software_supplier_id__in=chunk)
        ).values_list("pk", "brand_id", "manufacturer_id", "software_supplier_id"):
            pm_vendors[pk] = {v for v in roles if v in wanted}
        installed = equipment_installed(organization_ids)
        if pm_vendors:
            for site_id, pm_id, units in (installed.filter(product_model_id__in=list(pm_vendors))
                                          .values_list("site_id", "product_model_id").annotate(n=Sum("quantity"))):
                for vendor_id in pm_vendors[pm_id]:
                    result[vendor_id][site_id] += units or 0
        seen: set[tuple[int, int]] = set()
        for vendor_id, eq_id, site_id, quantity, pm_id in Component.objects.filter(
                vendor_id__in=chunk, equipment__in=installed
        ).values_list("vendor_id", "equipment_id", "equipment__site_id", "equipment__quantity",
                      "equipment__product_model_id"):
            if vendor_id in pm_vendors.get(pm_id, ()) or (vendor_id, eq_id) in seen:
                continue  # already counted through the product model, or another part of the same unit
            seen.add((vendor_id, eq_id))
            result[vendor_id][site_id] += quantity
    return {v: dict(sites) for v, sites in result.items()}


def list_changes(*, organization_id: int, sources: QuerySet, since: dt.datetime) -> dict[str, Any]:
    """What changed in the lists since `since`, and which of the organisation's sites it touches: the list
    versions activated since (with their diff counts), the findings opened and closed since on vendors of the
    organisation's installed equipment, each with the sites and units it reaches."""
    from apps.lists.models import ListVersion
    from apps.screening.models import Finding

    versions = list(ListVersion.objects.filter(source__in=sources, activated_at__gte=since)
                    .select_related("source", "diff").order_by("-activated_at")[:200])
    in_view = Finding.objects.in_view(organization_id)  # never another organisation's findings
    opened = in_view.filter(source__in=sources, discovered_at__gte=since)
    closed = in_view.filter(source__in=sources, closed_at__gte=since)
    vendor_ids = set(opened.order_by().values_list("vendor_id", flat=True).distinct())
    vendor_ids |= set(closed.order_by().values_list("vendor_id", flat=True).distinct())
    reach = vendor_site_units(organization_ids=[organization_id], vendor_ids=vendor_ids)
    touching = [v for v, sites in reach.items() if sites]
    site_names = dict(Site.objects.filter(pk__in={s for sites in reach.values() for s in sites})
                      .values_list("pk", "name"))

    def rows(findings: QuerySet, order: str) -> tuple[int, list[dict[str, Any]]]:
        mine = findings.filter(vendor_id__in=touching)
        shown = mine.select_related("vendor", "source").order_by(order, "pk")[:CHANGES_ROWS]
        out = [{"finding": f, "sites": sorted(((site_names[s], s, n) for s, n in reach[f.vendor_id].items()),
                                              key=lambda t: t[0]),
                "units": sum(reach[f.vendor_id].values())} for f in shown]
        return mine.count(), out

    n_opened, opened_rows = rows(opened, "-discovered_at")
    n_closed, closed_rows = rows(closed, "-closed_at")
    touched_sites = {s for v in touching for s in reach[v]}
    return {"since": since, "versions": versions, "opened": opened_rows, "closed": closed_rows,
            "n_opened": n_opened, "n_closed": n_closed, "n_sites": len(touched_sites),
            "n_elsewhere": len(vendor_ids) - len(touching), "rows_cap": CHANGES_ROWS}


# --- an import's done page ------------------------------------------------------------------------------------

IMPORT_SCREENING_WAIT = dt.timedelta(hours=1)  # after that the done page stops waiting (the nightly run catches up)


def import_job_risk_summary(job) -> dict[str, Any]:
    """What an equipment import brought in, in the organisation's view: its units by risk status (records and
    units), the remediation plans opened on them, and whether screening of the vendors the import created may
    still be running (a task started on commit: their units count as clear until it ends). Three queries,
    by the partial index on Equipment.import_job, whatever the size of the file."""
    from django.db.models import Count
    from django.utils import timezone

    from apps.common.choices import RiskStatus
    from apps.remediation.models import RemediationPlan
    from apps.screening.models import ScreeningRun

    rows = {status: {"status": status, "label": RiskStatus(status).label, "records": 0, "units": 0}
            for status in RISK_STATUSES}
    for status, records, units in (Equipment.objects.filter(import_job=job).order_by().values("risk_status")
                                   .annotate(records=Count("id"), units=Sum("quantity"))
                                   .values_list("risk_status", "records", "units")):
        rows[status].update(records=records, units=units or 0)
    plans = RemediationPlan.objects.filter(equipment__import_job=job).count()
    pending = False
    if (job.report or {}).get("new_vendors") and timezone.now() - job.updated_at < IMPORT_SCREENING_WAIT:
        pending = not ScreeningRun.objects.filter(finished_at__gte=job.updated_at).exists()
    worst = next((r["status"] for r in rows.values() if r["records"] and r["status"] in FLAGGED), None)
    flagged_text = ", ".join(f"{r['records']} {r['label'].lower()}" for r in rows.values()
                             if r["records"] and r["status"] in FLAGGED)
    return {"statuses": list(rows.values()), "records": sum(r["records"] for r in rows.values()), "worst": worst,
            "flagged_text": flagged_text,
            "flagged": sum(r["records"] for r in rows.values() if r["status"] in FLAGGED), "plans": plans,
            "screening_pending": pending}
