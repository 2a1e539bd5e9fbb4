"""The registry officer's routes, and the reading every officer shares: agreements and their
status, what-if decisions and routes, persons, items, releases, consents, decisions,
deliveries."""

from collections.abc import Callable
from io import BytesIO
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from gsomia.api.problems import problem
from gsomia.api.routes.auth import Gate, act
from gsomia.api.routes.pages import Limit, Offset, Page, page
from gsomia.core.roles import Action
from gsomia.errors import PROBLEM_TYPE_PREFIX, Denied
from gsomia.node import queries
from gsomia.node.commands import items, persons, whatif
from gsomia.node.commands.users import Officer
from gsomia.node.context import Node
from gsomia.node.schemas import (
    ActionView,
    AgreementView,
    ConsentView,
    CustodyView,
    DecisionRecordView,
    DecisionView,
    DeliveryView,
    EventView,
    ImpactView,
    ItemDetailView,
    ItemView,
    PersonView,
    ReleaseView,
    RouteView,
    SchemeView,
    StatusView,
)

At = Annotated[
    str | None,
    Query(description="An instant (RFC 3339, or a date in the registry's zone); default now."),
]
Text = Annotated[str, Field(min_length=1, max_length=500)]
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
DENIED: dict[int | str, dict[str, Any]] = {403: {"description": "Denied, with the reasons"}}


class NewItem(BaseModel):
    title: Text
    marking: Text
    topic: Text
    purpose: Annotated[str, Field(max_length=500)] = ""
    releasable_to: list[Annotated[str, Field(max_length=8)]] | None = None
    caveats: list[Annotated[str, Field(max_length=64)]] = []
    reference: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    at: Annotated[str, Field(max_length=64)] | None = None


class HandOver(BaseModel):
    to: Annotated[str, Field(min_length=1, max_length=8, description="The recipient party.")]
    at: Annotated[str, Field(max_length=64)] | None = None


class Access(BaseModel):
    person: Annotated[int, Field(ge=1, le=2**63 - 1)]
    at: Annotated[str, Field(max_length=64)] | None = None


class StixExport(BaseModel):
    to: Annotated[
        str | None,
        Field(
            alias="for",
            min_length=1,
            max_length=8,
            description="The partner the bundle is for; default this registry's own party.",
        ),
    ] = None
    since: Annotated[str, Field(max_length=64)] | None = None
    at: Annotated[str, Field(max_length=64)] | None = None


class NewPerson(BaseModel):
    name: Text
    party: Annotated[str, Field(min_length=1, max_length=8)] | None = None
    clearance: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    need_to_know: list[Annotated[str, Field(min_length=1, max_length=64)]] = []
    position: Annotated[str, Field(max_length=200)] = ""


def decided(view: ActionView, status: int = 201) -> JSONResponse:
    """An allowed action's result; a denied one as a 403 problem with its reasons."""
    if view.allowed:
        return JSONResponse(view.to_json(), status_code=status)
    return problem(
        403,
        Denied.title,
        "; ".join(r.message for r in view.reasons) or "denied",
        PROBLEM_TYPE_PREFIX + Denied.slug,
        reasons=[r.to_json() for r in view.reasons],
        decision_id=view.decision_id,
    )


def router(node: Node, passphrase: bytes, wake: Callable[[], None], gate: Gate) -> APIRouter:
    api = APIRouter()
    reads_agreements = gate.needs(Action.READ_AGREEMENTS)
    reads_register = gate.needs(Action.READ_REGISTER)

    # -- agreements ------------------------------------------------------------------------

    @api.get("/schemes", tags=["agreements"], summary="Classification schemes")
    def schemes(*, _: Annotated[Officer, reads_agreements]) -> list[SchemeView]:
        return queries.schemes(node)

    @api.get("/agreements", tags=["agreements"], summary="Agreements held as data")
    def agreements(*, _: Annotated[Officer, reads_agreements]) -> list[AgreementView]:
        return queries.agreements(node)

    @api.get("/agreements/{agreement_id}", tags=["agreements"], summary="One agreement")
    def agreement(agreement_id: str, *, _: Annotated[Officer, reads_agreements]) -> AgreementView:
        return queries.agreement(node, agreement_id)

    @api.get(
        "/agreements/{agreement_id}/status",
        tags=["agreements"],
        summary="An agreement's status at an instant, derived from its history",
    )
    def status(
        agreement_id: str, at: At = None, *, _: Annotated[Officer, reads_agreements]
    ) -> StatusView:
        return queries.status(node, agreement_id, at or node.now())

    @api.get("/agreements/{agreement_id}/events", tags=["agreements"], summary="Its history")
    def events(agreement_id: str, *, _: Annotated[Officer, reads_agreements]) -> list[EventView]:
        return queries.events(node, agreement_id)

    # -- what-if ---------------------------------------------------------------------------

    what_if = gate.needs(Action.WHAT_IF)

    @api.get("/what-if/release", tags=["what-if"], summary="May such an item be released?")
    def what_if_release(
        sender: Annotated[str, Query(max_length=8)],
        recipient: Annotated[str, Query(max_length=8)],
        marking: Annotated[str, Query(max_length=64)],
        topic: Annotated[str, Query(max_length=64)],
        at: At = None,
        *,
        _: Annotated[Officer, what_if],
    ) -> DecisionView:
        return whatif.release(node, sender, recipient, marking, topic, at or node.now())

    @api.get("/what-if/routes", tags=["what-if"], summary="Every legal route for such an item")
    def what_if_routes(
        sender: Annotated[str, Query(max_length=8)],
        recipient: Annotated[str, Query(max_length=8)],
        marking: Annotated[str, Query(max_length=64)],
        topic: Annotated[str, Query(max_length=64)],
        at: At = None,
        *,
        _: Annotated[Officer, what_if],
    ) -> list[RouteView]:
        return whatif.legal_routes(node, sender, recipient, marking, topic, at or node.now())

    @api.get(
        "/what-if/impact/{agreement_id}",
        tags=["what-if"],
        summary="What ending an agreement at an instant would leave without a legal basis",
    )
    def what_if_impact(
        agreement_id: str, at: At = None, *, _: Annotated[Officer, what_if]
    ) -> ImpactView:
        return whatif.impact(node, agreement_id, at or node.now())

    # -- persons ---------------------------------------------------------------------------

    @api.get("/persons", tags=["persons"], summary="Cleared persons")
    def person_list(
        limit: Limit = 50, offset: Offset = 0, *, _: Annotated[Officer, reads_register]
    ) -> Page[PersonView]:
        return page(queries.persons(node), limit, offset)

    @api.get("/persons/{person_id}", tags=["persons"], summary="One person")
    def person(person_id: int, *, _: Annotated[Officer, reads_register]) -> PersonView:
        return queries.person(node, person_id)

    @api.post("/persons", tags=["persons"], status_code=201, summary="Register a person")
    def person_add(
        body: NewPerson, *, officer: Annotated[Officer, gate.needs(Action.MANAGE_PERSONS)]
    ) -> PersonView:
        return act(
            officer,
            persons.add_person,
            node,
            name=body.name,
            party=body.party,
            clearance=body.clearance,
            need_to_know=body.need_to_know,
            position=body.position,
        )

    # -- items -----------------------------------------------------------------------------

    @api.get("/items", tags=["items"], summary="The register, filtered and paged")
    def item_list(
        originator: Annotated[str | None, Query(max_length=8)] = None,
        holder: Annotated[str | None, Query(max_length=8)] = None,
        topic: Annotated[str | None, Query(max_length=64)] = None,
        q: Annotated[
            str | None, Query(max_length=200, description="Text in the title or reference.")
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
        *,
        _: Annotated[Officer, reads_register],
    ) -> Page[ItemView]:
        found = queries.items(node, holder=holder, originator=originator, topic=topic)
        if q:
            needle = q.casefold()
            found = [
                i for i in found if needle in i.title.casefold() or needle in i.reference.casefold()
            ]
        return page(found, limit, offset)

    @api.get("/items/{key}", tags=["items"], summary="An item with every decision about it")
    def item(key: str, *, _: Annotated[Officer, reads_register]) -> ItemDetailView:
        return queries.item(node, key)

    @api.get("/items/{key}/custody", tags=["items"], summary="Its custody chain, verified")
    def custody(key: str, *, _: Annotated[Officer, reads_register]) -> CustodyView:
        return queries.custody(node, key)

    @api.post("/items", tags=["items"], status_code=201, summary="Register an item")
    def item_add(
        body: NewItem, *, officer: Annotated[Officer, gate.needs(Action.REGISTER_ITEMS)]
    ) -> ItemView:
        return act(
            officer,
            items.register_item,
            node,
            title=body.title,
            marking=body.marking,
            topic=body.topic,
            at=body.at or node.now(),
            purpose=body.purpose,
            releasable_to=body.releasable_to,
            caveats=body.caveats,
            reference=body.reference,
        )

    hands_over = gate.needs(Action.HAND_OVER)

    @api.post(
        "/items/{key}/releases",
        tags=["items"],
        status_code=201,
        summary="Release the originator's item to a partner (Art 5)",
        responses={201: {"model": ActionView}, **DENIED},
    )
    def release(
        key: str, body: HandOver, *, officer: Annotated[Officer, hands_over]
    ) -> JSONResponse:
        view = act(
            officer, items.release_item, node, key, body.to, body.at or node.now(), passphrase
        )
        wake()
        return decided(view)

    @api.post(
        "/items/{key}/transfers",
        tags=["items"],
        status_code=201,
        summary="Transfer a received item onward, with the originator's consent (Art 6)",
        responses={201: {"model": ActionView}, **DENIED},
    )
    def transfer(
        key: str, body: HandOver, *, officer: Annotated[Officer, hands_over]
    ) -> JSONResponse:
        view = act(
            officer, items.transfer_item, node, key, body.to, body.at or node.now(), passphrase
        )
        wake()
        return decided(view)

    @api.post(
        "/items/{key}/access",
        tags=["items"],
        status_code=201,
        summary="Decide and record a person's access to an item (Art 7)",
        responses={201: {"model": ActionView}, **DENIED},
    )
    def access(
        key: str, body: Access, *, officer: Annotated[Officer, gate.needs(Action.OPEN_ITEMS)]
    ) -> JSONResponse:
        view = act(officer, items.access_item, node, key, body.person, body.at or node.now())
        return decided(view)

    @api.post(
        "/exports/stix",
        tags=["items"],
        summary="The STIX 2.1 bundle of what a partner may see (each item decided, recorded)",
        response_class=Response,
        responses={200: {"content": {STIX_MEDIA_TYPE: {}}}},
    )
    def stix_export(
        body: StixExport, *, officer: Annotated[Officer, gate.needs(Action.HAND_OVER)]
    ) -> Response:
        from gsomia.node.commands import export

        bundle = BytesIO()
        act(
            officer,
            export.export_stix,
            node,
            bundle,
            recipient=body.to,
            since=body.since,
            at=body.at,
        )
        return Response(bundle.getvalue(), media_type=STIX_MEDIA_TYPE)

    # -- what happened ---------------------------------------------------------------------

    @api.get("/releases", tags=["items"], summary="Releases and transfers, both directions")
    def release_list(
        limit: Limit = 50, offset: Offset = 0, *, _: Annotated[Officer, reads_register]
    ) -> Page[ReleaseView]:
        return page(queries.releases(node), limit, offset)

    @api.get("/consents", tags=["consents"], summary="Originators' consents held")
    def consent_list(
        item: Annotated[str | None, Query(max_length=64)] = None,
        limit: Limit = 50,
        offset: Offset = 0,
        *,
        _: Annotated[Officer, reads_register],
    ) -> Page[ConsentView]:
        return page(queries.consents(node, item), limit, offset)

    @api.get("/deliveries", tags=["federation"], summary="Messages to partners' nodes")
    def delivery_list(
        state: Annotated[str | None, Query(max_length=16)] = None,
        limit: Limit = 50,
        offset: Offset = 0,
        *,
        _: Annotated[Officer, reads_register],
    ) -> Page[DeliveryView]:
        return page(queries.deliveries(node, state), limit, offset)

    reads_decisions = gate.needs(Action.READ_DECISIONS)

    @api.get("/decisions", tags=["decisions"], summary="Every decision with its reasons")
    def decision_list(
        kind: Annotated[str | None, Query(max_length=32)] = None,
        allowed: bool | None = None,
        limit: Limit = 50,
        offset: Offset = 0,
        *,
        _: Annotated[Officer, reads_decisions],
    ) -> Page[DecisionRecordView]:
        found = queries.decisions(node, kind)
        if allowed is not None:
            found = [d for d in found if d.allowed == allowed]
        return page(found, limit, offset)

    @api.get("/decisions/{decision_id}", tags=["decisions"], summary="One decision")
    def decision(decision_id: int, *, _: Annotated[Officer, reads_decisions]) -> DecisionRecordView:
        return queries.decision(node, decision_id)

    return api
