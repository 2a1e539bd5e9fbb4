"""Recording lifecycle events of an agreement (Art 21): notice, suspension, reactivation,
withdrawal."""

from __future__ import annotations

import json

from sqlalchemy import insert

from gsomia.core.agreements import Event, EventKind
from gsomia.crypto import objects
from gsomia.errors import InvalidEvent, KeyStoreError
from gsomia.node import journal, outbox, wire
from gsomia.node.commands.keys import keyring, sign_object
from gsomia.node.commands.peers import peer_url
from gsomia.node.context import Node, Tx, When
from gsomia.node.schemas import RecordedEventView, last_day, local
from gsomia.store import tables


def record_event(
    node: Node,
    agreement_id: str,
    kind: EventKind,
    by: str,
    at: When,
    note: str = "",
    source: str = "cli",
    passphrase: bytes | None = None,
) -> RecordedEventView:
    """Validate an event against the agreement's history, then record it: the status every
    decision derives changes in the same transaction. An event this node's party gives is a
    diplomatic note to the other parties: to each whose node is a peer it goes signed, in the
    same transaction, for that node to record it too and acknowledge it."""
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
        event_id = journal.event(tx, event, source)
        if party == tx.party:
            _send_notes(tx, agreement.parties, event, event_id, passphrase)
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


def _send_notes(
    tx: Tx, parties: tuple[str, ...], event: Event, event_id: int, passphrase: bytes | None
) -> None:
    for to in parties:
        if to == event.by or peer_url(tx, to) is None:
            continue
        if passphrase is None:
            raise KeyStoreError(
                f"the note to {to} is signed with this node's keys: they need their passphrase",
                subject="passphrase",
            )
        note_id = outbox.new_id()
        note = objects.Note(
            iss=event.by,
            iat=int(tx.now.timestamp()),
            note_id=note_id,
            agreement=event.agreement,
            kind=event.kind,
            by=event.by,
            to=to,
            at=event.at,
            text=event.note,
        )
        token = sign_object(keyring(tx, passphrase), objects.ObjectKind.NOTE, note)
        tx.connection.execute(
            insert(tables.notes).values(
                id=note_id,
                agreement_id=event.agreement,
                event_id=event_id,
                by=event.by,
                to=to,
                token=token,
            )
        )
        journal.state_row(tx, "note_sent", "notes", note_id)
        outbox.enqueue(
            tx,
            kind=outbox.Kind.NOTE,
            recipient=to,
            body=json.loads(wire.NoteMessage(note=token).model_dump_json()),
            message_id=note_id,
            subject=event.agreement,
        )
