"""Key rings for three parties, generated once per session: KOR, JPN and USA, each knowing
the others' public keys. Loaded as a plugin by tests/conftest.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gsomia.crypto import keys
from gsomia.crypto.keys import KeyRecord, KeyRing, Purpose, Status
from gsomia.crypto.sealing import Recipient

PASSPHRASE = b"correct horse battery staple"
NOW = datetime(2026, 11, 30, tzinfo=UTC)


def make_records(party: str) -> list[KeyRecord]:
    privates = [keys.generate(purpose) for purpose in Purpose]
    locked = keys.encrypt_private(privates, PASSPHRASE)
    records = []
    for purpose, private, text in zip(Purpose, privates, locked, strict=True):
        public = keys.public_pem(private)
        records.append(
            KeyRecord(
                keys.key_id(party, purpose, public),
                party,
                purpose,
                public,
                text,
                Status.ACTIVE,
                NOW,
            )
        )
    return records


@pytest.fixture(scope="session")
def records() -> dict[str, list[KeyRecord]]:
    return {party: make_records(party) for party in ("KOR", "JPN", "USA")}


def ring_for(
    party: str, records: dict[str, list[KeyRecord]], *, drop: tuple[str, ...] = ()
) -> KeyRing:
    """`party`'s ring: its own keys (private) and the other parties' public keys."""
    everything = []
    for owner, owned in records.items():
        if owner in drop:
            continue
        for record in owned:
            everything.append(
                record
                if owner == party
                else KeyRecord(
                    record.kid, owner, record.purpose, record.public_pem, None, record.status, NOW
                )
            )
    return KeyRing(party, everything, PASSPHRASE)


@pytest.fixture(scope="session")
def rings(records) -> dict[str, KeyRing]:
    return {party: ring_for(party, records) for party in records}


def recipient(ring: KeyRing, party: str, purpose: Purpose = Purpose.WRAPPED) -> Recipient:
    record = ring.active(party, purpose)
    assert record is not None
    return Recipient(party, record.kid, purpose, record.public_key())
