"""The registry officer's use cases: persons, items, releases, receipts, consents, access.

Every decision taken here is recorded with its reasons, allowed or denied.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from gsomia.core.labels import Label, check_topic
from gsomia.core.policy import (
    Consent,
    Decision,
    Reader,
    decide_access,
    decide_receipt,
    decide_release,
    decide_transfer,
)
from gsomia.crypto.keys import KeyRing, Purpose
from gsomia.crypto.sealing import open_sealed
from gsomia.errors import InvalidRequest, KeyStoreError
from gsomia.node import content, journal, sealing
from gsomia.node.registry import Registry
from gsomia.store import files
from gsomia.store import registry as records
from gsomia.store.registry import ConsentRecord, ItemRecord, PersonRecord


@dataclass(frozen=True, slots=True)
class Outcome:
    """A recorded decision and what it produced (an item or a release), if allowed."""

    decision_id: int
    decision: Decision
    item_id: int | None = None
    release_id: int | None = None


def add_person(
    registry: Registry,
    *,
    name: str,
    party: str | None,
    clearance: str | None,
    need_to_know: Iterable[str],
    position: str = "",
) -> PersonRecord:
    """Register a person with the clearance granted under their party's law (Art 7)."""
    code = registry.own_party(party)
    level = registry.book().scheme(code).read(clearance) if clearance else None
    if not name.strip():
        raise InvalidRequest("a person needs a name")
    topics = [check_topic(topic) for topic in need_to_know]
    with registry.transaction() as connection:
        person_id = journal.person(
            connection,
            registry.now(),
            name=name.strip(),
            party=code,
            position=position.strip(),
            clearance=level.marking if level else None,
            need_to_know=topics,
        )
        return records.person(connection, person_id)


def grant_need_to_know(registry: Registry, person_id: int, topics: Iterable[str]) -> PersonRecord:
    with registry.transaction() as connection:
        person = records.person(connection, person_id)
        added = [check_topic(topic) for topic in topics]
        journal.need_to_know(
            connection, person_id, person.need_to_know | set(added), registry.now()
        )
        return records.person(connection, person_id)


def register_item(
    registry: Registry,
    *,
    title: str,
    marking: str,
    topic: str,
    at: datetime,
    originator: str | None = None,
    purpose: str = "",
    releasable_to: Iterable[str] | None = None,
    caveats: Iterable[str] = (),
    reference: str | None = None,
    file: Path | None = None,
    ring: KeyRing | None = None,
) -> ItemRecord:
    """Register an item the node's party originated (Rule 1: originator, marking, topic,
    purpose); its content, if given, is stored only sealed, to the node's own party."""
    label = registry.label(
        registry.own_party(originator),
        marking,
        topic,
        releasable_to=releasable_to,
        purpose=purpose,
        caveats=caveats,
    )
    party, level = label.originator, label.level
    sealed = _seal_own(registry, ring, file, label) if file is not None else (None, None)
    with registry.transaction() as connection:
        item_id = journal.item(
            connection,
            registry.now(),
            reference=reference or records.next_reference(connection, party, at.year),
            title=_title(title),
            originator=label.originator,
            marking=level.marking,
            english=level.english,
            topic=label.topic,
            purpose=purpose,
            releasable_to=label.releasable_to,
            caveats=label.caveats,
            holder=party,
            registered_at=at,
            sealed_sha256=sealed[0],
            sealed_size=sealed[1],
        )
        return records.item(connection, item_id)


def _require_ring(ring: KeyRing | None, why: str) -> KeyRing:
    if ring is None:
        raise KeyStoreError(f"{why}: the node's keys are needed; set GSOMIA_PASSPHRASE")
    return ring


def _seal_own(
    registry: Registry, ring: KeyRing | None, file: Path, label: Label
) -> tuple[str, int]:
    """Seal a file to the node's own party and keep it in the content store."""
    keys = _require_ring(ring, "storing content seals it")
    try:
        with files.open_input(file) as source, content.incoming(registry) as staged:
            sealing.seal_stream(
                keys, source, staged.stream, label, [label.held_by], Purpose.WRAPPED, registry.now()
            )
            return content.keep(registry, staged)
    except OSError as exc:
        raise InvalidRequest(f"cannot read {file}: {exc.strerror}") from None


def receive_item(
    registry: Registry,
    *,
    title: str,
    originator: str,
    marking: str,
    topic: str,
    at: datetime,
    sender: str | None = None,
    originator_reference: str | None = None,
    purpose: str = "",
    releasable_to: Iterable[str] | None = None,
    reference: str | None = None,
) -> Outcome:
    """Receive an item from a partner: decide the receipt, then register the copy marked with
    the originator's name and the receiver's equivalent level (Art 4)."""
    receiver = registry.own_party(None)
    origin = registry.known_party(originator)
    if origin == receiver:
        raise InvalidRequest(f"{receiver} is this registry's own party; use gsomia item register")
    label = registry.label(origin, marking, topic, releasable_to=releasable_to, purpose=purpose)
    from_party = registry.known_party(sender) if sender else origin
    return _receive(registry, label, from_party, at, title, originator_reference, reference, None)


def receive_sealed(
    registry: Registry,
    ring: KeyRing,
    file: Path,
    *,
    at: datetime,
    title: str | None = None,
    originator_reference: str | None = None,
    reference: str | None = None,
) -> Outcome:
    """Receive a sealed item: open it with every check (nothing is written in clear), read
    its label, decide the receipt, and keep the sealed file as the copy's content."""
    receiver = registry.own_party(None)
    with files.open_input(file) as source, content.incoming(registry) as copy:
        # The copy is what is verified and kept: the file may change while it is read.
        shutil.copyfileobj(source, copy.stream, content.CHUNK)
        opened = open_sealed(copy.stream, None, ring)
        carried = opened.label.to_label(registry.book().schemes)
        if carried.held_by != receiver:
            raise InvalidRequest(f"the item is labelled for {carried.held_by}, not for {receiver}")
        sealed = content.keep(registry, copy)
    as_sent = replace(carried, holder=None, holder_level=None)
    return _receive(
        registry,
        as_sent,
        opened.sealed_by,
        at,
        title or file.stem,
        originator_reference,
        reference,
        sealed,
    )


def _receive(
    registry: Registry,
    label: Label,
    from_party: str,
    at: datetime,
    title: str,
    originator_reference: str | None,
    reference: str | None,
    sealed: tuple[str, int] | None,
) -> Outcome:
    receiver = registry.own_party(None)
    book = registry.book()
    origin, level = label.originator, label.level
    if from_party != origin:
        label = _as_held_by(registry, label, from_party)
    decision = decide_receipt(book, label, receiver, at)
    request = {
        "originator": origin,
        "marking": level.marking,
        "topic": label.topic,
        "sender": from_party,
        "receiver": receiver,
        "originator_reference": originator_reference,
    }
    with registry.transaction() as connection:
        item_id = None
        if decision.allowed and decision.recipient_level is not None:
            received = label.received_by(receiver, decision.recipient_level)
            item_id = journal.item(
                connection,
                registry.now(),
                reference=reference or records.next_reference(connection, receiver, at.year),
                title=_title(title),
                originator=origin,
                marking=level.marking,
                english=level.english,
                topic=label.topic,
                purpose=label.purpose,
                releasable_to=received.releasable_to,
                caveats=label.caveats,
                holder=receiver,
                holder_marking=decision.recipient_level.marking,
                received_from=from_party,
                originator_reference=originator_reference,
                registered_at=at,
                sealed_sha256=sealed[0] if sealed else None,
                sealed_size=sealed[1] if sealed else None,
            )
        decision_id = _record(connection, registry, "receipt", at, decision, request, item_id)
    return Outcome(decision_id, decision, item_id=item_id)


def _as_held_by(registry: Registry, label: Label, holder: str) -> Label:
    """The label as a forwarding holder (a hub) had it, marked in the holder's scheme."""
    book = registry.book()
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


def label_of(registry: Registry, item: ItemRecord) -> Label:
    """The core's label for a registered item."""
    book = registry.book()
    level = book.scheme(item.originator).by_marking(item.marking)
    holder = None if item.holder == item.originator else item.holder
    holder_level = (
        book.scheme(item.holder).by_marking(item.holder_marking) if item.holder_marking else None
    )
    return Label(
        item.originator,
        level,
        item.topic,
        item.purpose,
        item.releasable_to,
        item.caveats,
        holder,
        holder_level,
    )


def release_item(
    registry: Registry,
    key: str,
    recipient: str,
    at: datetime,
    ring: KeyRing | None = None,
    wrap: Purpose = Purpose.WRAPPED,
) -> Outcome:
    """Rule 2: release the originator's item to a partner if an agreement in force allows.
    Sealed content is sealed again for the recipient, re-marked per the agreement."""
    with registry.transaction() as connection:
        item = records.item(connection, key)
    label = label_of(registry, item)
    to = registry.known_party(recipient)
    if label.holder is not None:
        raise InvalidRequest(
            f"item {item.reference} was received from {item.received_from}; passing it on is "
            "an onward transfer: use gsomia item transfer"
        )
    _check_recipient_keys(item, ring, to, wrap)
    decision = decide_release(registry.book(), label, to, at)
    return _hand_over(registry, "release", item, label, to, at, decision, ring, wrap)


def transfer_item(
    registry: Registry,
    key: str,
    recipient: str,
    at: datetime,
    ring: KeyRing | None = None,
    wrap: Purpose = Purpose.WRAPPED,
) -> Outcome:
    """Rule 5: pass a received item to a third party with the originator's written consent."""
    with registry.transaction() as connection:
        item = records.item(connection, key)
        consents = [_consent(item, c) for c in records.consents(connection, item.id)]
    label = label_of(registry, item)
    to = registry.known_party(recipient)
    _check_recipient_keys(item, ring, to, wrap)
    decision = decide_transfer(registry.book(), label, item.reference, to, at, consents)
    return _hand_over(registry, "transfer", item, label, to, at, decision, ring, wrap)


def _check_recipient_keys(item: ItemRecord, ring: KeyRing | None, to: str, wrap: Purpose) -> None:
    """Before deciding anything: content can only go to a party whose key is known."""
    if item.sealed_sha256 is not None:
        sealing.recipients(_require_ring(ring, "the item has sealed content"), [to], wrap)


def _hand_over(
    registry: Registry,
    kind: str,
    item: ItemRecord,
    label: Label,
    recipient: str,
    at: datetime,
    decision: Decision,
    ring: KeyRing | None,
    wrap: Purpose,
) -> Outcome:
    sender = label.held_by
    request = {"item": item.reference, "from": sender, "to": recipient}
    sealed: tuple[str, int] | None = None
    if decision.allowed and item.sealed_sha256 is not None:
        keys = _require_ring(ring, "the item has sealed content")
        with content.incoming(registry) as staged:
            sealing.reseal(
                keys,
                content.path_of(registry, item.sealed_sha256),
                staged.stream,
                label.handed_over(recipient, decision.recipient_level or label.level),
                [recipient],
                wrap,
                registry.now(),
            )
            sealed = content.keep(registry, staged)
    with registry.transaction() as connection:
        decision_id = _record(connection, registry, kind, at, decision, request, item.id)
        release_id = None
        if decision.allowed and decision.agreement is not None:
            marking = decision.recipient_level.marking if decision.recipient_level else item.marking
            release_id = journal.release(
                connection,
                registry.now(),
                item_id=item.id,
                kind=kind,
                from_party=sender,
                to_party=recipient,
                at=at,
                agreement_id=decision.agreement,
                recipient_marking=marking,
                decision_id=decision_id,
                sealed_sha256=sealed[0] if sealed else None,
                sealed_size=sealed[1] if sealed else None,
            )
    return Outcome(decision_id, decision, item_id=item.id, release_id=release_id)


def _consent(item: ItemRecord, record: ConsentRecord) -> Consent:
    return Consent(
        item.reference,
        record.originator,
        record.recipient,
        record.granted_at,
        record.expires_at,
        record.reference,
    )


def add_consent(
    registry: Registry,
    key: str,
    recipient: str,
    granted_at: datetime,
    expires_at: datetime | None = None,
    reference: str = "",
) -> ConsentRecord:
    """Record the originator's prior written consent for one item to go to one party (Art 5)."""
    to = registry.known_party(recipient)
    if expires_at is not None and expires_at <= granted_at:
        raise InvalidRequest("a consent must expire after it is granted; check --expires")
    with registry.transaction() as connection:
        item = records.item(connection, key)
        if to in (item.originator, item.holder):
            raise InvalidRequest(
                f"{to} is the item's originator or holder; consent is for a third party"
            )
        consent_id = journal.consent(
            connection,
            registry.now(),
            item_id=item.id,
            originator=item.originator,
            recipient=to,
            granted_at=granted_at,
            expires_at=expires_at,
            reference=reference,
        )
        return next(c for c in records.consents(connection, item.id) if c.id == consent_id)


def open_item(
    registry: Registry, ring: KeyRing, key: str, person_id: int, at: datetime, destination: Path
) -> Outcome:
    """Decide a person's access (recorded either way) and, if allowed, open the content."""
    with registry.transaction() as connection:
        item = records.item(connection, key)
    if item.sealed_sha256 is None:
        raise InvalidRequest(f"item {item.reference} has no content in this registry")
    stored = content.path_of(registry, item.sealed_sha256)
    files.check_output(destination, sealing.protected(registry, stored))
    outcome = access_item(registry, key, person_id, at)
    if outcome.decision.allowed:
        sealing.open_file(registry, ring, stored, destination)
    return outcome


def access_item(registry: Registry, key: str, person_id: int, at: datetime) -> Outcome:
    """Rule 4 (Art 7): may this person read this item at `at`? Recorded either way."""
    book = registry.book()
    with registry.transaction() as connection:
        item = records.item(connection, key)
        person = records.person(connection, person_id)
    clearance = book.scheme(person.party).by_marking(person.clearance) if person.clearance else None
    reader = Reader(person.party, clearance, person.need_to_know, person.position)
    decision = decide_access(book, reader, label_of(registry, item), at)
    request = {"item": item.reference, "person": person.id, "party": person.party}
    with registry.transaction() as connection:
        decision_id = _record(
            connection, registry, "access", at, decision, request, item.id, person.id
        )
    return Outcome(decision_id, decision, item_id=item.id)


def _record(
    connection: Connection,
    registry: Registry,
    kind: str,
    at: datetime,
    decision: Decision,
    request: dict[str, Any],
    item_id: int | None = None,
    person_id: int | None = None,
) -> int:
    return journal.decision(
        connection,
        kind=kind,
        at=at,
        decided=decision,
        request=request,
        recorded_at=registry.now(),
        item_id=item_id,
        person_id=person_id,
    )


def _title(title: str) -> str:
    if not title.strip():
        raise InvalidRequest("an item needs a title (--title)")
    return title.strip()
