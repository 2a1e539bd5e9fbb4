"""Errors as RFC 9457 problem details (`application/problem+json`).

Every error of gsomia's tree carries its HTTP status and its problem type
(`urn:gsomia:problem:<slug>`); denials add the reasons with their articles. A request the API
cannot parse is a 400 problem; an unexpected failure a 500 problem naming nothing internal.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from gsomia.errors import PROBLEM_TYPE_PREFIX, Denied, GsomiaError
from gsomia.node.schemas import ReasonView

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("gsomia.api")


class Problem(BaseModel):
    """An RFC 9457 problem, as every error of the API is answered."""

    type: str
    """`urn:gsomia:problem:<slug>` (docs/errors.md), or `about:blank`."""
    title: str
    status: int
    detail: str
    """One line: what is wrong, and what is accepted instead."""
    reasons: list[ReasonView] | None = None
    """For a denial by the agreements' rules: each rule that failed, with its article."""
    decision_id: int | None = None
    """For a denied action: the decision recorded, as `/decisions/{decision_id}` shows it."""


def _inlined(schema: Any, definitions: dict[str, Any]) -> Any:
    """`schema` with its local references replaced by what they name: the OpenAPI document
    holds it as is, with no `$defs` of its own."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inlined(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions)
        return {k: _inlined(v, definitions) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inlined(v, definitions) for v in schema]
    return schema


_PROBLEM_SCHEMA = Problem.model_json_schema(mode="serialization")
PROBLEM_CONTENT = {
    MEDIA_TYPE: {"schema": _inlined(_PROBLEM_SCHEMA, _PROBLEM_SCHEMA.get("$defs", {}))}
}
"""The `content` of every error response in the OpenAPI document."""


def responses(descriptions: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """The error responses documented as problem+json; `descriptions`, by status, where a
    route says more than the default."""
    documented: dict[int | str, dict[str, Any]] = {
        400: {"description": "Malformed request, or a value the registry cannot read"},
        401: {"description": "No valid token or session"},
        403: {"description": "The officer's role does not allow it, or the rules deny it"},
        404: {"description": "Nothing such is held"},
        409: {"description": "It contradicts what is recorded"},
        422: {"description": "Unknown to the reference data, or fails verification"},
        503: {"description": "The registry cannot be reached, or is busy"},
    }
    for status, description in (descriptions or {}).items():
        documented[status] = {"description": description}
    return {status: {**answer, "content": PROBLEM_CONTENT} for status, answer in documented.items()}


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
        extra["reasons"] = [_reason(r) for r in exc.reasons]
    if exc.status >= 500 or exc.status == 401:
        log.warning("%s %s: %s", request.method, request.url.path, exc.message)
    return problem(exc.status, exc.title, exc.message, exc.problem_type(), **extra)


def _reason(reason: object) -> Any:
    """A reason as JSON: a core `Reason` (a slotted dataclass) by its fields, a view by its
    own JSON."""
    if dataclasses.is_dataclass(reason) and not isinstance(reason, type):
        return {
            f.name: str(getattr(reason, f.name)) if getattr(reason, f.name) is not None else None
            for f in dataclasses.fields(reason)
        }
    to_json = getattr(reason, "to_json", None)
    return to_json() if callable(to_json) else str(reason)


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
