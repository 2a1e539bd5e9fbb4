"""The registry officer's use cases: items registered, received, released, transferred,
accessed and opened.

Each decision is taken and recorded in one write transaction, on what that transaction read,
allowed or denied (Rule 14); an allowed one first checks the rows it relies on against the
ledger. Sealing, which can take long, happens outside the transaction, into a file with no
name: it is named only if the decision taken under the lock allows it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

from gsomia.core.agreements import AgreementBook
from gsomia.core.calendar import is_bare_date
from gsomia.core.custody import Disposal, disposed
from gsomia.core.labels import Label
from gsomia.core.policy import (
    Consent,
    Decision,
    Reader,
    decide_access,
    decide_receipt,
    decide_release,
    decide_transfer,
)
from gsomia.crypto import objects
from gsomia.crypto.keys import KeyRing, Purpose
from gsomia.errors import InvalidRequest, KeyStoreError
from gsomia.node import delivering, journal
from gsomia.node.commands import sealing
from gsomia.node.commands.keys import keyring, sign_object, verifies
from gsomia.node.context import Node, Tx, When
from gsomia.node.schemas import ActionView, DecisionView, ItemView
from gsomia.store import changes
from gsomia.store import registry as register
from gsomia.store.registry import ConsentRecord, ItemRecord, NewItem, NewRelease, PersonRecord


def _title(title: str) -> str:
    if not title.strip():
        raise InvalidRequest("an item needs a title")
    return title.strip()


def action_view(
    tx: Tx,
    decision_id: int,
    decision: Decision,
    *,
    item_id: int | None = None,
    release_id: int | None = None,
    sealed_copy: Path | None = None,
    output: str | None = None,
) -> ActionView:
    item = (
        ItemView.of(register.item(tx.connection, item_id), tx.time_zone)
        if item_id is not None
        else None
    )
    return ActionView(
        **DecisionView.fields(decision),
        decision_id=decision_id,
        item=item,
        release_id=release_id,
        sealed_copy=str(sealed_copy) if sealed_copy is not None else None,
        output=output,
    )


def register_item(
    node: Node,
    *,
    title: str,
    marking: str,
    topic: str,
    at: When,
    originator: str | None = None,
    purpose: str = "",
    releasable_to: Iterable[str] | None = None,
    caveats: Iterable[str] = (),
    reference: str | None = None,
    file: Path | None = None,
    passphrase: bytes | None = None,
) -> ItemView:
    """Register an item the node's party originated (Rule 1: originator, marking, topic,
    purpose). Its content, if given, is sealed to the node's own party and stored only
    sealed."""
    title = _title(title)
    with node.read() as tx:
        own = tx.own_party()
        if originator is not None and tx.known_party(originator) != own:
            raise InvalidRequest(
                f"an item {originator.strip().upper()} originated is received, not registered "
                f"(this registry is {own}'s)"
            )
        label = tx.label(
            own, marking, topic, releasable_to=releasable_to, purpose=purpose, caveats=caveats
        )
        instant = tx.instant(at)
        ring = _ring(tx, passphrase, "storing content seals it") if file is not None else None
    store = node.content
    with store.incoming() as sealed:
        if file is not None and ring is not None:
            sealing.seal_file_into(ring, file, sealed.stream, label, [own], Purpose.WRAPPED, node)
        with node.write() as tx:
            if ring is not None:
                tx.attest(*sealing.key_rows(ring, [own], Purpose.WRAPPED))
            content = store.pend(sealed) if file is not None else None
            item_id = record_item(tx, label, title, instant, reference, content)
            view = ItemView.of(register.item(tx.connection, item_id), tx.time_zone)
    if content is not None:
        store.settle(content[0])
    return view


def _ring(tx: Tx, passphrase: bytes | None, why: str) -> KeyRing:
    if passphrase is None:
        raise KeyStoreError(f"{why}: the node's keys need their passphrase", subject="passphrase")
    return keyring(tx, passphrase)


def receive_item(
    node: Node,
    *,
    title: str,
    originator: str,
    marking: str,
    topic: str,
    at: When,
    sender: str | None = None,
    originator_reference: str | None = None,
    purpose: str = "",
    releasable_to: Iterable[str] | None = None,
    reference: str | None = None,
) -> ActionView:
    """Receive an item handed over outside the node: decide the receipt, then register the
    copy marked with the originator's name and the receiver's equivalent level (Art 4)."""
    title = _title(title)
    with node.write() as tx:
        receiver = tx.own_party()
        origin = tx.known_party(originator)
        if origin == receiver:
            raise InvalidRequest(
                f"{receiver} is this registry's own party: its items are registered, not received"
            )
        label = tx.label(origin, marking, topic, releasable_to=releasable_to, purpose=purpose)
        from_party = tx.known_party(sender) if sender else origin
        instant = tx.instant(at, origin, receiver)
        return _receive(
            tx, label, from_party, instant, title, originator_reference, reference, None
        )


def receive_sealed(
    node: Node,
    file: Path,
    *,
    at: When,
    passphrase: bytes,
    title: str | None = None,
    originator_reference: str | None = None,
    reference: str | None = None,
) -> ActionView:
    """Receive a sealed item: check everything (nothing is decrypted to disk), read its
    label, decide the receipt and keep the sealed file as the copy's content."""
    store = node.content
    with node.read() as tx:
        receiver = tx.own_party()
        ring = keyring(tx, passphrase)
        schemes = tx.book.schemes
    with store.incoming() as copy:
        checked = sealing.receive_copy(ring, file, copy.stream, schemes)
        carried = checked.label
        if carried.held_by != receiver:
            raise InvalidRequest(f"the item is labelled for {carried.held_by}, not for {receiver}")
        as_sent = replace(carried, holder=None, holder_level=None)
        with node.write() as tx:
            instant = tx.instant(at, as_sent.originator, receiver)
            content = None

            def keep() -> tuple[str, int]:
                nonlocal content
                content = store.pend(copy)
                return content

            action = _receive(
                tx,
                as_sent,
                checked.sealed_by,
                instant,
                title or file.stem,
                originator_reference,
                reference,
                keep,
            )
    if content is not None:
        store.settle(content[0])
    return action


def _receive(
    tx: Tx,
    label: Label,
    from_party: str,
    at: datetime,
    title: str,
    originator_reference: str | None,
    reference: str | None,
    keep: Any,
) -> ActionView:
    receiver = tx.own_party()
    book = tx.book
    origin, level = label.originator, label.level
    if from_party != origin:
        label = _as_held_by(tx, label, from_party)
    decision = decide_receipt(book, label, receiver, at)
    request = {
        "originator": origin,
        "marking": level.marking,
        "topic": label.topic,
        "sender": from_party,
        "receiver": receiver,
        "originator_reference": originator_reference,
    }
    item_id = None
    if decision.allowed and decision.recipient_level is not None:
        tx.attest()
        received = label.received_by(receiver, decision.recipient_level)
        content = keep() if keep is not None else None
        item_id = record_item(
            tx, received, title, at, reference, content, from_party, originator_reference
        )
    decision_id = journal.decision(
        tx, kind="receipt", at=at, decided=decision, request=request, item_id=item_id
    )
    return action_view(tx, decision_id, decision, item_id=item_id)


def record_item(
    tx: Tx,
    label: Label,
    title: str,
    registered_at: datetime,
    reference: str | None,
    content: tuple[str, int] | None,
    received_from: str | None = None,
    originator_reference: str | None = None,
    *,
    delivery_id: str | None = None,
) -> int:
    """Register the item `label` describes as its holder holds it (Rules 1 and 3)."""
    holder = label.held_by
    return journal.item(
        tx,
        NewItem(
            reference=reference.strip()
            if reference
            else register.next_reference(tx.connection, holder, registered_at.year),
            title=title,
            originator=label.originator,
            marking=label.level.marking,
            english=label.level.english,
            topic=label.topic,
            purpose=label.purpose,
            releasable_to=label.releasable_to,
            caveats=label.caveats,
            holder=holder,
            holder_marking=label.holder_level.marking if label.holder_level else None,
            received_from=received_from,
            originator_reference=originator_reference,
            registered_at=registered_at,
            recorded_at=tx.now,
            sealed_sha256=content[0] if content else None,
            sealed_size=content[1] if content else None,
            delivery_id=delivery_id,
        ),
    )


def _as_held_by(tx: Tx, label: Label, holder: str) -> Label:
    """The label as a forwarding holder (a hub) had it, marked in the holder's scheme."""
    book = tx.book
    for agreement in book.bilateral(label.originator, holder):
        marking = agreement.equivalent_marking(label.level, holder)
        if marking is not None:
            return replace(
                label, holder=holder, holder_level=book.scheme(holder).by_marking(marking)
            )
    raise InvalidRequest(
        f"no agreement between {label.originator} and {holder} gives {label.level} an "
        f"equivalent in {holder}'s scheme, so {holder} cannot have sent it"
    )


class Labelled(Protocol):
    """What a stored row says of an item's label: an item, or a group of alike items."""

    @property
    def originator(self) -> str: ...
    @property
    def marking(self) -> str: ...
    @property
    def topic(self) -> str: ...
    @property
    def releasable_to(self) -> frozenset[str] | None: ...
    @property
    def caveats(self) -> tuple[str, ...]: ...
    @property
    def holder(self) -> str: ...
    @property
    def holder_marking(self) -> str | None: ...


def stored_label(book: AgreementBook, row: Labelled, purpose: str = "") -> Label:
    """The core's label for what a row stores: markings read in their parties' schemes."""
    holder_level = (
        book.scheme(row.holder).by_marking(row.holder_marking) if row.holder_marking else None
    )
    return Label(
        row.originator,
        book.scheme(row.originator).by_marking(row.marking),
        row.topic,
        purpose,
        row.releasable_to,
        row.caveats,
        None if row.holder == row.originator else row.holder,
        holder_level,
    )


def label_of(tx: Tx, item: ItemRecord) -> Label:
    """The core's label for a registered item."""
    return stored_label(tx.book, item, item.purpose)


def reader_of(book: AgreementBook, person: PersonRecord) -> Reader:
    """The core's reader for a registered person (Art 7)."""
    clearance = book.scheme(person.party).by_marking(person.clearance) if person.clearance else None
    return Reader(person.party, clearance, person.need_to_know, person.position)


@dataclass(frozen=True, slots=True)
class _HandOver:
    """What a release or transfer decides on, read in one transaction."""

    item: ItemRecord
    label: Label
    to: str
    at: datetime
    decision: Decision
    consents: tuple[ConsentRecord, ...]


def release_item(
    node: Node,
    key: str,
    recipient: str,
    at: When,
    passphrase: bytes | None = None,
    wrap: Purpose = Purpose.WRAPPED,
    *,
    relay_to: str | None = None,
) -> ActionView:
    """Rule 2: release the originator's item to a partner if an agreement in force allows.
    Sealed content is sealed again for the recipient, re-marked per the agreement; a partner
    whose node is a peer gets it delivered. With `relay_to`, the recipient is a hub (TISA,
    Rule 13) and the release carries the originator's signed consent to pass it on."""
    return _hand_over(node, "release", key, recipient, at, passphrase, wrap, relay_to)


def transfer_item(
    node: Node,
    key: str,
    recipient: str,
    at: When,
    passphrase: bytes | None = None,
    wrap: Purpose = Purpose.WRAPPED,
) -> ActionView:
    """Rule 5 (Art 6): pass a received item to a third party with the originator's prior
    written consent, its signature verified when it came from the originator's node."""
    return _hand_over(node, "transfer", key, recipient, at, passphrase, wrap, None)


def _decide_hand_over(
    tx: Tx, kind: str, key: str, recipient: str, at: When, ring: KeyRing
) -> _HandOver:
    item = register.item(tx.connection, key)
    own = tx.own_party()
    if item.holder != own:
        raise InvalidRequest(f"item {item.reference} is held by {item.holder}, not by {own}")
    label = label_of(tx, item)
    to = tx.known_party(recipient)
    instant = tx.instant(at, item.holder, to)
    if _before_registration(tx, at, instant, item):
        raise InvalidRequest(
            f"a {kind} at {instant.isoformat()} would precede the item's registration at "
            f"{item.registered_at.astimezone(instant.tzinfo).isoformat()}"
        )
    gone = out_of_use(tx, item, f"{kind}d" if kind == "release" else "transferred")
    if gone is not None:
        return _HandOver(item, label, to, instant, gone, ())
    if kind == "release" and label.holder is not None:
        raise InvalidRequest(
            f"item {item.reference} was received from {item.received_from}; passing it "
            "on is an onward transfer, which needs the originator's consent"
        )
    if kind != "release" and label.holder is None:
        raise InvalidRequest(
            f"{own} originated item {item.reference}: handing it over is a release, not an "
            "onward transfer"
        )
    return hand_over(tx, item, label, to, instant, ring)


def hand_over(
    tx: Tx, item: ItemRecord, label: Label, to: str, instant: datetime, ring: KeyRing
) -> _HandOver:
    """The decision on handing an item in use, held here, to `to` at `instant`: a release of
    the party's own (Rule 2), or an onward transfer of one received, on the originator's
    consents whose signatures verify (Rule 5, Art 6)."""
    if label.holder is None:
        return _HandOver(item, label, to, instant, decide_release(tx.book, label, to, instant), ())
    consents = tuple(
        c
        for c in register.consents(tx.connection, item.id)
        if c.token is None
        or verifies(ring, c.originator, c.token, objects.ObjectKind.CONSENT, objects.Consent)
    )
    decision = decide_transfer(
        tx.book, label, item.reference, to, instant, [_consent(item, c) for c in consents]
    )
    return _HandOver(item, label, to, instant, decision, consents)


def _hand_over(
    node: Node,
    kind: str,
    key: str,
    recipient: str,
    at: When,
    passphrase: bytes | None,
    wrap: Purpose,
    relay_to: str | None,
) -> ActionView:
    with node.read() as tx:
        ring = keyring(tx, passphrase)
        first = _decide_hand_over(tx, kind, key, recipient, at, ring)
        # A destroyed or returned item's content is gone: its denial needs no keys.
        sealed = (
            first.item.sealed_sha256 is not None
            and changes.disposal(tx.connection, first.item.id) is None
        )
        if sealed or relay_to is not None:
            _ring(tx, passphrase, "the item has sealed content" if sealed else "a relay is signed")
        if sealed:
            sealing.recipients(ring, [first.to], wrap)  # refused before anything is decided
        final = tx.known_party(relay_to) if relay_to is not None else None
    if not sealed:
        with node.write() as tx:
            now = _decide_hand_over(tx, kind, key, recipient, at, ring)
            return _record_hand_over(tx, kind, now, ring, final)
    store = node.content
    with store.incoming() as copy:
        sealed_label = _copy_label(first)
        if first.decision.allowed:
            _reseal(node, ring, first, copy, wrap)
        with node.write() as tx:
            now = _decide_hand_over(tx, kind, key, recipient, at, ring)
            content = None
            if now.decision.allowed:
                if _copy_label(now) != sealed_label or not first.decision.allowed:
                    # The agreements changed since the copy was sealed: seal it again, now.
                    _reseal(node, ring, now, copy, wrap)
                tx.attest(*sealing.key_rows(ring, [now.to], wrap))
                content = store.pend(copy)
            action = _record_hand_over(tx, kind, now, ring, final, content, store.directory)
    if content is not None:
        store.settle(content[0])
    return action


def _reseal(node: Node, ring: KeyRing, hand_over: _HandOver, copy: Any, wrap: Purpose) -> None:
    copy.stream.seek(0)
    copy.stream.truncate()
    source = node.content.path_of(hand_over.item.sealed_sha256 or "")
    sealing.reseal(ring, source, copy.stream, _copy_label(hand_over), [hand_over.to], wrap, node)


def _record_hand_over(
    tx: Tx,
    kind: str,
    now: _HandOver,
    ring: KeyRing,
    relay_to: str | None,
    content: tuple[str, int] | None = None,
    directory: Path | None = None,
) -> ActionView:
    decision = now.decision
    if decision.allowed:
        tx.attest(("items", now.item.id), *(("consents", c.id) for c in now.consents))
    request = {"item": now.item.reference, "from": now.label.held_by, "to": now.to}
    if relay_to is not None:
        request["for"] = relay_to
    decision_id = journal.decision(
        tx, kind=kind, at=now.at, decided=decision, request=request, item_id=now.item.id
    )
    release_id = None
    if decision.allowed and decision.agreement is not None:
        release_id = journal.release(
            tx,
            NewRelease(
                item_id=now.item.id,
                kind=kind,
                from_party=now.label.held_by,
                to_party=now.to,
                at=now.at,
                agreement_id=decision.agreement,
                recipient_marking=decision.recipient_level.marking
                if decision.recipient_level
                else now.item.marking,
                decision_id=decision_id,
                sealed_sha256=content[0] if content else None,
                sealed_size=content[1] if content else None,
            ),
        )
        consents = [c.token for c in now.consents if c.recipient == now.to and c.token]
        if relay_to is not None:
            consents.append(_relay_consent(ring, now, relay_to))
        delivering.queue(
            tx,
            item=now.item,
            label=now.label,
            recipient=now.to,
            at=now.at,
            agreement=decision.agreement,
            release_id=release_id,
            content_sha256=content[0] if content else None,
            final_recipient=relay_to,
            consents=consents,
        )
    return action_view(
        tx,
        decision_id,
        decision,
        item_id=now.item.id,
        release_id=release_id,
        sealed_copy=directory / f"{content[0]}.tdf" if content and directory else None,
    )


def _relay_consent(ring: KeyRing, now: _HandOver, final: str) -> str:
    """The originator's signed consent for the hub to pass the item on to `final`."""
    consent = objects.Consent(
        iss=now.item.originator,
        iat=int(now.at.timestamp()),
        consent_id=str(uuid.uuid4()),
        item=now.item.reference,
        originator=now.item.originator,
        holder=now.to,
        recipient=final,
        purpose=f"relay through {now.to} to {final}",
        granted_at=now.at,
        expires_at=None,
        reference=f"relay of {now.item.reference}",
    )
    return sign_object(ring, objects.ObjectKind.CONSENT, consent)


def _before_registration(tx: Tx, at: When, instant: datetime, item: ItemRecord) -> bool:
    """Whether a hand-over is dated before its item was registered: by the instants, or, for
    a bare date, by the days as written (the registration's in the registry's zone)."""
    if isinstance(at, str) and is_bare_date(at):
        return instant.date() < item.registered_at.astimezone(tx.time_zone).date()
    return instant < item.registered_at


def _copy_label(hand_over: _HandOver) -> Label:
    """The label of the recipient's copy."""
    level = hand_over.decision.recipient_level or hand_over.label.level
    return hand_over.label.handed_over(hand_over.to, level)


def _consent(item: ItemRecord, record: ConsentRecord) -> Consent:
    return Consent(
        item.reference,
        record.originator,
        record.recipient,
        record.granted_at,
        record.expires_at,
        record.reference,
    )


def access_item(node: Node, key: str, person_id: int, at: When) -> ActionView:
    """Rule 4 (Art 7): may this person read this item at `at`? Recorded either way."""
    with node.write() as tx:
        decision, item, person_id = _decide_access(tx, key, person_id, at)
        decision_id = journal.decision(
            tx,
            kind="access",
            at=tx.instant(at),
            decided=decision,
            request={"item": item.reference, "person": person_id, "party": tx.own_party()},
            item_id=item.id,
            person_id=person_id,
        )
        return action_view(tx, decision_id, decision, item_id=item.id)


def out_of_use(tx: Tx, item: ItemRecord, action: str) -> Decision | None:
    """The denial every use of a destroyed or returned item gets (Art 6(h)); None while the
    item is in use."""
    gone = changes.disposal(tx.connection, item.id)
    if gone is None:
        return None
    disposal = Disposal.DESTROYED if gone.kind == "destroy" else Disposal.RETURNED
    return disposed(item.reference, disposal, gone.at.astimezone(tx.time_zone), action)


def _decide_access(tx: Tx, key: str, person_id: int, at: When) -> tuple[Decision, ItemRecord, int]:
    book = tx.book
    item = register.item(tx.connection, key)
    person = register.person(tx.connection, person_id)
    decision = out_of_use(tx, item, "read or opened") or decide_access(
        book, reader_of(book, person), label_of(tx, item), tx.instant(at)
    )
    if decision.allowed:
        tx.attest(("items", item.id), ("persons", person.id))
    return decision, item, person.id


def open_item(
    node: Node,
    key: str,
    person_id: int,
    at: When,
    destination: Path | IO[bytes],
    passphrase: bytes,
) -> ActionView:
    """Decide a person's access (recorded either way) and, if allowed, open the content; the
    plaintext is named at `destination` only once every check passed."""
    with node.read() as tx:
        item = register.item(tx.connection, key)
        if item.sealed_sha256 is None:
            raise InvalidRequest(f"item {item.reference} has no content in this registry")
        ring = keyring(tx, passphrase)
        forbidden = node.database_files()
    sealing.check_destination(destination, forbidden)
    action = access_item(node, key, person_id, at)
    if action.allowed:
        sealing.open_content(
            ring,
            node.content.path_of(item.sealed_sha256),
            item.sealed_sha256,
            destination,
            forbidden,
        )
        output = destination if isinstance(destination, Path) else "-"
        return action.model_copy(update={"output": str(output)})
    return action
