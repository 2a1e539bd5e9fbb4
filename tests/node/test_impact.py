"""`impact` over a registry: Korea's node asks what the end of the GSOMIA at midnight on
23 Nov 2019 would do to what it sent and received (Art 21, Rule 13), recording nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gsomia.core.errors import UnknownAgreement
from gsomia.errors import InvalidRequest
from gsomia.node.commands import items, persons, whatif
from gsomia.node.context import Node
from gsomia.store import tables

GSOMIA = "KOR-JPN-GSOMIA-2016"
TISA = "KOR-JPN-USA-TISA-2014"
MIDNIGHT = "2019-11-23T00:00+09:00"


def rows(node: Node) -> dict[str, int]:
    with node.read() as tx:
        return {
            table.name: tx.connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (tables.ledger_entries, tables.decisions, tables.items, tables.releases)
        }


@pytest.fixture
def registry(node: Node) -> Node:
    """Korea's registry: three missile reports and one naval report released to Japan in 2017,
    two missile reports received from Japan in 2018, and three Korean readers."""
    for number in range(3):
        item = items.register_item(
            node,
            title=f"Missile {number}",
            marking="군사Ⅱ급비밀",
            topic="nk-missile",
            at="2017-03-01",
        )
        items.release_item(node, item.reference, "JPN", "2017-03-02")
    naval = items.register_item(
        node, title="Naval", marking="군사Ⅱ급비밀", topic="naval-operations", at="2017-03-01"
    )
    items.release_item(node, naval.reference, "JPN", "2017-03-02")
    for number in range(2):
        items.receive_item(
            node,
            title=f"Radar track {number}",
            originator="JPN",
            marking="極秘",
            topic="nk-missile",
            at="2018-05-01",
            sender="JPN",
        )
    persons.add_person(
        node, name="Kim", party=None, clearance="군사Ⅱ급비밀", need_to_know=["nk-missile"]
    )
    persons.add_person(
        node, name="Lee", party=None, clearance="군사Ⅱ급비밀", need_to_know=["naval-operations"]
    )
    persons.add_person(node, name="Park", party=None, clearance=None, need_to_know=["nk-missile"])
    return node


def test_the_end_of_the_gsomia_reroutes_missile_flows_stops_the_rest_and_records_nothing(
    registry: Node,
):
    before = rows(registry)
    view = whatif.impact(registry, GSOMIA, MIDNIGHT)
    assert rows(registry) == before, "an impact is a what-if: it records nothing"
    assert view.recorded is False
    assert (view.items_continuing, view.items_rerouted, view.items_stopped) == (0, 5, 1)
    assert view.items_protected == 2
    by_route = {(f.sender, f.to, f.topic): f for f in view.flows}
    out = by_route[("KOR", "JPN", "nk-missile")]
    assert (out.items, out.outcome) == (3, "rerouted")
    [route] = out.routes
    assert route.path == ["KOR", "USA", "JPN"] and route.via == TISA
    assert [(c.originator, c.to) for c in route.consents_required] == [("KOR", "JPN")]
    back = by_route[("JPN", "KOR", "nk-missile")]
    assert (back.items, back.outcome) == (2, "rerouted")
    assert back.routes[0].consents_required[0].originator == "JPN"
    naval = by_route[("KOR", "JPN", "naval-operations")]
    assert (naval.items, naval.outcome, naval.routes) == (1, "stops", [])
    assert "agreement_not_in_force" in [r.code for r in naval.direct.reasons]
    [held] = view.holdings
    assert (held.originator, held.marking, held.holder_marking) == ("JPN", "極秘", "군사Ⅱ급비밀")
    assert held.items == 2 and held.protected
    assert held.readers == ["Kim"], "clearance and need-to-know decide who still reads (Art 7)"
    assert held.article is not None and "21" in held.article


def test_an_agreement_nothing_was_sent_or_received_under_has_no_flows(registry: Node):
    """Korea is no party to the US–Japan GSOMIA: none of its flows or holdings depend on it."""
    view = whatif.impact(registry, "USA-JPN-GSOMIA-2007", MIDNIGHT)
    assert view.flows == [] and view.holdings == []
    assert (view.items_continuing, view.items_rerouted, view.items_stopped) == (0, 0, 0)


def test_an_unknown_agreement_is_named_with_the_known_ones(registry: Node):
    with pytest.raises(UnknownAgreement, match="known agreements: KOR-JPN-GSOMIA-2016"):
        whatif.impact(registry, "KOR-JPN-GSOMIA-2099", MIDNIGHT)


def test_a_hub_arrangement_is_refused_with_what_to_ask_instead(registry: Node):
    """Rule 13: hand-overs through the hub are recorded under each hop's bilateral agreement."""
    with pytest.raises(InvalidRequest, match="hub arrangement"):
        whatif.impact(registry, TISA, MIDNIGHT)
