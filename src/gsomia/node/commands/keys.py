"""The node's identity: generating, rotating, exporting and importing party keys.

A node holds one active key per purpose (Ed25519 signing, RSA-2048 `wrapped`, EC P-256
`ec-wrapped`). Rotation makes new active keys and retires the old ones, which still open what
was sealed to them but never seal or sign again. Partners exchange public key sets signed by
the exporting node's signing keys.

A partner's key set is pinned: the first one is taken only on the officer's word (`trust`,
after comparing fingerprints out of band); a later one only when a signing key already pinned
for that party signed it (a rotation), or when the officer replaces the set explicitly, naming
the old and the new signing-key fingerprints. Anything else is refused, so an impostor's set
can never slip in beside the real one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gsomia.crypto import keys as crypto_keys
from gsomia.crypto import objects
from gsomia.crypto.keys import KeyRecord, KeyRing, Purpose, Status
from gsomia.crypto.signatures import canonical_json, sign_jws, verify_jws
from gsomia.errors import (
    Conflict,
    InvalidRequest,
    KeySetRejected,
    KeyStoreError,
    LabelAltered,
    UnknownSigner,
    VerificationFailed,
)
from gsomia.node import journal
from gsomia.node.context import Node, Tx
from gsomia.node.schemas import ExportedView, ImportedView, KeyView, RotatedView
from gsomia.store import files, keystore

KEY_SET_FORMAT = "gsomia-public-keys/1"
M = TypeVar("M", bound=objects.Claims)


def keyring(tx: Tx, passphrase: bytes | None) -> KeyRing:
    """Every key the registry holds, this node's own unlocked on first use in the process."""
    return KeyRing(tx.party, keystore.keys(tx.connection), passphrase, tx.node.unlocked)


def _new_records(party: str, passphrase: bytes, now: datetime) -> list[KeyRecord]:
    private = [crypto_keys.generate(purpose) for purpose in Purpose]
    encrypted = crypto_keys.encrypt_private(private, passphrase)
    records = []
    for purpose, key, stored in zip(Purpose, private, encrypted, strict=True):
        public = crypto_keys.public_pem(key)
        records.append(
            KeyRecord(
                crypto_keys.key_id(party, purpose, public),
                party,
                purpose,
                public,
                stored,
                Status.ACTIVE,
                now,
            )
        )
    return records


def init_keys(node: Node, passphrase: bytes) -> list[KeyView]:
    """Generate the node's first keys; refused if it has keys already (rotate instead)."""
    with node.write() as tx:
        party = tx.own_party()
        if any(r.party == party and r.private_pem for r in keystore.keys(tx.connection, party)):
            raise Conflict(f"{party} already has keys; rotate them to replace them", subject="keys")
        records = _new_records(party, passphrase, tx.now)
        for record in records:
            journal.key(tx, record, "generated")
        return [KeyView.of(r, party) for r in records]


def rotate(node: Node, passphrase: bytes) -> RotatedView:
    """New active keys for every purpose; the previous ones retire."""
    with node.write() as tx:
        party = tx.own_party()
        ring = keyring(tx, passphrase)
        current = [ring.active(party, purpose) for purpose in Purpose]
        if not all(current):
            raise KeyStoreError(f"{party} has no keys to rotate", subject="keys")
        for record in current:
            assert record is not None
            ring.private(record.kid)  # the same passphrase must unlock the keys it replaces
        records = _new_records(party, passphrase, tx.now)
        for record in current:
            assert record is not None
            journal.key(tx, record, "retired")
        for record in records:
            journal.key(tx, record, "generated")
        return RotatedView(
            new=[KeyView.of(r, party) for r in records],
            retired=[r.kid for r in current if r is not None],
        )


def destroy(node: Node, kid: str) -> KeyView:
    """Rotate a retired key out for good: its private part is erased."""
    with node.write() as tx:
        record = keystore.key(tx.connection, kid)
        if record.party != tx.party or record.private_pem is None:
            raise InvalidRequest(f"key {kid} is not one of this node's private keys")
        if record.status is not Status.RETIRED:
            raise InvalidRequest(
                f"key {kid} is {record.status}; only a retired key can be destroyed"
            )
        journal.key(tx, record, "destroyed")
        return KeyView.of(keystore.key(tx.connection, kid), tx.party)


def export_public(node: Node, passphrase: bytes) -> dict[str, Any]:
    """This node's public key set, signed by every signing key it still holds, so that a
    partner who pinned only a retired one can follow the rotation."""
    with node.read() as tx:
        party = tx.own_party()
        ring = keyring(tx, passphrase)
    ring.signing()  # an active signing key must exist
    own = [r for r in ring.records() if r.party == party]
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
            for r in own
        ],
    }
    claims = {"sha256": _digest(body)}
    signatures = []
    for record in own:
        if record.purpose is Purpose.SIGN and record.private_pem:
            key = ring.private(record.kid)
            assert isinstance(key, Ed25519PrivateKey)
            signatures.append(sign_jws(claims, key, record.kid))
    return {**body, "signatures": signatures}


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(body)).hexdigest()


@dataclass(frozen=True, slots=True)
class Replacement:
    """An officer's explicit replacement of a partner's pinned key set."""

    old: str
    """The fingerprint of the party's pinned active signing key."""
    new: str
    """The fingerprint of the offered set's active signing key."""


@dataclass(frozen=True, slots=True)
class _Offered:
    party: str
    records: dict[str, KeyRecord]
    signatures: list[str]
    digest: str


def import_public(
    node: Node, text: str, *, trust: bool = False, replace: Replacement | None = None
) -> ImportedView:
    """Import a partner's public key set, under the pinning rules of this module."""
    with node.write() as tx:
        offered = _parse_set(tx, text)
        party = offered.party
        pinned = {r.kid: r for r in keystore.keys(tx.connection, party)}
        if replace is not None:
            return _replace(tx, offered, pinned, replace)
        if pinned:
            _verify(offered, pinned.get)
        elif not trust:
            raise KeySetRejected(
                f"no keys are pinned for {party} yet; compare the set's fingerprints out of "
                "band, then trust it explicitly",
                subject="trust",
            )
        else:
            _verify(offered, offered.records.get)
        added = [kid for kid in offered.records if kid not in pinned]
        for kid in added:
            journal.key(tx, offered.records[kid], "imported")
        for kid, record in offered.records.items():
            if (
                kid in pinned
                and record.status is not Status.ACTIVE
                and pinned[kid].status is Status.ACTIVE
            ):
                journal.key(tx, pinned[kid], "retired")
        return ImportedView(
            party=party,
            added=added,
            already_known=[kid for kid in offered.records if kid in pinned],
        )


def _replace(
    tx: Tx, offered: _Offered, pinned: dict[str, KeyRecord], replace: Replacement
) -> ImportedView:
    party = offered.party
    current = _active_signing(pinned.values())
    if current is None or crypto_keys.fingerprint(current.public_pem) != replace.old.lower():
        shown = crypto_keys.fingerprint(current.public_pem) if current else "none"
        raise KeySetRejected(
            f"{replace.old} is not the fingerprint of {party}'s pinned signing key ({shown})",
            subject="replace",
        )
    new = _active_signing(offered.records.values())
    if new is None or crypto_keys.fingerprint(new.public_pem) != replace.new.lower():
        shown = crypto_keys.fingerprint(new.public_pem) if new else "none"
        raise KeySetRejected(
            f"{replace.new} is not the fingerprint of the offered set's signing key ({shown})",
            subject="replace",
        )
    _verify(offered, offered.records.get)
    retired = []
    for record in pinned.values():
        if record.status is Status.ACTIVE:
            journal.key(tx, record, "retired")
            retired.append(record.kid)
    added = [kid for kid in offered.records if kid not in pinned]
    for kid in added:
        journal.key(tx, offered.records[kid], "imported")
    return ImportedView(party=party, added=added, already_known=[], retired=retired)


def _active_signing(records: Any) -> KeyRecord | None:
    signing = [r for r in records if r.purpose is Purpose.SIGN and r.status is Status.ACTIVE]
    return max(signing, key=lambda r: r.created_at, default=None)


def _verify(offered: _Offered, signer_record: Callable[[str], KeyRecord | None]) -> None:
    """The set must carry a signature, by a signing key `signer_record` accepts, over exactly
    its content."""

    def signer(kid: str) -> Ed25519PublicKey | None:
        record = signer_record(kid)
        if record is None or record.purpose is not Purpose.SIGN:
            return None
        public = record.public_key()
        return public if isinstance(public, Ed25519PublicKey) else None

    altered = False
    for token in offered.signatures:
        try:
            _, claims = verify_jws(token, signer)
        except UnknownSigner:
            continue
        except LabelAltered:
            altered = True
            continue
        if claims.get("sha256") == offered.digest:
            return
        altered = True
    if altered:
        raise KeySetRejected(f"the key set for {offered.party} does not verify: it was altered")
    raise KeySetRejected(
        f"the key set for {offered.party} is not signed by any key pinned for "
        f"{offered.party}; if {offered.party} replaced its keys, replace the pinned set "
        "explicitly, naming the old and new signing-key fingerprints",
        subject="replace",
    )


def _parse_set(tx: Tx, text: str) -> _Offered:
    try:
        document = json.loads(text)
        body = {k: document[k] for k in ("format", "party", "keys")}
        signatures = [str(token) for token in document["signatures"]]
    except (ValueError, KeyError, TypeError, RecursionError):
        raise InvalidRequest("not a gsomia public key set") from None
    if body["format"] != KEY_SET_FORMAT:
        raise InvalidRequest(f"unsupported key set format {body['format']!r}")
    party = tx.known_party(str(body["party"]))
    if party == tx.party:
        raise InvalidRequest(f"{party} is this node's own party; its keys are made here")
    records = _records_from(party, body["keys"], tx.now)
    return _Offered(party, {r.kid: r for r in records}, signatures, _digest(body))


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


def write_key_set(
    node: Node, document: dict[str, Any], destination: Path | IO[bytes]
) -> ExportedView:
    """Write an exported key set to a file (never the registry's own) or a stream."""
    data = (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()
    if isinstance(destination, Path):
        with files.output(destination, forbidden=node.database_files()) as out:
            out.write(data)
    else:
        destination.write(data)
        destination.flush()
    signing = [
        k
        for k in document["keys"]
        if k["purpose"] == Purpose.SIGN.value and k["status"] == Status.ACTIVE.value
    ]
    return ExportedView(
        party=document["party"],
        output=str(destination) if isinstance(destination, Path) else "-",
        keys=[k["kid"] for k in document["keys"]],
        fingerprints=[k["fingerprint"] for k in signing],
    )


def sign_object(ring: KeyRing, kind: objects.ObjectKind, claims: objects.Claims) -> str:
    """A signed object (a receipt, consent, note, acknowledgement) from this node's key."""
    kid, key = ring.signing()
    return objects.sign_object(kind, claims, key, kid)


def verify_from(
    ring: KeyRing, party: str, token: str, kind: objects.ObjectKind, model: type[M]
) -> M:
    """The claims of a signed object, which `party`'s pinned signing keys, and no other's, must
    have signed; `ObjectRejected` otherwise."""

    def key_for(kid: str) -> Ed25519PublicKey | None:
        record = ring.record(kid)
        if record is None or record.party != party or record.purpose is not Purpose.SIGN:
            return None
        return ring.verifying(kid)

    return objects.verify_object(token, kind, key_for, model, party_of=ring.party_of)[1]


def verifies(
    ring: KeyRing, party: str, token: str, kind: objects.ObjectKind, model: type[M]
) -> bool:
    """Whether a signed object verifies as `party`'s."""
    try:
        verify_from(ring, party, token, kind, model)
    except VerificationFailed:
        return False
    return True
