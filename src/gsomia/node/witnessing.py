"""Nodes witness each other's ledgers (C2SP tlog-witness, tlog-cosignature).

As a witness, a node cosigns a partner's checkpoint only if it is consistent with the last one
it cosigned for that log: a partner whose history was rolled back or forked is refused (409 or
422), and the refusal is kept. As a log, after each checkpoint a node submits it to every
peer's witness with the consistency proof from the size that witness last cosigned, keeps the
cosignatures, and keeps each refusal: a partner can then trust a checkpoint of ours that
carries its own cosignature, and anyone can see when a witness said no.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, insert, select

from gsomia.crypto.keys import KeyRing, Purpose
from gsomia.errors import KeyStoreError
from gsomia.ledger.cosignature import (
    WitnessKey,
    add_cosignatures,
    parse_cosignature,
    verify_cosignature,
)
from gsomia.ledger.errors import NoteError
from gsomia.ledger.witness import AddCheckpoint, Answer, add_checkpoint, parse_request
from gsomia.node.commands.keys import keyring
from gsomia.node.context import Node, Tx, origin, verifier_keys
from gsomia.node.schemas import WitnessView
from gsomia.store import log, tables, witnessing

logger = logging.getLogger("gsomia.witnessing")
PATH = "/witness/add-checkpoint"


def witness_name(party: str) -> str:
    """The name a party's witness key cosigns under."""
    return f"{origin(party)}/witness"


def _witness_keys(ring: KeyRing, party: str) -> list[WitnessKey]:
    keys = []
    for record in ring.records():
        if record.party == party and record.purpose is Purpose.WITNESS:
            public = record.public_key()
            assert isinstance(public, Ed25519PublicKey)
            keys.append(WitnessKey(witness_name(party), public))
    return keys


def _peers(tx: Tx) -> dict[str, str]:
    return dict(tx.connection.execute(select(tables.peers.c.party, tables.peers.c.url)).all())


def _record(tx: Tx, peer: str, role: str, size: int, status: int, detail: str) -> None:
    tx.connection.execute(
        insert(tables.witness_log).values(
            peer=peer, role=role, size=size, status=status, detail=detail[:2000], at=tx.now
        )
    )


# -- as a witness ----------------------------------------------------------------------------------


def answer(node: Node, body: bytes, passphrase: bytes) -> Answer:
    """This node's answer, as a witness, to a partner's add-checkpoint request."""
    request = parse_request(body)
    with node.read() as tx:
        own = tx.own_party()
        ring = keyring(tx, passphrase)
        peers = _peers(tx)
    logs = {origin(party): verifier_keys(ring, party) for party in peers}
    record = ring.active(own, Purpose.WITNESS)
    if record is None:
        raise KeyStoreError(f"{own} has no witness key", subject="keys")
    signer = ring.private(record.kid)
    assert isinstance(signer, Ed25519PrivateKey)
    peer = next((p for p in peers if origin(p) == request.origin), request.origin)
    with node.write() as tx:
        latest = witnessing.witnessed(tx.connection, request.origin)
        answered = add_checkpoint(
            request, logs, latest, signer, witness_name(own), int(tx.now.timestamp())
        )
        if answered.cosigned is not None:
            # Writers take turns: the state read above is still the stored one.
            stored = witnessing.record_cosigned(tx.connection, latest, answered.cosigned, tx.now)
            assert stored, "the witnessed state moved within one write transaction"
        detail = "cosigned" if answered.status == 200 else answered.body.strip()
        _record(tx, peer, "witnessed", request.checkpoint.size, answered.status, detail)
    if answered.status != 200:
        logger.warning("refused to cosign %s at size %d: %s", peer, request.checkpoint.size, detail)
    return answered


# -- as a log --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Offer:
    party: str
    url: str
    key: WitnessKey
    old: int


def submit(node: Node, passphrase: bytes, http: httpx.Client) -> None:
    """Offer this node's latest checkpoint to every peer's witness that has not cosigned it."""
    with node.read() as tx:
        latest = log.latest_checkpoint(tx.connection)
        if latest is None:
            return
        ring = keyring(tx, passphrase)
        offers = []
        for party, url in _peers(tx).items():
            keys = _witness_keys(ring, party)
            if not keys:
                continue
            old = _cosigned_size(tx, witness_name(party))
            if old < latest.size:
                offers.append(_Offer(party, url, keys[-1], old))
    for offer in offers:
        _offer(node, offer, latest.size, latest.note, http)


def _cosigned_size(tx: Tx, witness: str) -> int:
    cosignatures = tables.cosignatures
    found = tx.connection.execute(
        select(func.max(cosignatures.c.size)).where(cosignatures.c.witness == witness)
    ).scalar_one()
    return int(found or 0)


def _offer(node: Node, offer: _Offer, size: int, note: str, http: httpx.Client) -> None:
    old = offer.old
    for _ in range(2):  # once more from the size a 409 names
        with node.read() as tx:
            proof = log.consistency_proof(tx.connection, old, size).path if 0 < old < size else ()
        body = AddCheckpoint(old, tuple(proof), note).body()
        try:
            response = http.post(
                offer.url + PATH, content=body, headers={"content-type": "text/plain"}
            )
        except httpx.HTTPError as exc:
            logger.info("witness %s unreachable: %s", offer.party, exc)
            return
        if response.status_code == 409 and _retry_size(response.text, size) is not None:
            old = _retry_size(response.text, size) or 0
            continue
        _settle(node, offer, size, note, response)
        return


def _retry_size(text: str, size: int) -> int | None:
    """The size a 409 names, when a proof from it can be made (it does not exceed ours)."""
    try:
        named = int(text.strip())
    except ValueError:
        return None
    return named if 0 <= named <= size else None


def _settle(node: Node, offer: _Offer, size: int, note: str, response: httpx.Response) -> None:
    status, text = response.status_code, response.text.strip()
    with node.write() as tx:
        if status != 200:
            _record(tx, offer.party, "submitted", size, status, text or response.reason_phrase)
            logger.warning(
                "%s's witness refused our checkpoint of size %d: %s", offer.party, size, text
            )
            return
        try:
            lines = [line for line in text.splitlines() if line.startswith("— ")]
            verify_cosignature(add_cosignatures(note, "\n".join(lines) + "\n"), offer.key)
        except NoteError as exc:
            _record(tx, offer.party, "submitted", size, 200, f"cosignature refused: {exc.message}")
            return
        for line in lines:
            cosignature = parse_cosignature(line)
            if cosignature.name == offer.key.name:
                witnessing.add_cosignature(tx.connection, size, cosignature, tx.now)
        _record(tx, offer.party, "submitted", size, 200, "cosigned")


# -- what the officers see -----------------------------------------------------------------------


def cosigned_note(tx: Tx, size: int, note: str) -> str:
    """A checkpoint's note with the cosignatures received for it."""
    lines = "".join(c.line for c in witnessing.cosignatures(tx.connection, size))
    return add_cosignatures(note, lines) if lines else note


def views(node: Node) -> list[WitnessView]:
    """For each peer: what its witness cosigned of our log and last said, and what ours cosigned
    of its log and last said."""
    with node.read() as tx:
        found = []
        for party in sorted(_peers(tx)):
            witnessed = witnessing.witnessed(tx.connection, origin(party))
            found.append(
                WitnessView(
                    party=party,
                    witness=witness_name(party),
                    cosigned_size=_cosigned_size(tx, witness_name(party)) or None,
                    last_submission=_last(tx, party, "submitted"),
                    witnessed_size=witnessed.size if witnessed else None,
                    last_witnessed=_last(tx, party, "witnessed"),
                )
            )
        return found


def _last(tx: Tx, party: str, role: str) -> dict[str, object] | None:
    table = tables.witness_log
    row = tx.connection.execute(
        select(table)
        .where(table.c.peer == party, table.c.role == role)
        .order_by(table.c.id.desc())
        .limit(1)
    ).one_or_none()
    if row is None:
        return None
    return {
        "size": int(row.size),
        "status": int(row.status),
        "detail": row.detail,
        "at": row.at.astimezone(tx.time_zone).isoformat(),
    }
