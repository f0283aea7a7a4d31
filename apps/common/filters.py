"""Filter pieces shared by the FilterSets of several apps (vendors and equipment both carry a risk status)."""
from __future__ import annotations

import functools
import operator

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from simple_history.models import HistoricalChanges

from .choices import RiskStatus

RISK_STATUS_CHOICES = RiskStatus.choices
MAX_DB_INT = 2**63 - 1  # ids are bigint columns


def risk_status_filter(queryset, value):
    """The stored status; past statuses are not stored (history answers compute them from findings)."""
    if not value:
        return queryset
    if issubclass(queryset.model, HistoricalChanges):  # an as_of answer reads the row history: no status there
        raise ValidationError({"risk_status": ["Cannot be combined with as_of: the status then is computed from "
                                               "the findings open then; read it in the answer."]})
    if "view_risk_status" in queryset.query.annotations:  # the status in the view asked for (vendors)
        return queryset.filter(view_risk_status__in=value)
    return queryset.filter(risk_status__in=value)


def any_of(queryset: QuerySet, value, *lookups: str) -> QuerySet:
    """The rows where any of the ORM `lookups` ("code__icontains", "closed_at__gte") matches `value`, as one OR;
    every row when no value is given. The searches over several columns (`q`, `changed_since`) use it."""
    if not value:
        return queryset
    return queryset.filter(functools.reduce(operator.or_, (Q(**{lookup: value}) for lookup in lookups)))


def yes_no(queryset: QuerySet, value: bool | None, condition) -> QuerySet:
    """A yes/no filter (`overdue`, `active`): the rows meeting `condition` (a Q or an Exists) for yes, the others
    for no, every row when the filter is not given."""
    if value is None:
        return queryset
    return queryset.filter(condition) if value else queryset.exclude(condition)


def date_range(field_name: str, filter_class: type[django_filters.Filter] = django_filters.DateFilter):
    """The `<name>_after` and `<name>_before` filters of a date or time column, both bounds included:
    `installed_after, installed_before = date_range("installed_date")`."""
    after = filter_class(field_name=field_name, lookup_expr="gte")
    before = filter_class(field_name=field_name, lookup_expr="lte")
    return after, before


class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number the database can hold (a signed 64-bit integer). A larger one is a form error
    (400 with the field in the API, the field's message on a page), never a database error (a 500). Used for
    every id filter of the shared FilterSets, so the API and the web refuse the same values."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -MAX_DB_INT)
        kwargs.setdefault("max_value", MAX_DB_INT)
        super().__init__(*args, **kwargs)


class StableOrderingFilter(django_filters.OrderingFilter):
    """Sorting declared with the filters (`fields` pairs a column with the name the query string uses): the
    chosen column, then the id in the same direction, so a page boundary never repeats or skips rows that share
    a value. With no choice, `default`; an unknown choice is a form error like any other filter's."""

    def __init__(self, *args, default: str, nulls_last: tuple[str, ...] = (), **kwargs):
        self.default = default
        self.nulls_last = frozenset(nulls_last)  # fields whose empty values come last in both directions
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        ordering = [self.get_ordering_value(key) for key in (value or [self.default]) if key]
        if ordering[-1].lstrip("-") != "id":
            ordering.append("-id" if ordering[-1].startswith("-") else "id")
        return qs.order_by(*(self._expression(o) for o in ordering))

    def _expression(self, ordering: str):
        name = ordering.lstrip("-")
        if name not in self.nulls_last:
            return ordering
        return F(name).desc(nulls_last=True) if ordering.startswith("-") else F(name).asc(nulls_last=True)

    def sort(self, qs, key: str | None):
        """`qs` in the order `key` names; an unknown or missing key gives the default order (for pages that
        sort without the filter form, such as a site's units)."""
        return self.filter(qs, [key if key in self.param_map or key.lstrip("-") in self.param_map else self.default]
                           if key else None)
