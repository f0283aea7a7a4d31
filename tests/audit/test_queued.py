"""Events recorded inside audited_transaction() join the chain at the end of the outermost block, in order;
a nested block that fails drops its events with its rows."""
import pytest

from apps.audit.models import AuditEvent
from apps.audit.services import audit_chain_verify, audit_record, audited_transaction

pytestmark = pytest.mark.django_db


def test_events_are_appended_when_the_outermost_block_ends():
    with audited_transaction():
        audit_record(action="test.one")
        with audited_transaction():
            audit_record(action="test.two")
        assert not AuditEvent.objects.exists()  # queued: the chain lock is not taken yet
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.one", "test.two"]
    assert audit_chain_verify().ok


def test_a_failed_nested_block_drops_its_events_only():
    with audited_transaction():
        audit_record(action="test.kept")
        with pytest.raises(ValueError), audited_transaction():
            audit_record(action="test.dropped")
            raise ValueError
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.kept"]


def test_a_failed_outermost_block_appends_nothing():
    with pytest.raises(ValueError), audited_transaction():
        audit_record(action="test.dropped")
        raise ValueError
    assert not AuditEvent.objects.exists()
