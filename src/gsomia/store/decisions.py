"""Every decision taken through the node's services, with its reasons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from gsomia.core.policy import Code, Decision, Reason
from gsomia.errors import NotFound
from gsomia.store import tables
from gsomia.store.registry import held


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    id: int
    kind: str
    at: datetime
    allowed: bool
    agreement_id: str | None
    item_id: int | None
    person_id: int | None
    request: dict[str, Any]
    reasons: tuple[Reason, ...]
    recorded_at: datetime


def record(
    connection: Connection,
    *,
    kind: str,
    at: datetime,
    decision: Decision,
    request: dict[str, Any],
    recorded_at: datetime,
    item_id: int | None = None,
    person_id: int | None = None,
) -> int:
    result = connection.execute(
        insert(tables.decisions).values(
            kind=kind,
            at=at,
            allowed=decision.allowed,
            agreement_id=decision.agreement,
            item_id=item_id,
            person_id=person_id,
            request=request,
            recorded_at=recorded_at,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    decision_id = int(key[0])
    connection.execute(
        insert(tables.decision_reasons),
        [
            {
                "decision_id": decision_id,
                "position": position,
                "code": reason.code.value,
                "agreement_id": reason.agreement,
                "article": reason.article,
                "message": reason.message,
            }
            for position, reason in enumerate(decision.reasons)
        ],
    )
    return decision_id


def decisions(
    connection: Connection,
    *,
    decision_id: int | None = None,
    item_id: int | None = None,
    kind: str | None = None,
) -> list[DecisionRecord]:
    table, reasons_table = tables.decisions, tables.decision_reasons
    query = select(table).order_by(table.c.id)
    reasons_query = select(reasons_table).order_by(
        reasons_table.c.decision_id, reasons_table.c.position
    )
    conditions = []
    if decision_id is not None:
        conditions.append(table.c.id == decision_id)
    if item_id is not None:
        conditions.append(table.c.item_id == item_id)
    if kind is not None:
        conditions.append(table.c.kind == kind)
    if conditions:
        query = query.where(*conditions)
        # only the chosen decisions' reasons: an item's page reads its own, not the registry's
        reasons_query = reasons_query.where(
            reasons_table.c.decision_id.in_(select(table.c.id).where(*conditions))
        )
    reasons: dict[int, list[Reason]] = {}
    for row in connection.execute(reasons_query):
        reasons.setdefault(row.decision_id, []).append(
            Reason(Code(row.code), row.agreement_id, row.article, row.message)
        )
    return [
        DecisionRecord(
            row.id,
            row.kind,
            row.at,
            row.allowed,
            row.agreement_id,
            row.item_id,
            row.person_id,
            row.request,
            tuple(reasons.get(row.id, ())),
            row.recorded_at,
        )
        for row in connection.execute(query)
    ]


def decision(connection: Connection, decision_id: int) -> DecisionRecord:
    found = decisions(connection, decision_id=decision_id) if held(decision_id) else []
    if not found:
        raise NotFound(f"no decision with id {decision_id}", subject="decision")
    return found[0]
