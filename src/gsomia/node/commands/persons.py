"""Persons of the registry's party: their clearances and need-to-know (Art 7)."""

from __future__ import annotations

from collections.abc import Iterable

from gsomia.core.labels import check_topic
from gsomia.errors import InvalidRequest
from gsomia.node import journal
from gsomia.node.context import Node
from gsomia.node.schemas import PersonView
from gsomia.store import registry as register
from gsomia.store.registry import NewPerson


def add_person(
    node: Node,
    *,
    name: str,
    party: str | None,
    clearance: str | None,
    need_to_know: Iterable[str],
    position: str = "",
) -> PersonView:
    """Register a person with the clearance granted under their party's law (Art 7)."""
    if not name.strip():
        raise InvalidRequest("a person needs a name")
    topics = frozenset(check_topic(topic) for topic in need_to_know)
    with node.write() as tx:
        code = tx.known_party(party) if party else tx.own_party()
        level = tx.book.scheme(code).read(clearance) if clearance else None
        person_id = journal.person(
            tx,
            NewPerson(
                name=name.strip(),
                party=code,
                position=position.strip(),
                clearance=level.marking if level else None,
                need_to_know=topics,
                recorded_at=tx.now,
            ),
        )
        return PersonView.of(register.person(tx.connection, person_id), tx.time_zone)


def grant_need_to_know(node: Node, person_id: int, topics: Iterable[str]) -> PersonView:
    """Add topics of official need to a person."""
    added = frozenset(check_topic(topic) for topic in topics)
    with node.write() as tx:
        person = register.person(tx.connection, person_id)
        journal.need_to_know(tx, person_id, person.need_to_know | added)
        return PersonView.of(register.person(tx.connection, person_id), tx.time_zone)
