"""The ledger's rows: entries, hashes of complete subtrees, and signed checkpoints.

Leaf hashes live in `ledger_entries`; `ledger_nodes` holds only the subtrees of two leaves or
more, so that each append writes about two rows. A subtree is addressed (level, index): the
2**level leaves from index * 2**level; level 0 is a leaf.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Dialect,
    Row,
    Table,
    and_,
    bindparam,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError

from gsomia.ledger.entries import CheckpointRecord, EntryRecord
from gsomia.store import tables
from gsomia.store.tables import UTCDateTime

STREAM_ROWS = 10_000
"""Rows fetched at a time when reading the whole ledger."""

Subtree = tuple[int, int]
"""(level, index) of a complete subtree."""


def begin_writing(connection: Connection) -> None:
    """Take SQLite's write lock before reading the end of the log.

    A deferred SQLite transaction that read the log and then finds another writer committed
    first cannot upgrade to write; an UPDATE that matches nothing takes the write lock at once,
    so that appenders on SQLite read the end of the log one after the other.
    """
    if connection.dialect.name == "sqlite":
        connection.execute(
            update(tables.ledger_entries).where(false()).values(kind=tables.ledger_entries.c.kind)
        )


def tail_size(connection: Connection) -> int:
    """One past the highest position stored: the size of the log when it has no gaps."""
    last = connection.execute(select(func.max(tables.ledger_entries.c.position))).scalar_one()
    return 0 if last is None else int(last) + 1


def add_entries(connection: Connection, entries: Sequence[EntryRecord]) -> None:
    _insert_many(
        connection,
        tables.ledger_entries,
        ("position", "kind", "body", "leaf_hash", "recorded_at", "subject"),
        [(e.position, e.kind, e.body, e.leaf_hash, e.recorded_at, e.subject) for e in entries],
    )


def add_subtrees(connection: Connection, subtrees: Sequence[tuple[int, int, bytes]]) -> None:
    _insert_many(connection, tables.ledger_nodes, ("level", "position", "hash"), subtrees)


def _insert_many(
    connection: Connection, table: Table, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert rows through the driver's executemany, with the statement compiled from Core.

    Appends are the ledger's hot path, and SQLAlchemy's per-row parameter processing cost more
    than the database's own work. Integers, text and bytes go to both drivers as they are;
    instants go through their column type's processing once per distinct instant (an append's
    entries share one).
    """
    if not rows:
        return
    dialect = connection.dialect
    statement, positional = _compiled_insert(table, columns, dialect)
    values = [list(column) for column in zip(*rows, strict=True)]
    for index, name in enumerate(columns):
        if isinstance(table.c[name].type, UTCDateTime):
            process = table.c[name].type.bind_processor(dialect)
            if process is not None:
                converted = {value: process(value) for value in set(values[index])}
                values[index] = [converted[value] for value in values[index]]
    parameters: list[Any] = (
        list(zip(*values, strict=True))
        if positional
        else [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]
    )
    connection.exec_driver_sql(statement, parameters)


@lru_cache(maxsize=16)
def _compiled_insert(table: Table, columns: tuple[str, ...], dialect: Dialect) -> tuple[str, bool]:
    compiled = (
        insert(table).values({name: bindparam(name) for name in columns}).compile(dialect=dialect)
    )
    return str(compiled), bool(compiled.positional)


def subtree_hashes(connection: Connection, subtrees: Collection[Subtree]) -> dict[Subtree, bytes]:
    """The stored hashes of the given subtrees, in one query; missing ones are left out."""
    leaves = [index for level, index in subtrees if level == 0]
    inner = [(level, index) for level, index in subtrees if level > 0]
    parameters: dict[str, int] = {f"leaf_{number}": index for number, index in enumerate(leaves)}
    for number, (level, index) in enumerate(inner):
        parameters[f"level_{number}"] = level
        parameters[f"index_{number}"] = index
    rows = connection.execute(_subtrees_query(len(leaves), len(inner)), parameters).all()
    return {(level, index): bytes(hash_) for level, index, hash_ in rows}


@lru_cache(maxsize=1024)
def _subtrees_query(leaves: int, inner: int) -> CompoundSelect[int, int, bytes]:
    """(level, index, hash) of the leaves at `leaf_i` and the subtrees (`level_i`, `index_i`).

    Built once per shape, since proofs run it on their hot path; one primary-key lookup per
    subtree (SQLite would scan the table for a row-value IN list, and expanding IN lists are
    rendered anew at every execution).
    """
    entries, nodes = tables.ledger_entries, tables.ledger_nodes
    leaf_lookups = [entries.c.position == bindparam(f"leaf_{number}") for number in range(leaves)]
    node_lookups = [
        and_(
            nodes.c.level == bindparam(f"level_{number}"),
            nodes.c.position == bindparam(f"index_{number}"),
        )
        for number in range(inner)
    ]
    return union_all(
        select(literal(0).label("level"), entries.c.position, entries.c.leaf_hash).where(
            or_(false(), *leaf_lookups)
        ),
        select(nodes.c.level, nodes.c.position, nodes.c.hash).where(or_(false(), *node_lookups)),
    )


def entry(connection: Connection, position: int) -> EntryRecord | None:
    row = connection.execute(
        select(tables.ledger_entries).where(tables.ledger_entries.c.position == position)
    ).one_or_none()
    return None if row is None else _entry(row)


def entries(connection: Connection) -> Iterator[EntryRecord]:
    """Every stored entry in position order, streamed."""
    table = tables.ledger_entries
    query = select(table).order_by(table.c.position).execution_options(yield_per=STREAM_ROWS)
    for row in connection.execute(query):
        yield _entry(row)


def subtrees(connection: Connection) -> Iterator[tuple[int, int, bytes]]:
    """Every stored subtree hash, by level then index, streamed."""
    table = tables.ledger_nodes
    query = (
        select(table.c.level, table.c.position, table.c.hash)
        .order_by(table.c.level, table.c.position)
        .execution_options(yield_per=STREAM_ROWS)
    )
    for level, index, hash_ in connection.execute(query):
        yield int(level), int(index), bytes(hash_)


def add_checkpoint(connection: Connection, record: CheckpointRecord) -> bool:
    """Store a checkpoint; False when one of that size is already stored."""
    begin_writing(connection)
    try:
        with connection.begin_nested():
            connection.execute(
                insert(tables.ledger_checkpoints).values(
                    size=record.size,
                    root=record.root,
                    note=record.note,
                    created_at=record.created_at,
                )
            )
    except IntegrityError:
        return False
    return True


def checkpoint(connection: Connection, size: int) -> CheckpointRecord | None:
    table = tables.ledger_checkpoints
    row = connection.execute(select(table).where(table.c.size == size)).one_or_none()
    return None if row is None else _checkpoint(row)


def latest_checkpoint(connection: Connection) -> CheckpointRecord | None:
    table = tables.ledger_checkpoints
    row = connection.execute(select(table).order_by(table.c.size.desc()).limit(1)).one_or_none()
    return None if row is None else _checkpoint(row)


def checkpoints(connection: Connection) -> list[CheckpointRecord]:
    table = tables.ledger_checkpoints
    return [_checkpoint(row) for row in connection.execute(select(table).order_by(table.c.size))]


def _entry(row: Row[Any]) -> EntryRecord:
    return EntryRecord(
        int(row.position), row.kind, row.body, bytes(row.leaf_hash), row.recorded_at, row.subject
    )


def _checkpoint(row: Row[Any]) -> CheckpointRecord:
    return CheckpointRecord(int(row.size), bytes(row.root), row.note, row.created_at)


def latest_for_subjects(
    connection: Connection, subjects: Collection[str]
) -> dict[str, EntryRecord]:
    """The latest entry stating each of `subjects` (those that have one), in one query."""
    if not subjects:
        return {}
    table = tables.ledger_entries
    query = select(table).where(table.c.subject.in_(sorted(subjects))).order_by(table.c.position)
    return {row.subject: _entry(row) for row in connection.execute(query)}
