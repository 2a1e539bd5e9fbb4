"""Recording lifecycle events of an agreement (Art 21): notice, suspension, reactivation,
withdrawal."""

from __future__ import annotations

from gsomia.core.agreements import Event, EventKind
from gsomia.errors import InvalidEvent
from gsomia.node import journal
from gsomia.node.context import Node, When
from gsomia.node.schemas import RecordedEventView, last_day, local


def record_event(
    node: Node,
    agreement_id: str,
    kind: EventKind,
    by: str,
    at: When,
    note: str = "",
    source: str = "cli",
) -> RecordedEventView:
    """Validate an event against the agreement's history, then record it: the status every
    decision derives changes in the same transaction."""
    with node.write() as tx:
        book = tx.book
        agreement = book.agreement(agreement_id)
        party = tx.known_party(by)
        if party not in agreement.parties:
            raise InvalidEvent(
                f"{party} is not a party to {agreement.id}; its parties are "
                f"{', '.join(agreement.parties)}"
            )
        instant = tx.instant(at, *agreement.parties)
        event = Event(agreement.id, kind, party, instant, note)
        lifecycle = book.with_event(event).lifecycle(agreement.id)
        journal.event(tx, event, source)
    notice = lifecycle.notice_at(instant)
    zone = agreement.legal_time_zone
    standing = notice is not None and not notice.suspended
    return RecordedEventView(
        agreement=agreement.id,
        event=kind.value,
        by=party,
        at=instant.astimezone(zone),
        state=lifecycle.status(instant).state.value,
        takes_effect_at=local(notice.takes_effect_at, zone) if standing and notice else None,
        late=notice.late if standing and notice else None,
        notice_deadline=local(notice.deadline, zone) if standing and notice else None,
        notice_deadline_date=last_day(notice.deadline, zone) if standing and notice else None,
    )
