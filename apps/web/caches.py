"""Per-organisation caches of what the officers' pages compute, invalidated by events (apps.common.events).

Each entry is keyed by the organisation and a generation (apps.common.cache.cache_generation) that the event
handlers below move on once the write has committed: the next page, in any process, computes again under the new
key. The timeout only bounds what the events cannot see (a write in a shell or in raw SQL, a bump lost while the
cache was down). With the cache unreachable every page computes for itself (apps.common.cache's policy).

- `site_rows_html`: the site list's table rows with their counts. Invalidated by SitesChanged (a site created
  or edited, or its tally changed: units added, moved, retired, re-rated).
- `site_options_html`: the `<option>`s of the equipment list's site filter. SitesChanged.
- `risk_breakdown`: the dashboard's units by risk status, flagged units by site and by category, and their two
  charts. SitesChanged.
- `vendor_options_html`: the `<option>`s of the equipment list's vendor filter. The organisation's vendor set
  (organization_vendor_ids: EquipmentChanged and the record count) and VendorsChanged (a vendor renamed).

Only shared or organisation-wide content is cached, never what depends on the user (their role's buttons, their
alerts): the keys carry no user, so an entry is the same for everyone of the organisation, and never another's.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.template.loader import render_to_string

from apps.common import events
from apps.common.cache import CACHE_DOWN, cache_generation, cache_generation_bump, cache_get, cache_set
from apps.inventory.models import Site

from .widgets import option_html

VIEW_CACHE_SECONDS = 300
VENDOR_NAMES_GENERATION = "web:vendor-names-gen"


def _sites_generation_key(organization_id: int) -> str:
    return f"web:org-sites-gen:{organization_id}"


def organization_cached(name: str, organization_id: int, generation: Any, compute: Callable[[], Any]) -> Any:
    """`compute()`, kept under (name, organisation, generation) for VIEW_CACHE_SECONDS; computed every time when
    the generation could not be read (CACHE_DOWN)."""
    if generation is CACHE_DOWN:
        return compute()
    key = f"web:{name}:{organization_id}:{generation}"
    value = cache_get(key)
    if value is None:
        value = compute()
        cache_set(key, value, VIEW_CACHE_SECONDS)
    return value


def sites_generation(organization_id: int) -> Any:
    return cache_generation(_sites_generation_key(organization_id))


def sites_changed(event: events.SitesChanged) -> None:
    """After the commit of a site or tally write: the organisations of those sites compute their site-derived
    caches again. One query."""
    organization_ids = (Site.objects.filter(pk__in=list(event.site_ids)).order_by()
                        .values_list("organization_id", flat=True).distinct())
    for organization_id in organization_ids:
        cache_generation_bump(_sites_generation_key(organization_id))


def vendors_changed(event: events.VendorsChanged) -> None:
    """After the commit of a vendor write (a name among them): every vendor filter is built again."""
    cache_generation_bump(VENDOR_NAMES_GENERATION)


def site_rows_html(organization_id: int) -> str:
    """The site list's table rows (web/site_rows.html) with each site's installed and flagged units."""
    from .selectors import site_list_with_counts

    return organization_cached(
        "site-rows", organization_id, sites_generation(organization_id),
        lambda: render_to_string("web/site_rows.html",
                                 {"sites": site_list_with_counts(organization_ids=[organization_id])}))


def options_html(choices) -> str:
    """`<option>`s for (value, label) pairs, none selected (widgets.FastSelect marks the selected ones)."""
    return "".join(option_html(value, label) for value, label in choices)


def site_options_html(organization_id: int, empty_label: str) -> str:
    """The site filter's options: `empty_label`, then the organisation's sites by name."""
    def compute() -> str:
        sites = Site.objects.filter(organization_id=organization_id).order_by("name").values_list("pk", "name")
        return options_html([("", empty_label), *((str(pk), name) for pk, name in sites)])

    return organization_cached("site-options", organization_id, sites_generation(organization_id), compute)


def vendor_options_html(organization_id: int, empty_label: str) -> str:
    """The vendor filter's options: `empty_label`, then the vendors of the organisation's inventory by name."""
    from apps.vendors.models import Vendor

    from .selectors import organization_vendor_ids_key

    vendor_key = organization_vendor_ids_key(organization_id)  # "web:org-vendor-ids:<org>:<records>:<generation>"
    names = cache_generation(VENDOR_NAMES_GENERATION)
    generation = (CACHE_DOWN if CACHE_DOWN in (vendor_key, names)
                  else "-".join([*vendor_key.rsplit(":", 2)[-2:], str(names)]))

    def compute() -> str:
        from .selectors import organization_vendor_ids

        vendors = (Vendor.objects.filter(pk__in=organization_vendor_ids(organization_id)).order_by("name")
                   .values_list("pk", "name"))
        return options_html([("", empty_label), *((str(pk), name) for pk, name in vendors)])

    return organization_cached("vendor-options", organization_id, generation, compute)


def risk_breakdown(organization_id: int) -> dict[str, Any]:
    """The dashboard's figures from the per-site tally: units and records by risk status, flagged units by site
    and by category (equipment_risk_breakdown) and their two charts."""
    def compute() -> dict[str, Any]:
        from . import svg
        from .selectors import equipment_risk_breakdown

        counts, by_site, by_category, records = equipment_risk_breakdown(organization_ids=[organization_id])
        return {"counts": counts, "records": records, "by_site": by_site, "by_category": by_category,
                "chart_site": svg.stacked_bars_html(by_site, title="Flagged units by site"),
                "chart_category": svg.stacked_bars_html(by_category, title="Flagged units by category")}

    return organization_cached("risk-breakdown", organization_id, sites_generation(organization_id), compute)
