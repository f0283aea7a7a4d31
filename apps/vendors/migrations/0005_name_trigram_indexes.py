"""Trigram indexes for the pre-purchase check's registry look-up (a vendor name or alias "contains" a distinctive
word of the checked name), on PostgreSQL only; the same pattern as inventory 0005.

Django's `icontains` on PostgreSQL is `UPPER(col) LIKE UPPER('%word%')`; a GIN index on `UPPER(col)` with
pg_trgm's operator class answers it without reading the whole table. When the role may not create pg_trgm, the
look-up stays unindexed (correct, slower) and the migration says so rather than failing the deploy.
"""
import warnings

from django.db import DatabaseError, migrations, transaction

INDEXES = {
    "vendor_name_trgm": ("vendors_vendor", "name"),
    "vendoralias_name_trgm": ("vendors_vendoralias", "name"),
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
            warnings.warn(f"pg_trgm is not available ({exc}); the registry look-up of checks stays unindexed.",
                          stacklevel=1)
            return
        for name, (table, column) in INDEXES.items():
            cur.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin (UPPER("{column}") gin_trgm_ops)')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        for name in INDEXES:
            cur.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("vendors", "0004_change_proposal")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
