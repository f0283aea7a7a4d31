import pytest
from django.db import connection

from apps.audit.models import AuditEvent
from apps.audit.services import audit_chain_verify, audit_record

pytestmark = pytest.mark.django_db


def tamper(sql: str, params: list) -> None:
    """Change audit rows behind the application's back, as a database owner could: on PostgreSQL that means
    disabling the append-only trigger first (only the table owner can)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_no_update_delete")
        cur.execute(sql, params)
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_no_update_delete")


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
    tamper("UPDATE audit_auditevent SET changes = %s WHERE id = %s", ['{"share": [10, 99]}', victim.id])
    verdict = audit_chain_verify()
    assert not verdict.ok and verdict.first_broken_id == victim.id


def test_deleted_event_breaks_the_chain_at_the_next_row():
    audit_record(action="test.one")
    victim = audit_record(action="test.two")
    after = audit_record(action="test.three")
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [victim.id])
    verdict = audit_chain_verify()
    assert not verdict.ok and verdict.first_broken_id == after.id
    assert "prev_hash" in verdict.reason


def test_audit_events_cannot_be_changed_through_the_orm():
    event = audit_record(action="test.one")
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    assert AuditEvent.objects.count() == 1


def test_api_reports_the_first_broken_link(admin_user):
    from rest_framework.test import APIClient

    audit_record(action="test.one")
    victim = audit_record(action="test.two")
    client = APIClient()
    client.force_authenticate(admin_user)
    body = client.get("/api/v1/audit-verify/").json()
    assert body["ok"] is True and body["first_broken_id"] is None and body["checked"] == 2
    tamper("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["test.forged", victim.id])
    body = client.get("/api/v1/audit-verify/").json()
    assert body["ok"] is False and body["first_broken_id"] == victim.id
    assert APIClient().get("/api/v1/audit-verify/").status_code == 401
