"""The officers' web UI: server-rendered pages (Jinja2), enhanced by htmx where a browser runs
scripts, readable and usable without.

Every page calls the same node use cases as the CLI and the API, for an officer logged in at
`/login` (a session cookie, HttpOnly and SameSite=Strict); every form carries the session's
CSRF token, and a form without the right one is refused. Pages are in the officer's language
(English, Korean or Japanese); markings are always shown in their own party's scheme, beside
the English equivalent.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from gsomia.api import problems
from gsomia.api.routes.auth import Gate
from gsomia.api.web import views
from gsomia.api.web.pages import render
from gsomia.api.web.session import LoginRequired
from gsomia.errors import GsomiaError
from gsomia.node.context import Node

MACHINE_PATHS = ("/api/", "/v1/", "/witness/", "/.well-known/")

STATIC = Path(__file__).with_name("static")


def install(
    app: FastAPI, node: Node, passphrase: bytes, wake: Callable[[], None], gate: Gate
) -> None:
    """Mount the UI's pages and static files; a browser without a session goes to `/login`."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(views.router(node, passphrase, wake, gate))

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)

    @app.exception_handler(GsomiaError)
    async def _error(request: Request, exc: GsomiaError) -> Response:
        """A page's refusal (a role without the action, a forged CSRF token) as a page; the
        APIs' errors stay problem details."""
        if request.url.path.startswith(MACHINE_PATHS):
            return problems.of_error(request, exc)
        return render(request, "error.html", None, status=exc.status, error=exc)
