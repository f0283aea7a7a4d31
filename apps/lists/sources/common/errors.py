"""The one error every parser raises for bad content."""

from __future__ import annotations


class ParseError(ValueError):
    """The file is not what the format says: wrong columns, binary garbage, an HTML page, a truncated file."""
