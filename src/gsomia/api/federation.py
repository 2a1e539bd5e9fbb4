"""The node-to-node API: what a partner's node may ask of this one.

Every request but the discovery documents and health is signed by a peer's pinned key
(RFC 9421) and, for what changes anything, carries an `Idempotency-Key`. Errors are problem
details (RFC 9457).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from gsomia.errors import NotFound
from gsomia.node import inbound, notices
from gsomia.node.context import Node
from gsomia.node.inbound import Answered

Handler = Callable[[Node, str, str | None, bytes, bytes], Answered]


def router(node: Node, passphrase: bytes, wake: Callable[[], None]) -> APIRouter:
    api = APIRouter()

    async def signed(request: Request, handle: Handler) -> JSONResponse:
        body = await request.body()
        headers = dict(request.headers)
        sender = await run_in_threadpool(
            inbound.authenticate, node, request.method, str(request.url), headers, body
        )
        key = inbound.idempotency_key(request.headers.get("idempotency-key"))
        answered = await run_in_threadpool(handle, node, sender, key, body, passphrase)
        wake()  # what it recorded may have queued messages (a relay, an acknowledgement)
        return JSONResponse(answered.body, status_code=answered.status)

    @api.post("/v1/deliveries", status_code=201, summary="Deliver an item (signed request)")
    async def deliveries(request: Request) -> JSONResponse:
        return await signed(request, inbound.accept_delivery)

    @api.post("/v1/notes", status_code=201, summary="A diplomatic note on an agreement")
    async def notes(request: Request) -> JSONResponse:
        return await signed(request, inbound.accept_note)

    @api.post("/v1/notices", status_code=201, summary="A notice or report about an item")
    async def item_notices(request: Request) -> JSONResponse:
        return await signed(request, notices.accept)

    @api.post("/v1/consent-requests", status_code=202, summary="Ask the originator's consent")
    async def consent_requests(request: Request) -> JSONResponse:
        return await signed(request, inbound.accept_consent_request)

    @api.post("/v1/consents", status_code=201, summary="An originator's consent or refusal")
    async def consents(request: Request) -> JSONResponse:
        return await signed(request, inbound.accept_consent)

    @api.post("/v1/incidents", status_code=201, summary="A step of a case of loss or compromise")
    async def incidents(request: Request) -> JSONResponse:
        from gsomia.node.commands import incidents as cases

        return await signed(request, cases.accept_incident)

    @api.post("/v1/visits", status_code=201, summary="A request for visit, to its host (Art 8)")
    async def visits(request: Request) -> JSONResponse:
        return await signed(request, inbound.accept_visit_request)

    @api.post(
        "/v1/visit-answers", status_code=201, summary="The host's approval or refusal of a visit"
    )
    async def visit_answers(request: Request) -> JSONResponse:
        return await signed(request, inbound.accept_visit_answer)

    @api.get("/v1/keys", summary="This node's signed public key set")
    def keys() -> dict[str, Any]:
        from gsomia.node.commands import keys as key_commands

        return key_commands.export_public(node, passphrase)

    @api.get("/v1/ledger/checkpoint", summary="The latest signed checkpoint")
    def checkpoint() -> dict[str, Any]:
        from gsomia.node.commands import ledger

        return ledger.head(node, None).to_json()  # type: ignore[no-any-return]

    @api.get("/v1/ledger/proofs/inclusion", summary="An entry's inclusion proof (signed request)")
    async def inclusion(request: Request, index: int) -> JSONResponse:
        from gsomia.node.commands import ledger

        body = await request.body()
        sender = await run_in_threadpool(
            inbound.authenticate, node, "GET", str(request.url), dict(request.headers), body
        )
        proof = await run_in_threadpool(ledger.prove, node, index)
        if not ledger.concerns(proof.entry.body, sender):
            raise NotFound(f"entry {index} does not concern {sender}")
        return JSONResponse(proof.to_json())

    @api.post(
        "/witness/add-checkpoint",
        summary="C2SP tlog-witness: cosign a partner's checkpoint",
        response_class=Response,
    )
    async def add_checkpoint(request: Request) -> Response:
        from gsomia.node import witnessing

        body = await request.body()
        answered = await run_in_threadpool(witnessing.answer, node, body, passphrase)
        return Response(answered.body, answered.status, media_type=answered.content_type)

    return api
