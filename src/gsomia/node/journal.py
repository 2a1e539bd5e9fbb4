"""Recording in the registry and stating it in the ledger, as one act.

Every decision, lifecycle event, reference document, setting, item, release, receipt,
consent, person and key change goes through here, inside the caller's write transaction: the
store writes the row, and the ledger appends an entry stating the row whole (see
`gsomia.store.attestation`) and, when an officer acts through the API or the web UI, `by`
whom, so neither commits without the other and every row stays
reproducible from the ledger. A change to what the node caches (documents, events, settings)
also advances the registry's generation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gsomia.core.agreements import Event
from gsomia.core.policy import Decision
from gsomia.crypto.keys import KeyRecord
from gsomia.node.context import ACTOR, Tx
from gsomia.store import attestation, decisions, documents, keystore, log
from gsomia.store import registry as register
from gsomia.store.attestation import BOUND


def state_row(tx: Tx, kind: str, table: str, key: object) -> int:
    """Append an entry of `kind` stating the row `key` of `table` as it now is; its position."""
    bound = BOUND[table]
    state = attestation.state(tx.connection, bound, key)
    if state is None:
        raise LookupError(f"no {table} row {key} to state")
    body = _attributed(attestation.body(bound, key, state))
    return log.append(
        tx.connection, [(kind, body)], tx.now, subjects=[attestation.subject(table, key)]
    )[0]


def state_gone(tx: Tx, kind: str, table: str, key: object) -> int:
    """Append an entry of `kind` stating that the row `key` of `table` was removed."""
    bound = BOUND[table]
    return log.append(
        tx.connection,
        [(kind, _attributed({"table": bound.name, "key": key, "row": None}))],
        tx.now,
        subjects=[attestation.subject(table, key)],
    )[0]


def _attributed(body: dict[str, Any]) -> dict[str, Any]:
    """The body with `by`, the officer acting, when an officer acts (`ACTOR`)."""
    actor = ACTOR.get()
    return body if actor is None else body | {"by": actor}


def decision(
    tx: Tx,
    *,
    kind: str,
    at: datetime,
    decided: Decision,
    request: dict[str, Any],
    item_id: int | None = None,
    person_id: int | None = None,
) -> int:
    """A decision with its reasons, allowed or denied (Rule 14)."""
    decision_id = decisions.record(
        tx.connection,
        kind=kind,
        at=at,
        decision=decided,
        request=request,
        recorded_at=tx.now,
        item_id=item_id,
        person_id=person_id,
    )
    state_row(tx, "decision", "decisions", decision_id)
    return decision_id


def event(tx: Tx, recorded: Event, source: str) -> int:
    event_id = documents.add_event(tx.connection, recorded, source, tx.now)
    state_row(tx, "lifecycle_event", "agreement_events", event_id)
    tx.changed()
    return event_id


def document(tx: Tx, kind: str, key: str, text: str, origin: str) -> str:
    """Store or replace a scheme or agreement document: added, updated or unchanged."""
    outcome = documents.save_document(tx.connection, kind, key, text, origin)
    if outcome != "unchanged":
        state_row(tx, "reference_document", kind, key)
        tx.changed()
    return outcome


def setting(tx: Tx, key: str, value: str) -> None:
    if documents.setting(tx.connection, key) != value:
        documents.set_setting(tx.connection, key, value)
        state_row(tx, "setting", "settings", key)
        tx.changed()


def item(tx: Tx, new: register.NewItem) -> int:
    item_id = register.add_item(tx.connection, new)
    state_row(tx, "receipt" if new.received_from else "item", "items", item_id)
    return item_id


def release(tx: Tx, new: register.NewRelease) -> int:
    release_id = register.add_release(tx.connection, new)
    state_row(tx, new.kind, "releases", release_id)
    return release_id


def consent(tx: Tx, new: register.NewConsent) -> int:
    consent_id = register.add_consent(tx.connection, new)
    state_row(tx, "consent", "consents", consent_id)
    return consent_id


def person(tx: Tx, new: register.NewPerson) -> int:
    person_id = register.add_person(tx.connection, new)
    state_row(tx, "person", "persons", person_id)
    return person_id


def need_to_know(tx: Tx, person_id: int, topics: frozenset[str]) -> None:
    register.set_need_to_know(tx.connection, person_id, topics)
    state_row(tx, "need_to_know", "persons", person_id)


def key(tx: Tx, record: KeyRecord, action: str) -> None:
    """A key added (generated or imported), retired or destroyed; its private part is stated
    only by its digest."""
    if action in ("generated", "imported"):
        keystore.add_key(tx.connection, record, "local" if action == "generated" else "imported")
    elif action == "retired":
        keystore.retire(tx.connection, record.kid, tx.now)
    elif action == "destroyed":
        keystore.destroy(tx.connection, record.kid)
    else:
        raise ValueError(f"unknown key action {action}")
    state_row(tx, "key", "party_keys", record.kid)
