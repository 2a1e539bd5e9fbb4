"""Working days: a country's weekdays that are not its public holidays.

Public holidays and weekends come from the `holidays` package. The built-in parties' calendars
(KOR, JPN and the USA as the package's countries KR, JP and US, with the time zones their days
run in) are here; an agreement may name others for visits (`visits.calendars`). A party of no
known country counts weekdays only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

import holidays

from gsomia.core.agreements import HostCalendar

CALENDARS: Final[Mapping[str, HostCalendar]] = {
    "KOR": HostCalendar("KR", ZoneInfo("Asia/Seoul")),
    "JPN": HostCalendar("JP", ZoneInfo("Asia/Tokyo")),
    "USA": HostCalendar("US", ZoneInfo("America/New_York")),
}
"""The built-in parties' calendars: party code to `holidays` country and time zone."""

WEEKEND: Final = frozenset({5, 6})


@lru_cache(maxsize=512)
def _holidays(country: str | None, year: int) -> tuple[frozenset[date], frozenset[int]]:
    """A country's public holidays in one year, and its weekend days (0 is Monday)."""
    if country is None:
        return frozenset(), WEEKEND
    found = holidays.country_holidays(country, years=year)
    return frozenset(found), frozenset(found.weekend)


def country_of(party: str) -> str | None:
    """The `holidays` country of a built-in party; None for any other."""
    calendar = CALENDARS.get(party)
    return calendar.country if calendar else None


def is_working_day(day: date, country: str | None) -> bool:
    """Whether `day` is neither a weekend day nor a public holiday of `country` (None:
    weekdays are working days)."""
    public, weekend = _holidays(country, day.year)
    return day.weekday() not in weekend and day not in public


def working_days_between(after: date, before: date, country: str | None) -> int:
    """How many working days of `country` lie strictly between two days."""
    count = 0
    day = after + timedelta(days=1)
    while day < before:
        count += is_working_day(day, country)
        day += timedelta(days=1)
    return count


def add_working_days(start: date, days: int, country: str | None) -> date:
    """The day `days` working days of `country` after `start`."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        days -= is_working_day(day, country)
    return day
