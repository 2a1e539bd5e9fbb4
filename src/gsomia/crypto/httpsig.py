"""Signed HTTP messages between nodes: RFC 9421 message signatures with Ed25519, the content
bound by an RFC 9530 `Content-Digest` (SHA-256).

A node signs every request it sends under the label and tag `gsomia` (RFC 9421 §4.1, §2.3),
covering `@method`, `@target-uri` (§2.2.1, §2.2.2) and `content-digest` (§2.1; RFC 9530 §2),
with the parameters `created`, `nonce`, `keyid` and `alg="ed25519"` (§2.3, §3.3.6). It signs
every response over `@status` and `content-digest`, and over the signature of the request it
answers (`"signature";req;key="gsomia"`, §2.4), so that a signed answer cannot pass for the
answer to another request.

Verification fails closed, each refusal its own `SignatureRejected` error: no signature; a
signature leaving out a required component or parameter; a Content-Digest missing or not the
content's; a key no partner holds; a signature that does not verify; a `created` older than
`max_age` or further than `skew` ahead of the verifier's clock. The time is a parameter:
nothing here reads the clock. Replays inside the window are the node's to catch, by the
nonces it has seen: `verify_request` returns the nonce.

The signature base (§2.5), the structured fields (RFC 9651) and the digest come from the
`http-message-signatures` package, which signs any object with a method, a URL and headers;
the functions here take plain values, so that an httpx client and a Starlette server use them
alike. What the package leaves to its caller is here: reading the key id before verifying
(to find the key and tell an unknown signer apart), the coverage the federation requires, the
digest against the content, and the time window against a given `now` (its own verifier
compares `created` with the wall clock: `_Verifier` leaves that to `_check_window`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, cast

import http_sf
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519
from http_message_signatures import (
    ContentDigest,
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    MappingKeyResolver,
    VerifyResult,
)
from http_message_signatures.algorithms import ED25519

from gsomia.core.calendar import check_instant
from gsomia.crypto.keys import VerifyingKeyFor
from gsomia.errors import (
    DigestMismatch,
    InvalidRequest,
    SignatureIncomplete,
    SignatureInvalid,
    SignatureMissing,
    SignatureStale,
    UnknownMessageSigner,
)

LABEL: Final = "gsomia"
"""The signature's label and its tag: how a node finds its partner's signature among any
others (a proxy's, say) on the same message."""
REQUEST_COMPONENTS: Final = ('"@method"', '"@target-uri"', '"content-digest"')
"""What a request's signature covers, as component identifiers (RFC 9421 §2)."""
RESPONSE_COMPONENTS: Final = ('"@status"', '"content-digest"')
REQUEST_SIGNATURE: Final = f'"signature";req;key="{LABEL}"'
"""The component of a response that is the signature of the request it answers."""
MAX_AGE: Final = timedelta(seconds=300)
SKEW: Final = timedelta(seconds=60)
NONCE_BYTES: Final = 16
"""128 random bits: a nonce no two requests share by chance."""
MAX_NONCE = 64
"""The longest nonce a receiver keeps (whole: never cut, so two nonces are never taken for one)."""

_PRODUCED = frozenset({"content-digest", "signature-input", "signature"})


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A request as its signature sees it. A response names the request it answers by one:
    the request as its client sent it or its server received it, signature fields included."""

    method: str
    url: str
    headers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Verified:
    """A verified request: whose key signed it, when, and its nonce, which the receiving node
    must not have seen inside the window."""

    kid: str
    created: datetime
    nonce: str


@dataclass(frozen=True, slots=True)
class VerifiedResponse:
    """A verified response: whose key signed it, and when."""

    kid: str
    created: datetime


@dataclass(frozen=True, slots=True)
class _Response:
    """A response as the package reads it: `status_code` marks it one."""

    status_code: int
    headers: Mapping[str, str]
    request: SignedRequest | None


class _Verifier(HTTPMessageVerifier):
    """The package's verifier without its wall-clock checks: `_check_window` makes them
    against the `now` it is given."""

    def validate_created_and_expires(self, sig_input: object, max_age: object = None) -> None:
        """Nothing to do here: see `_check_window`."""


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    key: ed25519.Ed25519PrivateKey,
    kid: str,
    created: datetime,
    nonce: str | None = None,
) -> dict[str, str]:
    """The fields to add to a request: `Content-Digest`, `Signature-Input` and `Signature`
    (they replace any such fields in `headers`). Without `nonce`, a random one."""
    fields = _unsigned(headers)
    message = SignedRequest(method, url, fields)
    if nonce is None:
        nonce = secrets.token_urlsafe(NONCE_BYTES)
    return _sign(message, fields, body, REQUEST_COMPONENTS, key, kid, created, nonce)


def sign_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    key: ed25519.Ed25519PrivateKey,
    kid: str,
    created: datetime,
    request: SignedRequest | None,
) -> dict[str, str]:
    """The fields to add to a response: `Content-Digest`, `Signature-Input` and `Signature`.
    `request` is the request answered, whose gsomia signature this one covers; None only for
    an answer to a request that carries none (a refusal of it)."""
    fields = _unsigned(headers)
    message = _Response(status, fields, request)
    return _sign(message, fields, body, _response_components(request), key, kid, created, None)


def verify_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    key_for: VerifyingKeyFor,
    now: datetime,
    max_age: timedelta = MAX_AGE,
    skew: timedelta = SKEW,
) -> Verified:
    """Who signed this request, when, and its nonce; a `SignatureRejected` error otherwise."""
    check_instant(now)
    result = _verify(SignedRequest(method, url, headers), key_for, "request")
    _require(result, REQUEST_COMPONENTS, "request")
    _check_digest(result, body, "request")
    created = _check_window(result, now, max_age, skew, "request")
    if result.nonce is None:
        raise SignatureIncomplete(
            "the request's signature carries no nonce; each request carries a fresh one, "
            "which its receiver keeps to refuse a replay"
        )
    if not 16 <= len(result.nonce) <= MAX_NONCE:
        raise SignatureIncomplete(
            f"the request's nonce has {len(result.nonce)} characters; a nonce has 16 to "
            f"{MAX_NONCE}, kept whole by the receiver to refuse a replay"
        )
    return Verified(_kid(result), created, result.nonce)


def verify_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    request: SignedRequest | None,
    key_for: VerifyingKeyFor,
    now: datetime,
    max_age: timedelta = MAX_AGE,
    skew: timedelta = SKEW,
) -> VerifiedResponse:
    """Who signed this response to `request`, and when; a `SignatureRejected` error otherwise.
    With `request` (as sent, signature included), the response must cover its signature."""
    check_instant(now)
    result = _verify(_Response(status, headers, request), key_for, "response")
    _require(result, _response_components(request), "response")
    _check_digest(result, body, "response")
    return VerifiedResponse(_kid(result), _check_window(result, now, max_age, skew, "response"))


def _response_components(request: SignedRequest | None) -> tuple[str, ...]:
    """What a response's signature covers: the request's signature too, if it has one."""
    return RESPONSE_COMPONENTS if request is None else (*RESPONSE_COMPONENTS, REQUEST_SIGNATURE)


def _sign(
    message: SignedRequest | _Response,
    fields: dict[str, str],
    body: bytes,
    components: tuple[str, ...],
    key: ed25519.Ed25519PrivateKey,
    kid: str,
    created: datetime,
    nonce: str | None,
) -> dict[str, str]:
    """Sign `message`; the package writes the fields it produces into `fields`."""
    check_instant(created)
    signer = HTTPMessageSigner(signature_algorithm=ED25519)
    try:
        prepared = signer.prepare(
            message,
            key_id=kid,
            created=created,
            nonce=nonce,
            label=LABEL,
            tag=LABEL,
            covered_component_ids=components,
            body=body,
        )
        signer.apply(message, prepared, key.sign(prepared.signature_base))
    except HTTPMessageSignaturesException as exc:
        raise InvalidRequest(f"cannot sign this message: {exc}") from None
    return {name: fields[name] for name in ("Content-Digest", "Signature-Input", "Signature")}


def _verify(
    message: SignedRequest | _Response, key_for: VerifyingKeyFor, what: str
) -> VerifyResult:
    """The gsomia signature of `message`, verified with its signer's trusted key."""
    signature_input = _field(message.headers, "signature-input")
    if signature_input is None or _field(message.headers, "signature") is None:
        raise SignatureMissing(
            f"the {what} carries no signature; every {what} between nodes is signed (RFC 9421)"
        )
    kid = _key_id(signature_input, what)
    if _field(message.headers, "content-digest") is None:
        raise DigestMismatch(
            f"the {what} carries no Content-Digest; a signed {what} binds its content by "
            "its SHA-256 (RFC 9530)"
        )
    key = key_for(kid)
    if key is None:
        raise UnknownMessageSigner(
            f"the {what} is signed with key {kid!r}, which belongs to no known partner",
            subject="partner-keys",
        )
    verifier = _Verifier(
        signature_algorithm=ED25519,
        key_resolver=MappingKeyResolver(public_keys={kid: key}, private_keys={}),
    )
    try:
        (result,) = verifier.verify(message, max_age=None, expect_tag=LABEL, expect_label=LABEL)
    except HTTPMessageSignaturesException as exc:
        if isinstance(exc.__cause__, InvalidSignature):
            raise SignatureInvalid(
                f"the {what}'s signature by {kid} does not verify: the {what} was altered "
                "after signing, or signed with another key"
            ) from None
        raise SignatureInvalid(
            f"the {what}'s signature by {kid} cannot be checked: {exc}"
        ) from None
    return result


def _key_id(signature_input: str, what: str) -> str:
    """The key id the gsomia signature names: read before verifying, to find the key."""
    try:
        members = http_sf.parse(signature_input.encode("latin-1"), tltype="dictionary")
    except ValueError:
        raise SignatureInvalid(
            f"the {what}'s Signature-Input is not a structured dictionary (RFC 9421 §4.1)"
        ) from None
    if not isinstance(members, dict) or LABEL not in members:
        raise SignatureMissing(f"the {what} carries no signature labelled {LABEL!r}")
    member = members[LABEL]
    parameters = member[1] if isinstance(member, tuple) else None
    if not isinstance(parameters, dict) or parameters.get("tag") != LABEL:
        raise SignatureIncomplete(f"the {what}'s signature {LABEL!r} is not tagged {LABEL!r}")
    kid = parameters.get("keyid")
    if not isinstance(kid, str):
        raise SignatureIncomplete(f"the {what}'s signature names no keyid")
    return kid


def _require(result: VerifyResult, components: tuple[str, ...], what: str) -> None:
    """Every component the federation requires is covered (parameters in any order)."""
    covered = {_identity(component) for component in result.covered_components}
    missing = [component for component in components if _identity(component) not in covered]
    if missing:
        raise SignatureIncomplete(
            f"the {what}'s signature does not cover {' '.join(missing)}; "
            f"it must cover {' '.join(components)}"
        )


def _check_digest(result: VerifyResult, body: bytes, what: str) -> None:
    """The covered Content-Digest is the content's (RFC 9530 §2: every digest it carries)."""
    try:
        ContentDigest.verify(result.covered_components['"content-digest"'], body)
    except HTTPMessageSignaturesException as exc:
        raise DigestMismatch(
            f"the {what} fails its signed Content-Digest ({exc}): its content changed after signing"
        ) from None


def _check_window(
    result: VerifyResult, now: datetime, max_age: timedelta, skew: timedelta, what: str
) -> datetime:
    """When the signature was created, if inside the window around `now`."""
    created = result.parameters.get("created")
    if not isinstance(created, int):
        raise SignatureIncomplete(f"the {what}'s signature carries no created time")
    age = now.timestamp() - created
    if age > max_age.total_seconds():
        raise SignatureStale(
            f"the {what} was signed {age:.0f} s ago; a signature older than "
            f"{max_age.total_seconds():.0f} s is refused as a replay or a delayed message"
        )
    if -age > skew.total_seconds():
        raise SignatureStale(
            f"the {what} was signed {-age:.0f} s ahead of this node's clock, beyond the "
            f"{skew.total_seconds():.0f} s of skew accepted; check both nodes' clocks"
        )
    expires = result.parameters.get("expires")
    if isinstance(expires, int) and now.timestamp() - expires > skew.total_seconds():
        raise SignatureStale(
            f"the {what}'s signature expired {now.timestamp() - expires:.0f} s ago"
        )
    return datetime.fromtimestamp(created, UTC)


def _kid(result: VerifyResult) -> str:
    return str(result.parameters["keyid"])


def _identity(component: str) -> tuple[str, frozenset[tuple[str, object]]]:
    """A component identifier's name and parameters, which RFC 9421 §2 compares unordered."""
    item = http_sf.parse(component.encode("ascii"), tltype="item")
    name, parameters = cast("tuple[str, dict[str, object]]", item)  # an item: value, parameters
    return name, frozenset(parameters.items())


def _field(headers: Mapping[str, str], name: str) -> str | None:
    """A field's value, its lines combined (RFC 9110 §5.3); None if the message has none."""
    lines = [value for field, value in headers.items() if field.lower() == name]
    return ", ".join(lines) if lines else None


def _unsigned(headers: Mapping[str, str]) -> dict[str, str]:
    """`headers` without the fields signing produces."""
    return {field: value for field, value in headers.items() if field.lower() not in _PRODUCED}
