"""Identifiers: the one scheme table, the one canonical form, and per-scheme format checks. Pure, no ORM.

Every path that stores or compares an identifier goes through here: a vendor identifier saved or looked up
(apps.vendors), a list entry's identifier built by a parser (apps.lists.sources.identifiers.make_identifier)
and the screening index and check (apps.screening.matching). Before, four normalisations disagreed: a
registration number stored as ``HRB 12345`` (one path kept the space) was never found by a check written
``HRB12345`` (another path stripped it).

- ``identifier_scheme(label)``: the canonical scheme for a label as the lists or users write it
  (``Legal Entity Number`` -> ``lei``, ``SWIFT/BIC`` -> ``bic``); an unknown label gives a slug of itself.
- ``identifier_canonical(scheme, value)``: the form stored and compared: upper case, every separator
  (space, dash, dot, slash...) removed, for every scheme. Where python-stdnum knows the scheme, its
  ``compact`` runs first (it also drops scheme-specific prefixes such as a BIC's spaces or an ISIN's).
- ``identifier_validate(scheme, value)``: the canonical value, or a ValidationError saying what is wrong
  (LEI and USCC check digits by python-stdnum; UEI and DUNS by their published shapes).
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from functools import lru_cache

from django.core.exceptions import ValidationError
from stdnum import bic as stdnum_bic
from stdnum import isin as stdnum_isin
from stdnum import lei as stdnum_lei
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn
from stdnum.us import ein as stdnum_ein

from .choices import IdentifierScheme

# label (lower case, runs of other characters folded to one space) -> canonical scheme. The scheme names are
# those stored on list entries and vendor identifiers; keep them stable (list entries' content hashes use them).
SCHEMES: dict[str, str] = {
    # LEI
    "lei": "lei", "leicode": "lei", "legal entity number": "lei", "legal entity identifier": "lei",
    # SAM.gov UEI
    "uei": "uei", "sam uei": "uei", "unique entity id": "uei", "unique entity identifier": "uei",
    # DUNS
    "duns": "duns", "dunscode": "duns", "d u n s": "duns", "duns number": "duns", "dunsno": "duns",
    # PRC unified social credit code
    "uscc": "uscc", "usc": "uscc", "unified social credit code": "uscc", "unified social credit code uscc": "uscc",
    "china unified social credit code": "uscc", "social credit code": "uscc",
    # national company registration numbers
    "registration": "registration", "registrationnumber": "registration", "registration number": "registration",
    "registration id": "registration", "reg no": "registration", "company number": "registration",
    "business registration number": "registration", "business registration document": "registration",
    # tax numbers
    "tax id": "tax_id", "tax id no": "tax_id", "taxnumber": "tax_id", "tax identification number": "tax_id",
    "tax": "tax_id", "tin": "tax_id", "vat": "vat", "vatcode": "vat", "us fein": "us_fein", "ein": "ein",
    "inn": "inn", "inncode": "inn", "ogrn": "ogrn", "ogrncode": "ogrn",
    # banks, securities, vessels
    "bic": "bic", "swift": "bic", "swift bic": "bic", "swiftbic": "bic",
    "isin": "isin", "isincode": "isin", "ticker": "ticker", "equity ticker": "ticker",
    "imo": "imo", "imonumber": "imo", "vessel registration identification": "imo",
    # people and others
    "passport": "passport", "passportnumber": "passport",
    "national id no": "national_id", "idnumber": "national_id", "national identification number": "national_id",
    "cage": "cage", "cage code": "cage", "website": "website", "email address": "email",
}

# python-stdnum modules whose compact() knows the scheme's own separators and prefixes
_STDNUM = {
    "lei": stdnum_lei, "uscc": stdnum_uscc, "bic": stdnum_bic, "isin": stdnum_isin,
    "inn": stdnum_inn, "ogrn": stdnum_ogrn, "ein": stdnum_ein, "us_fein": stdnum_ein,
}
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")
_LABEL_SEP = re.compile(r"[^a-z0-9]+")
_UEI_RE = re.compile(r"^[A-HJ-NP-Z1-9][A-HJ-NP-Z0-9]{11}$")
_DUNS_RE = re.compile(r"^\d{9}$")


@lru_cache(maxsize=4096)
def identifier_scheme(label: str) -> str:
    """Canonical scheme for an identifier label (``Legal Entity Number`` -> ``lei``); else a slug of it
    (``Cedula No.`` -> ``cedula_no``)."""
    key = _LABEL_SEP.sub(" ", (label or "").lower()).strip()
    return SCHEMES.get(key) or key.replace(" ", "_")


@lru_cache(maxsize=16384)
def identifier_canonical(scheme: str, value: str) -> str:
    """The one canonical form of an identifier value, stored and compared: ``hrb 12-345`` -> ``HRB12345``.

    Upper case with every character that is not an ASCII letter or digit removed, whatever the scheme (a
    registration number keeps no inner space either: the same number written two ways is one identifier).
    ``scheme`` may be a label; a python-stdnum ``compact`` runs first where the scheme has one.
    """
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        return ""
    module = _STDNUM.get(identifier_scheme(scheme)) if scheme else None
    if module is not None:
        with contextlib.suppress(Exception):  # compact only tidies; what it cannot handle is compacted below
            text = module.compact(text)
    return _NOT_ALNUM.sub("", text.upper())


def identifier_normalize(scheme: str, value: str) -> str:
    """The canonical form stored and compared (kept for callers of the old name): see identifier_canonical."""
    return identifier_canonical(scheme, value)


def identifier_validate(scheme: str, value: str) -> str:
    """Return the canonical value, or raise ValidationError saying what is wrong for that scheme."""
    compact = identifier_canonical(scheme, value)
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
