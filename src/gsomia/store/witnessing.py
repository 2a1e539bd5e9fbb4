"""Witnessing's rows: what this node last cosigned per partner log, and the cosignatures its
own checkpoints received from partners' witnesses (C2SP tlog-witness, tlog-cosignature).

Every function works inside the caller's transaction. Verifying is not done here: a request
is judged by `gsomia.ledger.witness.add_checkpoint`, and a cosignature is stored once
`gsomia.ledger.cosignature.verify_cosignature` accepted it with the witness's key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from gsomia.ledger.cosignature import Cosignature
from gsomia.ledger.errors import EntryNotFound
from gsomia.ledger.witness import Witnessed
from gsomia.store import ledger_rows, tables


@dataclass(frozen=True, slots=True)
class ReceivedCosignature:
    """A partner witness's cosignature of this node's checkpoint of `size`, as received."""

    size: int
    witness: str
    line: str
    received_at: datetime


def witnessed(connection: Connection, origin: str) -> Witnessed | None:
    """The latest checkpoint this node cosigned for `origin`; None if it never cosigned one."""
    table = tables.witnessed
    row = connection.execute(
        select(table.c.size, table.c.root, table.c.note).where(table.c.origin == origin)
    ).one_or_none()
    return None if row is None else Witnessed(origin, int(row.size), bytes(row.root), row.note)


def record_cosigned(
    connection: Connection, previous: Witnessed | None, cosigned: Witnessed, at: datetime
) -> bool:
    """Store `cosigned` as the latest checkpoint cosigned for its origin if the stored one is
    still `previous` (None: nothing stored); False when another request moved it first.

    Checking and storing are one statement (C2SP tlog-witness: "checking the old size against
    the latest checkpoint and persisting the new checkpoint must be performed atomically"): an
    UPDATE whose condition is the state decided on, or an INSERT that the primary key refuses
    once another request stored a first checkpoint. A concurrent request of the same old size
    waits on the row's lock and then finds its condition false, so it can never roll back the
    checkpoint stored first.
    """
    table = tables.witnessed
    values = {
        "size": cosigned.size,
        "root": cosigned.root,
        "note": cosigned.note,
        "updated_at": at,
    }
    if previous is None:
        try:
            with connection.begin_nested():
                connection.execute(insert(table).values(origin=cosigned.origin, **values))
        except IntegrityError:
            return False
        return True
    if previous.origin != cosigned.origin:
        raise ValueError(f"{previous.origin!r} and {cosigned.origin!r} are different logs")
    result = connection.execute(
        update(table)
        .where(
            table.c.origin == previous.origin,
            table.c.size == previous.size,
            table.c.root == previous.root,
        )
        .values(**values)
    )
    return result.rowcount == 1


def add_cosignature(
    connection: Connection, size: int, cosignature: Cosignature, received_at: datetime
) -> bool:
    """Store a verified cosignature of this node's checkpoint of `size`; False when one from
    that witness is already stored for that size (the first one stays)."""
    if ledger_rows.checkpoint(connection, size) is None:
        raise EntryNotFound(f"this node signed no checkpoint of size {size} to be cosigned")
    try:
        with connection.begin_nested():
            connection.execute(
                insert(tables.cosignatures).values(
                    size=size,
                    witness=cosignature.name,
                    line=cosignature.line(),
                    received_at=received_at,
                )
            )
    except IntegrityError:
        return False
    return True


def cosignatures(connection: Connection, size: int) -> list[ReceivedCosignature]:
    """The cosignatures received for this node's checkpoint of `size`, by witness name; their
    lines, joined, go after the checkpoint's note (`add_cosignatures`)."""
    table = tables.cosignatures
    rows = connection.execute(select(table).where(table.c.size == size).order_by(table.c.witness))
    return [
        ReceivedCosignature(int(row.size), row.witness, row.line, row.received_at) for row in rows
    ]
