"""Recording lifecycle events through the registry: validated first, stored once."""

import pytest

from gsomia.core.agreements import EventKind, State
from gsomia.errors import Conflict, InvalidEvent, UnknownAgreement, UnknownParty
from gsomia.node import queries
from gsomia.node.commands import lifecycle
from gsomia.store import documents
from tests.conftest import kst

GSOMIA = "KOR-JPN-GSOMIA-2016"


def stored(node):
    with node.read() as tx:
        return [s.event for s in documents.events(tx.connection)]


def test_a_recorded_notice_reports_when_it_takes_effect(node):
    """Art 21: the 2019 notice, delivered in time, ends the term at 2019-11-23T00:00+09:00."""
    recorded = lifecycle.record_event(
        node, GSOMIA, EventKind.TERMINATION_NOTICE, "kor", kst("2019-08-23")
    )
    assert recorded.takes_effect_at == kst("2019-11-23")
    assert recorded.late is False
    assert recorded.state == State.TERMINATION_NOTIFIED
    assert queries.status(node, GSOMIA, kst("2019-11-23")).state == State.TERMINATED


@pytest.mark.parametrize(
    ("agreement", "by", "at", "error"),
    [
        ("NOPE", "KOR", "2019-08-23", UnknownAgreement),
        (GSOMIA, "XYZ", "2019-08-23", UnknownParty),
        (GSOMIA, "USA", "2019-08-23", InvalidEvent),
        (GSOMIA, "KOR", "2015-01-01", InvalidEvent),
    ],
)
def test_bad_events_are_refused_and_nothing_is_stored(node, agreement, by, at, error):
    with pytest.raises(error):
        lifecycle.record_event(node, agreement, EventKind.TERMINATION_NOTICE, by, kst(at))
    assert stored(node) == []


def test_a_duplicate_event_is_refused_and_stored_once(node):
    lifecycle.record_event(node, GSOMIA, EventKind.TERMINATION_NOTICE, "KOR", kst("2019-08-23"))
    with pytest.raises((InvalidEvent, Conflict), match="duplicate event"):
        lifecycle.record_event(node, GSOMIA, EventKind.TERMINATION_NOTICE, "KOR", kst("2019-08-23"))
    assert len(stored(node)) == 1


def test_an_event_after_termination_is_refused(node):
    lifecycle.record_event(node, GSOMIA, EventKind.TERMINATION_NOTICE, "KOR", kst("2019-08-23"))
    with pytest.raises(InvalidEvent, match="termination is final"):
        lifecycle.record_event(node, GSOMIA, EventKind.NOTICE_WITHDRAWN, "KOR", kst("2019-12-01"))
    assert len(stored(node)) == 1
