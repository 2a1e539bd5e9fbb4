"""What-if evaluations: decisions and routes for hypothetical items, recording nothing.

They answer an analyst's question ("could KOR release a SECRET item to JPN at midnight on
22 Nov 2019?", "what if the GSOMIA were no longer in force from then?") from the agreements
and events in the registry and, for the impact, from what it holds and sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from gsomia.core.agreements import AgreementBook, Kind
from gsomia.core.impact import Flow, Holding
from gsomia.core.impact import impact as core_impact
from gsomia.core.labels import Label, check_topic
from gsomia.core.policy import Reader, decide_access, decide_release
from gsomia.core.routing import routes
from gsomia.errors import InvalidRequest
from gsomia.node.commands import items
from gsomia.node.context import Node, When
from gsomia.node.schemas import AccessDecisionView, DecisionView, ImpactView, RouteView
from gsomia.store import registry


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


def impact(node: Node, agreement_id: str, at: When) -> ImpactView:
    """If the agreement were no longer in force from `at`: what becomes of every flow this
    registry had under it and who may still read what it received (Art 21, Rule 13). Rows are
    grouped in the database by everything a decision depends on, each group decided once."""
    with node.read() as tx:
        book = tx.book
        agreement = book.agreement(agreement_id.strip())
        if agreement.kind is Kind.HUB:
            raise InvalidRequest(
                f"{agreement.id} is a hub arrangement: hand-overs through it are recorded under "
                "the bilateral agreements of each hop; ask the impact of those, and the routes "
                "for what the hub carries"
            )
        instant = tx.instant(at, *agreement.parties)
        own = tx.own_party()
        flows: list[Flow] = []
        for group in registry.released_groups(tx.connection, agreement.id):
            flows.append(Flow(group_label(book, group, held=False), str(group.party), group.items))
        holdings: list[Holding] = []
        if own in agreement.parties:
            others = [p for p in agreement.parties if p != own]
            for group in registry.held_groups(tx.connection, own, others):
                holdings.append(Holding(group_label(book, group, held=True), group.items))
                if group.party == group.originator:
                    flows.append(Flow(group_label(book, group, held=False), own, group.items))
        readers = {p.name: items.reader_of(book, p) for p in registry.persons(tx.connection)}
        found = core_impact(book, agreement.id, instant, flows, holdings, readers)
    return ImpactView.of(found)


def group_label(book: AgreementBook, group: registry.ItemGroup, *, held: bool) -> Label:
    """The group's label: as its holder holds it, or as its originator releases it. A received
    copy whose releasability is only its originator and its holder shows no restriction beyond
    what receipt gives every copy (Rule 6): a like item is taken as released unrestricted."""
    label = items.stored_label(book, group)
    if held or label.holder is None:
        return label
    releasable = label.releasable_to
    if releasable is not None and releasable <= {group.originator, group.holder}:
        releasable = None
    return replace(label, releasable_to=releasable, holder=None, holder_level=None)
