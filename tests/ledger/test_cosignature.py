"""C2SP tlog-cosignature/v1 with Ed25519: published vectors reproduced byte for byte, the
signed message recomputed from the spec's text, and every way a cosignature is refused."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gsomia.ledger.checkpoint import (
    Checkpoint,
    VerifierKey,
    open_checkpoint,
    sign_checkpoint,
)
from gsomia.ledger.cosignature import (
    Cosignature,
    WitnessKey,
    add_cosignatures,
    cosign,
    parse_cosignature,
    verify_cosignature,
)
from gsomia.ledger.errors import (
    BadSignature,
    MalformedCheckpoint,
    MalformedCosignature,
    MalformedNote,
    NotCosigned,
    UnknownKey,
)
from gsomia.ledger.merkle import leaf_hash

# sigsum-go (pkg/checkpoint/checkpoint_test.go, TestCheckpointCosignVerify and
# TestCheckpointVerifyCosignatureByKey), the Go implementation of the Sigsum witness protocol
# that C2SP tlog-witness comes from: the Ed25519 key whose seed is 17 followed by 31 zero bytes
# cosigns, as "example.org/witness" at time 1234, the checkpoint below, giving this line.
SIGSUM_SEED = bytes([17]) + bytes(31)
SIGSUM_CHECKPOINT = Checkpoint("example.org/log", 10, bytes([28, 14, 71]) + bytes(29))
SIGSUM_WITNESS = "example.org/witness"
SIGSUM_LINE = (
    "— example.org/witness ys8uUAAAAAAAAATSftMzceM8zssdZ9jin9SjwIxzx9iADMf63VqirX2hafol9Rs"
    "qNqbofIz0LVRqHXI2kpEBSki5RTXFtxz1vo9+Cg==\n"
)
# The same test's decoys: another key ID, another name (both to be ignored).
SIGSUM_OTHER_ID = (
    "— example.org/witness yX8uUAAAAAAAAATSftMzceM8zssdZ9jin9SjwIxzx9iADMf63VqirX2hafol9Rs"
    "qNqbofIz0LVRqHXI2kpEBSki5RTXFtxz1vo9+Cg==\n"
)
SIGSUM_OTHER_NAME = (
    "— example.org/witness-2 ys8uUAAAAAAAAATSftMzceM8zssdZ9jin9SjwIxzx9iADMf63VqirX2hafol9Rs"
    "qNqbofIz0LVRqHXI2kpEBSki5RTXFtxz1vo9+Cg==\n"
)
# The example of C2SP tlog-cosignature itself: a cosignature line, and the time line of the
# message it signs ("time 1679315147"); the witness's key is not published.
SPEC_LINE = (
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJs"
    "X3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
# transparency-dev/formats (note/note_cosigv1_test.go): a cosignature at 1727964367, a plain
# Ed25519 note signature that is no cosignature, and a witness's published vkey (type 0x04).
TRANSPARENCY_DEV_COSIGNATURE = (
    "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFi"
    "EBYJXORmnFBOBA=="
)
TRANSPARENCY_DEV_NOTE_SIGNATURE = (
    "eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY="
)
REMORA_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
# golang.org/x/mod/sumdb/note's example verifier key: a log key (type 0x01).
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"

ORIGIN = "gsomia/KOR"
WITNESS = "gsomia/JPN/witness"
TIME = 1_574_413_200
CHECKPOINT = Checkpoint(ORIGIN, 42, leaf_hash(b"the root of some tree"))


@pytest.fixture(scope="module")
def log_signer() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def witness_signer() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def witness(witness_signer: Ed25519PrivateKey) -> WitnessKey:
    return WitnessKey(WITNESS, witness_signer.public_key())


@pytest.fixture(scope="module")
def note(log_signer: Ed25519PrivateKey) -> str:
    return sign_checkpoint(CHECKPOINT, log_signer, ORIGIN)


def sigsum_signer() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(SIGSUM_SEED)


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_cosigning_reproduces_the_sigsum_reference_line_byte_for_byte():
    """Ed25519 is deterministic (RFC 8032): same key, checkpoint and time, same line."""
    line = cosign(SIGSUM_CHECKPOINT.text(), sigsum_signer(), SIGSUM_WITNESS, 1234)
    assert line == SIGSUM_LINE


def test_the_sigsum_reference_line_verifies_beside_its_decoys():
    key = WitnessKey(SIGSUM_WITNESS, sigsum_signer().public_key())
    unsigned = SIGSUM_CHECKPOINT.text() + "\n" + SIGSUM_OTHER_ID + SIGSUM_OTHER_NAME
    assert verify_cosignature(unsigned + SIGSUM_LINE, key) == 1234
    with pytest.raises(NotCosigned, match=r"no cosignature of example\.org/witness"):
        verify_cosignature(unsigned, key)


def test_the_line_is_recomputed_from_the_spec_text(witness_signer, note):
    """C2SP tlog-cosignature, written out independently: key ID = SHA-256(name || "\\n" ||
    0x04 || public key)[:4]; value = key ID || u64 big-endian timestamp || Ed25519 signature
    over "cosignature/v1\\ntime <timestamp>\\n" followed by the whole checkpoint body."""
    line = cosign(note, witness_signer, WITNESS, TIME)
    prefix = f"\u2014 {WITNESS} "
    assert line.startswith(prefix)
    assert line.endswith("\n")
    value = base64.b64decode(line[len(prefix) : -1], validate=True)
    assert len(value) == 4 + 8 + 64
    assert (
        value[:4] == hashlib.sha256(WITNESS.encode() + b"\n\x04" + raw(witness_signer)).digest()[:4]
    )
    assert value[4:12] == TIME.to_bytes(8, "big")
    body = f"{ORIGIN}\n42\n{base64.b64encode(CHECKPOINT.root).decode()}\n"
    message = b"cosignature/v1\ntime 1574413200\n" + body.encode()
    witness_signer.public_key().verify(value[12:], message)  # raises if it does not verify


def test_the_spec_example_carries_its_time_after_the_key_id():
    """The example line of C2SP tlog-cosignature signs the message whose time line is
    "time 1679315147": the 8 bytes after the key ID are that time, big-endian."""
    cosignature = parse_cosignature(SPEC_LINE)
    assert cosignature.name == "witness.example.com/w1"
    assert cosignature.key_id.hex() == "8d66cf3f"
    assert cosignature.timestamp == 1679315147
    assert len(cosignature.signature) == 64
    assert cosignature.line() == SPEC_LINE


def test_a_published_cosignature_reads_its_time_and_a_note_signature_is_no_cosignature():
    cosignature = parse_cosignature(f"— w {TRANSPARENCY_DEV_COSIGNATURE}")
    assert cosignature.timestamp == 1727964367
    with pytest.raises(MalformedCosignature, match="64 bytes after its key ID, not the 72"):
        parse_cosignature(f"— w {TRANSPARENCY_DEV_NOTE_SIGNATURE}")


def test_a_published_witness_vkey_reads_and_writes_back():
    key = WitnessKey.from_vkey(REMORA_VKEY)
    assert key.name == "remora.n621.de"
    assert key.key_id.hex() == "da77ade7"
    assert key.vkey() == REMORA_VKEY


def test_witness_keys_and_log_keys_are_never_taken_for_each_other(witness):
    """Type 0x04 for cosigners, 0x01 for note signers: the vkey says which a key is for."""
    with pytest.raises(MalformedNote, match="type 0x04"):
        WitnessKey.from_vkey(GO_VERIFIER)
    with pytest.raises(MalformedNote, match="type 0x01"):
        VerifierKey.from_vkey(REMORA_VKEY)
    assert VerifierKey(witness.name, witness.public_key).key_id != witness.key_id


def test_a_vkey_whose_key_id_does_not_match_its_key_is_refused(witness):
    name, _, key = witness.vkey().split("+", 2)
    with pytest.raises(MalformedNote, match="does not match its key"):
        WitnessKey.from_vkey(f"{name}+00000000+{key}")


def test_a_cosigned_note_still_opens_with_the_logs_key_and_verifies_with_the_witness(
    log_signer, witness_signer, witness, note
):
    cosigned = add_cosignatures(note, cosign(note, witness_signer, WITNESS, TIME))
    assert open_checkpoint(cosigned, [VerifierKey(ORIGIN, log_signer.public_key())]) == CHECKPOINT
    assert verify_cosignature(cosigned, witness) == TIME


def test_a_cosignature_never_passes_for_the_logs_own_signature(witness_signer, witness):
    """A witness key pinned by mistake as the log's key still does not open the checkpoint:
    the key IDs differ (0x04, 0x01), and so do the signed messages."""
    only_cosigned = (
        CHECKPOINT.text() + "\n" + cosign(CHECKPOINT.text(), witness_signer, WITNESS, TIME)
    )
    with pytest.raises(UnknownKey):
        open_checkpoint(only_cosigned, [VerifierKey(WITNESS, witness.public_key)])


def test_the_body_and_the_signed_note_give_the_same_line(witness_signer, note):
    assert cosign(note, witness_signer, WITNESS, TIME) == cosign(
        CHECKPOINT.text(), witness_signer, WITNESS, TIME
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("\n42\n", "\n43\n"),  # the size
        ("gsomia/KOR\n", "gsomia/KOR2\n"),  # the origin
    ],
)
def test_a_cosignature_of_an_altered_checkpoint_fails(witness_signer, witness, note, old, new):
    cosigned = add_cosignatures(note, cosign(note, witness_signer, WITNESS, TIME))
    with pytest.raises(BadSignature, match="does not verify"):
        verify_cosignature(cosigned.replace(old, new, 1), witness)


def test_a_cosignature_covers_the_extension_lines(witness_signer, witness):
    """C2SP tlog-cosignature: extension lines, if present, MUST be in the signed message."""
    extended = Checkpoint(ORIGIN, 42, CHECKPOINT.root, ("extension one",)).text()
    cosigned = extended + "\n" + cosign(extended, witness_signer, WITNESS, TIME)
    assert verify_cosignature(cosigned, witness) == TIME
    with pytest.raises(BadSignature):
        verify_cosignature(cosigned.replace("extension one", "extension two"), witness)


def test_a_cosignature_moved_to_another_time_fails(witness_signer, witness, note):
    line = parse_cosignature(cosign(note, witness_signer, WITNESS, TIME))
    later = Cosignature(line.name, line.key_id, TIME + 1, line.signature).line()
    with pytest.raises(BadSignature, match=f"at time {TIME + 1} does not verify"):
        verify_cosignature(add_cosignatures(note, later), witness)


def test_a_cosignature_by_another_key_under_the_witness_name_is_no_cosignature(witness, note):
    forged = cosign(note, Ed25519PrivateKey.generate(), WITNESS, TIME)
    with pytest.raises(NotCosigned, match=f"no cosignature of {WITNESS}"):
        verify_cosignature(add_cosignatures(note, forged), witness)


def test_of_several_cosignatures_of_one_key_the_latest_time_counts_and_all_must_verify(
    witness_signer, witness, note
):
    lines = [cosign(note, witness_signer, WITNESS, time) for time in (TIME, TIME + 60)]
    assert verify_cosignature(add_cosignatures(note, "".join(lines)), witness) == TIME + 60
    line = parse_cosignature(lines[1])
    broken = Cosignature(line.name, line.key_id, TIME + 61, line.signature).line()
    with pytest.raises(BadSignature):
        verify_cosignature(add_cosignatures(note, lines[0] + broken), witness)


def test_a_line_of_the_witness_key_that_is_no_cosignature_rejects_the_note(witness, note):
    short = Cosignature(witness.name, witness.key_id, TIME, bytes(63)).line()
    with pytest.raises(MalformedCosignature, match="71 bytes"):
        verify_cosignature(add_cosignatures(note, short), witness)


def test_a_time_beyond_the_63_bit_range_is_malformed(witness, note):
    line = f"— {WITNESS} " + base64.b64encode(witness.key_id + b"\x80" + bytes(71)).decode()
    with pytest.raises(MalformedCosignature, match="beyond 2\\*\\*63 - 1"):
        parse_cosignature(line)


@pytest.mark.parametrize("time", [0, -1, 2**63])
def test_cosigning_refuses_a_time_outside_1_to_2_63_minus_1(witness_signer, note, time):
    with pytest.raises(ValueError, match="1 to 2\\*\\*63 - 1"):
        cosign(note, witness_signer, WITNESS, time)


@pytest.mark.parametrize(
    "text",
    ["just a note\n", "gsomia/KOR\n42\nAAAA\n", "gsomia/KOR\n42\n"],
)
def test_only_checkpoints_are_cosigned(witness_signer, text):
    with pytest.raises(MalformedCheckpoint):
        cosign(text, witness_signer, WITNESS, TIME)


@pytest.mark.parametrize("name", ["", "with space", "a+b"])
def test_a_witness_name_follows_the_key_name_rules(witness_signer, note, name):
    with pytest.raises(MalformedNote, match="key name"):
        cosign(note, witness_signer, name, TIME)


@pytest.mark.parametrize(
    "lines",
    [
        "",  # nothing to add
        "— w AAAA",  # no newline
        "\n— w AAAAAAAA\n",  # an empty line first: the lines would become part of the text
        "not a signature\n",
        "— w AAAAAAAA\n\n",
        "— w AAAA\x00AAAA\n",
    ],
)
def test_only_signature_lines_are_added_to_a_note(note, lines):
    with pytest.raises(MalformedNote):
        add_cosignatures(note, lines)


def test_adding_cosignatures_keeps_the_note_byte_for_byte(witness_signer, note):
    line = cosign(note, witness_signer, WITNESS, TIME)
    assert add_cosignatures(note, line) == note + line


@pytest.mark.parametrize("line", ["— w\tAAAA" + "A" * 100, "— w " + "A" * 100 + "\x7f"])
def test_a_cosignature_is_one_printable_line(line):
    with pytest.raises(MalformedCosignature, match="printable"):
        parse_cosignature(line)
