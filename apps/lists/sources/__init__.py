"""Registry of list-source formats: one module per published format (see docs/list-formats.md)."""

from __future__ import annotations

import importlib
from types import ModuleType

_MODULES = (
    "ofac_legacy_csv",
    "us_csl_csv",
    "dod_1260h_csv",
    "ndaa_csv",
    "fcc_covered_csv",
    "custom_csv",
    "ofac_enhanced_xml",
    "ofac_sdnlist_xml",
    "un_sc_xml",
    "uk_ofsi_csv",
    "uk_sanctions_list",
    "us_csl_json",
    "opensanctions_ftm",
    "eu_fsf_xml",
    "eu_journal_csv",
)

FORMATS: dict[str, ModuleType] = {}
for _name in _MODULES:
    _module = importlib.import_module(f"{__name__}.{_name}")
    FORMATS[_module.FORMAT] = _module


def get_parser(fmt: str) -> ModuleType:
    """The module for a format key; KeyError naming the known keys."""
    try:
        return FORMATS[fmt]
    except KeyError:
        raise KeyError(f"unknown list format {fmt!r}; known: {', '.join(sorted(FORMATS))}") from None
