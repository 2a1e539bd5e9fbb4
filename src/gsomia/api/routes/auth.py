"""Who is calling the officers' API, and whether their role allows the route's action.

A request is authenticated by `Authorization: Bearer TOKEN` or by the web UI's session
cookie; a session must also send its CSRF token (`X-CSRF-Token`, or the form's `csrf_token`)
with any request that changes something. Nothing is allowed to a caller the gate does not
know, and nothing to an officer whose role lacks the action.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from gsomia.core.roles import Action
from gsomia.errors import NotAuthenticated
from gsomia.node.commands import users
from gsomia.node.commands.users import Officer
from gsomia.node.context import Node, acting_as

SESSION_COOKIE = "gsomia_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
T = TypeVar("T")

_bearer = HTTPBearer(auto_error=False, description="An API token from `gsomia user token NAME`.")


class Gate:
    """The officers' authentication and authorisation, over one node."""

    def __init__(self, node: Node) -> None:
        self.node = node

    async def officer(
        self, request: Request, credentials: HTTPAuthorizationCredentials | None
    ) -> Officer:
        if credentials is not None:
            return await run_in_threadpool(users.by_token, self.node, credentials.credentials)
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            officer, csrf = await run_in_threadpool(users.by_session, self.node, cookie)
            if request.method not in SAFE_METHODS:
                users.check_csrf(csrf, await csrf_given(request))
            return officer
        raise NotAuthenticated(
            "no credential: send Authorization: Bearer TOKEN, or log in at /login"
        )

    def needs(self, action: Action) -> Any:
        """A dependency: the calling officer, who may take `action`. The OpenAPI document
        names the action in the operation's security requirement (OpenAPI 3.1 lets a bearer
        scheme list the roles or rights an operation needs)."""

        async def dependency(
            request: Request,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        ) -> Officer:
            officer = await self.officer(request, credentials)
            officer.require(action)
            return officer

        return Security(dependency, scopes=[action.value])


async def csrf_given(request: Request) -> str | None:
    """The CSRF token a request carries: its `X-CSRF-Token` header, or its form's
    `csrf_token` field."""
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    return given


def act(officer: Officer, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a use case for `officer`: every ledger entry it writes names them."""
    with acting_as(officer.actor):
        return call(*args, **kwargs)
