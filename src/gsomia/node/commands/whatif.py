"""What-if evaluations: decisions and routes for hypothetical items, recording nothing.

They answer an analyst's question ("could KOR release a SECRET item to JPN at midnight on
22 Nov 2019?") from the agreements and events in the registry.
"""

from __future__ import annotations

from collections.abc import Iterable

from gsomia.core.labels import Label, check_topic
from gsomia.core.policy import Reader, decide_access, decide_release
from gsomia.core.routing import routes
from gsomia.node.context import Node, When
from gsomia.node.schemas import AccessDecisionView, DecisionView, RouteView


def release(
    node: Node, sender: str, recipient: str, marking: str, topic: str, at: When
) -> DecisionView:
    """May the originator release an item of this marking and topic to the recipient?"""
    with node.read() as tx:
        label = tx.label(sender, marking, topic)
        to = tx.known_party(recipient)
        instant = tx.instant(at, label.originator, to)
        return DecisionView.of(decide_release(tx.book, label, to, instant))


def access(
    node: Node,
    *,
    reader_party: str,
    clearance: str | None,
    need_to_know: Iterable[str],
    originator: str,
    marking: str,
    topic: str,
    at: When,
    held_by: str | None = None,
    position: str = "",
) -> AccessDecisionView:
    """May a reader of `reader_party` see an item `originator` marked `marking`? The item is
    taken as held by the reader's party unless `held_by` names another holder."""
    with node.read() as tx:
        book = tx.book
        party = tx.known_party(reader_party)
        label = tx.label(originator, marking, topic)
        holder = tx.known_party(held_by) if held_by else party
        if holder != label.originator:
            label = Label(label.originator, label.level, topic, holder=holder)
        reader = Reader(
            party,
            book.scheme(party).read(clearance) if clearance else None,
            frozenset(check_topic(t) for t in need_to_know),
            position,
        )
        instant = tx.instant(at, label.originator, party)
        return AccessDecisionView.of(decide_access(book, reader, label, instant))


def legal_routes(
    node: Node, sender: str, recipient: str, marking: str, topic: str, at: When
) -> list[RouteView]:
    """Every legal path for such an item between two parties at an instant."""
    with node.read() as tx:
        label = tx.label(sender, marking, topic)
        to = tx.known_party(recipient)
        instant = tx.instant(at, label.originator, to)
        return [RouteView.of(route) for route in routes(tx.book, label, to, instant)]
