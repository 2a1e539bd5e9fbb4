"""The ZTDF manifest as models, both directions: what gsomia builds is what it reads back,
with the OpenTDF 4.3.0 names, and valid against that version's JSON Schema."""

from __future__ import annotations

import base64
import json

from gsomia.formats import ztdf
from tests.conftest import PLATFORM, PUBLISHED, STRICT

TAG = bytes(range(16))


def manifest() -> ztdf.Manifest:
    return ztdf.Manifest(
        schema_version=ztdf.SPEC_VERSION,
        payload=ztdf.Payload(type="reference", url=ztdf.PAYLOAD, protocol="zip", is_encrypted=True),
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
                segments=[ztdf.Segment.of(TAG, 1024), ztdf.Segment.of(TAG, 10)],
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


def test_a_built_manifest_uses_the_opentdf_names_and_validates_against_the_schemas():
    document = manifest().document()
    STRICT.validate(document)
    PLATFORM.validate(document)
    encryption = document["encryptionInformation"]
    assert encryption["keyAccess"][0]["wrappedKey"] == ztdf.b64(b"wrapped")
    assert "ephemeralPublicKey" not in encryption["keyAccess"][0]
    assert encryption["integrityInformation"]["encryptedSegmentSizeDefault"] == 1052
    assert document["schemaVersion"] == "4.3.0"
    assert document["assertions"][0]["appliesToState"] == "encrypted"
    assert document["assertions"][0]["statement"]["schema"] == "urn:x"


def test_the_version_is_schema_version_and_not_the_payloads_tdf_spec_version():
    """The published 4.3.0 schema requires `payload.tdf_spec_version`; the Go SDK writes the
    version as `schemaVersion` (opentdf/platform sdk/manifest.go, `TDFVersion`) and its schema
    makes the payload's optional (sdk/schema/manifest.schema.json); otdf-python's
    `ManifestPayload(**payload)` (otdf_python/manifest.py) refuses the key. That requirement is
    the one gsomia's manifests do not meet."""
    document = manifest().document()
    assert "tdf_spec_version" not in document["payload"]
    errors = list(PUBLISHED.iter_errors(document))
    assert [(list(e.path), e.validator) for e in errors] == [(["payload"], "required")]
    assert "tdf_spec_version" in errors[0].message


def test_every_segment_states_its_sizes():
    """otdf-python reads `segmentSize` and `encryptedSegmentSize` of every segment
    (otdf_python/manifest.py `ManifestSegment`), and the Go SDK writes both (sdk/tdf.go)."""
    full, last = manifest().document()["encryptionInformation"]["integrityInformation"]["segments"]
    assert full == {
        "hash": base64.b64encode(TAG).decode(),
        "segmentSize": 1024,
        "encryptedSegmentSize": 1052,
    }
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
    assert decoded.body.attributes() == ["a", "b"]


def test_a_foreign_manifests_unknown_fields_are_kept_as_read():
    document = manifest().document()
    document["payload"]["x-vendor"] = {"kept": True}
    assert ztdf.parse_manifest(document).document() == document
