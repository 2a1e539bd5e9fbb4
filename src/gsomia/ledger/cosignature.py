"""Witness cosignatures: C2SP tlog-cosignature/v1 with Ed25519, on checkpoint notes (pure).

A witness that found a checkpoint consistent with everything it cosigned of that log before
adds one signature line to its note:

    gsomia/KOR
    1234
    <base64 root hash>

    — gsomia/KOR <base64(key ID || signature)>                       the log's own
    — gsomia/JPN/witness <base64(key ID || timestamp || signature)>  a cosignature

The key ID is SHA-256(name || "\\n" || 0x04 || public key)[:4], so that a witness key never
passes for a log key (0x01). The signature covers `cosignature/v1\\ntime <timestamp>\\n`
followed by the checkpoint body, and the 8-byte big-endian timestamp travels in the line.
The signed message does not commit to the name: a witness key serves one cosigner name only,
and never signs the log's own checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gsomia.ledger.checkpoint import (
    NoteSignature,
    format_vkey,
    key_id,
    parse_checkpoint,
    parse_note,
    parse_signature,
    parse_vkey,
    require_key_name,
)
from gsomia.ledger.errors import (
    BadSignature,
    MalformedCosignature,
    MalformedNote,
    NotCosigned,
)

COSIGNATURE_V1 = b"\x04"
"""The signature type of Ed25519 cosignature/v1 in key IDs and vkeys (C2SP tlog-cosignature)."""
HEADER = "cosignature/v1"
MAX_TIMESTAMP = 2**63 - 1
"""A cosignature's timestamp MUST NOT exceed 2^63 - 1 (C2SP tlog-cosignature, "Format")."""
TIMESTAMP_SIZE = 8
SIGNATURE_SIZE = 64


@dataclass(frozen=True, slots=True)
class WitnessKey:
    """A witness's name and Ed25519 public key, as whoever relies on its cosignatures pins it."""

    name: str
    public_key: Ed25519PublicKey

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key, COSIGNATURE_V1)

    def vkey(self) -> str:
        """`<name>+<hex key ID>+<base64(0x04 || public key)>` (C2SP tlog-cosignature, "Format")."""
        return format_vkey(self.name, self.public_key, COSIGNATURE_V1)

    @classmethod
    def from_vkey(cls, text: str) -> WitnessKey:
        """Read a witness's vkey, checking that it is of type 0x04 and its key ID matches."""
        return cls(*parse_vkey(text, COSIGNATURE_V1))


@dataclass(frozen=True, slots=True)
class Cosignature:
    """One cosignature line: the witness's name and key ID, when it signed, and its signature."""

    name: str
    key_id: bytes
    timestamp: int
    signature: bytes

    def line(self) -> str:
        """`— <name> base64(key ID || 8-byte big-endian timestamp || signature)` and a newline."""
        timestamp = self.timestamp.to_bytes(TIMESTAMP_SIZE, "big")
        return NoteSignature(self.name, self.key_id, timestamp + self.signature).line()


def cosigned_message(text: str, timestamp: int) -> bytes:
    """`cosignature/v1\\ntime <timestamp>\\n` then the checkpoint body with its final newline
    (C2SP tlog-cosignature, "Ed25519 signed message")."""
    return f"{HEADER}\ntime {timestamp}\n{text}".encode()


def cosign(checkpoint: str, signer: Ed25519PrivateKey, name: str, timestamp: int) -> str:
    """The cosignature line of `signer` under `name` at `timestamp` (POSIX seconds, not zero:
    C2SP tlog-witness) on a checkpoint, given as its body or as its signed note (whose
    signatures are not checked here: the witness verifies them first)."""
    # A signed note holds an empty line before its signatures; a checkpoint body never does.
    text = parse_note(checkpoint).text if "\n\n" in checkpoint else checkpoint
    parse_checkpoint(text)
    require_key_name(name)
    if not 0 < timestamp <= MAX_TIMESTAMP:
        raise ValueError(f"a cosignature's timestamp is 1 to 2**63 - 1, not {timestamp}")
    signature = signer.sign(cosigned_message(text, timestamp))
    return Cosignature(
        name, key_id(name, signer.public_key(), COSIGNATURE_V1), timestamp, signature
    ).line()


def parse_cosignature(line: str) -> Cosignature:
    """A cosignature line (its newline optional), its syntax checked but not its signature."""
    text = line.removesuffix("\n")
    if not text.isprintable():
        raise MalformedCosignature("a cosignature is one line of printable characters")
    return _cosignature(parse_signature(text))


def verify_cosignature(note: str, key: WitnessKey) -> int:
    """The time (POSIX seconds) at which `key` cosigned the checkpoint note, once it verifies.

    Lines of other keys are ignored; a line of `key` that fails rejects the note, as a failed
    signature of a known key does (C2SP signed-note). Of several lines of `key`, every one
    must verify, and the latest time is returned.
    """
    parsed = parse_note(note)
    timestamps = []
    for signature in parsed.signatures:
        if (signature.name, signature.key_id) != (key.name, key.key_id):
            continue
        cosignature = _cosignature(signature)
        message = cosigned_message(parsed.text, cosignature.timestamp)
        try:
            key.public_key.verify(cosignature.signature, message)
        except InvalidSignature:
            raise BadSignature(
                f"the cosignature of {key.name} (key {key.key_id.hex()}) at time "
                f"{cosignature.timestamp} does not verify: the checkpoint or the time was "
                "altered, or another key signed it"
            ) from None
        timestamps.append(cosignature.timestamp)
    if not timestamps:
        raise NotCosigned(f"the note carries no cosignature of {key.name} (key {key.key_id.hex()})")
    return max(timestamps)


def add_cosignatures(note: str, cosignatures: str) -> str:
    """`note` followed by `cosignatures`, one or more signature lines each ending in a newline
    (a witness's answer, or lines from `cosign`).

    Only their syntax is checked: `verify_cosignature` decides which to trust, and verifiers
    ignore lines of keys they do not know (C2SP tlog-witness, "add-checkpoint").
    """
    text = parse_note(note).text
    if not cosignatures.endswith("\n") or parse_note(note + cosignatures).text != text:
        raise MalformedNote(
            "cosignatures are signature lines, each ending in a newline, with no empty line"
        )
    return note + cosignatures


def _cosignature(signature: NoteSignature) -> Cosignature:
    raw = signature.signature
    if len(raw) != TIMESTAMP_SIZE + SIGNATURE_SIZE:
        raise MalformedCosignature(
            f"the signature of {signature.name} holds {len(raw)} bytes after its key ID, not "
            f"the {TIMESTAMP_SIZE + SIGNATURE_SIZE} of a timestamp and an Ed25519 signature"
        )
    timestamp = int.from_bytes(raw[:TIMESTAMP_SIZE], "big")
    if timestamp > MAX_TIMESTAMP:
        raise MalformedCosignature(
            f"the cosignature of {signature.name} has time {timestamp}, beyond 2**63 - 1"
        )
    return Cosignature(signature.name, signature.key_id, timestamp, raw[TIMESTAMP_SIZE:])
