"""The keyed chain: an attacker who can write the table but has no key cannot recompute it; rotation; a key
id that is not configured fails closed; legacy (unkeyed) rows still verify but cannot be forged as such."""
import hashlib

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.audit.models import AuditEvent
from apps.audit.services import GENESIS_HASH, _canonical, audit_chain_verify, audit_record
from tests.audit.test_chain import tamper

pytestmark = pytest.mark.django_db

K1, K2 = "k1-" + "a" * 40, "k2-" + "b" * 40


@pytest.fixture
def keys(settings):
    settings.AUDIT_HMAC_KEYS = {"k1": K1}
    settings.AUDIT_HMAC_KEY_ID = "k1"
    return settings


def _unkeyed_rewrite(start_id: int) -> None:
    """What the old review reproduced: rewrite rows from `start_id` on with recomputed *unkeyed* sha256 hashes,
    as someone with write access but without the key would (keeping each row's recorded key id)."""
    events = list(AuditEvent.objects.order_by("id"))
    prev = GENESIS_HASH
    for event in events:
        if event.id >= start_id:
            new = hashlib.sha256((prev + _canonical(event)).encode()).hexdigest()
            tamper("UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s", [prev, new, event.id])
            event.hash = new
        prev = event.hash


def test_new_events_are_signed_with_the_current_key(keys):
    event = audit_record(action="test.one")
    assert event.key_id == "k1"
    assert event.hash != hashlib.sha256((event.prev_hash + _canonical(event)).encode()).hexdigest()
    verdict = audit_chain_verify()
    assert verdict.ok and verdict.checked == 1 and verdict.legacy == 0


def test_edited_row_with_recomputed_unkeyed_hashes_is_detected(keys):
    audit_record(action="test.one")
    victim = audit_record(action="test.two", changes={"share": [10, 20]})
    audit_record(action="test.three")
    tamper("UPDATE audit_auditevent SET changes = %s WHERE id = %s", ['{"share": [10, 99]}', victim.id])
    _unkeyed_rewrite(victim.id)
    verdict = audit_chain_verify()
    assert not verdict.ok and verdict.first_broken_id == victim.id
    assert "does not match its hash" in verdict.reason


def test_relabelling_keyed_rows_as_legacy_is_detected(keys):
    """The downgrade: set key_id to '' and recompute plain sha256 hashes. A legacy row after a keyed one is
    refused."""
    first = audit_record(action="test.one")
    victim = audit_record(action="test.two")
    tamper("UPDATE audit_auditevent SET key_id = '', object_repr = 'forged' WHERE id = %s", [victim.id])
    _unkeyed_rewrite(victim.id)
    verdict = audit_chain_verify()
    assert not verdict.ok and verdict.first_broken_id == victim.id and "legacy" in verdict.reason
    assert first.key_id == "k1"


def test_legacy_rows_still_verify_and_are_counted(keys):
    """Rows written before the keys (key id empty, plain sha256) verify; the keyed rows after them carry on."""
    audit_record(action="test.old1")
    audit_record(action="test.old2")
    tamper("UPDATE audit_auditevent SET key_id = ''", [])
    _unkeyed_rewrite(0)  # as the pre-key code wrote them
    audit_record(action="test.new")
    verdict = audit_chain_verify()
    assert verdict.ok and verdict.checked == 3 and verdict.legacy == 2


def test_rotation_old_events_verify_with_their_key_id_new_ones_with_the_new_key(keys):
    old = audit_record(action="test.before_rotation")
    keys.AUDIT_HMAC_KEYS = {"k2": K2, "k1": K1}
    keys.AUDIT_HMAC_KEY_ID = "k2"
    new = audit_record(action="test.after_rotation")
    assert (old.key_id, new.key_id) == ("k1", "k2")
    verdict = audit_chain_verify()
    assert verdict.ok and verdict.checked == 2


def test_a_missing_key_for_a_recorded_id_fails_closed(keys):
    old = audit_record(action="test.before_rotation")
    keys.AUDIT_HMAC_KEYS = {"k2": K2}
    keys.AUDIT_HMAC_KEY_ID = "k2"
    audit_record(action="test.after_rotation")
    verdict = audit_chain_verify()
    assert not verdict.ok and verdict.first_broken_id == old.id
    assert "no key configured for audit key id 'k1'" in verdict.reason
    with pytest.raises(CommandError, match="no key configured"):
        call_command("verify_audit")


def test_a_wrong_secret_under_the_same_key_id_does_not_verify(keys):
    audit_record(action="test.one")
    keys.AUDIT_HMAC_KEYS = {"k1": "another-secret-" + "c" * 30}
    assert not audit_chain_verify().ok


def test_no_signing_key_refuses_to_write_an_event(keys):
    keys.AUDIT_HMAC_KEYS = {}
    keys.AUDIT_HMAC_KEY_ID = ""
    with pytest.raises(ImproperlyConfigured, match="No audit signing key"):
        audit_record(action="test.unsigned")
    keys.AUDIT_HMAC_KEYS = {"k1": K1}
    keys.AUDIT_HMAC_KEY_ID = "k9"
    with pytest.raises(ImproperlyConfigured):
        audit_record(action="test.unsigned")
    assert not AuditEvent.objects.exists()
