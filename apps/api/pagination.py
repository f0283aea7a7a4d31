"""Cursor pagination: stable under inserts, no COUNT(*) over a million rows, constant cost per page."""
from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 1000
    ordering = "-id"
