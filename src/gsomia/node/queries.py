"""What the registry holds, as the node's models: lists, shows and their filters.

Every interface reads through here; nothing here writes. Filters are checked like any input:
an unknown party or decision kind, or a malformed topic, is bad input, not an empty answer.
"""

from __future__ import annotations

from gsomia.core.labels import check_topic
from gsomia.errors import InvalidRequest
from gsomia.node.context import Node, When
from gsomia.node.schemas import (
    AgreementView,
    ChangeView,
    ConsentView,
    CustodyView,
    DecisionRecordView,
    DeliveryView,
    DerivationView,
    EventView,
    ItemDetailView,
    ItemView,
    KeyView,
    NoteStateView,
    PersonView,
    ReleaseView,
    SchemeView,
    StatusView,
)
from gsomia.store import changes, documents, keystore
from gsomia.store import decisions as decision_rows
from gsomia.store import registry as register

DECISION_KINDS = (
    "release",
    "transfer",
    "receipt",
    "access",
    "seal",
    "reproduce",
    "visit",
    "export",
)
"""The kinds of decision the registry records."""


def schemes(node: Node) -> list[SchemeView]:
    with node.read() as tx:
        return [SchemeView.of(s) for s in tx.book.schemes.values()]


def agreements(node: Node) -> list[AgreementView]:
    with node.read() as tx:
        return [AgreementView.of(a) for a in tx.book.agreements.values()]


def agreement(node: Node, agreement_id: str) -> AgreementView:
    with node.read() as tx:
        return AgreementView.of(tx.book.agreement(agreement_id))


def status(node: Node, agreement_id: str, at: When) -> StatusView:
    """An agreement's state at an instant, derived from its events (Art 21)."""
    with node.read() as tx:
        found = tx.book.agreement(agreement_id)
        instant = tx.instant(at, *found.parties)
        return StatusView.of(tx.book.lifecycle(found.id).status(instant), found.legal_time_zone)


def events(node: Node, agreement_id: str) -> list[EventView]:
    from sqlalchemy import select

    from gsomia.store import tables

    with node.read() as tx:
        found = tx.book.agreement(agreement_id)
        notes = tables.notes
        sent: dict[int, list[NoteStateView]] = {}
        for row in tx.connection.execute(
            select(notes).where(notes.c.agreement_id == found.id, notes.c.by == tx.party)
        ):
            sent.setdefault(row.event_id, []).append(
                NoteStateView(id=row.id, to=row.to, acknowledged=row.ack is not None)
            )
        return [
            EventView.of(s, found.legal_time_zone, sent.get(s.id))
            for s in documents.events(tx.connection, found.id)
        ]


def histories() -> list[str]:
    """The built-in histories."""
    from gsomia.reference import builtin_histories

    return builtin_histories()


def persons(node: Node) -> list[PersonView]:
    with node.read() as tx:
        return [PersonView.of(p, tx.time_zone) for p in register.persons(tx.connection)]


def person(node: Node, person_id: int) -> PersonView:
    with node.read() as tx:
        return PersonView.of(register.person(tx.connection, person_id), tx.time_zone)


def items(
    node: Node,
    *,
    holder: str | None = None,
    originator: str | None = None,
    topic: str | None = None,
) -> list[ItemView]:
    with node.read() as tx:
        found = register.items(
            tx.connection,
            holder=tx.known_party(holder) if holder else None,
            originator=tx.known_party(originator) if originator else None,
            topic=check_topic(topic) if topic is not None else None,
        )
        return [ItemView.of(i, tx.time_zone) for i in found]


def item(node: Node, key: str) -> ItemDetailView:
    """An item with its releases, consents and every decision about it."""
    with node.read() as tx:
        zone = tx.time_zone
        record = register.item(tx.connection, key)
        derived = changes.derivation(tx.connection, record.id)
        return ItemDetailView(
            **ItemView.fields(record, zone),
            state=changes.state(tx.connection, record.id),
            derived_from=DerivationView(
                original=register.item(tx.connection, derived.original_id).reference,
                kind=derived.kind,
                made_by=derived.made_by,
                at=derived.at.astimezone(zone),
            )
            if derived
            else None,
            changes=[ChangeView.of(c, zone) for c in changes.changes(tx.connection, record.id)],
            releases=[ReleaseView.of(r, zone) for r in register.releases(tx.connection, record.id)],
            consents=[ConsentView.of(c, zone) for c in register.consents(tx.connection, record.id)],
            decisions=[
                DecisionRecordView.of(d, zone)
                for d in decision_rows.decisions(tx.connection, item_id=record.id)
            ],
        )


def releases(node: Node) -> list[ReleaseView]:
    with node.read() as tx:
        return [ReleaseView.of(r, tx.time_zone) for r in register.releases(tx.connection)]


def consents(node: Node, item_key: str | None = None) -> list[ConsentView]:
    with node.read() as tx:
        item_id = register.item(tx.connection, item_key).id if item_key else None
        return [ConsentView.of(c, tx.time_zone) for c in register.consents(tx.connection, item_id)]


def decisions(node: Node, kind: str | None = None) -> list[DecisionRecordView]:
    if kind is not None and kind not in DECISION_KINDS:
        raise InvalidRequest(
            f"unknown decision kind {kind!r}; the kinds are {', '.join(DECISION_KINDS)}"
        )
    with node.read() as tx:
        return [
            DecisionRecordView.of(d, tx.time_zone)
            for d in decision_rows.decisions(tx.connection, kind=kind)
        ]


def decision(node: Node, decision_id: int) -> DecisionRecordView:
    with node.read() as tx:
        return DecisionRecordView.of(
            decision_rows.decision(tx.connection, decision_id), tx.time_zone
        )


def keys(node: Node) -> list[KeyView]:
    """This node's keys and the partners' public keys it knows."""
    with node.read() as tx:
        return [KeyView.of(k, tx.party) for k in keystore.keys(tx.connection)]


def deliveries(node: Node, state: str | None = None) -> list[DeliveryView]:
    """Messages to partners' nodes, oldest first, optionally in one state."""
    from gsomia.node import outbox

    with node.read() as tx:
        return outbox.views(tx, state)


def delivery(node: Node, delivery_id: str) -> DeliveryView:
    from gsomia.node import outbox

    with node.read() as tx:
        return outbox.view(tx, delivery_id)


def custody(node: Node, key: str) -> CustodyView:
    """Every hand-over of an item and its copies, with their receipts, each verified."""
    from gsomia.node import delivering
    from gsomia.node.commands.keys import keyring

    with node.read() as tx:
        return delivering.custody(tx, key, keyring(tx, None))
