"""Originators' prior written consents to onward transfer (Art 6, Rule 5): recorded by hand,
or asked for and answered across nodes, signed by the originator's node."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import insert, select, update

from gsomia.crypto import objects
from gsomia.errors import Conflict, InvalidRequest, NotFound
from gsomia.node import journal, outbox, wire
from gsomia.node.commands.keys import keyring, sign_object
from gsomia.node.commands.peers import peer_url
from gsomia.node.context import Node, Tx, When
from gsomia.node.schemas import ConsentRequestView, ConsentView
from gsomia.store import registry as register
from gsomia.store import tables
from gsomia.store.registry import NewConsent


def add_consent(
    node: Node,
    item: str,
    recipient: str,
    granted_at: When,
    expires_at: When | None = None,
    reference: str = "",
) -> ConsentView:
    """Record the originator's written consent for one item this registry holds, which
    another party originated, to go to one third party."""
    with node.write() as tx:
        own = tx.own_party()
        record = register.item(tx.connection, item)
        to = tx.known_party(recipient)
        if record.originator == own:
            raise InvalidRequest(
                f"{own} originated item {record.reference}: a consent is another "
                "originator's, and releasing one's own item needs none"
            )
        if to in (record.originator, record.holder):
            raise InvalidRequest(
                f"{to} is the item's originator or holder; a consent names a third party"
            )
        granted = tx.instant(granted_at, record.originator, record.holder)
        expires = tx.instant(expires_at, record.originator, record.holder) if expires_at else None
        if expires is not None and expires <= granted:
            raise InvalidRequest("a consent must expire after it is granted")
        consent_id = journal.consent(
            tx,
            NewConsent(
                item_id=record.id,
                originator=record.originator,
                recipient=to,
                granted_at=granted,
                expires_at=expires,
                reference=reference,
                recorded_at=tx.now,
            ),
        )
        stored = next(c for c in register.consents(tx.connection, record.id) if c.id == consent_id)
        return ConsentView.of(stored, tx.time_zone)


# -- across nodes ----------------------------------------------------------------------------------


def request_consent(
    node: Node, item: str, recipient: str, purpose: str = "", at: When | None = None
) -> ConsentRequestView:
    """Ask an item's originator, through its node, for consent to pass the item on (Art 6)."""
    with node.write() as tx:
        own = tx.own_party()
        record = register.item(tx.connection, item)
        to = tx.known_party(recipient)
        if record.originator == own:
            raise InvalidRequest(f"{own} originated item {record.reference}: it needs no consent")
        if to in (record.originator, own):
            raise InvalidRequest(f"{to} is the item's originator or holder; ask for a third party")
        if peer_url(tx, record.originator) is None:
            raise InvalidRequest(
                f"{record.originator} is not a peer of this node: its consent cannot be asked "
                "for here",
                subject="peer",
            )
        instant = tx.instant(at, record.originator, own) if at is not None else tx.now
        request_id = outbox.new_id()
        reference = record.originator_reference or record.reference
        values = {
            "id": request_id,
            "item": reference,
            "originator": record.originator,
            "holder": own,
            "recipient": to,
            "purpose": purpose,
            "requested_at": instant,
            "state": "pending",
        }
        tx.connection.execute(insert(tables.consent_requests).values(**values))
        journal.state_row(tx, "consent_request", "consent_requests", request_id)
        outbox.enqueue(
            tx,
            kind=outbox.Kind.CONSENT_REQUEST,
            recipient=record.originator,
            body=json.loads(
                wire.ConsentRequestMessage(
                    request_id=request_id,
                    item=reference,
                    originator=record.originator,
                    holder=own,
                    recipient=to,
                    purpose=purpose,
                    requested_at=instant,
                ).model_dump_json()
            ),
            subject=record.reference,
        )
        return _request_view(tx, request_id)


def consent_requests(node: Node) -> list[ConsentRequestView]:
    """Requests this node made and requests made of it, newest first."""
    requests = tables.consent_requests
    with node.read() as tx:
        ids = tx.connection.execute(
            select(requests.c.id).order_by(requests.c.requested_at.desc(), requests.c.id)
        ).scalars()
        return [_request_view(tx, request_id) for request_id in ids]


def grant(
    node: Node,
    request_id: str,
    expires: When,
    reference: str,
    passphrase: bytes,
    at: When | None = None,
) -> ConsentRequestView:
    """The originator's written consent, signed and sent to the holder's node (Art 6)."""
    with node.write() as tx:
        request = _pending(tx, request_id)
        instant = tx.instant(at, request.originator, request.holder) if at is not None else tx.now
        until = tx.instant(expires, request.originator, request.holder)
        if until <= instant:
            raise InvalidRequest("a consent must expire after it is granted")
        consent = objects.Consent(
            iss=request.originator,
            iat=int(tx.now.timestamp()),
            consent_id=request_id,
            item=request.item,
            originator=request.originator,
            holder=request.holder,
            recipient=request.recipient,
            purpose=request.purpose or "onward transfer",
            granted_at=instant,
            expires_at=until,
            reference=reference,
        )
        token = _signed(tx, passphrase, objects.ObjectKind.CONSENT, consent)
        return _answer(
            tx, request, "granted", wire.ConsentMessage(request_id=request_id, consent=token), token
        )


def refuse(
    node: Node, request_id: str, reason: str, passphrase: bytes, at: When | None = None
) -> ConsentRequestView:
    """The originator's signed refusal, sent to the holder's node."""
    if not reason.strip():
        raise InvalidRequest("a refusal gives its reason")
    with node.write() as tx:
        request = _pending(tx, request_id)
        instant = tx.instant(at, request.originator, request.holder) if at is not None else tx.now
        refusal = objects.ConsentRefusal(
            iss=request.originator,
            iat=int(tx.now.timestamp()),
            request_id=request_id,
            item=request.item,
            originator=request.originator,
            reason=reason.strip(),
            at=instant,
        )
        token = _signed(tx, passphrase, objects.ObjectKind.CONSENT_REFUSAL, refusal)
        return _answer(
            tx, request, "refused", wire.ConsentMessage(request_id=request_id, refusal=token), token
        )


def _pending(tx: Tx, request_id: str) -> Any:
    requests = tables.consent_requests
    row = tx.connection.execute(select(requests).where(requests.c.id == request_id)).one_or_none()
    if row is None:
        raise NotFound(f"no consent request {request_id!r}", subject="consent-request")
    if row.originator != tx.own_party():
        raise InvalidRequest(f"request {request_id} asks {row.originator}, not this node")
    if row.state != "pending":
        raise Conflict(f"request {request_id} was already {row.state}")
    return row


def _signed(tx: Tx, passphrase: bytes, kind: objects.ObjectKind, claims: Any) -> str:
    return sign_object(keyring(tx, passphrase), kind, claims)


def _answer(
    tx: Tx, request: Any, state: str, message: wire.ConsentMessage, token: str
) -> ConsentRequestView:
    requests = tables.consent_requests
    tx.connection.execute(
        update(requests)
        .where(requests.c.id == request.id)
        .values(state=state, answer=token, answered_at=tx.now)
    )
    journal.state_row(tx, f"consent_{state}", "consent_requests", request.id)
    outbox.enqueue(
        tx,
        kind=outbox.Kind.CONSENT if state == "granted" else outbox.Kind.REFUSAL,
        recipient=request.holder,
        body=json.loads(message.model_dump_json()),
        subject=request.item,
    )
    return _request_view(tx, request.id)


def _request_view(tx: Tx, request_id: str) -> ConsentRequestView:
    requests = tables.consent_requests
    row = tx.connection.execute(select(requests).where(requests.c.id == request_id)).one()
    zone = tx.time_zone
    return ConsentRequestView(
        id=row.id,
        item=row.item,
        originator=row.originator,
        holder=row.holder,
        to=row.recipient,
        purpose=row.purpose,
        requested_at=row.requested_at.astimezone(zone),
        state=row.state,
        answered_at=row.answered_at.astimezone(zone) if row.answered_at else None,
        asked_of_us=row.originator == tx.party,
    )
