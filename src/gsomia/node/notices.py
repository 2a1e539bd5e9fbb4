"""Notices about items between nodes (`POST /v1/notices`, Art 6(g) and 6(h)).

- The originator's signed notice (re-marking, declassification, a request to return or
  destroy every copy) goes to every party it delivered the item to; each holder applies it to
  its copies (and to the items derived from them), acknowledges it with a signed
  acknowledgement naming the holders it passed the notice on to, and passes it on, unchanged,
  along its own custody chain. A holder reached through another holder also sends its
  acknowledgement straight to the originator, so the originator sees every holder.
- A holder's signed report that its copy was destroyed or returned goes to the originator.

A notice is verified against its originator's pinned keys whoever passes it on, and it is
taken only from the originator or from the party that gave this node its copy: no one else
changes what this node holds. Notices are ordered per item by their sequence: one older than
a notice already applied is kept, never applied.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from gsomia.core.custody import NoticeKind, holder_marking
from gsomia.crypto import objects
from gsomia.crypto.keys import KeyRing
from gsomia.errors import Denied, InvalidRequest
from gsomia.node import journal, outbox, wire
from gsomia.node.commands.keys import keyring, verify_from
from gsomia.node.commands.peers import peer_url
from gsomia.node.context import Node, Tx
from gsomia.node.inbound import Answered, acknowledgement, answer_once
from gsomia.store import changes, tables
from gsomia.store.changes import NewChange, NoticeRecord


def recipients(tx: Tx, item_ids: list[int]) -> list[str]:
    """The parties this node handed any of these items to (releases and transfers)."""
    releases = tables.releases
    own = tx.own_party()
    found = tx.connection.execute(
        select(releases.c.to_party).where(releases.c.item_id.in_(item_ids)).distinct()
    ).scalars()
    return sorted(party for party in found if party != own)


def known_holders(tx: Tx, item_id: int, reference: str) -> set[str]:
    """The parties this node knows hold its item: those it handed it to, the final recipients
    of its relays, and those its holders named as further down the custody chain."""
    releases, decisions = tables.releases, tables.decisions
    relayed = tx.connection.execute(
        select(decisions.c.request)
        .join(releases, releases.c.decision_id == decisions.c.id)
        .where(releases.c.item_id == item_id)
    ).scalars()
    finals = {str(r["for"]) for r in relayed if isinstance(r, dict) and r.get("for")}
    own = tx.own_party()
    noted = changes.holders(
        tx.connection, [n.id for n in changes.notices(tx.connection, own, reference)]
    )
    return set(recipients(tx, [item_id])) | finals | {n.holder for n in noted}


def send(
    tx: Tx,
    notice_id: str,
    token: str,
    kind: outbox.Kind,
    to: list[str],
    via: str | None,
    at: datetime | None = None,
) -> list[str]:
    """Note that a notice goes, as of `at` (now by default), to each of `to`, and queue it to
    those whose node is a peer (the others are told by other channels; their acknowledgement
    stays outstanding)."""
    sent = []
    for party in to:
        key = changes.add_holder(tx.connection, notice_id, party, via, at or tx.now)
        if key is None:
            continue
        journal.state_row(tx, "notice_sent", "notice_holders", key)
        sent.append(party)
        if peer_url(tx, party) is not None:
            outbox.enqueue(
                tx,
                kind=kind,
                recipient=party,
                body={"notice": token},
                subject=key,
            )
    return sent


def copies(tx: Tx, originator: str, item: str) -> list[int]:
    """This node's copies of the originator's item, and every item derived from them."""
    items = tables.items
    held = list(
        tx.connection.execute(
            select(items.c.id).where(
                items.c.originator == originator, items.c.originator_reference == item
            )
        ).scalars()
    )
    return held + [i for i in changes.derived_from(tx.connection, held) if i not in held]


def apply(tx: Tx, notice: objects.ItemNotice, item_ids: list[int], own: str) -> list[int]:
    """Make this node's items what the originator's notice says: re-marked (in this party's
    equivalent), declassified, or asked back; the ids changed."""
    book = tx.book
    items = tables.items
    for item_id in item_ids:
        change = NewChange(
            item_id=item_id,
            kind=notice.kind.value,
            at=notice.at,
            by=notice.originator,
            recorded_at=tx.now,
            reference=notice.reference,
            notice_id=notice.notice_id,
        )
        if notice.kind is NoticeKind.REMARK:
            level = book.scheme(notice.originator).by_marking(notice.marking or "")
            holder = holder_marking(book, level, own) if own != notice.originator else None
            values: dict[str, Any] = {"marking": level.marking, "english": level.english}
            if holder is not None:
                # No equivalent: the copy keeps no marking of this party's, so no one here
                # is cleared for it until it is returned or destroyed.
                values["holder_marking"] = holder.level.marking if holder.level else None
            tx.connection.execute(update(items).where(items.c.id == item_id).values(**values))
            journal.state_row(tx, "remark", "items", item_id)
            change = replace(
                change, marking=level.marking, holder_marking=values.get("holder_marking")
            )
            _record(tx, change)
            if holder is not None and holder.dispose:
                _record(
                    tx,
                    replace(
                        change,
                        kind="disposal-requested",
                        method="return or destroy",
                        reference=f"no agreement between {notice.originator} and {own} covers "
                        f"{level.marking}",
                    ),
                )
            continue
        if notice.kind in (NoticeKind.RETURN_REQUEST, NoticeKind.DESTROY_REQUEST):
            change = replace(
                change,
                kind="disposal-requested",
                method="return" if notice.kind is NoticeKind.RETURN_REQUEST else "destroy",
            )
        _record(tx, change)
    return item_ids


def _record(tx: Tx, change: NewChange) -> int:
    change_id = changes.add_change(tx.connection, change)
    journal.state_row(tx, "item_change", "item_changes", change_id)
    return change_id


def _issuer(token: str) -> str:
    """The issuer a signed object claims, read before its signature is checked against that
    party's keys (and refused there if it lies)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return str(claims["iss"])
    except (IndexError, ValueError, KeyError, TypeError):
        raise InvalidRequest("the notice is not a signed gsomia object (JWS compact)") from None


def accept(node: Node, sender: str, key: str | None, body: bytes, passphrase: bytes) -> Answered:
    """Take a notice about an item, a holder's report, or a downstream holder's
    acknowledgement."""
    message = wire.parse(wire.ItemNoticeMessage, body)
    given = [x for x in (message.notice, message.report, message.ack) if x is not None]
    if len(given) != 1:
        raise InvalidRequest("a notice message carries exactly one of notice, report or ack")
    with node.read() as tx:
        own = tx.own_party()
        ring = keyring(tx, passphrase)
    if message.notice is not None:
        token = message.notice
        notice = verify_from(
            ring, _issuer(token), token, objects.ObjectKind.ITEM_NOTICE, objects.ItemNotice
        )
        return answer_once(
            node,
            sender,
            key,
            body,
            token,
            lambda tx: _take_notice(tx, ring, sender, notice, token, key),
        )
    if message.report is not None:
        token = message.report
        report = verify_from(
            ring, sender, token, objects.ObjectKind.ITEM_REPORT, objects.ItemReport
        )
        return answer_once(
            node, sender, key, body, token, lambda tx: _take_report(tx, ring, report, token, key)
        )
    token = message.ack or ""
    ack = verify_from(ring, sender, token, objects.ObjectKind.ACK, objects.Ack)
    if own == sender:
        raise InvalidRequest("a node does not acknowledge to itself")
    return answer_once(
        node, sender, key, body, token, lambda tx: _take_ack(tx, ring, ack, token, key)
    )


def _take_notice(
    tx: Tx, ring: KeyRing, sender: str, notice: objects.ItemNotice, token: str, key: str | None
) -> Answered:
    own = tx.own_party()
    if notice.originator == own:
        raise InvalidRequest(f"{own} originated {notice.item}: its notices go out, not in")
    held = copies(tx, notice.originator, notice.item)
    if not held:
        raise InvalidRequest(f"this node holds no copy of {notice.originator}'s {notice.item}")
    items = tables.items
    givers = set(
        tx.connection.execute(select(items.c.received_from).where(items.c.id.in_(held))).scalars()
    )
    if sender not in givers | {notice.originator}:
        raise Denied(
            f"{sender} passed on {notice.originator}'s notice about {notice.item}, but this node "
            f"got its copy from {', '.join(sorted(p for p in givers if p))}"
        )
    if notice.kind is NoticeKind.REMARK:
        tx.book.scheme(notice.originator).by_marking(notice.marking or "")
    forwarded: list[str] = []
    if changes.notice(tx.connection, notice.notice_id) is None:
        applied = notice.sequence > changes.last_sequence(
            tx.connection, notice.originator, notice.item, applied=True
        )
        if applied:
            apply(tx, notice, held, own)
        changes.add_notice(
            tx.connection,
            NoticeRecord(
                id=notice.notice_id,
                kind=notice.kind.value,
                originator=notice.originator,
                item=notice.item,
                sequence=notice.sequence,
                by=notice.originator,
                sender=sender,
                token=token,
                applied=applied,
                recorded_at=tx.now,
            ),
        )
        journal.state_row(tx, "notice_received", "item_notices", notice.notice_id)
        forwarded = send(
            tx,
            notice.notice_id,
            token,
            outbox.Kind.ITEM_NOTICE,
            [p for p in recipients(tx, held) if p not in (notice.originator, sender)],
            own,
        )
        if sender != notice.originator and peer_url(tx, notice.originator) is not None:
            direct = acknowledgement(
                tx, ring, notice.notice_id, objects.ObjectKind.ITEM_NOTICE, tuple(forwarded)
            )
            outbox.enqueue(
                tx,
                kind=outbox.Kind.NOTICE_ACK,
                recipient=notice.originator,
                body=json.loads(wire.ItemNoticeMessage(ack=direct).model_dump_json()),
                subject=changes.holder_key(notice.notice_id, own),
            )
    token_ack = acknowledgement(
        tx, ring, key or notice.notice_id, objects.ObjectKind.ITEM_NOTICE, tuple(forwarded)
    )
    return Answered(201, {"ack": token_ack})


def _take_report(
    tx: Tx, ring: KeyRing, report: objects.ItemReport, token: str, key: str | None
) -> Answered:
    own = tx.own_party()
    if report.originator != own:
        raise InvalidRequest(f"the report is for {report.originator}, not {own}")
    items = tables.items
    found = tx.connection.execute(
        select(items.c.id).where(
            items.c.reference == report.item,
            items.c.originator == own,
            items.c.received_from.is_(None),
        )
    ).first()
    if found is None:
        raise InvalidRequest(f"{report.item} is not an item {own} originated")
    if report.holder not in known_holders(tx, found.id, report.item):
        raise Denied(f"{own} never learned that {report.holder} holds {report.item}")
    if changes.notice(tx.connection, report.report_id) is None:
        sequence = len(
            [n for n in changes.notices(tx.connection, own, report.item) if n.by == report.holder]
        )
        changes.add_notice(
            tx.connection,
            NoticeRecord(
                id=report.report_id,
                kind=report.kind.value,
                originator=own,
                item=report.item,
                sequence=sequence + 1,
                by=report.holder,
                sender=report.holder,
                token=token,
                applied=True,
                recorded_at=tx.now,
            ),
        )
        journal.state_row(tx, "report_received", "item_notices", report.report_id)
    return Answered(
        201,
        {"ack": acknowledgement(tx, ring, key or report.report_id, objects.ObjectKind.ITEM_REPORT)},
    )


def _take_ack(tx: Tx, ring: KeyRing, ack: objects.Ack, token: str, key: str | None) -> Answered:
    own = tx.own_party()
    notice = changes.notice(tx.connection, ack.of)
    if ack.kind is not objects.ObjectKind.ITEM_NOTICE or notice is None or notice.by != own:
        raise InvalidRequest(f"{ack.of} is not a notice {own} gave about one of its items")
    record_ack(tx, notice.id, ack, token, None)
    return Answered(201, {"ack": acknowledgement(tx, ring, key or ack.of, objects.ObjectKind.ACK)})


def record_ack(tx: Tx, notice_id: str, ack: objects.Ack, token: str, via: str | None) -> None:
    """Keep a holder's signed acknowledgement of a notice, and note the holders it passed the
    notice on to."""
    holder = ack.by
    added = changes.add_holder(tx.connection, notice_id, holder, via, ack.at)
    if added is not None:
        journal.state_row(tx, "notice_sent", "notice_holders", added)
    key = changes.holder_key(notice_id, holder)
    if changes.acknowledge(tx.connection, key, token, tx.now):
        journal.state_row(tx, "notice_acknowledged", "notice_holders", key)
    for party in ack.forwarded_to:
        further = changes.add_holder(tx.connection, notice_id, party, holder, ack.at)
        if further is not None:
            journal.state_row(tx, "notice_sent", "notice_holders", further)


def answered(tx: Tx, ring: KeyRing, message_id: str, recipient: str, token: str) -> None:
    """A holder acknowledged the notice this node sent it (the outbox's answer)."""
    subject = tx.connection.execute(
        select(tables.deliveries.c.subject).where(tables.deliveries.c.id == message_id)
    ).scalar_one()
    notice_id = str(subject).rpartition("/")[0]
    ack = verify_from(ring, recipient, token, objects.ObjectKind.ACK, objects.Ack)
    record_ack(tx, notice_id, ack, token, None)
