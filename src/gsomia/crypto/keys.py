"""Party identities: an Ed25519 signing key and the OpenTDF key-wrapping keys.

Each key has a key id derived from its public part. Private keys leave this module only
encrypted under the node's passphrase; they never appear in logs, errors or the database in
clear. The encrypted form is a self-describing JSON text (`EncryptedKey`): the PKCS #8 DER
under AES-256-GCM, with a key derived from the passphrase by scrypt (RFC 7914), whose
parameters and salt travel with it so that they can be raised later. The keys made together
share one salt, so that unlocking them costs one derivation.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, Literal

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pydantic import BaseModel, ConfigDict, Field

from gsomia.errors import KeyStoreError, KeyUnavailable

PrivateKey = ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = ed25519.Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey
VerifyingKeyFor = Callable[[str], ed25519.Ed25519PublicKey | None]
"""A trusted signing key by its key id, None for a key no party holds (`KeyRing.verifying`)."""


class Purpose(StrEnum):
    SIGN = "sign"
    """Ed25519: signs labels, receipts, key sets and ledger checkpoints."""
    WRAPPED = "wrapped"
    """RSA-2048 with OAEP: the OpenTDF `wrapped` key access type."""
    EC_WRAPPED = "ec-wrapped"
    """EC P-256 with ECDH, HKDF and AES-GCM: the OpenTDF `ec-wrapped` key access type."""
    WITNESS = "witness"
    """Ed25519: cosigns partners' checkpoints (C2SP tlog-cosignature), a key of its own."""


ALGORITHMS = {
    Purpose.SIGN: "Ed25519",
    Purpose.WRAPPED: "RSA-2048",
    Purpose.EC_WRAPPED: "EC-P256",
    Purpose.WITNESS: "Ed25519",
}


class Status(StrEnum):
    ACTIVE = "active"
    """Seals, signs and opens."""
    RETIRED = "retired"
    """Rotated: opens what was sealed to it and verifies old signatures; never seals or signs."""
    DESTROYED = "destroyed"
    """Rotated out: the private part is gone; items wrapped to it can no longer be opened."""


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A key as the registry holds it: public part always, private part encrypted if ours."""

    kid: str
    party: str
    purpose: Purpose
    public_pem: str
    private_pem: str | None
    status: Status
    created_at: datetime
    retired_at: datetime | None = None

    @property
    def algorithm(self) -> str:
        return ALGORITHMS[self.purpose]

    def public_key(self) -> PublicKey:
        return load_public(self.public_pem, self.kid)


def generate(purpose: Purpose) -> PrivateKey:
    if purpose in (Purpose.SIGN, Purpose.WITNESS):
        return ed25519.Ed25519PrivateKey.generate()
    if purpose is Purpose.WRAPPED:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(key: PrivateKey | PublicKey) -> str:
    public = key.public_key() if isinstance(key, PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def fingerprint(public: str) -> str:
    """SHA-256 of the SubjectPublicKeyInfo DER, hex: what partners compare out of band."""
    der = serialization.load_pem_public_key(public.encode("ascii")).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def key_id(party: str, purpose: Purpose, public: str) -> str:
    """A stable id such as kor-sign-3fa9c1d2e4b5: party, purpose, fingerprint prefix."""
    return f"{party.lower()}-{purpose.value}-{fingerprint(public)[:12]}"


KEY_FORMAT: Final = "gsomia-private-key/1"
MIN_PASSPHRASE = 12
"""Characters a passphrase needs before it may protect keys."""
SCRYPT_N = 2**16
"""scrypt's cost: 64 MiB and about 0.3 s per derivation on a 2-core machine (2**17 took 0.6 s:
too slow for a command that unlocks keys every time it runs)."""
SCRYPT_R = 8
SCRYPT_P = 1
MAX_SCRYPT_MEMORY = 2**30
"""The most memory stored parameters may ask for (128·N·r·p bytes): a stored key whose
parameters ask for more is refused rather than allowed to exhaust memory."""


_AAD = KEY_FORMAT.encode()
"""Authenticated with every key: a ciphertext of another format cannot pass for this one."""


class ScryptParameters(BaseModel):
    """How a key-encryption key is derived from the passphrase (RFC 7914)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Literal["scrypt"] = "scrypt"
    n: int = Field(gt=1)
    r: int = Field(gt=0)
    p: int = Field(gt=0)
    salt: str
    """Base64; 16 random bytes."""


class EncryptedKey(BaseModel):
    """A private key as stored: PKCS #8 DER under AES-256-GCM with a scrypt-derived key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["gsomia-private-key/1"] = KEY_FORMAT
    kdf: ScryptParameters
    cipher: Literal["AES-256-GCM"] = "AES-256-GCM"
    nonce: str
    ciphertext: str


class Passphrase:
    """The node's passphrase and the keys scrypt derived from it, each derived once (scrypt
    is slow on purpose): a command unlocking several keys of one batch derives one key."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self._derived: dict[ScryptParameters, bytes] = {}

    def key(self, kdf: ScryptParameters) -> bytes:
        if kdf not in self._derived:
            self._derived[kdf] = Scrypt(
                salt=base64.b64decode(kdf.salt), length=32, n=kdf.n, r=kdf.r, p=kdf.p
            ).derive(self.secret)
        return self._derived[kdf]


class UnlockedKeys:
    """The private keys a process has unlocked, kept for its life: a serving node unlocks each
    key once (scrypt, then the key's own checks) instead of once per request. An entry is found
    only by the same key id, the same stored ciphertext and the same passphrase, so a wrong
    passphrase still fails and a rotated key is unlocked afresh. Two threads unlocking one key
    at once both derive it; either result is the same key."""

    def __init__(self) -> None:
        self._keys: dict[bytes, PrivateKey] = {}

    def unlock(self, record: KeyRecord, passphrase: Passphrase) -> PrivateKey:
        assert record.private_pem is not None
        entry = hashlib.sha256(
            b"\0".join((record.kid.encode(), record.private_pem.encode(), passphrase.secret))
        ).digest()
        key = self._keys.get(entry)
        if key is None:
            key = self._keys[entry] = decrypt_private(record.private_pem, passphrase, record.kid)
        return key


def encrypt_private(keys: Sequence[PrivateKey], passphrase: bytes) -> list[str]:
    """`keys` encrypted under `passphrase`, one derivation for the batch (one salt)."""
    if len(passphrase.decode("utf-8", errors="replace")) < MIN_PASSPHRASE:
        raise KeyStoreError(
            f"a passphrase protecting keys needs at least {MIN_PASSPHRASE} characters",
            subject="passphrase-strength",
        )
    kdf = ScryptParameters(
        n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, salt=base64.b64encode(os.urandom(16)).decode()
    )
    cipher = AESGCM(Passphrase(passphrase).key(kdf))
    texts = []
    for key in keys:
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        nonce = os.urandom(12)
        texts.append(
            EncryptedKey(
                kdf=kdf,
                nonce=base64.b64encode(nonce).decode(),
                ciphertext=base64.b64encode(cipher.encrypt(nonce, der, _AAD)).decode(),
            ).model_dump_json()
        )
    return texts


def decrypt_private(text: str, passphrase: Passphrase, kid: str) -> PrivateKey:
    try:
        stored = EncryptedKey.model_validate_json(text)
        nonce = base64.b64decode(stored.nonce, validate=True)
        ciphertext = base64.b64decode(stored.ciphertext, validate=True)
        base64.b64decode(stored.kdf.salt, validate=True)
        if len(nonce) != 12:
            raise ValueError("a GCM nonce is 12 bytes")
    except ValueError:  # pydantic's and base64's errors alike
        raise KeyStoreError(f"key {kid} is not stored as a {KEY_FORMAT} text") from None
    kdf = stored.kdf
    if 128 * kdf.n * kdf.r * kdf.p > MAX_SCRYPT_MEMORY or kdf.n & (kdf.n - 1):
        raise KeyStoreError(f"key {kid} asks for scrypt parameters out of range")
    try:
        der = AESGCM(passphrase.key(kdf)).decrypt(nonce, ciphertext, _AAD)
    except InvalidTag:
        raise KeyStoreError(
            f"cannot unlock key {kid}: wrong passphrase", subject="passphrase"
        ) from None
    try:
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, UnsupportedAlgorithm):
        raise KeyStoreError(f"key {kid} does not hold a readable private key") from None
    if not isinstance(key, PrivateKey):
        raise KeyStoreError(f"key {kid} is of an unsupported type")
    return key


def load_public(pem: str, kid: str) -> PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnsupportedAlgorithm):
        raise KeyStoreError(f"key {kid} is not a readable public key") from None
    if not isinstance(key, PublicKey):
        raise KeyStoreError(f"key {kid} is of an unsupported type")
    return key


def party_url(party: str) -> str:
    """The `url` of a key access object addressed to a party's node."""
    return f"urn:gsomia:party:{party}"


class KeyRing:
    """The keys a node can use: its own (unlocked on first use) and its partners' public keys."""

    def __init__(
        self,
        party: str | None,
        records: list[KeyRecord],
        passphrase: bytes | None,
        unlocked: UnlockedKeys | None = None,
    ) -> None:
        self.party = party
        self._records = {record.kid: record for record in records}
        self._passphrase = Passphrase(passphrase) if passphrase is not None else None
        self._cache = unlocked if unlocked is not None else UnlockedKeys()
        self._unlocked: dict[str, PrivateKey] = {}

    def record(self, kid: str) -> KeyRecord | None:
        return self._records.get(kid)

    def records(self) -> list[KeyRecord]:
        return list(self._records.values())

    def active(self, party: str, purpose: Purpose) -> KeyRecord | None:
        """The newest active key of a party for a purpose: the only kind that seals or signs."""
        candidates = [
            r
            for r in self._records.values()
            if r.party == party and r.purpose is purpose and r.status is Status.ACTIVE
        ]
        return max(candidates, key=lambda r: r.created_at, default=None)

    def private(self, kid: str) -> PrivateKey:
        """Our private key `kid`, for opening; `KeyUnavailable` says why it cannot serve."""
        record = self._records.get(kid)
        if record is None or record.party != self.party:
            raise KeyUnavailable(f"key {kid} is not one of this node's keys")
        if record.status is Status.DESTROYED or record.private_pem is None:
            when = f" at {record.retired_at.isoformat()}" if record.retired_at else ""
            raise KeyUnavailable(f"key {kid} was rotated out{when}; its private part is destroyed")
        if kid not in self._unlocked:
            if self._passphrase is None:
                raise KeyStoreError(
                    "the node's keys are locked: no passphrase was given", subject="passphrase"
                )
            self._unlocked[kid] = self._cache.unlock(record, self._passphrase)
        return self._unlocked[kid]

    def signing(self) -> tuple[str, ed25519.Ed25519PrivateKey]:
        """Our active signing key (never a retired one)."""
        if self.party is None:
            raise KeyStoreError("this registry has no party to sign for", subject="party")
        record = self.active(self.party, Purpose.SIGN)
        if record is None:
            raise KeyStoreError(f"{self.party} has no signing key", subject="keys")
        key = self.private(record.kid)
        assert isinstance(key, ed25519.Ed25519PrivateKey)
        return record.kid, key

    def party_of(self, kid: str) -> str | None:
        """The party a known key belongs to: whom a signature by `kid` speaks for."""
        record = self._records.get(kid)
        return record.party if record is not None else None

    def verifying(self, kid: str) -> ed25519.Ed25519PublicKey | None:
        """A known signing key (ours or a partner's, active or retired), if any."""
        record = self._records.get(kid)
        if record is None or record.purpose is not Purpose.SIGN:
            return None
        key = record.public_key()
        return key if isinstance(key, ed25519.Ed25519PublicKey) else None
