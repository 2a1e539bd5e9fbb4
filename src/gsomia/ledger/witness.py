"""A witness's side of C2SP tlog-witness `add-checkpoint`, as a pure decision (no I/O).

A log submits each new checkpoint with the size it believes the witness last cosigned and a
consistency proof from that size:

    old 1200
    <base64 hash>               zero to 63 lines: PROOF(1200, D[1234]), RFC 9162 §2.1.4
                                an empty line
    <signed checkpoint note>    of size 1234

`add_checkpoint` judges it against the keys the witness trusts per origin and what it last
cosigned for that origin, in the order of the spec: 404 unknown origin, 403 no verified
signature of a trusted key, 400 an old size beyond the checkpoint's, 409 an old size other than
the one cosigned (the body says which), 422 a checkpoint inconsistent with it, else 200 and
the cosignature line.

Storing is the caller's, and fails closed: on 200 it stores `Answer.cosigned` by
compare-and-set against the state it decided on, and sends the answer only once that
succeeded. When another request moved the state first, deciding again on the new state gives
the answer to send (usually 409): two requests from one old size never both roll the state.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gsomia.ledger.checkpoint import (
    Checkpoint,
    SignedNote,
    VerifierKey,
    parse_checkpoint,
    parse_note,
    verify_note,
)
from gsomia.ledger.cosignature import cosign
from gsomia.ledger.errors import (
    BadSignature,
    MalformedCheckpoint,
    MalformedNote,
    MalformedWitnessRequest,
    ProofError,
    UnknownKey,
)
from gsomia.ledger.merkle import EMPTY_ROOT, HASH_SIZE, ConsistencyProof, verify_consistency

MAX_PROOF_LINES = 63
"""The client MUST NOT send more than 63 consistency proof lines (C2SP tlog-witness)."""
MAX_SIZE = 2**63 - 1
"""The largest tree size a witness records (a signed 64-bit integer, as Go's witnesses)."""
SIZE_CONTENT_TYPE = "text/x.tlog.size"
"""The content type of a 409 answer, whose body is the cosigned size (C2SP tlog-witness)."""
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"
# Nineteen digits hold every size up to 2**63 - 1, and keep int() away from huge inputs.
_OLD_SIZE = re.compile(r"old (0|[1-9][0-9]{0,18})")


@dataclass(frozen=True, slots=True)
class AddCheckpoint:
    """An add-checkpoint request: the size the log believes the witness last cosigned, the
    consistency proof from that size, and the signed checkpoint note (C2SP tlog-witness)."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str

    def __post_init__(self) -> None:
        if not 0 <= self.old_size <= MAX_SIZE:
            raise MalformedWitnessRequest(f"old size {self.old_size} is not 0 to 2**63 - 1")
        if len(self.proof) > MAX_PROOF_LINES:
            raise MalformedWitnessRequest(
                f"the consistency proof has {len(self.proof)} hashes; at most "
                f"{MAX_PROOF_LINES} are sent"
            )
        if any(len(node) != HASH_SIZE for node in self.proof):
            raise MalformedWitnessRequest(
                f"every line of the consistency proof is a {HASH_SIZE}-byte SHA-256 hash"
            )
        try:
            size = self.checkpoint.size
        except (MalformedNote, MalformedCheckpoint) as error:
            raise MalformedWitnessRequest(f"the checkpoint note: {error.message}") from None
        if size > MAX_SIZE:
            raise MalformedWitnessRequest(f"tree size {size} is beyond 2**63 - 1")

    @property
    def checkpoint(self) -> Checkpoint:
        """The checkpoint the note states, not yet verified."""
        return parse_checkpoint(parse_note(self.note).text)

    @property
    def origin(self) -> str:
        """The checkpoint's origin: the log whose keys and cosigned state judge the request."""
        return self.checkpoint.origin

    def body(self) -> bytes:
        """The request body: `old <size>`, the proof in base64, an empty line, the note."""
        lines = [f"old {self.old_size}", *(base64.b64encode(node).decode() for node in self.proof)]
        return ("".join(f"{line}\n" for line in lines) + "\n" + self.note).encode()


@dataclass(frozen=True, slots=True)
class Witnessed:
    """The latest checkpoint a witness cosigned for one origin: all it keeps of that log."""

    origin: str
    size: int
    root: bytes
    note: str
    """The checkpoint note as cosigned: the log's verified signatures, then the witness's."""


@dataclass(frozen=True, slots=True)
class Answer:
    """The witness's answer to one request; on 200, `cosigned` is the state to store first."""

    status: int
    body: str
    content_type: str = TEXT_CONTENT_TYPE
    cosigned: Witnessed | None = None


def parse_request(body: bytes) -> AddCheckpoint:
    """Read an add-checkpoint request body; `MalformedWitnessRequest` (answered 400) if it is
    not one (C2SP tlog-witness, "add-checkpoint")."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise MalformedWitnessRequest("an add-checkpoint request is UTF-8 text") from None
    head, empty_line, note = text.partition("\n\n")
    if not empty_line:
        raise MalformedWitnessRequest(
            "an add-checkpoint request is an old size line, proof lines, an empty line, then "
            "the checkpoint note"
        )
    old, *proof = head.split("\n")
    size = _OLD_SIZE.fullmatch(old)
    if size is None:
        raise MalformedWitnessRequest(
            f"the first line {old!r:.40} is not 'old <size>' in decimal without leading zeros"
        )
    return AddCheckpoint(int(size[1]), tuple(_proof_hash(line) for line in proof), note)


def add_checkpoint(
    request: AddCheckpoint,
    logs: Mapping[str, Sequence[VerifierKey]],
    latest: Witnessed | None,
    signer: Ed25519PrivateKey,
    name: str,
    timestamp: int,
) -> Answer:
    """The answer of the witness `name` (its cosigning key `signer`, the time `timestamp`) to
    `request`, given the keys it trusts per origin and `latest`, what it last cosigned for the
    request's origin (None if nothing yet); C2SP tlog-witness, "add-checkpoint"."""
    if latest is not None and latest.origin != request.origin:
        raise ValueError(f"the state given is of {latest.origin!r}, not {request.origin!r}")
    keys = logs.get(request.origin, ())
    if not keys:
        return _refuse(404, f"this witness follows no log of origin {request.origin!r}")
    try:
        signed = verify_note(request.note, keys)
    except (UnknownKey, BadSignature) as error:
        return _refuse(403, error.message)
    checkpoint = parse_checkpoint(signed.text)
    if request.old_size > checkpoint.size:
        return _refuse(
            400, f"old size {request.old_size} is beyond the checkpoint's size {checkpoint.size}"
        )
    cosigned_size = 0 if latest is None else latest.size
    if request.old_size != cosigned_size:
        return Answer(409, f"{cosigned_size}\n", SIZE_CONTENT_TYPE)
    inconsistency = _inconsistency(request, checkpoint, latest)
    if inconsistency is not None:
        return _refuse(422, inconsistency)
    line = cosign(signed.text, signer, name, timestamp)
    # Kept: the log's signatures that verified, then this witness's; others' lines are dropped.
    trusted = {(key.name, key.key_id) for key in keys}
    verified = tuple(s for s in signed.signatures if (s.name, s.key_id) in trusted)
    note = SignedNote(signed.text, verified).render() + line
    return Answer(
        200, line, cosigned=Witnessed(checkpoint.origin, checkpoint.size, checkpoint.root, note)
    )


def _inconsistency(
    request: AddCheckpoint, checkpoint: Checkpoint, latest: Witnessed | None
) -> str | None:
    """Why the checkpoint does not extend the one cosigned at the old size, or None."""
    if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
        return "a checkpoint of size 0 has the root of the empty tree, SHA-256 of nothing"
    if request.old_size == 0:
        # The empty tree is a prefix of every tree: nothing is proved from it.
        return "a request from old size 0 carries no consistency proof" if request.proof else None
    assert latest is not None, "a non-zero old size equal to the cosigned one"
    if request.old_size == checkpoint.size:
        if request.proof:
            return "between equal sizes the consistency proof is empty"
        if checkpoint.root != latest.root:
            return (
                f"the checkpoint's root differs from the root this witness cosigned at size "
                f"{latest.size}: two trees of the same size (a fork)"
            )
        return None
    proof = ConsistencyProof(request.old_size, checkpoint.size, request.proof)
    try:
        verify_consistency(latest.root, checkpoint.root, proof)
    except ProofError as error:
        return (
            f"the checkpoint is not consistent with the one cosigned at size {latest.size}: "
            f"{error.message}"
        )
    return None


def _proof_hash(line: str) -> bytes:
    try:
        return base64.b64decode(line, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedWitnessRequest(
            f"consistency proof line {line!r:.60} is not standard base64"
        ) from None


def _refuse(status: int, reason: str) -> Answer:
    return Answer(status, f"{reason}\n")
