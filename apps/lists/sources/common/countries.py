"""Countries: ISO 3166-1 alpha-2 codes from names and codes."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from .text import unique

_COUNTRY_FIXES = {
    "palestinian": "PS",
    "region: crimea": "UA",
    "region: gaza": "PS",
    "region: northern mali": "ML",
    "region: kurdistan region": "IQ",
    "undetermined": "",
}


@lru_cache(maxsize=4096)
def country_code(name: str | None) -> str:
    """ISO 3166-1 alpha-2 (upper case) for a country name or code, or "" when unknown.

    Uses rigour's territory database (names, former names, alpha-2/alpha-3 codes). Sub-national codes
    (``gb-sct``) map to their country; historical codes (``suhh``) give "".
    """
    if not name:
        return ""
    s = name.strip().strip(".").strip()
    if not s:
        return ""
    low = s.lower()
    if low in _COUNTRY_FIXES:
        return _COUNTRY_FIXES[low]
    from rigour.territories import lookup_territory  # local import: rigour loads its data lazily

    try:
        territory = lookup_territory(s)
    except Exception:  # noqa: BLE001 - a lookup failure must never break a parse
        return ""
    if territory is None:
        return ""
    code = territory.code
    if len(code) == 2 and code != "zz":
        return code.upper()
    if len(code) > 3 and code[2] == "-":
        return code[:2].upper()
    return ""


def countries_from(values: Iterable[str]) -> list[str]:
    return unique(country_code(v) for v in values)
