"""Checkpoints: the C2SP tlog-checkpoint body inside a C2SP signed note, signed with Ed25519.

A checkpoint note reads

    gsomia/KOR
    1234
    <base64 root hash>

    — gsomia/KOR <base64(4-byte key ID || 64-byte Ed25519 signature)>

The signature covers the text up to and including its last newline, not the blank line. A
partner configures the node's verifier key (`VerifierKey.vkey`, the signed-note text form)
once, and from then on trusts a checkpoint only through `open_checkpoint`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gsomia.ledger.errors import (
    BadSignature,
    MalformedCheckpoint,
    MalformedNote,
    UnknownKey,
    WrongOrigin,
)
from gsomia.ledger.merkle import HASH_SIZE

SIGNATURE_PREFIX = "\u2014 "
"""An em dash and a space open every signature line (C2SP signed-note)."""
ED25519 = b"\x01"
"""The signature type byte of Ed25519 in key IDs and verifier keys (C2SP signed-note)."""
MAX_SIGNATURES = 100
_SIZE = re.compile(r"0|[1-9][0-9]*")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: the log's origin, its size and root hash (C2SP tlog-checkpoint)."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        """The note text: origin, decimal size, base64 root, extension lines, each ending in \\n."""
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root).decode(),
            *self.extensions,
        ]
        return "".join(f"{line}\n" for line in lines)


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: the key's name, its 4-byte ID and the signature itself."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        encoded = base64.b64encode(self.key_id + self.signature).decode()
        return f"{SIGNATURE_PREFIX}{self.name} {encoded}\n"


@dataclass(frozen=True, slots=True)
class SignedNote:
    """A note text and its signatures (C2SP signed-note)."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def render(self) -> str:
        return self.text + "\n" + "".join(signature.line() for signature in self.signatures)


@dataclass(frozen=True, slots=True)
class VerifierKey:
    """A named Ed25519 public key that a verifier trusts to sign notes."""

    name: str
    public_key: Ed25519PublicKey

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    def vkey(self) -> str:
        """`<name>+<hex key ID>+<base64(0x01 || public key)>`, the form partners exchange."""
        return format_vkey(self.name, self.public_key, ED25519)

    @classmethod
    def from_vkey(cls, text: str) -> VerifierKey:
        """Read a verifier key in its text form, checking that its key ID matches its key."""
        return cls(*parse_vkey(text, ED25519))


def key_id(name: str, public_key: Ed25519PublicKey, signature_type: bytes = ED25519) -> bytes:
    """SHA-256(key name || 0x0A || signature type || 32-byte public key)[:4] (C2SP signed-note;
    the type is 0x01 for Ed25519 note signatures)."""
    return hashlib.sha256(name.encode() + b"\n" + signature_type + _raw(public_key)).digest()[:4]


def format_vkey(name: str, public_key: Ed25519PublicKey, signature_type: bytes) -> str:
    """`<name>+<hex key ID>+<base64(signature type || public key)>` (C2SP signed-note vkey)."""
    encoded = base64.b64encode(signature_type + _raw(public_key)).decode()
    return f"{name}+{key_id(name, public_key, signature_type).hex()}+{encoded}"


def parse_vkey(text: str, signature_type: bytes) -> tuple[str, Ed25519PublicKey]:
    """The name and Ed25519 key of a vkey of `signature_type`, once its key ID matches its key."""
    # The name holds no "+", but base64 may: split twice only.
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise MalformedNote(f"verifier key {text!r:.80} is not <name>+<key id>+<key>")
    name, hex_id, encoded = parts
    require_key_name(name)
    key = _b64decode(encoded, f"verifier key {name!r}")
    if len(key) != 33 or key[:1] != signature_type:
        raise MalformedNote(
            f"verifier key {name!r} is not an Ed25519 key of type 0x{signature_type.hex()} "
            "(a type byte and 32 bytes)"
        )
    public_key = Ed25519PublicKey.from_public_bytes(key[1:])
    if hex_id.lower() != key_id(name, public_key, signature_type).hex():
        raise MalformedNote(f"verifier key {name!r}: key ID {hex_id} does not match its key")
    return name, public_key


def sign_note(text: str, signer: Ed25519PrivateKey, name: str) -> SignedNote:
    """Sign a note text with an Ed25519 key under `name` (C2SP signed-note)."""
    _require_text(text)
    require_key_name(name)
    signature = NoteSignature(name, key_id(name, signer.public_key()), signer.sign(text.encode()))
    return SignedNote(text, (signature,))


def sign_checkpoint(checkpoint: Checkpoint, signer: Ed25519PrivateKey, name: str) -> str:
    """The complete signed note of a checkpoint, ready to publish."""
    return sign_note(checkpoint.text(), signer, name).render()


def parse_note(note: str) -> SignedNote:
    """Split a signed note into its text and signature lines, checking their syntax only."""
    if _CONTROL.search(note):
        raise MalformedNote("a signed note holds no control characters other than newline")
    separator = note.rfind("\n\n")
    if separator < 0 or not note.endswith("\n"):
        raise MalformedNote("a signed note is a text, a blank line, then signature lines")
    text, signatures = note[: separator + 1], note[separator + 2 :]
    # Split at U+000A only: str.splitlines would also break a line at U+2028 and the like.
    lines = signatures[:-1].split("\n") if signatures else []
    if not lines or len(lines) > MAX_SIGNATURES:
        raise MalformedNote(
            f"a signed note carries 1 to {MAX_SIGNATURES} signatures, not {len(lines)}"
        )
    return SignedNote(text, tuple(parse_signature(line) for line in lines))


def verify_note(note: str, keys: Sequence[VerifierKey]) -> SignedNote:
    """The note, once a signature from a known key verifies and none from a known key fails.

    Signatures from unknown keys are ignored; a failed signature from a known key rejects the
    whole note (C2SP signed-note, "Signatures").
    """
    parsed = parse_note(note)
    known = {(key.name, key.key_id): key for key in keys}
    verified = False
    for signature in parsed.signatures:
        key = known.get((signature.name, signature.key_id))
        if key is None:
            continue
        try:
            key.public_key.verify(signature.signature, parsed.text.encode())
        except InvalidSignature:
            raise BadSignature(
                f"the signature of {signature.name} (key {signature.key_id.hex()}) does not "
                "verify: the note was altered or signed by another key"
            ) from None
        verified = True
    if not verified:
        signers = ", ".join(f"{s.name}+{s.key_id.hex()}" for s in parsed.signatures)
        raise UnknownKey(f"the note is signed by no known key (signed by {signers})")
    return parsed


def parse_checkpoint(text: str) -> Checkpoint:
    """Read a checkpoint body: origin, size, base64 root, extension lines (C2SP tlog-checkpoint)."""
    if not text.endswith("\n"):
        raise MalformedCheckpoint("a checkpoint's text ends with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise MalformedCheckpoint(
            "a checkpoint is at least three non-empty lines: origin, size, root"
        )
    origin, size, root, *extensions = lines
    if not _SIZE.fullmatch(size):
        raise MalformedCheckpoint(f"tree size {size!r} is not a decimal without leading zeros")
    digest = _b64decode(root, "the checkpoint's root hash")
    if len(digest) != HASH_SIZE:
        raise MalformedCheckpoint(f"the root hash has {len(digest)} bytes, not {HASH_SIZE}")
    return Checkpoint(origin, int(size), digest, tuple(extensions))


def open_checkpoint(
    note: str, keys: Sequence[VerifierKey], origin: str | None = None
) -> Checkpoint:
    """The checkpoint in a signed note, after its signature and (if given) its origin check out."""
    checkpoint = parse_checkpoint(verify_note(note, keys).text)
    if origin is not None and checkpoint.origin != origin:
        raise WrongOrigin(f"the checkpoint is of log {checkpoint.origin!r}, not {origin!r}")
    return checkpoint


def parse_signature(line: str) -> NoteSignature:
    """One signature line without its newline: `— <name> base64(4-byte key ID || signature)`."""
    if not line.startswith(SIGNATURE_PREFIX):
        raise MalformedNote(
            f"signature line {line!r:.80} does not start with an em dash and a space"
        )
    fields = line[len(SIGNATURE_PREFIX) :].split(" ")
    if len(fields) != 2:
        raise MalformedNote(f"signature line {line!r:.80} is not '— <name> <signature>'")
    name, encoded = fields
    require_key_name(name)
    raw = _b64decode(encoded, f"the signature of {name}")
    if len(raw) <= 4:
        raise MalformedNote(
            f"the signature of {name} is too short to hold a key ID and a signature"
        )
    return NoteSignature(name, raw[:4], raw[4:])


def _require_text(text: str) -> None:
    if not text or not text.endswith("\n") or "\n\n" in text or _CONTROL.search(text):
        raise MalformedNote(
            "a note text is non-empty, ends with a newline, and holds no blank line "
            "or control characters"
        )


def require_key_name(name: str) -> None:
    """A key name is non-empty and holds no space, newline or "+" (C2SP signed-note)."""
    if not name or "+" in name or any(character.isspace() for character in name):
        raise MalformedNote(f"key name {name!r} must be non-empty, without spaces or '+'")


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedNote(f"{what} is not standard base64") from None


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
