"""The stored log: appends inside the caller's transaction, roots and proofs from O(log n)
stored hashes equal to the pure ones, signed checkpoints, concurrent appenders."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import event, func, select

from gsomia.ledger.checkpoint import VerifierKey, open_checkpoint
from gsomia.ledger.entries import canonical_json
from gsomia.ledger.errors import (
    EntryNotFound,
    IndexOutOfRange,
    InvalidEntry,
    LedgerConflict,
    SizeOutOfRange,
)
from gsomia.ledger.merkle import (
    EMPTY_ROOT,
    leaf_hash,
    levels_range_hash,
    prove_consistency,
    prove_inclusion,
    subtree_levels,
    verify_inclusion,
)
from gsomia.store import ledger_rows as store
from gsomia.store import log, tables

AT = datetime(2019, 11, 22, 18, 0, tzinfo=timezone(timedelta(hours=9)))
ORIGIN = "gsomia/KOR"
SIZES = (1, 2, 3, 7, 8, 9, 100, 255, 256, 257, 300)


def decision(number: int) -> tuple[str, dict[str, object]]:
    return "decision", {"id": number, "allowed": number % 3 == 0, "to": "JPN"}


def fill(engine, count: int, batch: int = 64) -> None:
    for start in range(0, count, batch):
        with engine.begin() as connection:
            entries = [decision(n) for n in range(start, min(count, start + batch))]
            log.append(connection, entries, AT)


def test_positions_are_contiguous_across_transactions(engine):
    with engine.begin() as connection:
        assert log.append(connection, [decision(0), decision(1)], AT) == [0, 1]
        assert log.append(connection, [], AT) == []
    with engine.begin() as connection:
        assert log.append(connection, [decision(2)], AT) == [2]
        assert log.size(connection) == 3


def test_an_entry_comes_back_with_its_kind_time_and_body(engine):
    body = {"agreement": "KOR-JPN-GSOMIA-2016", "marking": "군사Ⅱ급비밀", "reasons": [1, 2.5]}
    with engine.begin() as connection:
        log.append(connection, [("release", body)], AT)
        entry = log.entry(connection, 0)
    assert (entry.position, entry.kind, entry.body, entry.recorded_at) == (0, "release", body, AT)
    assert entry.leaf_hash == leaf_hash(entry.leaf_data)


def test_the_leaf_is_the_canonical_json_of_kind_time_and_body(engine):
    body = {"b": "군사Ⅱ급비밀", "a": [1, {"z": None, "y": True}]}
    with engine.begin() as connection:
        log.append(connection, [("release", body)], AT)
        stored = connection.execute(select(tables.ledger_entries.c.body)).scalar_one()
        entry = log.entry(connection, 0)
    assert stored == '{"a":[1,{"y":true,"z":null}],"b":"군사Ⅱ급비밀"}'
    envelope = {"body": body, "kind": "release", "recorded_at": "2019-11-22T09:00:00.000000Z"}
    assert entry.leaf_data == canonical_json(envelope).encode()


def test_each_completed_subtree_is_stored_once(engine):
    """A log of n entries holds n - popcount(n) subtrees of two leaves or more."""
    fill(engine, 300, batch=37)
    with engine.begin() as connection:
        stored = connection.execute(select(func.count()).select_from(tables.ledger_nodes))
        assert stored.scalar_one() == 300 - bin(300).count("1")


def test_roots_and_proofs_equal_the_pure_trees(engine):
    fill(engine, 300, batch=41)
    with engine.begin() as connection:
        leaves = [log.entry(connection, n).leaf_hash for n in range(300)]
        pure = levels_range_hash(subtree_levels(leaves))
        for size in SIZES:
            assert log.root(connection, size) == pure(0, size)
            for position in range(size):
                expected = prove_inclusion(position, size, pure)
                assert log.inclusion_proof(connection, position, size) == expected
            for old in range(1, size):
                assert log.consistency_proof(connection, old, size) == prove_consistency(
                    old, size, pure
                )
        assert log.root(connection) == pure(0, 300)
        assert log.root(connection, 0) == EMPTY_ROOT


def test_a_proof_is_one_query_of_logarithmically_many_rows(engine):
    fill(engine, 1000, batch=500)
    statements: list[str] = []
    with engine.begin() as connection:
        event.listen(connection, "before_cursor_execute", lambda *args: statements.append(args[2]))
        proof = log.inclusion_proof(connection, 613, 1000)
        assert len(statements) == 1
        consistency = log.consistency_proof(connection, 613, 1000)
        assert len(statements) == 2
    assert len(proof.path) == 10
    assert len(consistency.path) <= 2 * 10


def test_a_size_beyond_the_log_or_an_index_outside_it_is_refused(engine):
    fill(engine, 10)
    with engine.begin() as connection:
        with pytest.raises(SizeOutOfRange, match="holds 10 entries; there is no tree of 11"):
            log.inclusion_proof(connection, 0, 11)
        with pytest.raises(SizeOutOfRange):
            log.consistency_proof(connection, 3, 11)
        with pytest.raises(SizeOutOfRange):
            log.root(connection, 11)
        with pytest.raises(IndexOutOfRange):
            log.inclusion_proof(connection, 10)
        with pytest.raises(SizeOutOfRange):
            log.consistency_proof(connection, 10)
        with pytest.raises(EntryNotFound):
            log.entry(connection, 10)


@pytest.mark.parametrize(
    ("entry", "at", "message"),
    [
        (("", {}), AT, "kind"),
        (("k" * 33, {}), AT, "kind"),
        (("decision", ["not", "an", "object"]), AT, "JSON object"),
        (("decision", {"x": float("nan")}), AT, "cannot be written as JSON"),
        (("decision", {"x": object()}), AT, "cannot be written as JSON"),
        (("decision", {}), datetime(2019, 11, 22), "no UTC offset"),
    ],
)
def test_entries_that_cannot_be_logged_are_refused_before_anything_is_written(
    engine, entry, at, message
):
    with engine.begin() as connection:
        with pytest.raises(InvalidEntry, match=message):
            log.append(connection, [decision(0), entry], at)
        assert log.size(connection) == 0


def test_entries_roll_back_with_the_callers_transaction(engine):
    fill(engine, 5)

    def decide_and_fail() -> None:
        with engine.begin() as connection:
            log.append(connection, [decision(5)], AT)
            raise RuntimeError("the decision failed to commit")

    with pytest.raises(RuntimeError):
        decide_and_fail()
    with engine.begin() as connection:
        assert log.size(connection) == 5
        assert log.verify(connection).ok


def test_a_checkpoint_is_signed_stored_and_made_once_per_size(engine):
    signer = Ed25519PrivateKey.generate()
    verifier = VerifierKey(ORIGIN, signer.public_key())
    fill(engine, 21)
    with engine.begin() as connection:
        assert log.latest_checkpoint(connection) is None
        first = log.checkpoint(connection, signer, ORIGIN, ORIGIN, AT)
        again = log.checkpoint(connection, Ed25519PrivateKey.generate(), ORIGIN, ORIGIN, AT)
        assert again == first
        assert (first.size, first.root) == (21, log.root(connection))
        head = open_checkpoint(first.note, [verifier], ORIGIN)
        assert (head.size, head.root) == (21, first.root)
        proof = log.inclusion_proof(connection, 7, head.size)
        verify_inclusion(log.entry(connection, 7).leaf_hash, proof, head.root)
    fill(engine, 3)
    with engine.begin() as connection:
        latest = log.checkpoint(connection, signer, ORIGIN, ORIGIN, AT + timedelta(days=1))
        assert log.latest_checkpoint(connection) == latest
        assert latest.size == 24


def test_an_empty_log_can_be_checkpointed(engine):
    signer = Ed25519PrivateKey.generate()
    with engine.begin() as connection:
        record = log.checkpoint(connection, signer, ORIGIN, ORIGIN, AT)
    verifier = VerifierKey(ORIGIN, signer.public_key())
    assert open_checkpoint(record.note, [verifier]).root == EMPTY_ROOT
    with engine.begin() as connection:
        assert log.verify(connection, [verifier]).ok


def test_an_append_that_lost_the_race_starts_again_at_the_new_end(engine, monkeypatch):
    """Two appenders that read the same end: the primary key refuses the second, which retries."""
    fill(engine, 6)
    real = store.tail_size
    stale = iter([3])
    monkeypatch.setattr(
        store, "tail_size", lambda connection: next(stale, None) or real(connection)
    )
    with engine.begin() as connection:
        assert log.append(connection, [decision(6), decision(7)], AT) == [6, 7]
    monkeypatch.undo()
    with engine.begin() as connection:
        assert log.verify(connection).ok


def test_positions_taken_at_every_attempt_raise_a_conflict(engine, monkeypatch):
    fill(engine, 6)
    monkeypatch.setattr(store, "tail_size", lambda connection: 2)
    with engine.begin() as connection, pytest.raises(LedgerConflict, match="taken 5 times"):
        log.append(connection, [decision(6)], AT)
    monkeypatch.undo()
    with engine.begin() as connection:
        assert log.size(connection) == 6


def test_the_stored_body_is_what_was_appended(engine):
    body = {"nested": {"list": [3, 2, 1]}, "text": "極秘"}
    with engine.begin() as connection:
        log.append(connection, [("receipt", body)], datetime(2020, 1, 1, tzinfo=UTC))
        record = store.entry(connection, 0)
    assert record is not None
    assert json.loads(record.body) == body


def test_concurrent_appenders_get_successive_positions(engine):
    """The second appender waits for the first (SQLite's write lock, PostgreSQL's unique
    index) and then appends after it, without a duplicate position or an error."""
    fill(engine, 3)
    positions: list[int] = []

    def append_meanwhile() -> None:
        with engine.begin() as connection:
            positions.extend(log.append(connection, [decision(4), decision(5)], AT))

    with engine.connect() as first:
        first.begin()
        assert log.append(first, [decision(3)], AT) == [3]
        second = threading.Thread(target=append_meanwhile)
        second.start()
        second.join(0.5)
        assert second.is_alive()
        first.commit()
    second.join(10)
    assert positions == [4, 5]
    with engine.begin() as connection:
        assert log.verify(connection).ok
