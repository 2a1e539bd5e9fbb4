"""The node's ledger, as its officers and its partners use it.

Checkpoints are signed with the node's Ed25519 signing key under the name `gsomia/<PARTY>`,
which is also the log's origin. A partner holding the node's verifier key (`gsomia ledger
vkey`) checks a proof bundle (`gsomia ledger prove`) offline with `gsomia ledger check`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gsomia.crypto.keys import KeyRing, Purpose
from gsomia.errors import InvalidRequest, KeyStoreError
from gsomia.ledger import log
from gsomia.ledger.audit import Report
from gsomia.ledger.checkpoint import VerifierKey, open_checkpoint
from gsomia.ledger.entries import canonical_json, instant_text, leaf_data
from gsomia.ledger.merkle import (
    ConsistencyProof,
    InclusionProof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from gsomia.node.registry import Registry
from gsomia.store.ledger import CheckpointRecord

PROOF_FORMAT = "gsomia-inclusion-proof/1"


def origin(party: str) -> str:
    return f"gsomia/{party}"


def _party(registry: Registry) -> str:
    party = registry.party
    if party is None:
        raise InvalidRequest("this registry has no party; run gsomia init --party P")
    return party


def verifier_keys(registry: Registry, ring: KeyRing) -> list[VerifierKey]:
    """The node's signing keys, active and retired, as note verifier keys."""
    party = _party(registry)
    keys = []
    for record in ring.records():
        if record.party == party and record.purpose is Purpose.SIGN:
            public = record.public_key()
            assert isinstance(public, Ed25519PublicKey)
            keys.append(VerifierKey(origin(party), public))
    return keys


def vkey(registry: Registry, ring: KeyRing) -> str:
    """The verifier key partners need to check this node's checkpoints."""
    party = _party(registry)
    record = ring.active(party, Purpose.SIGN)
    if record is None:
        raise KeyStoreError(f"{party} has no signing key; run gsomia keys init")
    public = record.public_key()
    assert isinstance(public, Ed25519PublicKey)
    return VerifierKey(origin(party), public).vkey()


@dataclass(frozen=True, slots=True)
class Head:
    size: int
    root: bytes
    note: str
    signed_now: bool


def head(registry: Registry, ring: KeyRing, *, sign: bool) -> Head:
    """The latest signed checkpoint; with `sign`, first a new one of the log as it is."""
    party = _party(registry)
    with registry.transaction() as connection:
        latest = log.latest_checkpoint(connection)
        if sign and (latest is None or latest.size < log.size(connection)):
            _, signer = ring.signing()
            latest = log.checkpoint(
                connection, signer, origin(party), origin(party), registry.now()
            )
            return Head(latest.size, latest.root, latest.note, True)
    if latest is None:
        raise KeyStoreError("the ledger has no checkpoint yet; sign one (set GSOMIA_PASSPHRASE)")
    return Head(latest.size, latest.root, latest.note, False)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _checkpoint_covering(registry: Registry, position: int) -> CheckpointRecord:
    with registry.transaction() as connection:
        latest = log.latest_checkpoint(connection)
    if latest is None or latest.size <= position:
        size = latest.size if latest else 0
        raise InvalidRequest(
            f"entry {position} is not covered by a signed checkpoint (the latest has {size} "
            "entries); run gsomia ledger head to sign one"
        )
    return latest


def prove(registry: Registry, position: int) -> dict[str, Any]:
    """A self-contained inclusion proof of one entry against the latest signed checkpoint."""
    checkpoint = _checkpoint_covering(registry, position)
    with registry.transaction() as connection:
        entry = log.entry(connection, position)
        proof = log.inclusion_proof(connection, position, checkpoint.size)
    verify_inclusion(entry.leaf_hash, proof, checkpoint.root)
    return {
        "format": PROOF_FORMAT,
        "entry": {
            "position": entry.position,
            "kind": entry.kind,
            "recorded_at": instant_text(entry.recorded_at),
            "body": dict(entry.body),
        },
        "leaf_hash": _b64(entry.leaf_hash),
        "tree_size": checkpoint.size,
        "root": _b64(checkpoint.root),
        "path": [_b64(node) for node in proof.path],
        "checkpoint": checkpoint.note,
    }


def check(bundle: dict[str, Any], keys: list[VerifierKey]) -> dict[str, Any]:
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
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidRequest(
            f"not a gsomia inclusion proof ({exc}); gsomia ledger prove writes one"
        ) from None
    checkpoint = open_checkpoint(note, keys)
    if checkpoint.size != size:
        raise InvalidRequest(
            f"the proof is for {size} entries but its checkpoint has {checkpoint.size}"
        )
    verify_inclusion(leaf_hash(data), InclusionProof(position, size, path), checkpoint.root)
    return {
        "entry": position,
        "kind": entry["kind"],
        "tree_size": size,
        "origin": checkpoint.origin,
        "verified": True,
    }


def consistency(registry: Registry, old: int, new: int | None = None) -> dict[str, Any]:
    """The proof that the log of `old` entries is a prefix of the log of `new` (default: all)."""
    with registry.transaction() as connection:
        new_size = new if new is not None else log.size(connection)
        proof: ConsistencyProof = log.consistency_proof(connection, old, new_size)
        old_root, new_root = log.root(connection, old), log.root(connection, new_size)
    verify_consistency(old_root, new_root, proof)
    return {
        "old_size": old,
        "new_size": new_size,
        "old_root": _b64(old_root),
        "new_root": _b64(new_root),
        "path": [_b64(node) for node in proof.path],
    }


def verify(registry: Registry, ring: KeyRing) -> Report:
    """Recompute the whole ledger; checkpoint signatures are checked with the node's keys."""
    keys = verifier_keys(registry, ring) if registry.party else []
    with registry.transaction() as connection:
        return log.verify(connection, keys)


def entries(registry: Registry, start: int, limit: int) -> list[dict[str, Any]]:
    with registry.transaction() as connection:
        end = min(log.size(connection), start + limit)
        found = [log.entry(connection, position) for position in range(start, end)]
    return [
        {
            "position": e.position,
            "kind": e.kind,
            "recorded_at": instant_text(e.recorded_at),
            "leaf_hash": _b64(e.leaf_hash),
            "body": dict(e.body),
        }
        for e in found
    ]
