from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.audit.models import AuditEvent
from apps.vendors.choices import IdentifierScheme
from apps.vendors.models import Ownership, VendorIdentifier
from apps.vendors.services import (
    oem_relation_create,
    ownership_create,
    ownership_update,
    vendor_create,
    vendor_identifier_add,
)
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db


def test_vendor_create_with_aliases_and_identifiers_records_audit_and_history():
    vendor = vendor_create(
        name="  Hangzhou   Hikvision Digital Technology Co., Ltd. ",
        country_of_incorporation="CN",
        aliases=[{"name": "Hikvision", "kind": "trade_name"}],
        identifiers=[{"scheme": "uscc", "value": "91330000733796106p", "country": "CN"}],
    )
    assert vendor.name == "Hangzhou Hikvision Digital Technology Co., Ltd."
    assert vendor.identifiers.get().value == "91330000733796106P"
    assert AuditEvent.objects.filter(action="vendor.create", object_id=str(vendor.pk)).exists()
    assert vendor.history.count() == 1


def test_vendor_create_rejects_invalid_country_and_stores_nothing():
    with pytest.raises(ValidationError) as exc:
        vendor_create(name="Bad Country Ltd", country_of_incorporation="XX")
    assert "country_of_incorporation" in exc.value.message_dict
    assert not AuditEvent.objects.exists()


def test_vendor_create_is_all_or_nothing_when_an_identifier_is_bad():
    with pytest.raises(ValidationError) as exc:
        vendor_create(name="Half Written Ltd", identifiers=[{"scheme": "lei", "value": "5493001KJTIIGC8Y1R13"}])
    assert "value" in exc.value.message_dict
    from apps.vendors.models import Vendor

    assert not Vendor.objects.filter(name="Half Written Ltd").exists()


@pytest.mark.parametrize(
    ("scheme", "value", "ok"),
    [
        (IdentifierScheme.LEI, "5493001KJTIIGC8Y1R12", True),
        (IdentifierScheme.LEI, "5493001KJTIIGC8Y1R13", False),  # bad check digits
        (IdentifierScheme.USCC, "91330000733796106P", True),
        (IdentifierScheme.USCC, "91330000733796106A", False),
        (IdentifierScheme.UEI, "J7M9HPTGJ1S9", True),
        (IdentifierScheme.UEI, "0ABCDEFGHJKL", False),  # starts with 0
        (IdentifierScheme.UEI, "ABCDEFGHIJKL", False),  # contains I
        (IdentifierScheme.DUNS, "15-048-3782", True),
        (IdentifierScheme.DUNS, "12345678", False),
    ],
)
def test_vendor_identifier_format_is_validated_per_scheme(scheme, value, ok):
    vendor = VendorFactory()
    if ok:
        ident = vendor_identifier_add(vendor=vendor, scheme=scheme, value=value)
        assert ident.pk
    else:
        with pytest.raises(ValidationError) as exc:
            vendor_identifier_add(vendor=vendor, scheme=scheme, value=value)
        assert "value" in exc.value.message_dict
        assert not VendorIdentifier.objects.exists()


def test_registration_number_needs_country():
    with pytest.raises(ValidationError) as exc:
        vendor_identifier_add(vendor=VendorFactory(), scheme=IdentifierScheme.REGISTRATION, value="HRB 1234")
    assert "country" in exc.value.message_dict


def test_same_identifier_on_two_vendors_is_refused():
    vendor_identifier_add(vendor=VendorFactory(), scheme="duns", value="150483782")
    with pytest.raises(ValidationError):
        vendor_identifier_add(vendor=VendorFactory(), scheme="duns", value="150-483-782")


def test_ownership_create_rejects_cycle():
    a, b, c = VendorFactory(), VendorFactory(), VendorFactory()
    ownership_create(owner=a, owned=b, share_percent=Decimal("60"))
    ownership_create(owner=b, owned=c, share_percent=Decimal("60"))
    with pytest.raises(ValidationError) as exc:
        ownership_create(owner=c, owned=a, share_percent=Decimal("10"))
    assert "cycle" in exc.value.message_dict["owner"][0]
    assert Ownership.objects.count() == 2


def test_ownership_create_rejects_self_ownership():
    a = VendorFactory()
    with pytest.raises(ValidationError) as exc:
        ownership_create(owner=a, owned=a)
    assert "owner" in exc.value.message_dict


@pytest.mark.parametrize("share", [Decimal("-1"), Decimal("100.5")])
def test_ownership_share_outside_0_100_is_refused(share):
    with pytest.raises(ValidationError) as exc:
        ownership_create(owner=VendorFactory(), owned=VendorFactory(), share_percent=share)
    assert "share_percent" in exc.value.message_dict


def test_ownership_total_above_100_is_refused_with_clear_message():
    target = VendorFactory(name="Target Co")
    ownership_create(owner=VendorFactory(), owned=target, share_percent=Decimal("70"))
    with pytest.raises(ValidationError) as exc:
        ownership_create(owner=VendorFactory(), owned=target, share_percent=Decimal("40"))
    message = exc.value.message_dict["share_percent"][0]
    assert "110" in message and "Target Co" in message
    # a non-overlapping period does not count against the total
    import datetime as dt

    Ownership.objects.update(end_date=dt.date(2019, 12, 31))
    ownership_create(owner=VendorFactory(), owned=target, share_percent=Decimal("40"), start_date=dt.date(2020, 1, 1))


def test_ownership_update_that_would_exceed_100_leaves_row_unchanged():
    target = VendorFactory()
    ownership_create(owner=VendorFactory(), owned=target, share_percent=Decimal("50"))
    link = ownership_create(owner=VendorFactory(), owned=target, share_percent=Decimal("30"))
    with pytest.raises(ValidationError):
        ownership_update(ownership=link, share_percent=Decimal("60"))
    link.refresh_from_db()
    assert link.share_percent == Decimal("30")


def test_unknown_share_is_allowed_and_not_counted():
    target = VendorFactory()
    ownership_create(owner=VendorFactory(), owned=target, share_percent=Decimal("100"))
    link = ownership_create(owner=VendorFactory(), owned=target, share_percent=None, kind="control")
    assert link.share_percent is None and not link.share_known


def test_oem_relation_rejects_brand_as_its_own_manufacturer():
    v = VendorFactory()
    with pytest.raises(ValidationError) as exc:
        oem_relation_create(brand=v, manufacturer=v)
    assert "manufacturer" in exc.value.message_dict
