"""The security officer's routes: partners' consent and visit requests, loss and compromise
cases, and the agreements' notices."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gsomia.api.routes.auth import Gate, act
from gsomia.api.routes.pages import Limit, Offset, Page, page
from gsomia.core.agreements import EventKind
from gsomia.core.roles import Action
from gsomia.node.commands import consents, incidents, lifecycle, visits
from gsomia.node.commands.incidents import IncidentView
from gsomia.node.commands.users import Officer
from gsomia.node.commands.visits import VisitDecisionView, VisitView
from gsomia.node.context import Node
from gsomia.node.schemas import ConsentRequestView, RecordedEventView

Instant = Annotated[str, Field(min_length=1, max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class Grant(BaseModel):
    expires: Instant
    reference: Annotated[str, Field(min_length=1, max_length=200)]
    at: Instant | None = None


class Refusal(BaseModel):
    reason: Text
    at: Instant | None = None


class VisitApproval(BaseModel):
    note: Annotated[str, Field(max_length=2000)] = ""
    at: Instant | None = None


class NewEvent(BaseModel):
    kind: EventKind
    by: Annotated[str, Field(min_length=1, max_length=8, description="The party acting.")]
    at: Instant
    note: Annotated[str, Field(max_length=2000)] = ""


class Investigation(BaseModel):
    note: Annotated[str, Field(max_length=2000)] = ""
    at: Instant | None = None


class Conclusion(BaseModel):
    result: Text
    measures: Text
    at: Instant | None = None


def router(node: Node, passphrase: bytes, wake: Callable[[], None], gate: Gate) -> APIRouter:
    api = APIRouter()
    reads = gate.needs(Action.READ_REGISTER)

    # -- consent requests (Art 6) ------------------------------------------------------------

    answers_consents = gate.needs(Action.ANSWER_CONSENTS)

    @api.get("/consent-requests", tags=["consents"], summary="Requests for consent, both ways")
    def consent_requests(
        limit: Limit = 50, offset: Offset = 0, *, _: Annotated[Officer, reads]
    ) -> Page[ConsentRequestView]:
        return page(consents.consent_requests(node), limit, offset)

    @api.post(
        "/consent-requests/{request_id}/grant",
        tags=["consents"],
        summary="Grant the originator's written consent (Art 6), signed and sent",
    )
    def grant(
        request_id: str, body: Grant, *, officer: Annotated[Officer, answers_consents]
    ) -> ConsentRequestView:
        view = act(
            officer,
            consents.grant,
            node,
            request_id,
            body.expires,
            body.reference,
            passphrase,
            body.at,
        )
        wake()
        return view

    @api.post(
        "/consent-requests/{request_id}/refuse",
        tags=["consents"],
        summary="Refuse consent, with the reason, signed and sent",
    )
    def refuse(
        request_id: str, body: Refusal, *, officer: Annotated[Officer, answers_consents]
    ) -> ConsentRequestView:
        view = act(officer, consents.refuse, node, request_id, body.reason, passphrase, body.at)
        wake()
        return view

    # -- visits (Art 8) ----------------------------------------------------------------------

    answers_visits = gate.needs(Action.ANSWER_VISITS)

    @api.get("/visits", tags=["visits"], summary="Visit requests, both ways")
    def visit_list(
        limit: Limit = 50, offset: Offset = 0, *, _: Annotated[Officer, reads]
    ) -> Page[VisitView]:
        return page(visits.visits(node), limit, offset)

    @api.get("/visits/{request_id}", tags=["visits"], summary="One visit request")
    def visit(request_id: str, *, _: Annotated[Officer, reads]) -> VisitView:
        return visits.show(node, request_id)

    @api.post(
        "/visits/{request_id}/approve",
        tags=["visits"],
        summary="The host's approval, if its own check allows (Art 8)",
    )
    def visit_approve(
        request_id: str, body: VisitApproval, *, officer: Annotated[Officer, answers_visits]
    ) -> VisitDecisionView:
        view = act(officer, visits.approve, node, request_id, passphrase, body.at, body.note)
        wake()
        return view

    @api.post("/visits/{request_id}/refuse", tags=["visits"], summary="The host's refusal")
    def visit_refuse(
        request_id: str, body: Refusal, *, officer: Annotated[Officer, answers_visits]
    ) -> VisitDecisionView:
        view = act(officer, visits.refuse, node, request_id, body.reason, passphrase, body.at)
        wake()
        return view

    # -- incidents (Art 17) ------------------------------------------------------------------

    handles = gate.needs(Action.HANDLE_INCIDENTS)

    @api.get("/incidents", tags=["incidents"], summary="Cases of loss or compromise")
    def incident_list(
        limit: Limit = 50, offset: Offset = 0, *, _: Annotated[Officer, reads]
    ) -> Page[IncidentView]:
        return page(incidents.incidents(node), limit, offset)

    @api.get("/incidents/{case_id}", tags=["incidents"], summary="One case with its deadlines")
    def incident(case_id: str, *, _: Annotated[Officer, reads]) -> IncidentView:
        return incidents.incident(node, case_id)

    @api.post(
        "/incidents/{case_id}/investigate",
        tags=["incidents"],
        summary="Open the investigation, and tell the originators",
    )
    def investigate(
        case_id: str, body: Investigation, *, officer: Annotated[Officer, handles]
    ) -> IncidentView:
        view = act(officer, incidents.investigate, node, case_id, body.at, body.note, passphrase)
        wake()
        return view

    @api.post(
        "/incidents/{case_id}/conclude",
        tags=["incidents"],
        summary="Conclude with the result and the measures, and tell the originators",
    )
    def conclude(
        case_id: str, body: Conclusion, *, officer: Annotated[Officer, handles]
    ) -> IncidentView:
        view = act(
            officer,
            incidents.conclude,
            node,
            case_id,
            body.result,
            body.measures,
            body.at,
            passphrase,
        )
        wake()
        return view

    # -- the agreements' notices (Art 21) ----------------------------------------------------

    @api.post(
        "/agreements/{agreement_id}/events",
        tags=["agreements"],
        status_code=201,
        summary="Record a notice, suspension, reactivation or withdrawal",
    )
    def event_add(
        agreement_id: str,
        body: NewEvent,
        *,
        officer: Annotated[Officer, gate.needs(Action.GIVE_NOTICES)],
    ) -> RecordedEventView:
        view = act(
            officer,
            lifecycle.record_event,
            node,
            agreement_id,
            body.kind,
            body.by,
            body.at,
            body.note,
            "api",
            passphrase,
        )
        wake()
        return view

    return api
