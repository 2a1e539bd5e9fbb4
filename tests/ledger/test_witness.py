"""C2SP tlog-witness add-checkpoint: every answer, on real checkpoints of ledger entries, for
an honest log, a forked one, one whose history was rolled back, and forged or broken requests."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from gsomia.ledger.checkpoint import (
    Checkpoint,
    VerifierKey,
    open_checkpoint,
    parse_note,
    sign_checkpoint,
    sign_note,
)
from gsomia.ledger.cosignature import WitnessKey, add_cosignatures, cosign, verify_cosignature
from gsomia.ledger.entries import canonical_json, instant_text, leaf_data
from gsomia.ledger.errors import MalformedWitnessRequest
from gsomia.ledger.merkle import (
    EMPTY_ROOT,
    leaf_hash,
    levels_range_hash,
    prove_consistency,
    subtree_levels,
    tree_hash,
)
from gsomia.ledger.witness import (
    MAX_PROOF_LINES,
    SIZE_CONTENT_TYPE,
    AddCheckpoint,
    Answer,
    Witnessed,
    add_checkpoint,
    parse_request,
)

ORIGIN = "gsomia/KOR"
WITNESS = "gsomia/JPN/witness"
NOW = 1_574_413_200
AT = datetime(2019, 11, 22, 9, 0, tzinfo=UTC)
LOG_KEY = Ed25519PrivateKey.generate()
WITNESS_KEY = Ed25519PrivateKey.generate()
LOGS = {ORIGIN: [VerifierKey(ORIGIN, LOG_KEY.public_key())]}


def history(count: int, variant: str = "") -> list[bytes]:
    """The leaf hashes of `count` decisions as the ledger logs them; a `variant` rewrites every
    entry from the tenth on (a log that forked, or was rolled back and written again)."""
    return [
        leaf_hash(
            leaf_data(
                "decision",
                instant_text(AT),
                canonical_json(
                    {"id": n, "allowed": False, "rewritten": variant if n >= 10 else ""}
                ),
            )
        )
        for n in range(count)
    ]


HONEST = history(40)
FORKED = history(40, variant="fork")


def note(leaves: list[bytes], size: int, signer: Ed25519PrivateKey = LOG_KEY) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, size, tree_hash(leaves[:size])), signer, ORIGIN)


def request(leaves: list[bytes], old: int, new: int) -> AddCheckpoint:
    """What an honest log of `leaves` submits: the proof from `old` to `new`, and its note."""
    proof: tuple[bytes, ...] = ()
    if 0 < old < new:
        levels = subtree_levels(leaves[:new])
        proof = prove_consistency(old, new, levels_range_hash(levels)).path
    return AddCheckpoint(old, proof, note(leaves, new))


def state(leaves: list[bytes], size: int) -> Witnessed:
    """What the witness keeps after cosigning the tree of `leaves` at `size`."""
    answer = submit(request(leaves, 0, size), None)
    assert answer.cosigned is not None
    return answer.cosigned


def submit(add: AddCheckpoint, latest: Witnessed | None) -> Answer:
    return add_checkpoint(add, LOGS, latest, WITNESS_KEY, WITNESS, NOW)


def test_a_first_checkpoint_is_cosigned_from_old_size_zero():
    add = request(HONEST, 0, 12)
    answer = submit(add, None)
    assert (answer.status, answer.content_type) == (200, "text/plain; charset=utf-8")
    assert answer.body == cosign(add.note, WITNESS_KEY, WITNESS, NOW)
    witness = WitnessKey(WITNESS, WITNESS_KEY.public_key())
    assert verify_cosignature(add_cosignatures(add.note, answer.body), witness) == NOW
    assert answer.cosigned == Witnessed(
        ORIGIN, 12, tree_hash(HONEST[:12]), add_cosignatures(add.note, answer.body)
    )


@pytest.mark.parametrize(("old", "new"), [(1, 2), (4, 8), (5, 12), (7, 8), (8, 9), (3, 40)])
def test_a_checkpoint_consistent_with_the_cosigned_one_is_cosigned_and_becomes_the_state(old, new):
    answer = submit(request(HONEST, old, new), state(HONEST, old))
    assert answer.status == 200
    assert answer.cosigned is not None
    assert (answer.cosigned.size, answer.cosigned.root) == (new, tree_hash(HONEST[:new]))


def test_a_checkpoint_resubmitted_at_the_cosigned_size_is_cosigned_again():
    answer = submit(request(HONEST, 12, 12), state(HONEST, 12))
    assert answer.status == 200


def test_the_stored_note_keeps_the_logs_verified_signature_and_drops_others():
    add = request(HONEST, 0, 12)
    stranger = sign_note(parse_note(add.note).text, Ed25519PrivateKey.generate(), "stranger")
    add = AddCheckpoint(0, (), add.note + stranger.signatures[0].line())
    answer = submit(add, None)
    assert answer.cosigned is not None
    stored = parse_note(answer.cosigned.note)
    assert [signature.name for signature in stored.signatures] == [ORIGIN, WITNESS]
    assert open_checkpoint(answer.cosigned.note, LOGS[ORIGIN]).size == 12


def test_an_unknown_origin_is_404():
    other = sign_checkpoint(Checkpoint("gsomia/XYZ", 3, tree_hash(HONEST[:3])), LOG_KEY, ORIGIN)
    answer = submit(AddCheckpoint(0, (), other), None)
    assert (answer.status, answer.cosigned) == (404, None)
    assert "gsomia/XYZ" in answer.body


def test_a_checkpoint_signed_by_no_trusted_key_is_403():
    forged = AddCheckpoint(0, (), note(HONEST, 12, signer=Ed25519PrivateKey.generate()))
    answer = submit(forged, None)
    assert (answer.status, answer.cosigned) == (403, None)
    assert "signed by no known key" in answer.body


def test_a_checkpoint_whose_trusted_signature_fails_is_403():
    """A signature line matching a trusted key that does not verify: the note is rejected."""
    altered = request(HONEST, 0, 12).note.replace("\n12\n", "\n13\n")
    answer = submit(AddCheckpoint(0, (), altered), None)
    assert (answer.status, answer.cosigned) == (403, None)
    assert "does not verify" in answer.body


def test_a_rolled_back_log_claiming_the_cosigned_size_is_400():
    """After 30 entries were cosigned, the log lost its last 20 and signs a tree of 10; it
    names the size the witness holds, beyond its own: the request contradicts itself."""
    answer = submit(AddCheckpoint(30, (), note(HONEST, 10)), state(HONEST, 30))
    assert (answer.status, answer.cosigned) == (400, None)
    assert "old size 30 is beyond the checkpoint's size 10" in answer.body


@pytest.mark.parametrize("believed", [0, 10])
def test_a_rolled_back_log_is_refused_409_with_the_cosigned_size(believed):
    """The log was cosigned at 30, then rolled back to 10 entries and written again up to 25:
    whatever old size it names (none, or the last it remembers), the witness answers with the
    size it cosigned, and never cosigns the smaller or different tree."""
    rewritten = history(25, variant="rolled back")
    answer = submit(request(rewritten, believed, 25), state(HONEST, 30))
    assert answer == Answer(409, "30\n", SIZE_CONTENT_TYPE)


def test_a_log_the_witness_never_cosigned_is_told_size_zero():
    answer = submit(request(HONEST, 5, 12), None)
    assert answer == Answer(409, "0\n", SIZE_CONTENT_TYPE)


def test_a_log_behind_the_witness_is_told_the_cosigned_size():
    """A log that lost track (it believes 5) learns the size to prove from: 12."""
    answer = submit(request(HONEST, 5, 20), state(HONEST, 12))
    assert answer == Answer(409, "12\n", SIZE_CONTENT_TYPE)


def test_a_fork_at_the_cosigned_size_named_from_zero_is_409():
    answer = submit(request(FORKED, 0, 30), state(HONEST, 30))
    assert answer == Answer(409, "30\n", SIZE_CONTENT_TYPE)


def test_a_fork_at_the_cosigned_size_is_422():
    """Same size, another root. C2SP tlog-witness answers 422 since July 2026 (C2SP#280,
    earlier 409): retrying from the size a 409 names could never succeed."""
    answer = submit(request(FORKED, 30, 30), state(HONEST, 30))
    assert (answer.status, answer.cosigned) == (422, None)
    assert "two trees of the same size" in answer.body


def test_a_fork_grown_past_the_cosigned_size_fails_its_proof_422():
    """The forked log proves 30 -> 40 in its own history; the witness checks the proof against
    the root it cosigned, which the fork cannot reach."""
    answer = submit(request(FORKED, 30, 40), state(HONEST, 30))
    assert (answer.status, answer.cosigned) == (422, None)
    assert "not consistent with the one cosigned at size 30" in answer.body


def test_a_proof_with_an_altered_hash_is_422():
    honest = request(HONEST, 12, 30)
    first = bytes([honest.proof[0][0] ^ 1]) + honest.proof[0][1:]
    broken = AddCheckpoint(12, (first, *honest.proof[1:]), honest.note)
    answer = submit(broken, state(HONEST, 12))
    assert (answer.status, answer.cosigned) == (422, None)


def test_a_proof_with_a_hash_missing_is_422():
    honest = request(HONEST, 12, 30)
    answer = submit(AddCheckpoint(12, honest.proof[:-1], honest.note), state(HONEST, 12))
    assert (answer.status, answer.cosigned) == (422, None)
    assert "hashes where the tree sizes call for" in answer.body


def test_a_proof_from_old_size_zero_is_422():
    """The empty tree is consistent with any tree: a proof from size 0 must be empty."""
    honest = request(HONEST, 12, 30)
    answer = submit(AddCheckpoint(0, honest.proof, honest.note), None)
    assert (answer.status, answer.cosigned) == (422, None)


def test_a_proof_between_equal_sizes_is_422():
    honest = request(HONEST, 12, 30)
    answer = submit(AddCheckpoint(12, honest.proof, note(HONEST, 12)), state(HONEST, 12))
    assert (answer.status, answer.cosigned) == (422, None)


def test_an_empty_tree_is_cosigned_only_with_the_empty_root():
    empty = sign_checkpoint(Checkpoint(ORIGIN, 0, EMPTY_ROOT), LOG_KEY, ORIGIN)
    assert submit(AddCheckpoint(0, (), empty), None).status == 200
    wrong = sign_checkpoint(Checkpoint(ORIGIN, 0, HONEST[0]), LOG_KEY, ORIGIN)
    answer = submit(AddCheckpoint(0, (), wrong), None)
    assert (answer.status, answer.cosigned) == (422, None)


def test_a_state_of_another_origin_is_a_mistake_of_the_caller():
    other = Witnessed("gsomia/JPN", 12, tree_hash(HONEST[:12]), "")
    with pytest.raises(ValueError, match="gsomia/JPN"):
        submit(request(HONEST, 12, 20), other)


def test_the_request_body_is_old_size_proof_lines_an_empty_line_and_the_note():
    add = request(HONEST, 5, 12)
    lines = "".join(f"{base64.b64encode(node).decode()}\n" for node in add.proof)
    assert add.body() == f"old 5\n{lines}\n{add.note}".encode()
    assert parse_request(add.body()) == add
    first = request(HONEST, 0, 12)
    assert first.body() == f"old 0\n\n{first.note}".encode()
    assert parse_request(first.body()) == first


def test_the_requests_origin_is_its_checkpoints():
    assert request(HONEST, 0, 3).origin == ORIGIN


NOTE = note(HONEST, 12)
HASH = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (f"old 5\n{HASH}\n".encode(), "an empty line"),
        (f"old 05\n\n{NOTE}".encode(), "not 'old <size>'"),
        (f"old -1\n\n{NOTE}".encode(), "not 'old <size>'"),
        (f"old  5\n\n{NOTE}".encode(), "not 'old <size>'"),
        (f"new 5\n\n{NOTE}".encode(), "not 'old <size>'"),
        (f"old {'9' * 20}\n\n{NOTE}".encode(), "not 'old <size>'"),
        (f"old {2**63}\n\n{NOTE}".encode(), "not 0 to 2"),
        (f"old 5\nnot base64!\n\n{NOTE}".encode(), "not standard base64"),
        (f"old 5\n{HASH[:-4]}\n\n{NOTE}".encode(), "32-byte SHA-256 hash"),
        (f"old 5\n{HASH}\n\n\n{NOTE}".encode(), "checkpoint note"),
        (f"old 5\n{HASH}\r\n\n{NOTE}".encode(), "not standard base64"),
        (("old 5\n" + f"{HASH}\n" * (MAX_PROOF_LINES + 1) + f"\n{NOTE}").encode(), "at most 63"),
        (b"old 5\n\n\xff" + NOTE.encode(), "UTF-8"),
        (f"old 5\n\n{NOTE.split(chr(10) * 2)[0]}\n".encode(), "checkpoint note"),
        ("old 5\n\ngsomia/KOR\n12\nAAAA\n\n— gsomia/KOR AAAAAAAA\n".encode(), "root hash"),
        (f"old 5\n\ngsomia/KOR\n{2**63}\n{HASH}\n\n— gsomia/KOR AAAAAAAA\n".encode(), "beyond 2"),
    ],
)
def test_a_malformed_request_is_400(body, reason):
    with pytest.raises(MalformedWitnessRequest, match=reason) as error:
        parse_request(body)
    assert error.value.status == 400


def test_a_request_with_63_proof_lines_is_well_formed():
    body = ("old 5\n" + f"{HASH}\n" * MAX_PROOF_LINES + f"\n{NOTE}").encode()
    assert len(parse_request(body).proof) == MAX_PROOF_LINES


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=8))
def test_the_witness_cosigns_exactly_the_requests_from_its_size_and_never_moves_back(steps):
    """Whatever old sizes an honest log names and whatever sizes it signs, the witness answers
    200 exactly when the old size is the one it cosigned and the tree did not shrink, and the
    size it keeps never decreases."""
    latest: Witnessed | None = None
    for old, new in steps:
        cosigned = 0 if latest is None else latest.size
        answer = submit(request(HONEST, old, new), latest)
        assert (answer.status == 200) == (old == cosigned <= new)
        assert answer.status in (200, 400, 409)
        if answer.cosigned is not None:
            assert answer.cosigned.size >= cosigned
            latest = answer.cosigned
