"""Loss or compromise of an item (Art 17, Rule 10): a case's steps and its deadlines.

Art 17: the originator is informed immediately of every loss or compromise, and of every
possibility of one; the receiver investigates to establish the circumstances and sends the
originator the results and the measures taken to prevent recurrence.

A case moves `reported` -> `investigating` -> `concluded`, one step at a time, never back and
never over a step (`TRANSITIONS`, a table walked row by row in its test). The treaty fixes no
period: "immediately" is all it says. The periods here (`Deadlines`) are practice, chosen by
each node and never presented as treaty text; `deadline_status` says at any instant which
step is met, late, still pending, or overdue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from gsomia.core.calendar import check_instant
from gsomia.core.errors import InvalidRequest

ARTICLE: Final = "Art 17"


class IncidentKind(StrEnum):
    """What happened to the items, or may have (Art 17 covers the possibility too)."""

    LOSS = "loss"
    COMPROMISE = "compromise"
    POSSIBLE_COMPROMISE = "possible-compromise"


class State(StrEnum):
    """Where a case stands."""

    REPORTED = "reported"
    INVESTIGATING = "investigating"
    CONCLUDED = "concluded"


class Step(StrEnum):
    """What moves a case, each sent to the originator of its items (Art 17)."""

    REPORT = "report"
    INVESTIGATE = "investigate"
    CONCLUDE = "conclude"


TRANSITIONS: Final[dict[tuple[State | None, Step], State]] = {
    (None, Step.REPORT): State.REPORTED,
    (State.REPORTED, Step.INVESTIGATE): State.INVESTIGATING,
    (State.INVESTIGATING, Step.CONCLUDE): State.CONCLUDED,
}
"""Every step a case accepts, from the state it is in (None: no case yet); any other is
refused."""

STEP_TO: Final[dict[State, Step]] = {state: step for (_, step), state in TRANSITIONS.items()}
"""The step that leads to each state."""


class Duty(StrEnum):
    """What the receiving party owes the originator, each by a deadline of practice."""

    NOTIFY = "notify"
    """The originator is informed (its node acknowledged the report)."""
    INVESTIGATE = "investigate"
    """An investigation is opened."""
    CONCLUDE = "conclude"
    """The results and the measures against recurrence are sent."""


class Standing(StrEnum):
    """A duty at an instant."""

    MET = "met"
    LATE = "late"
    """Done, but after its deadline."""
    PENDING = "pending"
    """Not done, and not yet due."""
    OVERDUE = "overdue"
    """Not done, and past its deadline."""
    NOT_APPLICABLE = "not_applicable"
    """No one to inform: every item is the reporting party's own."""


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Periods of practice, each from the discovery (the treaty says "immediately", Art 17).

    Defaults: the originator informed within 24 hours, an investigation opened within
    3 days, concluded within 30 days. A node configures its own."""

    notify: timedelta = timedelta(hours=24)
    investigate: timedelta = timedelta(days=3)
    conclude: timedelta = timedelta(days=30)

    def __post_init__(self) -> None:
        for duty in Duty:
            if self.period(duty) <= timedelta(0):
                raise InvalidRequest(f"the period to {duty.value} must be positive")

    def period(self, duty: Duty) -> timedelta:
        """How long after the discovery `duty` is due."""
        return {
            Duty.NOTIFY: self.notify,
            Duty.INVESTIGATE: self.investigate,
            Duty.CONCLUDE: self.conclude,
        }[duty]


@dataclass(frozen=True, slots=True)
class Case:
    """A case of loss or compromise as its steps left it."""

    kind: IncidentKind
    discovered_at: datetime
    reported_at: datetime
    state: State = State.REPORTED
    investigating_at: datetime | None = None
    concluded_at: datetime | None = None
    result: str = ""
    measures: str = ""

    def at(self, step: Step) -> datetime | None:
        """When `step` was taken, if it was."""
        return {
            Step.REPORT: self.reported_at,
            Step.INVESTIGATE: self.investigating_at,
            Step.CONCLUDE: self.concluded_at,
        }[step]

    @property
    def last_at(self) -> datetime:
        """The instant of the latest step taken."""
        return self.concluded_at or self.investigating_at or self.reported_at


def parse_kind(text: str) -> IncidentKind:
    """An incident's kind from a user's word, or `InvalidRequest` naming the kinds."""
    try:
        return IncidentKind(text.strip().lower())
    except ValueError:
        raise InvalidRequest(
            f"unknown incident kind {text!r}; the kinds are "
            f"{', '.join(k.value for k in IncidentKind)}"
        ) from None


def next_state(state: State | None, step: Step) -> State:
    """The state `step` moves a case in `state` to (Art 17: report, investigate, conclude, in
    that order); `InvalidRequest` for any step the table lacks."""
    found = TRANSITIONS.get((state, step))
    if found is not None:
        return found
    if state is None:
        raise InvalidRequest(f"no case is reported yet: the first step is {Step.REPORT.value}")
    if step is Step.REPORT:
        raise InvalidRequest(f"the case is already reported; it is {state.value}")
    if state is State.CONCLUDED:
        raise InvalidRequest(f"the case is concluded: no {step.value} step follows a conclusion")
    wanted = next(s for (from_, s) in TRANSITIONS if from_ is state)
    raise InvalidRequest(
        f"the case is {state.value}: its next step is {wanted.value}, not {step.value} "
        f"({ARTICLE}: the investigation comes before its results)"
    )


def report(kind: IncidentKind, discovered_at: datetime, at: datetime, summary: str) -> Case:
    """A case reported at `at` of what was discovered at `discovered_at` (Art 17: the
    originator is informed of the loss, the compromise, or its possibility)."""
    check_instant(discovered_at)
    check_instant(at)
    next_state(None, Step.REPORT)
    if discovered_at > at:
        raise InvalidRequest(
            f"the discovery ({discovered_at.isoformat()}) lies after the report "
            f"({at.isoformat()}): what is reported was discovered first"
        )
    if not summary.strip():
        raise InvalidRequest("a report states what happened: its summary is empty")
    return Case(kind, discovered_at, at)


def advance(case: Case, step: Step, at: datetime, *, result: str = "", measures: str = "") -> Case:
    """The case after `step` at `at`: the investigation opened, or concluded with its result
    and the measures taken to prevent recurrence (Art 17). Steps never go back in time."""
    check_instant(at)
    state = next_state(case.state, step)
    if at < case.last_at:
        raise InvalidRequest(
            f"the {step.value} step ({at.isoformat()}) lies before the case's last step "
            f"({case.last_at.isoformat()})"
        )
    if step is Step.INVESTIGATE:
        return replace(case, state=state, investigating_at=at)
    if not result.strip() or not measures.strip():
        raise InvalidRequest(
            f"a conclusion states its result and the measures taken against recurrence "
            f"({ARTICLE}); give both"
        )
    return replace(
        case, state=state, concluded_at=at, result=result.strip(), measures=measures.strip()
    )


@dataclass(frozen=True, slots=True)
class DutyStatus:
    """One duty at an instant: when it falls due, when it was done (by that instant), and so
    whether it is met, late, pending or overdue."""

    duty: Duty
    due: datetime
    done_at: datetime | None
    standing: Standing


def deadline_status(
    case: Case,
    deadlines: Deadlines,
    at: datetime,
    *,
    notified_at: datetime | None,
    to_notify: bool = True,
) -> tuple[DutyStatus, ...]:
    """Each duty of a case as it stands at `at` (Art 17; the periods are practice).

    `notified_at` is when the originator was informed (its node's acknowledgement), None if
    not yet; `to_notify` is False when the case concerns no other party's items. A step taken
    after `at` does not count at `at`: the answer for any past instant is what it was then."""
    check_instant(at)
    done = {
        Duty.NOTIFY: notified_at,
        Duty.INVESTIGATE: case.investigating_at,
        Duty.CONCLUDE: case.concluded_at,
    }
    found = []
    for duty in Duty:
        due = case.discovered_at + deadlines.period(duty)
        when = done[duty]
        if when is not None and when > at:
            when = None
        if duty is Duty.NOTIFY and not to_notify:
            standing = Standing.NOT_APPLICABLE
        elif when is not None:
            standing = Standing.MET if when <= due else Standing.LATE
        else:
            standing = Standing.OVERDUE if at > due else Standing.PENDING
        found.append(DutyStatus(duty, due, when, standing))
    return tuple(found)


def overdue(statuses: tuple[DutyStatus, ...]) -> tuple[Duty, ...]:
    """The duties overdue among `statuses`."""
    return tuple(s.duty for s in statuses if s.standing is Standing.OVERDUE)


_PERIOD = re.compile(r"P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?")


def parse_period(text: str) -> timedelta:
    """A positive period in ISO 8601 duration form, in days, hours, minutes and seconds
    (`PT24H`, `P3D`, `P1DT12H`); `InvalidRequest` otherwise."""
    match = _PERIOD.fullmatch(text.strip().upper())
    if match is None or not any(match.groupdict().values()) or text.strip().upper().endswith("T"):
        raise InvalidRequest(
            f"{text!r} is not a period; write an ISO 8601 duration such as PT24H or P3D"
        )
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    period = timedelta(
        days=parts.get("d", 0),
        hours=parts.get("h", 0),
        minutes=parts.get("m", 0),
        seconds=parts.get("s", 0),
    )
    if period <= timedelta(0) or period > timedelta(days=3660):
        raise InvalidRequest(f"the period {text!r} must lie between 1 second and 3660 days")
    return period


def format_period(period: timedelta) -> str:
    """A period as an ISO 8601 duration in whole seconds: `PT24H`, `P3D`, `P1DT2H3M4S`."""
    seconds = int(period.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    time = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    text = "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")
    return text if text != "P" else "PT0S"
