"""OpenAPI generation: every operation documents the one error shape for the answers it can give
(400 bad input, 401 no or bad credentials, 403 role too weak, 404 missing or another organisation's,
409 still referenced, 429 throttled), so clients and schema tests know them; and every parameter says how
long it may be (apps.api.bounds), so that what the schema allows fits the server's request line (a longer
one gets the web server's own HTML 400, which the 400 answers document too)."""
from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from .bounds import MAX_DB_INT, MAX_VALUES, REQUEST_LINE_LIMIT, TEXT_MAX_LENGTH, max_values
from .renderers import CsvRenderer

AS_OF_PARAMETER = OpenApiParameter(
    "as_of", OpenApiTypes.DATE, description="Answer from history: the records as they were at the end of this "
    "day (UTC), with the status the lists active on that day gave them.",
)
FORMAT_PARAMETER = OpenApiParameter(
    "format", OpenApiTypes.STR, enum=["json", "csv"],
    description="`csv` streams the whole filtered list as CSV (no pagination).",
)
VIEW_ORGANIZATION_PARAMETER = OpenApiParameter(
    "organization", OpenApiTypes.INT, description="Answer in this organisation's view (one of yours): public "
    "lists with curators' registry-wide decisions, plus that organisation's own private lists and its own review "
    "decisions. Default: your organisation when you belong to exactly one; otherwise the public view. An "
    "organisation you are not a member of answers 404.",
)
ID_MAX_LENGTH = len(str(MAX_DB_INT - 1))  # a path id: 19 digits at most
DATETIME_MAX_LENGTH = 40  # 2026-01-01T23:59:59.123456789012+14:00, the longest the date-time filters read


class ApiErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. validation_error, not_found.")
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text="Messages per input field (empty when not about a field).")


class ApiErrorSerializer(serializers.Serializer):
    error = ApiErrorDetailSerializer()


ERRORS = {
    "400": "Invalid input (query parameters or body); `error.fields` says which.",
    "401": "No credentials, or an unknown, expired or revoked token.",
    "403": "Your role does not allow this, or you belong to no organisation.",
    "404": "Not found (objects of other organisations are not found either).",
    "429": "Too many requests for this token; retry after the Retry-After header.",
}


# The one answer that does not come from the API: the web server refuses a request line longer than it reads
# (docs/api.md, "Bounds") with its own short HTML page; only a request beyond the parameters' bounds can get it.
SERVER_BAD_REQUEST = (f" A request line over {REQUEST_LINE_LIMIT:,} bytes, which only values beyond the parameters' "
                      "bounds can make, is refused by the web server itself, before the API, as `text/html`.")


class ApiAutoSchema(AutoSchema):
    def get_override_parameters(self):
        """The parameters the viewset bases read themselves (apps.api.viewsets): `as_of` on the list and detail
        of a viewset that answers from history (`supports_as_of`), `organization` on the actions that answer in
        an organisation's view (`in_view_actions`), `format` on a list that can stream CSV."""
        parameters = list(super().get_override_parameters())
        action = getattr(self.view, "action", None)
        if action in ("list", "retrieve") and getattr(self.view, "supports_as_of", False):
            parameters.append(AS_OF_PARAMETER)
        if action in getattr(self.view, "in_view_actions", ()):
            parameters.append(VIEW_ORGANIZATION_PARAMETER)
        if action == "list" and CsvRenderer in getattr(self.view, "renderer_classes", ()):
            parameters.append(FORMAT_PARAMETER)
        return parameters

    def get_request_serializer(self):
        """A service write's input serializer (apps.api.viewsets.ServiceCreateMixin and ServiceUpdateMixin)."""
        get_input = getattr(self.view, "get_input_serializer_class", None)
        input_class = get_input() if get_input is not None else None
        return input_class if input_class is not None else super().get_request_serializer()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = dict(ERRORS)
        if self.method == "DELETE":
            codes["409"] = "Still referenced by other records; it cannot be deleted."
        for code, description in codes.items():
            if code not in responses:
                response = self._get_response_for_code(ApiErrorSerializer, code, direction=direction)
                response["description"] = description
                responses[code] = response
        bad_request = responses["400"]
        bad_request.setdefault("content", {})["text/html"] = {"schema": {"type": "string"}}
        bad_request["description"] = bad_request.get("description", "") + SERVER_BAD_REQUEST
        return responses

    def _get_filter_parameters(self):
        """The filters' bounds, as the API enforces them (apps.api.bounds): `maxLength` of text filters,
        `maxItems` of repeated ones (numbers get the 64-bit range in `_get_parameters`)."""
        parameters = super()._get_filter_parameters()
        filterset_class = getattr(self.view, "filterset_class", None)
        filters = getattr(filterset_class, "base_filters", {})
        for parameter in parameters:
            declared = filters.get(parameter["name"])
            if declared is None:
                continue
            schema = parameter["schema"]
            if schema.get("type") == "array":
                schema["maxItems"] = max_values(declared)
                schema = schema["items"]
            if "max_length" in declared.extra and schema.get("type") == "string":
                schema["maxLength"] = declared.extra["max_length"]
        return parameters

    def _get_parameters(self):
        """Every parameter bounded: what a filter, the paginator or the ordering did not bound gets the
        defaults (a path id of 19 digits, text of `TEXT_MAX_LENGTH`, `MAX_VALUES` values, 64-bit numbers)."""
        parameters = super()._get_parameters()
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if parameter["in"] == "path" and schema.get("type") == "string":
                schema.setdefault("maxLength", ID_MAX_LENGTH)
                continue
            if parameter["in"] not in ("path", "query"):
                continue
            if schema.get("type") == "array":
                schema.setdefault("maxItems", MAX_VALUES)
                schema = schema["items"]
            _bound(schema)
        return parameters


def _bound(schema: dict) -> None:
    if schema.get("type") == "string" and not schema.get("enum") and schema.get("format") != "date":
        schema.setdefault("maxLength", DATETIME_MAX_LENGTH if schema.get("format") == "date-time" else TEXT_MAX_LENGTH)
    elif schema.get("type") in ("integer", "number"):
        schema.setdefault("minimum", -(MAX_DB_INT - 1))
        schema.setdefault("maximum", MAX_DB_INT - 1)
