"""Writes to sites, product models, equipment and components."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, ProtectedError, Sum

from apps.accounts.policies import Action, authorize
from apps.audit.writes import (
    model_delete_audited,
    model_save_audited,
    model_update_audited,
    row_lock,
    write_transaction,
)
from apps.common import events
from apps.common.exceptions import ApplicationError

from .choices import CONNECTIVITY_FACT_FIELDS
from .models import Component, Equipment, ProductModel, Site, SiteEquipmentCount

# A change of these fields can change a unit's risk status or the rules that apply to it (its plans).
PLAN_RELEVANT_FIELDS = frozenset({"product_model_id", "category", "status", "installed_date", "site_id",
                                  "remote_access_vendor_id", *CONNECTIVITY_FACT_FIELDS})


def _equipment_changed(equipment_ids: set[int]) -> None:
    """Units written one by one whose product model, category, components, status, site, installation date or
    connectivity changed (bulk imports publish EquipmentImported): screening gives them their risk status and
    remediation their plans, in this transaction (apps.common.events)."""
    events.publish(events.EquipmentChanged(equipment_ids=frozenset(equipment_ids)))


@write_transaction()
def site_create(*, organization, actor=None, **fields: Any) -> Site:
    authorize(actor, Action.WRITE, organization_id=organization.pk)
    site = model_save_audited(Site(organization=organization, **fields), actor=actor,
                              organization_id=organization.pk)
    events.publish(events.SitesChanged(site_ids=frozenset({site.pk})))
    return site


@write_transaction()
def site_update(*, site: Site, actor=None, **fields: Any) -> Site:
    """Apply the changed fields to the site, re-read under its row lock (see apps.audit.writes)."""
    authorize(actor, Action.WRITE, site)
    if "organization" in fields and getattr(fields["organization"], "pk", None) != site.organization_id:
        raise ApplicationError("A site cannot move to another organisation.", code="cross_organization",
                               fields={"organization": ["Cannot be changed."]})
    site, changes = model_update_audited(site, fields, actor=actor, organization_id=site.organization_id)
    if changes:
        events.publish(events.SitesChanged(site_ids=frozenset({site.pk})))
    return site


@write_transaction()
def product_model_create(*, brand, model_number: str, category: str, actor=None, **fields: Any) -> ProductModel:
    authorize(actor, Action.WRITE, organization_id=None)  # product models are shared reference data
    return model_save_audited(
        ProductModel(brand=brand, model_number=model_number, category=category, **fields), actor=actor
    )


@write_transaction()
def product_model_update(*, product_model: ProductModel, actor=None, reason: str = "", **fields: Any) -> ProductModel:
    """Change facts of a product model (shared reference data: officers and admins of any organisation, as
    product_model_create), re-read under its row lock and audited with `reason` (model_update_audited). Its units,
    in every organisation, get their risk status and plans again (EquipmentChanged), since the software supplier,
    country and remote access feed screening and the rules."""
    authorize(actor, Action.WRITE, organization_id=None)  # product models are shared reference data
    product_model, changes = model_update_audited(product_model, fields, actor=actor, reason=reason)
    if changes:
        unit_ids = set(Equipment.objects.filter(product_model=product_model).values_list("pk", flat=True))
        if unit_ids:
            _equipment_changed(unit_ids)
    return product_model


@write_transaction()
def equipment_create(*, site: Site, product_model: ProductModel, actor=None, **fields: Any) -> Equipment:
    """Record installed equipment. The category defaults to the product model's."""
    authorize(actor, Action.WRITE, site)
    fields.setdefault("category", product_model.category)
    equipment = model_save_audited(Equipment(site=site, product_model=product_model, **fields), actor=actor,
                                   organization_id=site.organization_id)
    _equipment_changed({equipment.pk})
    return equipment


@write_transaction()
def equipment_update(*, equipment: Equipment, actor=None, **fields: Any) -> Equipment:
    """Apply the changed fields to the unit, re-read under its row lock: a change of one field never writes
    back another from an older copy, and the audit event's "before" is the locked row's. Lock order: the unit,
    then its site(s) for the tally (recounted on save), then the audit chain (apps.audit.writes)."""
    authorize(actor, Action.WRITE, equipment)
    if "site" in fields and fields["site"].organization_id != equipment.site.organization_id:
        raise ApplicationError("Equipment cannot move to another organisation's site.", code="cross_organization",
                               fields={"site": ["Not a site of this organisation."]})
    organization_id = equipment.site.organization_id
    equipment, changes = model_update_audited(equipment, fields, actor=actor, organization_id=organization_id)
    if PLAN_RELEVANT_FIELDS & set(changes):
        _equipment_changed({equipment.pk})
    return equipment


@write_transaction()
def equipment_delete(*, equipment: Equipment, actor=None) -> None:
    """Delete a unit recorded by mistake. Units with a remediation history cannot be deleted: retire them
    (status removed/replaced/disposed) so the record an auditor follows stays complete. A unit already deleted
    (by another request) raises ApplicationError(code="not_found") and records nothing."""
    authorize(actor, Action.WRITE, equipment)
    try:
        with write_transaction():
            model_delete_audited(equipment, actor=actor, organization_id=equipment.site.organization_id)
    except ProtectedError as exc:
        raise ApplicationError(
            "This equipment has remediation records and cannot be deleted; set its status to removed, replaced "
            "or disposed instead.", code="protected", fields={"status": ["Retire the unit instead of deleting it."]},
        ) from exc


@write_transaction()
def component_add(*, equipment: Equipment, vendor, kind: str, actor=None, **fields: Any) -> Component:
    """Add a part to a unit, locked first (a parent before its children); a unit already deleted raises
    not_found."""
    authorize(actor, Action.WRITE, equipment)
    equipment = row_lock(Equipment, equipment.pk)
    component = model_save_audited(Component(equipment=equipment, vendor=vendor, kind=kind, **fields), actor=actor,
                                   organization_id=equipment.site.organization_id)
    _equipment_changed({equipment.pk})
    return component


@write_transaction()
def component_record(*, equipment: Equipment, vendor: str, kind: str, actor=None, **fields: Any) -> Component:
    """component_add with the vendor named as recorded (legal name or alias), as an officer types it."""
    from apps.vendors.selectors import vendor_named

    return component_add(equipment=equipment, vendor=vendor_named(vendor, field="vendor"), kind=kind, actor=actor,
                         **fields)


@write_transaction()
def component_delete(*, component: Component, actor=None) -> None:
    """Remove a part. The unit is locked before the part (a parent before its children, as a delete of the unit
    cascading to its parts does), then the part; a part or unit already deleted raises not_found."""
    authorize(actor, Action.WRITE, component)
    equipment = row_lock(Equipment, component.equipment_id)
    model_delete_audited(component, actor=actor, organization_id=equipment.site.organization_id)
    _equipment_changed({equipment.pk})


def product_model_resolve(*, brand_name: str, model_number: str, category: str, manufacturer_name: str = "",
                          software_supplier_name: str = "", actor=None) -> ProductModel:
    """The product model `brand_name model_number`, created when new (with its category, real maker and software
    supplier). Vendors are found by legal name or alias and never created here: a typo must not invent a company.

    Product models are shared by every organisation, so an existing one is not changed from here: naming another
    maker or software supplier than the one recorded is refused with the recorded value."""
    from apps.vendors.selectors import vendor_named

    brand = vendor_named(brand_name, field="brand")
    maker = vendor_named(manufacturer_name, field="manufacturer") if manufacturer_name.strip() else None
    software = (vendor_named(software_supplier_name, field="software_supplier")
                if software_supplier_name.strip() else None)
    if maker is not None and maker.pk == brand.pk:
        maker = None  # the brand makes it itself
    number = " ".join(model_number.split())
    existing = ProductModel.objects.filter(brand=brand, model_number=number).first()
    if existing is None:
        try:
            with write_transaction():
                return product_model_create(brand=brand, model_number=number, category=category,
                                            manufacturer=maker, software_supplier=software, actor=actor)
        except (IntegrityError, ValidationError):
            # Another request recorded the same product model a moment ago (seen by the unique check or by the
            # constraint): use that one. Any other refusal stands.
            existing = ProductModel.objects.filter(brand=brand, model_number=number).first()
            if existing is None:
                raise
    errors: dict[str, list[str]] = {}
    for field, given, recorded in (("manufacturer", maker, existing.manufacturer),
                                   ("software_supplier", software, existing.software_supplier)):
        if given is not None and given != recorded:
            errors[field] = [f"{existing} is recorded with {recorded or 'no other ' + field.replace('_', ' ')}; "
                             "leave this empty, or ask an administrator to correct the product model."]
    if errors:
        raise ApplicationError("The product model is recorded differently.", code="product_model_differs",
                               fields=errors)
    return existing


@write_transaction()
def equipment_record(*, site: Site, brand_name: str, model_number: str, category: str,
                     manufacturer_name: str = "", software_supplier_name: str = "", equipment: Equipment | None = None,
                     remote_access_vendor_name: str = "", actor=None, **fields: Any) -> Equipment:
    """Create a unit (or update `equipment`) from the names an officer types: the product model is found or
    created by brand and model number (product_model_resolve), the vendor holding remote access found by legal
    name or alias, all in one transaction."""
    from apps.vendors.selectors import vendor_named

    fields["remote_access_vendor"] = (vendor_named(remote_access_vendor_name, field="remote_access_vendor")
                                      if remote_access_vendor_name.strip() else None)
    product_model = product_model_resolve(brand_name=brand_name, model_number=model_number, category=category,
                                          manufacturer_name=manufacturer_name,
                                          software_supplier_name=software_supplier_name, actor=actor)
    if equipment is None:
        return equipment_create(site=site, product_model=product_model, category=category, actor=actor, **fields)
    return equipment_update(equipment=equipment, site=site, product_model=product_model, category=category,
                            actor=actor, **fields)


# ---------------------------------------------------------------------------------------------------------------
# Equipment counts per site (the SiteEquipmentCount tally)

COUNT_SITE_CHUNK = 500
_deferred_sites: ContextVar[set[int] | None] = ContextVar("equipment_counts_deferred", default=None)

Bucket = tuple[int, str, str, str]  # (site id, category, lifecycle status, risk status)


def _equipment_buckets(site_ids: list[int] | None) -> dict[Bucket, tuple[int, int]]:
    """(records, units) per bucket, grouped from the equipment table itself."""
    qs = Equipment.objects.order_by()
    if site_ids is not None:
        qs = qs.filter(site_id__in=site_ids)
    rows = qs.values_list("site_id", "category", "status", "risk_status").annotate(n=Count("id"), u=Sum("quantity"))
    return {(s, c, st, r): (n, u or 0) for s, c, st, r, n, u in rows}


def _site_chunks(site_ids: Iterable[int] | None) -> Iterator[list[int]]:
    ids = (sorted({i for i in site_ids if i is not None}) if site_ids is not None
           else list(Site.objects.order_by("pk").values_list("pk", flat=True)))
    for start in range(0, len(ids), COUNT_SITE_CHUNK):
        yield ids[start:start + COUNT_SITE_CHUNK]


@transaction.atomic
def _counts_recount(site_ids: list[int]) -> int:
    # Lock the sites first (FOR NO KEY UPDATE: equipment inserts, which take FOR KEY SHARE on their site, are not
    # blocked), then count: under READ COMMITTED the count runs after the lock is granted, so it sees every
    # transaction that recounted these sites before, and the last recount always writes the final truth.
    locked = list(Site.objects.select_for_update(no_key=True).filter(pk__in=site_ids).order_by("pk")
                  .values_list("pk", flat=True))
    want = _equipment_buckets(locked)
    have = {(c.site_id, c.category, c.status, c.risk_status): c
            for c in SiteEquipmentCount.objects.filter(site_id__in=site_ids)}
    gone = [c.pk for key, c in have.items() if key not in want]
    changed, new = [], []
    for key, (records, units) in want.items():
        row = have.get(key)
        if row is None:
            new.append(SiteEquipmentCount(site_id=key[0], category=key[1], status=key[2], risk_status=key[3],
                                          records=records, units=units))
        elif (row.records, row.units) != (records, units):
            row.records, row.units = records, units
            changed.append(row)
    if gone:
        SiteEquipmentCount.objects.filter(pk__in=gone).delete()
    SiteEquipmentCount.objects.bulk_update(changed, ["records", "units"], batch_size=1000)
    SiteEquipmentCount.objects.bulk_create(new, batch_size=1000)
    moved = {key[0] for key in have if key not in want} | {row.site_id for row in (*changed, *new)}
    if moved:
        events.publish(events.SitesChanged(site_ids=frozenset(moved)))
    return len(gone) + len(changed) + len(new)


def equipment_counts_refresh(*, site_ids: Iterable[int] | None = None) -> int:
    """Recount the equipment of these sites (every site when None) into SiteEquipmentCount; returns the number
    of tally rows written. Idempotent; writes only the buckets that changed. Runs inside the caller's
    transaction when there is one, so the tally commits (or rolls back) with the equipment it counts."""
    return sum(_counts_recount(chunk) for chunk in _site_chunks(site_ids))


def equipment_counts_touch(site_ids: Iterable[int | None]) -> None:
    """Equipment of these sites was written: recount them now, or at the end of the enclosing
    equipment_counts_deferred() block."""
    ids = {i for i in site_ids if i is not None}
    if not ids:
        return
    pending = _deferred_sites.get()
    if pending is not None:
        pending.update(ids)
    else:
        equipment_counts_refresh(site_ids=ids)


@contextmanager
def equipment_counts_deferred() -> Iterator[set[int]]:
    """Collect the sites that equipment writes inside the block touch and recount each once at its end (for
    bulk writes: an import of 10,000 units recounts each site once, not once per unit). Nested blocks defer to
    the outermost. Nothing is recounted when the block raises (its transaction rolls back)."""
    outer = _deferred_sites.get()
    if outer is not None:
        yield outer
        return
    pending: set[int] = set()
    token = _deferred_sites.set(pending)
    try:
        yield pending
    finally:
        _deferred_sites.reset(token)
    equipment_counts_refresh(site_ids=pending)


def equipment_counts_check(*, site_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Buckets where the tally differs from the equipment table (empty when consistent), site chunk by chunk."""
    drift = []
    for chunk in _site_chunks(site_ids):
        want = _equipment_buckets(chunk)
        have = {(c.site_id, c.category, c.status, c.risk_status): (c.records, c.units)
                for c in SiteEquipmentCount.objects.filter(site_id__in=chunk)}
        for key in sorted(set(want) | set(have)):
            if want.get(key) != have.get(key):
                drift.append({"site_id": key[0], "category": key[1], "status": key[2], "risk_status": key[3],
                              "counted": have.get(key, (0, 0)), "actual": want.get(key, (0, 0))})
    return drift
