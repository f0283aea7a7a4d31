"""Format checks for company identifiers, per scheme. Pure functions, no ORM.

LEI and USCC carry check digits that python-stdnum verifies; UEI and DUNS are checked for their
published shapes (SAM.gov UEI: 12 characters, letters and digits, no I or O, not starting with 0).
"""
from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from stdnum import lei as stdnum_lei
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumError

from .choices import IdentifierScheme

_UEI_RE = re.compile(r"^[A-HJ-NP-Z1-9][A-HJ-NP-Z0-9]{11}$")
_DUNS_RE = re.compile(r"^\d{9}$")


def identifier_normalize(scheme: str, value: str) -> str:
    """The canonical form stored and compared: upper case, separators removed for coded schemes."""
    value = (value or "").strip()
    if scheme == IdentifierScheme.REGISTRATION:
        return re.sub(r"\s+", " ", value).upper()
    return re.sub(r"[\s\-./]", "", value).upper()


def identifier_validate(scheme: str, value: str) -> str:
    """Return the normalised value, or raise ValidationError saying what is wrong for that scheme."""
    compact = identifier_normalize(scheme, value)
    if not compact:
        raise ValidationError("An identifier value is required.")
    try:
        if scheme == IdentifierScheme.LEI:
            return stdnum_lei.validate(compact)
        if scheme == IdentifierScheme.USCC:
            return stdnum_uscc.validate(compact)
    except StdnumError as exc:
        label = IdentifierScheme(scheme).label
        raise ValidationError(f"{value!r} is not a valid {label}: {exc}.") from exc
    if scheme == IdentifierScheme.UEI and not _UEI_RE.match(compact):
        raise ValidationError(
            f"{value!r} is not a valid UEI: 12 letters or digits, no I or O, not starting with 0."
        )
    if scheme == IdentifierScheme.DUNS and not _DUNS_RE.match(compact):
        raise ValidationError(f"{value!r} is not a valid DUNS number: exactly 9 digits.")
    if scheme not in IdentifierScheme.values:
        raise ValidationError(f"Unknown identifier scheme {scheme!r}.")
    return compact
