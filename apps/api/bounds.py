"""Bounds on the API's query parameters, so that every request the OpenAPI schema allows fits in the
server's request line and a longer value gets the API's own JSON 400 rather than the web server's page.

gunicorn reads at most `REQUEST_LINE_LIMIT` bytes of request line (`--limit-request-line 8190`, its
maximum; see the Dockerfile, docker-compose.yml and bench/bench_load.py). A query value may cost up to 12
bytes per character there (a 4-byte UTF-8 character, percent-encoded), so the bounds are set per kind of
parameter and `tests/api/test_bounds.py` checks that the longest request the schema allows for every
operation still fits:

- a text filter (`q`, `identifier`, a code): at most the column it compares with (an exact match cannot be
  longer), and at most `TEXT_MAX_LENGTH` characters for a search (`contains`) or a filter with a method;
- a repeated filter (`site=1&site=2`): as many values as it has choices, or `MAX_VALUES` ids;
- a number: a signed 64-bit integer, as the database stores ids (checked before the query runs);
- `ordering`, `limit` and `cursor` are bounded by the viewsets and the paginator themselves.

The FilterSets stay shared with the web UI unchanged: the API uses `bounded_filterset(...)` of them. Only a
request beyond these bounds can be longer than the request line; gunicorn then answers 400 as text/html by
itself, which the schema's 400 answers say (apps.api.schema).
"""
from __future__ import annotations

import copy
import functools
from decimal import Decimal, InvalidOperation

import django_filters
from django.core.exceptions import FieldDoesNotExist
from rest_framework import exceptions

REQUEST_LINE_LIMIT = 8190
TEXT_MAX_LENGTH = 100
MAX_VALUES = 50
MAX_DB_INT = 2**63
EXACT_LOOKUPS = ("exact", "iexact")
MULTI_FILTERS = (django_filters.MultipleChoiceFilter, django_filters.ModelMultipleChoiceFilter)
NUMBER_FILTERS = (django_filters.NumberFilter, django_filters.ModelChoiceFilter,
                  django_filters.ModelMultipleChoiceFilter)


def _column(model, path: str | None):
    """The model field at ORM `path` ("site__country"), or None when the path names no field."""
    if not path:
        return None
    field = None
    for part in path.split("__"):
        if model is None:
            return None
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        model = field.related_model if field.is_relation else None
    return field


def text_max_length(filter_: django_filters.Filter, model) -> int:
    """The longest value a text filter accepts: its own `max_length`, else the column's for an exact match,
    else the shorter of the column's and `TEXT_MAX_LENGTH` (a search, or a filter with a method)."""
    explicit = filter_.extra.get("max_length")
    if explicit:
        return explicit
    column = None if filter_.method else _column(model, filter_.field_name)
    column_length = getattr(column, "max_length", None)
    if column_length and filter_.lookup_expr in EXACT_LOOKUPS:
        return column_length
    return min(column_length or TEXT_MAX_LENGTH, TEXT_MAX_LENGTH)


def max_values(filter_: django_filters.Filter) -> int:
    """How many times a multi-value filter may be repeated: once per choice, or `MAX_VALUES` ids."""
    choices = filter_.extra.get("choices")
    if isinstance(choices, list | tuple) and choices:
        return min(len(choices), MAX_VALUES)
    return MAX_VALUES


@functools.cache
def bounded_filterset(filterset_class: type) -> type:
    """The same FilterSet with a `max_length` on every text filter, so its form refuses a longer value
    (a 400 with the API's error shape) and the schema can say `maxLength`."""
    model = filterset_class._meta.model
    bounded = {}
    for name, declared in filterset_class.base_filters.items():
        if isinstance(declared, django_filters.CharFilter):
            declared = copy.deepcopy(declared)
            declared.extra["max_length"] = text_max_length(declared, model)
            bounded[name] = declared
    return type(filterset_class.__name__, (filterset_class,), bounded)


def check_query_bounds(filterset_class: type | None, query_params) -> None:
    """Refuse, with a 400 on the parameter, a multi-value filter repeated more often than it may be and
    numbers beyond 64 bits (SQLite overflows, PostgreSQL aborts the transaction) before the query runs.
    Text lengths are checked by the filters' own forms."""
    if filterset_class is None:
        return
    for name, declared in filterset_class.base_filters.items():
        values = query_params.getlist(name)
        if not values:
            continue
        if isinstance(declared, MULTI_FILTERS) and len(values) > max_values(declared):
            raise exceptions.ValidationError({name: [f"At most {max_values(declared)} values."]})
        if isinstance(declared, NUMBER_FILTERS):
            for value in values:
                try:
                    number = Decimal(value)
                except (InvalidOperation, ValueError):
                    continue  # the filter's own form reports it
                if not number.is_finite() or abs(number) >= MAX_DB_INT:
                    raise exceptions.ValidationError({name: ["The number is out of range."]})
