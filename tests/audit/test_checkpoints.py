"""Signed checkpoints outside the database: events deleted from the end, a rewritten head, and a forged or cut
checkpoint file are reported, naming the checkpoint that proves it."""
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.audit.checkpoints import CHECKPOINT_FILE, audit_checkpoint_write, audit_checkpoints_read
from apps.audit.models import AuditEvent
from apps.audit.services import audit_chain_verify, audit_record
from tests.audit.test_chain import tamper
from tests.audit.test_keys import K1, K2, _unkeyed_rewrite

pytestmark = pytest.mark.django_db


@pytest.fixture
def cpdir(settings, tmp_path):
    settings.AUDIT_HMAC_KEYS = {"k1": K1}
    settings.AUDIT_HMAC_KEY_ID = "k1"
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "checkpoints"
    return settings.AUDIT_CHECKPOINT_DIR


def test_checkpoint_records_the_signed_head(cpdir):
    audit_record(action="test.one")
    last = audit_record(action="test.two")
    cp = audit_checkpoint_write()
    assert (cp.last_id, cp.last_hash, cp.count, cp.key_id) == (last.id, last.hash, 2, "k1")
    assert audit_checkpoints_read() == [cp]
    assert (cpdir / CHECKPOINT_FILE).stat().st_mode & 0o077 == 0
    verdict = audit_chain_verify()
    assert verdict.ok and verdict.checkpoints == 1


def test_deleting_the_newest_events_is_detected_by_the_checkpoint(cpdir):
    audit_record(action="test.one")
    audit_record(action="test.two")
    last = audit_record(action="test.three")
    audit_checkpoint_write()
    assert audit_chain_verify().ok
    tamper("DELETE FROM audit_auditevent WHERE id >= %s", [last.id - 1])
    verdict = audit_chain_verify()
    assert not verdict.ok and verdict.first_broken_id == last.id
    assert "deleted from the end" in verdict.reason and "checkpoint of" in verdict.reason
    with pytest.raises(CommandError, match="deleted from the end"):
        call_command("verify_audit")


def test_deleting_every_event_is_detected(cpdir):
    audit_record(action="test.one")
    audit_checkpoint_write()
    tamper("DELETE FROM audit_auditevent", [])
    verdict = audit_chain_verify()
    assert not verdict.ok and "deleted from the end" in verdict.reason


def test_a_rewritten_head_is_detected_even_with_the_key(cpdir):
    """Someone holding the key could re-sign a changed last event; the checkpoint still has the old hash."""
    from apps.audit.services import _event_hash

    audit_record(action="test.one")
    head = audit_record(action="test.two")
    audit_checkpoint_write()
    head.object_repr = "forged"
    forged = _event_hash(head.prev_hash, head)
    tamper("UPDATE audit_auditevent SET object_repr = 'forged', hash = %s WHERE id = %s", [forged, head.id])
    verdict = audit_chain_verify()
    assert not verdict.ok and verdict.first_broken_id == head.id and "rewritten" in verdict.reason


def test_a_chain_rewritten_as_legacy_is_caught_by_the_checkpoint_counts(cpdir):
    audit_record(action="test.one")
    audit_record(action="test.two")
    audit_checkpoint_write()
    tamper("UPDATE audit_auditevent SET key_id = ''", [])
    _unkeyed_rewrite(0)
    verdict = audit_chain_verify()
    assert not verdict.ok and "legacy" in verdict.reason


def test_events_after_the_checkpoint_verify_and_the_tail_is_the_api_default(cpdir, admin_user):
    from rest_framework.test import APIClient

    audit_record(action="test.one")
    cp = audit_checkpoint_write()
    audit_record(action="test.two")
    audit_record(action="test.three")
    assert audit_chain_verify().ok
    client = APIClient()
    client.force_authenticate(admin_user)
    body = client.get("/api/v1/audit-verify/").json()
    assert body["ok"] and body["since_id"] == cp.last_id and body["checked"] == 2 and body["checkpoints"] == 1
    body = client.get("/api/v1/audit-verify/", {"since_id": 0, "limit": 1}).json()
    assert body["ok"] and body["checked"] == 1 and body["complete"] is False
    assert client.get("/api/v1/audit-verify/", {"limit": 10**9}).status_code == 400
    assert client.get("/api/v1/audit-verify/", {"since_id": "x"}).status_code == 400
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [cp.last_id])
    body = client.get("/api/v1/audit-verify/").json()
    assert not body["ok"] and body["first_broken_id"] == cp.last_id and "is missing" in body["reason"]
    tamper("DELETE FROM audit_auditevent", [])
    body = client.get("/api/v1/audit-verify/").json()
    assert not body["ok"] and "deleted from the end" in body["reason"]


def test_a_forged_or_cut_checkpoint_file_is_reported(cpdir):
    audit_record(action="test.one")
    audit_checkpoint_write()
    audit_record(action="test.two")
    audit_checkpoint_write()
    path = cpdir / CHECKPOINT_FILE
    lines = path.read_text().splitlines()
    forged = json.loads(lines[1])
    forged["count"] = 1
    path.write_text(lines[0] + "\n" + json.dumps(forged) + "\n")
    verdict = audit_chain_verify()
    assert not verdict.ok and "line 2" in verdict.reason and "signature" in verdict.reason
    path.write_text(lines[0] + "\n" + lines[1] + "\n" + lines[1] + "\n")
    verdict = audit_chain_verify()
    assert not verdict.ok and "does not follow" in verdict.reason


def test_checkpoints_survive_rotation_and_fail_closed_without_their_key(cpdir, settings):
    audit_record(action="test.one")
    audit_checkpoint_write()
    settings.AUDIT_HMAC_KEYS = {"k2": K2, "k1": K1}
    settings.AUDIT_HMAC_KEY_ID = "k2"
    audit_record(action="test.two")
    cp = audit_checkpoint_write()
    assert cp.key_id == "k2"
    assert audit_chain_verify().ok
    settings.AUDIT_HMAC_KEYS = {"k2": K2}
    verdict = audit_chain_verify()
    assert not verdict.ok and "no key configured for audit key id 'k1'" in verdict.reason


def test_checkpoint_command_and_beat_entry(cpdir, capsys):
    from apps.common.schedules import DEFAULT_SCHEDULES

    audit_record(action="test.one")
    call_command("audit_checkpoint")
    assert "1 events" in capsys.readouterr().out
    call_command("verify_audit", "--require-checkpoint")
    assert "1 checkpoints matched" in capsys.readouterr().out
    assert any(task == "audit.checkpoint" for _, task, _, _ in DEFAULT_SCHEDULES)
    assert AuditEvent.objects.count() == 1


def test_verify_require_checkpoint_fails_without_one(cpdir):
    audit_record(action="test.one")
    with pytest.raises(CommandError, match="no checkpoint"):
        call_command("verify_audit", "--require-checkpoint")
