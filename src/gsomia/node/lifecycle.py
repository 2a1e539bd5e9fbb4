"""Use cases on agreements' lifecycles: status at an instant, and recording events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gsomia.core.agreements import Agreement, Event, EventKind, Notice, Status
from gsomia.errors import InvalidEvent
from gsomia.node import journal
from gsomia.node.registry import Registry


@dataclass(frozen=True, slots=True)
class Recorded:
    """An event as recorded, with the notice it leaves standing and the status just after."""

    event: Event
    agreement: Agreement
    notice: Notice | None
    status: Status


def status(registry: Registry, agreement_id: str, at: datetime) -> Status:
    return registry.book().lifecycle(agreement_id).status(at)


def record_event(
    registry: Registry,
    agreement_id: str,
    kind: EventKind,
    by: str,
    at: datetime,
    note: str = "",
    source: str = "cli",
) -> Recorded:
    """Validate an event against the agreement's history (Art 21), then store it."""
    book = registry.book()
    agreement = book.agreement(agreement_id)
    party = by.strip().upper()
    book.scheme(party)
    if party not in agreement.parties:
        raise InvalidEvent(
            f"{party} is not a party to {agreement.id}; its parties are "
            f"{', '.join(agreement.parties)}"
        )
    event = Event(agreement.id, kind, party, at, note)
    lifecycle = book.with_event(event).lifecycle(agreement.id)
    with registry.transaction() as connection:
        journal.event(connection, event, source, registry.now())
    registry.changed()
    return Recorded(event, agreement, lifecycle.notice_at(at), lifecycle.status(at))
