"""What a node does with partners' requests: authenticate them, answer each once, and take
deliveries, notes, consent requests and consents.

Every request must be signed by a key pinned for a peer (RFC 9421; stale requests, replayed
nonces and unknown signers are refused) and carry an `Idempotency-Key`: the first answer is
stored under (sender, key) in the same transaction as what it records, so a retry gets that
answer again and the same key with another body is refused. A delivery is decided under this
node's own view of the agreements at the instant of the release its envelope carries.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from gsomia.core.agreements import Event, EventKind
from gsomia.core.labels import Label
from gsomia.core.policy import Consent, decide_receipt, decide_transfer
from gsomia.crypto import httpsig, objects
from gsomia.crypto.keys import KeyRing, Purpose
from gsomia.crypto.sealing import open_sealed
from gsomia.errors import Conflict, Denied, InvalidEvent, InvalidRequest, VerificationFailed
from gsomia.ledger.entries import canonical_json
from gsomia.node import journal, wire
from gsomia.node.commands.items import record_item, transfer_item
from gsomia.node.commands.keys import keyring, sign_object, verify_from
from gsomia.node.commands.visits import insert_visit
from gsomia.node.context import Node, Tx
from gsomia.store import log, tables
from gsomia.store import registry as register
from gsomia.store.registry import NewConsent

logger = logging.getLogger("gsomia.inbound")
WINDOW = timedelta(seconds=300)
"""How old a signed request may be; nonces are kept as long."""
SKEW = timedelta(seconds=60)
"""How far ahead of this node's clock a request's creation may lie."""
MAX_KEY = 64
"""The longest Idempotency-Key kept (whole: two keys are never taken for one)."""


class ReplayedRequest(VerificationFailed):
    """A signed request whose nonce was already used within the acceptance window."""

    title = "Replayed request"
    status = 401
    slug = "replayed-request"


class IdempotencyMismatch(Conflict):
    """The same Idempotency-Key with another body."""

    title = "Idempotency-Key reused"
    status = 422
    slug = "idempotency-key-reused"


@dataclass(frozen=True, slots=True)
class Answered:
    status: int
    body: dict[str, Any]


def authenticate(node: Node, method: str, url: str, headers: Mapping[str, str], body: bytes) -> str:
    """The party whose pinned key signed this request; refused otherwise (and logged)."""
    with node.read() as tx:
        ring = keyring(tx, None)
        peers = set(tx.connection.execute(select(tables.peers.c.party)).scalars())

    def key_for(kid: str) -> Any:
        record = ring.record(kid)
        if record is None or record.purpose is not Purpose.SIGN or record.party not in peers:
            return None
        return ring.verifying(kid)

    try:
        verified = httpsig.verify_request(
            method, url, headers, body, key_for=key_for, now=node.now(), max_age=WINDOW, skew=SKEW
        )
    except VerificationFailed as exc:
        logger.warning("refused %s %s: %s", method, url, exc.message)
        raise
    record = ring.record(verified.kid)
    assert record is not None
    _remember_nonce(node, record.party, verified.nonce, method, url)
    return record.party


def _remember_nonce(node: Node, sender: str, nonce: str, method: str, url: str) -> None:
    nonces = tables.nonces
    try:
        with node.write() as tx:
            tx.connection.execute(nonces.delete().where(nonces.c.seen_at < tx.now - WINDOW - SKEW))
            tx.connection.execute(insert(nonces).values(sender=sender, nonce=nonce, seen_at=tx.now))
    except IntegrityError:
        logger.warning("refused %s %s from %s: nonce %s replayed", method, url, sender, nonce)
        raise ReplayedRequest(
            f"the request from {sender} reuses the nonce {nonce!r}: a replay"
        ) from None


def idempotency_key(key: str | None) -> str:
    """The request's Idempotency-Key, checked before its body is read."""
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise InvalidRequest(
            f"a request to a gsomia node carries an Idempotency-Key of 1 to {MAX_KEY} printable "
            "characters (a UUID)"
        )
    return key


def answer_once(
    node: Node,
    sender: str,
    key: str | None,
    body: bytes,
    request: str,
    handle: Callable[[Tx], Answered],
) -> Answered:
    """Answer a request once per (sender, key): a retry gets the stored answer."""
    key = idempotency_key(key)
    fingerprint = hashlib.sha256(body).hexdigest()
    inbox = tables.inbox
    with node.write() as tx:
        stored = tx.connection.execute(
            select(inbox).where(inbox.c.sender == sender, inbox.c.idempotency_key == key)
        ).one_or_none()
        if stored is not None:
            if stored.fingerprint != fingerprint:
                raise IdempotencyMismatch(
                    f"{sender} already sent another request under the Idempotency-Key {key!r}"
                )
            return Answered(stored.status, json.loads(stored.response))
        answered = handle(tx)
        tx.connection.execute(
            insert(inbox).values(
                sender=sender,
                idempotency_key=key,
                fingerprint=fingerprint,
                request=request,
                status=answered.status,
                response=canonical_json(answered.body),
                received_at=tx.now,
            )
        )
        return answered


# -- deliveries ----------------------------------------------------------------------------------


def accept_delivery(
    node: Node, sender: str, key: str | None, body: bytes, passphrase: bytes
) -> Answered:
    """Take a delivery: check the sealed copy and its label against the envelope, decide the
    receipt at the release's instant, register the copy, answer with a signed receipt."""
    delivery = wire.parse(wire.Delivery, body)
    envelope = delivery.envelope
    if envelope.sender != sender:
        raise Denied(f"{sender} signed a delivery that names {envelope.sender} as its sender")
    if key != envelope.delivery_id:
        raise InvalidRequest("a delivery's Idempotency-Key is its delivery id")
    store = node.content
    with node.read() as tx:
        own = tx.own_party()
        ring = keyring(tx, passphrase)
        schemes = tx.book.schemes
    if envelope.recipient != own:
        raise InvalidRequest(f"the delivery is addressed to {envelope.recipient}, not {own}")
    with store.incoming() as copy:
        if envelope.content_sha256 is not None:
            _check_content(delivery, copy.stream, ring, schemes, own)
        request = canonical_json(json.loads(envelope.model_dump_json()))

        kept: dict[str, str | None] = {}

        def handle(tx: Tx) -> Answered:
            return _decide_delivery(tx, envelope, ring, store, copy, kept)

        answered = answer_once(node, sender, key, body, request, handle)
    if kept.get("content"):
        store.settle(kept["content"] or "")
    item = kept.get("item")
    if item and envelope.final_recipient and envelope.final_recipient != own:
        _relay(node, item, envelope, passphrase)
    return answered


def _check_content(
    delivery: wire.Delivery, stream: Any, ring: KeyRing, schemes: Any, own: str
) -> None:
    envelope = delivery.envelope
    try:
        data = base64.b64decode(delivery.content or "", validate=True)
    except ValueError:
        raise InvalidRequest("the delivery's content is not base64") from None
    if hashlib.sha256(data).hexdigest() != envelope.content_sha256:
        raise VerificationFailed("the delivered content is not the one its envelope names")
    stream.write(data)
    stream.flush()
    stream.seek(0)
    opened = open_sealed(stream, None, ring)
    label = opened.label.to_label(schemes)
    item = envelope.item
    if (label.originator, label.level.marking, label.topic, label.held_by) != (
        item.originator,
        item.marking,
        item.topic,
        own,
    ):
        raise VerificationFailed(
            "the sealed copy's label does not agree with its envelope (originator, marking, "
            "topic or holder)"
        )


def _decide_delivery(
    tx: Tx,
    envelope: wire.Envelope,
    ring: KeyRing,
    store: Any,
    copy: Any,
    kept: dict[str, str | None],
) -> Answered:
    """Decide, record and register (in the caller's transaction); `kept` learns the item
    registered and the content to settle once committed."""
    own = tx.own_party()
    book = tx.book
    item = envelope.item
    level = book.scheme(tx.known_party(item.originator)).by_marking(item.marking)
    label = Label(
        item.originator,
        level,
        item.topic,
        item.purpose,
        frozenset(item.releasable_to) if item.releasable_to is not None else None,
        tuple(item.caveats),
    )
    at = envelope.released_at
    sender = envelope.sender
    consents = [
        Consent(c.item, c.originator, c.recipient, c.granted_at, c.expires_at, c.reference)
        for _, c in _consents(ring, envelope)
    ]
    held = label
    if sender == item.originator:
        decision = decide_receipt(book, label, own, at)
    else:
        holder_level = book.scheme(sender).by_marking(item.holder_marking or "")
        held = replace(label, holder=sender, holder_level=holder_level)
        originated = item.originator_reference or item.reference
        # The hop from a holder other than the originator is an onward transfer: it stands
        # only on the originator's consent, verified here again (Art 6, Rule 13).
        decision = decide_transfer(book, held, originated, own, at, consents)
    request = {
        "delivery": envelope.delivery_id,
        "originator": item.originator,
        "marking": item.marking,
        "topic": item.topic,
        "sender": sender,
        "receiver": own,
        "originator_reference": item.originator_reference or item.reference,
    }
    reference: str | None = None
    item_id: int | None = None
    if decision.allowed and decision.recipient_level is not None:
        tx.attest()
        received = held.handed_over(own, decision.recipient_level)
        content = store.pend(copy) if envelope.content_sha256 is not None else None
        kept["content"] = content[0] if content else None
        item_id = record_item(
            tx,
            received,
            item.title,
            at,
            None,
            content,
            sender,
            item.originator_reference or item.reference,
            delivery_id=envelope.delivery_id,
        )
        reference = register.item(tx.connection, item_id).reference
        kept["item"] = reference
        for token, consent in _consents_for(ring, envelope, own):
            _keep_consent(tx, item_id, consent, token)
    journal.decision(
        tx,
        kind="receipt",
        at=at,
        decided=decision,
        request=request,
        item_id=item_id,
    )
    receipt = objects.Receipt(
        iss=own,
        iat=int(tx.now.timestamp()),
        delivery_id=envelope.delivery_id,
        item=item.reference,
        receiver=own,
        allowed=decision.allowed,
        reasons=tuple(
            objects.Reason(
                code=r.code.value, agreement=r.agreement, article=r.article, message=r.message
            )
            for r in decision.reasons
        ),
        receiver_marking=decision.recipient_level.marking if decision.recipient_level else None,
        receiver_item=reference,
        ledger_index=log.size(tx.connection) - 1,
        at=at,
        content_sha256=envelope.content_sha256,
    )
    return Answered(201, {"receipt": sign_object(ring, objects.ObjectKind.RECEIPT, receipt)})


def _consents(ring: KeyRing, envelope: wire.Envelope) -> list[tuple[str, objects.Consent]]:
    """The envelope's consents, each verified against the originator's pinned keys: one that
    does not verify counts as none (and is logged)."""
    found = []
    for token in envelope.consents:
        try:
            consent = verify_from(
                ring, envelope.item.originator, token, objects.ObjectKind.CONSENT, objects.Consent
            )
        except VerificationFailed as exc:
            logger.warning(
                "delivery %s: a consent does not verify: %s", envelope.delivery_id, exc.message
            )
            continue
        found.append((token, consent))
    return found


def _consents_for(
    ring: KeyRing, envelope: wire.Envelope, holder: str
) -> list[tuple[str, objects.Consent]]:
    """The verified consents that let `holder` pass the item on (a hub's, for its relay)."""
    return [(token, c) for token, c in _consents(ring, envelope) if c.holder == holder]


def _keep_consent(tx: Tx, item_id: int, consent: objects.Consent, token: str) -> None:
    journal.consent(
        tx,
        NewConsent(
            item_id=item_id,
            originator=consent.originator,
            recipient=consent.recipient,
            granted_at=consent.granted_at,
            expires_at=consent.expires_at,
            reference=consent.reference,
            recorded_at=tx.now,
            purpose=consent.purpose,
            token=token,
        ),
    )


def _relay(node: Node, reference: str, envelope: wire.Envelope, passphrase: bytes) -> None:
    """A hub passes the item on to its final recipient, on the originator's consent (TISA)."""
    final = envelope.final_recipient
    assert final is not None
    action = transfer_item(node, reference, final, envelope.released_at, passphrase)
    logger.info("relayed %s to %s: %s", reference, final, "allowed" if action.allowed else "denied")


# -- diplomatic notes ------------------------------------------------------------------------------


def accept_note(
    node: Node, sender: str, key: str | None, body: bytes, passphrase: bytes
) -> Answered:
    """Record a partner's diplomatic note as the lifecycle event it is, and acknowledge it."""
    message = wire.parse(wire.NoteMessage, body)
    own, ring = _own_and_ring(node, passphrase)
    note = verify_from(ring, sender, message.note, objects.ObjectKind.NOTE, objects.Note)
    if note.by != sender:
        raise Denied(f"{sender} forwarded a note given by {note.by}")
    if note.to != own:
        raise InvalidRequest(f"the note is addressed to {note.to}, not {own}")
    if key != note.note_id:
        raise InvalidRequest("a note's Idempotency-Key is its note id")

    def handle(tx: Tx) -> Answered:
        agreement = tx.book.agreement(note.agreement)
        event = Event(agreement.id, EventKind(note.kind), note.by, note.at, note.text)
        lifecycle = tx.book.lifecycle(agreement.id)
        event_id = None
        if not lifecycle.records(event):
            try:
                tx.book.with_event(event)
            except InvalidEvent as exc:
                raise Denied(f"the note contradicts this node's history: {exc.message}") from None
            event_id = journal.event(tx, event, f"note:{note.note_id}")
        token = acknowledgement(tx, ring, note.note_id, objects.ObjectKind.NOTE)
        tx.connection.execute(
            insert(tables.notes).values(
                id=note.note_id,
                agreement_id=agreement.id,
                event_id=event_id,
                by=note.by,
                to=own,
                token=message.note,
                ack=token,
                acked_at=tx.now,
            )
        )
        journal.state_row(tx, "note_received", "notes", note.note_id)
        return Answered(201, {"ack": token})

    return answer_once(node, sender, key, body, message.note, handle)


# -- consents across nodes -----------------------------------------------------------------------


def accept_consent_request(
    node: Node, sender: str, key: str | None, body: bytes, passphrase: bytes
) -> Answered:
    """Keep a holder's request for this originator's consent, for an officer to answer."""
    message = wire.parse(wire.ConsentRequestMessage, body)
    own, ring = _own_and_ring(node, passphrase)
    if message.holder != sender:
        raise Denied(f"{sender} asked for a consent on behalf of {message.holder}")
    if message.originator != own:
        raise InvalidRequest(f"the request is for {message.originator}'s consent, not {own}'s")

    def handle(tx: Tx) -> Answered:
        item = register.item(tx.connection, message.item)
        if item.originator != own:
            raise InvalidRequest(f"{message.item} is not an item {own} originated")
        tx.known_party(message.recipient)
        tx.connection.execute(
            insert(tables.consent_requests).values(
                id=message.request_id,
                item=message.item,
                originator=own,
                holder=sender,
                recipient=message.recipient,
                purpose=message.purpose,
                requested_at=message.requested_at,
                state="pending",
            )
        )
        journal.state_row(tx, "consent_requested", "consent_requests", message.request_id)
        return Answered(
            202, {"ack": acknowledgement(tx, ring, message.request_id, objects.ObjectKind.CONSENT)}
        )

    return answer_once(node, sender, key, body, body.decode(), handle)


def accept_consent(
    node: Node, sender: str, key: str | None, body: bytes, passphrase: bytes
) -> Answered:
    """Keep an originator's signed consent (or its refusal) for an item this node holds."""
    message = wire.parse(wire.ConsentMessage, body)
    own, ring = _own_and_ring(node, passphrase)

    def handle(tx: Tx) -> Answered:
        requests = tables.consent_requests
        if message.consent is not None:
            consent = verify_from(
                ring, sender, message.consent, objects.ObjectKind.CONSENT, objects.Consent
            )
            if consent.originator != sender or consent.holder != own:
                raise Denied("the consent is not the sender's, or not for this node")
            item = _held_copy(tx, sender, consent.item)
            _keep_consent(tx, item.id, consent, message.consent)
            state, of = "granted", consent.consent_id
        elif message.refusal is not None:
            refusal = verify_from(
                ring,
                sender,
                message.refusal,
                objects.ObjectKind.CONSENT_REFUSAL,
                objects.ConsentRefusal,
            )
            if refusal.originator != sender:
                raise Denied("the refusal is not the sender's")
            state, of = "refused", refusal.request_id
        else:
            raise InvalidRequest("a consent message carries a consent or a refusal")
        if message.request_id is not None:
            answered = tx.connection.execute(
                update(requests)
                .where(requests.c.id == message.request_id, requests.c.holder == own)
                .values(state=state, answer=message.consent or message.refusal, answered_at=tx.now)
            )
            if answered.rowcount:
                journal.state_row(tx, f"consent_{state}", "consent_requests", message.request_id)
        kind = (
            objects.ObjectKind.CONSENT if state == "granted" else objects.ObjectKind.CONSENT_REFUSAL
        )
        return Answered(201, {"ack": acknowledgement(tx, ring, key or of, kind)})

    return answer_once(node, sender, key, body, body.decode(), handle)


# -- visits (Art 8) ------------------------------------------------------------------------------


def accept_visit_request(
    node: Node, sender: str, key: str | None, body: bytes, passphrase: bytes
) -> Answered:
    """Keep a request for visit made of this node's party, as host, for an officer to answer
    (Art 8: requests go from the visiting party's competent authority to the host's)."""
    message = wire.parse(wire.VisitRequestMessage, body)
    own, ring = _own_and_ring(node, passphrase)
    request = verify_from(
        ring, sender, message.request, objects.ObjectKind.VISIT_REQUEST, objects.VisitRequest
    )
    if request.requester != sender:
        raise Denied(f"{sender} sent a request for visit made by {request.requester}")
    if request.host != own:
        raise Denied(
            f"the request for visit asks {request.host} to host it, not {own}: only the host "
            "it names answers it (Art 8)"
        )
    if key != request.request_id:
        raise InvalidRequest("a request for visit's Idempotency-Key is its request id")

    def handle(tx: Tx) -> Answered:
        agreement = tx.book.agreement(request.agreement)
        if set(agreement.parties) != {own, sender}:
            raise InvalidRequest(f"{agreement.id} does not bind {sender} and {own}")
        if tx.book.scheme(own).exact(request.max_marking) is None:
            raise InvalidRequest(f"{request.max_marking!r} is not a marking of {own}'s scheme")
        insert_visit(tx, request, message.request, "pending", None)
        journal.state_row(tx, "visit_requested_of_us", "visits", request.request_id)
        return Answered(
            201,
            {
                "ack": acknowledgement(
                    tx, ring, request.request_id, objects.ObjectKind.VISIT_REQUEST
                )
            },
        )

    return answer_once(node, sender, key, body, body.decode(), handle)


def accept_visit_answer(
    node: Node, sender: str, key: str | None, body: bytes, passphrase: bytes
) -> Answered:
    """Keep the host's signed approval or refusal of a request this node made; an answer
    from any party but the visit's host is refused (Art 8: only the host grants)."""
    message = wire.parse(wire.VisitAnswerMessage, body)
    own, ring = _own_and_ring(node, passphrase)
    answer = verify_from(
        ring, sender, message.answer, objects.ObjectKind.VISIT_ANSWER, objects.VisitAnswer
    )

    def handle(tx: Tx) -> Answered:
        visits = tables.visits
        row = tx.connection.execute(
            select(visits).where(visits.c.id == answer.request_id)
        ).one_or_none()
        if row is None or row.requester != own:
            raise InvalidRequest(f"{own} made no request for visit {answer.request_id}")
        if sender != row.host or answer.host != row.host:
            raise Denied(
                f"{sender} answered the request for visit {row.id}, which asks {row.host}: "
                "only the host approves or refuses a visit (Art 8)"
            )
        if answer.requester != own:
            raise InvalidRequest(f"the answer is for {answer.requester}'s request, not {own}'s")
        if row.state != "requested":
            raise Conflict(f"the request for visit {row.id} was already {row.state}")
        state = "approved" if answer.approved else "refused"
        tx.connection.execute(
            update(visits)
            .where(visits.c.id == row.id)
            .values(
                state=state,
                answer=message.answer,
                answered_at=answer.at,
                answer_note=answer.note or None,
            )
        )
        journal.state_row(tx, f"visit_{state}", "visits", row.id)
        return Answered(
            201, {"ack": acknowledgement(tx, ring, key or row.id, objects.ObjectKind.VISIT_ANSWER)}
        )

    return answer_once(node, sender, key, body, body.decode(), handle)


def _own_and_ring(node: Node, passphrase: bytes) -> tuple[str, KeyRing]:
    """This node's party and its key ring, read before a request is handled."""
    with node.read() as tx:
        return tx.own_party(), keyring(tx, passphrase)


def acknowledgement(
    tx: Tx, ring: KeyRing, of: str, kind: objects.ObjectKind, forwarded_to: tuple[str, ...] = ()
) -> str:
    """This node's signed acknowledgement of what it just recorded (and, for a notice about an
    item, to whom it passed it on)."""
    own = tx.own_party()
    ack = objects.Ack(
        iss=own,
        iat=int(tx.now.timestamp()),
        of=of,
        kind=kind,
        by=own,
        at=tx.now,
        ledger_index=log.size(tx.connection) - 1,
        forwarded_to=forwarded_to,
    )
    return sign_object(ring, objects.ObjectKind.ACK, ack)


def _held_copy(tx: Tx, originator: str, originator_reference: str) -> Any:
    items = tables.items
    row = tx.connection.execute(
        select(items.c.reference)
        .where(
            items.c.originator == originator, items.c.originator_reference == originator_reference
        )
        .order_by(items.c.id)
    ).first()
    if row is None:
        raise InvalidRequest(f"this node holds no copy of {originator}'s {originator_reference}")
    return register.item(tx.connection, row.reference)
