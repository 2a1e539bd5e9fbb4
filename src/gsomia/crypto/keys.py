"""Party identities: an Ed25519 signing key and the OpenTDF key-wrapping keys.

Each key has a key id derived from its public part. Private keys leave this module only
encrypted (PKCS #8 with the node's passphrase); they never appear in logs, errors or the
database in clear.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from gsomia.errors import KeyStoreError, KeyUnavailable

PrivateKey = ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = ed25519.Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey


class Purpose(StrEnum):
    SIGN = "sign"
    """Ed25519: signs labels, receipts, key sets and ledger checkpoints."""
    WRAPPED = "wrapped"
    """RSA-2048 with OAEP: the OpenTDF `wrapped` key access type."""
    EC_WRAPPED = "ec-wrapped"
    """EC P-256 with ECDH, HKDF and AES-GCM: the OpenTDF `ec-wrapped` key access type."""


ALGORITHMS = {Purpose.SIGN: "Ed25519", Purpose.WRAPPED: "RSA-2048", Purpose.EC_WRAPPED: "EC-P256"}


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
    if purpose is Purpose.SIGN:
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


def encrypt_private(key: PrivateKey, passphrase: bytes) -> str:
    if not passphrase:
        raise KeyStoreError("an empty passphrase cannot protect keys; set GSOMIA_PASSPHRASE")
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    ).decode("ascii")


def decrypt_private(pem: str, passphrase: bytes, kid: str) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=passphrase)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise KeyStoreError(
            f"cannot unlock key {kid}: wrong passphrase (check GSOMIA_PASSPHRASE)"
        ) from None
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
        self, party: str | None, records: list[KeyRecord], passphrase: bytes | None
    ) -> None:
        self.party = party
        self._records = {record.kid: record for record in records}
        self._passphrase = passphrase
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
                raise KeyStoreError("the keys are locked; set GSOMIA_PASSPHRASE")
            self._unlocked[kid] = decrypt_private(record.private_pem, self._passphrase, kid)
        return self._unlocked[kid]

    def signing(self) -> tuple[str, ed25519.Ed25519PrivateKey]:
        """Our active signing key (never a retired one)."""
        if self.party is None:
            raise KeyStoreError("this registry has no party; run gsomia init --party P")
        record = self.active(self.party, Purpose.SIGN)
        if record is None:
            raise KeyStoreError(f"{self.party} has no signing key; run gsomia keys init")
        key = self.private(record.kid)
        assert isinstance(key, ed25519.Ed25519PrivateKey)
        return record.kid, key

    def verifying(self, kid: str) -> ed25519.Ed25519PublicKey | None:
        """A known signing key (ours or a partner's, active or retired), if any."""
        record = self._records.get(kid)
        if record is None or record.purpose is not Purpose.SIGN:
            return None
        key = record.public_key()
        return key if isinstance(key, ed25519.Ed25519PublicKey) else None
