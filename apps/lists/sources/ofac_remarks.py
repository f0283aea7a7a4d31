"""Structured facts hidden in OFAC "Remarks" text (legacy CSV, sdnList XML, CSL remarks).

OFAC packs identifiers and nationalities into the free-text remarks, separated by ``; ``, e.g.
``DOB 1962; nationality Iran; Passport A123 (Iran); Legal Entity Number 2534...; a.k.a. 'RUSAG'.``
This module pulls out the identifiers and countries that screening can use. Compiled once at import.
"""

from __future__ import annotations

import datetime as dt
import re

from apps.lists.sources.base import countries_from, country_code, identifier_scheme, parse_date

_ID_LABELS = (
    "Legal Entity Number",
    "Unified Social Credit Code (USCC)",
    "Registration Number",
    "Business Registration Number",
    "Business Registration Document #",
    "Company Number",
    "Tax ID No.",
    "SWIFT/BIC",
    "Passport",
    "National ID No.",
    "Vessel Registration Identification",
    "D-U-N-S Number",
    "ISIN",
    "US FEIN",
    "Website",
    "Email Address",
)
_ID_RE = re.compile(
    r"(?:^|;\s)(?:alt\.\s)?(" + "|".join(re.escape(label) for label in _ID_LABELS) + r")\s+(.+?)"
    r"(?:\s?\(([A-Z][A-Za-z ,.'-]+)\))?\.?\s*(?=;|$)"
)
_COUNTRY_RE = re.compile(r"(?:^|;\s)(?:alt\.\s)?(?:nationality|citizen)\s+([A-Z][A-Za-z ,.'()-]+?)\.?\s*(?=;|$)")


def remarks_identifiers(remarks: str) -> list[dict]:
    """Identifiers found in remarks: [{"scheme", "value", "country"?}] (no duplicates)."""
    if not remarks:
        return []
    out: list[dict] = []
    seen = set()
    for label, value, country in _ID_RE.findall(remarks):
        value = value.strip().rstrip(".")
        if label == "Vessel Registration Identification" and value.upper().startswith("IMO "):
            value = value[4:].strip()
        scheme = identifier_scheme(label)
        key = (scheme, value)
        if not value or key in seen:
            continue
        seen.add(key)
        ident = {"scheme": scheme, "value": value}
        cc = country_code(country) if country else ""
        if cc:
            ident["country"] = cc
        out.append(ident)
    return out


def remarks_countries(remarks: str) -> list[str]:
    """ISO alpha-2 codes of ``nationality X`` / ``citizen X`` statements."""
    if not remarks or ("nationality" not in remarks and "citizen" not in remarks):
        return []
    return countries_from(_COUNTRY_RE.findall(remarks))


_AKA_RE = re.compile(r"(?:^|;\s)(?:a\.k\.a\.|f\.k\.a\.|n\.k\.a\.)\s+'([^']+)'")
_LISTING_RE = re.compile(r"Listing Date(?: \([^)]*\))?:?\s+(\d{1,2} [A-Z][a-z]{2} \d{4})")


def remarks_weak_aliases(remarks: str) -> list[str]:
    """OFAC "weak" aliases written in remarks as ``a.k.a. 'CCCC'``."""
    if not remarks or ".k.a." not in remarks:
        return []
    return [a.strip() for a in _AKA_RE.findall(remarks) if a.strip()]


def remarks_listing_date(remarks: str) -> dt.date | None:
    """The earliest ``Listing Date (...)`` in remarks (CMIC, EO 14024 directives), or None."""
    if not remarks or "Listing Date" not in remarks:
        return None
    dates = [d for d in (parse_date(x) for x in _LISTING_RE.findall(remarks)) if d]
    return min(dates) if dates else None
