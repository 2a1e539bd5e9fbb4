"""Reference documents (schemes, agreements), agreement events and settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from gsomia.core.agreements import Event, EventKind
from gsomia.errors import Conflict
from gsomia.store import tables


@dataclass(frozen=True, slots=True)
class Document:
    key: str
    document: str
    origin: str


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: int
    event: Event
    source: str
    recorded_at: datetime


def _table(kind: str) -> Table:
    return {"schemes": tables.schemes, "agreements": tables.agreements}[kind]


def save_document(connection: Connection, kind: str, key: str, text: str, origin: str) -> str:
    """Store or replace a scheme or agreement document; says 'added', 'updated' or 'unchanged'."""
    table = _table(kind)
    key_column = table.primary_key.columns.values()[0]
    current = connection.execute(
        select(table.c.document).where(key_column == key)
    ).scalar_one_or_none()
    if current is None:
        connection.execute(
            insert(table).values({key_column.name: key, "document": text, "origin": origin})
        )
        return "added"
    if current == text:
        return "unchanged"
    connection.execute(update(table).where(key_column == key).values(document=text, origin=origin))
    return "updated"


def documents(connection: Connection, kind: str) -> list[Document]:
    table = _table(kind)
    key_column = table.primary_key.columns.values()[0]
    rows = connection.execute(
        select(key_column, table.c.document, table.c.origin).order_by(key_column)
    )
    return [Document(row[0], row[1], row[2]) for row in rows]


def add_event(connection: Connection, event: Event, source: str, recorded_at: datetime) -> int:
    try:
        with connection.begin_nested():
            result = connection.execute(
                insert(tables.agreement_events).values(
                    agreement_id=event.agreement,
                    kind=event.kind.value,
                    party=event.by,
                    at=event.at,
                    note=event.note,
                    source=source,
                    recorded_at=recorded_at,
                )
            )
    except IntegrityError:
        raise Conflict(
            f"duplicate event: {event.kind} by {event.by} at {event.at.isoformat()} "
            f"is already recorded for {event.agreement}"
        ) from None
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def events(connection: Connection, agreement_id: str | None = None) -> list[StoredEvent]:
    table = tables.agreement_events
    query = select(table).order_by(table.c.at, table.c.id)
    if agreement_id is not None:
        query = query.where(table.c.agreement_id == agreement_id)
    return [
        StoredEvent(
            row.id,
            Event(row.agreement_id, EventKind(row.kind), row.party, row.at, row.note),
            row.source,
            row.recorded_at,
        )
        for row in connection.execute(query)
    ]


def setting(connection: Connection, key: str) -> str | None:
    return connection.execute(
        select(tables.settings.c.value).where(tables.settings.c.key == key)
    ).scalar_one_or_none()


def settings(connection: Connection) -> dict[str, str]:
    return {row.key: row.value for row in connection.execute(select(tables.settings))}


def set_setting(connection: Connection, key: str, value: str) -> None:
    if setting(connection, key) is None:
        connection.execute(insert(tables.settings).values(key=key, value=value))
    else:
        connection.execute(
            update(tables.settings).where(tables.settings.c.key == key).values(value=value)
        )


@dataclass(frozen=True, slots=True)
class StoredPolicy:
    name: str
    oid: str
    document: str
    origin: str


def policies(connection: Connection) -> list[StoredPolicy]:
    """The security policies imported from SPIFs, by name."""
    table = tables.policies
    rows = connection.execute(
        select(table.c.name, table.c.oid, table.c.document, table.c.origin).order_by(table.c.name)
    )
    return [StoredPolicy(*row) for row in rows]


def save_policy(connection: Connection, policy: StoredPolicy) -> None:
    """Store a policy's SPIF, or replace the one stored under its name."""
    table = tables.policies
    values = {"oid": policy.oid, "document": policy.document, "origin": policy.origin}
    updated = connection.execute(update(table).where(table.c.name == policy.name).values(values))
    if not updated.rowcount:
        connection.execute(insert(table).values(name=policy.name, **values))
