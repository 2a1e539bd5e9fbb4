"""C2SP tlog-checkpoint bodies in C2SP signed notes, signed and verified with Ed25519."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gsomia.ledger.checkpoint import (
    Checkpoint,
    VerifierKey,
    key_id,
    open_checkpoint,
    parse_checkpoint,
    parse_note,
    sign_checkpoint,
    sign_note,
    verify_note,
)
from gsomia.ledger.errors import (
    BadSignature,
    MalformedCheckpoint,
    MalformedNote,
    UnknownKey,
    WrongOrigin,
)
from gsomia.ledger.merkle import EMPTY_ROOT, leaf_hash

# The example of golang.org/x/mod/sumdb/note, the reference implementation of signed notes:
# its signer key (0x01 || Ed25519 seed), verifier key, text, and the note it signs.
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT
    + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)

ORIGIN = "gsomia/KOR"
ROOT = leaf_hash(b"the root of some tree")


@pytest.fixture(scope="module")
def signer() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def verifier(signer: Ed25519PrivateKey) -> VerifierKey:
    return VerifierKey(ORIGIN, signer.public_key())


def go_signer() -> Ed25519PrivateKey:
    seed = base64.b64decode(GO_SIGNER.split("+", 4)[4])
    assert seed[:1] == b"\x01"
    return Ed25519PrivateKey.from_private_bytes(seed[1:])


def test_signing_reproduces_the_reference_note_byte_for_byte():
    """Ed25519 is deterministic (RFC 8032): same key, same text, same signed note."""
    assert sign_note(GO_TEXT, go_signer(), "PeterNeumann").render() == GO_NOTE


def test_key_ids_and_verifier_keys_follow_the_signed_note_spec():
    """key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4]; vkey = name+id+base64(0x01||key)."""
    verifier = VerifierKey("PeterNeumann", go_signer().public_key())
    assert key_id("PeterNeumann", go_signer().public_key()).hex() == "c74f20a3"
    assert verifier.vkey() == GO_VERIFIER
    assert VerifierKey.from_vkey(GO_VERIFIER).vkey() == GO_VERIFIER


def test_the_reference_note_verifies_and_an_altered_one_does_not():
    verifier = VerifierKey.from_vkey(GO_VERIFIER)
    assert verify_note(GO_NOTE, [verifier]).text == GO_TEXT
    with pytest.raises(BadSignature, match="PeterNeumann"):
        verify_note(GO_NOTE.replace("cryptography", "cryptographY"), [verifier])


def test_a_checkpoint_body_is_origin_size_and_base64_root():
    """C2SP tlog-checkpoint: three lines, then optional extension lines."""
    checkpoint = Checkpoint(ORIGIN, 1234, EMPTY_ROOT)
    assert checkpoint.text() == "gsomia/KOR\n1234\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    extended = Checkpoint(ORIGIN, 0, EMPTY_ROOT, ("extension",))
    assert parse_checkpoint(extended.text()) == extended


def test_a_signed_checkpoint_opens_with_the_nodes_key(signer, verifier):
    note = sign_checkpoint(Checkpoint(ORIGIN, 42, ROOT), signer, ORIGIN)
    text, signature = note.split("\n\n")
    assert text == f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}"
    assert signature.startswith(f"\u2014 {ORIGIN} ")
    assert open_checkpoint(note, [verifier], ORIGIN) == Checkpoint(ORIGIN, 42, ROOT)
    assert open_checkpoint(note, [VerifierKey.from_vkey(verifier.vkey())]).size == 42


def test_a_tampered_checkpoint_fails_its_signature(signer, verifier):
    note = sign_checkpoint(Checkpoint(ORIGIN, 42, ROOT), signer, ORIGIN)
    with pytest.raises(BadSignature, match="does not verify"):
        open_checkpoint(note.replace("\n42\n", "\n43\n"), [verifier])


def test_a_checkpoint_signed_by_another_key_under_the_same_name_is_unknown(verifier):
    forged = sign_checkpoint(Checkpoint(ORIGIN, 42, ROOT), Ed25519PrivateKey.generate(), ORIGIN)
    with pytest.raises(UnknownKey, match="signed by no known key"):
        open_checkpoint(forged, [verifier])


def test_a_checkpoint_signed_by_an_unknown_name_is_unknown(signer, verifier):
    note = sign_checkpoint(Checkpoint(ORIGIN, 42, ROOT), signer, "gsomia/JPN")
    with pytest.raises(UnknownKey):
        open_checkpoint(note, [verifier])


def test_signatures_of_unknown_keys_are_ignored_beside_a_known_one(signer, verifier):
    """C2SP signed-note: verifiers MUST ignore signatures from unknown keys."""
    text = Checkpoint(ORIGIN, 42, ROOT).text()
    witness = sign_note(text, Ed25519PrivateKey.generate(), "witness.example/w1").signatures
    ours = sign_note(text, signer, ORIGIN).signatures
    note = type(sign_note(text, signer, ORIGIN))(text, (*witness, *ours)).render()
    assert open_checkpoint(note, [verifier]).root == ROOT


def test_a_checkpoint_of_another_log_is_refused(signer, verifier):
    note = sign_checkpoint(Checkpoint("gsomia/JPN", 42, ROOT), signer, ORIGIN)
    with pytest.raises(WrongOrigin, match="'gsomia/JPN', not 'gsomia/KOR'"):
        open_checkpoint(note, [verifier], ORIGIN)


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("gsomia/KOR\n1\nroot\n", "blank line"),
        ("gsomia/KOR\n1\n\n- gsomia/KOR AAAAAAAA\n", "em dash"),
        ("gsomia/KOR\n1\n\n— gsomia/KOR not*base64\n", "base64"),
        ("gsomia/KOR\n1\n\n— gsomia/KOR AAAA\n", "too short"),
        ("gsomia/KOR\n1\n\n— gsomia/KOR\n", "'— <name> <signature>'"),
        ("gsomia/KOR\t\n1\n\n— gsomia/KOR AAAAAAAA\n", "control characters"),
        ("gsomia/KOR\n1\n\n— gsomia+KOR AAAAAAAA\n", "without spaces or '\\+'"),
    ],
)
def test_malformed_notes_say_what_is_wrong(note, message):
    with pytest.raises(MalformedNote, match=message):
        parse_note(note)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gsomia/KOR\n1\n", "three non-empty lines"),
        ("gsomia/KOR\n01\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "leading zeros"),
        ("gsomia/KOR\n-1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "decimal"),
        ("gsomia/KOR\n1\nAAAA\n", "3 bytes, not 32"),
        ("gsomia/KOR\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "ends with a newline"),
    ],
)
def test_malformed_checkpoints_say_what_is_wrong(text, message):
    with pytest.raises(MalformedCheckpoint, match=message):
        parse_checkpoint(text)


def test_a_verifier_key_whose_id_does_not_match_its_key_is_refused():
    name, _, encoded = GO_VERIFIER.split("+", 2)
    with pytest.raises(MalformedNote, match="does not match its key"):
        VerifierKey.from_vkey(f"{name}+00000000+{encoded}")


def test_texts_that_cannot_be_signed_are_refused(signer):
    for text in ("", "no final newline", "a\n\nblank line\n"):
        with pytest.raises(MalformedNote):
            sign_note(text, signer, ORIGIN)
    with pytest.raises(MalformedNote):
        sign_note("text\n", signer, "name with spaces")


def test_a_verifier_key_whose_base64_holds_a_plus_is_read_whole():
    """A vkey of transparency-dev/formats' tests, whose key material contains '+'."""
    vkey = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"
    assert VerifierKey.from_vkey(vkey).vkey() == vkey
