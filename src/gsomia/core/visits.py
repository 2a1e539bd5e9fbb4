"""Visits (Art 8 of the Korea–Japan GSOMIA, Rule 11): requested by the visiting party's
competent authority to the host's, for official purposes only, granted only by the host,
which states the facility, the purpose and the highest level the visitors may be given.

The treaty states no lead time and names no visit types: the types (one-time, recurring,
emergency), the lead times counted in the host's working days (20, 20 and 3 by default) and
the longest visit of each type are practice, configured per agreement (`VisitPractice`),
and every reason resting on them says so and cites no article.

Working days are the host's: Monday to Friday (or the host country's own weekend) that are
not public holidays of the host's country, as the `holidays` package lists them, in the
host's time zone. A lead time counts the working days strictly after the day the request is
made and strictly before the visit's first day, both days read in the host's time zone: a
request made on a Monday for the next Monday has four working days (Tuesday to Friday).

Deny by default: every check that fails adds its reason, and a decision is allowed only when
none failed. Nothing here reads the clock or the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from gsomia.core.agreements import (
    Agreement,
    AgreementBook,
    HostCalendar,
    VisitType,
)
from gsomia.core.calendar import add_months, check_instant, local_date, start_of_day
from gsomia.core.markings import Level, at_or_above
from gsomia.core.policy import Code, Decision, Reason, show_instant
from gsomia.core.workdays import CALENDARS, working_days_between


@dataclass(frozen=True, slots=True)
class Visitor:
    """A person of the requesting party, with the clearance that party assures (a native
    marking of its own scheme; None when it assures none)."""

    name: str
    party: str
    clearance: str | None


@dataclass(frozen=True, slots=True)
class Visit:
    """A request for visit as the host reads it (Art 8): who asks whom, under which
    agreement, what for, where, on which days (inclusive, in the host's time zone), at which
    highest level of the host's scheme, for whom, and when it was asked."""

    requester: str
    host: str
    agreement: str
    kind: VisitType
    purpose: str
    facility: str
    first_day: date
    last_day: date
    max_level: Level
    visitors: tuple[Visitor, ...]
    requested_at: datetime


@dataclass(frozen=True, slots=True)
class LeadTime:
    """The working days a request left the host before the visit, against the practice."""

    available: int
    required: int
    country: str
    time_zone: str

    @property
    def met(self) -> bool:
        """Whether the request left at least the required working days."""
        return self.available >= self.required


def host_calendar(agreement: Agreement, host: str) -> HostCalendar | None:
    """Where `host` counts its working days under `agreement`, if anywhere is known."""
    return agreement.visits.calendars.get(host) or CALENDARS.get(host)


def lead_time(agreement: Agreement, visit: Visit) -> LeadTime | None:
    """The working days the request left the host before the first day of the visit, and the
    agreement's practice for the visit's type; None when the host has no known calendar."""
    calendar = host_calendar(agreement, visit.host)
    if calendar is None:
        return None
    asked_on = local_date(check_instant(visit.requested_at), calendar.time_zone)
    return LeadTime(
        available=working_days_between(asked_on, visit.first_day, calendar.country),
        required=agreement.visits.lead_working_days[visit.kind],
        country=calendar.country,
        time_zone=calendar.time_zone.key,
    )


def window(agreement: Agreement, visit: Visit) -> tuple[datetime, datetime]:
    """The visit's window: from the start of its first day to the end of its last, in the
    host's time zone (the agreement's legal zone when the host has no known calendar)."""
    zone = _zone(agreement, visit.host)
    return (
        start_of_day(visit.first_day, zone),
        start_of_day(visit.last_day + timedelta(days=1), zone),
    )


def _zone(agreement: Agreement, host: str) -> ZoneInfo:
    calendar = host_calendar(agreement, host)
    return calendar.time_zone if calendar else agreement.legal_time_zone


def visit_agreement(
    book: AgreementBook, requester: str, host: str, at: datetime
) -> Agreement | None:
    """The bilateral agreement a visit between two parties falls under: the first in force
    at `at`, else the first that binds them at all."""
    candidates = book.bilateral(requester, host)
    for agreement in candidates:
        if book.lifecycle(agreement.id).in_force(at):
            return agreement
    return candidates[0] if candidates else None


# -- deciding a request -----------------------------------------------------------------------


def decide_visit(book: AgreementBook, visit: Visit, at: datetime) -> Decision:
    """Rule 11 (Art 8): a visit may be granted at `at` only by the host, under an agreement in
    force, for a highest level the agreement covers that every visitor's clearance, assured
    by the requesting party, reaches through the equivalence table (Art 4); and, as the
    agreement's practice asks, for a sensible window requested with enough lead time."""
    check_instant(at)
    agreement = book.agreement(visit.agreement)
    article = agreement.articles.visits
    allow: list[Reason] = []
    deny: list[Reason] = []
    if visit.host == visit.requester or {visit.host, visit.requester} != set(agreement.parties):
        deny.append(
            Reason(
                Code.NO_AGREEMENT,
                agreement.id,
                article,
                f"{agreement.id} does not bind {visit.requester} as visiting party and "
                f"{visit.host} as host",
            )
        )
        return Decision(False, tuple(deny), agreement.id)
    lifecycle = book.lifecycle(agreement.id)
    zone = _zone(agreement, visit.host)
    if lifecycle.in_force(at):
        allow.append(
            Reason(
                Code.AGREEMENT_IN_FORCE,
                agreement.id,
                agreement.articles.term,
                f"{agreement.id} is in force at {show_instant(at, zone)}",
            )
        )
    else:
        deny.append(
            Reason(
                Code.AGREEMENT_NOT_IN_FORCE,
                agreement.id,
                agreement.articles.term,
                f"{agreement.id} is not in force at {show_instant(at, zone)}: no visit is "
                "granted under it",
            )
        )
    _check_window(agreement, visit, at, allow, deny)
    _check_lead_time(agreement, visit, allow, deny)
    required = _check_level(book, agreement, visit, allow, deny)
    if required is not None:
        for visitor in visit.visitors:
            _check_visitor(book, agreement, visit, visitor, required, allow, deny)
    if deny:
        return Decision(False, tuple(deny), agreement.id)
    return Decision(True, tuple(allow), agreement.id)


def _check_window(
    agreement: Agreement, visit: Visit, at: datetime, allow: list[Reason], deny: list[Reason]
) -> None:
    practice = agreement.visits
    first, last = visit.first_day, visit.last_day
    days = (last - first).days + 1
    zone = _zone(agreement, visit.host)
    problem = None
    if last < first:
        problem = f"the visit ends on {last} before it begins on {first}"
    elif first < local_date(visit.requested_at, zone):
        problem = f"the visit begins on {first}, before it was requested"
    elif visit.kind is VisitType.RECURRING:
        limit = add_months(first, practice.recurring_months)
        if last >= limit:
            problem = (
                f"a recurring visit lasts at most {practice.recurring_months} months (practice): "
                f"from {first} its last day is {limit - timedelta(days=1)}, not {last}"
            )
    elif days > practice.longest_days[visit.kind]:
        problem = (
            f"a {visit.kind} visit lasts at most {practice.longest_days[visit.kind]} days "
            f"(practice); {first} to {last} is {days} days"
        )
    if problem is not None:
        deny.append(Reason(Code.VISIT_WINDOW_INVALID, agreement.id, None, problem))
        return
    _, end = window(agreement, visit)
    if at >= end:
        deny.append(
            Reason(
                Code.VISIT_WINDOW_PASSED,
                agreement.id,
                agreement.articles.visits,
                f"the visit's last day, {last}, is over at {show_instant(at, zone)}",
            )
        )
        return
    allow.append(
        Reason(
            Code.VISIT_WINDOW_VALID,
            agreement.id,
            None,
            f"a {visit.kind} visit from {first} to {last} ({days} days) is within the "
            "agreement's practice",
        )
    )


def _check_lead_time(
    agreement: Agreement, visit: Visit, allow: list[Reason], deny: list[Reason]
) -> None:
    lead = lead_time(agreement, visit)
    if lead is None:
        deny.append(
            Reason(
                Code.NO_HOST_CALENDAR,
                agreement.id,
                None,
                f"no working-day calendar is known for {visit.host}: the lead time cannot be "
                f"counted; name one in {agreement.id}'s visits.calendars",
            )
        )
        return
    counted = (
        f"{lead.available} working days of {visit.host} ({lead.country} public holidays and "
        f"weekends excluded, {lead.time_zone}) lie between the request on "
        f"{local_date(visit.requested_at, ZoneInfo(lead.time_zone))} and the first day "
        f"{visit.first_day}; {agreement.id}'s practice for a {visit.kind} visit asks "
        f"{lead.required} (practice, not treaty text)"
    )
    if lead.met:
        allow.append(Reason(Code.LEAD_TIME_MET, agreement.id, None, counted))
    else:
        deny.append(Reason(Code.LEAD_TIME_SHORT, agreement.id, None, counted))


def _check_level(
    book: AgreementBook,
    agreement: Agreement,
    visit: Visit,
    allow: list[Reason],
    deny: list[Reason],
) -> Level | None:
    """The requesting party's level equivalent to the highest level stated, if covered."""
    level = visit.max_level
    if level.party != visit.host:
        raise ValueError(f"a visit's highest level is of the host's scheme, not {level.party}'s")
    marking = agreement.equivalent_marking(level, visit.requester)
    if marking is None:
        deny.append(
            Reason(
                Code.LEVEL_NOT_COVERED,
                agreement.id,
                agreement.articles.equivalence,
                f"{level} is not covered by {agreement.id}: it cannot be stated as the highest "
                f"level given to {visit.requester}'s visitors",
            )
        )
        return None
    required = book.scheme(visit.requester).by_marking(marking)
    allow.append(
        Reason(
            Code.LEVEL_COVERED,
            agreement.id,
            agreement.articles.equivalence,
            f"the highest level stated, {level}, is {required} in {visit.requester}'s scheme",
        )
    )
    return required


def _check_visitor(
    book: AgreementBook,
    agreement: Agreement,
    visit: Visit,
    visitor: Visitor,
    required: Level,
    allow: list[Reason],
    deny: list[Reason],
) -> None:
    article = agreement.articles.visits
    who = visitor.name
    if visitor.party != visit.requester:
        deny.append(
            Reason(
                Code.VISITOR_NOT_OF_REQUESTER,
                agreement.id,
                article,
                f"{who} is of {visitor.party}; {visit.requester}'s competent authority requests "
                "visits for its own people only",
            )
        )
        return
    scheme = book.scheme(visitor.party)
    held = scheme.exact(visitor.clearance) if visitor.clearance else None
    if held is None:
        assured = f"a clearance {visitor.clearance!r} unknown to" if visitor.clearance else "no"
        deny.append(
            Reason(
                Code.CLEARANCE_TOO_LOW,
                agreement.id,
                article,
                f"{visit.requester} assures {assured} {visitor.party}'s scheme for {who}; the "
                f"visit asks {required} or above",
            )
        )
    elif at_or_above(held, required):
        allow.append(
            Reason(
                Code.CLEARANCE_SUFFICIENT,
                agreement.id,
                article,
                f"{who}'s clearance {held}, assured by {visit.requester}, reaches {required}, "
                f"the equivalent of the highest level stated ({visit.max_level})",
            )
        )
    else:
        deny.append(
            Reason(
                Code.CLEARANCE_TOO_LOW,
                agreement.id,
                article,
                f"{who}'s clearance {held} is below {required}, the equivalent of the highest "
                f"level stated ({visit.max_level})",
            )
        )


# -- access during a visit ----------------------------------------------------------------------


def decide_visit_access(
    book: AgreementBook,
    visit: Visit,
    approved: bool,
    visitor: str,
    level: Level,
    at: datetime,
) -> Decision:
    """Rule 11 (Art 8): during a visit the host gives a listed visitor access only inside
    the approved window and at or below the highest level it stated; a visit not approved
    by the host grants nothing."""
    check_instant(at)
    agreement = book.agreement(visit.agreement)
    article = agreement.articles.visits
    zone = _zone(agreement, visit.host)
    allow: list[Reason] = []
    deny: list[Reason] = []
    if approved:
        allow.append(
            Reason(
                Code.VISIT_APPROVED,
                agreement.id,
                article,
                f"{visit.host}, the host, approved the visit",
            )
        )
    else:
        deny.append(
            Reason(
                Code.VISIT_NOT_APPROVED,
                agreement.id,
                article,
                f"{visit.host}, the host, has not approved the visit; only the host grants it",
            )
        )
    if any(v.name == visitor for v in visit.visitors):
        allow.append(
            Reason(Code.VISITOR_LISTED, agreement.id, article, f"{visitor} is a listed visitor")
        )
    else:
        listed = ", ".join(v.name for v in visit.visitors)
        deny.append(
            Reason(
                Code.VISITOR_NOT_LISTED,
                agreement.id,
                article,
                f"{visitor} is not among the visit's visitors ({listed})",
            )
        )
    start, end = window(agreement, visit)
    span = f"{visit.first_day} to {visit.last_day} ({zone.key})"
    if start <= at < end:
        allow.append(
            Reason(
                Code.WITHIN_VISIT_WINDOW,
                agreement.id,
                article,
                f"{show_instant(at, zone)} is within the approved window, {span}",
            )
        )
    else:
        deny.append(
            Reason(
                Code.OUTSIDE_VISIT_WINDOW,
                agreement.id,
                article,
                f"{show_instant(at, zone)} is outside the approved window, {span}",
            )
        )
    _check_access_level(agreement, visit, level, allow, deny)
    if not book.lifecycle(agreement.id).in_force(at):
        deny.append(
            Reason(
                Code.AGREEMENT_NOT_IN_FORCE,
                agreement.id,
                agreement.articles.term,
                f"{agreement.id} is not in force at {show_instant(at, zone)}: nothing new is "
                "given to visitors",
            )
        )
    if deny:
        return Decision(False, tuple(deny), agreement.id)
    return Decision(True, tuple(allow), agreement.id)


def _check_access_level(
    agreement: Agreement, visit: Visit, level: Level, allow: list[Reason], deny: list[Reason]
) -> None:
    if level.party != visit.host:
        raise ValueError(f"access during a visit is to the host's levels, not {level.party}'s")
    article = agreement.articles.visits
    if at_or_above(visit.max_level, level):
        allow.append(
            Reason(
                Code.WITHIN_VISIT_LEVEL,
                agreement.id,
                article,
                f"{level} is at or below the highest level stated, {visit.max_level}",
            )
        )
    else:
        deny.append(
            Reason(
                Code.ABOVE_VISIT_LEVEL,
                agreement.id,
                article,
                f"{level} is above the highest level stated for the visit, {visit.max_level}",
            )
        )
