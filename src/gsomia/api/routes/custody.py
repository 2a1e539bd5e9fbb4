"""After the hand-over, over the officers' API: re-marking, declassification, recall,
destruction, return and copies of items, their holders; incidents reported and visits
requested; persons' need-to-know, what-if access, keys and peers."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from gsomia.api.routes.auth import Gate, act
from gsomia.api.routes.registry import DENIED, decided
from gsomia.core.custody import Derivation, Disposal
from gsomia.core.roles import Action
from gsomia.node.commands import custody, incidents, keys, peers, persons, visits, whatif
from gsomia.node.commands.incidents import IncidentView
from gsomia.node.commands.users import Officer
from gsomia.node.commands.visits import VisitDecisionView
from gsomia.node.context import Node
from gsomia.node.schemas import (
    AccessDecisionView,
    ActionView,
    HoldersView,
    ItemChangedView,
    PeerView,
    PersonView,
    RotatedView,
)

Instant = Annotated[str, Field(min_length=1, max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=500)]


class Remark(BaseModel):
    marking: Annotated[str, Field(min_length=1, max_length=64)]
    reference: Text
    at: Instant | None = None


class Declassify(BaseModel):
    reference: Text
    at: Instant | None = None


class Recall(BaseModel):
    ask: Disposal
    reference: Text
    at: Instant | None = None


class Destroy(BaseModel):
    method: Text
    witness: Annotated[int, Field(ge=1, le=2**63 - 1)]
    at: Instant | None = None


class Return(BaseModel):
    at: Instant | None = None


class Copy(BaseModel):
    by: Annotated[int, Field(ge=1, le=2**63 - 1, description="The person making it.")]
    kind: Derivation = Derivation.COPY
    marking: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    title: Text | None = None
    reference: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    at: Instant | None = None


class NewIncident(BaseModel):
    items: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(min_length=1)]
    kind: Annotated[str, Field(min_length=1, max_length=32)]
    discovered: Instant
    summary: Annotated[str, Field(min_length=1, max_length=2000)]
    at: Instant | None = None


class NewVisit(BaseModel):
    host: Annotated[str, Field(min_length=1, max_length=8)]
    visitors: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=200)]], Field(min_length=1)
    ]
    purpose: Text
    facility: Text
    first_day: Annotated[str, Field(alias="from", min_length=1, max_length=10)]
    last_day: Annotated[str, Field(alias="until", min_length=1, max_length=10)]
    max_marking: Annotated[str, Field(min_length=1, max_length=64)]
    type: Annotated[str, Field(min_length=1, max_length=16)]
    at: Instant | None = None


class VisitAccess(BaseModel):
    visitor: Text
    marking: Annotated[str, Field(min_length=1, max_length=64)]
    at: Instant | None = None


class NeedToKnow(BaseModel):
    topics: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(min_length=1)]


class NewPeer(BaseModel):
    party: Annotated[str, Field(min_length=1, max_length=8)]
    url: Annotated[str, Field(min_length=1, max_length=500)]
    keys: Annotated[str, Field(min_length=2, max_length=200_000, description="Its key set.")]
    trust: bool = False


def router(node: Node, passphrase: bytes, wake: Callable[[], None], gate: Gate) -> APIRouter:
    api = APIRouter()
    changes = gate.needs(Action.CHANGE_ITEMS)

    def sent(view: ItemChangedView) -> ItemChangedView:
        wake()
        return view

    @api.post("/items/{key}/remark", tags=["items"], summary="Re-mark (Art 6(g)); tell holders")
    def remark(key: str, body: Remark, *, officer: Annotated[Officer, changes]) -> ItemChangedView:
        return sent(
            act(
                officer,
                custody.remark,
                node,
                key,
                body.marking,
                body.at,
                body.reference,
                passphrase,
            )
        )

    @api.post("/items/{key}/declassify", tags=["items"], summary="Declassify (Art 6(g))")
    def declassify(
        key: str, body: Declassify, *, officer: Annotated[Officer, changes]
    ) -> ItemChangedView:
        return sent(
            act(officer, custody.declassify, node, key, body.at, body.reference, passphrase)
        )

    @api.post("/items/{key}/recall", tags=["items"], summary="Ask holders to return or destroy")
    def recall(key: str, body: Recall, *, officer: Annotated[Officer, changes]) -> ItemChangedView:
        return sent(
            act(officer, custody.recall, node, key, body.ask, body.at, body.reference, passphrase)
        )

    @api.post(
        "/items/{key}/destroy", tags=["items"], summary="Destroy, with a certificate (Art 13)"
    )
    def destroy(
        key: str, body: Destroy, *, officer: Annotated[Officer, changes]
    ) -> ItemChangedView:
        return sent(
            act(
                officer,
                custody.destroy,
                node,
                key,
                body.method,
                body.witness,
                body.at,
                passphrase,
            )
        )

    @api.post("/items/{key}/return", tags=["items"], summary="Return to the originator")
    def return_item(
        key: str, body: Return, *, officer: Annotated[Officer, changes]
    ) -> ItemChangedView:
        return sent(act(officer, custody.return_item, node, key, body.at, passphrase))

    @api.post(
        "/items/{key}/copies",
        tags=["items"],
        status_code=201,
        summary="A copy, extract or translation, by a person cleared for the original (Art 7)",
        responses={201: {"model": ActionView}, **DENIED},
    )
    def copy(key: str, body: Copy, *, officer: Annotated[Officer, changes]) -> JSONResponse:
        view = act(
            officer,
            custody.derive,
            node,
            key,
            body.kind,
            body.by,
            body.at,
            body.marking,
            body.title,
            body.reference,
        )
        return decided(view)

    @api.get("/items/{key}/holders", tags=["items"], summary="Every holder and its notices")
    def holders(
        key: str,
        ack_within: Annotated[int, Query(ge=0, le=3650)] = custody.ACK_WITHIN,
        at: Annotated[str | None, Query(max_length=64)] = None,
        *,
        _: Annotated[Officer, gate.needs(Action.READ_REGISTER)],
    ) -> HoldersView:
        return custody.holders(node, key, at, ack_within)

    @api.post(
        "/incidents",
        tags=["incidents"],
        status_code=201,
        summary="Report a loss or compromise (Art 17) and tell the originators",
    )
    def incident_report(
        body: NewIncident, *, officer: Annotated[Officer, gate.needs(Action.HANDLE_INCIDENTS)]
    ) -> IncidentView:
        view = act(
            officer,
            incidents.report,
            node,
            body.items,
            body.kind,
            body.discovered,
            body.summary,
            body.at,
            passphrase,
        )
        wake()
        return view

    @api.post(
        "/visits",
        tags=["visits"],
        status_code=201,
        summary="Request a visit of the host (Art 8), signed and sent",
        responses={201: {"model": VisitDecisionView}, **DENIED},
    )
    def visit_request(
        body: NewVisit, *, officer: Annotated[Officer, gate.needs(Action.REQUEST_VISITS)]
    ) -> JSONResponse:
        view = act(
            officer,
            visits.request_visit,
            node,
            host=body.host,
            visitors=body.visitors,
            purpose=body.purpose,
            facility=body.facility,
            first_day=body.first_day,
            last_day=body.last_day,
            max_marking=body.max_marking,
            kind=body.type,
            passphrase=passphrase,
            at=body.at,
        )
        wake()
        return decided(view)

    @api.post(
        "/visits/{request_id}/access",
        tags=["visits"],
        status_code=201,
        summary="Decide a visitor's access during the visit (Art 8)",
        responses={201: {"model": VisitDecisionView}, **DENIED},
    )
    def visit_access(
        request_id: str,
        body: VisitAccess,
        *,
        officer: Annotated[Officer, gate.needs(Action.ANSWER_VISITS)],
    ) -> JSONResponse:
        view = act(officer, visits.access, node, request_id, body.visitor, body.marking, body.at)
        return decided(view)

    @api.post("/persons/{person_id}/need-to-know", tags=["persons"], summary="Add topics")
    def need_to_know(
        person_id: int,
        body: NeedToKnow,
        *,
        officer: Annotated[Officer, gate.needs(Action.MANAGE_PERSONS)],
    ) -> PersonView:
        return act(officer, persons.grant_need_to_know, node, person_id, body.topics)

    @api.get("/what-if/access", tags=["what-if"], summary="May such a reader see such an item?")
    def what_if_access(
        reader_party: Annotated[str, Query(max_length=8)],
        originator: Annotated[str, Query(max_length=8)],
        marking: Annotated[str, Query(max_length=64)],
        topic: Annotated[str, Query(max_length=64)],
        clearance: Annotated[str | None, Query(max_length=64)] = None,
        need_to_know: Annotated[list[str] | None, Query(max_length=50)] = None,
        held_by: Annotated[str | None, Query(max_length=8)] = None,
        at: Annotated[str | None, Query(max_length=64)] = None,
        *,
        _: Annotated[Officer, gate.needs(Action.WHAT_IF)],
    ) -> AccessDecisionView:
        return whatif.access(
            node,
            reader_party=reader_party,
            clearance=clearance,
            need_to_know=need_to_know or [],
            originator=originator,
            marking=marking,
            topic=topic,
            at=at or node.now(),
            held_by=held_by,
        )

    @api.post("/keys/rotate", tags=["keys"], summary="New active keys; the previous retire")
    def rotate(*, officer: Annotated[Officer, gate.needs(Action.MANAGE_KEYS)]) -> RotatedView:
        return act(officer, keys.rotate, node, passphrase)

    @api.post("/peers", tags=["peers"], status_code=201, summary="Add a partner's node")
    def peer_add(
        body: NewPeer, *, officer: Annotated[Officer, gate.needs(Action.MANAGE_PEERS)]
    ) -> PeerView:
        return act(officer, peers.add_peer, node, body.party, body.url, body.keys, trust=body.trust)

    return api
