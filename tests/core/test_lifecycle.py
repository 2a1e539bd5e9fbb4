"""An agreement's status derived from its events (Art 21 of the Korea–Japan GSOMIA)."""

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gsomia.core import agreements
from gsomia.core.agreements import (
    TIMED_TRANSITIONS,
    TRANSITIONS,
    AgreementBook,
    Event,
    EventKind,
    Lifecycle,
    Reactivation,
    State,
    Term,
    Timer,
    transition_table,
)
from gsomia.core.errors import InvalidEvent
from tests.conftest import builtin_agreements, builtin_schemes, kst

GSOMIA = "KOR-JPN-GSOMIA-2016"
NOTICE, SUSPEND, REACTIVATE, WITHDRAW = (
    EventKind.TERMINATION_NOTICE,
    EventKind.NOTICE_SUSPENDED,
    EventKind.NOTICE_REACTIVATED,
    EventKind.NOTICE_WITHDRAWN,
)


@pytest.fixture
def gsomia(book):
    return book.agreement(GSOMIA)


def ev(kind, at, by="KOR"):
    return Event(GSOMIA, kind, by, kst(at))


# The transition table, row by row ------------------------------------------------------------

# Each state, reached by replaying part of the real 2019 history, and an instant in it.
REACH = {
    State.NOT_IN_FORCE: ([], "2016-06-01"),
    State.IN_FORCE: ([], "2018-03-01"),
    State.TERMINATION_NOTIFIED: ([(NOTICE, "2019-08-23")], "2019-09-01"),
    State.NOTICE_SUSPENDED: (
        [(NOTICE, "2019-08-23"), (SUSPEND, "2019-11-22T18:00+09:00")],
        "2020-06-02T10:00+09:00",
    ),
    State.TERMINATED: ([(NOTICE, "2019-08-23")], "2019-12-01"),
}


def reach(agreement, state):
    """A lifecycle that is in `state` at the returned instant, from real events."""
    events, at = REACH[state]
    life = Lifecycle(agreement, [ev(kind, when) for kind, when in events])
    assert life.status(kst(at)).state is state
    return life, kst(at)


def test_every_state_can_be_reached_from_a_real_history():
    assert set(REACH) == set(State)


@pytest.mark.parametrize(("row", "target"), TRANSITIONS.items(), ids=str)
def test_every_row_of_the_transition_table_leads_to_its_next_state(gsomia, row, target):
    state, kind = row
    life, at = reach(gsomia, state)
    after = life.with_event(ev(kind, at.isoformat()))
    assert after.status(at).state is target


def _non_renewing(gsomia):
    return replace(gsomia, term=Term(12, automatic_renewal=False))


# For each timed row: the agreement, the events before the timer, and the instant it comes.
TIMED_SETUPS = {
    (State.NOT_IN_FORCE, Timer.ENTRY_INTO_FORCE): (lambda a: a, [], "2016-11-23"),
    (State.IN_FORCE, Timer.TERM_EXPIRES): (_non_renewing, [], "2017-11-23"),
    (State.TERMINATION_NOTIFIED, Timer.NOTICE_TAKES_EFFECT): (
        lambda a: a,
        [(NOTICE, "2019-08-23")],
        "2019-11-23",
    ),
    # A late notice would take effect a term later, but a term that does not renew ends first.
    (State.TERMINATION_NOTIFIED, Timer.TERM_EXPIRES): (
        _non_renewing,
        [(NOTICE, "2017-09-01")],
        "2017-11-23",
    ),
    (State.NOTICE_SUSPENDED, Timer.TERM_EXPIRES): (
        _non_renewing,
        [(NOTICE, "2017-03-01"), (SUSPEND, "2017-06-01")],
        "2017-11-23",
    ),
}


@pytest.mark.parametrize(("row", "target"), TIMED_TRANSITIONS.items(), ids=str)
def test_every_timed_row_takes_effect_exactly_when_its_timer_comes(gsomia, row, target):
    assert set(TIMED_SETUPS) == set(TIMED_TRANSITIONS)
    variant, events, due = TIMED_SETUPS[row]
    life = Lifecycle(variant(gsomia), [ev(kind, when) for kind, when in events])
    before = life.status(kst(due) - timedelta(microseconds=1))
    assert before.state is row[0]
    if target is State.TERMINATED:
        assert before.terminates_at == kst(due)
    assert life.status(kst(due)).state is target


# What each state says of an event its row does not list.
REFUSALS = {
    State.NOT_IN_FORCE: "before KOR-JPN-GSOMIA-2016 entered into force",
    State.IN_FORCE: "needs a standing termination notice; .* accepts only termination_notice",
    State.TERMINATION_NOTIFIED: (
        "already stands .*withdraw it first|not suspended, so there is nothing to reactivate; "
        ".* accepts only notice_suspended or notice_withdrawn by KOR now"
    ),
    State.NOTICE_SUSPENDED: (
        "already stands .*withdraw it first|already suspended; "
        ".* accepts only notice_reactivated or notice_withdrawn by KOR now"
    ),
    State.TERMINATED: "after KOR-JPN-GSOMIA-2016 terminated .*termination is final",
}
NOT_IN_THE_TABLE = [(s, k) for s in State for k in EventKind if (s, k) not in TRANSITIONS]


@pytest.mark.parametrize(("state", "kind"), NOT_IN_THE_TABLE, ids=str)
def test_every_pair_not_in_the_table_is_refused_with_one_precise_line(gsomia, state, kind):
    life, at = reach(gsomia, state)
    with pytest.raises(InvalidEvent, match=REFUSALS[state]) as refused:
        life.with_event(ev(kind, at.isoformat()))
    assert "\n" not in refused.value.message


def test_the_module_docstring_and_the_docs_show_the_table_itself():
    table = transition_table()
    assert agreements.__doc__ is not None and table in agreements.__doc__
    docs = Path(__file__).resolve().parents[2] / "docs" / "agreements.md"
    assert table in docs.read_text(encoding="utf-8")


# Art 21 at the real dates --------------------------------------------------------------------


def test_not_in_force_before_entry_into_force(gsomia):
    """Art 21: in force on the later of the two written notifications (23 Nov 2016)."""
    status = Lifecycle(gsomia).status(kst("2016-11-22T23:59+09:00"))
    assert status.state is State.NOT_IN_FORCE
    assert not status.in_force
    assert status.term_start is None and status.term_end is None


def test_terms_run_23_november_to_22_november(gsomia):
    """Art 21: one-year term, renewed automatically each year."""
    status = Lifecycle(gsomia).status(kst("2018-03-01"))
    assert status.state is State.IN_FORCE
    assert status.term_start == kst("2017-11-23")
    assert status.term_end == kst("2018-11-23")
    assert status.notice_deadline == kst("2018-08-25")


def test_real_2019_notice_deadline_is_24_august_and_lapse_at_midnight_23_november(gsomia):
    """Art 21: 90 days' notice; the 2019 term ended at 2019-11-23T00:00+09:00."""
    life = Lifecycle(gsomia, [ev(NOTICE, "2019-08-23")])
    status = life.status(kst("2019-09-01"))
    assert status.state is State.TERMINATION_NOTIFIED
    assert status.notice_deadline == kst("2019-08-25")  # exclusive: the end of 24 Aug
    assert status.terminates_at == kst("2019-11-23T00:00+09:00")
    assert status.notice is not None and not status.notice.late
    assert life.status(kst("2019-11-22T23:59:59+09:00")).in_force
    assert life.status(kst("2019-11-23T00:00+09:00")).state is State.TERMINATED


def test_notice_on_the_last_day_is_timely_and_the_day_after_is_late(gsomia):
    """Art 21: the notice must come 90 days before the term ends."""
    timely = Lifecycle(gsomia).notice_effect(kst("2019-08-24T23:59+09:00"))
    late = Lifecycle(gsomia).notice_effect(kst("2019-08-25"))
    assert timely == (kst("2019-11-23"), False, kst("2019-08-25"))
    assert late == (kst("2020-11-23"), True, kst("2019-08-25"))


def test_notice_after_deadline_takes_effect_at_the_end_of_the_following_term(gsomia):
    """Art 21: a late notice does not end the running term."""
    life = Lifecycle(gsomia, [ev(NOTICE, "2019-09-10")])
    assert life.status(kst("2019-11-23")).state is State.TERMINATION_NOTIFIED
    assert life.status(kst("2019-11-23")).term_end == kst("2020-11-23")
    assert life.status(kst("2020-11-23")).state is State.TERMINATED
    notice = life.notice_at(kst("2019-09-10"))
    assert notice is not None and notice.late


def test_suspended_notice_keeps_the_agreement_in_force_and_renewing(gsomia):
    life = Lifecycle(gsomia, [ev(NOTICE, "2019-08-23"), ev(SUSPEND, "2019-11-22T18:00+09:00")])
    status = life.status(kst("2019-11-23"))
    assert status.state is State.NOTICE_SUSPENDED
    assert status.in_force
    assert status.terminates_at is None
    assert status.term_end == kst("2020-11-23")
    assert life.status(kst("2022-06-01")).state is State.NOTICE_SUSPENDED


def test_real_history_is_in_force_again_after_suspension_and_after_withdrawal(book_2019):
    life = book_2019.lifecycle(GSOMIA)
    assert life.status(kst("2019-11-23")).state is State.NOTICE_SUSPENDED
    assert life.status(kst("2019-11-23")).in_force
    after = life.status(kst("2023-03-21"))
    assert after.state is State.IN_FORCE
    assert after.notice is None
    assert after.term_end == kst("2023-11-23")
    assert after.notice_deadline == kst("2023-08-25")


def test_reactivated_notice_needs_the_full_period_again_by_default(gsomia):
    """The treaty is silent; the default setting asks the full 90 days from reactivation."""
    assert gsomia.notice.reactivation is Reactivation.FULL_PERIOD
    events = [
        ev(NOTICE, "2019-08-23"),
        ev(SUSPEND, "2019-11-22T18:00+09:00"),
        ev(REACTIVATE, "2020-06-02T10:00+09:00"),
    ]
    life = Lifecycle(gsomia, events)
    status = life.status(kst("2020-06-03"))
    assert status.state is State.TERMINATION_NOTIFIED
    assert status.terminates_at == kst("2020-09-01")
    assert life.status(kst("2020-09-01")).state is State.TERMINATED


@pytest.mark.parametrize(
    ("mode", "effect"),
    [(Reactivation.IMMEDIATE, "2020-06-02T10:00+09:00"), (Reactivation.TERM_END, "2020-11-23")],
)
def test_reactivation_setting_decides_when_a_reactivated_notice_takes_effect(gsomia, mode, effect):
    assert gsomia.notice is not None
    agreement = replace(gsomia, notice=replace(gsomia.notice, reactivation=mode))
    events = [
        ev(NOTICE, "2019-08-23"),
        ev(SUSPEND, "2019-11-22T18:00+09:00"),
        ev(REACTIVATE, "2020-06-02T10:00+09:00"),
    ]
    assert Lifecycle(agreement, events).terminated_at == kst(effect)


def test_withdrawal_removes_the_notice(gsomia):
    life = Lifecycle(gsomia, [ev(NOTICE, "2019-08-23"), ev(WITHDRAW, "2019-10-01")])
    status = life.status(kst("2019-11-23"))
    assert status.state is State.IN_FORCE
    assert status.notice is None


def test_termination_is_final(gsomia):
    life = Lifecycle(gsomia, [ev(NOTICE, "2019-08-23")])
    with pytest.raises(InvalidEvent, match="termination is final"):
        life.with_event(ev(WITHDRAW, "2019-12-01"))


def test_event_before_entry_into_force_is_refused(gsomia):
    with pytest.raises(InvalidEvent, match="before KOR-JPN-GSOMIA-2016 entered into force"):
        Lifecycle(gsomia, [ev(NOTICE, "2016-01-01")])


def test_notice_by_a_party_not_to_the_agreement_is_refused(gsomia):
    with pytest.raises(InvalidEvent, match="USA is not a party"):
        Lifecycle(gsomia, [ev(NOTICE, "2019-08-23", by="USA")])


def test_duplicate_event_is_refused(gsomia):
    life = Lifecycle(gsomia, [ev(NOTICE, "2019-08-23")])
    with pytest.raises(InvalidEvent, match="duplicate event"):
        life.with_event(ev(NOTICE, "2019-08-23"))


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([ev(NOTICE, "2019-08-23"), ev(NOTICE, "2019-08-30", by="JPN")], "already stands"),
        ([ev(SUSPEND, "2019-08-23")], "needs a standing termination notice"),
        ([ev(NOTICE, "2019-08-23"), ev(SUSPEND, "2019-09-01", by="JPN")], "only KOR"),
        ([ev(NOTICE, "2019-08-23"), ev(REACTIVATE, "2019-09-01")], "not suspended"),
        (
            [ev(NOTICE, "2019-08-23"), ev(SUSPEND, "2019-09-01"), ev(SUSPEND, "2019-09-02")],
            "already suspended",
        ),
    ],
)
def test_events_the_state_table_does_not_allow_are_refused(gsomia, events, message):
    with pytest.raises(InvalidEvent, match=message):
        Lifecycle(gsomia, events)


def test_a_term_that_does_not_renew_expires_at_its_end(gsomia):
    agreement = replace(gsomia, term=Term(12, automatic_renewal=False))
    life = Lifecycle(agreement)
    assert life.status(kst("2017-11-22")).in_force
    assert life.status(kst("2017-11-23")).state is State.TERMINATED


def test_notice_to_an_agreement_without_a_term_runs_its_period(book):
    life = book.lifecycle("USA-JPN-GSOMIA-2007")
    notice = Event("USA-JPN-GSOMIA-2007", NOTICE, "USA", kst("2020-01-10T12:00+09:00"))
    assert life.with_event(notice).terminated_at == kst("2020-04-10")


def test_agreement_without_notice_rule_refuses_a_notice(gsomia):
    agreement = replace(gsomia, notice=None)
    with pytest.raises(InvalidEvent, match="provides for no termination notice"):
        Lifecycle(agreement, [ev(NOTICE, "2019-08-23")])


def test_book_with_event_leaves_the_original_unchanged(book):
    changed = book.with_event(ev(NOTICE, "2019-08-23"))
    assert book.lifecycle(GSOMIA).terminated_at is None
    assert changed.lifecycle(GSOMIA).terminated_at == kst("2019-11-23")


# Properties -----------------------------------------------------------------------------------

AGREEMENT = AgreementBook(builtin_schemes(), builtin_agreements()).agreement(GSOMIA)
instants = st.integers(min_value=0, max_value=10 * 365 * 24).map(
    lambda h: kst("2016-11-23") + timedelta(hours=h)
)
gaps = st.integers(min_value=1, max_value=3 * 365 * 24).map(lambda h: timedelta(hours=h))
PARTY = st.sampled_from(["KOR", "JPN"])


@st.composite
def readings(draw):
    """The Korea–Japan GSOMIA under each reading of a reactivated notice."""
    assert AGREEMENT.notice is not None
    mode = draw(st.sampled_from(Reactivation))
    return replace(AGREEMENT, notice=replace(AGREEMENT.notice, reactivation=mode))


@st.composite
def histories(draw, agreement):
    """Event histories walked through the transition table: each event is one the state at
    its instant accepts, by the party that may make it, so none is thrown away."""
    life = Lifecycle(agreement)
    at = draw(instants)
    for _ in range(draw(st.integers(0, 6))):
        status = life.status(at)
        accepted = [kind for (state, kind) in TRANSITIONS if state is status.state]
        if not accepted:
            break
        by = status.notice.by if status.notice else draw(PARTY)
        life = life.with_event(Event(GSOMIA, draw(st.sampled_from(accepted)), by, at))
        at += draw(gaps)
    return list(life.events)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_status_and_in_force_agree_at_every_instant(data):
    agreement = data.draw(readings())
    events = data.draw(histories(agreement))
    life = Lifecycle(agreement, events)
    # Half the instants near a change of the history, where the states are many.
    changes = [event.at for event in events] + [t for t in (life.terminated_at,) if t]
    near = st.sampled_from(changes or [AGREEMENT.entry_into_force]).flatmap(
        lambda t: gaps.map(lambda gap: t + gap / 8) | gaps.map(lambda gap: t - gap / 8)
    )
    at = data.draw(instants | near)
    status = life.status(at)
    assert status.in_force == life.in_force(at)
    if status.state is State.TERMINATED:
        assert life.terminated_at is not None and at >= life.terminated_at
    if status.in_force and all(event.at <= at for event in life.events):
        # With no later event to change it, the end foreseen at `at` is the end.
        assert status.terminates_at == life.terminated_at


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_a_notice_ends_the_agreement_at_the_end_of_the_first_term_whose_deadline_it_meets(data):
    """Art 21: notice 90 days before a term ends; it never ends the agreement mid-term."""
    # Earlier notices, each withdrawn (perhaps after a suspension) before it could take effect:
    # the effect of a notice lies at least the 90 days of the notice period after it.
    events, at = [], data.draw(instants)
    for _ in range(data.draw(st.integers(0, 2))):
        events.append(ev(NOTICE, at.isoformat()))
        if data.draw(st.booleans()):
            at += timedelta(days=data.draw(st.integers(1, 40)))
            events.append(ev(SUSPEND, at.isoformat()))
        at += timedelta(days=data.draw(st.integers(1, 40)))
        events.append(ev(WITHDRAW, at.isoformat()))
        at += data.draw(gaps)
    life = Lifecycle(AGREEMENT, [*events, ev(NOTICE, at.isoformat(), by=data.draw(PARTY))])
    notice = life.notice_at(at)
    assert notice is not None
    effect = notice.takes_effect_at
    span = int((effect - at).total_seconds())
    during = life.status(at + timedelta(seconds=data.draw(st.integers(0, span - 1))))
    assert (during.state, during.terminates_at) == (State.TERMINATION_NOTIFIED, effect)
    ended_term = life.status(effect - timedelta(microseconds=1))
    assert ended_term.term_start is not None and ended_term.notice_deadline is not None
    assert ended_term.term_end == effect  # the end of a term, never mid-term
    assert at < ended_term.notice_deadline
    # ... and of the first such term: the one before it had a deadline the notice missed.
    if notice.late:
        earlier = life.status(ended_term.term_start - timedelta(microseconds=1))
        assert earlier.notice_deadline is not None and at >= earlier.notice_deadline
    else:
        assert ended_term.term_start <= at
    assert life.status(effect).state is State.TERMINATED
