"""Browser sessions: who is logged in, and the CSRF token their forms must carry."""

from __future__ import annotations

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from gsomia.api.routes.auth import SAFE_METHODS, SESSION_COOKIE, Gate, csrf_given
from gsomia.core.roles import Action
from gsomia.errors import NotAuthenticated
from gsomia.node.commands import users
from gsomia.node.commands.users import Officer

LOGIN_COOKIE = "gsomia_login"
"""Before login: the token the login form must echo (a double-submit check against login
CSRF)."""


class LoginRequired(Exception):
    """A page asked for without a live session: the browser is sent to `/login`."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class Visitor:
    """The officer of a page request and their session's CSRF token; a change (any method
    but GET and HEAD) must carry that token, in the form's `csrf_token` or the
    `X-CSRF-Token` header."""

    def __init__(self, officer: Officer, csrf: str) -> None:
        self.officer = officer
        self.csrf = csrf


def needs(gate: Gate, action: Action) -> object:
    async def dependency(request: Request) -> Visitor:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise LoginRequired(request.url.path)
        try:
            officer, csrf = await run_in_threadpool(users.by_session, gate.node, cookie)
        except NotAuthenticated:
            raise LoginRequired(request.url.path) from None
        if request.method not in SAFE_METHODS:
            users.check_csrf(csrf, await csrf_given(request))
        officer.require(action)
        return Visitor(officer, csrf)

    return Depends(dependency)
