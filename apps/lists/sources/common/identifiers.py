"""Identifiers as the lists publish them: which labels are identifiers, and the entry's identifier dict.

The scheme table and the canonical value are apps.vendors.identifiers (the one implementation shared with
vendors and screening); this module only adds what is particular to the lists' labels.
"""

from __future__ import annotations

from functools import lru_cache

from apps.vendors.identifiers import identifier_canonical, identifier_scheme

from .countries import country_code
from .text import clean

__all__ = ["identifier_scheme", "is_identifier_label", "make_identifier"]

_NOT_IDENTIFIERS = (
    "additional sanctions information",
    "gender",
    "target type",
    "secondary sanctions risk",
    "transactions prohibited",
    "organization type",
    "nationality of registration",
    "issuer name",
    "caatsa section",
    "phone number",
    "effective date",
    "listing date",
    "purchase/sales",
    "date",
    "executive order",
    "other vessel",
    "vessel flag",
    "vessel type",
    "aircraft model",
    "birth",
    "birthdate",
    "nationality",
    "citizenship",
    "capta list",
    "location",
    "title",
    "prohibited",
    "aircraft operator",
    "organization established",
)


@lru_cache(maxsize=4096)
def is_identifier_label(label: str) -> bool:
    low = label.strip().lower()
    return bool(low) and not any(low.startswith(p) or p in low for p in _NOT_IDENTIFIERS)


def make_identifier(label: str, value: str, country: str = "") -> dict | None:
    """``{"scheme", "value"[, "country"]}`` for an identifier item, or None when the label is not an identifier
    or the value has nothing an identifier could be compared on.

    The scheme is the canonical one (identifier_scheme); the value keeps the publisher's spelling for display
    (``HRB 12345``), and every comparison goes through identifier_canonical, so both spellings are one."""
    value = clean(value)
    if not value or not is_identifier_label(label):
        return None
    scheme = identifier_scheme(label)
    if not identifier_canonical(scheme, value):
        return None
    ident = {"scheme": scheme, "value": value}
    cc = country_code(country) if country else ""
    if cc:
        ident["country"] = cc
    return ident

