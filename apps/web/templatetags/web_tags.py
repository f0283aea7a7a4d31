"""Small template helpers of the officers' UI."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

RISK_BADGE_WORDS = {"potential_match": "potential match", "not_cleared": "not cleared"}


@register.simple_tag
def risk_badge(status) -> str:
    """A risk status (or verdict) as a badge: `{% risk_badge unit.risk_status %}`. A tag, not an include: a list
    page shows one per row, and an include costs a template render each."""
    if not status:
        return mark_safe('<span class="badge clear">clear</span>')
    return format_html('<span class="badge {}">{}</span>', status, RISK_BADGE_WORDS.get(str(status), status))


PROPOSED_BADGE = mark_safe(' <span class="badge neutral proposed">proposed: your organisation\'s view</span>')


@register.simple_tag
def proposed_badge(proposed) -> str:
    """The mark of a link or relation that is in the reader's view by its organisation's pending proposal
    (apps.vendors.overlay), with its leading space: `{% proposed_badge s.proposed %}`; nothing otherwise."""
    return PROPOSED_BADGE if proposed else ""


@register.simple_tag(takes_context=True)
def sort_link(context, label: str, key: str, current: str):
    """A column header that sorts by `key`, toggling direction; announces the current order to readers."""
    request = context["request"]
    params = request.GET.copy()
    descending = current == key
    params["sort"] = f"-{key}" if descending else key
    params.pop("page", None)
    state = ""
    if current == key:
        state = " ▲"
    elif current == f"-{key}":
        state = " ▼"
    order = "ascending" if current == key else "descending" if current == f"-{key}" else None
    if order:
        return format_html('<a href="?{}">{}<span aria-hidden="true">{}</span><span class="sr-only"> (sorted {})'
                           "</span></a>", params.urlencode(), label, state, order)
    return format_html('<a href="?{}">{}</a>', params.urlencode(), label)


@register.filter
def role_label(role: str) -> str:
    return str(role).replace("_", " ")


@register.filter
def short_action(label: str) -> str:
    """'Mitigate (disconnect vendor remote access, ...)' -> 'Mitigate'."""
    return str(label).split(" (", 1)[0]


@register.filter
def iso_datetime(value: str):
    """An ISO 8601 string (as stored in JSON results) as a datetime, for the date filter."""
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return value


@register.filter
def percent(value) -> str:
    """A share to at most three decimals (as stored), without padding zeros: 42.500 -> "42.5", 100 -> "100",
    a path share 33.33333... -> "33.333"."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value)).quantize(Decimal("0.001")).normalize()
    except InvalidOperation:
        return str(value)
    return f"{number:f}"
