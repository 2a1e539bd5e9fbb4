"""Signed objects (receipts, consents, refusals, notes, acknowledgements): Ed25519 JWS that any
party verifies offline, its kind in `typ`, its claims validated by the kind's model and its
issuer bound to the key that signed it."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from joserfc import jws
from joserfc.jwk import OKPKey

from gsomia.core.agreements import EventKind
from gsomia.core.custody import Disposal, NoticeKind
from gsomia.core.incidents import IncidentKind, State
from gsomia.crypto.objects import (
    MODELS,
    Ack,
    Claims,
    Consent,
    ConsentRefusal,
    IncidentNotice,
    ItemNotice,
    ItemReport,
    Note,
    ObjectKind,
    Reason,
    Receipt,
    VisitAnswer,
    Visitor,
    VisitRequest,
    sign_object,
    verify_object,
)
from gsomia.errors import (
    IssuerMismatch,
    ObjectClaimsInvalid,
    ObjectMalformed,
    ObjectSignatureInvalid,
    UnknownObjectSigner,
    WrongObjectKind,
)

AT = datetime(2026, 11, 30, 18, tzinfo=ZoneInfo("Asia/Seoul"))
IAT = int(AT.timestamp())

SAMPLES: dict[ObjectKind, Claims] = {
    ObjectKind.RECEIPT: Receipt(
        iss="JPN",
        iat=IAT,
        delivery_id="d-2026-0001",
        item="KOR-2026-0001",
        receiver="JPN",
        allowed=True,
        reasons=(
            Reason(
                code="level_covered",
                agreement="KOR-JPN-GSOMIA-2016",
                article="Art 4",
                message="2급 비밀 is covered as 秘",
            ),
        ),
        receiver_marking="秘",
        receiver_item="JPN-2026-0042",
        ledger_index=17,
        at=AT,
        content_sha256="a" * 64,
    ),
    ObjectKind.CONSENT: Consent(
        iss="KOR",
        iat=IAT,
        consent_id="c-2026-0003",
        item="KOR-2026-0001",
        originator="KOR",
        holder="USA",
        recipient="JPN",
        purpose="trilateral missile warning exercise",
        granted_at=AT,
        expires_at=datetime(2027, 1, 1, tzinfo=UTC),
        reference="MOFA note 2026-118",
    ),
    ObjectKind.CONSENT_REFUSAL: ConsentRefusal(
        iss="KOR",
        iat=IAT,
        request_id="cr-2026-0004",
        item="KOR-2026-0001",
        originator="KOR",
        reason="the recipient is not party to the exercise",
        at=AT,
    ),
    ObjectKind.NOTE: Note(
        iss="KOR",
        iat=IAT,
        note_id="n-2019-0823",
        agreement="KOR-JPN-GSOMIA-2016",
        kind=EventKind.TERMINATION_NOTICE,
        by="KOR",
        to="JPN",
        at=AT,
        text="The Republic of Korea gives notice of its intention to terminate the Agreement.",
    ),
    ObjectKind.ACK: Ack(
        iss="JPN",
        iat=IAT,
        of="n-2019-0823",
        kind=ObjectKind.NOTE,
        by="JPN",
        at=AT,
        ledger_index=18,
    ),
    ObjectKind.ITEM_NOTICE: ItemNotice(
        iss="KOR",
        iat=IAT,
        notice_id="in-2026-0001",
        kind=NoticeKind.REMARK,
        item="KOR-2026-0001",
        originator="KOR",
        sequence=1,
        marking="군사Ⅲ급비밀",
        reference="MND letter 2026-14",
        at=AT,
    ),
    ObjectKind.ITEM_REPORT: ItemReport(
        iss="JPN",
        iat=IAT,
        report_id="ir-2026-0001",
        kind=Disposal.DESTROYED,
        item="KOR-2026-0001",
        originator="KOR",
        holder="JPN",
        holder_item="JPN-2026-0042",
        at=AT,
        method="shredding",
        witness="Sato Hanako",
    ),
    ObjectKind.INCIDENT: IncidentNotice(
        iss="JPN",
        iat=IAT,
        notice_id="i-2026-0001-report",
        case_id="i-2026-0001",
        state=State.REPORTED,
        kind=IncidentKind.LOSS,
        reporter="JPN",
        originator="KOR",
        items=("KOR-2026-0001",),
        discovered_at=datetime(2026, 11, 30, 9, tzinfo=UTC),
        reported_at=AT,
        at=AT,
        summary="a courier's case holding one copy went missing between two sites",
    ),
    ObjectKind.VISIT_REQUEST: VisitRequest(
        iss="JPN",
        iat=IAT,
        request_id="v-2026-0005",
        requester="JPN",
        host="KOR",
        agreement="KOR-JPN-GSOMIA-2016",
        type="one-time",
        purpose="missile warning data exchange",
        facility="JCS operations centre, Seoul",
        first_day=date(2027, 1, 18),
        last_day=date(2027, 1, 20),
        max_marking="군사Ⅱ급비밀",
        visitors=(Visitor(name="Sato Hiroshi", party="JPN", clearance="極秘"),),
        requested_at=AT,
    ),
    ObjectKind.VISIT_ANSWER: VisitAnswer(
        iss="KOR",
        iat=IAT,
        request_id="v-2026-0005",
        host="KOR",
        requester="JPN",
        approved=True,
        at=AT,
        note="escort at gate 2",
    ),
}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64_json(text: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def segments(token: str) -> tuple[Any, Any, str]:
    header, payload, signature = token.split(".")
    return b64_json(header), b64_json(payload), signature


def signed_by(rings, party: str, kind: ObjectKind, claims: Claims | None = None) -> tuple[str, str]:
    kid, key = rings[party].signing()
    return kid, sign_object(kind, claims or SAMPLES[kind], key, kid)


def verify(rings, token: str, kind: ObjectKind, model=None, verifier: str = "USA"):
    """`verifier`'s node checks the object offline: a third party by default."""
    ring = rings[verifier]
    return verify_object(token, kind, ring.verifying, model or MODELS[kind], party_of=ring.party_of)


def raw_jws(header: dict[str, Any], payload: bytes, key) -> str:
    """A JWS of any header and payload, signed with `key` (joserfc checks neither)."""
    signature = key.sign(f"{b64(json.dumps(header).encode())}.{b64(payload)}".encode())
    return f"{b64(json.dumps(header).encode())}.{b64(payload)}.{b64(signature)}"


# -- round trips and what is signed ----------------------------------------------------------


@pytest.mark.parametrize("kind", list(ObjectKind))
def test_each_kind_round_trips_through_a_third_party(rings, kind):
    issuer = SAMPLES[kind].iss
    kid, token = signed_by(rings, issuer, kind)
    assert verify(rings, token, kind) == (kid, SAMPLES[kind])


@pytest.mark.parametrize("kind", list(ObjectKind))
def test_the_header_names_the_algorithm_the_key_and_the_kind_and_nothing_else(rings, kind):
    kid, token = signed_by(rings, SAMPLES[kind].iss, kind)
    header, _, _ = segments(token)
    assert header == {"alg": "Ed25519", "kid": kid, "typ": kind.value}


def test_instants_keep_their_offset_in_the_claims(rings):
    _, token = signed_by(rings, "KOR", ObjectKind.CONSENT)
    _, claims, _ = segments(token)
    assert claims["granted_at"] == "2026-11-30T18:00:00+09:00"
    assert claims["expires_at"] == "2027-01-01T00:00:00+00:00"


def test_a_third_party_verifies_offline_with_joserfc_given_only_the_public_key(rings):
    """JPN, or an auditor, verifies KOR's consent relayed by the USA: a standard JOSE
    library and KOR's public key, nothing of gsomia."""
    kid, token = signed_by(rings, "KOR", ObjectKind.CONSENT)
    public = OKPKey.import_key(rings["JPN"].record(kid).public_pem)
    verified = jws.deserialize_compact(token, public, algorithms=["Ed25519"])
    assert verified.headers() == {"alg": "Ed25519", "kid": kid, "typ": "gsomia-consent+jws"}
    assert json.loads(verified.payload) == SAMPLES[ObjectKind.CONSENT].model_dump(mode="json")


def test_the_signature_is_plain_ed25519_over_the_jws_signing_input(rings):
    kid, token = signed_by(rings, "JPN", ObjectKind.RECEIPT)
    header, payload, signature = token.split(".")
    public = rings["KOR"].verifying(kid)
    assert public is not None
    public.verify(base64.urlsafe_b64decode(signature + "=="), f"{header}.{payload}".encode())


# -- attacks ---------------------------------------------------------------------------------


def test_a_receipt_whose_claims_were_edited_does_not_verify(rings):
    _, token = signed_by(rings, "JPN", ObjectKind.RECEIPT)
    header, _, signature = token.split(".")
    edited = segments(token)[1] | {"allowed": False, "receiver_marking": None}
    forged = f"{header}.{b64(json.dumps(edited).encode())}.{signature}"
    with pytest.raises(ObjectSignatureInvalid, match="does not verify"):
        verify(rings, forged, ObjectKind.RECEIPT)


def test_a_consent_presented_as_a_receipt_is_the_wrong_kind(rings):
    _, token = signed_by(rings, "KOR", ObjectKind.CONSENT)
    with pytest.raises(WrongObjectKind, match="'gsomia-consent\\+jws'"):
        verify(rings, token, ObjectKind.RECEIPT)


def test_a_consent_with_its_typ_changed_to_receipt_does_not_verify(rings):
    _, token = signed_by(rings, "KOR", ObjectKind.CONSENT)
    _, payload, signature = token.split(".")
    relabelled = segments(token)[0] | {"typ": "gsomia-receipt+jws"}
    forged = f"{b64(json.dumps(relabelled).encode())}.{payload}.{signature}"
    with pytest.raises(ObjectSignatureInvalid, match="does not verify"):
        verify(rings, forged, ObjectKind.RECEIPT)


def test_an_unsigned_object_alg_none_is_refused(rings):
    kid, _ = rings["KOR"].signing()
    header = {"alg": "none", "kid": kid, "typ": ObjectKind.CONSENT.value}
    payload = json.dumps(SAMPLES[ObjectKind.CONSENT].model_dump(mode="json")).encode()
    token = f"{b64(json.dumps(header).encode())}.{b64(payload)}."
    with pytest.raises(ObjectSignatureInvalid, match="alg 'none'; only Ed25519"):
        verify(rings, token, ObjectKind.CONSENT)


def test_the_deprecated_eddsa_identifier_is_refused(rings):
    kid, key = rings["KOR"].signing()
    header = {"alg": "EdDSA", "kid": kid, "typ": ObjectKind.CONSENT.value}
    payload = json.dumps(SAMPLES[ObjectKind.CONSENT].model_dump(mode="json")).encode()
    with pytest.raises(ObjectSignatureInvalid, match="alg 'EdDSA'"):
        verify(rings, raw_jws(header, payload, key), ObjectKind.CONSENT)


def test_an_object_signed_by_an_unknown_key_is_refused(rings):
    stranger = ed25519.Ed25519PrivateKey.generate()
    token = sign_object(ObjectKind.CONSENT, SAMPLES[ObjectKind.CONSENT], stranger, "kor-sign-0")
    with pytest.raises(UnknownObjectSigner, match="'kor-sign-0'") as error:
        verify(rings, token, ObjectKind.CONSENT)
    assert error.value.subject == "partner-keys"


def test_a_known_key_id_signed_by_another_key_does_not_verify(rings):
    kid, _ = rings["KOR"].signing()
    impostor = ed25519.Ed25519PrivateKey.generate()
    token = sign_object(ObjectKind.CONSENT, SAMPLES[ObjectKind.CONSENT], impostor, kid)
    with pytest.raises(ObjectSignatureInvalid, match=f"signature by {kid} does not verify"):
        verify(rings, token, ObjectKind.CONSENT)


def test_a_party_cannot_issue_an_object_in_anothers_name(rings):
    """The USA signs, with its own key, a consent that says KOR gave it."""
    _, token = signed_by(rings, "USA", ObjectKind.CONSENT)
    with pytest.raises(IssuerMismatch, match="names KOR as its issuer but is signed with usa-"):
        verify(rings, token, ObjectKind.CONSENT, verifier="JPN")


MALFORMED = {
    "empty": "",
    "two-segments": "eyJhbGciOiJFZDI1NTE5In0.e30",
    "not-base64url": "a.b.c",
    "not-ascii": "ëyJ.e30.sig",
    "header-a-list": b64(b'["alg"]') + ".e30.c2ln",
    "header-a-string": b64(b'"alg"') + ".e30.c2ln",
}


@pytest.mark.parametrize("token", MALFORMED.values(), ids=MALFORMED.keys())
def test_text_that_is_no_jws_compact_serialisation_is_malformed(rings, token):
    with pytest.raises(ObjectMalformed):
        verify(rings, token, ObjectKind.RECEIPT)


EXTRA_HEADERS = {
    "jwk": {
        "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    },
    "jku": {"jku": "https://attacker.example/keys"},
    "crit": {"crit": ["b64"], "b64": False},
    "no-kid": {"kid": None},
}


@pytest.mark.parametrize("extra", EXTRA_HEADERS.values(), ids=EXTRA_HEADERS.keys())
def test_a_header_other_than_alg_kid_typ_is_malformed(rings, extra):
    kid, key = rings["KOR"].signing()
    header = {"alg": "Ed25519", "kid": kid, "typ": ObjectKind.CONSENT.value} | extra
    header = {name: value for name, value in header.items() if value is not None}
    payload = json.dumps(SAMPLES[ObjectKind.CONSENT].model_dump(mode="json")).encode()
    with pytest.raises(ObjectMalformed, match="gsomia signs exactly alg, kid and typ"):
        verify(rings, raw_jws(header, payload, key), ObjectKind.CONSENT)


def test_a_key_id_that_is_not_a_string_is_malformed(rings):
    _, key = rings["KOR"].signing()
    header = {"alg": "Ed25519", "kid": 7, "typ": ObjectKind.CONSENT.value}
    payload = json.dumps(SAMPLES[ObjectKind.CONSENT].model_dump(mode="json")).encode()
    with pytest.raises(ObjectMalformed, match="key id is not a string"):
        verify(rings, raw_jws(header, payload, key), ObjectKind.CONSENT)


def receipt_with(**changes):
    return SAMPLES[ObjectKind.RECEIPT].model_dump(mode="json") | changes


INVALID_RECEIPTS = {
    "missing-field": {k: v for k, v in receipt_with().items() if k != "ledger_index"},
    "unknown-claim": receipt_with(exp=IAT + 3600),
    "instant-without-offset": receipt_with(at="2026-11-30T09:00:00"),
    "denial-without-reasons": receipt_with(allowed=False, reasons=[]),
    "issued-by-another-than-the-receiver": receipt_with(receiver="USA"),
    "reason-without-message": receipt_with(
        reasons=[{"code": "x", "agreement": None, "article": None}]
    ),
    "digest-not-sha256": receipt_with(content_sha256="abc"),
    "negative-ledger-index": receipt_with(ledger_index=-1),
}


@pytest.mark.parametrize("claims", INVALID_RECEIPTS.values(), ids=INVALID_RECEIPTS.keys())
def test_a_signed_receipt_whose_claims_break_the_model_is_refused(rings, claims):
    kid, key = rings["JPN"].signing()
    header = {"alg": "Ed25519", "kid": kid, "typ": ObjectKind.RECEIPT.value}
    with pytest.raises(ObjectClaimsInvalid, match=f"signed by {kid} does not hold a receipt's"):
        verify(rings, raw_jws(header, json.dumps(claims).encode(), key), ObjectKind.RECEIPT)


def test_a_payload_that_is_not_json_is_refused_as_claims(rings):
    kid, key = rings["JPN"].signing()
    header = {"alg": "Ed25519", "kid": kid, "typ": ObjectKind.RECEIPT.value}
    with pytest.raises(ObjectClaimsInvalid):
        verify(rings, raw_jws(header, b"allowed", key), ObjectKind.RECEIPT)


@pytest.mark.parametrize(
    "changes",
    [{"recipient": "USA"}, {"recipient": "KOR"}, {"expires_at": AT}, {"iss": "USA"}],
    ids=["to-the-holder", "to-the-originator", "expiring-when-granted", "not-by-the-originator"],
)
def test_a_consent_is_given_by_the_originator_to_a_third_party_before_it_expires(changes):
    with pytest.raises(ValueError, match="consent"):
        Consent(**(SAMPLES[ObjectKind.CONSENT].model_dump() | changes))


def test_claims_are_frozen():
    receipt = SAMPLES[ObjectKind.RECEIPT]
    assert isinstance(receipt, Receipt)
    with pytest.raises(ValueError, match="frozen"):
        receipt.allowed = False


# -- defects in the caller -------------------------------------------------------------------


def test_signing_claims_of_another_kind_is_a_defect(rings):
    kid, key = rings["KOR"].signing()
    with pytest.raises(TypeError, match="a receipt holds Receipt claims, not Consent"):
        sign_object(ObjectKind.RECEIPT, SAMPLES[ObjectKind.CONSENT], key, kid)


def test_verifying_with_the_model_of_another_kind_is_a_defect(rings):
    _, token = signed_by(rings, "KOR", ObjectKind.CONSENT)
    with pytest.raises(TypeError, match="a consent holds Consent claims, not Receipt"):
        verify(rings, token, ObjectKind.CONSENT, model=Receipt)


@pytest.mark.parametrize(
    ("kind", "changes", "complaint"),
    [
        (ObjectKind.ITEM_NOTICE, {"iss": "USA"}, "given by its originator"),
        (ObjectKind.ITEM_NOTICE, {"marking": None}, "names the new marking"),
        (ObjectKind.ITEM_NOTICE, {"kind": NoticeKind.DECLASSIFY}, "names the new marking"),
        (ObjectKind.ITEM_NOTICE, {"sequence": 0}, "sequence"),
        (ObjectKind.ITEM_REPORT, {"iss": "USA"}, "given by its holder"),
        (ObjectKind.ITEM_REPORT, {"holder": "KOR", "iss": "KOR"}, "no one else's concern"),
    ],
)
def test_notices_and_reports_about_items_are_given_by_the_right_party(kind, changes, complaint):
    """Art 6(g): only the originator gives a notice about its item; only the holder reports
    on its copy."""
    claims = SAMPLES[kind].model_dump() | changes
    with pytest.raises(ValueError, match=complaint):
        MODELS[kind].model_validate(claims)
