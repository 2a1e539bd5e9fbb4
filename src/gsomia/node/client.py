"""The federation client: sends the outbox's messages to partners' nodes and settles them on
the partners' signed answers.

Each request is signed with this node's Ed25519 key (RFC 9421, the body covered by its
RFC 9530 digest) and carries its message id as `Idempotency-Key`. An answer is settled only
once its signature verifies against the partner's pinned keys: a receipt that allows makes
the message `delivered`, one that denies `refused` (final); network errors and 408, 409, 429
and 5xx answers are tried again later; any other answer fails the message, to be retried by a
person once the cause is mended.
"""

from __future__ import annotations

import base64
import logging
import secrets

import httpx
from sqlalchemy import update

from gsomia.crypto import httpsig, objects
from gsomia.crypto.keys import KeyRing
from gsomia.errors import GsomiaError, ObjectRejected
from gsomia.node import journal, notices, outbox, wire
from gsomia.node.commands import incidents
from gsomia.node.commands.keys import keyring, verify_from
from gsomia.node.commands.peers import peer_url
from gsomia.node.context import Node, Tx
from gsomia.node.outbox import Kind, Message, State
from gsomia.store import tables

log = logging.getLogger("gsomia.client")
RETRYABLE = {408, 409, 429}


class Client:
    """Sends messages for one node; holds its HTTP connections and its unlocked keys."""

    def __init__(self, node: Node, passphrase: bytes, timeout: float = 15.0) -> None:
        self.node = node
        self.passphrase = passphrase
        self.http = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def _ring(self, tx: Tx) -> KeyRing:
        return keyring(tx, self.passphrase)

    def send_due(self, limit: int = 16) -> int:
        """Send every message due now (up to `limit`); how many were tried."""
        due = outbox.lease_due(self.node, limit)
        for message in due:
            self.send(message)
        return len(due)

    def send(self, message: Message) -> State:
        """One attempt at one message."""
        with self.node.read() as tx:
            url = peer_url(tx, message.recipient)
            ring = self._ring(tx)
            body = self._body(tx, message)
        if url is None:
            return outbox.retry_later(
                self.node, message, f"no address is known for {message.recipient}'s node"
            )
        target = url + outbox.PATHS[message.kind]
        headers = {"content-type": "application/json", "idempotency-key": message.id}
        kid, key = ring.signing()
        headers |= httpsig.sign_request(
            "POST",
            target,
            headers,
            body,
            key=key,
            kid=kid,
            created=self.node.now(),
            nonce=secrets.token_hex(16),
        )
        try:
            response = self.http.post(target, content=body, headers=headers)
        except httpx.HTTPError as exc:
            log.info("message %s to %s: %s", message.id, message.recipient, exc)
            return outbox.retry_later(self.node, message, f"{type(exc).__name__}: {exc}")
        status = response.status_code
        if status in RETRYABLE or status >= 500:
            return outbox.retry_later(self.node, message, f"HTTP {status}: {_detail(response)}")
        if status not in (200, 201, 202):
            outbox.fail(self.node, message, f"HTTP {status}: {_detail(response)}")
            return State.FAILED
        return self._settle(message, response.content, ring)

    def _body(self, tx: Tx, message: Message) -> bytes:
        """The request body: the queued text, with a delivery's sealed copy read from the
        content store (kept once, there, not in the outbox)."""
        if message.kind is not Kind.DELIVERY:
            return message.body.encode()
        delivery = wire.parse(wire.Delivery, message.body)
        digest = delivery.envelope.content_sha256
        if digest is None:
            return message.body.encode()
        content = self.node.content.path_of(digest).read_bytes()
        full = delivery.model_copy(update={"content": base64.b64encode(content).decode()})
        return full.model_dump_json().encode()

    def _settle(self, message: Message, raw: bytes, ring: KeyRing) -> State:
        try:
            answer = wire.parse(wire.Answer, raw)
            state, token = self._verified(message, answer, ring)
        except GsomiaError as exc:
            log.warning("message %s: answer refused: %s", message.id, exc.message)
            outbox.fail(self.node, message, f"the answer does not verify: {exc.message}")
            return State.FAILED
        with self.node.write() as tx:
            outbox.settle(tx, message.id, state, token, True)
            if message.kind is Kind.NOTE:
                _record_ack(tx, message, token)
            elif message.kind is Kind.ITEM_NOTICE:
                notices.answered(tx, ring, message.id, message.recipient, token)
            elif message.kind is Kind.INCIDENT:
                incidents.record_ack(tx, message.id, message.recipient, token, ring)
        log.info("message %s to %s: %s", message.id, message.recipient, state.value)
        return state

    def _verified(self, message: Message, answer: wire.Answer, ring: KeyRing) -> tuple[State, str]:
        party = message.recipient
        if message.kind is Kind.DELIVERY:
            if answer.receipt is None:
                raise ObjectRejected("the answer carries no receipt")
            receipt = verify_from(
                ring, party, answer.receipt, objects.ObjectKind.RECEIPT, objects.Receipt
            )
            if receipt.delivery_id != message.id:
                raise ObjectRejected(
                    f"the receipt is for delivery {receipt.delivery_id}, not {message.id}"
                )
            return (State.DELIVERED if receipt.allowed else State.REFUSED), answer.receipt
        if answer.ack is None:
            raise ObjectRejected("the answer carries no acknowledgement")
        ack = verify_from(ring, party, answer.ack, objects.ObjectKind.ACK, objects.Ack)
        if ack.of != message.id and message.kind is not Kind.CONSENT_REQUEST:
            raise ObjectRejected(f"the acknowledgement is of {ack.of}, not {message.id}")
        return State.DELIVERED, answer.ack


def _record_ack(tx: Tx, message: Message, token: str) -> None:
    notes = tables.notes
    tx.connection.execute(
        update(notes).where(notes.c.id == message.id).values(ack=token, acked_at=tx.now)
    )
    journal.state_row(tx, "note_acknowledged", "notes", message.id)


def _detail(response: httpx.Response) -> str:
    try:
        problem = response.json()
        return str(problem.get("detail") or problem.get("title") or "")[:500]
    except ValueError:
        return response.text[:500]
