"""The node's identity: generating, rotating, exporting and importing party keys.

A node holds one active key per purpose (Ed25519 signing, RSA-2048 `wrapped`, EC P-256
`ec-wrapped`). Rotation makes new active keys and retires the old ones, which still open
what was sealed to them but never seal or sign again. Partners exchange public key sets,
signed by the exporting node's signing key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gsomia.crypto import keys as crypto_keys
from gsomia.crypto.keys import KeyRecord, KeyRing, Purpose, Status
from gsomia.crypto.signatures import canonical_json, sign_jws, verify_jws
from gsomia.errors import Conflict, InvalidRequest, KeyStoreError, LabelAltered, UnknownSigner
from gsomia.node import journal
from gsomia.node.registry import Registry
from gsomia.store import keys as key_store

KEY_SET_FORMAT = "gsomia-public-keys/1"


def keyring(registry: Registry, passphrase: bytes | None) -> KeyRing:
    with registry.transaction() as connection:
        records = key_store.keys(connection)
    return KeyRing(registry.party, records, passphrase)


def _own_party(registry: Registry) -> str:
    party = registry.party
    if party is None:
        raise InvalidRequest("this registry has no party; run gsomia init --party P first")
    return party


def _new_records(party: str, passphrase: bytes, now: datetime) -> list[KeyRecord]:
    privates = [crypto_keys.generate(purpose) for purpose in Purpose]
    locked = crypto_keys.encrypt_private(privates, passphrase)
    records = []
    for purpose, private, text in zip(Purpose, privates, locked, strict=True):
        public = crypto_keys.public_pem(private)
        records.append(
            KeyRecord(
                crypto_keys.key_id(party, purpose, public),
                party,
                purpose,
                public,
                text,
                Status.ACTIVE,
                now,
            )
        )
    return records


def init_keys(registry: Registry, passphrase: bytes) -> list[KeyRecord]:
    """Generate the node's first keys; refused if it has keys already (rotate instead)."""
    party = _own_party(registry)
    ring = keyring(registry, passphrase)
    if any(r.party == party and r.private_pem for r in ring.records()):
        raise Conflict(f"{party} already has keys; use gsomia keys rotate to replace them")
    records = _new_records(party, passphrase, registry.now())
    with registry.transaction() as connection:
        for record in records:
            journal.key(connection, record, "generated", record.created_at)
    return records


def rotate(registry: Registry, passphrase: bytes) -> tuple[list[KeyRecord], list[str]]:
    """New active keys for every purpose; the previous ones retire. Returns (new, retired ids)."""
    party = _own_party(registry)
    ring = keyring(registry, passphrase)
    current = [ring.active(party, purpose) for purpose in Purpose]
    if not all(current):
        raise KeyStoreError(f"{party} has no keys to rotate; run gsomia keys init")
    for record in current:
        assert record is not None
        ring.private(record.kid)  # the same passphrase must unlock the keys it replaces
    now = registry.now()
    records = _new_records(party, passphrase, now)
    retired = [record.kid for record in current if record is not None]
    with registry.transaction() as connection:
        for record in current:
            assert record is not None
            journal.key(connection, record, "retired", now)
        for record in records:
            journal.key(connection, record, "generated", now)
    return records, retired


def destroy(registry: Registry, kid: str) -> KeyRecord:
    """Rotate a retired key out for good: its private part is erased."""
    with registry.transaction() as connection:
        record = key_store.key(connection, kid)
        if record.party != registry.party or record.private_pem is None:
            raise InvalidRequest(f"key {kid} is not one of this node's private keys")
        if record.status is not Status.RETIRED:
            raise InvalidRequest(
                f"key {kid} is {record.status}; only a retired key can be destroyed"
            )
        journal.key(connection, record, "destroyed", registry.now())
        return key_store.key(connection, kid)


@dataclass(frozen=True, slots=True)
class Imported:
    party: str
    added: list[str]
    known: list[str]


def export_public(registry: Registry, passphrase: bytes) -> dict[str, Any]:
    """This node's public key set, signed by its active signing key."""
    party = _own_party(registry)
    ring = keyring(registry, passphrase)
    ring.signing()  # an active signing key must exist
    body = {
        "format": KEY_SET_FORMAT,
        "party": party,
        "keys": [
            {
                "kid": r.kid,
                "purpose": r.purpose.value,
                "algorithm": r.algorithm,
                "status": r.status.value,
                "public_pem": r.public_pem,
                "fingerprint": crypto_keys.fingerprint(r.public_pem),
                "created_at": r.created_at.isoformat(),
            }
            for r in ring.records()
            if r.party == party
        ],
    }
    # Signed by every signing key still held, so that a partner who knows only a retired one
    # can follow the rotation.
    claims = {"sha256": _digest(body)}
    signatures = []
    for record in ring.records():
        if record.party == party and record.purpose is Purpose.SIGN and record.private_pem:
            key = ring.private(record.kid)
            assert isinstance(key, Ed25519PrivateKey)
            signatures.append(sign_jws(claims, key, record.kid))
    return {**body, "signatures": signatures}


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(body)).hexdigest()


def import_public(registry: Registry, text: str, *, trust: bool = False) -> Imported:
    """Import a partner's public key set.

    The set must be signed by one of its own signing keys. The first set of a party is taken
    only with `trust` (after comparing fingerprints out of band); later sets must carry a
    signature by a signing key already known for that party.
    """
    try:
        document = json.loads(text)
        body = {k: document[k] for k in ("format", "party", "keys")}
        signatures = [str(token) for token in document["signatures"]]
    except (ValueError, KeyError, TypeError):
        raise InvalidRequest(
            "not a gsomia public key set (gsomia keys export writes one)"
        ) from None
    if body["format"] != KEY_SET_FORMAT:
        raise InvalidRequest(f"unsupported key set format {body['format']!r}")
    party = registry.known_party(str(body["party"]))
    if party == registry.party:
        raise InvalidRequest(f"{party} is this node's own party; its keys are made here")
    records = _records_from(party, body["keys"], registry.now())
    offered = {r.kid: r for r in records}
    known = {r.kid: r for r in keyring(registry, None).records() if r.party == party}

    def signer(kid: str) -> Any:
        record = known.get(kid) or (offered.get(kid) if trust or not known else None)
        if record is None or record.purpose is not Purpose.SIGN:
            return None
        return record.public_key()

    verified: dict[str, Any] | None = None
    altered = False
    for token in signatures:
        try:
            _, verified = verify_jws(token, signer)
            break
        except UnknownSigner:
            continue
        except LabelAltered:
            altered = True
    if verified is None:
        if altered:
            raise KeyStoreError(f"the key set for {party} does not verify: it was altered")
        raise KeyStoreError(
            f"the key set for {party} is signed by a key not known for {party}; compare its "
            "fingerprints out of band, then import it with --trust"
        )
    claims = verified
    if claims.get("sha256") != _digest(body):
        raise KeyStoreError(f"the key set for {party} does not match its signature: it was altered")
    if not known and not trust:
        raise KeyStoreError(
            f"no keys are known for {party} yet; compare the set's fingerprints out of band, "
            "then import it with --trust"
        )
    added = [kid for kid in offered if kid not in known]
    with registry.transaction() as connection:
        for kid in added:
            key_store.add_key(connection, offered[kid], "imported")
        for kid, record in offered.items():
            if (
                kid in known
                and record.status is not Status.ACTIVE
                and known[kid].status is Status.ACTIVE
            ):
                key_store.retire(connection, kid, record.retired_at or registry.now())
    return Imported(party, added, [kid for kid in offered if kid in known])


def _records_from(party: str, entries: Any, now: datetime) -> list[KeyRecord]:
    records = []
    try:
        for entry in entries:
            purpose = Purpose(entry["purpose"])
            public = str(entry["public_pem"])
            crypto_keys.load_public(public, str(entry["kid"]))
            if crypto_keys.key_id(party, purpose, public) != entry["kid"]:
                raise InvalidRequest(f"key {entry['kid']} does not match its public key")
            status = Status(entry["status"])
            records.append(
                KeyRecord(
                    entry["kid"],
                    party,
                    purpose,
                    public,
                    None,
                    Status.RETIRED if status is Status.DESTROYED else status,
                    datetime.fromisoformat(entry["created_at"]),
                    now if status is not Status.ACTIVE else None,
                )
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidRequest(f"malformed key in the key set: {exc}") from None
    return records
