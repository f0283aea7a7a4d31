"""CSV as a renderer, so `?format=csv` (or `Accept: text/csv`) is negotiated like JSON.

List endpoints stream their CSV themselves (apps.api.mixins.CsvExportMixin); this renderer writes what
other responses carry (one object, an error) as a small CSV.
"""
from __future__ import annotations

from rest_framework.renderers import BaseRenderer

from apps.common.export import csv_rows


def _flatten(data, prefix: str = "") -> dict:
    if not isinstance(data, dict):
        return {prefix.rstrip(".") or "value": data}
    out: dict = {}
    for key, value in data.items():
        out.update(_flatten(value, f"{prefix}{key}."))
    return out


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        items = data if isinstance(data, list) else [data]
        flat = [_flatten(item) for item in items]
        header = list(dict.fromkeys(k for row in flat for k in row))
        rows = ([row.get(h) for h in header] for row in flat)
        return "".join(csv_rows(header, rows)).encode()
