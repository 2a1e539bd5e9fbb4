"""What happened to items after they were registered: changes (re-markings,
declassifications, returns, destructions and their certificates), notices about items sent
and received with whom they reached, and items derived from others."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from gsomia.store import tables


@dataclass(frozen=True, slots=True)
class NewChange:
    item_id: int
    kind: str
    at: datetime
    by: str
    recorded_at: datetime
    marking: str | None = None
    holder_marking: str | None = None
    reference: str = ""
    method: str | None = None
    witness_id: int | None = None
    notice_id: str | None = None
    content_erased: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeRecord(NewChange):
    id: int


def add_change(connection: Connection, change: NewChange) -> int:
    done = connection.execute(insert(tables.item_changes).values(**asdict(change)))
    key = done.inserted_primary_key
    assert key is not None
    return int(key[0])


def set_erased(connection: Connection, change_id: int, erased: bool) -> None:
    table = tables.item_changes
    connection.execute(update(table).where(table.c.id == change_id).values(content_erased=erased))


def changes(connection: Connection, item_id: int) -> list[ChangeRecord]:
    table = tables.item_changes
    rows = connection.execute(
        select(table).where(table.c.item_id == item_id).order_by(table.c.at, table.c.id)
    )
    return [ChangeRecord(**row._mapping) for row in rows]


def change_ids(connection: Connection, item_ids: list[object]) -> list[int]:
    table = tables.item_changes
    return list(
        connection.execute(select(table.c.id).where(table.c.item_id.in_(item_ids))).scalars()
    )


DISPOSALS = ("destroy", "return")


def disposal(connection: Connection, item_id: int) -> ChangeRecord | None:
    """The destruction or return of an item, if it was destroyed or returned."""
    table = tables.item_changes
    row = connection.execute(
        select(table)
        .where(table.c.item_id == item_id, table.c.kind.in_(DISPOSALS))
        .order_by(table.c.id)
    ).first()
    return ChangeRecord(**row._mapping) if row is not None else None


STATES = {"destroy": "destroyed", "return": "returned", "declassify": "declassified"}


def state(connection: Connection, item_id: int) -> str:
    """What an item is now: destroyed or returned (out of use), declassified, or held."""
    table = tables.item_changes
    kinds = set(
        connection.execute(
            select(table.c.kind).where(table.c.item_id == item_id, table.c.kind.in_(STATES))
        ).scalars()
    )
    return next((name for kind, name in STATES.items() if kind in kinds), "held")


def content_in_use(connection: Connection, sha256: str, besides: int) -> bool:
    """Whether an item other than `besides`, not disposed of, keeps this sealed content."""
    items, changed = tables.items, tables.item_changes
    disposed = select(changed.c.item_id).where(changed.c.kind.in_(DISPOSALS))
    found = connection.execute(
        select(items.c.id).where(
            items.c.sealed_sha256 == sha256, items.c.id != besides, items.c.id.not_in(disposed)
        )
    ).first()
    return found is not None


# -- notices -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    id: str
    kind: str
    originator: str
    item: str
    sequence: int
    by: str
    sender: str | None
    token: str
    applied: bool
    recorded_at: datetime


def add_notice(connection: Connection, notice: NoticeRecord) -> None:
    connection.execute(insert(tables.item_notices).values(**asdict(notice)))


def notice(connection: Connection, notice_id: str) -> NoticeRecord | None:
    table = tables.item_notices
    row = connection.execute(select(table).where(table.c.id == notice_id)).one_or_none()
    return NoticeRecord(**row._mapping) if row is not None else None


def notices(connection: Connection, originator: str, item: str) -> list[NoticeRecord]:
    """Every notice about the originator's item this node holds, in order."""
    table = tables.item_notices
    rows = connection.execute(
        select(table)
        .where(table.c.originator == originator, table.c.item == item)
        .order_by(table.c.sequence, table.c.recorded_at)
    )
    return [NoticeRecord(**row._mapping) for row in rows]


def last_sequence(connection: Connection, originator: str, item: str, *, applied: bool) -> int:
    """The highest sequence of the originator's notices about an item (applied ones only, if
    asked), 0 when none."""
    table = tables.item_notices
    query = select(func.max(table.c.sequence)).where(
        table.c.originator == originator, table.c.item == item, table.c.by == originator
    )
    if applied:
        query = query.where(table.c.applied.is_(True))
    return int(connection.execute(query).scalar() or 0)


@dataclass(frozen=True, slots=True)
class NoticeHolder:
    id: str
    notice_id: str
    holder: str
    via: str | None
    sent_at: datetime
    ack: str | None
    acked_at: datetime | None


def holder_key(notice_id: str, holder: str) -> str:
    return f"{notice_id}/{holder}"


def add_holder(
    connection: Connection, notice_id: str, holder: str, via: str | None, sent_at: datetime
) -> str | None:
    """Note that a notice went to `holder` (`via` a forwarding holder); its key, or None if
    already noted."""
    key = holder_key(notice_id, holder)
    table = tables.notice_holders
    if connection.execute(select(table.c.id).where(table.c.id == key)).first() is not None:
        return None
    connection.execute(
        insert(table).values(id=key, notice_id=notice_id, holder=holder, via=via, sent_at=sent_at)
    )
    return key


def acknowledge(connection: Connection, key: str, ack: str, at: datetime) -> bool:
    table = tables.notice_holders
    done = connection.execute(
        update(table).where(table.c.id == key, table.c.ack.is_(None)).values(ack=ack, acked_at=at)
    )
    return bool(done.rowcount)


def holders(connection: Connection, notice_ids: list[str]) -> list[NoticeHolder]:
    table = tables.notice_holders
    rows = connection.execute(
        select(table).where(table.c.notice_id.in_(notice_ids)).order_by(table.c.sent_at)
    )
    return [NoticeHolder(**row._mapping) for row in rows]


# -- derived items -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DerivationRecord:
    item_id: int
    original_id: int
    kind: str
    made_by: int
    at: datetime


def add_derivation(connection: Connection, derivation: DerivationRecord) -> None:
    connection.execute(insert(tables.derivations).values(**asdict(derivation)))


def derived_from(connection: Connection, item_ids: list[int]) -> list[int]:
    """Every item derived, directly or through other derived items, from any of `item_ids`."""
    table = tables.derivations
    found: list[int] = []
    frontier = list(item_ids)
    while frontier:
        frontier = list(
            connection.execute(
                select(table.c.item_id).where(table.c.original_id.in_(frontier))
            ).scalars()
        )
        found += frontier
    return found


def derivation(connection: Connection, item_id: int) -> DerivationRecord | None:
    table = tables.derivations
    row = connection.execute(select(table).where(table.c.item_id == item_id)).one_or_none()
    return DerivationRecord(**row._mapping) if row is not None else None
