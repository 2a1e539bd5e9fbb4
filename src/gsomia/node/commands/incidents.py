"""Loss or compromise of items (Art 17, Rule 10): cases reported, investigated and concluded,
each step sent signed to the originator of the items, in the same transaction as the step.

The party that holds the items reports (`report`), opens the investigation (`investigate`) and
concludes it with the result and the measures taken against recurrence (`conclude`). Each
step goes as a signed `gsomia-incident+jws` notice to each originator whose node is a peer,
naming only that originator's items; the originator's node verifies it (`accept_incident`),
records the case as reported to it, and acknowledges. The time from discovery to notification
runs to the originator's acknowledgement. An item this node's party originated has no one to
inform: its case is recorded, and no notice goes for it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import insert, select, update

from gsomia.core import incidents as rules
from gsomia.core.incidents import Case, IncidentKind, State, Step
from gsomia.crypto import objects
from gsomia.crypto.keys import KeyRing
from gsomia.errors import Conflict, Denied, InvalidRequest, KeyStoreError, NotFound
from gsomia.node import inbound, journal, outbox, wire
from gsomia.node.commands.keys import keyring, sign_object, verify_from
from gsomia.node.commands.peers import peer_url
from gsomia.node.context import Node, Tx, When
from gsomia.node.inbound import Answered
from gsomia.node.schemas import Instant, Model
from gsomia.store import registry as register
from gsomia.store import tables

REPORTER = "reporter"
"""A case this node reports: its party holds the items."""
ORIGINATOR = "originator"
"""A case a partner's node reported to this node, about items this node's party originated."""
SENT, RECEIVED = "sent", "received"
ORDER = (State.REPORTED, State.INVESTIGATING, State.CONCLUDED)


# -- views -----------------------------------------------------------------------------------


class IncidentItemView(Model):
    """An item of a case."""

    reference: str
    """This node's reference."""
    originator: str
    originator_reference: str
    """The originator's reference: the one its node knows the item by."""


class IncidentStepView(Model):
    """A step taken, and when."""

    step: str
    at: Instant


class IncidentNoticeView(Model):
    """A step as a signed notice, sent to an originator or received from the reporter."""

    id: str
    step: str
    direction: str
    """`sent` or `received`."""
    party: str
    """The originator it went to, or the reporter it came from."""
    at: Instant
    """When the step was taken."""
    queued_at: Instant | None
    """When it was queued (a notice sent)."""
    acked_at: Instant | None
    """When the originator's node acknowledged it (its acknowledgement's own instant)."""
    delivery: str | None
    """A notice sent: its message's state (queued, delivered, failed)."""


class IncidentDutyView(Model):
    """One duty of the case at the instant evaluated (the periods are practice, Art 17)."""

    duty: str
    """`notify`, `investigate` or `conclude`."""
    period: str
    """The node's period for it from the discovery, an ISO 8601 duration (`PT24H`)."""
    due: Instant
    done_at: Instant | None
    standing: str
    """`met`, `late`, `pending`, `overdue` or `not_applicable`."""


class IncidentView(Model):
    """A case of loss or compromise as this node knows it."""

    id: str
    role: str
    """`reporter` (this node reports) or `originator` (reported to this node)."""
    reporter: str
    originators: list[str]
    """The originators informed (other than the reporter)."""
    kind: str
    state: str
    summary: str
    items: list[IncidentItemView]
    discovered_at: Instant
    reported_at: Instant
    investigating_at: Instant | None
    note: str
    concluded_at: Instant | None
    result: str
    measures: str
    queued_at: Instant | None
    """When the report to the originators was queued (the latest, if several)."""
    queued_delay: int | None
    """Seconds from the discovery to the report queued."""
    notified_at: Instant | None
    """When every originator's node had acknowledged the report (on the originator's node:
    when it recorded the report); None while one has not."""
    notification_delay: int | None
    """Seconds from the discovery to `notified_at`."""
    steps: list[IncidentStepView]
    notices: list[IncidentNoticeView]
    deadlines: list[IncidentDutyView]
    overdue: list[str]
    """The duties overdue at `evaluated_at`."""
    evaluated_at: Instant


# -- reporting and moving a case -------------------------------------------------------------


def report(
    node: Node,
    items: Sequence[str],
    kind: str | None,
    discovered: When | None,
    summary: str | None,
    at: When | None = None,
    passphrase: bytes | None = None,
) -> IncidentView:
    """Open a case of loss or compromise of items this registry holds, and inform each
    originator at once (Art 17): its notice is queued in the same transaction."""
    if kind is None:
        raise InvalidRequest(f"a report names its kind: {', '.join(k.value for k in IncidentKind)}")
    incident_kind = rules.parse_kind(kind)
    if discovered is None:
        raise InvalidRequest("a report says when the loss or compromise was discovered")
    if not items:
        raise InvalidRequest("a report names at least one item")
    with node.write() as tx:
        own = tx.own_party()
        records = _held_items(tx, own, items)
        instant = tx.instant(at) if at is not None else tx.now
        case = rules.report(incident_kind, tx.instant(discovered), instant, summary or "")
        case_id = outbox.new_id()
        _insert_case(
            tx,
            case_id,
            REPORTER,
            own,
            case,
            (summary or "").strip(),
            [(r, r.originator_reference or r.reference) for r in records],
        )
        journal.state_row(tx, "incident_reported", "incidents", case_id)
        _notify(tx, case_id, Step.REPORT, passphrase)
        return _view(tx, case_id, tx.now)


def investigate(
    node: Node,
    case_id: str,
    at: When | None = None,
    note: str = "",
    passphrase: bytes | None = None,
) -> IncidentView:
    """Open the investigation of a case this node reported (Art 17), and tell the
    originators."""
    with node.write() as tx:
        row = _reported_here(tx, case_id)
        instant = tx.instant(at) if at is not None else tx.now
        moved = rules.advance(_case(row), Step.INVESTIGATE, instant)
        tx.connection.execute(
            update(tables.incidents)
            .where(tables.incidents.c.id == row.id)
            .values(state=moved.state.value, investigating_at=moved.investigating_at, note=note)
        )
        journal.state_row(tx, "incident_investigating", "incidents", row.id)
        _notify(tx, row.id, Step.INVESTIGATE, passphrase)
        return _view(tx, row.id, tx.now)


def conclude(
    node: Node,
    case_id: str,
    result: str | None,
    measures: str | None,
    at: When | None = None,
    passphrase: bytes | None = None,
) -> IncidentView:
    """Conclude the investigation with its result and the measures taken to prevent
    recurrence, and send both to the originators (Art 17)."""
    with node.write() as tx:
        row = _reported_here(tx, case_id)
        instant = tx.instant(at) if at is not None else tx.now
        moved = rules.advance(
            _case(row), Step.CONCLUDE, instant, result=result or "", measures=measures or ""
        )
        tx.connection.execute(
            update(tables.incidents)
            .where(tables.incidents.c.id == row.id)
            .values(
                state=moved.state.value,
                concluded_at=moved.concluded_at,
                result=moved.result,
                measures=moved.measures,
            )
        )
        journal.state_row(tx, "incident_concluded", "incidents", row.id)
        _notify(tx, row.id, Step.CONCLUDE, passphrase)
        return _view(tx, row.id, tx.now)


def _held_items(tx: Tx, own: str, keys: Sequence[str]) -> list[register.ItemRecord]:
    """The items named, each once, each one this registry holds."""
    found: dict[int, register.ItemRecord] = {}
    for key in keys:
        record = register.item(tx.connection, key)
        if record.holder != own:
            raise InvalidRequest(f"item {record.reference} is held by {record.holder}, not {own}")
        found.setdefault(record.id, record)
    return list(found.values())


def _reported_here(tx: Tx, case_id: str) -> Any:
    row = _row(tx, case_id)
    if row.role != REPORTER:
        raise InvalidRequest(
            f"case {row.id} was reported to this node by {row.reporter}: the party that holds "
            "the items investigates and concludes it"
        )
    return row


def _notify(tx: Tx, case_id: str, step: Step, passphrase: bytes | None) -> None:
    """The step, signed, to each originator whose node is a peer, about its own items only."""
    row = _row(tx, case_id)
    own = row.reporter
    items = sorted(
        (i for i in _items(tx, case_id) if i.originator != own), key=lambda i: i.originator
    )
    at = _case(row).at(step)
    assert at is not None
    ring: KeyRing | None = None
    for originator, group in groupby(items, key=lambda i: i.originator):
        if peer_url(tx, originator) is None:
            continue  # informed outside the federation; see `_notified_at`
        if passphrase is None:
            raise KeyStoreError(
                f"the notice to {originator} is signed with this node's keys: they need their "
                "passphrase",
                subject="passphrase",
            )
        ring = ring or keyring(tx, passphrase)
        notice_id = outbox.new_id()
        notice = objects.IncidentNotice(
            iss=own,
            iat=int(tx.now.timestamp()),
            notice_id=notice_id,
            case_id=case_id,
            state=State(row.state),
            kind=IncidentKind(row.kind),
            reporter=own,
            originator=originator,
            items=tuple(i.originator_reference for i in group),
            discovered_at=row.discovered_at,
            reported_at=row.reported_at,
            at=at,
            summary=row.summary,
            note=row.note,
            result=row.result,
            measures=row.measures,
        )
        token = sign_object(ring, objects.ObjectKind.INCIDENT, notice)
        tx.connection.execute(
            insert(tables.incident_notices).values(
                id=notice_id,
                case_id=case_id,
                step=step.value,
                direction=SENT,
                party=originator,
                at=at,
                token=token,
                queued_at=tx.now,
            )
        )
        journal.state_row(tx, "incident_notice_sent", "incident_notices", notice_id)
        outbox.enqueue(
            tx,
            kind=outbox.Kind.INCIDENT,
            recipient=originator,
            body=json.loads(wire.IncidentMessage(notice=token).model_dump_json()),
            message_id=notice_id,
            subject=case_id,
        )


def record_ack(tx: Tx, notice_id: str, party: str, token: str, ring: KeyRing) -> None:
    """Keep the originator's signed acknowledgement of a notice, and the instant it gives:
    the moment the originator was informed (called when the worker settles the message)."""
    ack = verify_from(ring, party, token, objects.ObjectKind.ACK, objects.Ack)
    notices = tables.incident_notices
    tx.connection.execute(
        update(notices)
        .where(notices.c.id == notice_id, notices.c.direction == SENT)
        .values(ack=token, acked_at=ack.at)
    )
    journal.state_row(tx, "incident_notice_acknowledged", "incident_notices", notice_id)


# -- the originator's side -------------------------------------------------------------------


def accept_incident(
    node: Node, sender: str, key: str | None, body: bytes, passphrase: bytes
) -> Answered:
    """Record a step of a case a holder reports about this node's items, and acknowledge it.

    Refused: a notice its sender did not give as the reporter it names (`Denied`), one about
    items this node did not originate, or about items this node never let the reporter hold
    (`Denied`); a step that repeats one already recorded (`Denied`) or that comes before the
    step preceding it arrived (`Conflict`, 409: the sender tries again later)."""
    message = wire.parse(wire.IncidentMessage, body)
    with node.read() as tx:
        own, ring = tx.own_party(), keyring(tx, passphrase)
    notice = verify_from(
        ring, sender, message.notice, objects.ObjectKind.INCIDENT, objects.IncidentNotice
    )
    if notice.reporter != sender:
        raise Denied(f"{sender} sent an incident notice that names {notice.reporter} as reporter")
    if notice.originator != own:
        raise InvalidRequest(f"the incident notice is for {notice.originator}, not {own}")
    if key != notice.notice_id:
        raise InvalidRequest("an incident notice's Idempotency-Key is its notice id")

    def handle(tx: Tx) -> Answered:
        items = [_originated(tx, own, sender, reference) for reference in notice.items]
        existing = tx.connection.execute(
            select(tables.incidents).where(tables.incidents.c.id == notice.case_id)
        ).one_or_none()
        if existing is None:
            _open_received(tx, notice, items)
        else:
            _move_received(tx, notice, existing, items)
        ack = inbound.acknowledgement(tx, ring, notice.notice_id, objects.ObjectKind.INCIDENT)
        tx.connection.execute(
            insert(tables.incident_notices).values(
                id=notice.notice_id,
                case_id=notice.case_id,
                step=rules.STEP_TO[notice.state].value,
                direction=RECEIVED,
                party=sender,
                at=notice.at,
                token=message.notice,
                ack=ack,
                acked_at=tx.now,
            )
        )
        journal.state_row(tx, "incident_notice_received", "incident_notices", notice.notice_id)
        return Answered(201, {"ack": ack})

    return inbound.answer_once(node, sender, key, body, message.notice, handle)


def _originated(tx: Tx, own: str, holder: str, reference: str) -> register.ItemRecord:
    """This node's item `reference`, which `holder` holds as far as this node knows: released
    to it, or consented to go to it (Art 6)."""
    items = tables.items
    row = tx.connection.execute(
        select(items.c.id).where(items.c.reference == reference, items.c.originator == own)
    ).one_or_none()
    if row is None:
        raise InvalidRequest(f"{reference} is not an item {own} originated")
    releases, requests = tables.releases, tables.consent_requests
    released = tx.connection.execute(
        select(releases.c.id).where(releases.c.item_id == row.id, releases.c.to_party == holder)
    ).first()
    consented = tx.connection.execute(
        select(requests.c.id).where(
            requests.c.item == reference,
            requests.c.originator == own,
            requests.c.recipient == holder,
            requests.c.state == "granted",
        )
    ).first()
    if released is None and consented is None:
        raise Denied(
            f"{holder} reports {reference}, which {own} never released to it nor consented to "
            "go to it: a notice about an item is its holder's"
        )
    return register.item(tx.connection, row.id)


def _insert_case(
    tx: Tx,
    case_id: str,
    role: str,
    reporter: str,
    case: Case,
    summary: str,
    items: list[tuple[register.ItemRecord, str]],
) -> None:
    """A case as reported, with its items (each with the originator's reference)."""
    tx.connection.execute(
        insert(tables.incidents).values(
            id=case_id,
            role=role,
            reporter=reporter,
            kind=case.kind.value,
            state=case.state.value,
            summary=summary,
            discovered_at=case.discovered_at,
            reported_at=case.reported_at,
            note="",
            result="",
            measures="",
            recorded_at=tx.now,
        )
    )
    tx.connection.execute(
        insert(tables.incident_items),
        [
            {
                "case_id": case_id,
                "item_id": item.id,
                "reference": item.reference,
                "originator": item.originator,
                "originator_reference": originated,
            }
            for item, originated in items
        ],
    )


def _open_received(
    tx: Tx, notice: objects.IncidentNotice, items: list[register.ItemRecord]
) -> None:
    if notice.state is not State.REPORTED:
        raise Conflict(
            f"case {notice.case_id} was never reported to this node: its "
            f"{rules.STEP_TO[notice.state].value} step comes after the report"
        )
    case = rules.report(notice.kind, notice.discovered_at, notice.reported_at, notice.summary)
    _insert_case(
        tx,
        notice.case_id,
        ORIGINATOR,
        notice.reporter,
        case,
        notice.summary,
        [(item, item.reference) for item in items],
    )
    journal.state_row(tx, "incident_received", "incidents", notice.case_id)


def _move_received(
    tx: Tx, notice: objects.IncidentNotice, row: Any, items: list[register.ItemRecord]
) -> None:
    if row.role != ORIGINATOR or row.reporter != notice.reporter:
        raise Denied(f"case {notice.case_id} is not one {notice.reporter} reported to this node")
    if {i.item_id for i in _items(tx, row.id)} != {i.id for i in items}:
        raise Denied(f"the notice names other items than case {notice.case_id} holds")
    state = State(row.state)
    if ORDER.index(notice.state) <= ORDER.index(state):
        raise Denied(f"case {notice.case_id} is already {state.value}: the notice repeats a step")
    if ORDER.index(notice.state) > ORDER.index(state) + 1:
        raise Conflict(
            f"case {notice.case_id} is {state.value}: the notice that it is "
            f"{notice.state.value} skips a step not yet received"
        )
    moved = rules.advance(
        _case(row),
        rules.STEP_TO[notice.state],
        notice.at,
        result=notice.result,
        measures=notice.measures,
    )
    tx.connection.execute(
        update(tables.incidents)
        .where(tables.incidents.c.id == row.id)
        .values(
            state=moved.state.value,
            investigating_at=moved.investigating_at,
            note=notice.note,
            concluded_at=moved.concluded_at,
            result=moved.result,
            measures=moved.measures,
        )
    )
    journal.state_row(tx, f"incident_{moved.state.value}", "incidents", row.id)


# -- reading ---------------------------------------------------------------------------------


def incidents(node: Node, at: When | None = None) -> list[IncidentView]:
    """Every case, reported here or to this node, newest report first, as it stands at `at`
    (default: now)."""
    with node.read() as tx:
        instant = tx.instant(at) if at is not None else tx.now
        ids = tx.connection.execute(
            select(tables.incidents.c.id).order_by(
                tables.incidents.c.reported_at.desc(), tables.incidents.c.id
            )
        ).scalars()
        return [_view(tx, case_id, instant) for case_id in list(ids)]


def incident(node: Node, case_id: str, at: When | None = None) -> IncidentView:
    """One case, as it stands at `at` (default: now)."""
    with node.read() as tx:
        instant = tx.instant(at) if at is not None else tx.now
        return _view(tx, _row(tx, case_id).id, instant)


def _row(tx: Tx, case_id: str) -> Any:
    """A case by its id, or by a prefix of it that names one case only."""
    table = tables.incidents
    text = case_id.strip()
    row = tx.connection.execute(select(table).where(table.c.id == text)).one_or_none()
    if row is not None:
        return row
    if len(text) >= 4:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        found = tx.connection.execute(
            select(table).where(table.c.id.like(f"{escaped}%", escape="\\")).limit(2)
        ).all()
        if len(found) == 1:
            return found[0]
    raise NotFound(f"no incident case {case_id!r}", subject="incident")


def _case(row: Any) -> Case:
    return Case(
        kind=IncidentKind(row.kind),
        discovered_at=row.discovered_at,
        reported_at=row.reported_at,
        state=State(row.state),
        investigating_at=row.investigating_at,
        concluded_at=row.concluded_at,
        result=row.result,
        measures=row.measures,
    )


def _items(tx: Tx, case_id: str) -> list[Any]:
    table = tables.incident_items
    return list(
        tx.connection.execute(
            select(table).where(table.c.case_id == case_id).order_by(table.c.item_id)
        )
    )


def _notices(tx: Tx, case_id: str) -> list[Any]:
    notices, deliveries = tables.incident_notices, tables.deliveries
    return list(
        tx.connection.execute(
            select(notices, deliveries.c.state.label("delivery"))
            .outerjoin(deliveries, deliveries.c.id == notices.c.id)
            .where(notices.c.case_id == case_id)
            .order_by(notices.c.at, notices.c.id)
        )
    )


def _notified_at(row: Any, originators: list[str], notices: list[Any]) -> datetime | None:
    """When every originator was informed of the report: its node's acknowledgement, or, for
    an originator whose node is not a peer (informed outside the federation), the report."""
    reports = [n for n in notices if n.step == Step.REPORT.value]
    if row.role == ORIGINATOR:
        return max((n.acked_at for n in reports), default=None)
    moments = []
    for originator in originators:
        sent = [n for n in reports if n.party == originator]
        if not sent:
            moments.append(row.reported_at)
        elif any(n.acked_at is None for n in sent):
            return None
        else:
            moments.append(max(n.acked_at for n in sent))
    return max(moments, default=None)


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return int((end - start).total_seconds()) if end is not None else None


def _view(tx: Tx, case_id: str, at: datetime) -> IncidentView:
    zone = tx.time_zone
    row = _row(tx, case_id)
    items = _items(tx, case_id)
    notices = _notices(tx, case_id)
    originators = sorted({i.originator for i in items} - {row.reporter})
    case = _case(row)
    notified = _notified_at(row, originators, notices)
    queued = max(
        (n.queued_at for n in notices if n.step == Step.REPORT.value and n.queued_at),
        default=None,
    )
    deadlines = tx.node.settings.incident_deadlines
    statuses = rules.deadline_status(
        case,
        deadlines,
        at,
        notified_at=notified,
        to_notify=bool(originators),
    )

    def local(when: datetime | None) -> datetime | None:
        return when.astimezone(zone) if when is not None else None

    return IncidentView(
        id=row.id,
        role=row.role,
        reporter=row.reporter,
        originators=originators,
        kind=row.kind,
        state=row.state,
        summary=row.summary,
        items=[
            IncidentItemView(
                reference=i.reference,
                originator=i.originator,
                originator_reference=i.originator_reference,
            )
            for i in items
        ],
        discovered_at=row.discovered_at.astimezone(zone),
        reported_at=row.reported_at.astimezone(zone),
        investigating_at=local(row.investigating_at),
        note=row.note,
        concluded_at=local(row.concluded_at),
        result=row.result,
        measures=row.measures,
        queued_at=local(queued),
        queued_delay=_seconds(row.discovered_at, queued),
        notified_at=local(notified),
        notification_delay=_seconds(row.discovered_at, notified),
        steps=[
            IncidentStepView(step=step.value, at=when.astimezone(zone))
            for step in Step
            if (when := case.at(step)) is not None
        ],
        notices=[
            IncidentNoticeView(
                id=n.id,
                step=n.step,
                direction=n.direction,
                party=n.party,
                at=n.at.astimezone(zone),
                queued_at=local(n.queued_at),
                acked_at=local(n.acked_at),
                delivery=n.delivery,
            )
            for n in notices
        ],
        deadlines=[
            IncidentDutyView(
                duty=s.duty.value,
                period=rules.format_period(deadlines.period(s.duty)),
                due=s.due.astimezone(zone),
                done_at=local(s.done_at),
                standing=s.standing.value,
            )
            for s in statuses
        ],
        overdue=[duty.value for duty in rules.overdue(statuses)],
        evaluated_at=at.astimezone(zone),
    )
