"""Instants, terms and notice deadlines in an agreement's legal time zone.

Dates of legal effect are whole days in the agreement's legal time zone. A term that "runs
23 Nov to 22 Nov" ends at the start of 23 Nov (24:00 on 22 Nov); a notice "90 days in
advance" of that end must be delivered before the start of the day 90 days earlier, so the
last day to deliver it is the day before. Every end in this module is exclusive: the first
instant at which the thing no longer holds.

The core reasons about instants from 1900-01-01T00:00Z up to, not including,
2200-01-01T00:00Z, and refuses any other with `InvalidInstant`. The range spans the
agreements modelled (the oldest, the US–Korea General Security Agreement that the 1987
agreement supplements, dates from 1962) and any planning horizon, and leaves centuries of
headroom inside what `datetime` represents (years 1 to 9999). Computing from an instant in
the range moves it by at most one notice period plus one term (`notice_effect` ends the first
term whose deadline the notice meets); with terms of up to `MAX_TERM_MONTHS` and notice
periods of up to `MAX_NOTICE_DAYS`, every result lies between the years 1890 and 2310.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from gsomia.core.errors import InvalidInstant

SUPPORTED_FROM: Final = datetime(1900, 1, 1, tzinfo=UTC)
"""The earliest instant the core reasons about."""
SUPPORTED_UNTIL: Final = datetime(2200, 1, 1, tzinfo=UTC)
"""The first instant past the supported range."""
MAX_TERM_MONTHS: Final = 1200
"""The longest term an agreement may have (a century)."""
MAX_NOTICE_DAYS: Final = 3660
"""The longest notice period an agreement may have (ten years)."""

_BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def is_bare_date(text: str) -> bool:
    """Whether a user wrote a day (2019-11-22) rather than an instant."""
    return bool(_BARE_DATE.match(text.strip()))


def parse_instant(text: str, zone: ZoneInfo) -> datetime:
    """Read an ISO 8601 instant with an offset, or a bare date meaning its start in `zone`;
    either must lie in the supported range."""
    text = text.strip()
    if _BARE_DATE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise InvalidInstant(f"invalid date {text!r}: {exc}") from None
        try:
            instant = start_of_day(day, zone)
        except OverflowError:
            # The day's start in `zone` lies beyond what datetime represents: far outside.
            raise _outside(text) from None
        return _in_range(instant, text)
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInstant(
            f"invalid instant {text!r}; write ISO 8601 with an offset "
            "(2019-11-22T18:00+09:00) or a bare date (2019-11-22)"
        ) from None
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InvalidInstant(
            f"instant {text!r} has no UTC offset; add one (such as {text}+09:00 or {text}Z) "
            "or give a bare date"
        )
    return _in_range(instant, text)


def check_instant(instant: datetime) -> datetime:
    """An instant the core can reason about: it carries its UTC offset and lies in the
    supported range; anything else is `InvalidInstant`."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InvalidInstant(f"instant {instant.isoformat()} has no UTC offset")
    if not SUPPORTED_FROM <= instant < SUPPORTED_UNTIL:
        raise _outside(instant.isoformat())  # formatted only when refused: decisions call this
    return instant


def _in_range(instant: datetime, shown: str) -> datetime:
    if not SUPPORTED_FROM <= instant < SUPPORTED_UNTIL:
        raise _outside(shown)
    return instant


def _outside(shown: str) -> InvalidInstant:
    return InvalidInstant(
        f"instant {shown} is outside the supported range: from {SUPPORTED_FROM:%Y-%m-%dT%H:%MZ} "
        f"up to, not including, {SUPPORTED_UNTIL:%Y-%m-%dT%H:%MZ}"
    )


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of `day` in `zone` (midnight, or the first valid time after it)."""
    local = datetime.combine(day, time(0), tzinfo=zone)
    # Normalise through UTC so that a midnight skipped by a DST change lands on a real time.
    return local.astimezone(UTC).astimezone(zone)


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """The calendar day `instant` falls on in `zone`: legal effect counts whole days there."""
    return instant.astimezone(zone).date()


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months; a day the target month lacks becomes its last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("every month has a 28th day")


def term_end(entry_into_force: datetime, months: int, index: int, zone: ZoneInfo) -> datetime:
    """The exclusive end of term number `index` (0 is the first) of `months` (Art 21)."""
    anniversary = add_months(local_date(entry_into_force, zone), months * (index + 1))
    return start_of_day(anniversary, zone)


def term_index(entry_into_force: datetime, months: int, at: datetime, zone: ZoneInfo) -> int:
    """The number of the term running at `at` (Art 21; `at` must not precede entry into
    force)."""
    start = local_date(entry_into_force, zone)
    now = local_date(at, zone)
    index = max(0, ((now.year - start.year) * 12 + (now.month - start.month)) // months - 1)
    while term_end(entry_into_force, months, index, zone) <= at:
        index += 1
    return index


def term_start(entry_into_force: datetime, months: int, index: int, zone: ZoneInfo) -> datetime:
    """The start of term number `index`: entry into force, then each end of a term (Art 21)."""
    if index == 0:
        return entry_into_force
    return term_end(entry_into_force, months, index - 1, zone)


def notice_deadline(end: datetime, notice_days: int, zone: ZoneInfo) -> datetime:
    """The exclusive deadline for a notice that is to end a term at `end` (Art 21).

    A notice must be delivered before the start of the day `notice_days` days before `end`.
    """
    return start_of_day(local_date(end, zone) - timedelta(days=notice_days), zone)


def after_notice_period(delivered: datetime, notice_days: int, zone: ZoneInfo) -> datetime:
    """When a notice of `notice_days` days delivered at `delivered` runs out (Art 21).

    The same whole-day count as a term-end notice: `notice_days` full days lie between the
    day of delivery and the day of effect.
    """
    return start_of_day(local_date(delivered, zone) + timedelta(days=notice_days + 1), zone)
