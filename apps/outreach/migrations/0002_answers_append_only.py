"""PostgreSQL: triggers refuse UPDATE, DELETE and TRUNCATE of data call answers (responses and per-question
answers) for every role, as for the audit table (audit 0003/0005). No-op on SQLite (the models refuse)."""
from django.db import migrations

TABLES = ("outreach_datacallresponse", "outreach_datacallanswer")
FUNCTION = """
CREATE OR REPLACE FUNCTION outreach_answers_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def _triggers(table: str) -> str:
    return f"""
DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};
CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION outreach_answers_append_only();
DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION outreach_answers_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)
        for table in TABLES:
            schema_editor.execute(_triggers(table), params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};"
                                  f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};", params=None)
        schema_editor.execute("DROP FUNCTION IF EXISTS outreach_answers_append_only();", params=None)


class Migration(migrations.Migration):
    dependencies = [("outreach", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
