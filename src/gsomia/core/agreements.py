"""Agreements as data, and each agreement's status derived from its history of events.

The lifecycle is a small state machine in the manner of a protocol state table:

    state                  event                         next state
    ---------------------  ----------------------------  ----------------------
    not_in_force           (entry into force instant)    in_force
    in_force               termination_notice            termination_notified
    termination_notified   notice_suspended              notice_suspended
    termination_notified   notice_withdrawn              in_force
    termination_notified   (notice takes effect)         terminated
    notice_suspended       notice_reactivated            termination_notified
    notice_suspended       notice_withdrawn              in_force
    terminated             (none: termination is final)

Every other (state, event) pair is refused with `InvalidEvent`. Terms renew automatically
(Art 21 of the Korea–Japan GSOMIA) while no notice stands, and also while a notice is
suspended. Nothing here reads the clock: every question names its instant.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from gsomia.core import calendar
from gsomia.core.errors import InvalidEvent, UnknownAgreement, UnknownParty
from gsomia.core.markings import Level, Scheme


class State(StrEnum):
    NOT_IN_FORCE = "not_in_force"
    IN_FORCE = "in_force"
    TERMINATION_NOTIFIED = "termination_notified"
    NOTICE_SUSPENDED = "notice_suspended"
    TERMINATED = "terminated"


class EventKind(StrEnum):
    TERMINATION_NOTICE = "termination_notice"
    NOTICE_SUSPENDED = "notice_suspended"
    NOTICE_REACTIVATED = "notice_reactivated"
    NOTICE_WITHDRAWN = "notice_withdrawn"


class Kind(StrEnum):
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
    months: int
    automatic_renewal: bool


@dataclass(frozen=True, slots=True)
class NoticeRule:
    days: int
    channel: str
    reactivation: Reactivation = Reactivation.FULL_PERIOD


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


@dataclass(frozen=True, slots=True)
class Equivalence:
    """One row of an equivalence table: the markings each party gives to the same level."""

    english: str
    markings: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Agreement:
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
    _rows: dict[tuple[str, str], Equivalence] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
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
        """The native marking `party` gives to `level` under this agreement, if covered."""
        row = self._rows.get((level.party, level.marking))
        if row is None:
            return None
        markings = row.markings.get(party)
        return markings[0] if markings else None

    def equivalent_english(self, level: Level) -> str | None:
        row = self._rows.get((level.party, level.marking))
        return row.english if row is not None else None

    def in_scope(self, topic: str) -> bool:
        return self.topics is None or topic in self.topics


@dataclass(frozen=True, slots=True)
class Event:
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
        return self.state in (
            State.IN_FORCE,
            State.TERMINATION_NOTIFIED,
            State.NOTICE_SUSPENDED,
        )


class Lifecycle:
    """An agreement and its validated event history, answering status questions at any instant.

    Construction replays the events through the state table once; `status` and `in_force`
    then cost a binary search.
    """

    __slots__ = ("_changes", "_notices", "agreement", "events", "terminated_at")

    def __init__(self, agreement: Agreement, events: Iterable[Event] = ()) -> None:
        self.agreement = agreement
        self.events: tuple[Event, ...] = ()
        self._changes: list[datetime] = []
        self._notices: list[Notice | None] = []
        self.terminated_at: datetime | None = self._natural_expiry()
        for event in sorted(events, key=lambda e: e.at):
            self._apply(event)

    def with_event(self, event: Event) -> Lifecycle:
        """A new lifecycle with `event` added, or `InvalidEvent` saying why it cannot be."""
        return Lifecycle(self.agreement, (*self.events, event))

    def records(self, event: Event) -> bool:
        """Whether the same event (kind, party, instant) is already in the history."""
        key = (event.kind, event.by, event.at)
        return any((e.kind, e.by, e.at) == key for e in self.events)

    def in_force(self, at: datetime) -> bool:
        """Whether the agreement binds the parties at `at` (Art 21: entry into force, term)."""
        if at < self.agreement.entry_into_force:
            return False
        return self.terminated_at is None or at < self.terminated_at

    def notice_at(self, at: datetime) -> Notice | None:
        index = bisect.bisect_right(self._changes, at) - 1
        return self._notices[index] if index >= 0 else None

    def status(self, at: datetime) -> Status:
        calendar.require_aware(at)
        agreement = self.agreement
        if at < agreement.entry_into_force:
            return Status(agreement.id, at, State.NOT_IN_FORCE, None, None, None, None, None)
        if self.terminated_at is not None and at >= self.terminated_at:
            return Status(
                agreement.id, at, State.TERMINATED, None, None, None, self.terminated_at, None
            )
        start, end, deadline = self.term_at(at)
        notice = self.notice_at(at)
        if notice is None:
            state, terminates = State.IN_FORCE, self._natural_expiry()
        elif notice.suspended:
            state, terminates = State.NOTICE_SUSPENDED, None
        else:
            state, terminates = State.TERMINATION_NOTIFIED, notice.takes_effect_at
        return Status(agreement.id, at, state, start, end, deadline, terminates, notice)

    def term_at(self, at: datetime) -> tuple[datetime, datetime | None, datetime | None]:
        """The running term's start, exclusive end and notice deadline (None if indefinite)."""
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
        agreement, zone = self.agreement, self.agreement.legal_time_zone
        rule = agreement.notice
        if rule is None:
            raise InvalidEvent(f"{agreement.id} provides for no termination notice")
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

    def _natural_expiry(self) -> datetime | None:
        """The end of the first term of an agreement that does not renew itself."""
        agreement = self.agreement
        if agreement.term is None or agreement.term.automatic_renewal:
            return None
        return calendar.term_end(
            agreement.entry_into_force, agreement.term.months, 0, agreement.legal_time_zone
        )

    def _apply(self, event: Event) -> None:
        agreement = self.agreement
        if event.agreement != agreement.id:
            raise InvalidEvent(f"event for {event.agreement} given to {agreement.id}")
        calendar.require_aware(event.at)
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
        if event.at < agreement.entry_into_force:
            raise InvalidEvent(
                f"{event.kind} at {event.at.isoformat()} is before {agreement.id} entered into "
                f"force ({agreement.entry_into_force.isoformat()})"
            )
        if self.terminated_at is not None and event.at >= self.terminated_at:
            raise InvalidEvent(
                f"{event.kind} at {event.at.isoformat()} is after {agreement.id} terminated "
                f"({self.terminated_at.isoformat()}); termination is final"
            )
        current = self._notices[-1] if self._notices else None
        self._record(event, self._next_notice(current, event))

    def _next_notice(self, current: Notice | None, event: Event) -> Notice | None:
        kind, agreement = event.kind, self.agreement
        if kind is EventKind.TERMINATION_NOTICE:
            if current is not None:
                raise InvalidEvent(
                    f"a termination notice by {current.by} delivered "
                    f"{current.delivered_at.isoformat()} already stands for {agreement.id}; "
                    "withdraw it first"
                )
            effect, late, deadline = self.notice_effect(event.at)
            return Notice(event.by, event.at, effect, late, deadline)
        if current is None:
            raise InvalidEvent(
                f"{kind} needs a standing termination notice; {agreement.id} has none"
            )
        if event.by != current.by:
            raise InvalidEvent(
                f"only {current.by}, which gave the notice, can {_VERB[kind]} it (not {event.by})"
            )
        if kind is EventKind.NOTICE_WITHDRAWN:
            return None
        if kind is EventKind.NOTICE_SUSPENDED:
            if current.suspended:
                raise InvalidEvent(f"the notice by {current.by} is already suspended")
            return _replace_notice(current, suspended=True)
        if not current.suspended:
            raise InvalidEvent(
                f"the notice by {current.by} is not suspended; nothing to reactivate"
            )
        return self._reactivated(current, event.at)

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

    def _record(self, event: Event, notice: Notice | None) -> None:
        self.events = (*self.events, event)
        self._changes.append(event.at)
        self._notices.append(notice)
        if notice is not None and not notice.suspended:
            # A standing notice ends the agreement unless a later event changes it.
            self.terminated_at = notice.takes_effect_at
        else:
            self.terminated_at = self._natural_expiry()


_VERB = {
    EventKind.NOTICE_SUSPENDED: "suspend",
    EventKind.NOTICE_REACTIVATED: "reactivate",
    EventKind.NOTICE_WITHDRAWN: "withdraw",
}


def _replace_notice(notice: Notice, *, suspended: bool) -> Notice:
    return Notice(
        notice.by,
        notice.delivered_at,
        notice.takes_effect_at,
        notice.late,
        notice.deadline,
        suspended,
    )


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
        found = self.agreements.get(agreement_id)
        if found is None:
            known = ", ".join(sorted(self.agreements)) or "none (no agreement is loaded)"
            raise UnknownAgreement(f"unknown agreement {agreement_id!r}; known agreements: {known}")
        return found

    def lifecycle(self, agreement_id: str) -> Lifecycle:
        self.agreement(agreement_id)
        return self.lifecycles[agreement_id]

    def scheme(self, party: str) -> Scheme:
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

    def zone_for(self, *parties: str) -> ZoneInfo | None:
        """The legal time zone of the first agreement binding all `parties`, if any."""
        wanted = set(parties)
        for agreement in self.agreements.values():
            if wanted <= set(agreement.parties):
                return agreement.legal_time_zone
        return None
