"""Form widgets for big choice lists."""
from __future__ import annotations

from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


class FastSelect(forms.Select):
    """A <select> whose options are rendered in Python instead of one template include per option.

    Django's Select renders `select_option.html` for every choice; with an organisation's few thousand vendors
    that is most of the equipment page's time (about 25 ms per 1,000 options). Same HTML, same attributes,
    grouped choices are not supported (none of the filters uses them)."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        selected = {str(v) for v in self.format_value(value)}
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        parts = []
        for choice, label in self.choices:
            value = self._value(choice)
            mark = " selected" if value in selected else ""
            parts.append(f'<option value="{escape(value)}"{mark}>{escape(str(label), quote=False)}</option>')
        return format_html("<select{}>{}</select>", flatatt(final), mark_safe("".join(parts)))  # noqa: S308

    @staticmethod
    def _value(value) -> str:
        value = getattr(value, "value", value)  # ModelChoiceIteratorValue
        return "" if value is None else str(value)
