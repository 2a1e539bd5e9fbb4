"""The registry is bound to its ledger: attacks by someone who can edit the database.

Each attack edits tables directly, around gsomia. An allowing decision that relies on an
edited row is refused at the moment of use (exit 1: verification failed), and `verify`
names the table, the row and the field.
"""

import pytest
from sqlalchemy import delete, insert, update

from gsomia.core.agreements import EventKind
from gsomia.demo import forgery
from gsomia.ledger.errors import RowNotAttested
from gsomia.node.commands import items, ledger, lifecycle, persons
from gsomia.store import tables

GSOMIA = "KOR-JPN-GSOMIA-2016"


def url(node):
    return node.url.render_as_string(hide_password=False)


def edit(node, statement):
    with node.engine.begin() as connection:
        connection.execute(statement)


def received_item(node):
    """A Japanese SECRET item KOR holds, and a reader without clearance enough to read it."""
    copy = items.receive_item(
        node,
        title="Splash-down points",
        originator="JPN",
        marking="極秘",
        topic="nk-missile",
        at="2017-03-07",
    )
    assert copy.item is not None
    reader = persons.add_person(
        node, name="Park", party=None, clearance="III", need_to_know=["nk-missile"]
    )
    return copy.item.reference, reader.id


def test_a_clearance_raised_in_the_database_is_refused_at_use_and_named_by_verify(node):
    reference, reader = received_item(node)
    assert not items.access_item(node, reference, reader, "2017-04-01").allowed
    forgery.edit_row(url(node), "persons", reader, clearance="군사Ⅱ급비밀")
    with pytest.raises(
        RowNotAttested, match=r"persons row \d+ differs from the ledger in clearance"
    ):
        items.access_item(node, reference, reader, "2017-04-01")
    report = ledger.verify(node)
    assert not report.ok
    [problem] = [p for p in report.problems if p.table == "persons"]
    assert (problem.kind, problem.key, problem.fields) == (
        "row-altered",
        str(reader),
        ["clearance"],
    )


def test_need_to_know_inserted_in_the_database_is_refused(node):
    reference, _ = received_item(node)
    general = persons.add_person(node, name="Choi", party=None, clearance="I", need_to_know=[])
    forgery.grant_need_to_know(url(node), general.id, "nk-missile")
    with pytest.raises(RowNotAttested, match="need_to_know"):
        items.access_item(node, reference, general.id, "2017-04-01")


def test_a_denial_needs_no_attestation_and_is_still_recorded(node):
    reference, reader = received_item(node)
    forgery.edit_row(url(node), "persons", reader, position="edited")
    assert not items.access_item(node, reference, reader, "2017-04-01").allowed


def test_an_item_relabelled_in_the_database_is_refused_at_release(node):
    item = items.register_item(
        node, title="Strike plan annex", marking="I", topic="nk-nuclear", at="2017-05-15"
    )
    assert not items.release_item(node, item.reference, "JPN", "2017-05-16").allowed
    forgery.edit_row(url(node), "items", item.id, marking="군사Ⅱ급비밀", english="SECRET")
    with pytest.raises(RowNotAttested, match="items row"):
        items.release_item(node, item.reference, "JPN", "2017-05-16")


def test_a_notice_deleted_from_the_database_is_refused_before_any_release(node):
    lifecycle.record_event(node, GSOMIA, EventKind.TERMINATION_NOTICE, "KOR", "2019-08-23")
    item = items.register_item(
        node, title="Missile data", marking="II", topic="nk-missile", at="2019-11-01"
    )
    after = "2019-12-01"
    assert not items.release_item(node, item.reference, "JPN", after).allowed
    edit(node, delete(tables.agreement_events))
    edit(
        node,
        update(tables.registry_state).values(generation=tables.registry_state.c.generation + 1),
    )
    with pytest.raises(RowNotAttested):
        items.release_item(node, item.reference, "JPN", after)
    problems = {p.kind for p in ledger.verify(node).problems}
    assert "row-missing" in problems


def test_a_row_inserted_around_the_ledger_is_refused_and_reported(node):
    edit(
        node,
        insert(tables.persons).values(
            id=999, name="Ghost", party="KOR", position="", clearance="I", recorded_at=node.now()
        ),
    )
    edit(node, insert(tables.need_to_know).values(person_id=999, topic="nk-missile"))
    reference, _ = received_item(node)
    with pytest.raises(RowNotAttested, match="not in the ledger"):
        items.access_item(node, reference, 999, "2017-04-01")
    [problem] = [p for p in ledger.verify(node).problems if p.table == "persons"]
    assert problem.kind == "row-not-in-ledger"


def test_an_emptied_ledger_is_not_reported_intact(node):
    received_item(node)
    edit(node, delete(tables.ledger_nodes))
    edit(node, delete(tables.ledger_entries))
    report = ledger.verify(node)
    assert not report.ok
    assert report.size == 0
    assert {p.kind for p in report.problems} == {"row-not-in-ledger"}
    assert report.rows_checked > 0


def test_an_entry_rewritten_with_its_row_still_fails_its_leaf_hash(node):
    reference, reader = received_item(node)
    found = ledger.entries(node, 0, 10_000)
    position = next(e.position for e in found if e.body.get("table") == "persons")
    forgery.edit_row(url(node), "persons", reader, clearance="군사Ⅱ급비밀")
    forgery.rewrite_entry(url(node), position, clearance="군사Ⅱ급비밀")
    with pytest.raises(RowNotAttested, match="was altered"):
        items.access_item(node, reference, reader, "2017-04-01")


def test_an_untouched_registry_verifies_row_by_row(node):
    received_item(node)
    report = ledger.verify(node)
    assert report.ok, report.problems
    assert report.rows_checked >= 10
