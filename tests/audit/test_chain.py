import pytest
from django.db import connection

from apps.audit.models import AuditEvent
from apps.audit.services import audit_chain_verify, audit_record

pytestmark = pytest.mark.django_db


def test_events_form_a_hash_chain_that_verifies():
    first = audit_record(action="test.one", changes={"a": [1, 2]})
    second = audit_record(action="test.two")
    assert second.prev_hash == first.hash
    verdict = audit_chain_verify()
    assert verdict.ok and verdict.checked == 2


def test_tampered_event_breaks_the_chain_at_that_row():
    audit_record(action="test.one")
    victim = audit_record(action="test.two", changes={"share": [10, 20]})
    audit_record(action="test.three")
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditevent SET changes = %s WHERE id = %s", ['{"share": [10, 99]}', victim.id])
    verdict = audit_chain_verify()
    assert not verdict.ok and verdict.first_broken_id == victim.id


def test_audit_events_cannot_be_changed_through_the_orm():
    event = audit_record(action="test.one")
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    assert AuditEvent.objects.count() == 1
