"""A covering index for the as-of summary (apps.remediation.summary._history_groups): each unit's latest history row
at a moment, read in (id, history_date DESC, history_id DESC) order from the index alone (PostgreSQL's
INCLUDE; the history model is django-simple-history's, so the index is created here rather than declared in a
Meta). PostgreSQL only: other databases keep the plain id index."""
from django.db import migrations

INDEX = "historicalequipment_as_of"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON inventory_historicalequipment "
            "(id, history_date DESC, history_id DESC) "
            "INCLUDE (site_id, category, quantity, product_model_id, history_type, status)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0010_bom_documents")]

    operations = [migrations.RunPython(create, drop)]
