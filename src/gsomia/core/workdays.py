"""Working days in a party's country: weekdays that are not public holidays.

Public holidays come from the `holidays` package (KOR, JPN and the USA as its country codes
KR, JP and US); a party of no known country counts weekends only. Days are the party's own
calendar days, in the time zone its registry keeps.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays

COUNTRIES = {"KOR": "KR", "JPN": "JP", "USA": "US"}
"""Parties' codes as the `holidays` package names their countries."""


@cache
def _holidays(party: str, year: int) -> frozenset[date]:
    country = COUNTRIES.get(party)
    if country is None:
        return frozenset()
    return frozenset(holidays.country_holidays(country, years=year))


def is_working_day(party: str, day: date) -> bool:
    """Whether `day` is a working day in `party`'s country."""
    return day.weekday() < 5 and day not in _holidays(party, day.year)


def working_days_between(party: str, start: date, end: date) -> int:
    """The working days after `start` up to and including `end` (0 when `end` <= `start`)."""
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        count += is_working_day(party, day)
        day += timedelta(days=1)
    return count


def add_working_days(party: str, start: date, days: int) -> date:
    """The day `days` working days after `start`."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        days -= is_working_day(party, day)
    return day
