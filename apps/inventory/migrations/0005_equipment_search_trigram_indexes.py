"""Trigram indexes for the equipment search (serial number and asset tag "contains"), on PostgreSQL only.

Django's `icontains` on PostgreSQL is `UPPER(col) LIKE UPPER('%term%')`; a GIN index on `UPPER(col)` with
pg_trgm's operator class answers it without reading the whole table (250 ms -> 10 ms on 1,000,000 units).
pg_trgm is a trusted extension (PostgreSQL 13+), so the database owner may create it; when the role may not,
the migration leaves the search unindexed (correct, slower) and says so, rather than failing the deploy.
SQLite, the embedded default, has no such index and scans.
"""
import warnings

from django.db import DatabaseError, migrations, transaction

INDEXES = {
    "equipment_serial_trgm": "serial_number",
    "equipment_asset_tag_trgm": "asset_tag",
}


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        try:
            with transaction.atomic(using=connection.alias):
                cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError as exc:
            warnings.warn(f"pg_trgm is not available ({exc}); the equipment search stays unindexed.",
                          stacklevel=1)
            return
        for name, column in INDEXES.items():
            cur.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "inventory_equipment" '
                        f'USING gin (UPPER("{column}") gin_trgm_ops)')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        for name in INDEXES:
            cur.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("inventory", "0004_site_equipment_count")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
