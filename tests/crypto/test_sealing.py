"""Sealed items: ZTDF round trips, and every way opening fails closed with a specific error."""

from __future__ import annotations

import io
import json
import os
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest

from gsomia.core.labels import Label
from gsomia.crypto import binding
from gsomia.crypto.keys import KeyRecord, KeyRing, Purpose, Status
from gsomia.crypto.sealing import Opened, open_sealed, seal
from gsomia.errors import (
    KeyUnavailable,
    LabelAltered,
    ManifestAltered,
    NotARecipient,
    OpenError,
    PayloadAltered,
    PayloadTruncated,
    SegmentsReordered,
    UnknownSigner,
)
from gsomia.formats import ztdf
from gsomia.formats.stanag4774 import LabelStatement
from gsomia.store import files
from tests.conftest import BUILTIN, SEALED_MANIFESTS
from tests.keyrings import NOW, PASSPHRASE, recipient, ring_for

LABEL = Label("KOR", BUILTIN.scheme("KOR").read("II"), "nk-missile", "early warning")
SEGMENT = 1024


def sealed(
    tmp_path: Path,
    rings,
    data: bytes,
    *,
    to=("JPN",),
    purpose=Purpose.WRAPPED,
    segment=SEGMENT,
    name="item.tdf",
):
    kor = rings["KOR"]
    path = tmp_path / name
    with files.output(path) as out:
        seal(
            io.BytesIO(data),
            out,
            label=LABEL,
            recipients=[recipient(kor, party, purpose) for party in to],
            sealed_by="KOR",
            signer=kor.signing(),
            now=NOW,
            segment_size=segment,
        )
    return path


def open_path(path: Path, ring: KeyRing, destination: Path | None) -> Opened:
    """Open as the node does: from a checked input into an unnamed file, linked on success."""
    with files.open_input(path) as source:
        if destination is None:
            return open_sealed(source, None, ring)
        with files.output(destination) as out:
            return open_sealed(source, out, ring, private_destination=True)


def entries(path: Path) -> tuple[dict[str, Any], bytes]:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read(ztdf.MANIFEST)), archive.read(ztdf.PAYLOAD)


def rewrite(path: Path, manifest: dict[str, Any], payload: bytes) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(ztdf.PAYLOAD, payload)
        archive.writestr(ztdf.MANIFEST, json.dumps(manifest))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("size", [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 5 * SEGMENT + 17])
@pytest.mark.parametrize("purpose", [Purpose.WRAPPED, Purpose.EC_WRAPPED])
def test_round_trip_for_every_size_and_key_type(tmp_path, rings, size, purpose):
    data = os.urandom(size)
    path = sealed(tmp_path, rings, data, purpose=purpose)
    opened = open_path(path, rings["JPN"], tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == data
    assert opened.plaintext_size == size
    assert (opened.sealed_by, opened.label.to_label(BUILTIN.schemes)) == ("KOR", LABEL)
    assert opened.signer.startswith("kor-sign-")


def test_one_key_access_object_per_recipient_and_each_opens(tmp_path, rings):
    path = sealed(tmp_path, rings, b"secret", to=("JPN", "USA"))
    manifest, _ = entries(path)
    assert [k["url"] for k in manifest["encryptionInformation"]["keyAccess"]] == [
        "urn:gsomia:party:JPN",
        "urn:gsomia:party:USA",
    ]
    for party in ("JPN", "USA"):
        open_path(path, rings[party], tmp_path / party)
        assert (tmp_path / party).read_bytes() == b"secret"


def test_the_manifest_validates_against_the_opentdf_schema(tmp_path, rings):
    before = len(SEALED_MANIFESTS)
    sealed(tmp_path, rings, b"x")
    assert len(SEALED_MANIFESTS) == before + 1  # the autouse fixture validated it
    manifest = SEALED_MANIFESTS[-1]
    assert manifest["schemaVersion"] == "4.3.0"
    assert "tdf_spec_version" not in manifest["payload"]
    assert manifest["encryptionInformation"]["method"]["algorithm"] == "AES-256-GCM"
    assert (
        manifest["assertions"][0]["statement"]["schema"]
        == "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0"
    )
    assert manifest["assertions"][0]["binding"]["method"] == "jws"


def test_a_party_not_addressed_is_not_a_recipient(tmp_path, rings):
    path = sealed(tmp_path, rings, b"x", to=("JPN",))
    with pytest.raises(NotARecipient, match="sealed for JPN, not for USA"):
        open_path(path, rings["USA"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_key_unknown_here_cannot_open(tmp_path, rings, records):
    path = sealed(tmp_path, rings, b"x")
    other = [
        r for r in rings["JPN"].records() if r.purpose is not Purpose.WRAPPED or r.party != "JPN"
    ]
    with pytest.raises(KeyUnavailable, match="not one of this node's keys"):
        open_path(path, KeyRing("JPN", other, PASSPHRASE), tmp_path / "out")


def test_a_key_rotated_out_cannot_open(tmp_path, rings):
    path = sealed(tmp_path, rings, b"x")
    destroyed = [
        KeyRecord(
            r.kid, r.party, r.purpose, r.public_pem, None, Status.DESTROYED, r.created_at, NOW
        )
        if r.party == "JPN" and r.purpose is Purpose.WRAPPED
        else r
        for r in rings["JPN"].records()
    ]
    with pytest.raises(KeyUnavailable, match="rotated out"):
        open_path(path, KeyRing("JPN", destroyed, PASSPHRASE), tmp_path / "out")


def test_a_retired_key_still_opens(tmp_path, rings):
    path = sealed(tmp_path, rings, b"still readable")
    retired = [
        KeyRecord(
            r.kid,
            r.party,
            r.purpose,
            r.public_pem,
            r.private_pem,
            Status.RETIRED,
            r.created_at,
            NOW,
        )
        for r in rings["JPN"].records()
    ]
    open_path(path, KeyRing("JPN", retired, PASSPHRASE), tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == b"still readable"


def test_an_altered_payload_segment_is_refused(tmp_path, rings):
    path = sealed(tmp_path, rings, os.urandom(3 * SEGMENT))
    manifest, payload = entries(path)
    flipped = bytearray(payload)
    flipped[SEGMENT + 100] ^= 0x01
    rewrite(path, manifest, bytes(flipped))
    with pytest.raises(PayloadAltered, match="segment 1 was altered"):
        open_path(path, rings["JPN"], tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert leftovers(tmp_path) == []


def test_reordered_segments_are_refused(tmp_path, rings):
    path = sealed(tmp_path, rings, os.urandom(3 * SEGMENT))
    manifest, payload = entries(path)
    size = SEGMENT + 28
    first, second, rest = payload[:size], payload[size : 2 * size], payload[2 * size :]
    rewrite(path, manifest, second + first + rest)
    with pytest.raises(SegmentsReordered, match="segment 0 holds segment 1's data"):
        open_path(path, rings["JPN"], tmp_path / "out")


def test_a_truncated_payload_is_refused(tmp_path, rings):
    path = sealed(tmp_path, rings, os.urandom(3 * SEGMENT))
    manifest, payload = entries(path)
    rewrite(path, manifest, payload[:-10])
    with pytest.raises(PayloadTruncated):
        open_path(path, rings["JPN"], tmp_path / "out")


def test_dropping_the_last_segment_from_payload_and_manifest_is_refused(tmp_path, rings):
    path = sealed(tmp_path, rings, os.urandom(3 * SEGMENT))
    manifest, payload = entries(path)
    manifest["encryptionInformation"]["integrityInformation"]["segments"].pop()
    rewrite(path, manifest, payload[: 2 * (SEGMENT + 28)])
    with pytest.raises(ManifestAltered):
        open_path(path, rings["JPN"], tmp_path / "out")


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m["payload"].__setitem__("mimeType", "text/plain"),
        lambda m: m["encryptionInformation"].__setitem__(
            "policy", m["encryptionInformation"]["policy"][:-4] + "AAA="
        ),
        lambda m: m["encryptionInformation"]["keyAccess"][0].__setitem__(
            "url", "urn:gsomia:party:JPN "
        ),
    ],
    ids=["manifest", "policy", "key-access"],
)
def test_an_altered_manifest_or_policy_is_refused(tmp_path, rings, change):
    path = sealed(tmp_path, rings, b"x")
    manifest, payload = entries(path)
    change(manifest)
    rewrite(path, manifest, payload)
    with pytest.raises(OpenError) as error:
        open_path(path, rings["JPN"], tmp_path / "out")
    assert isinstance(error.value, ManifestAltered | NotARecipient)


def test_a_policy_swapped_with_a_re_signed_manifest_breaks_the_key_binding(tmp_path, rings):
    """Even a manifest re-signed by a known party cannot carry a policy its key was not bound to."""
    path = sealed(tmp_path, rings, b"x")
    manifest, payload = entries(path)
    manifest["encryptionInformation"]["policy"] = "eyJib2R5Ijp7fX0="
    unsigned = ztdf.parse_manifest({k: v for k, v in manifest.items() if k != "assertions"})
    statement = LabelStatement.from_label(LABEL, NOW)
    resigned = binding.bind(unsigned, statement, "KOR", rings["KOR"].signing())
    rewrite(path, resigned.document(), payload)
    with pytest.raises(ManifestAltered, match="policy does not match its binding"):
        open_path(path, rings["JPN"], tmp_path / "out")


def test_an_altered_label_is_refused(tmp_path, rings):
    path = sealed(tmp_path, rings, b"x")
    manifest, payload = entries(path)
    statement = manifest["assertions"][0]["statement"]
    value = json.loads(statement["value"])
    value["ConfidentialityInformation"]["Classification"] = "UNCLASSIFIED"
    statement["value"] = json.dumps(value)
    rewrite(path, manifest, payload)
    with pytest.raises(LabelAltered, match="changed after it was signed"):
        open_path(path, rings["JPN"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_altered_label_binding_is_refused(tmp_path, rings):
    path = sealed(tmp_path, rings, b"x")
    manifest, payload = entries(path)
    token = manifest["assertions"][0]["binding"]["signature"]
    manifest["assertions"][0]["binding"]["signature"] = token[:-6] + (
        "AAAAAA" if token[-6:] != "AAAAAA" else "BBBBBB"
    )
    rewrite(path, manifest, payload)
    with pytest.raises(LabelAltered):
        open_path(path, rings["JPN"], tmp_path / "out")


def test_a_signature_by_an_unknown_originator_is_refused(tmp_path, rings, records):
    path = sealed(tmp_path, rings, b"x")
    stranger = ring_for("JPN", records, drop=("KOR",))
    with pytest.raises(UnknownSigner, match="belongs to no known party"):
        open_path(path, stranger, tmp_path / "out")


def test_opening_runs_in_constant_memory(tmp_path, rings):
    """64 MiB in 1 MiB segments: memory stays near a few segments, not the item's size."""

    class Zeros(io.RawIOBase):
        def __init__(self, size):
            self.left = size

        def readable(self):
            return True

        def readinto(self, buffer):
            n = min(len(buffer), self.left)
            buffer[:n] = bytes(n)
            self.left -= n
            return n

    size, segment = 64 * 1024 * 1024, 1024 * 1024
    tracemalloc.start()
    path = sealed(tmp_path, rings, b"", segment=segment)  # warm the key caches
    tracemalloc.reset_peak()
    kor = rings["KOR"]
    with files.output(path) as out:
        seal(
            io.BufferedReader(Zeros(size)),
            out,
            label=LABEL,
            recipients=[recipient(kor, "JPN")],
            sealed_by="KOR",
            signer=kor.signing(),
            now=NOW,
            segment_size=segment,
        )
    sealing_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    opened = open_path(path, rings["JPN"], None)
    opening_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert opened.plaintext_size == size
    assert sealing_peak < 8 * segment
    assert opening_peak < 8 * segment


def test_opening_to_a_stream_delivers_the_plaintext(tmp_path, rings):
    data = os.urandom(4 * SEGMENT + 3)
    stream = io.BytesIO()
    with files.open_input(sealed(tmp_path, rings, data)) as source:
        opened = open_sealed(source, stream, rings["JPN"])
    assert stream.getvalue() == data
    assert opened.plaintext_size == len(data)


def test_opening_to_a_stream_writes_nothing_until_every_segment_verified(tmp_path, rings):
    """A consumer of standard output never receives a byte of an item that fails later."""
    path = sealed(tmp_path, rings, os.urandom(4 * SEGMENT))
    manifest, payload = entries(path)
    flipped = bytearray(payload)
    flipped[-20] ^= 0x01  # inside the last segment's ciphertext
    rewrite(path, manifest, bytes(flipped))
    stream = io.BytesIO()
    with files.open_input(path) as source, pytest.raises(PayloadAltered, match="segment 3"):
        open_sealed(source, stream, rings["JPN"])
    assert stream.getvalue() == b""


def test_the_sealed_label_is_the_4774_statement_of_the_core_label(tmp_path, rings):
    path = sealed(tmp_path, rings, b"x")
    manifest, _ = entries(path)
    value = json.loads(manifest["assertions"][0]["statement"]["value"])
    assert value["ConfidentialityInformation"]["Classification"] == "군사Ⅱ급비밀"
    assert value["CreationTime"] == "2026-11-30T00:00:00Z"
    policy = ztdf.Policy.decode(manifest["encryptionInformation"]["policy"])
    assert policy.body.attributes() == ztdf.policy_attributes(LABEL)
