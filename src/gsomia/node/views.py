"""The machine-readable shapes of gsomia's answers, shared by the CLI's --json and the API.

Instants carry their offset: agreement instants in the agreement's legal time zone, registry
records in the registry's zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from gsomia.core.agreements import Agreement, Notice, Status
from gsomia.core.markings import Scheme
from gsomia.core.policy import Decision, Reason
from gsomia.core.routing import Route
from gsomia.crypto.keys import KeyRecord, fingerprint
from gsomia.node.lifecycle import Recorded
from gsomia.store.decisions import DecisionRecord
from gsomia.store.registry import ConsentRecord, ItemRecord, PersonRecord, ReleaseRecord

JSON = dict[str, Any]


def instant(at: datetime | None, zone: ZoneInfo) -> str | None:
    return at.astimezone(zone).isoformat() if at is not None else None


def last_day(end: datetime | None, zone: ZoneInfo) -> str | None:
    """The last whole day before an exclusive end (the day a deadline or term runs out)."""
    if end is None:
        return None
    return (end.astimezone(zone) - timedelta(microseconds=1)).date().isoformat()


def scheme(s: Scheme) -> JSON:
    return {
        "party": s.party,
        "name": s.name,
        "levels": [
            {
                "rank": level.rank,
                "marking": level.marking,
                "romanised": level.romanised,
                "english": level.english,
            }
            for level in s.by_rank()
        ],
    }


def agreement(a: Agreement) -> JSON:
    zone = a.legal_time_zone
    return {
        "id": a.id,
        "title": a.title,
        "kind": a.kind.value,
        "parties": list(a.parties),
        "hub": a.hub,
        "signed": a.signed,
        "entry_into_force": instant(a.entry_into_force, zone),
        "legal_time_zone": zone.key,
        "term": (
            {"months": a.term.months, "automatic_renewal": a.term.automatic_renewal}
            if a.term
            else None
        ),
        "notice": (
            {
                "days": a.notice.days,
                "channel": a.notice.channel,
                "reactivation": a.notice.reactivation.value,
            }
            if a.notice
            else None
        ),
        "protection_survives_termination": a.protection_survives_termination,
        "topics": sorted(a.topics) if a.topics is not None else "all",
        "forwarding_requires_originator_approval": a.forwarding_requires_originator_approval,
        "equivalence": [
            {"english": row.english, **{p: list(m) for p, m in row.markings.items()}}
            for row in a.equivalences
        ],
        "articles": {
            "term": a.articles.term,
            "equivalence": a.articles.equivalence,
            "third_party": a.articles.third_party,
            "access": a.articles.access,
            "survival": a.articles.survival,
            "scope": a.articles.scope,
            "forwarding": a.articles.forwarding,
        },
        "source": a.source,
    }


def notice(n: Notice | None, zone: ZoneInfo) -> JSON | None:
    if n is None:
        return None
    return {
        "by": n.by,
        "delivered_at": instant(n.delivered_at, zone),
        "takes_effect_at": instant(n.takes_effect_at, zone),
        "late": n.late,
        "suspended": n.suspended,
    }


def status(s: Status, zone: ZoneInfo) -> JSON:
    return {
        "agreement": s.agreement,
        "at": instant(s.at, zone),
        "state": s.state.value,
        "in_force": s.in_force,
        "term_start": instant(s.term_start, zone),
        "term_end": instant(s.term_end, zone),
        "term_last_day": last_day(s.term_end, zone),
        "notice_deadline": instant(s.notice_deadline, zone),
        "notice_deadline_date": last_day(s.notice_deadline, zone),
        "terminates_at": instant(s.terminates_at, zone),
        "notice": notice(s.notice, zone),
    }


def recorded_event(r: Recorded) -> JSON:
    zone = r.agreement.legal_time_zone
    event = r.event
    view: JSON = {
        "agreement": event.agreement,
        "event": event.kind.value,
        "by": event.by,
        "at": instant(event.at, zone),
        "state": r.status.state.value,
    }
    if r.notice is not None and not r.notice.suspended:
        view["takes_effect_at"] = instant(r.notice.takes_effect_at, zone)
        view["late"] = r.notice.late
        view["notice_deadline"] = instant(r.notice.deadline, zone)
        view["notice_deadline_date"] = last_day(r.notice.deadline, zone)
    return view


def key(k: KeyRecord, own_party: str | None) -> JSON:
    return {
        "kid": k.kid,
        "party": k.party,
        "purpose": k.purpose.value,
        "algorithm": k.algorithm,
        "status": k.status.value,
        "own": k.party == own_party,
        "fingerprint": fingerprint(k.public_pem),
        "created_at": k.created_at.isoformat(),
        "retired_at": k.retired_at.isoformat() if k.retired_at else None,
    }


def reason(r: Reason) -> JSON:
    return {
        "code": r.code.value,
        "agreement": r.agreement,
        "article": r.article,
        "message": r.message,
    }


def decision(d: Decision) -> JSON:
    return {
        "allowed": d.allowed,
        "agreement": d.agreement,
        "recipient_marking": d.recipient_level.marking if d.recipient_level else None,
        "equivalent": d.equivalent,
        "reasons": [reason(r) for r in d.reasons],
    }


def route(r: Route) -> JSON:
    return {
        "path": list(r.path),
        "agreements": list(r.agreements),
        "via": r.via,
        "consents_required": [
            {"originator": c.originator, "to": c.to, "article": c.article}
            for c in r.consents_required
        ],
        "hops": [
            {
                "from": hop.sender,
                "to": hop.recipient,
                "agreement": hop.agreement,
                "recipient_marking": hop.recipient_level.marking,
                "equivalent": hop.recipient_level.english,
                "releasable_to": sorted(hop.label.releasable_to or ()),
            }
            for hop in r.hops
        ],
    }


def person(p: PersonRecord, zone: ZoneInfo) -> JSON:
    return {
        "id": p.id,
        "name": p.name,
        "party": p.party,
        "position": p.position,
        "clearance": p.clearance,
        "need_to_know": sorted(p.need_to_know),
        "recorded_at": instant(p.recorded_at, zone),
    }


def item(i: ItemRecord, zone: ZoneInfo) -> JSON:
    return {
        "id": i.id,
        "reference": i.reference,
        "title": i.title,
        "originator": i.originator,
        "marking": i.marking,
        "english": i.english,
        "topic": i.topic,
        "purpose": i.purpose,
        "releasable_to": sorted(i.releasable_to) if i.releasable_to is not None else None,
        "caveats": list(i.caveats),
        "holder": i.holder,
        "holder_marking": i.holder_marking,
        "received_from": i.received_from,
        "originator_reference": i.originator_reference,
        "registered_at": instant(i.registered_at, zone),
        "sealed": {"sha256": i.sealed_sha256, "size": i.sealed_size} if i.sealed_sha256 else None,
    }


def release(r: ReleaseRecord, zone: ZoneInfo) -> JSON:
    return {
        "id": r.id,
        "item_id": r.item_id,
        "kind": r.kind,
        "from": r.from_party,
        "to": r.to_party,
        "at": instant(r.at, zone),
        "agreement": r.agreement_id,
        "recipient_marking": r.recipient_marking,
        "decision_id": r.decision_id,
        "sealed": {"sha256": r.sealed_sha256, "size": r.sealed_size} if r.sealed_sha256 else None,
    }


def consent(c: ConsentRecord, zone: ZoneInfo) -> JSON:
    return {
        "id": c.id,
        "item_id": c.item_id,
        "originator": c.originator,
        "to": c.recipient,
        "granted_at": instant(c.granted_at, zone),
        "expires_at": instant(c.expires_at, zone),
        "reference": c.reference,
    }


def decision_record(d: DecisionRecord, zone: ZoneInfo) -> JSON:
    return {
        "id": d.id,
        "kind": d.kind,
        "at": instant(d.at, zone),
        "allowed": d.allowed,
        "agreement": d.agreement_id,
        "item_id": d.item_id,
        "person_id": d.person_id,
        "request": d.request,
        "reasons": [reason(r) for r in d.reasons],
        "recorded_at": instant(d.recorded_at, zone),
    }
