"""Date helpers shared by the API, the web and the selectors that answer "as of" a past day."""
from __future__ import annotations

import datetime as dt


def end_of_day_utc(day: dt.date) -> dt.datetime:
    """The last instant of `day` in UTC: an "as of" day includes everything recorded during it.
    Raises ValueError for the last representable day (there is no next day to count back from)."""
    if day >= dt.date.max:
        raise ValueError("The date is out of range.")
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    return end - dt.timedelta(microseconds=1)
