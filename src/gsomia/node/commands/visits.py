"""Visits (Art 8, Rule 11): requested by this node's party of a host's node, approved or
refused only by the host on its own node, and access during a visit decided by the host.

The requesting node checks the request against the same rules the host will apply (the
agreement in force, the window, the lead time in the host's working days, each visitor's
clearance against the highest level stated) and refuses at once, exit 1 with the reasons
and the denial recorded, a request the host could not approve; otherwise it records the
request (`requested`) and sends it, signed, to the host's node. The host records it
(`pending`); its approval is decided again under its own view of the agreements, and its
signed answer goes back to the requesting node. Every decision is recorded with its reasons
(kind `visit`), every visit row is stated in the ledger.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from pydantic import Field
from sqlalchemy import insert, select, update

from gsomia.core.agreements import VisitType
from gsomia.core.calendar import SUPPORTED_FROM, SUPPORTED_UNTIL, is_bare_date
from gsomia.core.policy import Code, Decision, Reason
from gsomia.core.visits import (
    Visit,
    Visitor,
    decide_visit,
    decide_visit_access,
    lead_time,
    visit_agreement,
)
from gsomia.crypto import objects
from gsomia.errors import Conflict, Denied, InvalidRequest, KeyStoreError, NotFound
from gsomia.node import journal, outbox, wire
from gsomia.node.commands.keys import keyring, sign_object
from gsomia.node.commands.peers import peer_url
from gsomia.node.context import Node, Tx, When
from gsomia.node.schemas import Instant, Model, ReasonView
from gsomia.store import registry as register
from gsomia.store import tables

TYPES = ", ".join(kind.value for kind in VisitType)


# -- views ---------------------------------------------------------------------------------


class VisitorView(Model):
    name: str
    party: str
    clearance: str | None
    """As the requesting party assures it: a native marking of its own scheme."""


class LeadTimeView(Model):
    """The host's working days between the request and the visit, against the practice."""

    available: int
    required: int
    met: bool
    country: str
    """Whose public holidays are not working days (a `holidays` country code)."""
    time_zone: str


class VisitView(Model):
    """A request for visit, made by this node's party or of it as host."""

    id: str
    requester: str
    host: str
    agreement: str
    type: str
    purpose: str
    facility: str
    first_day: date = Field(alias="from")
    last_day: date = Field(alias="until")
    max_marking: str
    """The highest level, a native marking of the host's scheme."""
    max_english: str
    visitors: list[VisitorView]
    requested_at: Instant
    state: str
    """`requested` (made here, not answered yet), `pending` (made of this node, to answer
    here), `approved` or `refused`."""
    lead_time: LeadTimeView | None
    answered_at: Instant | None
    answer_note: str | None
    to_answer_here: bool
    message: str | None
    """The state of the message this node sent for the visit (the request, or the answer)."""


class VisitDecisionView(Model):
    """A decision on a visit (requesting, approving, access during it), as recorded."""

    allowed: bool
    agreement: str | None
    reasons: list[ReasonView]
    decision_id: int
    visit: VisitView | None


# -- requesting ---------------------------------------------------------------------------------


def request_visit(
    node: Node,
    *,
    host: str,
    visitors: list[str],
    purpose: str,
    facility: str,
    first_day: str,
    last_day: str,
    max_marking: str,
    kind: str,
    passphrase: bytes | None,
    at: When | None = None,
) -> VisitDecisionView:
    """Request a visit of `host` for persons of this node's party (Art 8): refused at once,
    with the reasons, when the host could not approve it; else recorded and sent signed."""
    visit_type = _type(kind)
    purpose, facility = _text(purpose, "purpose"), _text(facility, "facility")
    first, last = _day(first_day, "--from"), _day(last_day, "--until")
    if not visitors:
        raise InvalidRequest("a request for visit names at least one visitor (--visitor)")
    with node.write() as tx:
        own = tx.own_party()
        to = tx.known_party(host)
        if to == own:
            raise InvalidRequest(f"{own} cannot request a visit of itself; name the host party")
        level = tx.book.scheme(to).read(max_marking)
        people, person_ids = _visitors(tx, own, visitors)
        if peer_url(tx, to) is None:
            raise InvalidRequest(
                f"{to} is not a peer of this node: the request cannot be sent to its competent "
                "authority",
                subject="peer",
            )
        if passphrase is None:
            raise KeyStoreError(
                "the request is signed with this node's keys: they need their passphrase",
                subject="passphrase",
            )
        instant = tx.instant(at, own, to) if at is not None else tx.now
        agreement = visit_agreement(tx.book, own, to, instant)
        request_id = outbox.new_id()
        summary = {
            "action": "request",
            "requester": own,
            "host": to,
            "type": visit_type.value,
            "facility": facility,
            "from": first.isoformat(),
            "until": last.isoformat(),
            "max_marking": level.marking,
            "visitors": [p.name for p in people],
        }
        if agreement is None:
            decision = Decision(
                False,
                (
                    Reason(
                        Code.NO_AGREEMENT,
                        None,
                        None,
                        f"no agreement binds {own} and {to}: no visit can be requested",
                    ),
                ),
            )
            return _decided(tx, decision, instant, summary, None)
        visit = Visit(
            own,
            to,
            agreement.id,
            visit_type,
            purpose,
            facility,
            first,
            last,
            level,
            tuple(people),
            instant,
        )
        decision = decide_visit(tx.book, visit, instant)
        if not decision.allowed:
            return _decided(tx, decision, instant, summary, None)
        # The clearances the request assures come from the register: attested before use.
        tx.attest(*(("persons", person_id) for person_id in person_ids))
        claims = objects.VisitRequest(
            iss=own,
            iat=int(tx.now.timestamp()),
            request_id=request_id,
            requester=own,
            host=to,
            agreement=agreement.id,
            type=visit_type.value,
            purpose=purpose,
            facility=facility,
            first_day=first,
            last_day=last,
            max_marking=level.marking,
            visitors=tuple(
                objects.Visitor(name=p.name, party=p.party, clearance=p.clearance) for p in people
            ),
            requested_at=instant,
        )
        token = sign_object(keyring(tx, passphrase), objects.ObjectKind.VISIT_REQUEST, claims)
        summary["visit"] = request_id
        decision_id = journal.decision(
            tx, kind="visit", at=instant, decided=decision, request=summary
        )
        insert_visit(tx, claims, token, "requested", decision_id)
        journal.state_row(tx, "visit_requested", "visits", request_id)
        outbox.enqueue(
            tx,
            kind=outbox.Kind.VISIT_REQUEST,
            recipient=to,
            body=json.loads(wire.VisitRequestMessage(request=token).model_dump_json()),
            message_id=request_id,
            subject=request_id,
        )
        return _outcome(tx, decision, decision_id, request_id)


def insert_visit(
    tx: Tx, claims: objects.VisitRequest, token: str, state: str, decision_id: int | None
) -> None:
    """Record a request for visit as its signed claims state it."""
    tx.connection.execute(
        insert(tables.visits).values(
            id=claims.request_id,
            requester=claims.requester,
            host=claims.host,
            agreement_id=claims.agreement,
            kind=claims.type,
            purpose=claims.purpose,
            facility=claims.facility,
            first_day=claims.first_day.isoformat(),
            last_day=claims.last_day.isoformat(),
            max_marking=claims.max_marking,
            visitors=[v.model_dump(mode="json") for v in claims.visitors],
            requested_at=claims.requested_at,
            state=state,
            request=token,
            decision_id=decision_id,
            recorded_at=tx.now,
        )
    )


def _visitors(tx: Tx, own: str, keys: list[str]) -> tuple[list[Visitor], list[int]]:
    """The persons named, each of this node's party, with the clearance it assures, and
    their ids in the register."""
    found: list[Visitor] = []
    ids: list[int] = []
    for key in keys:
        person = _person(tx, key)
        if person.party != own:
            raise InvalidRequest(
                f"person {person.id} ({person.name}) is of {person.party}: {own} requests visits "
                "for its own people only"
            )
        if any(v.name == person.name for v in found):
            raise InvalidRequest(f"{person.name} is named twice as a visitor")
        found.append(Visitor(person.name, person.party, person.clearance))
        ids.append(person.id)
    return found, ids


def _person(tx: Tx, key: str) -> Any:
    text = key.strip()
    if text.isascii() and text.isdigit():
        return register.person(tx.connection, int(text))
    named = [p for p in register.persons(tx.connection) if p.name == text]
    if not named:
        raise NotFound(f"no person named {text!r}", subject="person")
    if len(named) > 1:
        raise InvalidRequest(f"several persons are named {text!r}; give the person's id")
    return named[0]


# -- answering, on the host's node ---------------------------------------------------------------


def approve(
    node: Node,
    request_id: str,
    passphrase: bytes | None,
    at: When | None = None,
    note: str = "",
) -> VisitDecisionView:
    """The host's approval (Art 8), given only when its own check of the request allows it;
    signed and sent to the requesting node. A request failing the rules stays pending, the
    denial recorded with its reasons."""
    with node.write() as tx:
        row = _to_answer(tx, request_id)
        instant = _answer_instant(tx, row, at)
        tx.attest(("visits", row.id))
        visit = _visit(tx, row)
        decision = decide_visit(tx.book, visit, instant)
        summary = {"action": "approve", "visit": row.id, "requester": row.requester}
        if not decision.allowed:
            return _decided(tx, decision, instant, summary, row.id)
        decision_id = journal.decision(
            tx, kind="visit", at=instant, decided=decision, request=summary
        )
        _answer(tx, row, passphrase, decision, decision_id, instant, note.strip())
        return _outcome(tx, decision, decision_id, row.id)


def refuse(
    node: Node,
    request_id: str,
    reason: str,
    passphrase: bytes | None,
    at: When | None = None,
) -> VisitDecisionView:
    """The host's refusal (Art 8: only the host grants permission), with its reason; signed
    and sent to the requesting node."""
    why = _text(reason, "reason")
    with node.write() as tx:
        row = _to_answer(tx, request_id)
        instant = _answer_instant(tx, row, at)
        tx.attest(("visits", row.id))
        agreement = tx.book.agreement(row.agreement_id)
        decision = Decision(
            False,
            (
                Reason(
                    Code.VISIT_REFUSED,
                    agreement.id,
                    agreement.articles.visits,
                    f"{row.host}, the host, refused the visit: {why}",
                ),
            ),
            agreement.id,
        )
        summary = {"action": "refuse", "visit": row.id, "requester": row.requester}
        decision_id = journal.decision(
            tx, kind="visit", at=instant, decided=decision, request=summary
        )
        _answer(tx, row, passphrase, decision, decision_id, instant, why)
        return _outcome(tx, decision, decision_id, row.id)


def _to_answer(tx: Tx, request_id: str) -> Any:
    row = _row(tx, request_id)
    own = tx.own_party()
    if row.host != own:
        raise Denied(
            f"visit {row.id} is hosted by {row.host}: only the host approves or refuses it, on "
            "its own node (Art 8)"
        )
    if row.state != "pending":
        raise Conflict(f"visit {row.id} was already {row.state}")
    return row


def _answer_instant(tx: Tx, row: Any, at: When | None) -> datetime:
    instant = tx.instant(at, row.requester, row.host) if at is not None else tx.now
    if instant < row.requested_at:
        raise InvalidRequest(
            f"an answer cannot precede the request, made at {row.requested_at.isoformat()}"
        )
    return instant


def _answer(
    tx: Tx,
    row: Any,
    passphrase: bytes | None,
    decision: Decision,
    decision_id: int,
    instant: datetime,
    note: str,
) -> None:
    """Sign the host's answer, record it on the visit and send it to the requesting node."""
    if passphrase is None:
        raise KeyStoreError(
            "the answer is signed with this node's keys: they need their passphrase",
            subject="passphrase",
        )
    approved = decision.allowed
    claims = objects.VisitAnswer(
        iss=row.host,
        iat=int(tx.now.timestamp()),
        request_id=row.id,
        host=row.host,
        requester=row.requester,
        approved=approved,
        at=instant,
        note=note,
        reasons=tuple(
            objects.Reason(
                code=r.code.value, agreement=r.agreement, article=r.article, message=r.message
            )
            for r in decision.reasons
        ),
    )
    token = sign_object(keyring(tx, passphrase), objects.ObjectKind.VISIT_ANSWER, claims)
    state = "approved" if approved else "refused"
    visits = tables.visits
    tx.connection.execute(
        update(visits)
        .where(visits.c.id == row.id)
        .values(
            state=state,
            answer=token,
            answered_at=instant,
            answer_note=note or None,
            decision_id=decision_id,
        )
    )
    journal.state_row(tx, f"visit_{state}", "visits", row.id)
    if peer_url(tx, row.requester) is not None:
        outbox.enqueue(
            tx,
            kind=outbox.Kind.VISIT_ANSWER,
            recipient=row.requester,
            body=json.loads(wire.VisitAnswerMessage(answer=token).model_dump_json()),
            subject=row.id,
        )


# -- access during a visit ----------------------------------------------------------------------


def access(
    node: Node, request_id: str, visitor: str, marking: str, at: When | None = None
) -> VisitDecisionView:
    """The host's decision on a visitor's access during a visit (Art 8): inside the approved
    window, at or below the highest level stated, for an approved visit; recorded."""
    name = _text(visitor, "visitor")
    with node.write() as tx:
        row = _row(tx, request_id)
        own = tx.own_party()
        if row.host != own:
            raise Denied(
                f"visit {row.id} is hosted by {row.host}: access during it is decided by the "
                "host, on its own node (Art 8)"
            )
        level = tx.book.scheme(own).read(marking)
        instant = tx.instant(at, row.requester, row.host) if at is not None else tx.now
        tx.attest(("visits", row.id))
        visit = _visit(tx, row)
        decision = decide_visit_access(
            tx.book, visit, row.state == "approved", name, level, instant
        )
        summary = {
            "action": "access",
            "visit": row.id,
            "visitor": name,
            "marking": level.marking,
        }
        return _decided(tx, decision, instant, summary, row.id)


# -- reading ------------------------------------------------------------------------------------


def visits(node: Node) -> list[VisitView]:
    """Requests for visit made here and made of this node, newest first."""
    table = tables.visits
    with node.read() as tx:
        ids = tx.connection.execute(
            select(table.c.id).order_by(table.c.requested_at.desc(), table.c.id)
        ).scalars()
        return [visit_view(tx, request_id) for request_id in ids]


def show(node: Node, request_id: str) -> VisitView:
    with node.read() as tx:
        return visit_view(tx, _row(tx, request_id).id)


def visit_view(tx: Tx, request_id: str) -> VisitView:
    row = _row(tx, request_id)
    zone = tx.time_zone
    visit = _visit(tx, row)
    lead = lead_time(tx.book.agreement(row.agreement_id), visit)
    deliveries = tables.deliveries
    sent = tx.connection.execute(
        select(deliveries.c.state)
        .where(deliveries.c.subject == row.id)
        .order_by(deliveries.c.created_at.desc())
    ).first()
    return VisitView(
        id=row.id,
        requester=row.requester,
        host=row.host,
        agreement=row.agreement_id,
        type=row.kind,
        purpose=row.purpose,
        facility=row.facility,
        **{"from": visit.first_day, "until": visit.last_day},
        max_marking=row.max_marking,
        max_english=visit.max_level.english,
        visitors=[
            VisitorView(name=v.name, party=v.party, clearance=v.clearance) for v in visit.visitors
        ],
        requested_at=row.requested_at.astimezone(zone),
        state=row.state,
        lead_time=LeadTimeView(
            available=lead.available,
            required=lead.required,
            met=lead.met,
            country=lead.country,
            time_zone=lead.time_zone,
        )
        if lead is not None
        else None,
        answered_at=row.answered_at.astimezone(zone) if row.answered_at else None,
        answer_note=row.answer_note,
        to_answer_here=row.host == tx.party and row.state == "pending",
        message=sent.state if sent is not None else None,
    )


def _row(tx: Tx, request_id: str) -> Any:
    table = tables.visits
    key = request_id.strip()
    row = tx.connection.execute(select(table).where(table.c.id == key)).one_or_none()
    if row is None:
        raise NotFound(f"no request for visit {request_id!r}", subject="visit")
    return row


def _visit(tx: Tx, row: Any) -> Visit:
    """A stored request as the core reads it."""
    return Visit(
        requester=row.requester,
        host=row.host,
        agreement=row.agreement_id,
        kind=VisitType(row.kind),
        purpose=row.purpose,
        facility=row.facility,
        first_day=date.fromisoformat(row.first_day),
        last_day=date.fromisoformat(row.last_day),
        max_level=tx.book.scheme(row.host).by_marking(row.max_marking),
        visitors=tuple(Visitor(v["name"], v["party"], v.get("clearance")) for v in row.visitors),
        requested_at=row.requested_at,
    )


def _decided(
    tx: Tx,
    decision: Decision,
    at: datetime,
    summary: dict[str, Any],
    request_id: str | None,
) -> VisitDecisionView:
    decision_id = journal.decision(tx, kind="visit", at=at, decided=decision, request=summary)
    return _outcome(tx, decision, decision_id, request_id)


def _outcome(
    tx: Tx, decision: Decision, decision_id: int, request_id: str | None
) -> VisitDecisionView:
    return VisitDecisionView(
        allowed=decision.allowed,
        agreement=decision.agreement,
        reasons=[ReasonView.of(r) for r in decision.reasons],
        decision_id=decision_id,
        visit=visit_view(tx, request_id) if request_id is not None else None,
    )


# -- reading a user's words ----------------------------------------------------------------------


def _type(text: str) -> VisitType:
    try:
        return VisitType(text.strip().lower())
    except ValueError:
        raise InvalidRequest(f"unknown visit type {text!r}; the types are {TYPES}") from None


def _text(text: str, what: str) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidRequest(f"the {what} must not be empty")
    return cleaned


def _day(text: str, option: str) -> date:
    try:
        day = date.fromisoformat(text.strip()) if is_bare_date(text) else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidRequest(
            f"{option} {text!r} is not a day; write it as YYYY-MM-DD (a day in the host's time "
            "zone)"
        )
    if not SUPPORTED_FROM.year <= day.year < SUPPORTED_UNTIL.year:
        raise InvalidRequest(
            f"{option} {text!r} lies outside the supported years {SUPPORTED_FROM.year} to "
            f"{SUPPORTED_UNTIL.year - 1}"
        )
    return day
