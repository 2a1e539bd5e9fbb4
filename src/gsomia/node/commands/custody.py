"""After the hand-over: the originator re-marks, declassifies or recalls its item (Art 6(g),
6(h)); a holder destroys or returns its copy with a certificate (Art 13); a cleared person
makes a copy, extract or translation; anyone asks who holds an item and whether each holder
acknowledged the latest notice.

Each is recorded in one write transaction, and the notice or report it gives is queued in
that same transaction (see `gsomia.node.notices`). Erasing a destroyed or returned item's
sealed content happens after the commit, then is checked and recorded: a crash in between
leaves the certificate saying the erasure is not yet checked, and the same command again
completes it.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from gsomia.core.custody import (
    Derivation,
    Disposal,
    NoticeKind,
    check_derived_level,
    check_originator,
    holder_marking,
    overdue,
)
from gsomia.core.labels import Label
from gsomia.core.markings import Level
from gsomia.core.policy import decide_access
from gsomia.crypto import objects
from gsomia.errors import InvalidRequest, KeyStoreError
from gsomia.node import journal, notices, outbox, wire
from gsomia.node.commands.items import action_view, label_of, reader_of, record_item
from gsomia.node.commands.keys import keyring, sign_object
from gsomia.node.commands.peers import peer_url
from gsomia.node.context import Node, Tx, When
from gsomia.node.schemas import (
    ActionView,
    ChangeView,
    HoldersView,
    HolderView,
    ItemChangedView,
    ItemView,
    NoticeSentView,
)
from gsomia.store import changes
from gsomia.store import registry as register
from gsomia.store.changes import DerivationRecord, NewChange, NoticeRecord
from gsomia.store.registry import ItemRecord, PersonRecord

ACK_WITHIN = 10
"""Working days a holder has, by default, to acknowledge a notice (practice: the treaty says
"without delay")."""


def _passphrase(passphrase: bytes | None, why: str) -> bytes:
    if passphrase is None:
        raise KeyStoreError(f"{why}: the node's keys need their passphrase", subject="passphrase")
    return passphrase


def _instant(tx: Tx, at: When | None) -> datetime:
    """When a change happened: as given, or now."""
    return tx.instant(at) if at is not None else tx.now


def _not_disposed(tx: Tx, item: ItemRecord) -> None:
    gone = changes.disposal(tx.connection, item.id)
    if gone is not None:
        raise InvalidRequest(
            f"item {item.reference} was {changes.STATES[gone.kind]} at "
            f"{gone.at.astimezone(tx.time_zone).isoformat(timespec='minutes')}; nothing more "
            "is done with it"
        )


def remark(
    node: Node, key: str, marking: str, at: When | None, reference: str, passphrase: bytes | None
) -> ItemChangedView:
    """Art 6(g): the originator changes its item's classification; every holder is told."""
    return _originator_notice(node, key, NoticeKind.REMARK, at, reference, passphrase, marking)


def declassify(
    node: Node, key: str, at: When | None, reference: str, passphrase: bytes | None
) -> ItemChangedView:
    """Art 6(g): the originator declassifies its item; every holder is told."""
    return _originator_notice(node, key, NoticeKind.DECLASSIFY, at, reference, passphrase)


def recall(
    node: Node, key: str, ask: Disposal, at: When | None, reference: str, passphrase: bytes | None
) -> ItemChangedView:
    """Art 6(h): the originator asks every holder to return or destroy its copy."""
    kind = NoticeKind.RETURN_REQUEST if ask is Disposal.RETURNED else NoticeKind.DESTROY_REQUEST
    return _originator_notice(node, key, kind, at, reference, passphrase)


def _originator_notice(
    node: Node,
    key: str,
    kind: NoticeKind,
    at: When | None,
    reference: str,
    passphrase: bytes | None,
    marking: str | None = None,
) -> ItemChangedView:
    if not reference.strip():
        raise InvalidRequest(
            "a change of classification or a recall names its authority: --reference"
        )
    with node.write() as tx:
        own = tx.own_party()
        item = register.item(tx.connection, key)
        check_originator(item.originator, own, item.reference, kind.value.replace("-", " "))
        _not_disposed(tx, item)
        level = None
        if marking is not None:
            level = tx.book.scheme(own).by_marking(marking)
            if level.marking == item.marking:
                raise InvalidRequest(f"item {item.reference} is already marked {level.marking}")
        instant = _instant(tx, at)
        if instant < item.registered_at:
            raise InvalidRequest(
                f"the {kind.value} at {instant.isoformat()} would precede the item's registration"
            )
        holders = notices.recipients(tx, [item.id])
        # Signed for the holders whose node is a peer; the others are told by other channels.
        signed = any(peer_url(tx, holder) is not None for holder in holders)
        if signed:
            ring = keyring(tx, _passphrase(passphrase, "the notice to the holders is signed"))
        sequence = changes.last_sequence(tx.connection, own, item.reference, applied=False) + 1
        notice = objects.ItemNotice(
            iss=own,
            iat=int(tx.now.timestamp()),
            notice_id=str(uuid.uuid4()),
            kind=kind,
            item=item.reference,
            originator=own,
            sequence=sequence,
            marking=level.marking if level is not None else None,
            reference=reference.strip(),
            at=instant,
        )
        token = sign_object(ring, objects.ObjectKind.ITEM_NOTICE, notice) if signed else ""
        changed = notices.apply(
            tx, notice, [item.id, *changes.derived_from(tx.connection, [item.id])], own
        )
        changes.add_notice(
            tx.connection,
            NoticeRecord(
                id=notice.notice_id,
                kind=kind.value,
                originator=own,
                item=item.reference,
                sequence=sequence,
                by=own,
                sender=None,
                token=token,
                applied=True,
                recorded_at=tx.now,
            ),
        )
        journal.state_row(tx, "notice_given", "item_notices", notice.notice_id)
        sent = notices.send(
            tx, notice.notice_id, token, outbox.Kind.ITEM_NOTICE, holders, None, instant
        )
        return _changed(
            tx,
            item.id,
            copies=changed[1:],
            notice=NoticeSentView(
                notice=notice.notice_id, kind=kind.value, sequence=sequence, holders=sent
            ),
        )


def _changed(
    tx: Tx,
    item_id: int,
    *,
    copies: list[int],
    notice: NoticeSentView | None = None,
    reported_to: str | None = None,
) -> ItemChangedView:
    zone = tx.time_zone
    last = changes.changes(tx.connection, item_id)
    latest = max(last, key=lambda c: c.id)
    return ItemChangedView(
        item=ItemView.of(register.item(tx.connection, item_id), zone),
        change=ChangeView.of(latest, zone),
        copies=[register.item(tx.connection, i).reference for i in copies],
        notice=notice,
        reported_to=reported_to,
    )


# -- return and destruction --------------------------------------------------------------------


def destroy(
    node: Node,
    key: str,
    method: str,
    witness: int,
    at: When | None,
    passphrase: bytes | None,
) -> ItemChangedView:
    """Art 6(h), Art 13: destroy this node's item, with a certificate (who, when, how,
    witnessed by whom); erase its sealed content; tell the originator."""
    if not method.strip():
        raise InvalidRequest("a destruction names its method: --method (shredding, ...)")
    return _dispose(node, key, Disposal.DESTROYED, at, passphrase, method.strip(), witness)


def return_item(node: Node, key: str, at: When | None, passphrase: bytes | None) -> ItemChangedView:
    """Art 6(h): return a received item to its originator: recorded with a certificate, the
    sealed content erased here, the originator told."""
    return _dispose(node, key, Disposal.RETURNED, at, passphrase, None, None)


def _dispose(
    node: Node,
    key: str,
    disposal: Disposal,
    at: When | None,
    passphrase: bytes | None,
    method: str | None,
    witness: int | None,
) -> ItemChangedView:
    kind = "destroy" if disposal is Disposal.DESTROYED else "return"
    with node.write() as tx:
        own = tx.own_party()
        item = register.item(tx.connection, key)
        if item.holder != own:
            raise InvalidRequest(f"item {item.reference} is held by {item.holder}, not by {own}")
        done = changes.disposal(tx.connection, item.id)
        if done is not None:
            if done.content_erased is None and item.sealed_sha256 is not None:
                change_id = done.id  # a crash left the erasure unchecked: complete it
            else:
                _not_disposed(tx, item)
        else:
            if disposal is Disposal.RETURNED and item.originator == own:
                raise InvalidRequest(
                    f"{own} originated item {item.reference}: there is no one to return it to"
                )
            person = None
            if witness is not None:
                person = register.person(tx.connection, witness)
                if person.party != own:
                    raise InvalidRequest(
                        f"the witness {person.name} is {person.party}'s, not one of {own}'s people"
                    )
            instant = _instant(tx, at)
            if instant < item.registered_at:
                raise InvalidRequest(
                    f"the {kind} at {instant.isoformat()} would precede the item's registration"
                )
            reported_to = _report(tx, item, disposal, instant, method, person, passphrase)
            change_id = changes.add_change(
                tx.connection,
                NewChange(
                    item_id=item.id,
                    kind=kind,
                    at=instant,
                    by=own,
                    recorded_at=tx.now,
                    reference=f"report to {reported_to}" if reported_to else "",
                    method=method if disposal is Disposal.DESTROYED else "returned to originator",
                    witness_id=person.id if person else None,
                ),
            )
            journal.state_row(
                tx, "destruction" if kind == "destroy" else "return", "item_changes", change_id
            )
    erased = _erase(node, item)
    with node.write() as tx:
        if erased is not None:
            changes.set_erased(tx.connection, change_id, erased)
            journal.state_row(tx, "content_erased", "item_changes", change_id)
        return _changed(
            tx,
            item.id,
            copies=[],
            reported_to=item.originator
            if item.originator != own and peer_url(tx, item.originator)
            else None,
        )


def _report(
    tx: Tx,
    item: ItemRecord,
    disposal: Disposal,
    at: datetime,
    method: str | None,
    witness: PersonRecord | None,
    passphrase: bytes | None,
) -> str | None:
    """Queue the holder's signed report to the originator, if the originator is a peer."""
    own = tx.own_party()
    if item.originator == own or peer_url(tx, item.originator) is None:
        return None
    ring = keyring(tx, _passphrase(passphrase, "the report to the originator is signed"))
    report = objects.ItemReport(
        iss=own,
        iat=int(tx.now.timestamp()),
        report_id=str(uuid.uuid4()),
        kind=disposal,
        item=item.originator_reference or item.reference,
        originator=item.originator,
        holder=own,
        holder_item=item.reference,
        at=at,
        method=method or "",
        witness=witness.name if witness else "",
    )
    token = sign_object(ring, objects.ObjectKind.ITEM_REPORT, report)
    outbox.enqueue(
        tx,
        kind=outbox.Kind.ITEM_REPORT,
        recipient=item.originator,
        body=wire.ItemNoticeMessage(report=token).model_dump(exclude_none=True),
        message_id=report.report_id,
        subject=item.reference,
    )
    return item.originator


def _erase(node: Node, item: ItemRecord) -> bool | None:
    """Erase the item's sealed content from the content store unless another item in use
    keeps the same sealed file; whether it is gone (None: there was none)."""
    if item.sealed_sha256 is None:
        return None
    with node.read() as tx:
        shared = changes.content_in_use(tx.connection, item.sealed_sha256, item.id)
    return True if shared else node.content.erase(item.sealed_sha256)


# -- who holds an item -------------------------------------------------------------------------


def holders(
    node: Node, key: str, at: When | None = None, ack_within: int = ACK_WITHIN
) -> HoldersView:
    """Every holder of this node's item — those it handed the item to, and those further down
    that they named — with the marking each has and whether it acknowledged the latest
    notice; one unacknowledged beyond `ack_within` working days is flagged."""
    if ack_within < 0:
        raise InvalidRequest("--ack-within is a number of working days, 0 or more")
    with node.read() as tx:
        own = tx.own_party()
        zone = tx.time_zone
        item = register.item(tx.connection, key)
        today = _instant(tx, at).astimezone(zone).date()
        level = tx.book.scheme(item.originator).by_marking(item.marking)
        originated = item.originator_reference or item.reference
        sent = changes.notices(tx.connection, item.originator, originated)
        own_notices = [n for n in sent if n.by == item.originator]
        rows = changes.holders(tx.connection, [n.id for n in own_notices])
        by_notice = {n.id: n for n in own_notices}
        reports = {n.by: n for n in sent if n.by != item.originator}
        parties = set(notices.recipients(tx, [item.id])) | {r.holder for r in rows}
        views = []
        for party in sorted(parties):
            mine = [r for r in rows if r.holder == party]
            latest = max(mine, key=lambda r: by_notice[r.notice_id].sequence, default=None)
            equivalent = (
                holder_marking(tx.book, level, party).level if party != item.originator else level
            )
            report = reports.get(party)
            views.append(
                HolderView(
                    party=party,
                    via=latest.via if latest else None,
                    marking=equivalent.marking if equivalent else None,
                    english=equivalent.english if equivalent else None,
                    notice=latest.notice_id if latest else None,
                    notice_kind=by_notice[latest.notice_id].kind if latest else None,
                    sent_at=latest.sent_at.astimezone(zone) if latest else None,
                    acknowledged=bool(latest and latest.ack),
                    acknowledged_at=latest.acked_at.astimezone(zone)
                    if latest and latest.acked_at
                    else None,
                    overdue=bool(
                        latest
                        and latest.ack is None
                        and report is None
                        and overdue(own, latest.sent_at.astimezone(zone).date(), today, ack_within)
                    ),
                    disposal=report.kind if report else None,
                    disposed_at=report.recorded_at.astimezone(zone) if report else None,
                )
            )
        return HoldersView(
            item=item.reference,
            originator=item.originator,
            marking=item.marking,
            state=changes.state(tx.connection, item.id),
            ack_within=ack_within,
            holders=views,
        )


# -- copies, extracts, translations ------------------------------------------------------------


def derive(
    node: Node,
    key: str,
    kind: Derivation,
    person_id: int,
    at: When | None,
    marking: str | None = None,
    title: str | None = None,
    reference: str | None = None,
) -> ActionView:
    """A reproduction, extract or translation: a new item of the same originator, at least the
    original's marking, with its own reference, made only by a person cleared to read the
    original (Art 7); it inherits every restriction and every later notice of the original.
    The decision on the person is recorded either way."""
    with node.write() as tx:
        item = register.item(tx.connection, key)
        own = tx.own_party()
        if item.holder != own:
            raise InvalidRequest(f"item {item.reference} is held by {item.holder}, not by {own}")
        _not_disposed(tx, item)
        person = register.person(tx.connection, person_id)
        label = label_of(tx, item)
        level = label.level
        if marking is not None:
            level = tx.book.scheme(item.originator).by_marking(marking)
            check_derived_level(label.level, level)
        instant = _instant(tx, at)
        if instant < item.registered_at:
            raise InvalidRequest(
                f"a {kind.value} at {instant.isoformat()} would precede the original's registration"
            )
        decision = decide_access(tx.book, reader_of(tx.book, person), label, instant)
        new_id = None
        if decision.allowed:
            tx.attest(("items", item.id), ("persons", person.id))
            derived = _derived_label(tx, label, level)
            new_id = record_item(
                tx,
                derived,
                (title or f"{kind.value} of {item.title}").strip(),
                instant,
                reference,
                None,
                item.received_from,
                item.originator_reference,
            )
            record = DerivationRecord(new_id, item.id, kind.value, person.id, instant)
            changes.add_derivation(tx.connection, record)
            journal.state_row(tx, "derivation", "derivations", new_id)
        decision_id = journal.decision(
            tx,
            kind="reproduce",
            at=instant,
            decided=decision,
            request={"item": item.reference, "kind": kind.value, "person": person.id},
            item_id=item.id,
            person_id=person.id,
        )
        return action_view(tx, decision_id, decision, item_id=new_id if new_id else item.id)


def _derived_label(tx: Tx, label: Label, level: Level) -> Label:
    if level == label.level or label.holder is None:
        return replace(label, level=level)
    held = holder_marking(tx.book, level, label.holder)
    if held.level is None:
        raise InvalidRequest(
            f"no agreement between {label.originator} and {label.holder} covers "
            f"{level.marking}: a copy so marked could not be held here"
        )
    return replace(label, level=level, holder_level=held.level)
