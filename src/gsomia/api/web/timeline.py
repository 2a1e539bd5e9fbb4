"""An agreement's history as a picture: its terms, its events and the instant looked at, laid
out on a time axis for the dashboard's SVG."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import datetime, timedelta

WIDTH = 880
LEFT = 20
RIGHT = 20
MIN_SPAN = timedelta(days=365)
MAX_TICKS = 12
ROWS = 3
"""Labels of successive events go on this many rows above the axis, so close ones stay
readable."""


@dataclass(frozen=True, slots=True)
class Mark:
    x: float
    label: str
    kind: str
    when: str
    row: int

    @property
    def anchor(self) -> str:
        """Where the label sits: after the mark, or before it near the right edge."""
        return "end" if self.x > WIDTH * 0.7 else "start"


@dataclass(frozen=True, slots=True)
class Timeline:
    width: int
    ticks: list[tuple[float, str]]
    terms: list[tuple[float, float]]
    marks: list[Mark]
    now: float
    now_label: str


def layout(
    start: datetime,
    term_months: int | None,
    events: list[tuple[datetime, str]],
    at: datetime,
    ends: datetime | None = None,
) -> Timeline:
    """The timeline from the entry into force to a year past the last thing shown.

    `events` are (instant, kind); `ends` is the instant the agreement terminates, if its
    history (as recorded now) ends it.
    """
    last = max([at, *(when for when, _ in events)] + ([ends] if ends else []))
    finish = max(last + timedelta(days=180), start + MIN_SPAN)
    span = (finish - start).total_seconds()
    usable = WIDTH - LEFT - RIGHT

    def x(when: datetime) -> float:
        return round(LEFT + usable * (when - start).total_seconds() / span, 1)

    step = max(1, -(-(finish.year - start.year) // MAX_TICKS))
    ticks = [
        (x(datetime(year, 1, 1, tzinfo=start.tzinfo)), str(year))
        for year in range(start.year + 1, finish.year + 1)
        if year % step == 0
    ]
    terms: list[tuple[float, float]] = []
    if term_months:
        begin = start
        stop = min(finish, ends) if ends else finish
        while begin < stop:
            end = _add_months(begin, term_months)
            terms.append((x(begin), x(min(end, stop))))
            begin = end
    marks = [
        Mark(x(when), kind.replace("_", " "), kind, when.date().isoformat(), n % ROWS)
        for n, (when, kind) in enumerate(sorted(events))
    ]
    if ends is not None:
        marks.append(Mark(x(ends), "terminates", "terminates", ends.date().isoformat(), 0))
    return Timeline(WIDTH, ticks, terms, marks, x(at), at.date().isoformat())


def _add_months(when: datetime, months: int) -> datetime:
    month = when.month - 1 + months
    year, month = when.year + month // 12, month % 12 + 1
    return when.replace(year=year, month=month, day=min(when.day, monthrange(year, month)[1]))
