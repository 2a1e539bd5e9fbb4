"""Art 17 (loss or compromise): a case's steps in order, and its deadlines of practice at any
instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gsomia.core.errors import InvalidInstant, InvalidRequest
from gsomia.core.incidents import (
    TRANSITIONS,
    Case,
    Deadlines,
    Duty,
    DutyStatus,
    IncidentKind,
    Standing,
    State,
    Step,
    advance,
    deadline_status,
    format_period,
    next_state,
    overdue,
    parse_kind,
    parse_period,
    report,
)

DISCOVERED = datetime(2026, 11, 2, 9, tzinfo=UTC)
REPORTED = DISCOVERED + timedelta(hours=2)


def reported() -> Case:
    return report(IncidentKind.LOSS, DISCOVERED, REPORTED, "a courier's case went missing")


def concluded() -> Case:
    investigating = advance(reported(), Step.INVESTIGATE, REPORTED + timedelta(days=1))
    return advance(
        investigating,
        Step.CONCLUDE,
        REPORTED + timedelta(days=10),
        result="left on a train",
        measures="two-person carriage",
    )


# -- the state machine (Art 17: report, investigate, conclude) -------------------------------


@pytest.mark.parametrize(("row", "to"), list(TRANSITIONS.items()))
def test_each_row_of_the_table_is_a_step_the_case_accepts(row, to):
    """Art 17: every transition in the table is taken, and leads where the table says."""
    state, step = row
    assert next_state(state, step) is to


@pytest.mark.parametrize("state", [None, *State])
@pytest.mark.parametrize("step", list(Step))
def test_every_step_outside_the_table_is_refused_with_a_reason(state, step):
    """Art 17: no step skips the investigation, repeats, or goes back."""
    if (state, step) in TRANSITIONS:
        return
    with pytest.raises(InvalidRequest) as refused:
        next_state(state, step)
    assert refused.value.message


def test_concluding_a_reported_case_needs_the_investigation_first():
    """Art 17: the results the originator is sent are the investigation's."""
    with pytest.raises(InvalidRequest, match="next step is investigate"):
        advance(reported(), Step.CONCLUDE, REPORTED, result="r", measures="m")


def test_a_concluded_case_takes_no_further_step():
    """Art 17: a conclusion ends the case."""
    with pytest.raises(InvalidRequest, match="concluded"):
        advance(concluded(), Step.INVESTIGATE, REPORTED + timedelta(days=20))


@pytest.mark.parametrize(("result", "measures"), [("", "m"), ("r", ""), (" ", " ")])
def test_a_conclusion_states_its_result_and_its_measures(result, measures):
    """Art 17: the originator is sent the results and the measures against recurrence."""
    investigating = advance(reported(), Step.INVESTIGATE, REPORTED)
    with pytest.raises(InvalidRequest, match="result and the measures"):
        advance(investigating, Step.CONCLUDE, REPORTED, result=result, measures=measures)


def test_a_conclusion_keeps_its_result_and_measures():
    """Art 17: what is sent to the originator is kept with the case."""
    case = concluded()
    assert (case.state, case.result, case.measures) == (
        State.CONCLUDED,
        "left on a train",
        "two-person carriage",
    )
    assert case.investigating_at is not None and case.concluded_at is not None


def test_what_is_reported_was_discovered_first():
    """Art 17: a report follows the discovery; a discovery in its future is refused."""
    with pytest.raises(InvalidRequest, match="after the report"):
        report(IncidentKind.COMPROMISE, REPORTED + timedelta(seconds=1), REPORTED, "s")


def test_a_report_states_what_happened():
    with pytest.raises(InvalidRequest, match="summary"):
        report(IncidentKind.LOSS, DISCOVERED, REPORTED, "  ")


def test_a_step_never_lies_before_the_one_before_it():
    with pytest.raises(InvalidRequest, match="before the case's last step"):
        advance(reported(), Step.INVESTIGATE, REPORTED - timedelta(minutes=1))


def test_an_instant_without_offset_is_refused():
    with pytest.raises(InvalidInstant):
        report(IncidentKind.LOSS, datetime(2026, 11, 2), REPORTED, "s")


@pytest.mark.parametrize("text", ["loss", "compromise", "possible-compromise", " LOSS "])
def test_the_three_kinds_art_17_names_are_read(text):
    """Art 17: loss, compromise, and the possibility of either."""
    assert parse_kind(text) in IncidentKind


def test_an_unknown_kind_names_the_kinds():
    with pytest.raises(InvalidRequest, match="loss, compromise, possible-compromise"):
        parse_kind("stolen")


SEQUENCES = st.lists(st.sampled_from(list(Step)), max_size=8)


@given(SEQUENCES, st.lists(st.integers(min_value=-3, max_value=48), min_size=8, max_size=8))
def test_no_sequence_of_steps_reaches_a_state_over_a_skipped_step(steps, hours):
    """Art 17, property: whatever steps are tried in whatever order, the steps a case accepts
    are report, investigate, conclude in that order, each at or after the one before."""
    case: Case | None = None
    taken: list[Step] = []
    at = REPORTED
    for step, delta in zip(steps, hours, strict=False):
        at = at + timedelta(hours=delta)
        try:
            if case is None:
                next_state(None, step)  # only a report opens a case
                case = report(IncidentKind.LOSS, DISCOVERED, at, "s")
            else:
                case = advance(case, step, at, result="r", measures="m")
        except InvalidRequest:
            continue
        taken.append(step)
    assert taken == list(Step)[: len(taken)]
    if case is not None:
        assert case.state is list(TRANSITIONS.values())[len(taken) - 1]
        moments = [case.at(step) for step in taken]
        assert None not in moments
        assert moments == sorted(moments)  # type: ignore[type-var]


# -- deadlines of practice, at an instant -----------------------------------------------------

PRACTICE = Deadlines()


def standing(statuses: tuple[DutyStatus, ...], duty: Duty) -> Standing:
    return next(s.standing for s in statuses if s.duty is duty)


def test_the_default_periods_are_a_day_three_days_and_thirty_days():
    """Art 17 says "immediately"; the periods are practice, and these are gsomia's defaults."""
    assert (PRACTICE.notify, PRACTICE.investigate, PRACTICE.conclude) == (
        timedelta(hours=24),
        timedelta(days=3),
        timedelta(days=30),
    )


def test_an_unacknowledged_report_is_overdue_a_day_after_the_discovery():
    """Art 17 (practice: 24 hours): the originator not yet informed a day on is overdue."""
    case = reported()
    before = deadline_status(case, PRACTICE, DISCOVERED + timedelta(hours=23), notified_at=None)
    after = deadline_status(case, PRACTICE, DISCOVERED + timedelta(hours=25), notified_at=None)
    assert standing(before, Duty.NOTIFY) is Standing.PENDING
    assert overdue(after) == (Duty.NOTIFY,)


def test_a_notification_after_the_deadline_is_late_not_overdue():
    case = reported()
    statuses = deadline_status(
        case, PRACTICE, DISCOVERED + timedelta(days=2), notified_at=DISCOVERED + timedelta(hours=30)
    )
    assert standing(statuses, Duty.NOTIFY) is Standing.LATE
    assert Duty.NOTIFY not in overdue(statuses)


def test_a_step_taken_after_the_instant_asked_about_does_not_count_then():
    """Deadlines at any instant: asked about the past, the answer is what it was then."""
    case = concluded()
    early = deadline_status(case, PRACTICE, DISCOVERED + timedelta(hours=1), notified_at=REPORTED)
    assert [s.standing for s in early] == [Standing.PENDING] * 3
    assert all(s.done_at is None for s in early)


def test_an_investigation_not_opened_in_three_days_is_overdue():
    """Art 17 (practice: 3 days): the receiver starts an investigation."""
    statuses = deadline_status(
        reported(), PRACTICE, DISCOVERED + timedelta(days=4), notified_at=REPORTED
    )
    assert overdue(statuses) == (Duty.INVESTIGATE,)
    assert standing(statuses, Duty.NOTIFY) is Standing.MET


def test_a_case_concluded_in_time_has_nothing_overdue_ever_after():
    statuses = deadline_status(
        concluded(), PRACTICE, DISCOVERED + timedelta(days=400), notified_at=REPORTED
    )
    assert overdue(statuses) == ()
    assert {s.standing for s in statuses} == {Standing.MET}


def test_a_case_of_ones_own_items_has_no_one_to_notify():
    statuses = deadline_status(
        reported(), PRACTICE, DISCOVERED + timedelta(days=2), notified_at=None, to_notify=False
    )
    assert standing(statuses, Duty.NOTIFY) is Standing.NOT_APPLICABLE
    assert Duty.NOTIFY not in overdue(statuses)


def test_a_node_chooses_its_own_periods():
    tight = Deadlines(notify=timedelta(hours=1))
    statuses = deadline_status(reported(), tight, DISCOVERED + timedelta(hours=2), notified_at=None)
    assert overdue(statuses) == (Duty.NOTIFY,)
    with pytest.raises(InvalidRequest, match="positive"):
        Deadlines(conclude=timedelta(0))


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("PT24H", timedelta(hours=24)),
        ("P3D", timedelta(days=3)),
        ("p1dt12h", timedelta(days=1, hours=12)),
        ("PT90M", timedelta(minutes=90)),
    ],
)
def test_periods_are_iso_8601_durations(text, period):
    assert parse_period(text) == period


@pytest.mark.parametrize("text", ["24h", "P", "PT", "P0D", "P1Y", "-P1D", "P99999D", ""])
def test_anything_else_is_not_a_period(text):
    with pytest.raises(InvalidRequest):
        parse_period(text)


@given(st.integers(min_value=1, max_value=3660 * 86400))
def test_a_period_written_reads_back_the_same(seconds):
    period = timedelta(seconds=seconds)
    assert parse_period(format_period(period)) == period
