"""Dates as the lists write them: ISO, numeric (day first unless told), and with month names."""

from __future__ import annotations

import datetime as dt
import re

from dateutil.parser import parserinfo

# Month names (jan, Sept, September...) are python-dateutil's. Its free-form parser is not used: it fills a
# partial date ("1980") from a default, swaps day and month when one is over 12 and reads weekday words as
# dates, where the lists need a partial date to be None and the day-first/month-first choice to stay explicit.
_MONTH_NAMES = parserinfo()
_DATE_NUMERIC = re.compile(r"^(\d{1,4})[-/.](\d{1,2})[-/.](\d{1,4})")
_DATE_WORDY = re.compile(
    r"^(?:(\d{1,2})[\s-]+([A-Za-z]{3,9})\.?,?[\s-]+(\d{4})|([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4}))"
)


def _mkdate(y: int, m: int, d: int) -> dt.date | None:
    if y < 1000 or m < 1 or d < 1:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def parse_date(value: str | None, *, dayfirst: bool = True) -> dt.date | None:
    """Parse the date forms found in the lists; partial or bad dates give None, never an exception.

    ISO ``2021-03-12`` (and ``2021-03-12T00:00:00``), ``12/03/2021`` (day first unless dayfirst=False),
    ``12.3.2021``, ``12 Mar 2021``, ``08-Oct-2026``, ``March 12, 2021``.
    ``00/00/1980`` and ``1980`` are partial -> None.
    """
    if not value:
        return None
    s = value.strip()
    if not s:
        return None
    if len(s) >= 10 and s[4] == "-" and s[7] == "-":
        try:
            return dt.date(int(s[0:4]), int(s[5:7]), int(s[8:10]))
        except ValueError:
            return None
    m = _DATE_NUMERIC.match(s)
    if m:
        a, b, c = (int(x) for x in m.groups())
        if len(m.group(1)) == 4:
            return _mkdate(a, b, c)
        return _mkdate(c, b, a) if dayfirst else _mkdate(c, a, b)
    m = _DATE_WORDY.match(s)
    if m:
        if m.group(1):
            day, mon, year = m.group(1), m.group(2), m.group(3)
        else:
            mon, day, year = m.group(4), m.group(5), m.group(6)
        month = _MONTH_NAMES.month(mon)
        if month:
            return _mkdate(int(year), month, int(day))
    return None
