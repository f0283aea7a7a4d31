"""Vendor updates and link deletes: re-read under a lock, only changed fields written, one audit event per
effective change, a link already deleted is not found."""
from decimal import Decimal

import pytest

from apps.audit.models import AuditEvent
from apps.common.exceptions import ApplicationError
from apps.vendors.models import OemRelation, Ownership, Vendor, VendorAlias
from apps.vendors.services import (
    oem_relation_create,
    oem_relation_delete,
    ownership_create,
    ownership_delete,
    ownership_update,
    vendor_alias_add,
    vendor_alias_delete,
    vendor_update,
)
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db


def events(action: str, obj) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_id=str(obj.pk)).order_by("id"))


def test_vendor_update_from_a_stale_copy_keeps_the_other_field():
    vendor = VendorFactory(name="Acme Port Systems", website="")
    copy_a, copy_b = Vendor.objects.get(pk=vendor.pk), Vendor.objects.get(pk=vendor.pk)
    vendor_update(vendor=copy_a, name="Acme Port Systems Ltd")
    vendor_update(vendor=copy_b, website="https://acme.example")
    vendor.refresh_from_db()
    assert (vendor.name, vendor.website) == ("Acme Port Systems Ltd", "https://acme.example")
    rename, site = events("vendor.update", vendor)
    assert set(rename.changes) == {"name"} and set(site.changes) == {"website"}
    assert rename.changes["name"][0] == "Acme Port Systems"


def test_vendor_update_that_changes_nothing_records_no_event():
    vendor = VendorFactory(name="Same Name Co")
    vendor_update(vendor=vendor, name="Same Name Co")
    assert events("vendor.update", vendor) == []


def test_ownership_update_reads_before_values_from_the_locked_row():
    owner, owned = VendorFactory(), VendorFactory()
    link = ownership_create(owner=owner, owned=owned, share_percent=Decimal("20"))
    stale = Ownership.objects.get(pk=link.pk)
    ownership_update(ownership=link, share_percent=Decimal("30"))
    ownership_update(ownership=stale, share_percent=Decimal("40"))
    first, second = events("ownership.update", link)
    assert [Decimal(v) for v in first.changes["share_percent"]] == [20, 30]
    assert [Decimal(v) for v in second.changes["share_percent"]] == [30, 40]  # the row's 30, not the copy's 20


def test_alias_delete_twice_records_one_event_and_the_second_is_not_found():
    alias = vendor_alias_add(vendor=VendorFactory(), name="APS")
    copy = VendorAlias.objects.get(pk=alias.pk)
    vendor_alias_delete(alias=alias)
    with pytest.raises(ApplicationError) as exc:
        vendor_alias_delete(alias=copy)
    assert exc.value.code == "not_found"
    [event] = events("vendoralias.delete", copy)
    assert event.changes["name"] == ["APS", None]


def test_ownership_and_oem_delete_of_a_deleted_link_is_not_found():
    owner, owned = VendorFactory(), VendorFactory()
    link = ownership_create(owner=owner, owned=owned, share_percent=Decimal("10"))
    relation = oem_relation_create(brand=owned, manufacturer=owner)
    for delete, obj, model in ((ownership_delete, {"ownership": link}, Ownership),
                               (oem_relation_delete, {"relation": relation}, OemRelation)):
        copy = model.objects.get(pk=next(iter(obj.values())).pk)
        delete(**obj)
        with pytest.raises(ApplicationError) as exc:
            delete(**{next(iter(obj)): copy})
        assert exc.value.code == "not_found"
        assert len(events(f"{model._meta.model_name}.delete", copy)) == 1
