"""Writes to vendors and their links. Each validates fully, saves atomically and records an audit event.

A vendor's names, aliases, identifiers, ownership links and OEM relations are shared facts: these services
write them for a curator with a verified second factor (or the registry itself, actor None) and are reached
from the API and the web only through apps.vendors.proposals (`shared_fact_write` / `shared_fact_change`),
where anyone else's write becomes a change proposal. A brand-new vendor is not yet anyone's fact: officers and
admins create vendors directly (`vendor_create`)."""
from __future__ import annotations

from typing import Any

from apps.accounts.policies import Action, authorize
from apps.audit.writes import model_delete_audited, model_save_audited, model_update_audited, write_transaction
from apps.common import events

from .models import OemRelation, Ownership, Vendor, VendorAlias, VendorIdentifier


def _authorize(actor) -> None:
    """A vendor's names, identifiers, ownership and OEM links are shared by every organisation: curators."""
    authorize(actor, Action.CURATE, organization_id=None)


def _authorize_create(actor) -> None:
    """A new vendor: any organisation's officer or admin (and curators)."""
    authorize(actor, Action.WRITE, organization_id=None)


def _vendors_changed(vendor_ids: set[int]) -> None:
    """Tell the apps above (screening re-screens them) through apps.common.events, delivered on commit."""
    ids = frozenset(i for i in vendor_ids if i)
    if ids:
        events.publish(events.VendorsChanged(vendor_ids=ids))


@write_transaction()
def vendor_create(*, actor=None, aliases: list[dict] | None = None, identifiers: list[dict] | None = None,
                  **fields: Any) -> Vendor:
    """Create a vendor with its aliases and identifiers, all or nothing."""
    _authorize_create(actor)
    vendor = model_save_audited(Vendor(**fields), actor=actor)
    for alias in aliases or []:
        model_save_audited(VendorAlias(vendor=vendor, **alias), actor=actor)
    for ident in identifiers or []:
        model_save_audited(VendorIdentifier(vendor=vendor, **ident), actor=actor)
    _vendors_changed({vendor.pk})
    return vendor


@write_transaction()
def vendor_update(*, vendor: Vendor, actor=None, **fields: Any) -> Vendor:
    """Apply the changed fields to the vendor, re-read under its row lock (apps.audit.writes); a change
    of nothing records nothing and re-screens nothing."""
    _authorize(actor)
    vendor, changes = model_update_audited(vendor, fields, actor=actor)
    if changes:
        _vendors_changed({vendor.pk})
    return vendor


@write_transaction()
def vendor_alias_add(*, vendor: Vendor, name: str, actor=None, **fields: Any) -> VendorAlias:
    _authorize(actor)
    alias = model_save_audited(VendorAlias(vendor=vendor, name=name, **fields), actor=actor)
    _vendors_changed({vendor.pk})
    return alias


@write_transaction()
def vendor_identifier_add(*, vendor: Vendor, scheme: str, value: str, actor=None, **fields: Any) -> VendorIdentifier:
    _authorize(actor)
    ident = model_save_audited(VendorIdentifier(vendor=vendor, scheme=scheme, value=value, **fields), actor=actor)
    _vendors_changed({vendor.pk})
    return ident


@write_transaction()
def vendor_alias_delete(*, alias: VendorAlias, actor=None) -> None:
    _authorize(actor)
    vendor_id = alias.vendor_id
    model_delete_audited(alias, actor=actor)
    _vendors_changed({vendor_id})


@write_transaction()
def vendor_identifier_delete(*, identifier: VendorIdentifier, actor=None) -> None:
    _authorize(actor)
    vendor_id = identifier.vendor_id
    model_delete_audited(identifier, actor=actor)
    _vendors_changed({vendor_id})


@write_transaction()
def ownership_create(*, owner: Vendor, owned: Vendor, actor=None, **fields: Any) -> Ownership:
    """Record owner -> owned. Cycles and totals above 100% are refused (Ownership.clean)."""
    _authorize(actor)
    link = model_save_audited(Ownership(owner=owner, owned=owned, **fields), actor=actor)
    _vendors_changed({owned.pk})
    return link


@write_transaction()
def ownership_update(*, ownership: Ownership, actor=None, **fields: Any) -> Ownership:
    _authorize(actor)
    old_owned = ownership.owned_id
    link, changes = model_update_audited(ownership, fields, actor=actor)
    if changes:
        _vendors_changed({old_owned, link.owned_id})
    return link


@write_transaction()
def ownership_delete(*, ownership: Ownership, actor=None) -> None:
    _authorize(actor)
    owned = ownership.owned_id
    model_delete_audited(ownership, actor=actor)
    _vendors_changed({owned})


@write_transaction()
def ownership_record(*, owned: Vendor, owner: str, actor=None, **fields: Any) -> Ownership:
    """Record that the vendor named `owner` (legal name or alias) owns `owned`: ownership_create by name."""
    from .selectors import vendor_named

    return ownership_create(owner=vendor_named(owner, field="owner"), owned=owned, actor=actor, **fields)


@write_transaction()
def oem_relation_record(*, brand: Vendor, manufacturer: str, actor=None, **fields: Any) -> OemRelation:
    """Record that the vendor named `manufacturer` makes `brand`'s products: oem_relation_create by name."""
    from .selectors import vendor_named

    return oem_relation_create(brand=brand, manufacturer=vendor_named(manufacturer, field="manufacturer"),
                               actor=actor, **fields)


@write_transaction()
def oem_relation_delete(*, relation: OemRelation, actor=None) -> None:
    _authorize(actor)
    brand = relation.brand_id
    model_delete_audited(relation, actor=actor)
    _vendors_changed({brand})


@write_transaction()
def oem_relation_create(*, brand: Vendor, manufacturer: Vendor, actor=None, **fields: Any) -> OemRelation:
    _authorize(actor)
    rel = model_save_audited(OemRelation(brand=brand, manufacturer=manufacturer, **fields), actor=actor)
    _vendors_changed({brand.pk})
    return rel
