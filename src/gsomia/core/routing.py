"""Legal paths for an item between two parties at an instant (Rule 13: hub arrangements).

A path is direct, under a bilateral agreement in force, or goes through the hub of an
arrangement such as TISA: the originator releases to the hub under their bilateral
agreement, and the hub forwards to the destination under its own, only within the
arrangement's topic scope and only with the originator's approval.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from gsomia.core.agreements import Agreement, AgreementBook
from gsomia.core.labels import Label
from gsomia.core.markings import Level
from gsomia.core.policy import decide_receipt, decide_release


@dataclass(frozen=True, slots=True)
class Hop:
    """One hand-over along a route, under one agreement."""

    sender: str
    recipient: str
    agreement: str
    recipient_level: Level
    """The marking the recipient gives its copy (Art 4 of the hop's agreement)."""
    label: Label
    """The label of the recipient's copy."""


@dataclass(frozen=True, slots=True)
class ConsentNeed:
    """An approval the originator gives before the hub forwards its item (TISA)."""

    originator: str
    to: str
    article: str | None


@dataclass(frozen=True, slots=True)
class Route:
    """One legal path for an item, with the agreements it runs under and the approvals it
    needs (Rule 13)."""

    path: tuple[str, ...]
    agreements: tuple[str, ...]
    hops: tuple[Hop, ...]
    consents_required: tuple[ConsentNeed, ...]
    via: str | None
    """The hub arrangement the path runs under, if any."""


def routes(book: AgreementBook, label: Label, destination: str, at: datetime) -> list[Route]:
    """Rule 13 (TISA): every legal path for the originator's item to `destination` at `at`,
    direct first, then through a hub within its scope and with the originator's approval."""
    found: list[Route] = []
    direct = decide_release(book, label, destination, at)
    if direct.allowed and direct.agreement is not None and direct.recipient_level is not None:
        hop = Hop(
            label.originator,
            destination,
            direct.agreement,
            direct.recipient_level,
            label.received_by(destination, direct.recipient_level),
        )
        found.append(Route((label.originator, destination), (direct.agreement,), (hop,), (), None))
    for arrangement in book.hubs_joining(label.originator, destination):
        route = _through_hub(book, arrangement, label, destination, at)
        if route is not None:
            found.append(route)
    return found


def _through_hub(
    book: AgreementBook,
    arrangement: Agreement,
    label: Label,
    destination: str,
    at: datetime,
) -> Route | None:
    hub = arrangement.hub
    if hub is None or not book.lifecycles[arrangement.id].in_force(at):
        return None
    if not arrangement.in_scope(label.topic):
        return None
    path = (label.originator, hub, destination)
    if label.releasable_to is None:
        # Releasing for the arrangement, the originator marks the item for its whole path.
        label = replace(label, releasable_to=frozenset(path))
    elif not set(path) <= label.releasable_to | {label.originator}:
        return None
    first = decide_release(book, label, hub, at)
    if not first.allowed or first.recipient_level is None or first.agreement is None:
        return None
    at_hub = label.received_by(hub, first.recipient_level)
    second = decide_receipt(book, at_hub, destination, at)
    if not second.allowed or second.recipient_level is None or second.agreement is None:
        return None
    at_destination = at_hub.received_by(destination, second.recipient_level)
    consents = (
        (ConsentNeed(label.originator, destination, arrangement.articles.forwarding),)
        if arrangement.forwarding_requires_originator_approval
        else ()
    )
    return Route(
        path,
        (arrangement.id, first.agreement, second.agreement),
        (
            Hop(label.originator, hub, first.agreement, first.recipient_level, at_hub),
            Hop(hub, destination, second.agreement, second.recipient_level, at_destination),
        ),
        consents,
        arrangement.id,
    )
