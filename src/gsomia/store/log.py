"""The node's tamper-evident log: append entries, prove them, checkpoint and verify the log.

Every function takes the caller's SQLAlchemy connection and works inside its transaction, so
an entry commits or rolls back with the decision it records. Appends store each leaf hash and,
as subtrees complete, the hash of every complete subtree (`gsomia.store.ledger_rows`); roots and
proofs then combine O(log n) stored hashes read in one query, whatever the log's size.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from gsomia.ledger.audit import Report, audit
from gsomia.ledger.checkpoint import Checkpoint, VerifierKey, sign_checkpoint
from gsomia.ledger.entries import (
    CheckpointRecord,
    Entry,
    EntryRecord,
    canonical_json,
    instant_text,
    leaf_data,
    require_kind,
)
from gsomia.ledger.errors import EntryNotFound, LedgerConflict, LedgerDamaged, SizeOutOfRange
from gsomia.ledger.merkle import (
    ConsistencyProof,
    InclusionProof,
    RangeHash,
    complete_subtrees,
    consistency_ranges,
    fold,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    prove_consistency,
    prove_inclusion,
)
from gsomia.store import ledger_rows as store
from gsomia.store.ledger_rows import Subtree

APPEND_ATTEMPTS = 5
"""How often an append starts again at the new end of the log after a concurrent append."""


def append(
    connection: Connection,
    entries: Sequence[tuple[str, Mapping[str, Any]]],
    recorded_at: datetime,
    subjects: Sequence[str | None] = (),
) -> list[int]:
    """Log `(kind, body)` entries at the end of the log, in order; their positions.
    `subjects` names, entry by entry, the registry row each states (`items/5`).

    Positions are contiguous. When another transaction took them first (the primary key
    refuses the duplicate), the append starts again at the new end, up to APPEND_ATTEMPTS
    times, inside a savepoint of the caller's transaction.
    """
    if not entries:
        return []
    instant = instant_text(recorded_at)
    named = list(subjects) + [None] * (len(entries) - len(subjects))
    prepared = [
        _prepare(kind, body, instant, subject)
        for (kind, body), subject in zip(entries, named, strict=True)
    ]
    store.begin_writing(connection)
    for _ in range(APPEND_ATTEMPTS):
        try:
            with connection.begin_nested():
                return _append_at_end(connection, prepared, recorded_at)
        except IntegrityError:
            continue
    raise LedgerConflict(
        f"the positions at the end of the log were taken {APPEND_ATTEMPTS} times by other "
        "appends (or stored subtree hashes lie beyond the log: run verify)"
    )


def size(connection: Connection) -> int:
    """The number of entries logged."""
    return store.tail_size(connection)


def root(connection: Connection, size: int | None = None) -> bytes:
    """MTH of the first `size` entries (all by default), from O(log n) stored hashes."""
    size = _default_size(connection, size)
    return _range_hashes(connection, size, [(0, size)])(0, size)


def inclusion_proof(
    connection: Connection, position: int, size: int | None = None
) -> InclusionProof:
    """The RFC 9162 §2.1.3 proof that the entry at `position` is in the tree of `size` entries
    (by default the whole log)."""
    size = _default_size(connection, size)
    ranges = inclusion_ranges(position, size)
    return prove_inclusion(position, size, _range_hashes(connection, size, ranges))


def consistency_proof(
    connection: Connection, old_size: int, new_size: int | None = None
) -> ConsistencyProof:
    """The RFC 9162 §2.1.4 proof that the tree of `old_size` entries is a prefix of the tree of
    `new_size` (by default the whole log)."""
    new_size = _default_size(connection, new_size)
    ranges = consistency_ranges(old_size, new_size)
    return prove_consistency(old_size, new_size, _range_hashes(connection, new_size, ranges))


def entry(connection: Connection, position: int) -> Entry:
    record = store.entry(connection, position)
    if record is None:
        raise EntryNotFound(f"the ledger holds no entry at position {position}")
    return Entry(
        record.position,
        record.kind,
        json.loads(record.body),
        record.recorded_at,
        record.leaf_hash,
    )


def checkpoint(
    connection: Connection,
    signer: Ed25519PrivateKey,
    key_name: str,
    origin: str,
    created_at: datetime,
) -> CheckpointRecord:
    """Sign and store a checkpoint of the log as it is; the stored one if its size has one."""
    current = size(connection)
    existing = store.checkpoint(connection, current)
    if existing is not None:
        return existing
    head = Checkpoint(origin, current, root(connection, current))
    record = CheckpointRecord(
        current, head.root, sign_checkpoint(head, signer, key_name), created_at
    )
    if store.add_checkpoint(connection, record):
        return record
    # Another transaction checkpointed the same size first: its note stands.
    stored = store.checkpoint(connection, current)
    assert stored is not None
    return stored


def latest_checkpoint(connection: Connection) -> CheckpointRecord | None:
    return store.latest_checkpoint(connection)


def verify(connection: Connection, keys: Sequence[VerifierKey] = ()) -> Report:
    """Recompute the whole log from its entries and report every disagreement with its stored
    hashes and signed checkpoints (whose signatures are checked too when `keys` are given)."""
    return audit(
        store.entries(connection),
        store.subtrees(connection),
        store.checkpoints(connection),
        lambda start, end: _recorded_range(connection, start, end),
        keys,
    )


def _prepare(
    kind: str, body: Mapping[str, Any], instant: str, subject: str | None
) -> tuple[str, str, bytes, str | None]:
    """(kind, canonical body, leaf hash, subject) of an entry, checked before anything is
    written."""
    body_json = canonical_json(body)
    return require_kind(kind), body_json, leaf_hash(leaf_data(kind, instant, body_json)), subject


def _append_at_end(
    connection: Connection,
    prepared: Sequence[tuple[str, str, bytes, str | None]],
    recorded_at: datetime,
) -> list[int]:
    start = store.tail_size(connection)
    frontier = _frontier(connection, start)
    subtrees: list[tuple[int, int, bytes]] = []
    for position, (_, _, leaf, _) in enumerate(prepared, start):
        # The frontier holds the complete subtrees of the log so far, largest first; a new leaf
        # merges with each one of its own size, completing a subtree at every step.
        level, hash_ = 0, leaf
        while frontier and frontier[-1][0] == level:
            hash_ = node_hash(frontier.pop()[1], hash_)
            level += 1
            subtrees.append((level, position >> level, hash_))
        frontier.append((level, hash_))
    records = [
        EntryRecord(position, kind, body, leaf, recorded_at, subject)
        for position, (kind, body, leaf, subject) in enumerate(prepared, start)
    ]
    store.add_entries(connection, records)
    store.add_subtrees(connection, subtrees)
    return [record.position for record in records]


def _frontier(connection: Connection, size: int) -> list[tuple[int, bytes]]:
    """(level, hash) of the complete subtrees that make up the first `size` entries."""
    needed = complete_subtrees(0, size)
    hashes = _stored(connection, size, needed)
    return [(level, hashes[level, index]) for level, index in needed]


def _range_hashes(
    connection: Connection, size: int, ranges: Sequence[tuple[int, int]]
) -> RangeHash:
    """A `RangeHash` answering for `ranges` of the tree of `size` entries from their stored
    subtrees, read in one query."""
    covering = {(start, end): complete_subtrees(start, end) for start, end in ranges}
    hashes = _stored(connection, size, {s for subtrees in covering.values() for s in subtrees})

    def range_hash(start: int, end: int) -> bytes:
        return fold([hashes[subtree] for subtree in covering[start, end]])

    return range_hash


def _stored(
    connection: Connection, size: int, subtrees: Collection[Subtree]
) -> dict[Subtree, bytes]:
    hashes = store.subtree_hashes(connection, subtrees)
    if len(hashes) == len(subtrees):
        return hashes
    # Checked only now, to spare a query on every proof: either the tree asked for is larger
    # than the log, or stored hashes are missing.
    current = store.tail_size(connection)
    if size > current:
        raise SizeOutOfRange(f"the log holds {current} entries; there is no tree of {size}")
    level, index = min(set(subtrees) - hashes.keys())
    raise LedgerDamaged(
        f"the hash of the {1 << level} entries from {index << level} is not stored; "
        "run verify to see what else is wrong"
    )


def _recorded_range(connection: Connection, start: int, end: int) -> bytes | None:
    needed = complete_subtrees(start, end)
    hashes = store.subtree_hashes(connection, needed)
    if len(hashes) != len(needed):
        return None
    return fold([hashes[subtree] for subtree in needed])


def _default_size(connection: Connection, size: int | None) -> int:
    if size is None:
        return store.tail_size(connection)
    if size < 0:
        raise SizeOutOfRange(f"there is no tree of {size} entries")
    return size
