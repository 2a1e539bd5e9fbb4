"""The outbox: messages to partners' nodes, written in the same transaction as what they carry
(a release, a note, a consent), and sent by the worker until they settle.

A message's row in `deliveries` is stated in the ledger when it is queued and when it
settles, with the partner's signed answer; its schedule (`outbox`: attempts, next attempt,
last error) is not, being only how hard gsomia tried. At least once on the wire, exactly once
in effect: the partner keeps what it answered under the message's id (its Idempotency-Key).
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, insert, or_, select, update

from gsomia.errors import InvalidRequest, NotFound
from gsomia.ledger.entries import canonical_json
from gsomia.node import journal
from gsomia.node.context import Node, Tx
from gsomia.node.schemas import DeliveryView
from gsomia.store import tables

LEASE = timedelta(seconds=60)
"""How long a worker holds a message it is sending before another may take it."""
BACKOFF = timedelta(seconds=1)
MAX_BACKOFF = timedelta(minutes=10)
MAX_ATTEMPTS = 20
"""After this many failed attempts a message is `failed` (a person may retry it)."""


class Kind(StrEnum):
    """What a message carries, and so where it goes on the partner's node."""

    DELIVERY = "delivery"
    NOTE = "note"
    CONSENT_REQUEST = "consent-request"
    CONSENT = "consent"
    REFUSAL = "refusal"
    ITEM_NOTICE = "item-notice"
    ITEM_REPORT = "item-report"
    NOTICE_ACK = "notice-ack"
    INCIDENT = "incident"
    VISIT_REQUEST = "visit-request"
    VISIT_ANSWER = "visit-answer"


PATHS = {
    Kind.DELIVERY: "/v1/deliveries",
    Kind.NOTE: "/v1/notes",
    Kind.CONSENT_REQUEST: "/v1/consent-requests",
    Kind.CONSENT: "/v1/consents",
    Kind.REFUSAL: "/v1/consents",
    Kind.ITEM_NOTICE: "/v1/notices",
    Kind.ITEM_REPORT: "/v1/notices",
    Kind.NOTICE_ACK: "/v1/notices",
    Kind.INCIDENT: "/v1/incidents",
    Kind.VISIT_REQUEST: "/v1/visits",
    Kind.VISIT_ANSWER: "/v1/visit-answers",
}


class State(StrEnum):
    QUEUED = "queued"
    DELIVERED = "delivered"
    """The partner answered, allowing (a receipt) or acknowledging."""
    REFUSED = "refused"
    """The partner's signed answer is a denial: final, never retried."""
    FAILED = "failed"
    """Given up after errors; kept to be retried by a person."""


def new_id() -> str:
    return str(uuid.uuid4())


def enqueue(
    tx: Tx,
    *,
    kind: Kind,
    recipient: str,
    body: dict[str, Any],
    message_id: str | None = None,
    release_id: int | None = None,
    subject: str | None = None,
) -> str:
    """Queue a message in the caller's transaction; its id (the Idempotency-Key)."""
    identifier = message_id or new_id()
    text = canonical_json(body)
    tx.connection.execute(
        insert(tables.deliveries).values(
            id=identifier,
            kind=kind.value,
            recipient=recipient,
            release_id=release_id,
            subject=subject,
            body_sha256=hashlib.sha256(text.encode()).hexdigest(),
            state=State.QUEUED.value,
            created_at=tx.now,
        )
    )
    tx.connection.execute(
        insert(tables.outbox).values(
            delivery_id=identifier, body=text, attempts=0, next_attempt_at=tx.now
        )
    )
    journal.state_row(tx, "message_queued", "deliveries", identifier)
    return identifier


@dataclass(frozen=True, slots=True)
class Message:
    """A message leased to a worker for one attempt."""

    id: str
    kind: Kind
    recipient: str
    body: str
    attempts: int


def lease_due(node: Node, limit: int = 16) -> list[Message]:
    """Take the messages due now (not leased by another worker), for one attempt each."""
    outbox, deliveries = tables.outbox, tables.deliveries
    with node.write() as tx:
        rows = tx.connection.execute(
            select(outbox, deliveries.c.kind, deliveries.c.recipient)
            .join(deliveries, deliveries.c.id == outbox.c.delivery_id)
            .where(
                deliveries.c.state == State.QUEUED.value,
                outbox.c.next_attempt_at <= tx.now,
                or_(outbox.c.leased_until.is_(None), outbox.c.leased_until < tx.now),
            )
            .order_by(outbox.c.next_attempt_at)
            .limit(limit)
        ).all()
        if rows:
            tx.connection.execute(
                update(outbox)
                .where(outbox.c.delivery_id.in_([r.delivery_id for r in rows]))
                .values(leased_until=tx.now + LEASE)
            )
    return [Message(r.delivery_id, Kind(r.kind), r.recipient, r.body, r.attempts) for r in rows]


def settle(
    tx: Tx, message_id: str, state: State, answer: str | None, verified: bool | None
) -> None:
    """Record a message's outcome and its partner's answer, in the ledger too; the schedule
    goes."""
    deliveries = tables.deliveries
    tx.connection.execute(
        update(deliveries)
        .where(deliveries.c.id == message_id)
        .values(state=state.value, answer=answer, answer_verified=verified, settled_at=tx.now)
    )
    if state is not State.FAILED:
        tx.connection.execute(
            delete(tables.outbox).where(tables.outbox.c.delivery_id == message_id)
        )
    journal.state_row(tx, f"message_{state.value}", "deliveries", message_id)


def retry_later(node: Node, message: Message, error: str) -> State:
    """Schedule another attempt (exponential backoff with jitter), or give up."""
    attempts = message.attempts + 1
    with node.write() as tx:
        if attempts >= MAX_ATTEMPTS:
            _note_error(tx, message.id, attempts, error)
            settle(tx, message.id, State.FAILED, None, None)
            return State.FAILED
        delay = min(MAX_BACKOFF, BACKOFF * 2 ** min(attempts, 20)) * random.uniform(0.5, 1.5)
        tx.connection.execute(
            update(tables.outbox)
            .where(tables.outbox.c.delivery_id == message.id)
            .values(
                attempts=attempts,
                next_attempt_at=tx.now + delay,
                leased_until=None,
                last_error=error[:2000],
            )
        )
    return State.QUEUED


def fail(node: Node, message: Message, error: str) -> None:
    """Give up on a message at once (an answer that no retry can change)."""
    with node.write() as tx:
        _note_error(tx, message.id, message.attempts + 1, error)
        settle(tx, message.id, State.FAILED, None, None)


def _note_error(tx: Tx, message_id: str, attempts: int, error: str) -> None:
    tx.connection.execute(
        update(tables.outbox)
        .where(tables.outbox.c.delivery_id == message_id)
        .values(attempts=attempts, leased_until=None, last_error=error[:2000])
    )


def retry(node: Node, message_id: str) -> DeliveryView:
    """Queue a failed message again, to be sent at once."""
    deliveries, outbox = tables.deliveries, tables.outbox
    with node.write() as tx:
        current = _row(tx, message_id)
        if current.state != State.FAILED.value:
            raise InvalidRequest(
                f"message {message_id} is {current.state}; only a failed one is retried"
            )
        tx.connection.execute(
            update(deliveries)
            .where(deliveries.c.id == message_id)
            .values(state=State.QUEUED.value, settled_at=None)
        )
        tx.connection.execute(
            update(outbox)
            .where(outbox.c.delivery_id == message_id)
            .values(next_attempt_at=tx.now, leased_until=None)
        )
        journal.state_row(tx, "message_requeued", "deliveries", message_id)
        return view(tx, message_id)


def _row(tx: Tx, message_id: str) -> Any:
    deliveries = tables.deliveries
    found = tx.connection.execute(
        select(deliveries).where(deliveries.c.id == message_id)
    ).one_or_none()
    if found is None:
        raise NotFound(f"no delivery {message_id!r}", subject="delivery")
    return found


def view(tx: Tx, message_id: str) -> DeliveryView:
    deliveries, outbox = tables.deliveries, tables.outbox
    row = tx.connection.execute(
        select(deliveries, outbox.c.attempts, outbox.c.next_attempt_at, outbox.c.last_error)
        .outerjoin(outbox, outbox.c.delivery_id == deliveries.c.id)
        .where(deliveries.c.id == message_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no delivery {message_id!r}", subject="delivery")
    return _view(tx, row)


def views(tx: Tx, state: str | None = None) -> list[DeliveryView]:
    if state is not None and state not in {s.value for s in State}:
        raise InvalidRequest(
            f"unknown delivery state {state!r}; the states are {', '.join(s.value for s in State)}"
        )
    deliveries, outbox = tables.deliveries, tables.outbox
    query = (
        select(deliveries, outbox.c.attempts, outbox.c.next_attempt_at, outbox.c.last_error)
        .outerjoin(outbox, outbox.c.delivery_id == deliveries.c.id)
        .order_by(deliveries.c.created_at, deliveries.c.id)
    )
    if state is not None:
        query = query.where(deliveries.c.state == state)
    return [_view(tx, row) for row in tx.connection.execute(query)]


def _view(tx: Tx, row: Any) -> DeliveryView:
    zone = tx.time_zone
    return DeliveryView(
        id=row.id,
        kind=row.kind,
        to=row.recipient,
        release_id=row.release_id,
        subject=row.subject,
        state=row.state,
        attempts=row.attempts or 0,
        next_attempt_at=row.next_attempt_at.astimezone(zone)
        if row.next_attempt_at is not None and row.state == State.QUEUED.value
        else None,
        last_error=row.last_error,
        answer=row.answer,
        answer_verified=row.answer_verified,
        created_at=row.created_at.astimezone(zone),
        settled_at=row.settled_at.astimezone(zone) if row.settled_at else None,
    )
