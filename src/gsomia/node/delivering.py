"""Deliveries to partners' nodes: the envelope of a release or transfer, queued in the same
transaction as the hand-over it carries, and an item's chain of custody.

The envelope names the item as the sender holds it, the agreement and the instant of the
hand-over, the sealed copy's digest, the earlier hops with their receipts' digests and the
originator's signed consents the hand-over relies on (Art 6), so that every node on the way
checks them for itself.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import select

from gsomia.core.labels import Label
from gsomia.crypto import objects
from gsomia.crypto.keys import KeyRing
from gsomia.node import outbox, wire
from gsomia.node.commands.keys import verifies
from gsomia.node.commands.peers import peer_url
from gsomia.node.context import Tx
from gsomia.node.outbox import Kind
from gsomia.node.schemas import CustodyHopView, CustodyView
from gsomia.store import registry as register
from gsomia.store import tables
from gsomia.store.registry import ItemRecord


def queue(
    tx: Tx,
    *,
    item: ItemRecord,
    label: Label,
    recipient: str,
    at: datetime,
    agreement: str,
    release_id: int,
    content_sha256: str | None,
    final_recipient: str | None = None,
    consents: list[str] | None = None,
) -> str | None:
    """Queue the delivery of a hand-over to the recipient's node, if it is a peer; its id."""
    if peer_url(tx, recipient) is None:
        return None
    delivery_id = outbox.new_id()
    envelope = wire.Envelope(
        delivery_id=delivery_id,
        sender=label.held_by,
        recipient=recipient,
        final_recipient=final_recipient,
        agreement=agreement,
        released_at=at,
        item=wire.ItemLabel(
            reference=item.reference,
            title=item.title,
            originator=item.originator,
            originator_reference=item.originator_reference or item.reference,
            marking=item.marking,
            holder_marking=item.holder_marking,
            topic=item.topic,
            purpose=item.purpose,
            releasable_to=sorted(label.releasable_to) if label.releasable_to is not None else None,
            caveats=list(item.caveats),
        ),
        content_sha256=content_sha256,
        custody=custody_before(tx, item),
        consents=consents or [],
    )
    body = json.loads(wire.Delivery(envelope=envelope).model_dump_json())
    return outbox.enqueue(
        tx,
        kind=Kind.DELIVERY,
        recipient=recipient,
        body=body,
        message_id=delivery_id,
        release_id=release_id,
        subject=item.reference,
    )


def custody_before(tx: Tx, item: ItemRecord) -> list[wire.Hop]:
    """The hops that brought this copy here, each with its receipt's digest."""
    if item.delivery_id is None:
        return []
    inbox = tables.inbox
    row = tx.connection.execute(
        select(inbox).where(inbox.c.idempotency_key == item.delivery_id)
    ).one_or_none()
    if row is None:
        return []
    envelope = wire.parse(wire.Envelope, row.request)
    receipt = json.loads(row.response).get("receipt")
    this_hop = wire.Hop(
        sender=envelope.sender,
        recipient=envelope.recipient,
        at=envelope.released_at,
        agreement=envelope.agreement,
        delivery_id=envelope.delivery_id,
        receipt_sha256=hashlib.sha256(receipt.encode()).hexdigest() if receipt else None,
    )
    return [*envelope.custody, this_hop]


def custody(tx: Tx, key: str, ring: KeyRing) -> CustodyView:
    """Every hand-over of an item and of its copies this node knows, with the receipts, each
    verified against its signer's pinned keys."""
    item = register.item(tx.connection, key)
    hops = [
        CustodyHopView.model_validate(
            {
                "from": hop.sender,
                "to": hop.recipient,
                "at": hop.at,
                "agreement": hop.agreement,
                "delivery_id": hop.delivery_id,
                "state": "delivered",
                "receipt_sha256": hop.receipt_sha256,
                "receipt_verified": None,
            }
        )
        for hop in custody_before(tx, item)
    ]
    deliveries = tables.deliveries
    for release in register.releases(tx.connection, item.id):
        row = tx.connection.execute(
            select(deliveries).where(deliveries.c.release_id == release.id)
        ).one_or_none()
        receipt = row.answer if row is not None else None
        hops.append(
            CustodyHopView.model_validate(
                {
                    "from": release.from_party,
                    "to": release.to_party,
                    "at": release.at,
                    "agreement": release.agreement_id,
                    "delivery_id": row.id if row is not None else None,
                    "state": row.state if row is not None else "handed over outside the federation",
                    "receipt_sha256": hashlib.sha256(receipt.encode()).hexdigest()
                    if receipt
                    else None,
                    "receipt_verified": verifies(
                        ring, release.to_party, receipt, objects.ObjectKind.RECEIPT, objects.Receipt
                    )
                    if receipt
                    else None,
                }
            )
        )
    return CustodyView(item=item.reference, originator=item.originator, hops=hops)
