"""Visits (Art 8, Rule 11): requested between competent authorities, granted only by the host
for a highest level every visitor's clearance reaches, with lead times and validity as the
agreement's practice configures them (never treaty text), and access during a visit only
inside the approved window and level."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from gsomia.core.agreements import AgreementBook, VisitPractice, VisitType
from gsomia.core.policy import Code
from gsomia.core.visits import (
    Visit,
    Visitor,
    decide_visit,
    decide_visit_access,
    lead_time,
    visit_agreement,
)
from gsomia.core.workdays import is_working_day, working_days_between
from tests.conftest import kst as _kst


def kst(text: str) -> datetime:
    """An instant in Korea Standard Time."""
    return _kst(text + "+09:00")


KOR_JPN = "KOR-JPN-GSOMIA-2016"
BEFORE_CHUSEOK = kst("2025-09-19T10:00")
"""A Friday four weeks and a day before a visit on Monday 20 Oct 2025."""


def visit(
    book: AgreementBook,
    *,
    requester: str = "JPN",
    host: str = "KOR",
    kind: VisitType = VisitType.ONE_TIME,
    first: date = date(2025, 10, 20),
    last: date = date(2025, 10, 22),
    level: str = "SECRET",
    visitors: tuple[Visitor, ...] | None = None,
    requested_at: datetime = BEFORE_CHUSEOK,
) -> Visit:
    agreement = visit_agreement(book, requester, host, requested_at)
    assert agreement is not None
    clearance = {"JPN": "極秘", "KOR": "군사Ⅱ급비밀", "USA": "SECRET"}[requester]
    return Visit(
        requester,
        host,
        agreement.id,
        kind,
        "joint missile-warning exercise",
        "Osan operations centre",
        first,
        last,
        book.scheme(host).read(level),
        visitors or (Visitor("Sato Hiroshi", requester, clearance),),
        requested_at,
    )


def reason(decision, code):
    [found] = [r for r in decision.reasons if r.code is code]
    return found


# -- lead times in the host's working days (practice) ------------------------------------------


def test_lead_time_over_chuseok_counts_korean_working_days_only(book):
    """Art 8 states no lead time; KOR's practice of 20 working days is counted in Korea's
    calendar: 20 weekdays lie between 19 Sep and 20 Oct 2025, but Chuseok and National
    Foundation Day (3, 6, 7, 8 Oct) and Hangul Day (9 Oct) leave 15."""
    asked = visit(book)
    decision = decide_visit(book, asked, asked.requested_at)
    assert not decision.allowed
    short = reason(decision, Code.LEAD_TIME_SHORT)
    assert short.article is None  # practice, not treaty text
    assert "15 working days" in short.message and "asks 20" in short.message
    assert "KR" in short.message and "not treaty text" in short.message
    lead = lead_time(book.agreement(KOR_JPN), asked)
    assert lead is not None and (lead.available, lead.required, lead.met) == (15, 20, False)
    assert not is_working_day(date(2025, 10, 6), "KR")


def test_a_request_early_enough_before_chuseok_meets_the_lead_time(book):
    asked = visit(book, requested_at=kst("2025-09-05T10:00"))
    decision = decide_visit(book, asked, asked.requested_at)
    assert decision.allowed, decision.reasons
    assert Code.LEAD_TIME_MET in decision.codes()


def test_lead_time_over_golden_week_counts_japanese_holidays(book):
    """Showa Day (29 Apr), Children's Day (5 May) and the substitute holiday (6 May 2025)
    are not Japanese working days: 17 of 20 weekdays remain."""
    asked = visit(
        book,
        requester="KOR",
        host="JPN",
        first=date(2025, 5, 19),
        last=date(2025, 5, 20),
        requested_at=kst("2025-04-18T10:00"),
    )
    decision = decide_visit(book, asked, asked.requested_at)
    assert "17 working days" in reason(decision, Code.LEAD_TIME_SHORT).message
    assert not is_working_day(date(2025, 5, 6), "JP")


def test_lead_time_over_thanksgiving_counts_us_federal_holidays(book):
    """Veterans Day (11 Nov) and Thanksgiving (27 Nov 2025) are not US working days."""
    asked = visit(
        book,
        requester="JPN",
        host="USA",
        first=date(2025, 12, 8),
        last=date(2025, 12, 9),
        requested_at=datetime.fromisoformat("2025-11-07T09:00-05:00"),
    )
    lead = lead_time(book.agreement(asked.agreement), asked)
    assert lead is not None and (lead.available, lead.country) == (18, "US")
    assert lead.time_zone == "America/New_York"
    assert not is_working_day(date(2025, 11, 27), "US")
    assert is_working_day(date(2025, 11, 28), "US")


def test_the_request_day_is_read_in_the_hosts_time_zone(book):
    """23:30 on 18 Sep in New York is already 19 Sep in Seoul: the host's day counts."""
    late = visit(book, requested_at=datetime.fromisoformat("2025-09-18T23:30-04:00"))
    same = visit(book, requested_at=kst("2025-09-19T12:30"))
    agreement = book.agreement(KOR_JPN)
    assert lead_time(agreement, late) == lead_time(agreement, same)


def test_an_emergency_visit_has_the_shorter_lead_time(book):
    asked = visit(book, kind=VisitType.EMERGENCY, first=date(2025, 9, 25), last=date(2025, 9, 26))
    decision = decide_visit(book, asked, asked.requested_at)
    assert decision.allowed, decision.reasons
    assert "asks 3" in reason(decision, Code.LEAD_TIME_MET).message


def test_lead_times_are_the_agreements_practice(schemes, agreements, book):
    practice = VisitPractice(lead_working_days=dict.fromkeys(VisitType, 10))
    changed = AgreementBook(
        schemes, [replace(a, visits=practice) if a.id == KOR_JPN else a for a in agreements]
    )
    asked = visit(changed)
    assert decide_visit(changed, asked, asked.requested_at).allowed
    assert not decide_visit(book, asked, asked.requested_at).allowed


# -- validity ----------------------------------------------------------------------------------


def test_a_recurring_visit_longer_than_a_year_is_refused(book):
    asked = visit(
        book,
        kind=VisitType.RECURRING,
        first=date(2026, 1, 5),
        last=date(2027, 1, 5),
        requested_at=kst("2025-11-03T09:00"),
    )
    decision = decide_visit(book, asked, asked.requested_at)
    invalid = reason(decision, Code.VISIT_WINDOW_INVALID)
    assert "12 months" in invalid.message and "2027-01-04" in invalid.message
    assert invalid.article is None


def test_a_recurring_visit_of_exactly_a_year_is_valid(book):
    asked = visit(
        book,
        kind=VisitType.RECURRING,
        first=date(2026, 1, 5),
        last=date(2027, 1, 4),
        requested_at=kst("2025-11-03T09:00"),
    )
    assert decide_visit(book, asked, asked.requested_at).allowed


def test_a_one_time_visit_is_short_and_ends_after_it_begins(book):
    long = visit(book, first=date(2025, 11, 3), last=date(2025, 12, 31))
    backwards = visit(book, first=date(2025, 11, 3), last=date(2025, 11, 1))
    for asked in (long, backwards):
        decision = decide_visit(book, asked, asked.requested_at)
        assert Code.VISIT_WINDOW_INVALID in decision.codes()


def test_approving_after_the_last_day_is_refused(book):
    asked = visit(book, requested_at=kst("2025-09-05T10:00"))
    decision = decide_visit(book, asked, kst("2025-10-23T09:00"))
    assert reason(decision, Code.VISIT_WINDOW_PASSED).article == "Art 8"


def test_no_visit_is_granted_under_an_agreement_not_in_force(book_notice_stood):
    asked = visit(
        book_notice_stood,
        first=date(2019, 12, 16),
        last=date(2019, 12, 17),
        requested_at=kst("2019-10-01T10:00"),
    )
    decision = decide_visit(book_notice_stood, asked, kst("2019-11-25T10:00"))
    assert Code.AGREEMENT_NOT_IN_FORCE in decision.codes()


# -- clearances against the highest level stated -----------------------------------------------


def test_a_visitor_cleared_below_the_level_stated_is_refused(book):
    """Art 8: the host states the highest level; each visitor's clearance, assured by the
    requesting party, must reach it through the equivalence table (Art 4)."""
    asked = visit(
        book,
        requester="KOR",
        host="JPN",
        first=date(2025, 11, 17),
        last=date(2025, 11, 18),
        requested_at=kst("2025-10-01T10:00"),
        visitors=(
            Visitor("Kim Minjun", "KOR", "군사Ⅲ급비밀"),
            Visitor("Lee Jiwoo", "KOR", "군사Ⅰ급비밀"),
        ),
    )
    decision = decide_visit(book, asked, asked.requested_at)
    assert not decision.allowed
    low = reason(decision, Code.CLEARANCE_TOO_LOW)
    assert low.article == "Art 8" and "Kim Minjun" in low.message and "군사Ⅱ급비밀" in low.message
    enough = [r for r in decision.reasons if r.code is Code.CLEARANCE_SUFFICIENT]
    assert enough == []  # a denial lists what failed only
    allowed = decide_visit(book, replace(asked, visitors=asked.visitors[1:]), asked.requested_at)
    assert allowed.allowed
    assert "Lee Jiwoo" in reason(allowed, Code.CLEARANCE_SUFFICIENT).message


def test_a_visitor_without_clearance_or_of_another_party_is_refused(book):
    asked = visit(
        book,
        requested_at=kst("2025-09-05T10:00"),
        visitors=(Visitor("Tanaka Yui", "JPN", None), Visitor("John Smith", "USA", "SECRET")),
    )
    decision = decide_visit(book, asked, asked.requested_at)
    assert Code.CLEARANCE_TOO_LOW in decision.codes()
    assert Code.VISITOR_NOT_OF_REQUESTER in decision.codes()


def test_a_level_the_agreement_does_not_cover_cannot_be_stated(book):
    asked = visit(book, level="군사Ⅰ급비밀", requested_at=kst("2025-09-05T10:00"))
    decision = decide_visit(book, asked, asked.requested_at)
    assert reason(decision, Code.LEVEL_NOT_COVERED).article == "Art 4"


# -- access during a visit ---------------------------------------------------------------------


def approved_visit(book: AgreementBook) -> Visit:
    return visit(book, requested_at=kst("2025-09-05T10:00"))


def test_access_inside_the_window_and_level_is_allowed_citing_art_8(book):
    decision = decide_visit_access(
        book,
        approved_visit(book),
        True,
        "Sato Hiroshi",
        book.scheme("KOR").read("III"),
        kst("2025-10-21T14:00"),
    )
    assert decision.allowed
    assert {r.article for r in decision.reasons} == {"Art 8"}


def test_access_outside_the_approved_window_is_denied(book):
    level = book.scheme("KOR").read("II")
    for at in (kst("2025-10-19T23:59"), kst("2025-10-23T00:00")):
        decision = decide_visit_access(book, approved_visit(book), True, "Sato Hiroshi", level, at)
        assert not decision.allowed
        outside = reason(decision, Code.OUTSIDE_VISIT_WINDOW)
        assert outside.article == "Art 8" and "2025-10-20 to 2025-10-22" in outside.message


def test_access_above_the_level_stated_is_denied(book):
    decision = decide_visit_access(
        book,
        approved_visit(book),
        True,
        "Sato Hiroshi",
        book.scheme("KOR").read("I"),
        kst("2025-10-21T14:00"),
    )
    assert decision.codes() == (Code.ABOVE_VISIT_LEVEL,)


def test_an_unapproved_visit_or_an_unlisted_visitor_gets_no_access(book):
    level = book.scheme("KOR").read("III")
    at = kst("2025-10-21T14:00")
    pending = decide_visit_access(book, approved_visit(book), False, "Sato Hiroshi", level, at)
    assert pending.codes() == (Code.VISIT_NOT_APPROVED,)
    stranger = decide_visit_access(book, approved_visit(book), True, "Suzuki Ken", level, at)
    assert stranger.codes() == (Code.VISITOR_NOT_LISTED,)


# -- working days (properties) -----------------------------------------------------------------

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
countries = st.sampled_from(["KR", "JP", "US"])


@given(days, st.integers(min_value=0, max_value=120), countries)
def test_working_days_never_count_weekends_nor_exceed_weekdays(start, span, country):
    end = start + timedelta(days=span)
    weekdays = sum(1 for n in range(1, span) if (start + timedelta(days=n)).weekday() < 5)
    assert 0 <= working_days_between(start, end, country) <= weekdays


@given(
    days, st.integers(min_value=1, max_value=60), st.integers(min_value=1, max_value=60), countries
)
def test_working_days_add_up_and_grow_with_the_span(start, first, second, country):
    middle = start + timedelta(days=first)
    end = middle + timedelta(days=second)
    whole = working_days_between(start, end, country)
    assert whole == (
        working_days_between(start, middle, country)
        + is_working_day(middle, country)
        + working_days_between(middle, end, country)
    )
    assert whole >= working_days_between(start, middle, country)


@given(days, countries)
def test_a_weekend_day_is_never_a_working_day(day, country):
    saturday = day + timedelta(days=(5 - day.weekday()) % 7)
    assert not is_working_day(saturday, country)
    assert not is_working_day(saturday + timedelta(days=1), country)


# -- decisions (properties) --------------------------------------------------------------------

PRACTICE_CODES = {
    Code.LEAD_TIME_MET,
    Code.LEAD_TIME_SHORT,
    Code.VISIT_WINDOW_VALID,
    Code.VISIT_WINDOW_INVALID,
    Code.NO_HOST_CALENDAR,
}


@given(
    asked=st.datetimes(
        min_value=datetime(2017, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),
    ahead=st.integers(min_value=-5, max_value=400),
    length=st.integers(min_value=-2, max_value=400),
    kind=st.sampled_from(list(VisitType)),
    host=st.sampled_from(["KOR", "JPN"]),
)
def test_practice_is_never_cited_as_treaty_text_and_every_denial_has_a_reason(
    book, asked, ahead, length, kind, host
):
    """Art 8 states no lead time: reasons resting on lead times and visit lengths cite no
    article, whatever the request; a denial always says why."""
    first = asked.date() + timedelta(days=ahead)
    requested = visit(
        book,
        requester="JPN" if host == "KOR" else "KOR",
        host=host,
        kind=kind,
        first=first,
        last=first + timedelta(days=length),
        requested_at=asked,
    )
    decision = decide_visit(book, requested, asked)
    assert decision.allowed or decision.reasons
    for found in decision.reasons:
        if found.code in PRACTICE_CODES:
            assert found.article is None
        else:
            assert found.article is not None


@given(days, st.integers(min_value=0, max_value=90), st.integers(min_value=1, max_value=90))
def test_asking_earlier_never_leaves_fewer_working_days(first, earlier, later):
    asked_late = first - timedelta(days=later)
    asked_early = asked_late - timedelta(days=earlier)
    assert working_days_between(asked_early, first, "KR") >= working_days_between(
        asked_late, first, "KR"
    )
