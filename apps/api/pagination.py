"""Cursor pagination: stable under inserts, no COUNT(*) over a million rows, constant cost per page.

The cursor is `offset|reverse|position` in UTF-8, base64url without padding: unlike DRF's own encoding
(a percent-encoded query string in standard base64, up to 16 characters per character of the position
and more again once `+/=` are percent-encoded in the URL) it needs no escaping in a URL and stays within
`CURSOR_MAX_LENGTH` for the longest position (a 300-character name, 4 bytes per character), so a `next`
link always fits the server's request line and matches the schema.
"""
from __future__ import annotations

import base64
import binascii
import math

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination, _positive_int
from rest_framework.utils.urls import replace_query_param

# The longest text a list can be ordered by (Vendor.name; tests/api/test_pagination.py checks every list).
POSITION_MAX_CHARACTERS = 300
# offset (at most the paginator's offset_cutoff, 1000), direction, position in UTF-8; base64 without padding
CURSOR_MAX_LENGTH = math.ceil((len("1000|1|") + 4 * POSITION_MAX_CHARACTERS) * 4 / 3)
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"


class ApiCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 1000
    ordering = "-id"

    def encode_cursor(self, cursor: Cursor) -> str:
        text = f"{cursor.offset}|{int(cursor.reverse)}"
        if cursor.position is not None:
            text += f"|{cursor.position}"
        encoded = base64.urlsafe_b64encode(text.encode()).decode("ascii").rstrip("=")
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def decode_cursor(self, request) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            if len(encoded) > CURSOR_MAX_LENGTH:
                raise ValueError("too long")
            raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4), altchars=b"-_", validate=True)
            offset, reverse, *position = raw.decode().split("|", 2)
            if reverse not in ("0", "1") or "\x00" in "".join(position):
                raise ValueError("not a cursor")
            return Cursor(offset=_positive_int(offset, cutoff=self.offset_cutoff), reverse=reverse == "1",
                          position=position[0] if position else None)
        except (ValueError, binascii.Error):
            raise NotFound(self.invalid_cursor_message) from None

    def paginate_queryset(self, queryset, request, view=None):
        """A cursor carries the position as text; one that names no value of the ordering column (a number
        that is not one, beyond 64 bits) is an invalid cursor (404), not a server error."""
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, OverflowError, DjangoValidationError):
            if request.query_params.get(self.cursor_query_param) is None:
                raise
            raise NotFound(self.invalid_cursor_message) from None

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.cursor_query_param:
                parameter["description"] = "The pagination cursor: take it from the `next` or `previous` link."
                parameter["schema"].update(pattern=CURSOR_PATTERN, maxLength=CURSOR_MAX_LENGTH)
            elif parameter["name"] == self.page_size_query_param:
                parameter["description"] = f"Results per page (default {self.page_size}, at most {self.max_page_size})."
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters
