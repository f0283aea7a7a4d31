"""The database itself refuses UPDATE and DELETE on audit rows (PostgreSQL trigger), and deleting the user
or organisation an event names leaves the event untouched."""
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from apps.audit.models import AuditEvent
from apps.audit.services import audit_chain_verify, audit_record
from tests.audit.test_chain import tamper
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

needs_postgres = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the append-only trigger exists on PostgreSQL only"
)


@needs_postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'forged' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_database_refuses_update_and_delete_of_audit_rows(sql):
    event = audit_record(action="test.one")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, [event.id])
    assert AuditEvent.objects.get(id=event.id).action == "test.one"


@needs_postgres
def test_queryset_update_is_refused_too():
    audit_record(action="test.one")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.update(action="forged")
    assert AuditEvent.objects.filter(action="forged").count() == 0


def test_deleting_the_actor_and_organisation_keeps_the_event_and_the_chain():
    user = UserFactory()
    org = OrganizationFactory()
    event = audit_record(action="test.one", actor=user, organization_id=org.id)
    user.delete()
    org.delete()
    event = AuditEvent.objects.get(id=event.id)
    assert event.actor_id is not None and event.organization_id is not None
    assert event.actor_repr == user.username
    assert audit_chain_verify().ok


def test_verify_audit_command_reports_intact_chain(capsys):
    audit_record(action="test.one")
    audit_record(action="test.two")
    call_command("verify_audit")
    assert "2 events verified" in capsys.readouterr().out


def test_verify_audit_command_fails_at_first_broken_link():
    audit_record(action="test.one")
    victim = audit_record(action="test.two")
    audit_record(action="test.three")
    tamper("UPDATE audit_auditevent SET object_repr = %s WHERE id = %s", ["forged", victim.id])
    with pytest.raises(CommandError, match=f"event id {victim.id}") as excinfo:
        call_command("verify_audit")
    assert excinfo.value.returncode == 1
    assert "1 events before it verified" in str(excinfo.value)


@needs_postgres
def test_app_role_with_documented_grants_can_insert_but_not_change_audit_rows():
    """CREATE ROLE is transactional in PostgreSQL: the role exists only inside this test's transaction."""
    from django.core.management import call_command

    from apps.audit.management.commands.audit_grants import grants_sql

    existing = audit_record(action="test.before")
    with connection.cursor() as cur:
        cur.execute("CREATE ROLE vr_test_app_role NOLOGIN")
        for sql in grants_sql("vr_test_app_role"):
            cur.execute(sql)
        cur.execute("SET LOCAL ROLE vr_test_app_role")
        try:
            event = audit_record(action="test.as_app_role")  # INSERT (and the chain's advisory lock) allowed
            for sql in ("UPDATE audit_auditevent SET action = 'x' WHERE id = %s",
                        "DELETE FROM audit_auditevent WHERE id = %s"):
                with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                    cur.execute(sql, [existing.id])
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                cur.execute("TRUNCATE audit_auditevent")
        finally:
            cur.execute("RESET ROLE")
    assert AuditEvent.objects.filter(id=event.id).exists()
    assert audit_chain_verify().ok
    call_command("audit_grants", "--app-role", "someone")  # prints without applying


@needs_postgres
def test_database_refuses_truncate_even_for_the_owner():
    """The BEFORE TRUNCATE trigger (migration 0005): the row-level trigger never sees a TRUNCATE."""
    event = audit_record(action="test.one")
    for sql in ("TRUNCATE audit_auditevent", "TRUNCATE audit_auditevent RESTART IDENTITY CASCADE"):
        with pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"), transaction.atomic(), \
                connection.cursor() as cur:
            cur.execute(sql)
    assert AuditEvent.objects.filter(id=event.id).exists()


@needs_postgres
def test_audit_grants_creates_a_restricted_login_role(monkeypatch):
    """--create-role: a login role without superuser, createdb, createrole or bypassrls (and the grants)."""
    monkeypatch.setenv("APP_DB_PASSWORD", "a-long-enough-test-password")
    call_command("audit_grants", "--app-role", "vr_test_login_role", "--create-role", "--apply")
    call_command("audit_grants", "--app-role", "vr_test_login_role", "--create-role", "--apply")  # idempotent
    with connection.cursor() as cur:
        cur.execute("SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls FROM pg_roles "
                    "WHERE rolname = 'vr_test_login_role'")
        assert cur.fetchone() == (True, False, False, False, False)
        cur.execute("SELECT has_table_privilege('vr_test_login_role', 'audit_auditevent', 'TRUNCATE'), "
                    "has_table_privilege('vr_test_login_role', 'audit_auditevent', 'INSERT')")
        assert cur.fetchone() == (False, True)


@needs_postgres
def test_audit_grants_refuses_a_short_password_and_the_owner_role(monkeypatch):
    monkeypatch.setenv("APP_DB_PASSWORD", "short")
    with pytest.raises(CommandError, match="APP_DB_PASSWORD"):
        call_command("audit_grants", "--app-role", "vr_test_login_role", "--create-role", "--apply")
    with pytest.raises(CommandError, match="owner"):
        call_command("audit_grants", "--app-role", connection.settings_dict["USER"], "--apply")
