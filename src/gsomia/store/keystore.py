"""Party keys: this node's own (private parts encrypted) and its partners' public keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, insert, select, update

from gsomia.crypto.keys import KeyRecord, Purpose, Status
from gsomia.errors import Conflict, NotFound
from gsomia.store import tables


def add_key(connection: Connection, record: KeyRecord, origin: str) -> None:
    table = tables.party_keys
    exists = connection.execute(select(table.c.kid).where(table.c.kid == record.kid)).first()
    if exists:
        raise Conflict(f"key {record.kid} is already known")
    connection.execute(
        insert(table).values(
            kid=record.kid,
            party=record.party,
            purpose=record.purpose.value,
            algorithm=record.algorithm,
            public_pem=record.public_pem,
            private_pem=record.private_pem,
            origin=origin,
            status=record.status.value,
            created_at=record.created_at,
            retired_at=record.retired_at,
        )
    )


def keys(connection: Connection, party: str | None = None) -> list[KeyRecord]:
    table = tables.party_keys
    query = select(table).order_by(table.c.party, table.c.created_at, table.c.kid)
    if party is not None:
        query = query.where(table.c.party == party)
    return _records(connection, query)


def _records(connection: Connection, query: Select[Any]) -> list[KeyRecord]:
    return [
        KeyRecord(
            row.kid,
            row.party,
            Purpose(row.purpose),
            row.public_pem,
            row.private_pem,
            Status(row.status),
            row.created_at,
            row.retired_at,
        )
        for row in connection.execute(query)
    ]


def key(connection: Connection, kid: str) -> KeyRecord:
    table = tables.party_keys
    found = _records(connection, select(table).where(table.c.kid == kid))
    if not found:
        raise NotFound(f"no key {kid!r}", subject="key")
    return found[0]


def retire(connection: Connection, kid: str, at: datetime) -> None:
    table = tables.party_keys
    connection.execute(
        update(table).where(table.c.kid == kid).values(status=Status.RETIRED.value, retired_at=at)
    )


def destroy(connection: Connection, kid: str) -> None:
    """Drop the private part of a retired key: what was wrapped to it can no longer be opened."""
    table = tables.party_keys
    connection.execute(
        update(table)
        .where(table.c.kid == kid)
        .values(status=Status.DESTROYED.value, private_pem=None)
    )
