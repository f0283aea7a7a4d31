import inspect

import pytest

from apps.lists.sources import FORMATS, get_parser

EXPECTED_FIRST = {"ofac_legacy_csv", "us_csl_csv", "dod_1260h_csv", "fcc_covered_csv", "ndaa_csv", "custom_csv"}


def test_get_parser_returns_module_with_contract():
    for key in EXPECTED_FIRST:
        module = get_parser(key)
        assert key == module.FORMAT
        assert module.DESCRIPTION
        assert callable(module.parse)


def test_every_registered_format_has_the_contract():
    for key, module in FORMATS.items():
        assert key == module.FORMAT
        assert isinstance(module.DESCRIPTION, str) and module.DESCRIPTION
        params = list(inspect.signature(module.parse).parameters)
        assert params == ["paths"]
        if getattr(module, "IS_DELTA_CAPABLE", False):
            assert callable(module.parse_delta)


def test_get_parser_unknown_key_lists_known_keys():
    with pytest.raises(KeyError) as info:
        get_parser("nope")
    assert "ofac_legacy_csv" in str(info.value)
