"""Vendor services not covered by test_models.py / test_writes.py: aliases and identifiers (stored canonical,
audited, refused by field), links recorded by name with typo suggestions, OEM relations, ownership updates that
would close a loop, and the change hooks the screening app subscribes to (on commit only)."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.audit.models import AuditEvent
from apps.audit.services import audit_chain_verify
from apps.common import events as domain_events
from apps.common.exceptions import ApplicationError
from apps.vendors.choices import IdentifierScheme
from apps.vendors.models import OemRelation, Ownership, Vendor, VendorAlias, VendorIdentifier
from apps.vendors.services import (
    oem_relation_create,
    oem_relation_record,
    ownership_create,
    ownership_record,
    ownership_update,
    vendor_alias_add,
    vendor_create,
    vendor_identifier_add,
    vendor_identifier_delete,
    vendor_update,
)
from tests.conftest import events_recorded
from tests.factories import (
    MembershipFactory,
    OwnershipFactory,
    UserFactory,
    VendorAliasFactory,
    VendorFactory,
    VendorIdentifierFactory,
)

pytestmark = pytest.mark.django_db


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


@pytest.fixture
def changed():
    """The ids each VendorsChanged event delivered (the real subscribers,
    e.g. screening's, are replaced for the test)."""
    with events_recorded(domain_events.VendorsChanged) as seen:
        yield seen


def _ids(seen) -> list[set[int]]:
    return [set(e.vendor_ids) for e in seen]


# --- vendors ------------------------------------------------------------------------------------------------

def test_vendor_create_refuses_a_blank_name_and_a_taken_one():
    VendorFactory(name="Taken Name Ltd")
    with pytest.raises(ValidationError) as exc:
        vendor_create(name="   ")
    assert "name" in exc.value.message_dict
    with pytest.raises(ValidationError):
        vendor_create(name="  Taken   Name Ltd ")  # the same name once its spaces are normalised
    assert Vendor.objects.count() == 1 and not events("vendor.create")


def test_vendor_create_records_the_actor_and_one_event_per_row():
    officer = MembershipFactory(user=UserFactory(username="officer-x"), role="officer").user
    vendor = vendor_create(name="Example Cranes", actor=officer, aliases=[{"name": "EXC"}, {"name": "Ex Cranes"}],
                           identifiers=[{"scheme": "duns", "value": "150483782"}])
    assert [e.action for e in AuditEvent.objects.order_by("id")] == [
        "vendor.create", "vendoralias.create", "vendoralias.create", "vendoridentifier.create"]
    assert {e.actor_repr for e in AuditEvent.objects.all()} == {"officer-x"}
    assert vendor.history.get().history_user == officer
    assert audit_chain_verify().ok


def test_vendor_create_and_update_call_the_change_hooks_on_commit(changed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        vendor = vendor_create(name="Hooked Co")
    assert _ids(changed) == [{vendor.pk}] and len(callbacks) == 1
    with django_capture_on_commit_callbacks(execute=True):
        vendor_update(vendor=vendor, name="Hooked Co")  # no change: no re-screening
    assert _ids(changed) == [{vendor.pk}]
    with django_capture_on_commit_callbacks(execute=True):
        vendor_update(vendor=vendor, website="https://hooked.example")
    assert _ids(changed) == [{vendor.pk}, {vendor.pk}]


def test_a_refused_vendor_write_calls_no_hook(changed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ValidationError):
        vendor_create(name="Rolled Back Co", identifiers=[{"scheme": "duns", "value": "123"}])
    assert callbacks == [] and _ids(changed) == []


# --- aliases ------------------------------------------------------------------------------------------------

def test_vendor_alias_add_normalises_spaces_and_is_audited(changed, django_capture_on_commit_callbacks):
    vendor = VendorFactory()
    with django_capture_on_commit_callbacks(execute=True):
        alias = vendor_alias_add(vendor=vendor, name="  Zhen   Hua ", kind="transliteration", language="zh-Latn")
    assert (alias.name, alias.kind, alias.language) == ("Zhen Hua", "transliteration", "zh-Latn")
    [event] = events("vendoralias.create")
    assert event.object_id == str(alias.pk) and event.changes["name"] == [None, "Zhen Hua"]
    assert _ids(changed) == [{vendor.pk}]


def test_vendor_alias_add_refuses_blank_duplicate_and_unknown_kind():
    vendor = VendorFactory()
    vendor_alias_add(vendor=vendor, name="ZPMC")
    for name, kind, field in (("  ", "trade_name", "name"), ("ZPMC", "trade_name", "__all__"),
                              ("Other", "nickname", "kind")):
        with pytest.raises(ValidationError) as exc:
            vendor_alias_add(vendor=vendor, name=name, kind=kind)
        assert field in exc.value.message_dict
    assert list(vendor.aliases.values_list("name", flat=True)) == ["ZPMC"]
    assert len(events("vendoralias.create")) == 1


def test_two_vendors_may_share_an_alias():
    vendor_alias_add(vendor=VendorFactory(), name="Group Trading")
    vendor_alias_add(vendor=VendorFactory(), name="Group Trading")
    assert VendorAlias.objects.filter(name="Group Trading").count() == 2


# --- identifiers --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("scheme", "typed", "stored"), [
    (IdentifierScheme.LEI, "5493 001K JTII GC8Y 1R12", "5493001KJTIIGC8Y1R12"),
    (IdentifierScheme.USCC, "91330000733796106p", "91330000733796106P"),
    (IdentifierScheme.UEI, "j7m9-hptg-j1s9", "J7M9HPTGJ1S9"),
    (IdentifierScheme.DUNS, "15.048.3782", "150483782"),
])
def test_vendor_identifier_add_stores_the_canonical_value(scheme, typed, stored):
    ident = vendor_identifier_add(vendor=VendorFactory(), scheme=scheme, value=typed)
    assert VendorIdentifier.objects.get(pk=ident.pk).value == stored
    [event] = events("vendoridentifier.create")
    assert event.changes["value"] == [None, stored]


def test_registration_numbers_are_stored_canonical_and_are_unique_per_country():
    first = vendor_identifier_add(vendor=VendorFactory(), scheme="registration", value=" hrb   1234 ", country="DE")
    assert first.value == "HRB1234"  # one canonical form (apps.vendors.identifiers.identifier_canonical)
    vendor_identifier_add(vendor=VendorFactory(), scheme="registration", value="HRB 1234", country="AT")
    with pytest.raises(ValidationError):
        vendor_identifier_add(vendor=VendorFactory(), scheme="registration", value="hrb-1234", country="DE")
    assert VendorIdentifier.objects.filter(value="HRB1234").count() == 2


def test_vendor_identifier_add_refuses_an_unknown_scheme():
    with pytest.raises(ValidationError) as exc:
        vendor_identifier_add(vendor=VendorFactory(), scheme="vat", value="DE123456789")
    assert "scheme" in exc.value.message_dict
    assert not VendorIdentifier.objects.exists()


def test_vendor_identifier_delete_is_audited_and_a_second_delete_is_not_found(changed,
                                                                              django_capture_on_commit_callbacks):
    ident = VendorIdentifierFactory(value="150483782")
    copy = VendorIdentifier.objects.get(pk=ident.pk)
    with django_capture_on_commit_callbacks(execute=True):
        vendor_identifier_delete(identifier=ident)
    with pytest.raises(ApplicationError) as exc:
        vendor_identifier_delete(identifier=copy)
    assert exc.value.code == "not_found"
    [event] = events("vendoridentifier.delete")
    assert event.changes["value"] == ["150483782", None] and event.object_id == str(copy.pk)
    assert _ids(changed) == [{ident.vendor_id}]


# --- ownership ----------------------------------------------------------------------------------------------

def test_ownership_update_that_would_close_a_loop_is_refused():
    a, b, c = VendorFactory(), VendorFactory(), VendorFactory()
    ownership_create(owner=a, owned=b)
    link = ownership_create(owner=b, owned=c)
    with pytest.raises(ValidationError) as exc:
        ownership_update(ownership=link, owned=a)  # b would own a, which owns b
    assert "cycle" in exc.value.message_dict["owner"][0]
    link.refresh_from_db()
    assert link.owned == c and not events("ownership.update")


def test_ownership_update_reports_both_the_old_and_new_owned_vendor(changed, django_capture_on_commit_callbacks):
    owner, old, new = VendorFactory(), VendorFactory(), VendorFactory()
    link = OwnershipFactory(owner=owner, owned=old)
    with django_capture_on_commit_callbacks(execute=True):
        ownership_update(ownership=link, owned=new)
    assert _ids(changed) == [{old.pk, new.pk}]


def test_ownership_end_date_before_start_is_refused():
    with pytest.raises(ValidationError) as exc:
        ownership_create(owner=VendorFactory(), owned=VendorFactory(), start_date=dt.date(2024, 1, 1),
                         end_date=dt.date(2023, 12, 31))
    assert "end_date" in exc.value.message_dict
    assert not Ownership.objects.exists()


def test_shares_of_periods_that_do_not_overlap_are_not_added_up():
    owned = VendorFactory(name="Changed Hands Co")
    ownership_create(owner=VendorFactory(), owned=owned, share_percent=Decimal("100"),
                     start_date=dt.date(2010, 1, 1), end_date=dt.date(2019, 12, 31))
    ownership_create(owner=VendorFactory(), owned=owned, share_percent=Decimal("100"),
                     start_date=dt.date(2020, 1, 1))
    with pytest.raises(ValidationError) as exc:  # undated: overlaps the 100% held since 2020
        ownership_create(owner=VendorFactory(), owned=owned, share_percent=Decimal("0.001"))
    assert "would total" in exc.value.message_dict["share_percent"][0]
    assert Ownership.objects.filter(owned=owned).count() == 2


def test_a_stake_held_across_a_change_of_majority_owner_is_accepted():
    owned = VendorFactory()
    ownership_create(owner=VendorFactory(), owned=owned, share_percent=Decimal("60"),
                     start_date=dt.date(2010, 1, 1), end_date=dt.date(2019, 12, 31))
    ownership_create(owner=VendorFactory(), owned=owned, share_percent=Decimal("60"), start_date=dt.date(2020, 1, 1))
    ownership_create(owner=VendorFactory(), owned=owned, share_percent=Decimal("30"))  # at most 90% on any day
    assert Ownership.objects.filter(owned=owned).count() == 3
    # Links in force on the same day still add up: 90% + 20% in 2021 is refused, naming the day's total.
    with pytest.raises(ValidationError) as exc:
        ownership_create(owner=VendorFactory(), owned=owned, share_percent=Decimal("20"),
                         start_date=dt.date(2021, 1, 1), end_date=dt.date(2021, 6, 30))
    assert "would total 110" in str(exc.value)
    # ... but 20% only while the first owner held its stake, and the 30% holder too: 110% as well.
    with pytest.raises(ValidationError):
        ownership_create(owner=VendorFactory(), owned=owned, share_percent=Decimal("20"),
                         start_date=dt.date(2019, 12, 31), end_date=dt.date(2019, 12, 31))
    # The day after the first link ends and before the second starts does not exist here: 60% + 30% + 10% fits.
    ownership_create(owner=VendorFactory(), owned=owned, share_percent=Decimal("10"), start_date=dt.date(2015, 1, 1))


def test_ownership_record_finds_the_owner_by_legal_name_or_alias_in_any_case():
    owned = VendorFactory(name="ZPMC")
    owner = VendorFactory(name="China Communications Construction Company Limited")
    VendorAliasFactory(vendor=owner, name="CCCC")
    link = ownership_record(owned=owned, owner=" cccc ", share_percent=Decimal("16.2"), source="annual report")
    assert (link.owner, link.owned, link.share_percent) == (owner, owned, Decimal("16.2"))
    [event] = events("ownership.create")
    assert event.object_id == str(link.pk)


def test_ownership_record_prefers_a_legal_name_over_another_vendors_alias():
    legal = VendorFactory(name="Acme")
    VendorAliasFactory(vendor=VendorFactory(name="Acme Holdings International"), name="ACME")
    link = ownership_record(owned=VendorFactory(), owner="acme")
    assert link.owner == legal


def test_ownership_record_of_an_unknown_owner_suggests_close_names_and_records_nothing():
    VendorFactory(name="China Communications Construction Company Limited")
    owned = VendorFactory(name="ZPMC")
    with pytest.raises(ApplicationError) as exc:
        ownership_record(owned=owned, owner="China Comunications Construction Company Limited")
    assert exc.value.code == "unknown_vendor" and set(exc.value.fields) == {"owner"}
    assert "Did you mean \u201cChina Communications Construction Company Limited\u201d?" in exc.value.fields["owner"][0]
    assert not Ownership.objects.exists() and not events("ownership.create")


def test_a_name_of_one_character_gets_no_suggestion():
    VendorFactory(name="X Corp")
    with pytest.raises(ApplicationError) as exc:
        ownership_record(owned=VendorFactory(), owner="X")
    assert "Check the spelling, or add the vendor first." in exc.value.fields["owner"][0]


# --- OEM relations ------------------------------------------------------------------------------------------

def test_oem_relation_record_by_name_is_audited_and_reports_the_brand(changed, django_capture_on_commit_callbacks):
    brand, maker = VendorFactory(name="White Label Cams"), VendorFactory(name="Real Camera Maker")
    with django_capture_on_commit_callbacks(execute=True):
        rel = oem_relation_record(brand=brand, manufacturer="real camera maker", category="camera",
                                  confidence="confirmed", source="teardown report")
    assert (rel.brand, rel.manufacturer, rel.category, rel.confidence) == (brand, maker, "camera", "confirmed")
    assert events("oemrelation.create")[0].object_id == str(rel.pk)
    assert _ids(changed) == [{brand.pk}]


def test_oem_relation_record_of_an_unknown_maker_is_refused_on_the_manufacturer_field():
    with pytest.raises(ApplicationError) as exc:
        oem_relation_record(brand=VendorFactory(), manufacturer="Nobody Manufacturing")
    assert exc.value.code == "unknown_vendor" and set(exc.value.fields) == {"manufacturer"}
    assert not OemRelation.objects.exists()


def test_oem_relation_is_unique_per_category_and_refuses_an_unknown_category():
    brand, maker = VendorFactory(), VendorFactory()
    oem_relation_create(brand=brand, manufacturer=maker, category="camera")
    oem_relation_create(brand=brand, manufacturer=maker, category="nvr_vms")
    oem_relation_create(brand=brand, manufacturer=maker)  # every category
    with pytest.raises(ValidationError):
        oem_relation_create(brand=brand, manufacturer=maker, category="camera")
    with pytest.raises(ValidationError) as exc:
        oem_relation_create(brand=brand, manufacturer=maker, category="toaster")
    assert "category" in exc.value.message_dict
    assert OemRelation.objects.filter(brand=brand).count() == 3
    assert len(events("oemrelation.create")) == 3
