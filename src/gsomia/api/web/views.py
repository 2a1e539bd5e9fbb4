"""The web UI's pages: login, dashboard, register, item, inbox, decisions and ledger,
what-if. Each page needs an action of the officer's role (`gsomia.core.roles`), as the API's
routes do, and calls the same node use cases."""

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from gsomia.api.routes.auth import SESSION_COOKIE, Gate, act
from gsomia.api.web import timeline
from gsomia.api.web.pages import render
from gsomia.api.web.session import LOGIN_COOKIE, Visitor, needs
from gsomia.core.roles import Action
from gsomia.errors import GsomiaError, NotAuthenticated
from gsomia.node import queries
from gsomia.node.commands import consents, custody, incidents, items, ledger, users, visits, whatif
from gsomia.node.context import Node

PAGE = 50
Field = Annotated[str, Form(max_length=500)]
Optional = Annotated[str, Form(max_length=500)]


def router(node: Node, passphrase: bytes, wake: Callable[[], None], gate: Gate) -> APIRouter:
    web = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
    _session_pages(web, node, gate)
    _registry_pages(web, node, passphrase, wake, gate)
    _security_pages(web, node, passphrase, wake, gate)
    _audit_pages(web, node, gate)
    return web


def _session_pages(web: APIRouter, node: Node, gate: Gate) -> None:
    """Logging in and out, and the officer's language."""

    @web.get("/login")
    def login_page(request: Request, next: str = "/") -> Response:
        token = secrets.token_urlsafe(32)
        page = render(request, "login.html", None, csrf=token, next=_local(next), failed=False)
        _cookie(page, request, LOGIN_COOKIE, token, max_age=3600)
        return page

    @web.post("/login")
    async def login(
        request: Request,
        username: Annotated[str, Form(max_length=64)],
        password: Annotated[str, Form(max_length=1024)],
        csrf_token: Annotated[str, Form(max_length=128)] = "",
        next: Annotated[str, Form(max_length=500)] = "/",
    ) -> Response:
        expected = request.cookies.get(LOGIN_COOKIE, "")
        try:
            users.check_csrf(expected, csrf_token)
            officer = await run_in_threadpool(users.by_password, node, username, password)
        except NotAuthenticated:
            token = secrets.token_urlsafe(32)
            page = render(
                request, "login.html", None, csrf=token, next=_local(next), failed=True, status=401
            )
            _cookie(page, request, LOGIN_COOKIE, token, max_age=3600)
            return page
        cookie, _ = await run_in_threadpool(users.open_session, node, officer)
        done = RedirectResponse(_local(next), status_code=303)
        _cookie(done, request, SESSION_COOKIE, cookie, max_age=users.SESSION_HOURS * 3600)
        done.delete_cookie(LOGIN_COOKIE)
        return done

    @web.post("/logout")
    def logout(
        request: Request, visitor: Annotated[Visitor, needs(gate, Action.READ_AGREEMENTS)]
    ) -> Response:
        users.close_session(node, request.cookies.get(SESSION_COOKIE, ""))
        done = RedirectResponse("/login", status_code=303)
        done.delete_cookie(SESSION_COOKIE)
        return done

    @web.post("/language")
    def language(
        request: Request,
        visitor: Annotated[Visitor, needs(gate, Action.READ_AGREEMENTS)],
        choice: Annotated[str, Form(max_length=8)],
        back: Annotated[str, Form(max_length=500)] = "/",
    ) -> Response:
        return _then(
            request,
            visitor,
            lambda: users.set_language(node, visitor.officer.name, choice),
            _local(back),
        )


def _registry_pages(
    web: APIRouter, node: Node, passphrase: bytes, wake: Callable[[], None], gate: Gate
) -> None:
    """The dashboard, the register and an item's page, the what-if."""

    @web.get("/")
    def dashboard(
        request: Request,
        visitor: Annotated[Visitor, needs(gate, Action.READ_AGREEMENTS)],
        at: Annotated[str | None, Query(max_length=64)] = None,
    ) -> HTMLResponse:
        def values() -> dict[str, Any]:
            instant = _instant(node, at)
            rows = []
            for agreement in queries.agreements(node):
                status = queries.status(node, agreement.id, instant)
                events = queries.events(node, agreement.id)
                days_left = _days(instant, status.terminates_at or status.term_end)
                # the picture is the whole history as recorded now, with the instant shown
                latest = max([node.now(), instant, *(e.at for e in events)])
                final = queries.status(node, agreement.id, latest)
                picture = timeline.layout(
                    agreement.entry_into_force,
                    agreement.term.months if agreement.term else None,
                    [(e.at, e.event) for e in events],
                    status.at,
                    final.terminates_at,
                )
                rows.append(
                    {
                        "agreement": agreement,
                        "status": status,
                        "events": events,
                        "days_left": days_left,
                        "deadline_days": _days(instant, status.notice_deadline),
                        "timeline": picture,
                    }
                )
            return {"rows": rows, "at": at or "", "instant": instant}

        return attempt(request, visitor, "dashboard.html", values)

    @web.get("/items")
    def register(
        request: Request,
        visitor: Annotated[Visitor, needs(gate, Action.READ_REGISTER)],
        q: Annotated[str, Query(max_length=200)] = "",
        originator: Annotated[str, Query(max_length=8)] = "",
        holder: Annotated[str, Query(max_length=8)] = "",
        topic: Annotated[str, Query(max_length=64)] = "",
        page: Annotated[int, Query(ge=0, le=10**6)] = 0,
    ) -> HTMLResponse:
        def values() -> dict[str, Any]:
            found = queries.items(
                node,
                originator=originator or None,
                holder=holder or None,
                topic=topic or None,
            )
            if q:
                needle = q.casefold()
                found = [
                    i
                    for i in found
                    if needle in i.title.casefold() or needle in i.reference.casefold()
                ]
            return {
                "items": found[page * PAGE : (page + 1) * PAGE],
                "total": len(found),
                "page": page,
                "pages": max(1, -(-len(found) // PAGE)),
                "filters": {"q": q, "originator": originator, "holder": holder, "topic": topic},
                "parties": sorted({p for a in queries.agreements(node) for p in a.parties}),
            }

        return attempt(request, visitor, "items.html", values)

    @web.post("/items")
    def register_item(
        request: Request,
        visitor: Annotated[Visitor, needs(gate, Action.REGISTER_ITEMS)],
        title: Field,
        marking: Field,
        topic: Field,
        at: Optional = "",
        purpose: Optional = "",
    ) -> Response:
        def call() -> Any:
            return items.register_item(
                node,
                title=title,
                marking=marking,
                topic=topic,
                at=at or node.now(),
                purpose=purpose,
            )

        return _then(request, visitor, call, lambda made: f"/items/{quote(made.reference)}")

    @web.get("/items/{key}")
    def item_page(
        request: Request,
        key: str,
        visitor: Annotated[Visitor, needs(gate, Action.READ_REGISTER)],
    ) -> HTMLResponse:
        return attempt(request, visitor, "item.html", lambda: _item(node, key))

    @web.post("/items/{key}/release")
    def release(
        request: Request,
        key: str,
        visitor: Annotated[Visitor, needs(gate, Action.HAND_OVER)],
        to: Annotated[str, Form(max_length=8)],
        at: Optional = "",
    ) -> HTMLResponse:
        def call() -> dict[str, Any]:
            decided = items.release_item(node, key, to, at or node.now(), passphrase)
            wake()
            return _item(node, key) | {"decided": decided}

        return attempt(request, visitor, "item.html", call)

    # -- what-if ---------------------------------------------------------------------------

    @web.get("/what-if")
    def what_if(
        request: Request,
        visitor: Annotated[Visitor, needs(gate, Action.WHAT_IF)],
        sender: Annotated[str, Query(max_length=8)] = "",
        recipient: Annotated[str, Query(max_length=8)] = "",
        marking: Annotated[str, Query(max_length=64)] = "",
        topic: Annotated[str, Query(max_length=64)] = "",
        at: Annotated[str, Query(max_length=64)] = "",
        ending: Annotated[str, Query(max_length=64)] = "",
    ) -> HTMLResponse:
        def values() -> dict[str, Any]:
            agreements = queries.agreements(node)
            asked = {
                "sender": sender,
                "recipient": recipient,
                "marking": marking,
                "topic": topic,
                "at": at,
                "ending": ending,
            }
            shown: dict[str, Any] = {"asked": asked, "agreements": agreements}
            shown["parties"] = sorted({p for a in agreements for p in a.parties})
            when = at or node.now()
            if sender and recipient and marking and topic:
                shown["decision"] = whatif.release(node, sender, recipient, marking, topic, when)
                shown["routes"] = whatif.legal_routes(node, sender, recipient, marking, topic, when)
            if ending:
                shown["impact"] = whatif.impact(node, ending, when)
            return shown

        return attempt(request, visitor, "what_if.html", values)


def _security_pages(
    web: APIRouter, node: Node, passphrase: bytes, wake: Callable[[], None], gate: Gate
) -> None:
    """The inbox: what partners asked and what waits, with the answers the role allows."""

    @web.get("/inbox")
    def inbox(
        request: Request, visitor: Annotated[Visitor, needs(gate, Action.READ_REGISTER)]
    ) -> HTMLResponse:
        def values() -> dict[str, Any]:
            with node.read() as tx:
                own = tx.own_party()
            unacknowledged = []
            for item in queries.items(node, originator=own, holder=own):
                if not queries.item(node, item.reference).changes:
                    continue
                for holder in custody.holders(node, item.reference).holders:
                    if holder.notice and not holder.acknowledged:
                        unacknowledged.append((item, holder))
            return {
                "consents": [
                    c
                    for c in consents.consent_requests(node)
                    if c.asked_of_us and c.state == "pending"
                ],
                "visits": [
                    v for v in visits.visits(node) if v.to_answer_here and v.state == "pending"
                ],
                "incidents": [i for i in incidents.incidents(node) if i.state != "concluded"],
                "unacknowledged": unacknowledged,
            }

        return attempt(request, visitor, "inbox.html", values)

    @web.post("/inbox/consents/{request_id}/grant")
    def grant(
        request: Request,
        request_id: str,
        visitor: Annotated[Visitor, needs(gate, Action.ANSWER_CONSENTS)],
        expires: Field,
        reference: Field,
    ) -> Response:
        def call() -> Any:
            answered = consents.grant(node, request_id, expires, reference, passphrase)
            wake()
            return answered

        return _then(request, visitor, call, "/inbox")

    @web.post("/inbox/consents/{request_id}/refuse")
    def refuse(
        request: Request,
        request_id: str,
        visitor: Annotated[Visitor, needs(gate, Action.ANSWER_CONSENTS)],
        reason: Field,
    ) -> Response:
        def call() -> Any:
            answered = consents.refuse(node, request_id, reason, passphrase)
            wake()
            return answered

        return _then(request, visitor, call, "/inbox")

    @web.post("/inbox/visits/{request_id}/approve")
    def approve_visit(
        request: Request,
        request_id: str,
        visitor: Annotated[Visitor, needs(gate, Action.ANSWER_VISITS)],
        note: Optional = "",
    ) -> Response:
        def call() -> Any:
            answered = visits.approve(node, request_id, passphrase, None, note)
            wake()
            return answered

        return _then(request, visitor, call, "/inbox")

    @web.post("/inbox/visits/{request_id}/refuse")
    def refuse_visit(
        request: Request,
        request_id: str,
        visitor: Annotated[Visitor, needs(gate, Action.ANSWER_VISITS)],
        reason: Field,
    ) -> Response:
        def call() -> Any:
            answered = visits.refuse(node, request_id, reason, passphrase)
            wake()
            return answered

        return _then(request, visitor, call, "/inbox")


def _audit_pages(web: APIRouter, node: Node, gate: Gate) -> None:
    """Every decision with its reasons; the ledger, its checkpoint, proofs and verification."""

    @web.get("/decisions")
    def decisions(
        request: Request,
        visitor: Annotated[Visitor, needs(gate, Action.READ_DECISIONS)],
        kind: Annotated[str, Query(max_length=32)] = "",
        page: Annotated[int, Query(ge=0, le=10**6)] = 0,
    ) -> HTMLResponse:
        def values() -> dict[str, Any]:
            found = list(reversed(queries.decisions(node, kind or None)))
            return {
                "decisions": found[page * PAGE : (page + 1) * PAGE],
                "total": len(found),
                "page": page,
                "pages": max(1, -(-len(found) // PAGE)),
                "kind": kind,
            }

        return attempt(request, visitor, "decisions.html", values)

    @web.get("/ledger")
    def ledger_page(
        request: Request,
        visitor: Annotated[Visitor, needs(gate, Action.READ_LEDGER)],
        position: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    ) -> HTMLResponse:
        return attempt(request, visitor, "ledger.html", lambda: _ledger(node, position))

    @web.post("/ledger/verify")
    def verify(
        request: Request, visitor: Annotated[Visitor, needs(gate, Action.VERIFY_LEDGER)]
    ) -> HTMLResponse:
        return attempt(
            request,
            visitor,
            "ledger.html",
            lambda: _ledger(node, None) | {"verified": ledger.verify(node)},
        )


def attempt(
    request: Request, visitor: Visitor, template: str, call: Callable[[], dict[str, Any]]
) -> HTMLResponse:
    """Render `template` with what `call` returns, or the error page with the error."""
    try:
        values = act(visitor.officer, call)
    except GsomiaError as exc:
        return render(
            request,
            "error.html",
            visitor.officer,
            csrf=visitor.csrf,
            status=exc.status,
            error=exc,
        )
    return render(request, template, visitor.officer, csrf=visitor.csrf, **values)


def _item(node: Node, key: str) -> dict[str, Any]:
    detail = queries.item(node, key)
    try:
        chain = queries.custody(node, key)
    except GsomiaError:
        chain = None
    return {"item": detail, "custody": chain, "parties": _partners(node, detail.originator)}


def _partners(node: Node, own: str) -> list[str]:
    return sorted({p for a in queries.agreements(node) for p in a.parties if p != own})


def _ledger(node: Node, position: int | None) -> dict[str, Any]:
    try:
        head = ledger.head(node, None)
    except GsomiaError:
        head = None
    try:
        cosigned = ledger.cosigned_head(node)
    except GsomiaError:
        cosigned = None
    proof = ledger.prove(node, position) if position is not None else None
    with node.read() as tx:
        from gsomia.store import log

        size = log.size(tx.connection)
    start = max(0, size - 20)
    return {
        "head": head,
        "cosigned": cosigned,
        "entries": list(reversed(ledger.entries(node, start, 20))),
        "size": size,
        "proof": proof,
        "position": position,
    }


def _then(
    request: Request,
    visitor: Visitor,
    call: Callable[[], Any],
    target: str | Callable[[Any], str],
) -> Response:
    """Do a change for the officer, then show the page it leads to (Post/Redirect/Get); an
    error shows the error page."""
    try:
        done = act(visitor.officer, call)
    except GsomiaError as exc:
        return render(
            request, "error.html", visitor.officer, csrf=visitor.csrf, status=exc.status, error=exc
        )
    return RedirectResponse(target(done) if callable(target) else target, status_code=303)


def _instant(node: Node, at: str | None) -> datetime:
    if not at:
        return node.now()
    with node.read() as tx:
        return tx.instant(at)


def _days(now: datetime, until: datetime | None) -> int | None:
    if until is None:
        return None
    return (until.astimezone(now.tzinfo).date() - now.date()).days


def _local(path: str) -> str:
    """Only a path on this site is a place to go after login (no open redirect)."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
