"""The node as a web service: FastAPI, served by `gsomia serve` on uvicorn.

`create_app` builds the app over an open node; its lifespan starts the worker (outbox,
checkpoints) and stops it on shutdown, after requests in flight have finished.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gsomia import __version__
from gsomia.api import federation, problems, routes, web
from gsomia.api.routes.auth import Gate
from gsomia.node.context import Node, origin
from gsomia.node.worker import Worker


def create_app(
    node: Node, passphrase: bytes, *, worker: bool = True, checkpoint_every: float = 30.0
) -> FastAPI:
    """The node's HTTP service; with `worker`, its background work runs beside it."""
    background = Worker(node, passphrase, checkpoint_every=checkpoint_every) if worker else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if background is not None:
            background.start()
        try:
            yield
        finally:
            if background is not None:
                await run_in_threadpool(background.stop)

    app = FastAPI(
        title="gsomia node",
        version=__version__,
        description="A party's registry under General Security of Military Information "
        "Agreements, as its partners' nodes reach it.",
        lifespan=lifespan,
    )
    problems.install(app)
    wake = background.wake if background else lambda: None
    app.include_router(federation.router(node, passphrase, wake))
    gate = Gate(node)
    app.include_router(routes.router(node, passphrase, wake, gate))
    web.install(app, node, passphrase, wake, gate)

    @app.get("/healthz", summary="The process answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", summary="The registry and the keys are usable")
    def readyz() -> JSONResponse:
        from gsomia.node.commands.keys import keyring

        try:
            with node.read() as tx:
                party = tx.own_party()
                keyring(tx, passphrase).signing()
        except Exception as exc:  # any failure means: not ready, and why
            return JSONResponse({"status": "not ready", "detail": str(exc)}, status_code=503)
        return JSONResponse({"status": "ready", "party": party})

    @app.get("/.well-known/gsomia", summary="Who this node is, and how to reach and verify it")
    def well_known() -> dict[str, Any]:
        from gsomia.node.commands import keys, ledger

        with node.read() as tx:
            party = tx.own_party()
        return {
            "party": party,
            "origin": origin(party),
            "version": __version__,
            "endpoints": {
                "deliveries": "/v1/deliveries",
                "notes": "/v1/notes",
                "consent_requests": "/v1/consent-requests",
                "consents": "/v1/consents",
                "visits": "/v1/visits",
                "visit_answers": "/v1/visit-answers",
                "keys": "/v1/keys",
                "checkpoint": "/v1/ledger/checkpoint",
                "inclusion_proofs": "/v1/ledger/proofs/inclusion",
                "witness": "/witness/add-checkpoint",
            },
            "log_vkey": ledger.vkey(node),
            "witness_vkey": ledger.witness_vkey(node),
            "keys": keys.export_public(node, passphrase),
        }

    return app
