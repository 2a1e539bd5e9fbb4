"""Agreements as data, and each agreement's status derived from its history of events.

An agreement's lifecycle is a state machine written as data, in the manner of h11's
`EVENT_TRIGGERED_TRANSITIONS`: `TRANSITIONS` maps a state and the kind of an event to the
next state, and `TIMED_TRANSITIONS` maps a state and an instant the agreement itself fixes
(a `Timer`: entry into force, a standing notice taking effect, the end of a term that does
not renew) to the next state. A `Lifecycle` replays an agreement's events through the two
tables; any (state, event) pair they do not list is refused with one precise `InvalidEvent`.
The tables, rendered from the mappings (timers in parentheses):

{table}

Terms renew automatically (Art 21 of the Korea–Japan GSOMIA) while no notice stands, and also
while a notice is suspended. Nothing here reads the clock: every question names its instant.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from gsomia.core import calendar
from gsomia.core.errors import InvalidEvent, InvalidRequest, UnknownAgreement, UnknownParty
from gsomia.core.markings import Level, Scheme


class State(StrEnum):
    """Where an agreement stands at an instant (Art 21: entry into force, term, termination)."""

    NOT_IN_FORCE = "not_in_force"
    IN_FORCE = "in_force"
    TERMINATION_NOTIFIED = "termination_notified"
    NOTICE_SUSPENDED = "notice_suspended"
    TERMINATED = "terminated"


class EventKind(StrEnum):
    """What a party does to an agreement's lifecycle (Art 21: written notice to terminate)."""

    TERMINATION_NOTICE = "termination_notice"
    NOTICE_SUSPENDED = "notice_suspended"
    NOTICE_REACTIVATED = "notice_reactivated"
    NOTICE_WITHDRAWN = "notice_withdrawn"


class Timer(StrEnum):
    """An instant the agreement fixes, at which its state changes without any event."""

    ENTRY_INTO_FORCE = "entry_into_force"
    NOTICE_TAKES_EFFECT = "notice_takes_effect"
    TERM_EXPIRES = "term_expires"
    """The end of a term that does not renew itself; a renewing term never expires."""


TRANSITIONS: Final[Mapping[tuple[State, EventKind], State]] = {
    (State.IN_FORCE, EventKind.TERMINATION_NOTICE): State.TERMINATION_NOTIFIED,
    (State.TERMINATION_NOTIFIED, EventKind.NOTICE_SUSPENDED): State.NOTICE_SUSPENDED,
    (State.TERMINATION_NOTIFIED, EventKind.NOTICE_WITHDRAWN): State.IN_FORCE,
    (State.NOTICE_SUSPENDED, EventKind.NOTICE_REACTIVATED): State.TERMINATION_NOTIFIED,
    (State.NOTICE_SUSPENDED, EventKind.NOTICE_WITHDRAWN): State.IN_FORCE,
}
"""The event-triggered transitions: (state, event kind) -> next state. Nothing else is
accepted; in particular no event is accepted before entry into force or after termination."""

TIMED_TRANSITIONS: Final[Mapping[tuple[State, Timer], State]] = {
    (State.NOT_IN_FORCE, Timer.ENTRY_INTO_FORCE): State.IN_FORCE,
    (State.IN_FORCE, Timer.TERM_EXPIRES): State.TERMINATED,
    (State.TERMINATION_NOTIFIED, Timer.NOTICE_TAKES_EFFECT): State.TERMINATED,
    (State.TERMINATION_NOTIFIED, Timer.TERM_EXPIRES): State.TERMINATED,
    (State.NOTICE_SUSPENDED, Timer.TERM_EXPIRES): State.TERMINATED,
}
"""The timed transitions: (state, timer) -> next state, taken when the timer's instant comes;
the first timer due wins. Termination is final: no transition leaves `terminated`."""


def transition_table() -> str:
    """Both tables as aligned text, state by state; timers are shown in parentheses."""
    rows: list[tuple[str, str, str]] = [("state", "event", "next state")]
    for state in State:
        own = [(s, str(k), n) for (s, k), n in TRANSITIONS.items() if s is state]
        own += [(s, f"({t})", n) for (s, t), n in TIMED_TRANSITIONS.items() if s is state]
        rows += own or [(state, "(none: final)", "")]
    widths = [max(len(row[column]) for row in rows) for column in (0, 1)]
    rows.insert(1, ("-" * widths[0], "-" * widths[1], "-" * max(len(row[2]) for row in rows)))
    return "\n".join(f"    {s:<{widths[0]}}  {e:<{widths[1]}}  {n}".rstrip() for s, e, n in rows)


if __doc__ is not None:  # docstrings are stripped under python -OO
    __doc__ = __doc__.format(table=transition_table())


class Kind(StrEnum):
    """A bilateral agreement, or an arrangement that joins its members through a hub (TISA)."""

    BILATERAL = "bilateral"
    HUB = "hub"


class Reactivation(StrEnum):
    """How much notice a suspended notice needs once reactivated (the treaty is silent)."""

    FULL_PERIOD = "full_period"
    """The full notice period again, counted from reactivation (Japan's reading in 2019)."""
    TERM_END = "term_end"
    """As a fresh notice: it ends the first term whose notice deadline it still meets."""
    IMMEDIATE = "immediate"
    """Effective at once (Korea's claim to end the agreement "at any time")."""


@dataclass(frozen=True, slots=True)
class Term:
    """An agreement's term (Art 21: one year, renewed automatically)."""

    months: int
    automatic_renewal: bool

    def __post_init__(self) -> None:
        # The supported range of instants leaves headroom for terms up to this long.
        if not 0 < self.months <= calendar.MAX_TERM_MONTHS:
            raise InvalidRequest(
                f"a term of {self.months} months is not supported; "
                f"give 1 to {calendar.MAX_TERM_MONTHS} months"
            )


@dataclass(frozen=True, slots=True)
class NoticeRule:
    """How a party ends the agreement (Art 21: written notice 90 days in advance)."""

    days: int
    channel: str
    reactivation: Reactivation = Reactivation.FULL_PERIOD

    def __post_init__(self) -> None:
        # The supported range of instants leaves headroom for notice periods up to this long.
        if not 0 <= self.days <= calendar.MAX_NOTICE_DAYS:
            raise InvalidRequest(
                f"a notice period of {self.days} days is not supported; "
                f"give 0 to {calendar.MAX_NOTICE_DAYS} days"
            )


@dataclass(frozen=True, slots=True)
class Articles:
    """Where each rule sits in the agreement's text, as cited in decisions' reasons."""

    term: str
    equivalence: str
    third_party: str
    access: str
    survival: str
    scope: str | None = None
    forwarding: str | None = None
    visits: str | None = None


class VisitType(StrEnum):
    """Kinds of visit in common practice; the treaties name none (Art 8 of the Korea–Japan
    GSOMIA states no visit types and no lead time)."""

    ONE_TIME = "one-time"
    RECURRING = "recurring"
    EMERGENCY = "emergency"


@dataclass(frozen=True, slots=True)
class HostCalendar:
    """Where a host counts its working days: a country of the `holidays` package (weekends
    and public holidays) and the time zone its days run in."""

    country: str
    time_zone: ZoneInfo


def _lead_days() -> dict[VisitType, int]:
    return {VisitType.ONE_TIME: 20, VisitType.RECURRING: 20, VisitType.EMERGENCY: 3}


def _longest_days() -> dict[VisitType, int]:
    return {VisitType.ONE_TIME: 30, VisitType.EMERGENCY: 30}


@dataclass(frozen=True)
class VisitPractice:
    """How visits under an agreement go in practice, configured per agreement: none of it is
    treaty text (Art 8 states no lead time). Lead times are counted in the host's working
    days; a recurring visit lasts at most `recurring_months`; a one-time or emergency visit
    at most `longest_days` days."""

    lead_working_days: Mapping[VisitType, int] = field(default_factory=_lead_days)
    longest_days: Mapping[VisitType, int] = field(default_factory=_longest_days)
    recurring_months: int = 12
    calendars: Mapping[str, HostCalendar] = field(default_factory=dict)
    """Hosts' calendars that replace the built-in ones (KOR, JPN, USA)."""


@dataclass(frozen=True, slots=True)
class Equivalence:
    """One row of an equivalence table: the markings each party gives to the same level."""

    english: str
    markings: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Agreement:
    """One agreement as data: its parties, entry into force and legal time zone, term and
    notice rule (Art 21), equivalence table (Art 4), scope, visit practice (Art 8), and where
    each rule sits."""

    id: str
    title: str
    kind: Kind
    parties: tuple[str, ...]
    entry_into_force: datetime
    legal_time_zone: ZoneInfo
    articles: Articles
    equivalences: tuple[Equivalence, ...] = ()
    term: Term | None = None
    notice: NoticeRule | None = None
    protection_survives_termination: bool = True
    topics: frozenset[str] | None = None
    hub: str | None = None
    forwarding_requires_originator_approval: bool = False
    signed: str | None = None
    source: str = ""
    visits: VisitPractice = field(default_factory=VisitPractice)
    _rows: dict[tuple[str, str], Equivalence] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        calendar.check_instant(self.entry_into_force)
        rows = {
            (party, marking): row
            for row in self.equivalences
            for party, markings in row.markings.items()
            for marking in markings
        }
        object.__setattr__(self, "_rows", rows)

    def covers(self, level: Level) -> bool:
        """Whether the equivalence table lists `level` (Art 4): uncovered levels never go."""
        return (level.party, level.marking) in self._rows

    def equivalent_marking(self, level: Level, party: str) -> str | None:
        """The native marking `party` gives to `level` under this agreement (Art 4), if any."""
        row = self._rows.get((level.party, level.marking))
        if row is None:
            return None
        markings = row.markings.get(party)
        return markings[0] if markings else None

    def equivalent_english(self, level: Level) -> str | None:
        """The English name both markings of a covered `level` stand for (Art 4)."""
        row = self._rows.get((level.party, level.marking))
        return row.english if row is not None else None

    def in_scope(self, topic: str) -> bool:
        """Whether `topic` is within the agreement's scope (TISA: North Korea threats only)."""
        return self.topics is None or topic in self.topics


@dataclass(frozen=True, slots=True)
class Event:
    """One act of a party on an agreement's lifecycle, at an instant (Art 21: written notice)."""

    agreement: str
    kind: EventKind
    by: str
    at: datetime
    note: str = ""


@dataclass(frozen=True, slots=True)
class Notice:
    """A termination notice standing at some instant."""

    by: str
    delivered_at: datetime
    takes_effect_at: datetime
    late: bool
    deadline: datetime | None
    suspended: bool = False


@dataclass(frozen=True, slots=True)
class Status:
    """An agreement's state at an instant, the running term and its notice deadline, and when
    the agreement terminates if nothing changes (None: not foreseen)."""

    agreement: str
    at: datetime
    state: State
    term_start: datetime | None
    term_end: datetime | None
    notice_deadline: datetime | None
    terminates_at: datetime | None
    notice: Notice | None

    @property
    def in_force(self) -> bool:
        """Whether the agreement binds its parties in this state (Art 21)."""
        return self.state in (
            State.IN_FORCE,
            State.TERMINATION_NOTIFIED,
            State.NOTICE_SUSPENDED,
        )


class Lifecycle:
    """An agreement and its validated event history, answering status questions at any instant.

    Construction replays the events through `TRANSITIONS`, firing `TIMED_TRANSITIONS` as
    their instants pass, once; `status` and `in_force` then cost a binary search.
    """

    __slots__ = ("_changes", "_notices", "_states", "agreement", "events", "terminated_at")

    def __init__(self, agreement: Agreement, events: Iterable[Event] = ()) -> None:
        self.agreement = agreement
        self.events: tuple[Event, ...] = ()
        # The timeline: from each instant in `_changes` on, the state and the notice standing.
        self._changes: list[datetime] = []
        self._states: list[State] = []
        self._notices: list[Notice | None] = []
        self.terminated_at: datetime | None = None
        """When the agreement terminates, given the recorded history (None: not foreseen)."""
        for event in sorted(events, key=lambda e: calendar.check_instant(e.at)):
            self._fire_timers(until=event.at)
            self._apply(event)
        self._fire_timers(until=None)

    def with_event(self, event: Event) -> Lifecycle:
        """A new lifecycle with `event` added, or `InvalidEvent` saying why it cannot be."""
        return Lifecycle(self.agreement, (*self.events, event))

    def ended_at(self, at: datetime) -> Lifecycle:
        """A what-if: the same history, with the agreement no longer in force from `at` (for
        decisions: `in_force` and `terminated_at`; the recorded timeline is unchanged)."""
        calendar.check_instant(at)
        ended = copy.copy(self)
        if self.terminated_at is None or at < self.terminated_at:
            ended.terminated_at = at
        return ended

    def records(self, event: Event) -> bool:
        """Whether the same event (kind, party, instant) is already in the history."""
        key = (event.kind, event.by, event.at)
        return any((e.kind, e.by, e.at) == key for e in self.events)

    def in_force(self, at: datetime) -> bool:
        """Whether the agreement binds the parties at `at` (Art 21: entry into force, term)."""
        # Equivalent to asking the timeline: the only state before entry into force is
        # not_in_force, and termination is final.
        if calendar.check_instant(at) < self.agreement.entry_into_force:
            return False
        return self.terminated_at is None or at < self.terminated_at

    def notice_at(self, at: datetime) -> Notice | None:
        """The termination notice recorded as standing (or suspended) at `at` (Art 21)."""
        return self._at(calendar.check_instant(at))[1]

    def status(self, at: datetime) -> Status:
        """The agreement's state at `at`, with its term, deadline and foreseen end (Art 21)."""
        calendar.check_instant(at)
        agreement = self.agreement
        state, notice = self._at(at)
        if state is State.NOT_IN_FORCE:
            return Status(agreement.id, at, state, None, None, None, None, None)
        if state is State.TERMINATED:
            return Status(agreement.id, at, state, None, None, None, self.terminated_at, None)
        start, end, deadline = self.term_at(at)
        # From a state in force, every timed transition ends the agreement.
        pending = self._pending(state, notice)
        terminates = pending[1] if pending is not None else None
        return Status(agreement.id, at, state, start, end, deadline, terminates, notice)

    def term_at(self, at: datetime) -> tuple[datetime, datetime | None, datetime | None]:
        """The running term's start, exclusive end and notice deadline (Art 21; None if the
        agreement has no fixed term)."""
        calendar.check_instant(at)
        agreement, zone = self.agreement, self.agreement.legal_time_zone
        if agreement.term is None:
            return agreement.entry_into_force, None, None
        months = agreement.term.months
        index = calendar.term_index(agreement.entry_into_force, months, at, zone)
        start = calendar.term_start(agreement.entry_into_force, months, index, zone)
        end = calendar.term_end(agreement.entry_into_force, months, index, zone)
        deadline = (
            calendar.notice_deadline(end, agreement.notice.days, zone)
            if agreement.notice is not None
            else None
        )
        return start, end, deadline

    def notice_effect(self, delivered: datetime) -> tuple[datetime, bool, datetime | None]:
        """When a notice delivered at `delivered` ends the agreement (Art 21).

        Returns (takes effect at, late, deadline of the running term). A notice that misses
        the running term's deadline does not end that term: it takes effect at the end of the
        first later term whose deadline it meets, and is reported late.
        """
        calendar.check_instant(delivered)
        agreement, zone = self.agreement, self.agreement.legal_time_zone
        rule = agreement.notice
        if rule is None:
            raise InvalidEvent(
                f"{agreement.id} provides for no termination notice; it ends only as its "
                "term provides"
            )
        if agreement.term is None:
            return calendar.after_notice_period(delivered, rule.days, zone), False, None
        months = agreement.term.months
        index = calendar.term_index(agreement.entry_into_force, months, delivered, zone)
        first_deadline: datetime | None = None
        late = False
        while True:
            end = calendar.term_end(agreement.entry_into_force, months, index, zone)
            deadline = calendar.notice_deadline(end, rule.days, zone)
            if first_deadline is None:
                first_deadline = deadline
            if delivered < deadline:
                return end, late, first_deadline
            late = True
            index += 1

    def _at(self, at: datetime) -> tuple[State, Notice | None]:
        """The state and the notice on the timeline at `at`."""
        index = bisect.bisect_right(self._changes, at) - 1
        if index < 0:
            return State.NOT_IN_FORCE, None
        return self._states[index], self._notices[index]

    def _current(self) -> tuple[State, Notice | None]:
        """The state and the notice after the last change recorded so far."""
        if not self._states:
            return State.NOT_IN_FORCE, None
        return self._states[-1], self._notices[-1]

    def _pending(self, state: State, notice: Notice | None) -> tuple[Timer, datetime] | None:
        """The first timed transition due from `state`, and its instant."""
        due = [
            (at, timer)
            for (source, timer) in TIMED_TRANSITIONS
            if source is state and (at := self._due(timer, notice)) is not None
        ]
        if not due:
            return None
        at, timer = min(due)
        return timer, at

    def _due(self, timer: Timer, notice: Notice | None) -> datetime | None:
        """The instant `timer` comes, if it ever does."""
        if timer is Timer.ENTRY_INTO_FORCE:
            return self.agreement.entry_into_force
        if timer is Timer.NOTICE_TAKES_EFFECT:
            return notice.takes_effect_at if notice is not None else None
        term = self.agreement.term
        if term is None or term.automatic_renewal:
            return None
        return calendar.term_end(
            self.agreement.entry_into_force, term.months, 0, self.agreement.legal_time_zone
        )

    def _fire_timers(self, until: datetime | None) -> None:
        """Take the timed transitions due at or before `until` (every one, if None)."""
        while (pending := self._pending(*self._current())) is not None:
            timer, at = pending
            if until is not None and at > until:
                return
            state, notice = self._current()
            self._record(at, TIMED_TRANSITIONS[(state, timer)], notice)

    def _apply(self, event: Event) -> None:
        agreement = self.agreement
        if event.agreement != agreement.id:
            raise InvalidEvent(
                f"an event of {event.agreement} cannot enter the history of {agreement.id}; "
                "give each agreement its own events"
            )
        if event.by not in agreement.parties:
            raise InvalidEvent(
                f"{event.by} is not a party to {agreement.id}; "
                f"its parties are {', '.join(agreement.parties)}"
            )
        if self.records(event):
            raise InvalidEvent(
                f"duplicate event: {event.kind} by {event.by} at {event.at.isoformat()} "
                f"is already recorded for {agreement.id}"
            )
        state, notice = self._current()
        next_state = TRANSITIONS.get((state, event.kind))
        if next_state is None:
            raise self._refusal(state, notice, event)
        if notice is not None and event.by != notice.by:
            # Every event the table accepts while a notice stands acts on that notice.
            raise InvalidEvent(
                f"only {notice.by}, which gave the notice, can {_VERB[event.kind]} it "
                f"(not {event.by})"
            )
        self.events = (*self.events, event)
        self._record(event.at, next_state, self._notice_after(event, notice))

    def _refusal(self, state: State, notice: Notice | None, event: Event) -> InvalidEvent:
        """The one precise error for an event the table has no row for in `state`."""
        agreement, kind, at = self.agreement, event.kind, event.at.isoformat()
        by = f" by {notice.by}" if notice is not None else ""
        accepted = " or ".join(k for (s, k) in TRANSITIONS if s is state) + by
        if state is State.NOT_IN_FORCE:
            return InvalidEvent(
                f"{kind} at {at} is before {agreement.id} entered into force "
                f"({agreement.entry_into_force.isoformat()}); events are accepted from then on"
            )
        if state is State.TERMINATED:
            assert self.terminated_at is not None  # reached only through a timed transition
            return InvalidEvent(
                f"{kind} at {at} is after {agreement.id} terminated "
                f"({self.terminated_at.isoformat()}); termination is final"
            )
        if notice is None:
            return InvalidEvent(
                f"{kind} needs a standing termination notice; {agreement.id} has none and "
                f"accepts only {accepted} now"
            )
        if kind is EventKind.TERMINATION_NOTICE:
            return InvalidEvent(
                f"a termination notice by {notice.by} delivered "
                f"{notice.delivered_at.isoformat()} already stands for {agreement.id}; "
                "withdraw it first"
            )
        if notice.suspended:
            why = f"the notice by {notice.by} is already suspended"
        else:
            why = f"the notice by {notice.by} is not suspended, so there is nothing to reactivate"
        return InvalidEvent(f"{why}; {agreement.id} accepts only {accepted} now")

    def _notice_after(self, event: Event, notice: Notice | None) -> Notice | None:
        """The notice standing once `event`, which the table accepts, has happened."""
        if event.kind is EventKind.TERMINATION_NOTICE:
            effect, late, deadline = self.notice_effect(event.at)
            return Notice(event.by, event.at, effect, late, deadline)
        assert notice is not None  # the table accepts the other kinds only while one stands
        if event.kind is EventKind.NOTICE_WITHDRAWN:
            return None
        if event.kind is EventKind.NOTICE_SUSPENDED:
            return replace(notice, suspended=True)
        return self._reactivated(notice, event.at)

    def _reactivated(self, current: Notice, at: datetime) -> Notice:
        rule = self.agreement.notice
        assert rule is not None  # a notice stands, so the agreement has a notice rule
        zone = self.agreement.legal_time_zone
        if rule.reactivation is Reactivation.IMMEDIATE:
            effect, late, deadline = at, False, None
        elif rule.reactivation is Reactivation.TERM_END:
            effect, late, deadline = self.notice_effect(at)
        else:
            effect, late, deadline = calendar.after_notice_period(at, rule.days, zone), False, None
        return Notice(current.by, current.delivered_at, effect, late, deadline)

    def _record(self, at: datetime, state: State, notice: Notice | None) -> None:
        self._changes.append(at)
        self._states.append(state)
        self._notices.append(notice)
        if state is State.TERMINATED:
            self.terminated_at = at


_VERB = {
    EventKind.NOTICE_SUSPENDED: "suspend",
    EventKind.NOTICE_REACTIVATED: "reactivate",
    EventKind.NOTICE_WITHDRAWN: "withdraw",
}


class AgreementBook:
    """Every scheme, agreement and history a node knows, indexed for decisions."""

    def __init__(
        self,
        schemes: Iterable[Scheme],
        agreements: Iterable[Agreement],
        events: Iterable[Event] = (),
    ) -> None:
        self.schemes: dict[str, Scheme] = {scheme.party: scheme for scheme in schemes}
        self.agreements: dict[str, Agreement] = {a.id: a for a in agreements}
        by_agreement: dict[str, list[Event]] = {a: [] for a in self.agreements}
        for event in events:
            self.agreement(event.agreement)
            by_agreement[event.agreement].append(event)
        self.lifecycles: dict[str, Lifecycle] = {
            agreement_id: Lifecycle(self.agreements[agreement_id], history)
            for agreement_id, history in by_agreement.items()
        }
        self._bilateral: dict[frozenset[str], list[Agreement]] = {}
        self._hubs: list[Agreement] = []
        for agreement in self.agreements.values():
            if agreement.kind is Kind.HUB:
                self._hubs.append(agreement)
            else:
                self._bilateral.setdefault(frozenset(agreement.parties), []).append(agreement)

    def agreement(self, agreement_id: str) -> Agreement:
        """The agreement `agreement_id`, or `UnknownAgreement` listing the known ones."""
        found = self.agreements.get(agreement_id)
        if found is None:
            known = ", ".join(sorted(self.agreements)) or "none (no agreement is loaded)"
            raise UnknownAgreement(f"unknown agreement {agreement_id!r}; known agreements: {known}")
        return found

    def lifecycle(self, agreement_id: str) -> Lifecycle:
        """The lifecycle of agreement `agreement_id`, with its recorded history."""
        self.agreement(agreement_id)
        return self.lifecycles[agreement_id]

    def scheme(self, party: str) -> Scheme:
        """The classification scheme of `party` (any case), or `UnknownParty`."""
        found = self.schemes.get(party.upper())
        if found is None:
            raise UnknownParty(
                f"unknown party {party!r}; known parties: {', '.join(sorted(self.schemes))}"
            )
        return found

    def bilateral(self, a: str, b: str) -> Sequence[Agreement]:
        """The bilateral agreements between two parties, in file order."""
        return self._bilateral.get(frozenset((a, b)), ())

    def hubs_joining(self, a: str, b: str) -> list[Agreement]:
        """Hub arrangements to which both parties belong, neither being the hub."""
        return [h for h in self._hubs if a in h.parties and b in h.parties and h.hub not in (a, b)]

    def with_event(self, event: Event) -> AgreementBook:
        """A copy with `event` added to its agreement's history (validated)."""
        book = copy.copy(self)
        book.lifecycles = dict(self.lifecycles)
        book.lifecycles[event.agreement] = self.lifecycle(event.agreement).with_event(event)
        return book

    def ending(self, agreement_id: str, at: datetime) -> AgreementBook:
        """A what-if copy in which agreement `agreement_id` is no longer in force from `at`;
        every other agreement as recorded."""
        book = copy.copy(self)
        book.lifecycles = dict(self.lifecycles)
        book.lifecycles[agreement_id] = self.lifecycle(agreement_id).ended_at(at)
        return book

    def zone_for(self, *parties: str) -> ZoneInfo | None:
        """The legal time zone of the first agreement binding all `parties`, if any."""
        wanted = set(parties)
        for agreement in self.agreements.values():
            if wanted <= set(agreement.parties):
                return agreement.legal_time_zone
        return None
