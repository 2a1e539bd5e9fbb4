"""Recording in the registry and logging in the ledger, as one act.

Every decision, lifecycle event, item, release, receipt, consent, person and key change goes
through here: the store writes it and the ledger appends an entry for it in the same
transaction, so one never commits without the other.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from gsomia.core.agreements import Event
from gsomia.core.policy import Decision
from gsomia.crypto.keys import KeyRecord, fingerprint
from gsomia.ledger import log
from gsomia.store import decisions, documents
from gsomia.store import keys as key_store
from gsomia.store import registry as records


def _log(connection: Connection, kind: str, body: dict[str, Any], at: datetime) -> int:
    return log.append(connection, [(kind, body)], at)[0]


def _instant(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def decision(
    connection: Connection,
    *,
    kind: str,
    at: datetime,
    decided: Decision,
    request: dict[str, Any],
    recorded_at: datetime,
    item_id: int | None = None,
    person_id: int | None = None,
) -> int:
    decision_id = decisions.record(
        connection,
        kind=kind,
        at=at,
        decision=decided,
        request=request,
        recorded_at=recorded_at,
        item_id=item_id,
        person_id=person_id,
    )
    body = {
        "decision": decision_id,
        "kind": kind,
        "at": _instant(at),
        "allowed": decided.allowed,
        "agreement": decided.agreement,
        "recipient_marking": decided.recipient_level.marking if decided.recipient_level else None,
        "reasons": [
            {
                "code": r.code.value,
                "agreement": r.agreement,
                "article": r.article,
                "message": r.message,
            }
            for r in decided.reasons
        ],
        "request": request,
        "item": item_id,
        "person": person_id,
    }
    _log(connection, "decision", body, recorded_at)
    return decision_id


def event(connection: Connection, recorded: Event, source: str, recorded_at: datetime) -> int:
    event_id = documents.add_event(connection, recorded, source, recorded_at)
    body = {
        "event": event_id,
        "agreement": recorded.agreement,
        "kind": recorded.kind.value,
        "by": recorded.by,
        "at": _instant(recorded.at),
        "note": recorded.note,
        "source": source,
    }
    _log(connection, "lifecycle_event", body, recorded_at)
    return event_id


def document(
    connection: Connection, kind: str, key: str, text: str, origin: str, recorded_at: datetime
) -> str:
    outcome = documents.save_document(connection, kind, key, text, origin)
    if outcome != "unchanged":
        body = {
            "kind": kind,
            "key": key,
            "outcome": outcome,
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
            "origin": origin,
        }
        _log(connection, "reference_document", body, recorded_at)
    return outcome


def setting(connection: Connection, key: str, value: str, recorded_at: datetime) -> None:
    if documents.setting(connection, key) != value:
        documents.set_setting(connection, key, value)
        _log(connection, "setting", {"key": key, "value": value}, recorded_at)


def item(connection: Connection, recorded_at: datetime, **values: Any) -> int:
    item_id = records.add_item(connection, recorded_at=recorded_at, **values)
    stored = records.item(connection, item_id)
    body = {
        "item": item_id,
        "reference": stored.reference,
        "originator": stored.originator,
        "marking": stored.marking,
        "english": stored.english,
        "topic": stored.topic,
        "holder": stored.holder,
        "holder_marking": stored.holder_marking,
        "received_from": stored.received_from,
        "releasable_to": sorted(stored.releasable_to) if stored.releasable_to is not None else None,
        "registered_at": _instant(stored.registered_at),
        "sealed_sha256": stored.sealed_sha256,
    }
    _log(connection, "receipt" if stored.received_from else "item", body, recorded_at)
    return item_id


def release(connection: Connection, recorded_at: datetime, **values: Any) -> int:
    release_id = records.add_release(connection, **values)
    body = {"release": release_id, **values, "at": _instant(values["at"])}
    _log(connection, values["kind"], body, recorded_at)
    return release_id


def consent(connection: Connection, recorded_at: datetime, **values: Any) -> int:
    consent_id = records.add_consent(connection, recorded_at=recorded_at, **values)
    body = {
        "consent": consent_id,
        **values,
        "granted_at": _instant(values["granted_at"]),
        "expires_at": _instant(values.get("expires_at")),
    }
    _log(connection, "consent", body, recorded_at)
    return consent_id


def person(connection: Connection, recorded_at: datetime, **values: Any) -> int:
    person_id = records.add_person(connection, recorded_at=recorded_at, **values)
    body = {
        "person": person_id,
        "name": values["name"],
        "party": values["party"],
        "position": values["position"],
        "clearance": values["clearance"],
        "need_to_know": sorted(values["need_to_know"]),
    }
    _log(connection, "person", body, recorded_at)
    return person_id


def need_to_know(
    connection: Connection, person_id: int, topics: frozenset[str], recorded_at: datetime
) -> None:
    records.set_need_to_know(connection, person_id, topics)
    _log(connection, "need_to_know", {"person": person_id, "topics": sorted(topics)}, recorded_at)


def key(connection: Connection, record: KeyRecord, action: str, recorded_at: datetime) -> None:
    """A key added (generated or imported), retired or destroyed; never its private part."""
    if action in ("generated", "imported"):
        key_store.add_key(connection, record, "local" if action == "generated" else "imported")
    elif action == "retired":
        key_store.retire(connection, record.kid, recorded_at)
    elif action == "destroyed":
        key_store.destroy(connection, record.kid)
    else:
        raise ValueError(f"unknown key action {action}")
    body = {
        "kid": record.kid,
        "party": record.party,
        "purpose": record.purpose.value,
        "action": action,
        "fingerprint": fingerprint(record.public_pem),
    }
    _log(connection, "key", body, recorded_at)
