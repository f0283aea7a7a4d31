"""`<field>__in_ids=[...]`: a long list of integer ids as one parameter.

Django's `__in` prepares every value through the field (a few microseconds each: 2,000 ids cost milliseconds
per filter, and an evaluation chunk filters several times), then sends one placeholder per value. The batch
paths (evaluation, projection, screening of units) filter by thousands of ids per chunk, so they use this
lookup: the ids are checked to be integers once, in C, and sent to PostgreSQL as one array
(`= ANY(%s::bigint[])`, the array typed as the column); other databases get the same plain `IN (...)`. An empty
list matches nothing, as `__in` does.
Pass a set (or any iterable but a list or tuple: Django walks those value by value before the lookup sees them).

Why the array's type: psycopg2 sends a list of small ints as `integer[]`, and `bigint_column = ANY(integer[])` is
a cross-type comparison PostgreSQL cannot hash. When the planner then filters rows by it (a plan chosen on stale
statistics: a table just filled, before autovacuum analysed it), every row is compared with every id in turn:
200 ms for 17,500 plans against 2,000 ids, 14 ms with the array typed as the column (a hashed lookup).
"""
from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignKey, Lookup

INTEGER_TYPES = frozenset({"smallint", "integer", "bigint"})  # PostgreSQL's names of the id columns' types


class InIds(Lookup):
    lookup_name = "in_ids"
    prepare_rhs = False

    def get_prep_lookup(self):
        # Integers only (an id list, never user text): int() raises on anything else, so nothing is sent as is.
        return list(map(int, self.rhs))

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = self.rhs
        if not values:
            raise EmptyResultSet
        if connection.vendor == "postgresql":
            db_type = self.lhs.output_field.db_type(connection)
            cast = f"::{db_type}[]" if db_type in INTEGER_TYPES else ""
            return f"{lhs} = ANY(%s{cast})", [*lhs_params, values]
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


def register() -> None:
    Field.register_lookup(InIds)
    ForeignKey.register_lookup(InIds)
