"""Writes to sites, product models, equipment and components."""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import ProtectedError

from apps.common.exceptions import ApplicationError
from apps.common.services import apply_fields as _apply
from apps.common.services import model_delete_audited, model_save_audited

from .models import Component, Equipment, ProductModel, Site


@transaction.atomic
def site_create(*, organization, actor=None, **fields: Any) -> Site:
    return model_save_audited(Site(organization=organization, **fields), actor=actor,
                              organization_id=organization.pk)


@transaction.atomic
def site_update(*, site: Site, actor=None, **fields: Any) -> Site:
    return model_save_audited(_apply(site, fields), actor=actor, organization_id=site.organization_id)


@transaction.atomic
def product_model_create(*, brand, model_number: str, category: str, actor=None, **fields: Any) -> ProductModel:
    return model_save_audited(
        ProductModel(brand=brand, model_number=model_number, category=category, **fields), actor=actor
    )


@transaction.atomic
def equipment_create(*, site: Site, product_model: ProductModel, actor=None, **fields: Any) -> Equipment:
    """Record installed equipment. The category defaults to the product model's."""
    fields.setdefault("category", product_model.category)
    return model_save_audited(
        Equipment(site=site, product_model=product_model, **fields), actor=actor,
        organization_id=site.organization_id,
    )


@transaction.atomic
def equipment_update(*, equipment: Equipment, actor=None, **fields: Any) -> Equipment:
    if "site" in fields and fields["site"].organization_id != equipment.site.organization_id:
        raise ApplicationError("Equipment cannot move to another organisation's site.", code="cross_organization",
                               fields={"site": ["Not a site of this organisation."]})
    return model_save_audited(_apply(equipment, fields), actor=actor,
                              organization_id=equipment.site.organization_id)


@transaction.atomic
def equipment_delete(*, equipment: Equipment, actor=None) -> None:
    """Delete a unit recorded by mistake. Units with a remediation history cannot be deleted: retire them
    (status removed/replaced/disposed) so the record an auditor follows stays complete."""
    try:
        with transaction.atomic():
            model_delete_audited(equipment, actor=actor, organization_id=equipment.site.organization_id)
    except ProtectedError as exc:
        raise ApplicationError(
            "This equipment has remediation records and cannot be deleted; set its status to removed, replaced "
            "or disposed instead.", code="protected", fields={"status": ["Retire the unit instead of deleting it."]},
        ) from exc


@transaction.atomic
def component_add(*, equipment: Equipment, vendor, kind: str, actor=None, **fields: Any) -> Component:
    return model_save_audited(Component(equipment=equipment, vendor=vendor, kind=kind, **fields), actor=actor,
                              organization_id=equipment.site.organization_id)
