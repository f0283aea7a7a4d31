"""OpenAPI generation: every operation documents the one error shape for the answers it can give
(400 bad input, 401 no or bad credentials, 403 role too weak, 404 missing or another organisation's,
409 still referenced, 429 throttled), so clients and schema tests know them."""
from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


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


class ApiAutoSchema(AutoSchema):
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
        return responses
