"""The register: persons with their clearances, items with their labels, releases, consents.

Rows go in as `New*` records and come back as `*Record`s with their ids. Ids outside the
range the databases store are simply not held (`NotFound`), never an overflow.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Text, cast, delete, distinct, func, insert, select
from sqlalchemy.exc import IntegrityError

from gsomia.errors import Conflict, NotFound
from gsomia.store import tables

MAX_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class NewPerson:
    """A person to register: their clearance under their party's law, their need-to-know."""

    name: str
    party: str
    position: str
    clearance: str | None
    need_to_know: frozenset[str]
    recorded_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonRecord(NewPerson):
    """A person as the registry holds it, with its id."""

    id: int


@dataclass(frozen=True, slots=True)
class NewItem:
    """An item to register: its label (originator, marking, topic, releasability) and, for a copy, the holder's marking and where it came from."""

    reference: str
    title: str
    originator: str
    marking: str
    english: str
    topic: str
    purpose: str
    releasable_to: frozenset[str] | None
    caveats: tuple[str, ...]
    holder: str
    holder_marking: str | None
    received_from: str | None
    originator_reference: str | None
    registered_at: datetime
    recorded_at: datetime
    sealed_sha256: str | None = None
    sealed_size: int | None = None
    delivery_id: str | None = None
    """For a copy a partner's node delivered, the delivery that brought it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemRecord(NewItem):
    """An item as the registry holds it, with its id."""

    id: int


@dataclass(frozen=True, slots=True)
class NewRelease:
    """A hand-over that was allowed (a release or a transfer), with its decision."""

    item_id: int
    kind: str
    from_party: str
    to_party: str
    at: datetime
    agreement_id: str
    recipient_marking: str
    decision_id: int
    sealed_sha256: str | None = None
    sealed_size: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseRecord(NewRelease):
    """A release as the registry holds it, with its id."""

    id: int


@dataclass(frozen=True, slots=True)
class NewConsent:
    """An originator's written consent for one item to go to one third party."""

    item_id: int
    originator: str
    recipient: str
    granted_at: datetime
    expires_at: datetime | None
    reference: str
    recorded_at: datetime
    purpose: str = ""
    token: str | None = None
    """The consent as the originator's node signed it, when it came from there."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentRecord(NewConsent):
    """A consent as the registry holds it, with its id."""

    id: int


def held(key: int) -> bool:
    """Whether `key` is an id the databases can hold at all."""
    return 0 < key <= MAX_ID


def _inserted_id(connection: Connection, statement: Any, conflict: str) -> int:
    try:
        with connection.begin_nested():
            key = connection.execute(statement).inserted_primary_key
    except IntegrityError:
        raise Conflict(conflict) from None
    assert key is not None
    return int(key[0])


def add_person(connection: Connection, person: NewPerson) -> int:
    values = asdict(person)
    topics = values.pop("need_to_know")
    person_id = _inserted_id(
        connection,
        insert(tables.persons).values(**values),
        f"{person.party} already has a person named {person.name!r}",
    )
    set_need_to_know(connection, person_id, topics)
    return person_id


def set_need_to_know(connection: Connection, person_id: int, topics: Iterable[str]) -> None:
    connection.execute(
        delete(tables.need_to_know).where(tables.need_to_know.c.person_id == person_id)
    )
    rows = [{"person_id": person_id, "topic": topic} for topic in sorted(set(topics))]
    if rows:
        connection.execute(insert(tables.need_to_know), rows)


def persons(connection: Connection, person_id: int | None = None) -> list[PersonRecord]:
    query = select(tables.persons).order_by(tables.persons.c.id)
    ntk_query = select(tables.need_to_know)
    if person_id is not None:
        if not held(person_id):
            return []
        query = query.where(tables.persons.c.id == person_id)
        ntk_query = ntk_query.where(tables.need_to_know.c.person_id == person_id)
    topics: dict[int, set[str]] = {}
    for row in connection.execute(ntk_query):
        topics.setdefault(row.person_id, set()).add(row.topic)
    return [
        PersonRecord(
            id=row.id,
            name=row.name,
            party=row.party,
            position=row.position,
            clearance=row.clearance,
            need_to_know=frozenset(topics.get(row.id, ())),
            recorded_at=row.recorded_at,
        )
        for row in connection.execute(query)
    ]


def person(connection: Connection, person_id: int) -> PersonRecord:
    found = persons(connection, person_id)
    if not found:
        raise NotFound(f"no person with id {person_id}", subject="person")
    return found[0]


def add_item(connection: Connection, item: NewItem) -> int:
    values = asdict(item)
    values["releasable_to"] = sorted(item.releasable_to) if item.releasable_to is not None else None
    values["caveats"] = list(item.caveats)
    return _inserted_id(
        connection,
        insert(tables.items).values(**values),
        f"an item with reference {item.reference!r} is already registered",
    )


def _item(row: Row[Any]) -> ItemRecord:
    values = dict(row._mapping)
    releasable = values.pop("releasable_to")
    return ItemRecord(
        **values | {"caveats": tuple(values["caveats"])},
        releasable_to=frozenset(releasable) if releasable is not None else None,
    )


def items(
    connection: Connection,
    *,
    holder: str | None = None,
    originator: str | None = None,
    topic: str | None = None,
) -> list[ItemRecord]:
    table = tables.items
    query = select(table).order_by(table.c.id)
    for column, value in (
        (table.c.holder, holder),
        (table.c.originator, originator),
        (table.c.topic, topic),
    ):
        if value is not None:
            query = query.where(column == value)
    return [_item(row) for row in connection.execute(query)]


def item(connection: Connection, key: str | int) -> ItemRecord:
    """An item by its numeric id or its reference."""
    table = tables.items
    text = str(key).strip()
    if text.isascii() and text.isdigit():
        if not held(int(text)):
            raise NotFound(f"no item {text!r}", subject="item")
        condition = table.c.id == int(text)
    else:
        condition = table.c.reference == text
    row = connection.execute(select(table).where(condition)).one_or_none()
    if row is None:
        raise NotFound(f"no item {text!r}", subject="item")
    return _item(row)


def next_reference(connection: Connection, party: str, year: int) -> str:
    """The next free reference such as KOR-2017-0003 (party, year registered, sequence): one
    past the highest sequence taken, whoever chose it."""
    prefix = f"{party}-{year}-"
    pattern = re.compile(re.escape(prefix) + r"(\d+)$")
    taken = connection.execute(
        select(tables.items.c.reference).where(tables.items.c.reference.like(f"{prefix}%"))
    ).scalars()
    highest = max(
        (int(match.group(1)) for ref in taken if (match := pattern.match(ref))), default=0
    )
    return f"{prefix}{highest + 1:04d}"


def add_release(connection: Connection, release: NewRelease) -> int:
    return _inserted_id(
        connection, insert(tables.releases).values(**asdict(release)), "duplicate release"
    )


def _release(row: Row[Any]) -> ReleaseRecord:
    return ReleaseRecord(**row._mapping)


def releases(connection: Connection, item_id: int | None = None) -> list[ReleaseRecord]:
    table = tables.releases
    query = select(table).order_by(table.c.at, table.c.id)
    if item_id is not None:
        query = query.where(table.c.item_id == item_id)
    return [_release(row) for row in connection.execute(query)]


def release(connection: Connection, release_id: int) -> ReleaseRecord:
    table = tables.releases
    row = (
        connection.execute(select(table).where(table.c.id == release_id)).one_or_none()
        if held(release_id)
        else None
    )
    if row is None:
        raise NotFound(f"no release with id {release_id}", subject="release")
    return _release(row)


def add_consent(connection: Connection, consent: NewConsent) -> int:
    return _inserted_id(
        connection, insert(tables.consents).values(**asdict(consent)), "duplicate consent"
    )


def consents(connection: Connection, item_id: int | None = None) -> list[ConsentRecord]:
    table = tables.consents
    query = select(table).order_by(table.c.granted_at, table.c.id)
    if item_id is not None:
        query = query.where(table.c.item_id == item_id)
    return [ConsentRecord(**row._mapping) for row in connection.execute(query)]


@dataclass(frozen=True, slots=True)
class ItemGroup:
    """Items alike in everything a decision depends on (originator, markings, topic,
    releasability, caveats, holder), with the party they went to or came from."""

    originator: str
    marking: str
    topic: str
    releasable_to: frozenset[str] | None
    caveats: tuple[str, ...]
    holder: str
    holder_marking: str | None
    party: str | None
    """For released items: the recipient. For held items: the party they came from."""
    items: int


def _label_columns() -> list[Any]:
    table = tables.items
    return [
        table.c.originator,
        table.c.marking,
        table.c.topic,
        cast(table.c.releasable_to, Text).label("releasable_to"),
        cast(table.c.caveats, Text).label("caveats"),
        table.c.holder,
        table.c.holder_marking,
    ]


def _groups(connection: Connection, query: Any) -> list[ItemGroup]:
    found: dict[ItemGroup, int] = {}
    for row in connection.execute(query):
        releasable = json.loads(row.releasable_to) if row.releasable_to is not None else None
        group = ItemGroup(
            originator=row.originator,
            marking=row.marking,
            topic=row.topic,
            releasable_to=frozenset(releasable) if releasable is not None else None,
            caveats=tuple(json.loads(row.caveats)),
            holder=row.holder,
            holder_marking=row.holder_marking,
            party=row.party,
            items=0,
        )
        # JSON written differently (spacing, order) lands in one group once read.
        found[group] = found.get(group, 0) + int(row.items)
    return [replace(group, items=count) for group, count in found.items()]


def released_groups(connection: Connection, agreement_id: str) -> list[ItemGroup]:
    """The items this registry released under the agreement, grouped, by recipient."""
    items, releases = tables.items, tables.releases
    columns = _label_columns()
    query = (
        select(
            *columns,
            releases.c.to_party.label("party"),
            func.count(distinct(items.c.id)).label("items"),
        )
        .join(releases, releases.c.item_id == items.c.id)
        .where(releases.c.agreement_id == agreement_id, releases.c.kind == "release")
        .group_by(*columns, releases.c.to_party)
    )
    return _groups(connection, query)


def held_groups(connection: Connection, holder: str, originators: Iterable[str]) -> list[ItemGroup]:
    """The copies `holder` holds of items the `originators` originated, grouped, by the
    party each came from."""
    items = tables.items
    columns = _label_columns()
    query = (
        select(*columns, items.c.received_from.label("party"), func.count().label("items"))
        .where(items.c.holder == holder, items.c.originator.in_(list(originators)))
        .group_by(*columns, items.c.received_from)
    )
    return _groups(connection, query)
