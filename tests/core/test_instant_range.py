"""The supported range of instants: inside it the rules answer, outside it `InvalidInstant`.

Whatever the agreement's term, notice period, time zone and history (within the supported
bounds), and whatever the instant, the lifecycle and the decisions either answer or raise one
of gsomia's documented errors; never an OverflowError or a ValueError from date arithmetic.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsomia.core import calendar
from gsomia.core.agreements import (
    TRANSITIONS,
    AgreementBook,
    Event,
    EventKind,
    Lifecycle,
    NoticeRule,
    Reactivation,
    Term,
)
from gsomia.core.errors import GsomiaError, InvalidEvent, InvalidInstant, InvalidRequest
from gsomia.core.labels import Label
from gsomia.core.policy import Consent, Reader, decide_access, decide_release, decide_transfer
from gsomia.core.routing import routes
from tests.conftest import SEOUL, builtin_agreements, builtin_schemes

GSOMIA = "KOR-JPN-GSOMIA-2016"
SCHEMES = builtin_schemes()
AGREEMENTS = builtin_agreements()
RANGE = (
    "outside the supported range: from 1900-01-01T00:00Z up to, not including, 2200-01-01T00:00Z"
)


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31",
        "0001-01-01",
        "1899-12-31T23:59:59Z",
        "2200-01-01T00:00Z",
        "2200-01-01T09:00+09:00",
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00+14:00",
    ],
)
def test_instants_outside_the_supported_range_are_refused_saying_the_range(text):
    with pytest.raises(InvalidInstant, match=RANGE) as refused:
        calendar.parse_instant(text, SEOUL)
    assert text in refused.value.message


@pytest.mark.parametrize(
    "text", ["1900-01-01T00:00Z", "2199-12-31T23:59:59.999999Z", "2200-01-01T08:59+09:00"]
)
def test_the_ends_of_the_supported_range_are_inside_it(text):
    assert calendar.check_instant(calendar.parse_instant(text, SEOUL))


def test_a_naive_datetime_is_refused_wherever_the_core_receives_an_instant(book):
    naive = datetime(2019, 11, 22, 18, 0)
    life = book.lifecycle(GSOMIA)
    label = Label("KOR", book.scheme("KOR").read("II"), "nk-missile")
    for call in (
        lambda: life.status(naive),
        lambda: life.in_force(naive),
        lambda: life.notice_effect(naive),
        lambda: decide_release(book, label, "JPN", naive),
        lambda: Consent("X-1", "KOR", "USA", naive),
        lambda: Lifecycle(
            life.agreement, [Event(GSOMIA, EventKind.TERMINATION_NOTICE, "KOR", naive)]
        ),
    ):
        with pytest.raises(InvalidInstant, match="no UTC offset"):
            call()


def test_terms_and_notice_periods_beyond_the_headroom_are_refused():
    with pytest.raises(InvalidRequest, match="give 1 to 1200 months"):
        Term(1201, automatic_renewal=True)
    with pytest.raises(InvalidRequest, match="give 0 to 3660 days"):
        NoticeRule(3661, "note verbale")


# The property, over the whole range -------------------------------------------------------------

ZONES = st.timezones()
supported = st.datetimes(datetime(1900, 1, 2), datetime(2199, 12, 30), timezones=ZONES)
# Instants just around the ends of the range, anywhere datetime reaches, or without an offset.
edges = st.datetimes(datetime(1899, 12, 30), datetime(1900, 1, 2), timezones=ZONES) | (
    st.datetimes(datetime(2199, 12, 30), datetime(2200, 1, 2), timezones=ZONES)
)
elsewhere = edges | st.datetimes(timezones=st.just(UTC)) | st.datetimes()


@st.composite
def agreements(draw):
    """The Korea–Japan GSOMIA with any supported entry, zone, term and notice rule."""
    base = next(a for a in AGREEMENTS if a.id == GSOMIA)
    # Mostly a renewing term and a notice rule, so that histories have events to replay;
    # sometimes no fixed term, or no notice rule at all.
    shape = draw(st.integers(0, 9))
    term = (
        None
        if shape == 0
        else draw(
            st.builds(
                Term,
                st.integers(1, calendar.MAX_TERM_MONTHS) | st.just(12),
                st.integers(0, 4).map(bool),
            )
        )
    )
    notice = (
        None
        if shape == 1
        else draw(
            st.builds(
                NoticeRule,
                st.integers(0, calendar.MAX_NOTICE_DAYS) | st.just(90),
                st.just("note verbale"),
                st.sampled_from(Reactivation),
            )
        )
    )
    return replace(
        base,
        entry_into_force=draw(supported),
        legal_time_zone=draw(ZONES),
        term=term,
        notice=notice,
    )


def later(draw, after):
    """An instant in the range a second to decades after `after`, or None past its end."""
    at = after + timedelta(days=draw(st.integers(0, 20 * 366)), seconds=draw(st.integers(1, 86399)))
    return at if at < calendar.SUPPORTED_UNTIL else None


@st.composite
def books(draw):
    """A book whose Korea–Japan agreement is drawn, with a history walked through the table:
    each event is one the state at its instant accepts, by the party that may make it."""
    agreement = draw(agreements())
    life = Lifecycle(agreement)
    at = later(draw, agreement.entry_into_force)
    for _ in range(draw(st.integers(1, 4))):
        if at is None or agreement.notice is None:
            break
        status = life.status(at)
        accepted = [kind for (state, kind) in TRANSITIONS if state is status.state]
        if not accepted:
            break
        by = status.notice.by if status.notice else draw(st.sampled_from(agreement.parties))
        life = life.with_event(Event(GSOMIA, draw(st.sampled_from(accepted)), by, at))
        at = later(draw, at)
    others = [a for a in AGREEMENTS if a.id != GSOMIA]
    return AgreementBook(SCHEMES, [agreement, *others], life.events)


def timeline(book):
    """The instants at which the drawn agreement changes, where errors would lurk."""
    life = book.lifecycle(GSOMIA)
    return [life.agreement.entry_into_force, *(e.at for e in life.events)] + (
        [life.terminated_at] if life.terminated_at is not None else []
    )


def outcome(call):
    """None if `call` answers, else the type of the documented error it raised."""
    try:
        call()
    except GsomiaError as error:
        return type(error)
    return None


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_lifecycle_and_decisions_answer_in_range_and_refuse_only_outside_it(data):
    book = data.draw(books())
    near = st.sampled_from(timeline(book)).flatmap(
        lambda t: st.integers(-400 * 86400, 400 * 86400).map(lambda s: t + timedelta(seconds=s))
    )
    at = data.draw(st.one_of(near, supported, elsewhere))
    inside = at.utcoffset() is not None and (
        calendar.SUPPORTED_FROM <= at < calendar.SUPPORTED_UNTIL
    )
    life = book.lifecycle(GSOMIA)
    korean = Label("KOR", book.scheme("KOR").read("II"), "nk-missile")
    japanese_copy = korean.received_by("JPN", book.scheme("JPN").read("gokuhi"))
    reader = Reader("JPN", book.scheme("JPN").read("gokuhi"), frozenset({"nk-missile"}))
    consent = Consent("X-1", "KOR", "USA", calendar.SUPPORTED_FROM)
    calls = {
        "status": lambda: life.status(at),
        "in_force": lambda: life.in_force(at),
        "notice_at": lambda: life.notice_at(at),
        "term_at": lambda: life.term_at(at),
        "notice_effect": lambda: life.notice_effect(at),
        "event": lambda: life.with_event(Event(GSOMIA, EventKind.TERMINATION_NOTICE, "JPN", at)),
        "release": lambda: decide_release(book, korean, "JPN", at),
        "access": lambda: decide_access(book, reader, japanese_copy, at),
        "transfer": lambda: decide_transfer(book, japanese_copy, "X-1", "USA", at, [consent]),
        "routes": lambda: routes(book, korean, "JPN", at),
    }
    # In the range, only an event the agreement refuses raises; outside, everything does.
    refusable = {"event", "notice_effect"} if life.agreement.notice is None else {"event"}
    for name, call in calls.items():
        expected = {None, InvalidEvent} if name in refusable else {None}
        assert outcome(call) in (expected if inside else {InvalidInstant}), name


def test_a_notice_at_the_end_of_the_range_takes_effect_beyond_it_without_error(book):
    """Headroom: results may lie past the range; only the instants given are checked."""
    life = book.lifecycle(GSOMIA)
    effect, late, _ = life.notice_effect(calendar.SUPPORTED_UNTIL - timedelta(microseconds=1))
    assert (effect, late) == (datetime(2200, 11, 23, tzinfo=SEOUL), False)
    assert effect > calendar.SUPPORTED_UNTIL
