"""The node's ledger, as its officers and its partners use it.

Checkpoints are signed with the node's Ed25519 signing key under the name `gsomia/<PARTY>`,
which is also the log's origin. A partner holding the node's verifier key (`vkey`) checks a
proof bundle (`prove`) offline (`check`). `verify` recomputes the log and replays it against
the registry's tables: the ledger is the authority on every row a decision relies on.
"""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gsomia.crypto.keys import Purpose
from gsomia.errors import InvalidRequest, KeyStoreError, NotFound
from gsomia.ledger.checkpoint import VerifierKey, open_checkpoint
from gsomia.ledger.entries import canonical_json, instant_text, leaf_data
from gsomia.ledger.merkle import InclusionProof, leaf_hash, verify_consistency, verify_inclusion
from gsomia.node.commands.keys import keyring
from gsomia.node.context import Node, Tx, origin, verifier_keys
from gsomia.node.schemas import (
    CheckView,
    ConsistencyView,
    HeadView,
    LedgerEntryView,
    ProblemView,
    ProofEntryView,
    ProofView,
    VerifyView,
)
from gsomia.store import attestation, ledger_rows, log

PROOF_FORMAT = "gsomia-inclusion-proof/1"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def vkey(node: Node) -> str:
    """The verifier key partners need to check this node's checkpoints."""
    with node.read() as tx:
        party = tx.own_party()
        record = keyring(tx, None).active(party, Purpose.SIGN)
    if record is None:
        raise KeyStoreError(f"{party} has no signing key", subject="keys")
    public = record.public_key()
    assert isinstance(public, Ed25519PublicKey)
    return VerifierKey(origin(party), public).vkey()


def witness_vkey(node: Node) -> str:
    """The verifier key of this node's witness, which partners need for its cosignatures."""
    from gsomia.ledger.cosignature import WitnessKey
    from gsomia.node.witnessing import witness_name

    with node.read() as tx:
        party = tx.own_party()
        record = keyring(tx, None).active(party, Purpose.WITNESS)
    if record is None:
        raise KeyStoreError(f"{party} has no witness key", subject="keys")
    public = record.public_key()
    assert isinstance(public, Ed25519PublicKey)
    return WitnessKey(witness_name(party), public).vkey()


def cosigned_head(node: Node) -> HeadView:
    """The latest signed checkpoint with the cosignatures peers' witnesses gave it."""
    from gsomia.node.witnessing import cosigned_note

    with node.read() as tx:
        latest = log.latest_checkpoint(tx.connection)
        if latest is None:
            raise KeyStoreError(
                "the ledger has no checkpoint yet; signing one needs the node's passphrase",
                subject="passphrase",
            )
        note = cosigned_note(tx, latest.size, latest.note)
    return HeadView(size=latest.size, root=_b64(latest.root), signed_now=False, checkpoint=note)


def head(node: Node, passphrase: bytes | None) -> HeadView:
    """The latest signed checkpoint; with the passphrase, first a new one of the log as it
    is (when it grew since the last)."""
    with node.write() as tx:
        party = tx.own_party()
        latest = log.latest_checkpoint(tx.connection)
        if passphrase is not None and (latest is None or latest.size < log.size(tx.connection)):
            _, signer = keyring(tx, passphrase).signing()
            latest = log.checkpoint(tx.connection, signer, origin(party), origin(party), tx.now)
            return _head(latest, signed_now=True)
    if latest is None:
        raise KeyStoreError(
            "the ledger has no checkpoint yet; signing one needs the node's passphrase",
            subject="passphrase",
        )
    return _head(latest, signed_now=False)


def _head(record: Any, *, signed_now: bool) -> HeadView:
    return HeadView(
        size=record.size, root=_b64(record.root), signed_now=signed_now, checkpoint=record.note
    )


def prove(node: Node, position: int) -> ProofView:
    """A self-contained inclusion proof of one entry against the latest signed checkpoint."""
    if position < 0:
        raise InvalidRequest(f"there is no entry at position {position}")
    with node.read() as tx:
        checkpoint = log.latest_checkpoint(tx.connection)
        size = log.size(tx.connection)
        if position >= size:
            raise NotFound(f"the ledger holds {size} entries; none at {position}")
        if checkpoint is None or checkpoint.size <= position:
            covered = checkpoint.size if checkpoint else 0
            raise InvalidRequest(
                f"entry {position} is not covered by a signed checkpoint yet (the latest has "
                f"{covered} entries)",
                subject="checkpoint",
            )
        entry = log.entry(tx.connection, position)
        proof = log.inclusion_proof(tx.connection, position, checkpoint.size)
    verify_inclusion(entry.leaf_hash, proof, checkpoint.root)
    return ProofView(
        format=PROOF_FORMAT,
        entry=ProofEntryView(
            position=entry.position,
            kind=entry.kind,
            recorded_at=instant_text(entry.recorded_at),
            body=dict(entry.body),
        ),
        leaf_hash=_b64(entry.leaf_hash),
        tree_size=checkpoint.size,
        root=_b64(checkpoint.root),
        path=[_b64(node_hash) for node_hash in proof.path],
        checkpoint=checkpoint.note,
    )


def check(bundle: Any, keys: list[VerifierKey]) -> CheckView:
    """What a partner runs on a proof bundle: the checkpoint's signature, the entry's leaf
    hash recomputed from its content, and the audit path to the signed root."""
    try:
        entry = bundle["entry"]
        size, position = int(bundle["tree_size"]), int(entry["position"])
        path = tuple(base64.b64decode(node, validate=True) for node in bundle["path"])
        note = str(bundle["checkpoint"])
        data = leaf_data(
            str(entry["kind"]), str(entry["recorded_at"]), canonical_json(entry["body"])
        )
    except (KeyError, TypeError, ValueError, RecursionError) as exc:
        raise InvalidRequest(f"not a gsomia inclusion proof ({exc})") from None
    checkpoint = open_checkpoint(note, keys)
    if checkpoint.size != size:
        raise InvalidRequest(
            f"the proof is for {size} entries but its checkpoint has {checkpoint.size}"
        )
    verify_inclusion(leaf_hash(data), InclusionProof(position, size, path), checkpoint.root)
    return CheckView(
        entry=position,
        kind=str(entry["kind"]),
        tree_size=size,
        origin=checkpoint.origin,
        verified=True,
    )


def consistency(node: Node, old: int, new: int | None = None) -> ConsistencyView:
    """The proof that the log of `old` entries is a prefix of the log of `new` (default:
    all of it)."""
    with node.read() as tx:
        size = log.size(tx.connection)
        new_size = size if new is None else new
        if not 0 < old <= new_size <= size:
            raise InvalidRequest(
                f"no consistency proof from {old} to {new_size} entries: the sizes must satisfy "
                f"0 < old <= new <= {size}"
            )
        proof = log.consistency_proof(tx.connection, old, new_size)
        old_root, new_root = log.root(tx.connection, old), log.root(tx.connection, new_size)
    verify_consistency(old_root, new_root, proof)
    return ConsistencyView(
        old_size=old,
        new_size=new_size,
        old_root=_b64(old_root),
        new_root=_b64(new_root),
        path=[_b64(node_hash) for node_hash in proof.path],
    )


def verify(node: Node) -> VerifyView:
    """Recompute the whole log (checkpoint signatures checked with the node's keys) and replay
    it against the registry's tables."""
    with node.read() as tx:
        keys = verifier_keys(keyring(tx, None), tx.party) if tx.party else []
        report = log.verify(tx.connection, keys)
        replayed = attestation.replay(ledger_rows.entries(tx.connection))
        rows = attestation.compare(tx.connection, replayed)
        checked = _rows_checked(tx)
    problems = [
        ProblemView(kind=p.kind.value, start=p.start, end=p.end, message=p.message)
        for p in report.problems
    ]
    problems += [
        ProblemView(
            kind=r.kind,
            start=None,
            end=None,
            message=r.message,
            table=r.table,
            key=r.key,
            fields=list(r.fields),
        )
        for r in rows
    ]
    return VerifyView(
        ok=not problems,
        size=report.size,
        checkpoints=report.checkpoints,
        first_divergence=report.first_divergence,
        rows_checked=checked,
        problems=problems,
    )


def _rows_checked(tx: Tx) -> int:
    from sqlalchemy import func, select

    return sum(
        int(tx.connection.execute(select(func.count()).select_from(b.table)).scalar_one())
        for b in attestation.BOUND.values()
    )


def entries(node: Node, start: int, limit: int) -> list[LedgerEntryView]:
    """Entries from `start`, at most `limit`, oldest first."""
    if start < 0 or limit < 0:
        raise InvalidRequest("the start and the limit must not be negative")
    with node.read() as tx:
        end = min(log.size(tx.connection), start + limit)
        found = [log.entry(tx.connection, position) for position in range(start, end)]
    return [
        LedgerEntryView(
            position=e.position,
            kind=e.kind,
            recorded_at=instant_text(e.recorded_at),
            leaf_hash=_b64(e.leaf_hash),
            body=dict(e.body),
        )
        for e in found
    ]


PARTY_FIELDS = frozenset(
    {"to_party", "from_party", "received_from", "originator", "recipient", "holder", "to", "by"}
)
"""Where an entry's row names the parties it concerns."""
REQUEST_FIELDS = frozenset({"from", "to", "for", "sender", "receiver", "originator"})


def concerns(body: dict[str, Any], party: str) -> bool:
    """Whether a ledger entry concerns `party`, so that its node may have the entry's proof:
    a hand-over to or from it, an item it originated or sent, a decision on its request, a
    note it gave or received, a case of loss or compromise it reported or whose items it
    originated, and the notices of such a case. Nothing of persons, keys or settings."""
    row = body.get("row")
    if not isinstance(row, dict) or body.get("table") in ("persons", "party_keys", "settings"):
        return False
    if any(row.get(name) == party for name in PARTY_FIELDS):
        return True
    if _incident_concerns(body.get("table"), row, party):
        return True
    request = row.get("request")
    return isinstance(request, dict) and any(request.get(n) == party for n in REQUEST_FIELDS)


def _incident_concerns(table: Any, row: dict[str, Any], party: str) -> bool:
    """A notice of a case of loss or compromise concerns the party it went to or came from; a
    case, its reporter, and an originator when every item not the reporter's is that
    originator's (a case naming other originators' items is theirs too, and never shown to
    one of them whole; its notices name each originator's items only, Art 17)."""
    if table == "incident_notices":
        return row.get("party") == party
    if table != "incidents":
        return False
    reporter, items = row.get("reporter"), row.get("items")
    if reporter == party:
        return True
    if not isinstance(items, list):
        return False
    others = {i.get("originator") for i in items if isinstance(i, dict)} - {reporter}
    return others == {party}
