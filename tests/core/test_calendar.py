"""Instants and the term and notice arithmetic of Art 21."""

from datetime import UTC, date, datetime, timedelta

import pytest

from gsomia.core import calendar
from gsomia.core.errors import InvalidInstant
from tests.conftest import SEOUL, kst


def test_bare_date_is_the_start_of_that_day_in_the_given_zone():
    assert calendar.parse_instant("2019-11-22", SEOUL) == datetime(2019, 11, 22, tzinfo=SEOUL)


def test_instant_with_offset_or_z_is_read_as_given():
    at = calendar.parse_instant("2019-11-22T18:00+09:00", SEOUL)
    assert at.utcoffset() == timedelta(hours=9)
    assert calendar.parse_instant("2019-11-22T09:00Z", SEOUL) == at


def test_instant_without_offset_is_refused_with_what_to_write():
    with pytest.raises(InvalidInstant, match="no UTC offset"):
        calendar.parse_instant("2019-11-22T18:00", SEOUL)


@pytest.mark.parametrize("text", ["2019-02-30", "22 Nov 2019", "yesterday", ""])
def test_malformed_instants_are_refused(text):
    with pytest.raises(InvalidInstant):
        calendar.parse_instant(text, SEOUL)


def test_adding_months_clamps_to_the_last_day_of_a_short_month():
    assert calendar.add_months(date(2016, 2, 29), 12) == date(2017, 2, 28)
    assert calendar.add_months(date(2019, 1, 31), 1) == date(2019, 2, 28)
    assert calendar.add_months(date(2019, 11, 23), 12) == date(2020, 11, 23)


def test_notice_deadline_for_the_term_ending_23_november_2019_is_the_end_of_24_august():
    """Art 21: 90 days' notice before the term ends at 2019-11-23T00:00+09:00."""
    deadline = calendar.notice_deadline(kst("2019-11-23"), 90, SEOUL)
    assert deadline == kst("2019-08-25")
    assert (deadline - timedelta(microseconds=1)).date() == date(2019, 8, 24)


def test_term_index_changes_exactly_at_the_anniversary():
    eif = kst("2016-11-23")
    assert calendar.term_index(eif, 12, kst("2019-11-22T23:59:59+09:00"), SEOUL) == 2
    assert calendar.term_index(eif, 12, kst("2019-11-23"), SEOUL) == 3
    assert calendar.term_index(eif, 12, eif, SEOUL) == 0


def test_term_boundaries_are_computed_in_the_legal_zone_not_utc():
    eif = kst("2016-11-23")
    end = calendar.term_end(eif, 12, 2, SEOUL)
    assert end.astimezone(UTC) == datetime(2019, 11, 22, 15, 0, tzinfo=UTC)


def test_notice_period_counts_whole_days_like_a_term_end_notice():
    delivered = kst("2019-08-24T23:00+09:00")
    assert calendar.after_notice_period(delivered, 90, SEOUL) == kst("2019-11-23")
