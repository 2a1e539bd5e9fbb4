"""Setting a registry up: the schema, reference data, the node's party, agreements, histories.

Creating and migrating the schema and loading the built-in reference data happen here only
(`init`, `migrate`), never when a registry is opened for other work. Both are idempotent and
take turns when two run at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from gsomia.core.agreements import Agreement, AgreementBook
from gsomia.core.markings import Scheme
from gsomia.errors import Conflict, InvalidEvent
from gsomia.node import journal
from gsomia.node.context import PARTY, TIME_ZONE, Node, Tx, check_zone
from gsomia.node.schemas import HistoryLoadedView, InitView, LoadedView
from gsomia.reference import (
    builtin_files,
    history_path,
    parse_agreement,
    parse_history,
    parse_scheme,
    read_text,
)
from gsomia.store import database, documents


@dataclass
class LoadReport:
    """What a load changed, per kind of document: added, updated, unchanged."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, kind: str, outcome: str) -> None:
        per_kind = self.counts.setdefault(kind, {"added": 0, "updated": 0, "unchanged": 0})
        per_kind[outcome] += 1


def init(
    node: Node, schema_before: str | None, party: str | None, time_zone: str | None
) -> InitView:
    """Load the reference data and set the node's party and zone, in one transaction, after
    `Node.create` made or migrated the schema. A registry's party never changes."""
    if time_zone is not None:
        check_zone(time_zone)
    with node.write() as tx:
        report = load_reference(tx)
        if party is not None:
            code = tx.known_party(party)
            current = tx.party
            if current is not None and current != code:
                raise Conflict(
                    f"this registry belongs to {current}; a registry's party never changes "
                    f"(it cannot become {code})",
                    subject="party",
                )
            journal.setting(tx, PARTY, code)
        if time_zone is not None:
            journal.setting(tx, TIME_ZONE, time_zone)
        return InitView(
            database=node.name,
            party=tx.party,
            time_zone=tx.time_zone.key,
            created=schema_before is None,
            schema_before=schema_before,
            schema_now=database.SCHEMA,
            loaded=report.counts,
        )


def load_reference(tx: Tx) -> LoadReport:
    """Load the built-in schemes and agreements, all validated before anything is stored."""
    report = LoadReport()
    scheme_texts = [(path, read_text(path)) for path in builtin_files("schemes")]
    agreement_texts = [(path, read_text(path)) for path in builtin_files("agreements")]
    schemes = [parse_scheme(text, str(path)) for path, text in scheme_texts]
    by_party = {scheme.party: scheme for scheme in schemes}
    agreements = [parse_agreement(text, str(path), by_party) for path, text in agreement_texts]
    _check_against_events(tx, schemes, agreements)
    for (path, text), scheme in zip(scheme_texts, schemes, strict=True):
        report.count("schemes", journal.document(tx, "schemes", scheme.party, text, path.name))
    for (path, text), agreement in zip(agreement_texts, agreements, strict=True):
        report.count(
            "agreements", journal.document(tx, "agreements", agreement.id, text, path.name)
        )
    return report


def load_agreement_file(node: Node, path: Path) -> LoadedView:
    """Add or update an agreement from a YAML file, checked against the recorded events."""
    text = read_text(path)
    with node.write() as tx:
        book = tx.book
        agreement = parse_agreement(text, str(path), book.schemes)
        others = [a for a in book.agreements.values() if a.id != agreement.id]
        _check_against_events(tx, book.schemes.values(), [*others, agreement])
        outcome = journal.document(tx, "agreements", agreement.id, text, path.name)
    return LoadedView(agreement=agreement.id, outcome=outcome)


def _check_against_events(tx: Tx, schemes: Iterable[Scheme], agreements: list[Agreement]) -> None:
    """Changed terms must still accept every recorded event, or nothing is stored."""
    stored = [s.event for s in documents.events(tx.connection)]
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


def load_history(node: Node, name: str) -> HistoryLoadedView:
    """Record a history's events (a built-in name or a YAML path), all or nothing.

    Events already recorded are skipped, so loading a history twice changes nothing.
    """
    path = history_path(name)
    text = read_text(path)
    with node.write() as tx:
        book = tx.book
        history_id, events = parse_history(text, str(path), book.agreements)
        added = []
        for event in events:
            if book.lifecycle(event.agreement).records(event):
                continue
            try:
                book = book.with_event(event)
            except InvalidEvent as exc:
                raise InvalidEvent(f"{path}: {exc.message}") from None
            added.append(event)
        for event in added:
            journal.event(tx, event, f"history:{history_id}")
    return HistoryLoadedView(history=history_id, events_added=len(added))
