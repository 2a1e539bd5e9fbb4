"""Ed25519 signatures as JWS compact serialisations (RFC 7515, alg EdDSA per RFC 8037)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from gsomia.errors import LabelAltered, UnknownSigner


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the bytes that are hashed and signed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign_jws(claims: dict[str, Any], key: ed25519.Ed25519PrivateKey, kid: str) -> str:
    header = b64url(canonical_json({"alg": "EdDSA", "kid": kid}))
    payload = b64url(canonical_json(claims))
    signature = key.sign(f"{header}.{payload}".encode("ascii"))
    return f"{header}.{payload}.{b64url(signature)}"


def verify_jws(
    token: str, public_key_for: Callable[[str], ed25519.Ed25519PublicKey | None]
) -> tuple[str, dict[str, Any]]:
    """The signer's key id and the verified claims; a specific error otherwise."""
    try:
        header_text, payload_text, signature_text = token.split(".")
        header = json.loads(b64url_decode(header_text))
        claims = json.loads(b64url_decode(payload_text))
        signature = b64url_decode(signature_text)
    except (ValueError, UnicodeDecodeError):
        raise LabelAltered("the label's binding is not a well-formed JWS") from None
    if not isinstance(header, dict) or header.get("alg") != "EdDSA" or not isinstance(claims, dict):
        raise LabelAltered("the label's binding is not an EdDSA JWS")
    kid = str(header.get("kid", ""))
    public = public_key_for(kid)
    if public is None:
        raise UnknownSigner(
            f"the label is signed with key {kid!r}, which belongs to no known party",
            subject="partner-keys",
        )
    try:
        public.verify(signature, f"{header_text}.{payload_text}".encode("ascii"))
    except InvalidSignature:
        raise LabelAltered(f"the label's signature by {kid} does not verify") from None
    return kid, claims


def sign_detached(data: bytes, key: ed25519.Ed25519PrivateKey) -> bytes:
    """An Ed25519 signature over `data` (an XML signature's canonical SignedInfo)."""
    return key.sign(data)


def verify_detached(signature: bytes, data: bytes, public: ed25519.Ed25519PublicKey) -> bool:
    """Whether `signature` is `public`'s Ed25519 signature over `data`."""
    try:
        public.verify(signature, data)
    except InvalidSignature:
        return False
    return True
