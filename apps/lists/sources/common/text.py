"""Text values: whitespace, packed multi-value fields, order-keeping de-duplication, slugs."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

_WS = re.compile(r"\s+")


def clean(value: str | None) -> str:
    """Collapse whitespace and strip; None -> ''."""
    if not value:
        return ""
    if "  " in value or "\n" in value or "\t" in value or "\r" in value or "\xa0" in value:
        return _WS.sub(" ", value).strip()
    return value.strip()


def split_multi(value: str | None, sep: str = ";") -> list[str]:
    """Split a packed multi-value field, dropping blanks and duplicates, keeping order."""
    if not value:
        return []
    out: list[str] = []
    for part in value.split(sep):
        part = clean(part)
        if part and part not in out:
            out.append(part)
    return out


def unique(values: Iterable[str], *, exclude: Iterable[str] = ()) -> list[str]:
    seen = set(exclude)
    out = []
    for v in values:
        if v and v not in seen:
            seen.add(v)
            out.append(v)
    return out


_SLUG = re.compile(r"[^a-z0-9]+")


SLUG_MAX = 96


def slug(value: str) -> str:
    """ascii lower-case slug: ``Hangzhou Hikvision Co., Ltd.`` -> ``hangzhou-hikvision-co-ltd``.

    Longer than SLUG_MAX: cut and suffixed with 8 hex of a sha1 of the full value, so ids stay short (the
    database column is 128) and distinct. A name without any ASCII letter or digit (e.g. only Chinese) gives
    ``u-<sha1 prefix>``.
    """
    ascii_ = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    result = _SLUG.sub("-", ascii_.lower()).strip("-")
    if not result and value.strip():
        return "u-" + hashlib.sha1(value.strip().encode()).hexdigest()[:16]
    if len(result) > SLUG_MAX:
        result = result[:SLUG_MAX].rstrip("-") + "-" + hashlib.sha1(result.encode()).hexdigest()[:8]
    return result
