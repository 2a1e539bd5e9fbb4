"""STANAG 4778 bindings: built, signed, read back; anything altered after signing shows."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from gsomia.crypto.signatures import sign_detached, verify_detached
from gsomia.errors import UnreadableXml
from gsomia.formats import stanag4778
from tests.conftest import VECTORS as SHARED_VECTORS

LABEL = (SHARED_VECTORS / "stanag4774-spiffing" / "nato-4774-17-4.nato").read_bytes()
DATA = hashlib.sha256(b"the plans").digest()
KEY = ed25519.Ed25519PrivateKey.generate()


def signed(label: bytes = LABEL) -> bytes:
    draft = stanag4778.draft(label, "plans.bin", DATA, "kor-sign-1")
    return draft.finish(sign_detached(draft.signed_info, KEY))


def verifies(document: bytes) -> bool:
    binding = stanag4778.read(document)
    return binding.document_intact and verify_detached(
        binding.signature, binding.signed_info, KEY.public_key()
    )


def test_a_binding_reads_back_with_its_label_data_reference_and_key():
    binding = stanag4778.read(signed())
    assert verifies(signed())
    assert binding.kid == "kor-sign-1"
    assert (binding.data_uri, binding.data_sha256) == ("plans.bin", DATA)
    information = binding.label.confidentiality_information
    assert (information.policy_identifier, information.classification) == ("NATO", "RESTRICTED")


def test_the_label_is_bound_as_written():
    extra = LABEL.replace(
        b"</originatorConfidentialityLabel>",
        b"<CreationDateTime>2015-08-02T14:06:20Z</CreationDateTime></originatorConfidentialityLabel>",
    )
    assert b"<CreationDateTime>" in stanag4778.read(signed(extra)).label_xml.encode()


def test_a_label_altered_after_binding_no_longer_matches_the_signed_digest():
    altered = signed().replace(b"RESTRICTED", b"UNCLASSIFIED")
    binding = stanag4778.read(altered)
    assert verify_detached(binding.signature, binding.signed_info, KEY.public_key())
    assert not binding.document_intact


def test_a_data_digest_altered_breaks_the_signature():
    document = signed()
    binding = stanag4778.read(document)
    forged_digest = base64.b64encode(hashlib.sha256(b"other").digest())
    original = base64.b64encode(DATA)
    forged = document.replace(original, forged_digest)
    assert forged != document
    assert not verifies(forged)
    assert binding.data_sha256 == DATA


def test_another_key_does_not_verify():
    binding = stanag4778.read(signed())
    other = ed25519.Ed25519PrivateKey.generate().public_key()
    assert not verify_detached(binding.signature, binding.signed_info, other)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            stanag4778.ED25519.encode(),
            b"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "SignatureMethod",
        ),
        (b'URI="plans.bin"/>', b'URI="other.bin"/>', "reference the binding"),
        (
            stanag4778.ENVELOPED.encode(),
            b"http://www.w3.org/TR/1999/REC-xpath-19991116",
            "transforms",
        ),
        (b"<ds:KeyName>kor-sign-1</ds:KeyName>", b"<ds:KeyName></ds:KeyName>", "names no key"),
    ],
)
def test_a_binding_outside_the_one_profile_is_refused(old, new, message):
    document = signed()
    assert old in document
    with pytest.raises(UnreadableXml, match=message):
        stanag4778.read(document.replace(old, new, 1))


def test_a_second_signature_is_refused():
    document = signed()
    start = document.index(b"<ds:Signature")
    end = document.index(b"</ds:Signature>") + len(b"</ds:Signature>")
    doubled = document[:end] + document[start:end] + document[end:]
    with pytest.raises(UnreadableXml, match="one MetadataBinding and one Signature"):
        stanag4778.read(doubled)


def test_only_a_4774_label_is_bound():
    with pytest.raises(UnreadableXml, match="not a STANAG 4774 label"):
        stanag4778.draft(b"<label xmlns='http://surevine.com/xmlns/spiffy'/>", "x", DATA, "k")
