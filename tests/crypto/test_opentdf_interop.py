"""gsomia's ZTDF as the OpenTDF reference implementations read and write it.

Each rule cites where the reference implementation states it: opentdf/platform (the Go SDK,
sdk/; the key access service, service/kas/) and opentdf/spec. otdf-python (the unofficial
Python SDK, a test dependency) reads gsomia's files offline with the recipient's RSA key, and
gsomia opens otdf-python's once a recipient has bound a gsomia label to them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given
from hypothesis import strategies as st
from otdf_python.config import KASInfo, TDFConfig
from otdf_python.tdf import TDF, TDFReaderConfig

from gsomia.crypto import binding
from gsomia.crypto.keys import KeyRing, Purpose, party_url
from gsomia.crypto.sealing import adopt
from gsomia.crypto.signatures import b64url_decode, sign_jws
from gsomia.crypto.wrapping import Wrapped, unwrap
from gsomia.errors import (
    InvalidRequest,
    LabelAltered,
    ManifestAltered,
    PayloadAltered,
    Unlabelled,
)
from gsomia.formats import ztdf
from gsomia.formats.stanag4774 import LabelStatement
from gsomia.store import files
from tests.conftest import BUILTIN
from tests.crypto.test_sealing import LABEL, SEGMENT, entries, open_path, rewrite, sealed
from tests.keyrings import NOW


def rsa_private_pem(ring: KeyRing, party: str) -> str:
    record = ring.active(party, Purpose.WRAPPED)
    assert record is not None
    key = ring.private(record.kid)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def payload_key(manifest: dict[str, Any], ring: KeyRing) -> bytes:
    kao = manifest["encryptionInformation"]["keyAccess"][0]
    wrapped = Wrapped(base64.b64decode(kao["wrappedKey"]))
    return unwrap(wrapped, Purpose.WRAPPED, ring.private(kao["kid"]), kao["kid"])


def claims_of(manifest: dict[str, Any]) -> dict[str, Any]:
    label = next(a for a in manifest["assertions"] if a["id"] == binding.LABEL_ASSERTION)
    claims: dict[str, Any] = json.loads(b64url_decode(label["binding"]["signature"].split(".")[1]))
    return claims


def jcs_sha256(assertion: dict[str, Any]) -> bytes:
    """SHA-256 of an assertion without its binding in RFC 8785 form (ASCII keys, string and
    integer values): the Go SDK's `Assertion.GetHash` (sdk/assertion.go), raw."""
    unbound = {k: v for k, v in assertion.items() if k != "binding"}
    text = json.dumps(unbound, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).digest()


def relabel(manifest: dict[str, Any], ring: KeyRing) -> dict[str, Any]:
    """The manifest with its label bound again by KOR, after a test rewrote other parts."""
    unlabelled = ztdf.parse_manifest({k: v for k, v in manifest.items() if k != "assertions"})
    statement = LabelStatement.from_label(LABEL, NOW)
    return binding.bind(unlabelled, statement, "KOR", ring.signing()).document()


# 1. The policy binding ------------------------------------------------------------------


def test_the_policy_binding_is_base64_of_the_hmac_hex_string(tmp_path, rings):
    """opentdf/platform sdk/tdf.go writes `Base64Encode(hex.EncodeToString(HMAC))`, the key
    access service hex-decodes it (service/kas/access/rewrap.go `verifyPolicyBinding`), and
    opentdf/spec schema/OpenTDF/manifest.md's example is the base64 of a hex string."""
    manifest, _ = entries(sealed(tmp_path, rings, b"x"))
    key = payload_key(manifest, rings["JPN"])
    policy = manifest["encryptionInformation"]["policy"]
    mac = hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()
    kao = manifest["encryptionInformation"]["keyAccess"][0]
    assert kao["policyBinding"] == {"alg": "HS256", "hash": base64.b64encode(mac.encode()).decode()}


@given(st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32))
def test_a_policy_binding_is_read_in_either_encoding_and_only_for_its_hmac(mac, other):
    for written in (
        ztdf.policy_binding_hash(mac),
        ztdf.b64(mac),
        ztdf.b64(mac.hex().upper().encode()),
    ):
        assert ztdf.policy_binding_matches(written, mac)
        assert ztdf.policy_binding_matches(written, other) == (mac == other)
    assert not ztdf.policy_binding_matches("not base64!", mac)


def test_a_policy_changed_after_sealing_is_refused_whatever_the_binding_encoding(tmp_path, rings):
    path = sealed(tmp_path, rings, b"x")
    manifest, payload = entries(path)
    other = ztdf.Policy.of(["https://gsomia.invalid/attr/classification/value/unclassified"])
    manifest["encryptionInformation"]["policy"] = other.encode()
    rewrite(path, relabel(manifest, rings["KOR"]), payload)
    with pytest.raises(ManifestAltered, match="policy does not match its binding"):
        open_path(path, rings["JPN"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


# 2. schemaVersion, and the legacy hex encoding without it ---------------------------------


def test_the_manifest_names_its_schema_version_and_hashes_are_raw_base64(tmp_path, rings):
    """With `schemaVersion` the Go SDK reads segment hashes and the root signature as base64
    of the raw bytes; without it, as base64 of hex strings (opentdf/platform sdk/tdf.go,
    `isLegacyTDF := r.manifest.TDFVersion == ""` and `calculateSignature`)."""
    data = os.urandom(2 * SEGMENT + 5)
    manifest, payload = entries(sealed(tmp_path, rings, data))
    assert manifest["schemaVersion"] == "4.3.0"
    info = manifest["encryptionInformation"]["integrityInformation"]
    tags = [payload[end - 16 : end] for end in (SEGMENT + 28, 2 * SEGMENT + 56, len(payload))]
    assert [base64.b64decode(s["hash"]) for s in info["segments"]] == tags
    key = payload_key(manifest, rings["JPN"])
    root = hmac.new(key, b"".join(tags), hashlib.sha256).digest()
    assert base64.b64decode(info["rootSignature"]["sig"]) == root


def legacy(manifest: dict[str, Any], key: bytes, *, root_from_hex: bool = True) -> dict[str, Any]:
    """The manifest as the Go SDK writes a legacy file: no `schemaVersion`, hex hashes, and
    the root signature the hex HMAC over the concatenated hex hashes."""
    manifest = json.loads(json.dumps(manifest))
    del manifest["schemaVersion"]
    info = manifest["encryptionInformation"]["integrityInformation"]
    hexes = [base64.b64decode(s["hash"]).hex().encode() for s in info["segments"]]
    for segment, text in zip(info["segments"], hexes, strict=True):
        segment["hash"] = base64.b64encode(text).decode()
    covered = (
        b"".join(hexes) if root_from_hex else b"".join(bytes.fromhex(h.decode()) for h in hexes)
    )
    root = hmac.new(key, covered, hashlib.sha256).hexdigest().encode()
    info["rootSignature"]["sig"] = base64.b64encode(root).decode()
    return manifest


def test_a_legacy_manifest_with_hex_hashes_opens(tmp_path, rings):
    data = os.urandom(3 * SEGMENT)
    path = sealed(tmp_path, rings, data)
    manifest, payload = entries(path)
    old = relabel(legacy(manifest, payload_key(manifest, rings["JPN"])), rings["KOR"])
    assert ztdf.integrity(ztdf.parse_manifest(old)).hex_encoded
    rewrite(path, old, payload)
    open_path(path, rings["JPN"], tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == data


def test_a_legacy_root_signature_over_other_bytes_is_refused(tmp_path, rings):
    path = sealed(tmp_path, rings, b"x" * SEGMENT)
    manifest, payload = entries(path)
    key = payload_key(manifest, rings["JPN"])
    rewrite(path, relabel(legacy(manifest, key, root_from_hex=False), rings["KOR"]), payload)
    with pytest.raises(ManifestAltered, match="root signature"):
        open_path(path, rings["JPN"], tmp_path / "out")


def test_gsomias_earlier_manifests_without_schema_version_still_open(tmp_path, rings):
    """gsomia wrote raw hashes before it wrote `schemaVersion`: 16 bytes, never 32 hex digits."""
    data = os.urandom(SEGMENT + 1)
    path = sealed(tmp_path, rings, data)
    manifest, payload = entries(path)
    del manifest["schemaVersion"]
    earlier = relabel(manifest, rings["KOR"])
    assert not ztdf.integrity(ztdf.parse_manifest(earlier)).hex_encoded
    rewrite(path, earlier, payload)
    open_path(path, rings["JPN"], tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == data


# 3. assertionSig -------------------------------------------------------------------------


def test_the_label_binding_carries_assertion_hash_and_sig_as_the_go_sdk_checks_them(
    tmp_path, rings
):
    """opentdf/platform sdk/tdf.go: the reader requires the `assertionHash` and `assertionSig`
    claims (sdk/assertion.go `Verify`), with assertionHash the hex SHA-256 of the assertion's
    RFC 8785 JSON without its binding, and assertionSig base64(segment hashes ‖ that hash)."""
    manifest, payload = entries(sealed(tmp_path, rings, os.urandom(SEGMENT + 3)))
    label = manifest["assertions"][0]
    assert isinstance(label["statement"]["value"], str)  # the Go SDK hashes a string as is
    digest = jcs_sha256(label)
    claims = claims_of(manifest)
    assert claims["assertionHash"] == digest.hex()
    tags = [payload[SEGMENT + 12 : SEGMENT + 28], payload[-16:]]
    assert base64.b64decode(claims["assertionSig"]) == b"".join(tags) + digest


def signed_with(manifest: dict[str, Any], ring: KeyRing, **changes: object) -> dict[str, Any]:
    """The manifest with its label's claims changed and signed again by KOR."""
    label = manifest["assertions"][0]
    claims = {k: v for k, v in {**claims_of(manifest), **changes}.items() if v is not None}
    kid, key = ring.signing()
    label["binding"]["signature"] = sign_jws(claims, key, kid)
    return manifest


def test_a_wrong_assertion_sig_is_refused(tmp_path, rings):
    manifest, _ = entries(sealed(tmp_path, rings, b"x"))
    forged = signed_with(manifest, rings["KOR"], assertionSig=ztdf.b64(b"\0" * 48))
    with pytest.raises(ManifestAltered, match="segment hashes are not the ones"):
        binding.verify_label(forged, rings["JPN"].verifying)


def test_a_current_label_without_assertion_sig_is_refused(tmp_path, rings):
    manifest, _ = entries(sealed(tmp_path, rings, b"x"))
    forged = signed_with(manifest, rings["KOR"], assertionSig=None)
    with pytest.raises(LabelAltered, match="lacks the assertionSig claim"):
        binding.verify_label(forged, rings["JPN"].verifying)


# 4 and the tests with otdf-python ------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, SEGMENT, 5 * SEGMENT + 17])
def test_otdf_python_opens_a_gsomia_sealed_file_offline_with_the_rsa_key(tmp_path, rings, size):
    """otdf-python reads every segment's `segmentSize` and `encryptedSegmentSize`
    (otdf_python/manifest.py `ManifestSegment`), checks each segment hash as base64 of the raw
    GMAC tag (`TDF.read_payload`) and decrypts with a local RSA key (`TDF.load_tdf` with
    `kas_private_key`)."""
    data = os.urandom(size)
    tdf = sealed(tmp_path, rings, data).read_bytes()
    pem = rsa_private_pem(rings["JPN"], "JPN")
    assert TDF().load_tdf(tdf, TDFReaderConfig(kas_private_key=pem)).payload == data
    out = io.BytesIO()
    TDF().read_payload(tdf, {"kas_private_key": pem}, out)
    assert out.getvalue() == data


def otdf_sealed(tmp_path: Path, rings: dict[str, KeyRing], data: bytes) -> Path:
    """A ZTDF sealed by otdf-python for JPN's RSA key, JPN's party URL as its KAS URL."""
    record = rings["KOR"].active("JPN", Purpose.WRAPPED)
    assert record is not None
    config = TDFConfig(
        kas_info_list=[KASInfo(url=party_url("JPN"), public_key=record.public_pem, kid=record.kid)],
        default_segment_size=SEGMENT,
        attributes=["https://example.com/attr/classification/value/secret"],
    )
    _, _, stream = TDF().create_tdf(data, config)
    path = tmp_path / "otdf.tdf"
    path.write_bytes(stream.getvalue())
    return path


def test_an_otdf_python_sealed_file_without_a_gsomia_label_is_refused_as_unlabelled(
    tmp_path, rings
):
    path = otdf_sealed(tmp_path, rings, b"from a partner without gsomia")
    with pytest.raises(Unlabelled, match="carries no gsomia label"):
        open_path(path, rings["JPN"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def adopted(
    tmp_path: Path, rings: dict[str, KeyRing], source: Path, name: str = "adopted.tdf"
) -> Path:
    target = tmp_path / name
    with files.open_input(source) as stream, files.output(target) as out:
        adopt(stream, out, rings["JPN"], label=LABEL, signer=rings["JPN"].signing(), now=NOW)
    return target


def test_gsomia_opens_an_otdf_python_sealed_file_once_a_recipient_labels_it(tmp_path, rings):
    data = os.urandom(3 * SEGMENT + 100)
    path = adopted(tmp_path, rings, otdf_sealed(tmp_path, rings, data))
    opened = open_path(path, rings["JPN"], tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == data
    assert (opened.sealed_by, opened.label.to_label(BUILTIN.schemes)) == ("JPN", LABEL)
    assert opened.signer.startswith("jpn-sign-")
    # the labelled copy is still otdf-python's to read
    pem = rsa_private_pem(rings["JPN"], "JPN")
    assert TDF().load_tdf(path.read_bytes(), TDFReaderConfig(kas_private_key=pem)).payload == data


def test_a_labelled_file_is_not_labelled_again(tmp_path, rings):
    path = adopted(tmp_path, rings, otdf_sealed(tmp_path, rings, b"x"))
    with pytest.raises(InvalidRequest, match="already carries a gsomia label"):
        adopted(tmp_path, rings, path, name="again.tdf")
    assert not (tmp_path / "again.tdf").exists()


def test_a_file_this_party_cannot_open_is_not_labelled(tmp_path, rings):
    path = otdf_sealed(tmp_path, rings, b"x" * SEGMENT)
    manifest, payload = entries(path)
    tampered = bytearray(payload)
    tampered[20] ^= 1
    rewrite(path, manifest, bytes(tampered))
    with pytest.raises(PayloadAltered, match="segment 0"):
        adopted(tmp_path, rings, path)
    assert not (tmp_path / "adopted.tdf").exists()


def test_a_gsomia_file_stripped_of_its_label_is_refused_as_altered_not_unlabelled(tmp_path, rings):
    path = sealed(tmp_path, rings, b"x")
    manifest, payload = entries(path)
    del manifest["assertions"]
    rewrite(path, manifest, payload)
    with pytest.raises(LabelAltered, match="sealed by gsomia and its label was removed"):
        open_path(path, rings["JPN"], tmp_path / "out")
    with pytest.raises(LabelAltered, match="sealed by gsomia and its label was removed"):
        adopted(tmp_path, rings, path)
    assert not (tmp_path / "adopted.tdf").exists()


def test_a_foreign_file_with_a_label_of_its_own_is_not_given_a_second(tmp_path, rings):
    path = otdf_sealed(tmp_path, rings, b"x")
    manifest, payload = entries(path)
    manifest["assertions"] = [
        {
            "id": "4774-label",
            "type": "handling",
            "scope": "payload",
            "appliesToState": "encrypted",
            "statement": {"format": "string", "value": "NATO SECRET"},
        }
    ]
    rewrite(path, manifest, payload)
    with pytest.raises(InvalidRequest, match="'4774-label' looks like a label already"):
        adopted(tmp_path, rings, path)
