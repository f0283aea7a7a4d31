"""Form widgets for big choice lists."""
from __future__ import annotations

from collections.abc import Callable
from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def option_html(value: str, label, selected: bool = False) -> str:
    """One `<option>` as FastSelect writes it (value and label escaped)."""
    mark = " selected" if selected else ""
    return f'<option value="{escape(value)}"{mark}>{escape(str(label), quote=False)}</option>'


class FastSelect(forms.Select):
    """A <select> whose options are rendered in Python instead of one template include per option.

    Django's Select renders `select_option.html` for every choice; with an organisation's few thousand vendors
    that is most of the equipment page's time (about 25 ms per 1,000 options). Same HTML, same attributes,
    grouped choices are not supported (none of the filters uses them)."""

    # Set on a form's widget: returns the <option>s, none selected, from a cache (apps.web.caches); the choices
    # are then not read at all (the field's queryset still validates a submitted value).
    options_html: Callable[[], str] | None = None

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        selected = {str(v) for v in self.format_value(value)}
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        if self.options_html is not None:
            options = self.options_html()
            for value in selected:  # option_html's markup: `<option value="v">` -> `<option value="v" selected>`
                head = f'<option value="{escape(value)}">'
                options = options.replace(head, f'{head[:-1]} selected>', 1)
            return format_html("<select{}>{}</select>", flatatt(final), mark_safe(options))  # noqa: S308
        parts = [option_html(value, label, value in selected)
                 for value, label in ((self._value(choice), label) for choice, label in self.choices)]
        return format_html("<select{}>{}</select>", flatatt(final), mark_safe("".join(parts)))  # noqa: S308

    @staticmethod
    def _value(value) -> str:
        value = getattr(value, "value", value)  # ModelChoiceIteratorValue
        return "" if value is None else str(value)
