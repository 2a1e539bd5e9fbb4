"""Errors as RFC 9457 problem details (`application/problem+json`).

Every error of gsomia's tree carries its HTTP status and its problem type
(`urn:gsomia:problem:<slug>`); denials add the reasons with their articles. A request the API
cannot parse is a 400 problem; an unexpected failure a 500 problem naming nothing internal.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from gsomia.errors import PROBLEM_TYPE_PREFIX, Denied, GsomiaError

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("gsomia.api")


def problem(
    status: int, title: str, detail: str, type_: str = "about:blank", **extra: Any
) -> JSONResponse:
    return JSONResponse(
        {"type": type_, "title": title, "status": status, "detail": detail, **extra},
        status_code=status,
        media_type=MEDIA_TYPE,
    )


def of_error(request: Request, exc: GsomiaError) -> JSONResponse:
    """The problem a gsomia error is."""
    extra: dict[str, Any] = {}
    if isinstance(exc, Denied) and exc.reasons:
        extra["reasons"] = [getattr(r, "__dict__", r) for r in exc.reasons]
    if exc.status >= 500 or exc.status == 401:
        log.warning("%s %s: %s", request.method, request.url.path, exc.message)
    return problem(exc.status, exc.title, exc.message, exc.problem_type(), **extra)


def install(app: FastAPI) -> None:
    """Answer every error as problem+json."""

    @app.exception_handler(GsomiaError)
    async def _gsomia(request: Request, exc: GsomiaError) -> JSONResponse:
        return of_error(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        error = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in error.get("loc", ()))
        return problem(
            400,
            "Invalid request",
            f"malformed request at {where}: {error.get('msg', 'invalid')}",
            PROBLEM_TYPE_PREFIX + "invalid-request",
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return problem(500, "Internal error", "the node failed to answer; its log says why")
