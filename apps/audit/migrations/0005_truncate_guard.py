"""PostgreSQL: a statement-level BEFORE TRUNCATE trigger refuses TRUNCATE of the audit table for every role,
the owner included. The row-level append-only trigger of 0003 does not fire on TRUNCATE, so until now the
owner could empty the table in one statement. (The app role also lacks the TRUNCATE privilege, audit_grants.)
No-op on SQLite, which has no TRUNCATE."""
from django.db import migrations

TRIGGER = """
DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;
CREATE TRIGGER audit_auditevent_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_append_only();
"""
REVERSE = "DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_auditevent_key_id"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
