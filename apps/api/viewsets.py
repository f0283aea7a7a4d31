"""Base classes of every API viewset: scoping to the user's organisations, permissions, cursor pagination,
django-filter (with the bounds of apps.api.bounds), ordering, `?format=csv` streaming export and
`as_of=YYYY-MM-DD` parsing.

A read viewset (NetBox style) declares `queryset` (with select_related/prefetch_related),
`serializer_class`, `base_filterset_class`, and `organization_field` (the ORM path from the model to its
organisation, or None for shared reference data). A write action (HackSoft style) validates an input
serializer, calls one service, and answers with the output serializer; ServiceCreateMixin,
ServiceUpdateMixin and ServiceDestroyMixin below do that for create, PATCH and delete.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from itertools import islice
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.filters import OrderingFilter
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response

from apps.accounts.choices import WRITE_ROLES
from apps.accounts.filtersets import member_organization_ids
from apps.common.dates import end_of_day_utc
from apps.common.export import csv_streaming_response
from apps.security.throttling import ApiRateThrottle

from .authentication import TokenAuthentication
from .bounds import TEXT_MAX_LENGTH, bounded_filterset, check_query_bounds
from .pagination import ApiCursorPagination
from .permissions import IsMemberWithRole
from .renderers import CsvRenderer, OrjsonRenderer, _flatten
from .schema import ApiAutoSchema


def parse_as_of(value: str | None) -> dt.datetime | None:
    """`YYYY-MM-DD` -> the last instant of that day (UTC). Raises a field error on bad input."""
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise exceptions.ValidationError({"as_of": ["Use a date as YYYY-MM-DD."]}) from exc
    return end_of_day(day, field="as_of")


def end_of_day(day: dt.date, *, field: str) -> dt.datetime:
    """The last instant of `day` in UTC (apps.common.dates), out-of-range days as a field error."""
    try:
        return end_of_day_utc(day)
    except ValueError as exc:
        raise exceptions.ValidationError({field: [str(exc)]}) from exc


def column_kind(model, path: str) -> str:
    """How the CSV writer treats the column at ORM `path`: text (neutralised), datetime, bool, json, plain."""
    field = None
    for part in path.split("__"):
        field = model._meta.get_field(part)
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    if field is None or field.is_relation:
        return "plain"
    internal = field.get_internal_type()
    if internal in ("CharField", "TextField", "SlugField", "EmailField", "URLField", "GenericIPAddressField"):
        return "text"
    return {"DateTimeField": "datetime", "BooleanField": "bool", "JSONField": "json"}.get(internal, "plain")


def attribute_path(obj: Any, path: str) -> Any:
    """Follow `site__organization_id` on an instance (the relations are select_related)."""
    for part in path.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


# Set here rather than in settings.REST_FRAMEWORK so the API's choices stay with the API.
API_AUTHENTICATION = [TokenAuthentication, SessionAuthentication]
API_THROTTLES = [ApiRateThrottle]


class ApiOrderingFilter(OrderingFilter):
    """`ordering=` sorts by one of the view's `ordering_fields` (`-` first for descending); the schema
    lists them. Several fields, comma-separated, are accepted too; unknown names are ignored."""

    ordering_description = "Sort by this field; `-` first for descending (default `-id`)."

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        fields = getattr(view, "ordering_fields", None)
        for parameter in parameters:
            if isinstance(fields, list | tuple):
                parameter["schema"]["enum"] = [value for field in fields for value in (field, f"-{field}")]
            else:
                parameter["schema"]["maxLength"] = TEXT_MAX_LENGTH
        return parameters


def answers_in_view(user, requested: str | None) -> int | None:
    """The one resolution of `?organization=` for answers that depend on the view (see view_organization_id)."""
    members = member_organization_ids(user)
    if requested in (None, ""):
        return members[0] if len(members) == 1 else None
    try:
        organization_id = int(requested)
    except (TypeError, ValueError):
        raise exceptions.ValidationError({"organization": ["Give the id of one of your organisations."]}) from None
    if organization_id not in members:
        raise exceptions.NotFound("No such organisation among yours.")
    return organization_id


@functools.cache
def historical_filterset(filterset_class: type, historical_model: type) -> type:
    """The same FilterSet over a django-simple-history model (same field names), for `as_of` answers."""
    meta = type("Meta", (filterset_class.Meta,), {"model": historical_model})
    return type(f"Historical{filterset_class.__name__}", (filterset_class,), {"Meta": meta})


class ApiViewSetMixin:
    schema = ApiAutoSchema()
    authentication_classes = API_AUTHENTICATION
    throttle_classes = API_THROTTLES
    permission_classes = [IsMemberWithRole]
    pagination_class = ApiCursorPagination
    filter_backends = [DjangoFilterBackend, ApiOrderingFilter]
    renderer_classes = [OrjsonRenderer, BrowsableAPIRenderer, CsvRenderer]
    write_roles = WRITE_ROLES
    lookup_value_regex = r"\d+"
    # ORM path from the model to its organisation ("site__organization"); None for shared reference data.
    organization_field: str | None = "organization"
    # CSV columns as (header, ORM path for values_list); None serialises each row instead.
    export_fields: list[tuple[str, str]] | None = None
    # Actions whose answer depends on whose view it is (statuses, matches, findings): they read `?organization=`
    # through view_organization_id() and the schema documents it (VIEW_ORGANIZATION_PARAMETER).
    in_view_actions: tuple[str, ...] = ()

    # --- scoping -------------------------------------------------------------------------------
    def member_organization_ids(self) -> list[int]:
        return member_organization_ids(self.request.user)

    def scope(self, queryset: QuerySet) -> QuerySet:
        if self.organization_field is None:
            return queryset
        return queryset.filter(**{f"{self.organization_field}_id__in": self.member_organization_ids()})

    def get_queryset(self):
        return self.scope(super().get_queryset())

    def object_organization_id(self, obj) -> int | None:
        if self.organization_field is None:
            return None
        return attribute_path(obj, f"{self.organization_field}_id")

    def filter_queryset(self, queryset):
        check_query_bounds(self.filterset_class, self.request.query_params)
        return super().filter_queryset(queryset)

    def view_organization_id(self) -> int | None:
        """The organisation in whose view this request is answered (None: the public view): `?organization=`,
        which must be one of the caller's organisations (404 otherwise, as for another organisation's object);
        by default the caller's only organisation, or the public view for a member of several."""
        if not hasattr(self, "_view_organization_id"):
            self._view_organization_id = answers_in_view(self.request.user,
                                                         self.request.query_params.get("organization"))
        return self._view_organization_id

    # --- point in time -------------------------------------------------------------------------
    def get_as_of(self) -> dt.datetime | None:
        if not hasattr(self, "_as_of"):
            self._as_of = parse_as_of(self.request.query_params.get("as_of"))
            if self._as_of is not None and self._as_of > timezone.now() + dt.timedelta(days=1):
                raise exceptions.ValidationError({"as_of": ["The date is in the future."]})
        return self._as_of

    @property
    def filterset_class(self):
        """`base_filterset_class` with the API's bounds (apps.api.bounds), over the historical model when the
        queryset answers from history."""
        base = getattr(self, "base_filterset_class", None)
        if base is None:
            return None
        if self.answers_from_history():
            base = historical_filterset(base, base.Meta.model.history.model)
        return bounded_filterset(base)

    def answers_from_history(self) -> bool:
        """True when the viewset supports `as_of` (`supports_as_of`) and this read asks for it."""
        return (getattr(self, "supports_as_of", False) and getattr(self, "action", None) in ("list", "retrieve")
                and self.get_as_of() is not None)

    # --- CSV export ----------------------------------------------------------------------------
    def wants_csv(self) -> bool:
        renderer = getattr(self.request, "accepted_renderer", None)
        return renderer is not None and renderer.format == "csv"

    @property
    def export_name(self) -> str:
        """The CSV file's name: the list's last URL segment (`/api/v1/list-runs/?format=csv` -> `list-runs.csv`),
        so the name is declared once, where the app's urls.py registers the route."""
        return self.request.path.rstrip("/").rsplit("/", 1)[-1]

    def export_rows(self, queryset: QuerySet) -> tuple[list[str], Iterator, list[str] | None]:
        if self.export_fields:
            header = [h for h, _ in self.export_fields]
            paths = [p for _, p in self.export_fields]
            kinds = [column_kind(queryset.model, p) for p in paths]
            return header, queryset.values_list(*paths).iterator(chunk_size=5000), kinds
        serializer_class = self.get_serializer_class()
        fields = list(serializer_class().fields)
        context = self.get_serializer_context()

        def rows():
            objects = queryset.iterator(chunk_size=1000)
            while chunk := list(islice(objects, 1000)):
                chunk_context = {**context, **self.page_context(chunk)}
                for obj in chunk:
                    flat = _flatten(serializer_class(obj, context=chunk_context).data)
                    yield [flat.get(f) for f in fields]

        return fields, rows(), None

    # --- per-page context ----------------------------------------------------------------------
    def page_context(self, objects: list) -> dict:
        """Extra serializer context computed once for a page (or one object) in a constant number of
        queries, e.g. findings of the equipment on the page. Override in viewsets."""
        return {}

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context.update(getattr(self, "_page_context", {}))
        return context

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        if self.wants_csv():
            if not queryset.query.order_by:
                queryset = queryset.order_by("id")
            header, rows, kinds = self.export_rows(queryset)
            return csv_streaming_response(filename=f"{self.export_name}.csv", header=header, rows=rows,
                                          kinds=kinds)
        page = self.paginate_queryset(queryset)
        objects = list(page if page is not None else queryset)
        self._page_context = self.page_context(objects)
        serializer = self.get_serializer(objects, many=True)
        if page is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        self._page_context = self.page_context([instance])
        return Response(self.get_serializer(instance).data)

    # --- service writes (ServiceCreateMixin, ServiceUpdateMixin, ServiceDestroyMixin) ------------------------
    def get_input_serializer_class(self) -> type[serializers.Serializer] | None:
        """The input serializer of this action's service write (the schema documents it as the request body)."""
        return None

    def validated_input(self, serializer_class: type[serializers.Serializer], instance=None, *,
                        partial: bool = False) -> dict:
        serializer = serializer_class(instance, data=self.request.data, partial=partial,
                                      context={"request": self.request})
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def written_answer(self, obj) -> dict:
        """What a service wrote, as `serializer_class` shows it when read back through `get_queryset()`."""
        return self.get_serializer_class()(self.get_queryset().get(pk=obj.pk)).data


# The service-write mixins (HackSoft): the view validates an input serializer, calls one service through the
# viewset's `perform_service_*` method, and answers with the output serializer. Their actions carry no docstring,
# so the schema describes them with the viewset's own.
class ServiceCreateMixin:
    create_serializer_class: type[serializers.Serializer]

    def get_input_serializer_class(self):
        return self.create_serializer_class if self.action == "create" else super().get_input_serializer_class()

    def create(self, request, *args, **kwargs):
        created = self.perform_service_create(self.validated_input(self.create_serializer_class))
        return Response(self.written_answer(created), status=status.HTTP_201_CREATED)

    def perform_service_create(self, data: dict):
        raise NotImplementedError


class ServiceUpdateMixin:
    """PATCH only: every field of `update_serializer_class` is optional."""

    update_serializer_class: type[serializers.Serializer]

    def get_input_serializer_class(self):
        if self.action == "partial_update":
            return self.update_serializer_class
        return super().get_input_serializer_class()

    def partial_update(self, request, *args, **kwargs):
        instance = self.get_object()  # permission and scope first: 404/403 before any input error
        data = self.validated_input(self.update_serializer_class, instance, partial=True)
        return Response(self.written_answer(self.perform_service_update(instance, data)))

    def perform_service_update(self, instance, data: dict):
        raise NotImplementedError


class ServiceDestroyMixin:
    def destroy(self, request, *args, **kwargs):
        self.perform_service_destroy(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_service_destroy(self, instance) -> None:
        raise NotImplementedError


class ReadOnlyApiViewSet(ApiViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """List and detail only."""
