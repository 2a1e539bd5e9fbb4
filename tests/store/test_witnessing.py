"""Witnessing's rows: the cosigned state moves only by compare-and-set, also when two requests
race on two connections, and the cosignatures of the node's own checkpoints are kept."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from gsomia.ledger.checkpoint import Checkpoint, VerifierKey, sign_checkpoint
from gsomia.ledger.cosignature import (
    WitnessKey,
    add_cosignatures,
    cosign,
    parse_cosignature,
    verify_cosignature,
)
from gsomia.ledger.errors import EntryNotFound
from gsomia.ledger.merkle import (
    leaf_hash,
    levels_range_hash,
    prove_consistency,
    subtree_levels,
    tree_hash,
)
from gsomia.ledger.witness import AddCheckpoint, Answer, Witnessed, add_checkpoint
from gsomia.store import log, witnessing

AT = datetime(2019, 11, 22, 9, 0, tzinfo=UTC)
NOW = 1_574_413_200
ORIGIN = "gsomia/JPN"
WITNESS = "gsomia/KOR/witness"
LOG_KEY = Ed25519PrivateKey.generate()
WITNESS_KEY = Ed25519PrivateKey.generate()
LOGS = {ORIGIN: [VerifierKey(ORIGIN, LOG_KEY.public_key())]}
LEAVES = [leaf_hash(f"entry {n}".encode()) for n in range(40)]


def request(old: int, new: int) -> AddCheckpoint:
    proof: tuple[bytes, ...] = ()
    if 0 < old < new:
        proof = prove_consistency(old, new, levels_range_hash(subtree_levels(LEAVES[:new]))).path
    root = tree_hash(LEAVES[:new])
    return AddCheckpoint(
        old, proof, sign_checkpoint(Checkpoint(ORIGIN, new, root), LOG_KEY, ORIGIN)
    )


def decide(old: int, new: int, latest: Witnessed | None) -> Answer:
    return add_checkpoint(request(old, new), LOGS, latest, WITNESS_KEY, WITNESS, NOW)


def cosigned(old: int, new: int, latest: Witnessed | None) -> Witnessed:
    answer = decide(old, new, latest)
    assert answer.cosigned is not None, answer
    return answer.cosigned


def store(engine: Engine, previous: Witnessed | None, new: Witnessed) -> bool:
    with engine.begin() as connection:
        return witnessing.record_cosigned(connection, previous, new, AT)


def stored(engine: Engine) -> Witnessed | None:
    with engine.connect() as connection:
        return witnessing.witnessed(connection, ORIGIN)


def test_a_log_never_cosigned_has_no_state(engine):
    assert stored(engine) is None


def test_the_first_cosigned_checkpoint_is_stored_whole(engine):
    first = cosigned(0, 12, None)
    assert store(engine, None, first)
    assert stored(engine) == first


def test_the_state_moves_from_the_state_decided_on(engine):
    first = cosigned(0, 12, None)
    store(engine, None, first)
    second = cosigned(12, 20, first)
    assert store(engine, first, second)
    assert stored(engine) == second


def test_a_decision_on_a_stale_state_stores_nothing(engine):
    first = cosigned(0, 12, None)
    store(engine, None, first)
    second = cosigned(12, 20, first)
    store(engine, first, second)
    assert not store(engine, first, cosigned(12, 15, first))
    assert stored(engine) == second


def test_a_second_first_checkpoint_stores_nothing_and_the_transaction_goes_on(engine):
    first = cosigned(0, 12, None)
    store(engine, None, first)
    with engine.begin() as connection:
        assert not witnessing.record_cosigned(connection, None, cosigned(0, 30, None), AT)
        assert witnessing.witnessed(connection, ORIGIN) == first


@pytest.mark.parametrize("first_ever", [True, False])
def test_two_requests_from_one_old_size_cannot_both_store(engine, first_ever):
    """The second waits for the first (SQLite's write lock, PostgreSQL's row lock or unique
    index) and then finds the state it decided on gone."""
    previous = None if first_ever else cosigned(0, 12, None)
    if previous is not None:
        store(engine, None, previous)
    old = 0 if previous is None else previous.size
    outcome: list[bool] = []

    def store_meanwhile() -> None:
        outcome.append(store(engine, previous, cosigned(old, 15, previous)))

    winner = cosigned(old, 20, previous)
    with engine.connect() as first:
        first.begin()
        assert witnessing.record_cosigned(first, previous, winner, AT)
        second = threading.Thread(target=store_meanwhile)
        second.start()
        second.join(0.5)
        assert second.is_alive()
        first.commit()
    second.join(10)
    assert outcome == [False]
    assert stored(engine) == winner


def test_of_requests_racing_from_one_old_size_exactly_one_stores(engine):
    previous = cosigned(0, 12, None)
    store(engine, None, previous)
    candidates = [cosigned(12, new, previous) for new in (13, 20, 31, 40)]
    start = threading.Barrier(len(candidates))
    outcomes: dict[int, bool] = {}

    def race(candidate: Witnessed) -> None:
        start.wait()
        outcomes[candidate.size] = store(engine, previous, candidate)

    threads = [threading.Thread(target=race, args=(c,)) for c in candidates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    [winner] = [size for size, won in outcomes.items() if won]
    latest = stored(engine)
    assert len(outcomes) == len(candidates)
    assert latest is not None and latest.size == winner


def test_the_rollback_race_of_the_spec_cannot_roll_the_state_back(engine):
    """C2SP tlog-witness: A (old N, size N) and B (old N, size N+K) are both checked against
    N; B stores N+K first. A's compare-and-set fails, and deciding again refuses it with 409
    instead of storing N over N+K."""
    at_n = cosigned(0, 12, None)
    store(engine, None, at_n)
    a, b = decide(12, 12, at_n), decide(12, 30, at_n)
    assert a.cosigned is not None and b.cosigned is not None
    assert store(engine, at_n, b.cosigned)
    assert not store(engine, at_n, a.cosigned)
    assert decide(12, 12, stored(engine)) == Answer(409, "30\n", "text/x.tlog.size")


def own_checkpoint(engine: Engine, size: int) -> str:
    with engine.begin() as connection:
        log.append(connection, [("decision", {"id": n}) for n in range(size)], AT)
        return log.checkpoint(connection, LOG_KEY, ORIGIN, ORIGIN, AT).note


def test_cosignatures_of_the_nodes_checkpoint_are_kept_and_verify_on_its_note(engine):
    note = own_checkpoint(engine, 5)
    witnesses = {name: Ed25519PrivateKey.generate() for name in ("gsomia/USA/w", "gsomia/KOR/w")}
    with engine.begin() as connection:
        for name, key in witnesses.items():
            line = cosign(note, key, name, NOW)
            assert witnessing.add_cosignature(connection, 5, parse_cosignature(line), AT)
        received = witnessing.cosignatures(connection, 5)
        assert witnessing.cosignatures(connection, 4) == []
    assert [c.witness for c in received] == ["gsomia/KOR/w", "gsomia/USA/w"]
    assert {c.received_at for c in received} == {AT}
    cosigned_note = add_cosignatures(note, "".join(c.line for c in received))
    for name, key in witnesses.items():
        assert verify_cosignature(cosigned_note, WitnessKey(name, key.public_key())) == NOW


def test_a_witness_cosigns_a_checkpoint_once_and_the_first_stays(engine):
    note = own_checkpoint(engine, 5)
    key = Ed25519PrivateKey.generate()
    first, later = (parse_cosignature(cosign(note, key, WITNESS, t)) for t in (NOW, NOW + 60))
    with engine.begin() as connection:
        assert witnessing.add_cosignature(connection, 5, first, AT)
        assert not witnessing.add_cosignature(connection, 5, later, AT)
        assert [c.line for c in witnessing.cosignatures(connection, 5)] == [first.line()]


def test_a_cosignature_of_a_checkpoint_the_node_never_signed_is_refused(engine):
    note = own_checkpoint(engine, 5)
    line = parse_cosignature(cosign(note, WITNESS_KEY, WITNESS, NOW))
    with engine.begin() as connection, pytest.raises(EntryNotFound, match="size 6"):
        witnessing.add_cosignature(connection, 6, line, AT)
