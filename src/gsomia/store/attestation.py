"""Registry rows bound to the ledger: what each row's state is, as the ledger states it.

Every row a decision relies on — persons and their need-to-know, items and their labels,
releases, consents, agreement events, reference documents, keys, registry settings, and the
decisions themselves — is logged whole each time it is written: the entry's body is
`{"table", "key", "row"}`, the row's state with every column (documents and private keys by
their SHA-256 only, so no secret reaches the ledger), and the entry's `subject` column indexes
it as `table/key`. Hence:

- before a decision relies on a row, `check` compares the row with its latest entry, checks
  that entry against its leaf hash and, when a signed checkpoint covers it, its inclusion
  under that checkpoint's root: a row edited in the database is refused at the moment of use;
- `ledger verify` replays the whole ledger (`replay`) and `compare`s the tables with it,
  naming every row that differs (and in which fields), is absent from the ledger, or that the
  ledger holds but the tables lost.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Table, select

from gsomia.ledger.entries import EntryRecord, canonical_json, instant_text, leaf_data
from gsomia.ledger.errors import ProofError, RowNotAttested
from gsomia.ledger.merkle import leaf_hash, verify_inclusion
from gsomia.store import ledger_rows, log, tables
from gsomia.store.ledger_rows import STREAM_ROWS


@dataclass(frozen=True, slots=True)
class Child:
    """Rows of another table that belong to a bound row's state (a person's need-to-know)."""

    name: str
    table: Table
    parent: str
    fields: tuple[str, ...]
    order: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Bound:
    """A table whose rows the ledger attests."""

    table: Table
    key: str
    hashed: tuple[str, ...] = ()
    """Columns logged as their SHA-256 only (`<column>_sha256`)."""
    children: tuple[Child, ...] = ()

    @property
    def name(self) -> str:
        return self.table.name


BOUND: dict[str, Bound] = {
    b.name: b
    for b in (
        Bound(tables.settings, "key"),
        Bound(tables.schemes, "party", hashed=("document",)),
        Bound(tables.agreements, "id", hashed=("document",)),
        Bound(tables.agreement_events, "id"),
        Bound(tables.party_keys, "kid", hashed=("private_pem",)),
        Bound(
            tables.persons,
            "id",
            children=(
                Child("need_to_know", tables.need_to_know, "person_id", ("topic",), ("topic",)),
            ),
        ),
        Bound(tables.items, "id"),
        Bound(
            tables.decisions,
            "id",
            children=(
                Child(
                    "reasons",
                    tables.decision_reasons,
                    "decision_id",
                    ("code", "agreement_id", "article", "message"),
                    ("position",),
                ),
            ),
        ),
        Bound(tables.releases, "id"),
        Bound(tables.consents, "id"),
        Bound(tables.peers, "party"),
        Bound(tables.deliveries, "id"),
        Bound(tables.consent_requests, "id"),
        Bound(tables.notes, "id"),
        Bound(tables.item_changes, "id"),
        Bound(tables.item_notices, "id"),
        Bound(tables.notice_holders, "id"),
        Bound(tables.derivations, "item_id"),
        Bound(
            tables.incidents,
            "id",
            children=(
                Child(
                    "items",
                    tables.incident_items,
                    "case_id",
                    ("item_id", "reference", "originator", "originator_reference"),
                    ("item_id",),
                ),
            ),
        ),
        Bound(tables.incident_notices, "id"),
        Bound(tables.visits, "id"),
        Bound(tables.users, "name", hashed=("password_hash",)),
        Bound(tables.api_tokens, "id", hashed=("token_sha256",)),
    )
}
"""Every attested table, by name. A table added to the schema that decisions rely on belongs
here too."""


def subject(table: str, key: object) -> str:
    """The `subject` of the entries stating a row: `table/key`."""
    return f"{table}/{key}"


def body(bound: Bound, key: object, state: Mapping[str, Any]) -> dict[str, Any]:
    """The body of an entry stating a row (`row` is null for a row removed)."""
    return {"table": bound.name, "key": key, "row": dict(state)}


def state(connection: Connection, bound: Bound, key: object) -> dict[str, Any] | None:
    """A row's state as the ledger states it; None when the table holds no such row."""
    row = connection.execute(
        select(bound.table).where(bound.table.c[bound.key] == key)
    ).one_or_none()
    if row is None:
        return None
    children = {
        child.name: [
            _child_value(child, r)
            for r in connection.execute(
                select(child.table)
                .where(child.table.c[child.parent] == key)
                .order_by(*(child.table.c[c] for c in child.order))
            )
        ]
        for child in bound.children
    }
    return _state(bound, row, children)


def states(connection: Connection, bound: Bound) -> Iterator[tuple[object, dict[str, Any]]]:
    """Every row of a bound table with its state, streamed in key order."""
    grouped: dict[object, dict[str, list[Any]]] = {}
    for child in bound.children:
        query = select(child.table).order_by(
            child.table.c[child.parent], *(child.table.c[c] for c in child.order)
        )
        for r in connection.execute(query):
            grouped.setdefault(r._mapping[child.parent], {}).setdefault(child.name, []).append(
                _child_value(child, r)
            )
    query = (
        select(bound.table)
        .order_by(bound.table.c[bound.key])
        .execution_options(yield_per=STREAM_ROWS)
    )
    for row in connection.execute(query):
        key = row._mapping[bound.key]
        children = {child.name: [] for child in bound.children} | grouped.get(key, {})
        yield key, _state(bound, row, children)


def _state(bound: Bound, row: Row[Any], children: Mapping[str, list[Any]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in row._mapping.items():
        if name in bound.hashed:
            values[f"{name}_sha256"] = (
                hashlib.sha256(value.encode()).hexdigest() if value is not None else None
            )
        else:
            values[name] = _plain(value)
    values.update(children)
    return values


def _child_value(child: Child, row: Row[Any]) -> Any:
    if len(child.fields) == 1:
        return _plain(row._mapping[child.fields[0]])
    return {name: _plain(row._mapping[name]) for name in child.fields}


def _plain(value: Any) -> Any:
    """A column's value as JSON states it: instants as RFC 3339 UTC with microseconds."""
    if isinstance(value, datetime):
        return instant_text(value)
    return value


@dataclass(frozen=True, slots=True)
class TrustedRoot:
    """The root of a checkpoint whose signature was verified: entries below `size` are proved
    against it."""

    size: int
    root: bytes


def check(
    connection: Connection,
    rows: Sequence[tuple[Bound, object]],
    trusted: TrustedRoot | None = None,
) -> None:
    """Refuse (`RowNotAttested`) if any of `rows` is not exactly what its latest ledger entry
    states, if that entry no longer matches its leaf hash, or if a trusted checkpoint covers
    it but does not include it."""
    wanted = {subject(bound.name, key): (bound, key) for bound, key in rows}
    latest = ledger_rows.latest_for_subjects(connection, wanted)
    for name, (bound, key) in wanted.items():
        current = state(connection, bound, key)
        entry = latest.get(name)
        if current is None:
            raise RowNotAttested(f"the registry holds no {bound.name} row {key}")
        if entry is None:
            raise RowNotAttested(
                f"the {bound.name} row {key} is not in the ledger: it was written around it"
            )
        _check_entry(entry, bound, key, current)
        if trusted is not None and entry.position < trusted.size:
            proof = log.inclusion_proof(connection, entry.position, trusted.size)
            try:
                verify_inclusion(entry.leaf_hash, proof, trusted.root)
            except ProofError:
                raise RowNotAttested(
                    f"the ledger entry {entry.position} stating the {bound.name} row {key} is "
                    f"not the one the signed checkpoint of size {trusted.size} includes"
                ) from None


def check_complete(connection: Connection, bound: Bound) -> None:
    """Refuse (`RowNotAttested`) if the ledger states a row of `bound`'s table that the table
    no longer holds: a deletion behind gsomia's back (a small table, read whole)."""
    entries = tables.ledger_entries
    stated = connection.execute(
        select(entries.c.subject).where(entries.c.subject.like(f"{bound.name}/%")).distinct()
    ).scalars()
    present = {
        subject(bound.name, key)
        for key in connection.execute(select(bound.table.c[bound.key])).scalars()
    }
    lost = sorted(set(stated) - present)
    if lost:
        raise RowNotAttested(
            f"the ledger states {lost[0]}, which the registry no longer holds: it was deleted "
            "outside gsomia"
        )


def _check_entry(entry: EntryRecord, bound: Bound, key: object, current: dict[str, Any]) -> None:
    data = leaf_data(entry.kind, instant_text(entry.recorded_at), entry.body)
    if leaf_hash(data) != entry.leaf_hash:
        raise RowNotAttested(
            f"the ledger entry {entry.position} stating the {bound.name} row {key} was altered"
        )
    logged = json.loads(entry.body)
    if logged.get("table") != bound.name or str(logged.get("key")) != str(key):
        raise RowNotAttested(
            f"the ledger entry {entry.position} indexed for the {bound.name} row {key} states "
            "another row"
        )
    differing = _differing(logged.get("row"), current)
    if differing:
        raise RowNotAttested(
            f"the {bound.name} row {key} differs from the ledger in {', '.join(differing)}: "
            "it was changed outside gsomia"
        )


def _differing(logged: Any, current: Mapping[str, Any]) -> list[str]:
    if not isinstance(logged, dict):
        return sorted(current)
    if canonical_json(logged) == canonical_json(current):
        return []
    return sorted(
        name for name in set(logged) | set(current) if logged.get(name) != current.get(name)
    )


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row of the registry that disagrees with the ledger."""

    kind: str
    """`row-altered`, `row-not-in-ledger`, `row-missing` or `subject-mismatch`."""
    table: str
    key: str
    fields: tuple[str, ...]
    message: str


@dataclass
class Replay:
    """The state of every attested row, as the ledger's entries leave it."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)


def replay(entries: Iterable[EntryRecord]) -> Replay:
    """Read the ledger in order; the latest entry stating a row gives its expected state."""
    replayed = Replay()
    for entry in entries:
        try:
            logged = json.loads(entry.body)
        except ValueError:
            continue  # the log's own audit reports an altered body
        if not isinstance(logged, dict) or "row" not in logged or "table" not in logged:
            continue  # an entry that states no row (a what-if, an entry of an older schema)
        name = subject(logged["table"], logged.get("key"))
        if entry.subject != name:
            replayed.problems.append(
                RowProblem(
                    "subject-mismatch",
                    str(logged["table"]),
                    str(logged.get("key")),
                    (),
                    f"ledger entry {entry.position} states {name} but is indexed as "
                    f"{entry.subject}",
                )
            )
        if logged["row"] is None:  # the row was removed, and the removal stated
            replayed.rows.pop(name, None)
        else:
            replayed.rows[name] = logged["row"] if isinstance(logged["row"], dict) else {}
    return replayed


def compare(connection: Connection, replayed: Replay) -> list[RowProblem]:
    """Every row of the attested tables that differs from the replayed ledger, is absent from
    it, or that the ledger states but the table lacks."""
    problems = list(replayed.problems)
    seen: set[str] = set()
    for bound in BOUND.values():
        for key, current in states(connection, bound):
            name = subject(bound.name, key)
            seen.add(name)
            logged = replayed.rows.get(name)
            if logged is None:
                problems.append(
                    RowProblem(
                        "row-not-in-ledger",
                        bound.name,
                        str(key),
                        (),
                        f"the {bound.name} row {key} is absent from the ledger",
                    )
                )
                continue
            differing = _differing(logged, current)
            if differing:
                problems.append(
                    RowProblem(
                        "row-altered",
                        bound.name,
                        str(key),
                        tuple(differing),
                        f"the {bound.name} row {key} differs from the ledger in "
                        f"{', '.join(differing)}",
                    )
                )
    for name in sorted(set(replayed.rows) - seen):
        table, _, key = name.partition("/")
        problems.append(
            RowProblem(
                "row-missing",
                table,
                key,
                (),
                f"the ledger states the {table} row {key}, which the registry no longer holds",
            )
        )
    return problems
