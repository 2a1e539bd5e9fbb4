"""`verify` finds every edit made to the database behind the ledger's back, and the first
position at which the history diverges from what the signed checkpoints committed to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, insert, select, update

from gsomia.ledger.audit import ProblemKind, Report
from gsomia.ledger.checkpoint import Checkpoint, VerifierKey, sign_checkpoint
from gsomia.ledger.entries import canonical_json, instant_text, leaf_data
from gsomia.ledger.merkle import leaf_hash
from gsomia.store import log, tables

AT = datetime(2019, 11, 22, 9, 0, tzinfo=UTC)
ORIGIN = "gsomia/KOR"
SIGNER = Ed25519PrivateKey.generate()
KEYS = [VerifierKey(ORIGIN, SIGNER.public_key())]
CHECKPOINTS = (8, 20, 40)
entries, nodes, checkpoints = tables.ledger_entries, tables.ledger_nodes, tables.ledger_checkpoints


def body(number: int) -> dict[str, object]:
    return {"decision": number, "allowed": number % 2 == 0}


@pytest.fixture
def ledger(engine):
    """40 entries appended in uneven batches, checkpointed at 8, 20 and 40 entries."""
    appended = 0
    for size in CHECKPOINTS:
        while appended < size:
            batch = min(size - appended, 1 + appended % 5)
            with engine.begin() as connection:
                log.append(
                    connection,
                    [("decision", body(n)) for n in range(appended, appended + batch)],
                    AT,
                )
            appended += batch
        with engine.begin() as connection:
            log.checkpoint(connection, SIGNER, ORIGIN, ORIGIN, AT)
    return engine


def report(engine) -> Report:
    with engine.begin() as connection:
        return log.verify(connection, KEYS)


def kinds(found: Report) -> set[ProblemKind]:
    return {problem.kind for problem in found.problems}


def edit(engine, *statements) -> None:
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(statement)


def rewrite_entry(position: int, new_body: dict[str, object], *, leaf_too: bool) -> object:
    text = canonical_json(new_body)
    values: dict[str, object] = {"body": text}
    if leaf_too:
        values["leaf_hash"] = leaf_hash(leaf_data("decision", instant_text(AT), text))
    return update(entries).where(entries.c.position == position).values(**values)


def test_an_untouched_ledger_verifies(ledger):
    found = report(ledger)
    assert found.ok
    assert (found.size, found.checkpoints, found.first_divergence) == (40, 3, None)


@pytest.mark.parametrize("position", [0, 1, 7, 8, 19, 20, 31, 39])
def test_a_changed_body_is_found_at_its_position(ledger, position):
    edit(
        ledger, rewrite_entry(position, {"decision": position, "allowed": "forged"}, leaf_too=False)
    )
    found = report(ledger)
    assert found.first_divergence == position
    assert found.divergence == (position, position + 1)
    assert kinds(found) == {ProblemKind.ALTERED_ENTRY, ProblemKind.CHECKPOINT_MISMATCH}
    mismatched = [p for p in found.problems if p.kind is ProblemKind.CHECKPOINT_MISMATCH]
    assert len(mismatched) == sum(1 for size in CHECKPOINTS if size > position)
    assert all((p.start, p.end) == (position, position + 1) for p in mismatched)


def test_a_changed_kind_or_time_is_an_altered_entry(ledger):
    edit(
        ledger,
        update(entries).where(entries.c.position == 11).values(kind="receipt"),
        update(entries)
        .where(entries.c.position == 25)
        .values(recorded_at=AT + timedelta(seconds=1)),
    )
    found = report(ledger)
    altered = [p.start for p in found.problems if p.kind is ProblemKind.ALTERED_ENTRY]
    assert (altered, found.first_divergence) == ([11, 25], 11)


def test_a_body_rewritten_with_its_leaf_hash_is_narrowed_down_by_the_checkpoints(ledger):
    """With the recorded leaf hash rewritten too, the entry agrees with itself; the checkpoint
    still vouches for the stored pair hash above it, so the divergence is that pair."""
    edit(ledger, rewrite_entry(13, {"decision": 13, "allowed": "forged"}, leaf_too=True))
    found = report(ledger)
    assert found.divergence == (12, 14)
    assert ProblemKind.ALTERED_ENTRY not in kinds(found)
    assert {ProblemKind.SUBTREE_MISMATCH, ProblemKind.CHECKPOINT_MISMATCH} <= kinds(found)


def test_a_deleted_entry_leaves_a_gap(ledger):
    edit(ledger, delete(entries).where(entries.c.position == 5))
    found = report(ledger)
    assert found.first_divergence == 5
    assert found.problems[0].kind is ProblemKind.MISSING_ENTRY
    assert found.problems[0].message == "entry 5 is missing"
    assert ProblemKind.CHECKPOINT_UNCHECKED in kinds(found)


def test_deleted_last_entries_fall_short_of_the_checkpoint(ledger):
    edit(ledger, delete(entries).where(entries.c.position >= 37))
    found = report(ledger)
    assert found.divergence == (37, 40)
    assert {ProblemKind.CHECKPOINT_BEYOND_LOG, ProblemKind.UNEXPECTED_SUBTREE} <= kinds(found)


def test_swapped_bodies_are_found_at_the_first_of_the_two(ledger):
    with ledger.begin() as connection:
        first, second = (
            connection.execute(select(entries.c.body).where(entries.c.position == p)).scalar_one()
            for p in (3, 30)
        )
    edit(
        ledger,
        update(entries).where(entries.c.position == 3).values(body=second),
        update(entries).where(entries.c.position == 30).values(body=first),
    )
    found = report(ledger)
    assert found.first_divergence == 3
    altered = [p.start for p in found.problems if p.kind is ProblemKind.ALTERED_ENTRY]
    assert altered == [3, 30]


@pytest.mark.parametrize("position", [16, 17])
def test_an_entry_inserted_in_the_middle_is_found_within_its_pair(ledger, position):
    """Renumbering the later rows and inserting a well-formed entry: every row agrees with
    itself, but the checkpoint of 20 entries no longer holds, from the inserted one's pair."""
    with ledger.begin() as connection:
        for moved in range(39, position - 1, -1):
            connection.execute(
                update(entries).where(entries.c.position == moved).values(position=moved + 1)
            )
        text = canonical_json({"decision": "inserted"})
        connection.execute(
            insert(entries).values(
                position=position,
                kind="decision",
                body=text,
                leaf_hash=leaf_hash(leaf_data("decision", instant_text(AT), text)),
                recorded_at=AT,
            )
        )
    found = report(ledger)
    assert found.divergence == (16, 18)
    assert ProblemKind.ALTERED_ENTRY not in kinds(found)
    assert ProblemKind.CHECKPOINT_MISMATCH in kinds(found)


def test_a_changed_subtree_hash_is_reported_alone(ledger):
    edit(
        ledger,
        update(nodes).where(nodes.c.level == 2, nodes.c.position == 3).values(hash=bytes(32)),
    )
    found = report(ledger)
    assert [(p.kind, p.start, p.end) for p in found.problems] == [
        (ProblemKind.SUBTREE_MISMATCH, 12, 16)
    ]
    assert found.first_divergence is None


def test_a_missing_subtree_hash_is_reported(ledger):
    edit(ledger, delete(nodes).where(nodes.c.level == 1, nodes.c.position == 9))
    found = report(ledger)
    assert [(p.kind, p.start) for p in found.problems] == [(ProblemKind.MISSING_SUBTREE, 18)]


def test_a_damaged_leaf_hash_under_a_checkpoint_is_not_a_divergence(ledger):
    edit(ledger, update(entries).where(entries.c.position == 6).values(leaf_hash=bytes(32)))
    found = report(ledger)
    assert [(p.kind, p.start) for p in found.problems] == [(ProblemKind.DAMAGED_LEAF_HASH, 6)]
    assert found.first_divergence is None


def test_a_change_after_the_last_checkpoint_is_found_by_its_leaf_hash(ledger):
    with ledger.begin() as connection:
        log.append(connection, [("decision", body(n)) for n in range(40, 45)], AT)
    edit(ledger, rewrite_entry(42, {"decision": "forged"}, leaf_too=False))
    found = report(ledger)
    assert [(p.kind, p.start) for p in found.problems] == [(ProblemKind.ALTERED_ENTRY, 42)]


def test_a_checkpoint_signed_by_another_key_is_invalid(ledger):
    with ledger.begin() as connection:
        root = log.root(connection, 20)
    forged = sign_checkpoint(Checkpoint(ORIGIN, 20, root), Ed25519PrivateKey.generate(), ORIGIN)
    edit(ledger, update(checkpoints).where(checkpoints.c.size == 20).values(note=forged))
    found = report(ledger)
    assert [(p.kind, p.end) for p in found.problems] == [(ProblemKind.INVALID_CHECKPOINT, 20)]
    assert "signed by no known key" in found.problems[0].message
    with ledger.begin() as connection:
        assert log.verify(connection).ok


def test_a_checkpoint_row_that_disagrees_with_its_note_is_judged_by_the_note(ledger):
    edit(ledger, update(checkpoints).where(checkpoints.c.size == 8).values(root=bytes(32)))
    found = report(ledger)
    assert [p.kind for p in found.problems] == [ProblemKind.INVALID_CHECKPOINT]
    assert "the note is what was signed" in found.problems[0].message


def test_an_entry_at_a_negative_position_is_unexpected(ledger):
    text = canonical_json({"decision": "before everything"})
    edit(
        ledger,
        insert(entries).values(
            position=-1,
            kind="decision",
            body=text,
            leaf_hash=leaf_hash(leaf_data("decision", instant_text(AT), text)),
            recorded_at=AT,
        ),
    )
    found = report(ledger)
    assert [p.kind for p in found.problems] == [ProblemKind.UNEXPECTED_ENTRY]
    assert found.first_divergence == 0
