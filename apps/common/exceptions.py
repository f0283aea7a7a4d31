"""Errors raised by services, and the one API exception handler that renders every error alike.

Every API error has the same JSON shape::

    {"error": {"code": "validation_error", "message": "...", "fields": {"field": ["message", ...]}}}
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """A business rule refused the operation. `code` is stable; `fields` names the offending inputs."""

    def __init__(self, message: str, *, code: str = "invalid", fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.fields = fields or {}


# ApplicationError codes that mean something other than bad input. A service that hides another
# organisation's object raises code "not_found": the API answers 404, exactly as for a missing object.
STATUS_FOR_CODE = {
    "not_found": status.HTTP_404_NOT_FOUND,
    "forbidden": status.HTTP_403_FORBIDDEN,
    "permission_denied": status.HTTP_403_FORBIDDEN,
    "conflict": status.HTTP_409_CONFLICT,
    "protected": status.HTTP_409_CONFLICT,
}


def _django_validation_fields(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


def api_exception_handler(exc, context):
    """Turn DRF, Django and application errors into one JSON shape with a stable code."""
    if isinstance(exc, DjangoValidationError):
        fields = _django_validation_fields(exc)
        return Response(
            {"error": {"code": "validation_error", "message": "Invalid input.", "fields": fields}},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, ApplicationError):
        code = STATUS_FOR_CODE.get(exc.code, status.HTTP_400_BAD_REQUEST)
        message = "Not found." if code == status.HTTP_404_NOT_FOUND else exc.message
        return Response({"error": {"code": exc.code, "message": message, "fields": exc.fields}}, status=code)
    if isinstance(exc, ProtectedError | RestrictedError):
        names = sorted({str(obj._meta.verbose_name_plural) for obj in list(exc.protected_objects)[:50]}
                       if isinstance(exc, ProtectedError) else
                       {str(obj._meta.verbose_name_plural) for obj in list(exc.restricted_objects)[:50]})
        return Response(
            {"error": {"code": "protected", "fields": {},
                       "message": "Still referenced by " + ", ".join(names) + "; it cannot be deleted."}},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = {k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in data.items()}
        response.data = {"error": {"code": "validation_error", "message": "Invalid input.", "fields": fields}}
    else:
        detail = getattr(exc, "detail", str(exc))
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = {"error": {"code": str(code), "message": str(detail), "fields": {}}}
    return response
