"""Recording lifecycle events through the registry: validated first, stored once."""

import pytest

from gsomia.core.agreements import EventKind, State
from gsomia.errors import Conflict, InvalidEvent, UnknownAgreement, UnknownParty
from gsomia.node import lifecycle
from gsomia.store import documents
from tests.conftest import kst

GSOMIA = "KOR-JPN-GSOMIA-2016"


def stored(registry):
    with registry.transaction() as connection:
        return [s.event for s in documents.events(connection)]


def test_a_recorded_notice_reports_when_it_takes_effect(registry):
    """Art 21: the 2019 notice, delivered in time, ends the term at 2019-11-23T00:00+09:00."""
    recorded = lifecycle.record_event(
        registry, GSOMIA, EventKind.TERMINATION_NOTICE, "kor", kst("2019-08-23")
    )
    assert recorded.notice is not None
    assert recorded.notice.takes_effect_at == kst("2019-11-23")
    assert not recorded.notice.late
    assert recorded.status.state is State.TERMINATION_NOTIFIED
    assert lifecycle.status(registry, GSOMIA, kst("2019-11-23")).state is State.TERMINATED


@pytest.mark.parametrize(
    ("agreement", "by", "at", "error"),
    [
        ("NOPE", "KOR", "2019-08-23", UnknownAgreement),
        (GSOMIA, "XYZ", "2019-08-23", UnknownParty),
        (GSOMIA, "USA", "2019-08-23", InvalidEvent),
        (GSOMIA, "KOR", "2015-01-01", InvalidEvent),
    ],
)
def test_bad_events_are_refused_and_nothing_is_stored(registry, agreement, by, at, error):
    with pytest.raises(error):
        lifecycle.record_event(registry, agreement, EventKind.TERMINATION_NOTICE, by, kst(at))
    assert stored(registry) == []


def test_a_duplicate_event_is_refused_and_stored_once(registry):
    lifecycle.record_event(registry, GSOMIA, EventKind.TERMINATION_NOTICE, "KOR", kst("2019-08-23"))
    with pytest.raises((InvalidEvent, Conflict), match="duplicate event"):
        lifecycle.record_event(
            registry, GSOMIA, EventKind.TERMINATION_NOTICE, "KOR", kst("2019-08-23")
        )
    assert len(stored(registry)) == 1


def test_an_event_after_termination_is_refused(registry):
    lifecycle.record_event(registry, GSOMIA, EventKind.TERMINATION_NOTICE, "KOR", kst("2019-08-23"))
    with pytest.raises(InvalidEvent, match="termination is final"):
        lifecycle.record_event(
            registry, GSOMIA, EventKind.NOTICE_WITHDRAWN, "KOR", kst("2019-12-01")
        )
    assert len(stored(registry)) == 1
