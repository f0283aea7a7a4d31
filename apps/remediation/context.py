"""Turning database rows into the plain values of `policy`: rules, equipment contexts (site, category,
countries of maker / owners / place of manufacture) and screening findings. A constant number of queries
per chunk of equipment, whatever its size."""
from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Q

from apps.accounts.models import Organization
from apps.inventory.choices import CONNECTIVITY_FACT_FIELDS, connectivity_level
from apps.inventory.models import Component, Equipment
from apps.inventory.selectors import (
    BOM_TARGET_FIELDS,
    BomTargets,
    bom_documents_in_force,
    bom_parts_in_force,
    bom_rows_by_unit,
)
from apps.screening.selectors import UnitsRead, equipment_findings
from apps.vendors.models import Vendor
from apps.vendors.selectors import ownership_links_above

from .choices import CountryTest
from .conf import time_zone
from .models import PolicyRule
from .policy import CountryFact, EquipmentContext, FindingFact, RuleSpec, local_today

FindingsProvider = Callable[[list[int]], dict[int, list[FindingFact]]]


def rule_spec(rule: PolicyRule) -> RuleSpec:
    return RuleSpec(
        id=rule.pk, code=rule.code, version=rule.version, name=rule.name, basis=rule.basis, action=rule.action,
        organization_id=rule.organization_id, source_codes=tuple(rule.source_codes or ()),
        regimes=tuple(rule.regimes or ()), sub_list_contains=rule.sub_list_contains or "",
        finding_statuses=tuple(rule.finding_statuses or ("prohibited", "restricted")),
        vendor_roles=tuple(rule.vendor_roles or ()), categories=tuple(rule.categories or ()),
        site_kinds=tuple(rule.site_kinds or ()), site_criticalities=tuple(rule.site_criticalities or ()),
        defence_only=rule.defence_only, connectivities=tuple(rule.connectivities or ()),
        countries=tuple(rule.countries or ()), country_tests=tuple(rule.country_tests or ()),
        deadline_date=rule.deadline_date, deadline_days=rule.deadline_days, deadline_anchor=rule.deadline_anchor,
        effective_from=rule.effective_from, effective_until=rule.effective_until,
        suspended_from=rule.suspended_from, suspended_until=rule.suspended_until,
        grandfathered_before=rule.grandfathered_before, requires_verification=rule.requires_verification,
        jurisdictions=tuple(j.upper() for j in rule.jurisdictions or ()),
        organization_kinds=tuple(rule.organization_kinds or ()), connectivity_any=tuple(rule.connectivity_any or ()),
        connectivity_none=tuple(rule.connectivity_none or ()), installed_before=rule.installed_before,
        installed_after=rule.installed_after, names_any=tuple(rule.names_any or ()),
        finding_kinds=tuple(rule.finding_kinds or ()), respect_entry_scope=rule.respect_entry_scope,
        obligation=rule.obligation, deadline_kind=rule.deadline_kind,
        staged_deadlines=tuple(_stage(s) for s in rule.staged_deadlines or ()),
    )


def _stage(stage: dict) -> tuple[dt.date, str, int]:
    quota = "count" if "count" in stage else "percent"
    return dt.date.fromisoformat(str(stage["date"])), quota, int(stage[quota])


def organization_profiles(organization_ids: Iterable[int]) -> dict[int, dict]:
    """Each organisation's profile (country, subdivision, legal kinds, own target): one query."""
    return {o["id"]: o for o in Organization.objects.filter(id__in=set(organization_ids)).values(
        "id", "country", "subdivision", "legal_kinds", "remediation_target_days")}


def rule_specs(*, organization_ids: Iterable[int] | None = None) -> list[RuleSpec]:
    """Enabled rules (global ones and, when given, those of the organisations)."""
    qs = PolicyRule.objects.filter(enabled=True)
    if organization_ids is not None:
        qs = qs.filter(Q(organization__isnull=True) | Q(organization_id__in=list(organization_ids)))
    return [rule_spec(r) for r in qs.order_by("code")]


def _vendor_countries(vendor: dict) -> set[str]:
    return {c for c in (vendor.get("country_of_incorporation"), vendor.get("country_of_headquarters")) if c}


EQUIPMENT_FIELDS = (
    "id", "category", *CONNECTIVITY_FACT_FIELDS, "installed_date", "quantity", "collects_data", "status", "site_id",
    "site__organization_id", "site__kind", "site__criticality", "site__is_defence",
    "product_model_id", "product_model__brand_id", "product_model__manufacturer_id",
    "product_model__software_supplier_id", "product_model__country_of_manufacture",
    "product_model__model_number", "product_model__remote_access_capable",
)


def equipment_rows(equipment_ids: list[int]) -> list[dict]:
    """The units' EQUIPMENT_FIELDS as dicts (the same as `.values(*EQUIPMENT_FIELDS)`), made from the row tuples
    with one dict(zip()) each: Django's values() builds each dict key by key, a third of this read's CPU."""
    rows = Equipment.objects.filter(id__in_ids=set(equipment_ids)).order_by().values_list(*EQUIPMENT_FIELDS)
    return [dict(zip(EQUIPMENT_FIELDS, row, strict=True)) for row in rows]


def _bom_parts(rows: list[dict], bom_targets: BomTargets | None = None) -> dict[int, set[tuple[int | None, str, str]]]:
    """(vendor id, country, name the document gives the supplier) of the parts, at any depth, of the bills of
    materials in force for each unit (its own, its organisation's for its product model): one query, one row per
    distinct supplier and country of a document. Read as they are now, like the recorded components."""
    ids = [r["id"] for r in rows]
    unit_models = {r["id"]: r["product_model_id"] for r in rows}
    unit_orgs = {r["id"]: r["site__organization_id"] for r in rows}
    # Most chunks have no bill of materials in force: one cheap query on the documents says so, and the parts'
    # query (a correlated EXISTS per document) is not run.
    documents = bom_documents_in_force(equipment_ids=ids, unit_models=unit_models, unit_orgs=unit_orgs,
                                       targets=bom_targets)
    if not documents:
        return {}
    parts = (bom_parts_in_force(equipment_ids=ids, unit_models=unit_models, unit_orgs=unit_orgs)
             .filter(document_id__in=documents).filter(Q(supplier__isnull=False) | ~Q(country=""))
             .values_list(*BOM_TARGET_FIELDS, "supplier_id", "country", "supplier_name").distinct())
    return bom_rows_by_unit(parts, equipment_ids=ids, unit_models=unit_models, unit_orgs=unit_orgs)


def equipment_parts(rows: list[dict], *, bom_targets: BomTargets | None = None
                    ) -> tuple[dict[int, set[int]], dict[int, set[tuple[str, str, int | None]]]]:
    """For the given equipment rows: each unit's component vendors (its recorded components' and its BOM parts'
    suppliers) and the (country, supplier name, vendor id) its BOM parts state. Two queries (the second only when
    a bill of materials is in force for one of the units), and BomTargets' fingerprint (`bom_targets`: kept by
    the caller across chunks)."""
    ids = [r["id"] for r in rows]
    components: dict[int, set[int]] = defaultdict(set)
    parts = Component.objects.filter(equipment_id__in_ids=set(ids)).values_list("equipment_id", "vendor_id")
    for eq_id, vendor_id in parts:
        components[eq_id].add(vendor_id)
    part_countries: dict[int, set[tuple[str, str, int | None]]] = defaultdict(set)
    for eq_id, bom in _bom_parts(rows, bom_targets).items():
        for vendor_id, country, supplier_name in bom:
            if vendor_id:
                components[eq_id].add(vendor_id)
            if country:
                part_countries[eq_id].add((country, supplier_name, vendor_id))
    return components, part_countries


@dataclass
class ContextCache:
    """What equipment_contexts built, kept by a caller across its calls (the chunks of one evaluation): the country
    facts by (product model, components, countries stated by BOM parts) and the contexts by shape. Valid as long as
    the caller treats the units' inputs as read at first sight, which the evaluation already does for the policy's
    answers (PolicyMemo keeps them by the same shapes across its chunks)."""

    facts_of: dict[tuple, tuple[CountryFact, ...]] = field(default_factory=dict)
    by_shape: dict[tuple, EquipmentContext] = field(default_factory=dict)


def _part_order(p: tuple) -> tuple:
    return p[0], p[1], p[2] or 0


def equipment_contexts(rows: list[dict], *, as_of: dt.date | None = None,
                       shapes: dict[int, tuple] | None = None,
                       parts: tuple[dict[int, set[int]], dict[int, set[tuple]]] | None = None,
                       cache: ContextCache | None = None,
                       ) -> dict[int, EquipmentContext]:
    """Contexts for the given equipment rows (dicts with EQUIPMENT_FIELDS). Queries: components, parts of the
    bills of materials in force, vendors, one per ownership level.

    A BOM part counts like a recorded component (test `component`): its vendor's countries and its vendor's owners',
    and the country the document gives its supplier (whether or not the name matched a registry vendor).

    `shapes`, when given, receives each unit's inputs as a hashable key (site, category, connectivity,
    installation date, product model, components and the countries its BOM parts state): two units with the same
    key have equal contexts but for their id, so a caller can compute the policy once per key. With `shapes` the
    units of one key share one context object, whose `equipment_id` is the first unit's: for callers that read
    the policy's inputs only (the evaluation), never a unit's id from it.

    `parts`: equipment_parts(rows) when the caller already read them (to give them to the findings too).

    `cache` (with `shapes`): facts and contexts already built by earlier calls, reused by key; the vendors, their
    owners and the organisations' profiles are read only for the rows whose facts or shape are not in it (none
    when every key is known)."""
    if cache is not None and shapes is None:
        raise ValueError("a context cache is kept by shape: pass `shapes` too")
    components, part_countries = parts if parts is not None else equipment_parts(rows)
    cache = cache or ContextCache()
    facts_of, by_shape = cache.facts_of, cache.by_shape
    # The facts come from the product model, the components and the countries BOM parts state alone: built once
    # per (model, components, stated countries).
    facts_keys: list[tuple] = []
    for r in rows:
        own = components.get(r["id"])
        stated = part_countries.get(r["id"])
        facts_keys.append((r["product_model_id"], tuple(sorted(own)) if own else (),
                           tuple(sorted(stated, key=_part_order)) if stated else ()))
    unknown = [r for r, key in zip(rows, facts_keys, strict=True) if key not in facts_of]
    direct_ids: set[int] = set()
    for r in unknown:
        direct_ids.update(v for v in (r["product_model__brand_id"], r["product_model__manufacturer_id"],
                                      r["product_model__software_supplier_id"]) if v)
        direct_ids.update(components.get(r["id"], ()))
    links = ownership_links_above(direct_ids, as_of=as_of) if direct_ids else {}
    all_ids = set(direct_ids) | {link.owner_id for ls in links.values() for link in ls}
    vendors = {v["id"]: v for v in Vendor.objects.filter(id__in=all_ids).values(
        "id", "name", "country_of_incorporation", "country_of_headquarters")} if all_ids else {}

    ancestors_cache: dict[int, list[tuple[int, int]]] = {}

    def ancestors(vendor_id: int) -> list[tuple[int, int]]:
        """(owner id, the vendor it owns on the way) for every owner above vendor_id."""
        if vendor_id in ancestors_cache:
            return ancestors_cache[vendor_id]
        out, seen, frontier = [], {vendor_id}, [vendor_id]
        while frontier:
            nxt = []
            for node in frontier:
                for link in links.get(node, ()):
                    if link.owner_id not in seen:
                        seen.add(link.owner_id)
                        out.append((link.owner_id, node))
                        nxt.append(link.owner_id)
            frontier = nxt
        ancestors_cache[vendor_id] = out
        return out

    def country_facts(r: dict) -> tuple[CountryFact, ...]:
        facts: list[CountryFact] = []
        maker_id = r["product_model__manufacturer_id"] or r["product_model__brand_id"]
        roles: list[tuple[str, int]] = [(CountryTest.MANUFACTURER, maker_id)]
        if r["product_model__manufacturer_id"]:
            roles.append((CountryTest.BRAND, r["product_model__brand_id"]))
        if r["product_model__software_supplier_id"]:
            roles.append((CountryTest.SOFTWARE_SUPPLIER, r["product_model__software_supplier_id"]))
        roles.extend((CountryTest.COMPONENT, v) for v in sorted(components.get(r["id"], ())))
        owner_seen: set[int] = set()
        for test, vid in roles:
            v = vendors.get(vid)
            if not v:
                continue
            facts.extend(CountryFact(str(test), c, v["name"], vid) for c in sorted(_vendor_countries(v)))
            for owner_id, below in ancestors(vid):
                if owner_id in owner_seen:
                    continue
                owner_seen.add(owner_id)
                o = vendors.get(owner_id, {})
                via = f"owner of {vendors.get(below, {}).get('name', below)}"
                facts.extend(CountryFact(CountryTest.ULTIMATE_OWNER.value, c, o.get("name", str(owner_id)), owner_id,
                                         via) for c in sorted(_vendor_countries(o)))
        stated = sorted(part_countries.get(r["id"], ()), key=_part_order)
        for country, supplier_name, vid in stated:
            subject = vendors[vid]["name"] if vid in vendors else supplier_name
            facts.append(CountryFact(CountryTest.COMPONENT.value, country.upper(), subject, vid, "bill of materials"))
        if r["product_model__country_of_manufacture"]:
            facts.append(CountryFact(CountryTest.PLACE_OF_MANUFACTURE.value, r["product_model__country_of_manufacture"],
                                     r["product_model__model_number"]))
        return tuple(facts)

    profiles: dict[int, dict] | None = None  # read at the first context built
    contexts: dict[int, EquipmentContext] = {}
    # The connectivity facts set once per combination of the flags (a few), not per unit.
    flags_of = operator.itemgetter(*CONNECTIVITY_FACT_FIELDS)
    nets: dict[tuple, frozenset[str]] = {}
    for r, facts_key in zip(rows, facts_keys, strict=True):
        flags = flags_of(r)
        net = nets.get(flags)
        if net is None:
            net = nets[flags] = frozenset(f for f in CONNECTIVITY_FACT_FIELDS if r[f])
        if facts_key not in facts_of:
            facts_of[facts_key] = country_facts(r)
        if shapes is not None:
            shape = shapes[r["id"]] = (r["site_id"], r["category"], net, r["installed_date"], facts_key)
            known = by_shape.get(shape)
            if known is not None:
                contexts[r["id"]] = known
                continue
        if profiles is None:
            profiles = organization_profiles(r["site__organization_id"] for r in rows)
        profile = profiles.get(r["site__organization_id"], {})
        ctx = contexts[r["id"]] = EquipmentContext(
            equipment_id=r["id"], organization_id=r["site__organization_id"], site_id=r["site_id"],
            category=r["category"], site_kind=r["site__kind"], site_criticality=r["site__criticality"],
            site_is_defence=r["site__is_defence"], connectivity=connectivity_level(net),
            connectivity_facts=net,
            installed_date=r["installed_date"], country_facts=facts_of[facts_key],
            country=str(profile.get("country") or "").upper(), subdivision=(profile.get("subdivision") or "").upper(),
            legal_kinds=frozenset(profile.get("legal_kinds") or ()),
            target_days=profile.get("remediation_target_days"),
        )
        if shapes is not None:
            by_shape[shape] = ctx
    return contexts


def _to_date(value, tz: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return local_today(value, tz) if value.tzinfo else value.date()
    return value


def _entry_categories(finding) -> tuple[str, ...] | None:
    """The list entry's own scope categories carried on the screening finding (FCC Covered List): None when
    the entry states no scope, () when it names services only (no unit is in its scope)."""
    categories = getattr(finding, "entry_scope_categories", None)
    return None if categories is None else tuple(categories)


def _finding_fact(f, tz: str) -> FindingFact:
    return FindingFact(
        finding_id=f.finding_id, vendor_id=f.vendor_id, vendor_name=f.vendor_name, vendor_role=f.vendor_role,
        source_code=f.source_code, regime=f.regime, sub_list=f.sub_list or "", status=f.status,
        listed_on=_to_date(f.listed_on, tz) if f.listed_on else None,
        discovered_on=_to_date(f.discovered_at, tz), path_text=f.path_text or "", kind=f.kind or "direct",
        entry_name=f.entry_name or "",
        entry_scope_categories=_entry_categories(f),
    )


def screening_findings(equipment_ids: list[int], *, as_of: dt.datetime | None = None,
                       units: UnitsRead | None = None) -> dict[int, list[FindingFact]]:
    """Findings from apps.screening (`equipment_findings`), as FindingFact. No fallback on purpose: an empty
    answer here would make the evaluation close every finding-driven plan ("no rule applies any more").

    `units`: the units as the caller read them now (see equipment_findings). The units' rows of one finding in
    one role and status (everything a FindingFact holds comes from the finding) share one FindingFact."""
    tz = time_zone()
    out: dict[int, list[FindingFact]] = {}
    facts: dict[tuple, FindingFact] = {}
    for eq_id, items in equipment_findings(equipment_ids=equipment_ids, as_of=as_of, units=units).items():
        row = out[eq_id] = []
        for f in items:
            key = (f.finding_id, f.vendor_id, f.vendor_role, f.status)
            fact = facts.get(key)
            if fact is None:
                fact = facts[key] = _finding_fact(f, tz)
            row.append(fact)
    return out
