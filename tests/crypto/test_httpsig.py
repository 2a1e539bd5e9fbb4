"""Signed HTTP messages between nodes (RFC 9421, Ed25519; RFC 9530 Content-Digest): a signed
request or response verifies with its signer's trusted key, and every alteration, omission,
replay outside the window or stranger's key is refused with its own error."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from http_message_signatures import ContentDigest, HTTPMessageSigner, HTTPMessageVerifier
from http_message_signatures import MappingKeyResolver as Keys
from http_message_signatures.algorithms import ED25519

from gsomia.crypto.httpsig import (
    MAX_AGE,
    REQUEST_COMPONENTS,
    SKEW,
    SignedRequest,
    Verified,
    sign_request,
    sign_response,
    verify_request,
    verify_response,
)
from gsomia.errors import (
    DigestMismatch,
    InvalidInstant,
    InvalidRequest,
    SignatureIncomplete,
    SignatureInvalid,
    SignatureMissing,
    SignatureStale,
    UnknownMessageSigner,
)

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)
URL = "https://jpn.gsomia.example/v1/deliveries"
BODY = b'{"delivery_id":"d-1","item":"KOR-2026-0001"}'
NONCE = "tSbXv2OQnPFmyHv4YmK3Ww"


@pytest.fixture(scope="module")
def kor(rings):
    """KOR's signing key id and key: the sending node."""
    return rings["KOR"].signing()


@pytest.fixture(scope="module")
def key_for(rings):
    """JPN's trust: the signing keys of the parties it knows, by key id."""
    return rings["JPN"].verifying


def signed(kor, method="POST", url=URL, body=BODY, **options):
    kid, key = kor
    options = {"created": NOW, "nonce": NONCE, **options}
    headers = {"Content-Type": "application/json"}
    return headers | sign_request(method, url, headers, body, key=key, kid=kid, **options)


def verify(headers, key_for, method="POST", url=URL, body=BODY, now=NOW, **options):
    return verify_request(method, url, headers, body, key_for=key_for, now=now, **options)


def crafted(key, kid, body=BODY, components=REQUEST_COMPONENTS, digest=None, **options):
    """A signature made with the package directly, as a careless or hostile node could."""
    headers = {"Content-Digest": digest or ContentDigest.create(body)}
    message = SimpleNamespace(method="POST", url=URL, headers=headers)
    options = {"created": NOW, "nonce": NONCE, "label": "gsomia", "tag": "gsomia", **options}
    signer = HTTPMessageSigner(signature_algorithm=ED25519)
    prepared = signer.prepare(
        message,
        key_id=kid,
        covered_component_ids=components,
        use_existing_digest=True,
        **options,
    )
    signer.apply(message, prepared, key.sign(prepared.signature_base))
    return headers


def signature_bytes(field: str) -> bytes:
    return base64.b64decode(field.removeprefix("gsomia=:").removesuffix(":"))


# -- requests: what is signed -------------------------------------------------------------------


def test_a_signed_request_verifies_with_its_senders_key_and_returns_its_nonce(kor, key_for):
    assert verify(signed(kor), key_for) == Verified(kor[0], NOW, NONCE)


def test_the_signature_covers_method_target_uri_and_digest_with_created_nonce_keyid_alg(kor):
    headers = signed(kor)
    assert headers["Signature-Input"] == (
        'gsomia=("@method" "@target-uri" "content-digest")'
        f';created={int(NOW.timestamp())};keyid="{kor[0]}";alg="ed25519"'
        f';nonce="{NONCE}";tag="gsomia"'
    )


def test_the_signature_is_ed25519_over_the_rfc9421_signature_base(kor):
    headers = signed(kor)
    base = "\n".join(
        [
            '"@method": POST',
            f'"@target-uri": {URL}',
            f'"content-digest": {headers["Content-Digest"]}',
            f'"@signature-params": {headers["Signature-Input"].removeprefix("gsomia=")}',
        ]
    )
    kor[1].public_key().verify(signature_bytes(headers["Signature"]), base.encode("ascii"))


def test_the_content_digest_is_the_sha256_of_the_body(kor):
    digest = base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    assert signed(kor)["Content-Digest"] == f"sha-256=:{digest}:"


def test_rfc9530_b1_content_digest_of_hello_world(kor):
    """RFC 9530 Appendix B.1: {"hello": "world"} and a line feed."""
    headers = signed(kor, body=b'{"hello": "world"}\n')
    assert headers["Content-Digest"] == "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"


RFC_DIGESTS = {
    "rfc9530-b1-sha256": (
        b'{"hello": "world"}\n',
        "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:",
    ),
    "rfc9530-2-sha512": (
        b'{"hello": "world"}\n',
        "sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:",
    ),
    "rfc9421-b2-sha512": (
        b'{"hello": "world"}',
        "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
    ),
}


@pytest.mark.parametrize(("body", "digest"), RFC_DIGESTS.values(), ids=RFC_DIGESTS.keys())
def test_a_signed_rfc_content_digest_verifies_and_fails_for_other_content(
    kor, key_for, body, digest
):
    headers = crafted(kor[1], kor[0], body=body, digest=digest)
    assert verify(headers, key_for, body=body).kid == kor[0]
    with pytest.raises(DigestMismatch):
        verify(headers, key_for, body=body + b" ")


def test_each_request_gets_a_fresh_nonce_when_none_is_given(kor, key_for):
    nonces = {verify(signed(kor, nonce=None), key_for).nonce for _ in range(3)}
    assert len(nonces) == 3
    assert all(len(nonce) >= 22 for nonce in nonces)


def test_signature_fields_already_in_the_headers_are_replaced(kor, key_for):
    kid, key = kor
    stale = {"content-digest": "sha-256=:AAAA:", "Signature": "old=:AAAA:"}
    added = sign_request("POST", URL, stale, BODY, key=key, kid=kid, created=NOW)
    assert set(added) == {"Content-Digest", "Signature-Input", "Signature"}
    assert verify(added, key_for).kid == kid


def test_a_server_sees_lowercase_field_names_and_still_verifies(kor, key_for):
    headers = {name.lower(): value for name, value in signed(kor).items()}
    assert verify(headers, key_for).nonce == NONCE


def test_an_empty_body_is_signed_and_verified_by_its_digest(kor, key_for):
    headers = signed(kor, method="GET", url="https://jpn.gsomia.example/v1/keys", body=b"")
    assert verify(
        headers, key_for, method="GET", url="https://jpn.gsomia.example/v1/keys", body=b""
    )
    with pytest.raises(DigestMismatch):
        verify(headers, key_for, method="GET", url="https://jpn.gsomia.example/v1/keys", body=b"x")


def test_another_signature_on_the_message_does_not_hide_the_gsomia_one(kor, key_for):
    """A proxy may add its own signature under another label: the node finds its partner's."""
    headers = signed(kor)
    proxy = ed25519.Ed25519PrivateKey.generate()
    message = SimpleNamespace(method="POST", url=URL, headers=dict(headers))
    HTTPMessageSigner(
        signature_algorithm=ED25519,
        key_resolver=Keys(public_keys={}, private_keys={"proxy": proxy}),
    ).sign(
        message,
        key_id="proxy",
        label="proxy",
        tag="proxy",
        append_if_signature_exists=True,
        use_existing_digest=True,
    )
    assert "proxy=" in message.headers["Signature"]
    assert verify(message.headers, key_for).kid == kor[0]


# -- requests: attacks ------------------------------------------------------------------------


def test_a_tampered_body_fails_its_digest(kor, key_for):
    with pytest.raises(DigestMismatch, match="fails its signed Content-Digest"):
        verify(signed(kor), key_for, body=BODY.replace(b"d-1", b"d-2"))


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("PUT", URL),
        ("POST", "https://jpn.gsomia.example/v1/notes"),
        ("POST", "https://usa.gsomia.example/v1/deliveries"),
        ("POST", URL + "?dry-run=1"),
        ("POST", URL.replace("https:", "http:")),
    ],
    ids=["method", "path", "host", "query", "scheme"],
)
def test_a_tampered_method_or_target_uri_does_not_verify(kor, key_for, method, url):
    with pytest.raises(SignatureInvalid, match="does not verify"):
        verify(signed(kor), key_for, method=method, url=url)


def test_a_digest_swapped_with_the_body_does_not_verify(kor, key_for):
    forged = b'{"delivery_id":"d-1","item":"KOR-2026-9999"}'
    headers = signed(kor) | {"Content-Digest": ContentDigest.create(forged)}
    with pytest.raises(SignatureInvalid, match="does not verify"):
        verify(headers, key_for, body=forged)


def test_a_request_without_its_digest_is_refused(kor, key_for):
    headers = {k: v for k, v in signed(kor).items() if k != "Content-Digest"}
    with pytest.raises(DigestMismatch, match="carries no Content-Digest"):
        verify(headers, key_for)


@pytest.mark.parametrize(
    "stripped",
    [("Signature",), ("Signature-Input",), ("Signature", "Signature-Input")],
    ids=["signature", "signature-input", "both"],
)
def test_a_request_stripped_of_its_signature_is_refused(kor, key_for, stripped):
    headers = {k: v for k, v in signed(kor).items() if k not in stripped}
    with pytest.raises(SignatureMissing, match="carries no signature"):
        verify(headers, key_for)


def test_a_signature_under_another_label_is_no_gsomia_signature(kor, key_for):
    with pytest.raises(SignatureMissing, match="no signature labelled 'gsomia'"):
        verify(crafted(kor[1], kor[0], label="sig1"), key_for)


def test_a_replay_after_the_window_is_stale(kor, key_for):
    headers = signed(kor)
    assert verify(headers, key_for, now=NOW + MAX_AGE).nonce == NONCE
    with pytest.raises(SignatureStale, match="signed 301 s ago"):
        verify(headers, key_for, now=NOW + MAX_AGE + timedelta(seconds=1))


def test_a_signature_from_the_future_beyond_the_skew_is_stale(kor, key_for):
    headers = signed(kor)
    assert verify(headers, key_for, now=NOW - SKEW).nonce == NONCE
    with pytest.raises(SignatureStale, match="61 s ahead of this node's clock"):
        verify(headers, key_for, now=NOW - SKEW - timedelta(seconds=1))


def test_the_window_is_the_verifiers_to_set(kor, key_for):
    headers = signed(kor)
    with pytest.raises(SignatureStale):
        verify(headers, key_for, now=NOW + timedelta(seconds=31), max_age=timedelta(seconds=30))
    with pytest.raises(SignatureStale):
        verify(headers, key_for, now=NOW - timedelta(seconds=6), skew=timedelta(seconds=5))


def test_an_expired_signature_is_stale(kor, key_for):
    headers = crafted(kor[1], kor[0], expires=NOW + timedelta(seconds=10))
    assert verify(headers, key_for, now=NOW + timedelta(seconds=10)).kid == kor[0]
    with pytest.raises(SignatureStale, match="expired"):
        verify(headers, key_for, now=NOW + timedelta(seconds=10) + SKEW + timedelta(seconds=1))


def test_a_signature_by_an_unknown_key_is_refused(kor, key_for):
    stranger = ed25519.Ed25519PrivateKey.generate()
    with pytest.raises(UnknownMessageSigner, match="'chn-sign-0123456789ab'") as error:
        verify(signed(("chn-sign-0123456789ab", stranger)), key_for)
    assert error.value.subject == "partner-keys"


def test_a_known_key_id_signed_by_another_key_does_not_verify(kor, key_for):
    impostor = ed25519.Ed25519PrivateKey.generate()
    with pytest.raises(SignatureInvalid, match=f"signature by {kor[0]} does not verify"):
        verify(signed((kor[0], impostor)), key_for)


@pytest.mark.parametrize("dropped", REQUEST_COMPONENTS)
def test_a_signature_leaving_out_a_required_component_is_incomplete(kor, key_for, dropped):
    components = tuple(c for c in REQUEST_COMPONENTS if c != dropped)
    with pytest.raises(SignatureIncomplete, match=f"does not cover {dropped};"):
        verify(crafted(kor[1], kor[0], components=components), key_for)


def test_a_signature_without_a_nonce_is_incomplete(kor, key_for):
    with pytest.raises(SignatureIncomplete, match="no nonce"):
        verify(crafted(kor[1], kor[0], nonce=None), key_for)


@pytest.mark.parametrize("nonce", ["short", "n" * 65])
def test_a_nonce_too_short_to_be_random_or_too_long_to_keep_whole_is_refused(kor, key_for, nonce):
    """The receiver keeps each nonce whole: cutting a long one would let two requests share it."""
    with pytest.raises(SignatureIncomplete, match="a nonce has 16 to 64"):
        verify(signed(kor, nonce=nonce), key_for)


def test_a_signature_without_the_gsomia_tag_is_incomplete(kor, key_for):
    with pytest.raises(SignatureIncomplete, match="not tagged 'gsomia'"):
        verify(crafted(kor[1], kor[0], tag=None), key_for)


def test_a_signature_without_a_created_time_is_incomplete(kor, key_for):
    headers = signed(kor)
    params = headers["Signature-Input"].replace(f";created={int(NOW.timestamp())}", "")
    base = "\n".join(
        [
            '"@method": POST',
            f'"@target-uri": {URL}',
            f'"content-digest": {headers["Content-Digest"]}',
            f'"@signature-params": {params.removeprefix("gsomia=")}',
        ]
    )
    signature = base64.b64encode(kor[1].sign(base.encode())).decode()
    headers |= {"Signature-Input": params, "Signature": f"gsomia=:{signature}:"}
    with pytest.raises(SignatureIncomplete, match="no created time"):
        verify(headers, key_for)


def test_a_signature_naming_no_key_is_incomplete(kor, key_for):
    headers = signed(kor)
    headers["Signature-Input"] = headers["Signature-Input"].replace(f';keyid="{kor[0]}"', "")
    with pytest.raises(SignatureIncomplete, match="names no keyid"):
        verify(headers, key_for)


@pytest.mark.parametrize("field", ['gsomia=("@method"', "gsomia=:bm90", "ünïcode", "€"])
def test_an_unreadable_signature_input_is_refused(kor, key_for, field):
    with pytest.raises(SignatureInvalid, match="not a structured dictionary"):
        verify(signed(kor) | {"Signature-Input": field}, key_for)


def test_a_signature_of_another_algorithm_is_refused(kor, key_for):
    headers = signed(kor)
    headers["Signature-Input"] = headers["Signature-Input"].replace("ed25519", "hmac-sha256")
    with pytest.raises(SignatureInvalid, match="cannot be checked"):
        verify(headers, key_for)


def test_verifying_needs_an_instant_with_its_offset(kor, key_for):
    with pytest.raises(InvalidInstant):
        verify(signed(kor), key_for, now=NOW.replace(tzinfo=None))


def test_a_request_to_no_absolute_url_cannot_be_signed(kor):
    with pytest.raises(InvalidRequest, match="cannot sign this message"):
        signed(kor, url="/v1/deliveries")


# -- responses ----------------------------------------------------------------------------------

RECEIPT = b'{"receipt":"eyJ..."}'


@pytest.fixture(scope="module")
def jpn(rings):
    return rings["JPN"].signing()


def answer(jpn, request, status=201, body=RECEIPT):
    kid, key = jpn
    return sign_response(status, {}, body, key=key, kid=kid, created=NOW, request=request)


def test_a_response_verifies_bound_to_the_request_it_answers(kor, jpn, rings):
    request = SignedRequest("POST", URL, signed(kor))
    headers = answer(jpn, request)
    assert '"signature";req;key="gsomia"' in headers["Signature-Input"]
    verified = verify_response(
        201, headers, RECEIPT, request=request, key_for=rings["KOR"].verifying, now=NOW
    )
    assert (verified.kid, verified.created) == (jpn[0], NOW)


def test_a_response_signature_base_holds_the_request_signature(kor, jpn):
    request = SignedRequest("POST", URL, signed(kor))
    headers = answer(jpn, request)
    base = "\n".join(
        [
            '"@status": 201',
            f'"content-digest": {headers["Content-Digest"]}',
            f'"signature";req;key="gsomia": {request.headers["Signature"].removeprefix("gsomia=")}',
            f'"@signature-params": {headers["Signature-Input"].removeprefix("gsomia=")}',
        ]
    )
    jpn[1].public_key().verify(signature_bytes(headers["Signature"]), base.encode("ascii"))


def test_a_response_replayed_as_the_answer_to_another_request_does_not_verify(kor, jpn, rings):
    first = SignedRequest("POST", URL, signed(kor))
    second = SignedRequest("POST", URL, signed(kor, nonce="another-nonce"))
    with pytest.raises(SignatureInvalid, match="does not verify"):
        verify_response(
            201,
            answer(jpn, first),
            RECEIPT,
            request=second,
            key_for=rings["KOR"].verifying,
            now=NOW,
        )


def test_a_response_not_bound_to_the_request_is_incomplete(kor, jpn, rings):
    request = SignedRequest("POST", URL, signed(kor))
    with pytest.raises(SignatureIncomplete, match='does not cover "signature";req'):
        verify_response(
            201,
            answer(jpn, None),
            RECEIPT,
            request=request,
            key_for=rings["KOR"].verifying,
            now=NOW,
        )


def test_an_answer_to_an_unsigned_request_verifies_unbound(jpn, rings):
    headers = answer(jpn, None, status=422, body=b'{"type":"urn:gsomia:problem:signature-missing"}')
    verified = verify_response(
        422,
        headers,
        b'{"type":"urn:gsomia:problem:signature-missing"}',
        request=None,
        key_for=rings["KOR"].verifying,
        now=NOW,
    )
    assert verified.kid == jpn[0]


def test_a_tampered_status_or_body_of_a_response_is_refused(kor, jpn, rings):
    request = SignedRequest("POST", URL, signed(kor))
    headers = answer(jpn, request)
    trust = rings["KOR"].verifying
    with pytest.raises(SignatureInvalid):
        verify_response(200, headers, RECEIPT, request=request, key_for=trust, now=NOW)
    with pytest.raises(DigestMismatch):
        verify_response(
            201, headers, b'{"receipt":"forged"}', request=request, key_for=trust, now=NOW
        )


def test_a_stale_response_is_refused(kor, jpn, rings):
    request = SignedRequest("POST", URL, signed(kor))
    later = NOW + MAX_AGE + timedelta(seconds=1)
    with pytest.raises(SignatureStale):
        verify_response(
            201,
            answer(jpn, request),
            RECEIPT,
            request=request,
            key_for=rings["KOR"].verifying,
            now=later,
        )


def test_a_response_signed_by_a_stranger_is_refused(kor, rings):
    request = SignedRequest("POST", URL, signed(kor))
    stranger = ("chn-sign-0123456789ab", ed25519.Ed25519PrivateKey.generate())
    with pytest.raises(UnknownMessageSigner):
        verify_response(
            201,
            answer(stranger, request),
            RECEIPT,
            request=request,
            key_for=rings["KOR"].verifying,
            now=NOW,
        )


# -- RFC 9421 Appendix B.2.6 ------------------------------------------------------------------

TEST_KEY_ED25519 = b"""-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
"""
"""RFC 9421 Appendix B.1.4, `test-key-ed25519`."""
TEST_KEY_ED25519_PUBLIC = b"""-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
"""


def rfc_test_request():
    """RFC 9421 Appendix B.2, `test-request`."""
    return SimpleNamespace(
        method="POST",
        url="https://example.com/foo?param=Value&Pet=dog",
        headers={
            "Host": "example.com",
            "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
            "Content-Type": "application/json",
            "Content-Digest": RFC_DIGESTS["rfc9421-b2-sha512"][1],
            "Content-Length": "18",
        },
    )


def test_rfc9421_b26_ed25519_signature_is_reproduced_exactly():
    """The signature base and the Ed25519 signature the package makes for us, as published."""
    key = serialization.load_pem_private_key(TEST_KEY_ED25519, password=None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    message = rfc_test_request()
    signer = HTTPMessageSigner(signature_algorithm=ED25519)
    prepared = signer.prepare(
        message,
        key_id="test-key-ed25519",
        created=datetime.fromtimestamp(1618884473, UTC),
        label="sig-b26",
        include_alg=False,
        use_existing_digest=True,
        covered_component_ids=(
            "date",
            "@method",
            "@path",
            "@authority",
            "content-type",
            "content-length",
        ),
    )
    assert prepared.signature_base.decode() == (
        '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
        '"@method": POST\n'
        '"@path": /foo\n'
        '"@authority": example.com\n'
        '"content-type": application/json\n'
        '"content-length": 18\n'
        '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" '
        '"content-length");created=1618884473;keyid="test-key-ed25519"'
    )
    signer.apply(message, prepared, key.sign(prepared.signature_base))
    assert message.headers["Signature-Input"] == (
        'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
        ';created=1618884473;keyid="test-key-ed25519"'
    )
    assert message.headers["Signature"] == (
        "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
    )


def test_rfc9421_b26_published_signature_verifies_with_the_public_test_key():
    public = serialization.load_pem_public_key(TEST_KEY_ED25519_PUBLIC)
    assert isinstance(public, ed25519.Ed25519PublicKey)
    message = rfc_test_request()
    message.headers |= {
        "Signature-Input": 'sig-b26=("date" "@method" "@path" "@authority" "content-type" '
        '"content-length");created=1618884473;keyid="test-key-ed25519"',
        "Signature": "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:",
    }
    verifier = HTTPMessageVerifier(
        signature_algorithm=ED25519,
        key_resolver=Keys(public_keys={"test-key-ed25519": public}, private_keys={}),
    )
    (result,) = verifier.verify(message, max_age=None)
    assert result.parameters["keyid"] == "test-key-ed25519"
