"""PostgreSQL: a trigger refuses UPDATE and DELETE on audit rows for every role, including the table owner
(short of ALTER TABLE ... DISABLE TRIGGER, which needs ownership and is itself visible in the chain check).
No-op on SQLite (the model refuses changes; the hash chain shows any made behind its back)."""
from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""
TRIGGER = """
DROP TRIGGER IF EXISTS audit_auditevent_no_update_delete ON audit_auditevent;
CREATE TRIGGER audit_auditevent_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only();
"""
REVERSE = """
DROP TRIGGER IF EXISTS audit_auditevent_no_update_delete ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_auditevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)
        schema_editor.execute(TRIGGER, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_alter_auditevent_actor_alter_auditevent_organization"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
