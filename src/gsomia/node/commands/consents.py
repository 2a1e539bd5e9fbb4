"""Originators' prior written consents to onward transfer (Art 6, Rule 5)."""

from __future__ import annotations

from gsomia.errors import InvalidRequest
from gsomia.node import journal
from gsomia.node.context import Node, When
from gsomia.node.schemas import ConsentView
from gsomia.store import registry as register
from gsomia.store.registry import NewConsent


def add_consent(
    node: Node,
    item: str,
    recipient: str,
    granted_at: When,
    expires_at: When | None = None,
    reference: str = "",
) -> ConsentView:
    """Record the originator's written consent for one item this registry holds, which
    another party originated, to go to one third party."""
    with node.write() as tx:
        own = tx.own_party()
        record = register.item(tx.connection, item)
        to = tx.known_party(recipient)
        if record.originator == own:
            raise InvalidRequest(
                f"{own} originated item {record.reference}: a consent is another "
                "originator's, and releasing one's own item needs none"
            )
        if to in (record.originator, record.holder):
            raise InvalidRequest(
                f"{to} is the item's originator or holder; a consent names a third party"
            )
        granted = tx.instant(granted_at, record.originator, record.holder)
        expires = tx.instant(expires_at, record.originator, record.holder) if expires_at else None
        if expires is not None and expires <= granted:
            raise InvalidRequest("a consent must expire after it is granted")
        consent_id = journal.consent(
            tx,
            NewConsent(
                item_id=record.id,
                originator=record.originator,
                recipient=to,
                granted_at=granted,
                expires_at=expires,
                reference=reference,
                recorded_at=tx.now,
            ),
        )
        stored = next(c for c in register.consents(tx.connection, record.id) if c.id == consent_id)
        return ConsentView.of(stored, tx.time_zone)
