"""What-if evaluations: decisions and routes for hypothetical items, changing nothing.

These answer an analyst's question ("could KOR release a SECRET item to JPN at midnight on
22 Nov 2019?") from the agreements and events in the registry. Nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from gsomia.core.labels import Label, check_topic
from gsomia.core.policy import Decision, Reader, decide_access, decide_release
from gsomia.core.routing import Route, routes
from gsomia.node.registry import Registry

GENERAL_TOPIC = "general"
"""The topic of a question that names none: valid, and outside every topic-scoped arrangement."""


def release(
    registry: Registry, sender: str, recipient: str, marking: str, topic: str, at: datetime
) -> Decision:
    label = registry.label(sender, marking, topic)
    return decide_release(registry.book(), label, registry.known_party(recipient), at)


def access(
    registry: Registry,
    *,
    reader_party: str,
    clearance: str | None,
    need_to_know: Iterable[str],
    originator: str,
    marking: str,
    topic: str,
    at: datetime,
    held_by: str | None = None,
    position: str = "",
) -> Decision:
    """May a reader of `reader_party` see an item `originator` marked `marking`?

    The item is taken as held by the reader's party unless `held_by` names another holder.
    """
    book = registry.book()
    party = registry.known_party(reader_party)
    label = registry.label(originator, marking, topic)
    holder = registry.known_party(held_by) if held_by else party
    if holder != label.originator:
        label = Label(label.originator, label.level, topic, holder=holder)
    reader = Reader(
        party,
        book.scheme(party).read(clearance) if clearance else None,
        frozenset(check_topic(topic) for topic in need_to_know),
        position,
    )
    return decide_access(book, reader, label, at)


def legal_routes(
    registry: Registry, sender: str, recipient: str, marking: str, topic: str, at: datetime
) -> list[Route]:
    label = registry.label(sender, marking, topic)
    return routes(registry.book(), label, registry.known_party(recipient), at)
