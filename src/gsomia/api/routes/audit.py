"""The auditor's routes: the ledger, its checkpoint with the witnesses' cosignatures, the
inclusion proof of any entry, and a full verification."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from gsomia.api.routes.auth import Gate
from gsomia.core.roles import Action
from gsomia.node.commands import ledger
from gsomia.node.commands.users import Officer
from gsomia.node.context import Node
from gsomia.node.schemas import HeadView, LedgerEntryView, ProofView, VerifyView


def router(node: Node, gate: Gate) -> APIRouter:
    api = APIRouter(tags=["ledger"])
    reads = gate.needs(Action.READ_LEDGER)

    @api.get("/ledger/checkpoint", summary="The latest signed checkpoint")
    def checkpoint(*, _: Annotated[Officer, reads]) -> HeadView:
        return ledger.head(node, None)

    @api.get(
        "/ledger/checkpoint/cosigned",
        summary="The latest checkpoint with the witnesses' cosignatures",
    )
    def cosigned(*, _: Annotated[Officer, reads]) -> HeadView:
        return ledger.cosigned_head(node)

    @api.get("/ledger/entries", summary="Entries from a position, oldest first")
    def entries(
        start: Annotated[int, Query(ge=0, le=2**62)] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        *,
        _: Annotated[Officer, reads],
    ) -> list[LedgerEntryView]:
        return ledger.entries(node, start, limit)

    @api.get(
        "/ledger/proofs/{position}",
        summary="An entry's inclusion proof against the latest signed checkpoint",
    )
    def proof(
        position: Annotated[int, Path(ge=0, le=2**62)], *, _: Annotated[Officer, reads]
    ) -> ProofView:
        return ledger.prove(node, position)

    @api.post(
        "/ledger/verify",
        summary="Recompute the whole log and replay it against the registry's tables",
    )
    def verify(*, _: Annotated[Officer, gate.needs(Action.VERIFY_LEDGER)]) -> VerifyView:
        return ledger.verify(node)

    return api
