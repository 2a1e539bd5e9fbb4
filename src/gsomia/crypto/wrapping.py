"""Wrapping a payload key to a party's public key, as the OpenTDF key access types do.

- `wrapped`: RSA-OAEP (MGF1 and hash SHA-1, as OpenTDF key access servers expect).
- `ec-wrapped`: an ephemeral P-256 key agrees a secret with the recipient's key (ECDH); HKDF-
  SHA256 with salt SHA-256("TDF") derives an AES-256-GCM key that encrypts the payload key;
  the wrapped key is nonce || ciphertext || tag and the ephemeral public key travels in PEM.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gsomia.crypto.keys import PrivateKey, PublicKey, Purpose, public_pem
from gsomia.errors import KeyUnavailable

_OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
_EC_SALT = hashlib.sha256(b"TDF").digest()


@dataclass(frozen=True, slots=True)
class Wrapped:
    wrapped_key: bytes
    ephemeral_public_pem: str | None = None


def wrap(key: bytes, purpose: Purpose, recipient: PublicKey) -> Wrapped:
    if purpose is Purpose.WRAPPED and isinstance(recipient, rsa.RSAPublicKey):
        return Wrapped(recipient.encrypt(key, _OAEP))
    if purpose is Purpose.EC_WRAPPED and isinstance(recipient, ec.EllipticCurvePublicKey):
        ephemeral = ec.generate_private_key(ec.SECP256R1())
        shared = _derive(ephemeral.exchange(ec.ECDH(), recipient))
        nonce = os.urandom(12)
        return Wrapped(nonce + AESGCM(shared).encrypt(nonce, key, None), public_pem(ephemeral))
    raise ValueError(f"a {purpose} key access needs a matching public key")


def unwrap(wrapped: Wrapped, purpose: Purpose, private: PrivateKey, kid: str) -> bytes:
    """The payload key, or `KeyUnavailable` when this key cannot unwrap it."""
    try:
        if purpose is Purpose.WRAPPED and isinstance(private, rsa.RSAPrivateKey):
            return private.decrypt(wrapped.wrapped_key, _OAEP)
        if (
            purpose is Purpose.EC_WRAPPED
            and isinstance(private, ec.EllipticCurvePrivateKey)
            and wrapped.ephemeral_public_pem
        ):
            ephemeral = serialization.load_pem_public_key(wrapped.ephemeral_public_pem.encode())
            if not isinstance(ephemeral, ec.EllipticCurvePublicKey):
                raise ValueError("ephemeral key is not an EC key")
            shared = _derive(private.exchange(ec.ECDH(), ephemeral))
            nonce, body = wrapped.wrapped_key[:12], wrapped.wrapped_key[12:]
            return AESGCM(shared).decrypt(nonce, body, None)
    except (ValueError, InvalidTag):
        pass
    raise KeyUnavailable(
        f"key {kid} cannot unwrap this item's key (wrong key or altered key access)"
    )


def _derive(secret: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_EC_SALT, info=b"").derive(secret)
