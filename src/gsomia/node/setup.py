"""Setting a registry up: reference data, the node's own party, agreement files, histories."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection

from gsomia.core.agreements import Agreement, AgreementBook
from gsomia.core.markings import Scheme
from gsomia.errors import Conflict, InvalidEvent
from gsomia.node import journal
from gsomia.node.registry import PARTY, TIME_ZONE, Registry, check_zone
from gsomia.reference import (
    builtin_files,
    history_path,
    parse_agreement,
    parse_history,
    parse_scheme,
    read_text,
)
from gsomia.store import documents


@dataclass
class LoadReport:
    """What a load changed, per kind of document: added, updated, unchanged."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, kind: str, outcome: str) -> None:
        per_kind = self.counts.setdefault(kind, {"added": 0, "updated": 0, "unchanged": 0})
        per_kind[outcome] += 1


def load_reference(registry: Registry) -> LoadReport:
    """Load the built-in schemes and agreements, all validated before anything is stored."""
    report = LoadReport()
    scheme_texts = [(path, read_text(path)) for path in builtin_files("schemes")]
    agreement_texts = [(path, read_text(path)) for path in builtin_files("agreements")]
    schemes = [parse_scheme(text, str(path)) for path, text in scheme_texts]
    by_party = {scheme.party: scheme for scheme in schemes}
    agreements = [parse_agreement(text, str(path), by_party) for path, text in agreement_texts]
    now = registry.now()
    with registry.transaction() as connection:
        _check_against_events(connection, schemes, agreements)
        for (path, text), scheme in zip(scheme_texts, schemes, strict=True):
            outcome = journal.document(connection, "schemes", scheme.party, text, path.name, now)
            report.count("schemes", outcome)
        for (path, text), agreement in zip(agreement_texts, agreements, strict=True):
            outcome = journal.document(connection, "agreements", agreement.id, text, path.name, now)
            report.count("agreements", outcome)
    registry.changed()
    return report


def init(registry: Registry, party: str | None = None, time_zone: str | None = None) -> LoadReport:
    """Load reference data and set the node's party and zone (opening migrated the schema)."""
    if party is not None:
        party = registry.known_party(party)
    if time_zone is not None:
        check_zone(time_zone)
    report = load_reference(registry)
    with registry.transaction() as connection:
        if party is not None:
            journal.setting(connection, PARTY, party, registry.now())
        if time_zone is not None:
            journal.setting(connection, TIME_ZONE, time_zone, registry.now())
    registry.changed()
    return report


def load_agreement_file(registry: Registry, path: Path) -> tuple[str, str]:
    """Add or update an agreement from a YAML file; returns (id, added|updated|unchanged)."""
    text = read_text(path)
    book = registry.book()
    agreement = parse_agreement(text, str(path), book.schemes)
    others = [a for a in book.agreements.values() if a.id != agreement.id]
    with registry.transaction() as connection:
        _check_against_events(connection, book.schemes.values(), [*others, agreement])
        outcome = journal.document(
            connection, "agreements", agreement.id, text, path.name, registry.now()
        )
    registry.changed()
    return agreement.id, outcome


def _check_against_events(
    connection: Connection, schemes: Iterable[Scheme], agreements: list[Agreement]
) -> None:
    """Changed terms must still accept every recorded event, or nothing is stored."""
    stored = [s.event for s in documents.events(connection)]
    known = {agreement.id for agreement in agreements}
    orphaned = sorted({event.agreement for event in stored} - known)
    if orphaned:
        raise Conflict(
            f"events are recorded for agreements no longer defined: {', '.join(orphaned)}"
        )
    try:
        AgreementBook(schemes, agreements, stored)
    except InvalidEvent as exc:
        raise Conflict(
            f"the new agreement terms contradict recorded events: {exc.message}"
        ) from None


def load_history(registry: Registry, name: str) -> tuple[str, int]:
    """Record a history's events (a built-in name or a YAML path), all or nothing.

    Events already recorded are skipped, so loading a history twice changes nothing.
    Returns the history's id and the number of events added.
    """
    path = history_path(name)
    book = registry.book()
    history_id, events = parse_history(read_text(path), str(path), book.agreements)
    added = []
    for event in events:
        if book.lifecycle(event.agreement).records(event):
            continue
        try:
            book = book.with_event(event)
        except InvalidEvent as exc:
            raise InvalidEvent(f"{path}: {exc.message}") from None
        added.append(event)
    now = registry.now()
    with registry.transaction() as connection:
        for event in added:
            journal.event(connection, event, f"history:{history_id}", now)
    registry.changed()
    return history_id, len(added)
