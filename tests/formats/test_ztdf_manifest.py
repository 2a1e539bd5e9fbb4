"""The ZTDF manifest as models, both directions: what gsomia builds is what it reads back,
with the OpenTDF 4.3.0 names, and valid against that version's JSON Schema."""

from __future__ import annotations

import base64
import json

from gsomia.formats import ztdf
from tests.conftest import STRICT

TAG = bytes(range(16))


def manifest() -> ztdf.Manifest:
    return ztdf.Manifest(
        tdf_spec_version=ztdf.SPEC_VERSION,
        payload=ztdf.Payload(
            type="reference",
            url=ztdf.PAYLOAD,
            protocol="zip",
            is_encrypted=True,
            tdf_spec_version=ztdf.SPEC_VERSION,
        ),
        encryption_information=ztdf.EncryptionInformation(
            type="split",
            key_access=[
                ztdf.KeyAccess(
                    type="wrapped",
                    url="urn:gsomia:party:JPN",
                    protocol="kas",
                    kid="jpn-wrapped-0123456789ab",
                    wrapped_key=ztdf.b64(b"wrapped"),
                    policy_binding=ztdf.PolicyBinding(alg="HS256", hash=ztdf.b64(b"binding")),
                )
            ],
            method=ztdf.Method(algorithm="AES-256-GCM", is_streamable=True, iv=ztdf.b64(b"n" * 12)),
            integrity_information=ztdf.IntegrityInformation(
                root_signature=ztdf.RootSignature(alg="HS256", sig=ztdf.b64(b"root")),
                segment_hash_alg="GMAC",
                segment_size_default=1024,
                encrypted_segment_size_default=1024 + ztdf.SEGMENT_OVERHEAD,
                segments=[ztdf.Segment.of(TAG, 1024, 1024), ztdf.Segment.of(TAG, 10, 1024)],
            ),
            policy=ztdf.Policy.of(["https://gsomia.invalid/attr/topic/value/x"]).encode(),
        ),
        assertions=[
            ztdf.Assertion(
                id="gsomia-label",
                type="handling",
                scope="payload",
                statement=ztdf.Statement(format="json-structured", schema="urn:x", value={"a": 1}),
                binding=ztdf.Binding(method="jws", signature="a.b.c"),
            )
        ],
    )


def test_a_built_manifest_uses_the_opentdf_names_and_validates_against_the_schema():
    document = manifest().document()
    STRICT.validate(document)
    encryption = document["encryptionInformation"]
    assert encryption["keyAccess"][0]["wrappedKey"] == ztdf.b64(b"wrapped")
    assert "ephemeralPublicKey" not in encryption["keyAccess"][0]
    assert encryption["integrityInformation"]["encryptedSegmentSizeDefault"] == 1052
    assert document["payload"]["tdf_spec_version"] == "4.3.0"
    assert document["assertions"][0]["appliesToState"] == "encrypted"
    assert document["assertions"][0]["statement"]["schema"] == "urn:x"


def test_only_a_segment_of_another_size_than_the_default_states_its_sizes():
    full, last = manifest().document()["encryptionInformation"]["integrityInformation"]["segments"]
    assert full == {"hash": base64.b64encode(TAG).decode()}
    assert last == {"hash": full["hash"], "segmentSize": 10, "encryptedSegmentSize": 38}


def test_a_manifest_round_trips_through_its_json():
    built = manifest()
    document = json.loads(json.dumps(built.document()))
    parsed = ztdf.parse_manifest(document)
    assert parsed == built
    assert parsed.document() == document
    assert parsed.segment_sizes() == [(1024, 1052), (10, 38)]


def test_a_policy_round_trips_through_its_base64_json():
    policy = ztdf.Policy.of(["a", "b"])
    decoded = ztdf.Policy.decode(policy.encode())
    assert decoded == policy
    assert [a.attribute for a in decoded.body.data_attributes] == ["a", "b"]


def test_a_foreign_manifests_unknown_fields_are_kept_as_read():
    document = manifest().document()
    document["payload"]["x-vendor"] = {"kept": True}
    assert ztdf.parse_manifest(document).document() == document
