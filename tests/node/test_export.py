"""STIX exports: a partner's bundle holds only what the agreements let go to it, as its
release would, each item decided and recorded; the bundle reads back as it was written."""

import io
import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gsomia.core.agreements import EventKind
from gsomia.core.policy import Code, decide_release
from gsomia.errors import InvalidRequest, UnknownParty
from gsomia.formats import stix
from gsomia.node import queries
from gsomia.node.commands import consents, custody, export, items, lifecycle, persons
from tests.conftest import kst, make_node

GSOMIA = "KOR-JPN-GSOMIA-2016"


def register(node, marking="군사Ⅱ급비밀", at="2018-05-15", title="Hwasong-12 data", **kw):
    return items.register_item(
        node, title=title, marking=marking, topic="nk-missile", at=kst(at), **kw
    )


def export_for(node, recipient="JPN", at="2018-06-01", since=None):
    out = io.BytesIO()
    view = export.export_stix(
        node, out, recipient=recipient, at=kst(at) if at else None, since=since
    )
    return view, stix.read_bundle(out.getvalue().decode())


def codes(view, reference):
    [found] = [w for w in view.withheld if w.item == reference]
    return {r.code for r in found.reasons}


def receive_from_usa(node, reference="USA-2018-0001", at="2018-05-15"):
    action = items.receive_item(
        node,
        title="Patriot deployment",
        originator="USA",
        marking="SECRET",
        topic="nk-missile",
        at=kst(at),
        originator_reference=reference,
    )
    assert action.allowed
    assert action.item is not None
    return action.item


def test_an_item_goes_marked_with_the_partners_equivalent_level(node):
    """Art 4: the recipient's copy is marked with its equivalent level."""
    item = register(node, purpose="early warning")
    view, bundle = export_for(node)
    assert [e.item for e in view.exported] == [item.reference]
    [summary] = bundle.items
    assert (bundle.exporter, bundle.recipient) == ("KOR", "JPN")
    assert (summary.reference, summary.marking, summary.english) == (
        item.reference,
        "極秘",
        "SECRET",
    )
    assert (summary.originator, summary.originator_marking) == ("KOR", "군사Ⅱ급비밀")
    assert (summary.title, summary.topic, summary.purpose) == (
        item.title,
        "nk-missile",
        "early warning",
    )


def test_an_item_above_the_agreements_levels_is_not_exported(node):
    """Art 4: Korea's Grade Ⅰ has no equivalent in the Korea–Japan table."""
    item = register(node, marking="군사Ⅰ급비밀", title="Grade I plan")
    view, bundle = export_for(node)
    assert bundle.items == ()
    assert Code.LEVEL_NOT_COVERED in codes(view, item.reference)


def test_an_item_not_releasable_to_the_partner_is_not_exported(node):
    """Art 6: the originator's releasability marking names who may have it."""
    item = register(node, releasable_to=["USA"])
    view, bundle = export_for(node)
    assert bundle.items == ()
    assert Code.NOT_RELEASABLE_TO_PARTY in codes(view, item.reference)


def test_a_third_partys_item_goes_only_with_the_originators_consent(node):
    """Art 6: no onward transfer to a third party without the originator's prior written
    consent; back to its originator it may always go."""
    copy = receive_from_usa(node)
    view, bundle = export_for(node)
    assert bundle.items == ()
    assert Code.CONSENT_MISSING in codes(view, copy.reference)
    consents.add_consent(node, copy.reference, "JPN", kst("2018-05-20"), reference="USFK-1")
    view, bundle = export_for(node)
    [summary] = bundle.items
    assert (summary.originator, summary.originator_reference, summary.marking) == (
        "USA",
        "USA-2018-0001",
        "極秘",
    )
    _, to_originator = export_for(node, recipient="USA")
    assert [(i.reference, i.marking) for i in to_originator.items] == [(copy.reference, "SECRET")]


def test_a_consent_given_after_the_export_instant_lets_nothing_go(node):
    """Art 6: the consent must be prior to the hand-over."""
    copy = receive_from_usa(node)
    consents.add_consent(node, copy.reference, "JPN", kst("2018-07-01"))
    view, bundle = export_for(node, at="2018-06-01")
    assert bundle.items == ()
    assert Code.CONSENT_MISSING in codes(view, copy.reference)


def test_a_destroyed_item_is_not_exported(node):
    """Art 6(h): nothing more is done with a destroyed item."""
    item = register(node)
    witness = persons.add_person(
        node, name="Kim", party=None, clearance="군사Ⅱ급비밀", need_to_know=[]
    ).id
    custody.destroy(node, item.reference, "shredding", witness, kst("2018-05-20"), None)
    view, bundle = export_for(node)
    assert bundle.items == ()
    assert codes(view, item.reference) == {Code.ITEM_DESTROYED}
    own, mine = export_for(node, recipient=None)
    assert mine.items == () and own.exported == []


def test_nothing_goes_once_the_agreement_has_terminated(node):
    """Art 21: a notice not suspended ends the agreement 90 days on (23 Nov 2019)."""
    item = register(node)
    lifecycle.record_event(node, GSOMIA, EventKind.TERMINATION_NOTICE, "KOR", "2019-08-23")
    _, before = export_for(node, at="2019-11-22")
    assert [i.reference for i in before.items] == [item.reference]
    view, after = export_for(node, at="2019-11-23")
    assert after.items == ()
    assert Code.AGREEMENT_NOT_IN_FORCE in codes(view, item.reference)


def test_nothing_goes_before_the_agreement_entered_into_force(node):
    """Art 21: the agreement is in force from 23 Nov 2016."""
    item = register(node, at="2016-05-01")
    view, bundle = export_for(node, at="2016-11-22")
    assert bundle.items == ()
    assert Code.AGREEMENT_NOT_IN_FORCE in codes(view, item.reference)


def test_an_item_registered_after_the_export_instant_is_not_considered(node):
    register(node, at="2018-07-01")
    view, bundle = export_for(node, at="2018-06-01")
    assert bundle.items == () and view.exported == view.withheld == []


def test_every_item_considered_is_a_recorded_export_decision(node):
    """Rule 14: allowed or denied, every decision is kept."""
    allowed = register(node)
    denied = register(node, marking="군사Ⅰ급비밀")
    view, _ = export_for(node)
    logged = [d for d in queries.decisions(node) if d.kind == "export"]
    assert sorted((d.id, d.allowed) for d in logged) == sorted(
        (e.decision_id, e.allowed) for e in [*view.exported, *view.withheld]
    )
    assert {e.item for e in view.exported} == {allowed.reference}
    assert {w.item for w in view.withheld} == {denied.reference}


def test_since_keeps_the_items_registered_or_changed_from_then(node):
    old = register(node, at="2018-01-10")
    new = register(node, at="2018-05-10")
    _, bundle = export_for(node, since=kst("2018-03-01"))
    assert [i.reference for i in bundle.items] == [new.reference]
    custody.remark(node, old.reference, "III", kst("2018-05-20"), "downgrade", None)
    _, bundle = export_for(node, since=kst("2018-05-15"))
    [changed] = bundle.items
    assert (changed.reference, changed.marking) == (old.reference, "秘")
    assert changed.modified_at == kst("2018-05-20")


def test_without_a_partner_the_export_is_the_registrys_own_view(node):
    """Its own party sees every item it holds and uses, in its own markings; nothing is
    decided."""
    mine = register(node, marking="군사Ⅰ급비밀")
    copy = receive_from_usa(node)
    view, bundle = export_for(node, recipient=None)
    assert (bundle.exporter, bundle.recipient) == ("KOR", "KOR")
    assert [(i.reference, i.marking) for i in bundle.items] == [
        (mine.reference, "군사Ⅰ급비밀"),
        (copy.reference, "군사Ⅱ급비밀"),
    ]
    assert all(e.decision_id is None for e in view.exported)
    assert not [d for d in queries.decisions(node) if d.kind == "export"]


def test_a_configured_tlp_mapping_marks_the_items_of_that_level(db_url, tmp_path):
    made = make_node(db_url, stix_tlp="SECRET=amber+strict, confidential=TLP:AMBER")
    try:
        register(made)
        register(made, marking="군사Ⅲ급비밀")
        _, bundle = export_for(made)
        assert [(i.english, i.tlp) for i in bundle.items] == [
            ("SECRET", "amber+strict"),
            ("CONFIDENTIAL", "amber"),
        ]
    finally:
        made.close()


@pytest.mark.parametrize("setting", ["SECRET=purple", "SECRET", "=red"])
def test_a_malformed_tlp_mapping_is_refused(db_url, setting):
    made = make_node(db_url, stix_tlp=setting)
    try:
        with pytest.raises(InvalidRequest, match="TLP"):
            export_for(made)
    finally:
        made.close()


def test_an_unknown_partner_is_refused(node):
    with pytest.raises(UnknownParty):
        export_for(node, recipient="XXX")


def test_the_file_written_is_the_bundle_and_owner_only(node, tmp_path):
    register(node)
    target = tmp_path / "bundle.json"
    view = export.export_stix(node, target, recipient="JPN", at=kst("2018-06-01"))
    assert view.output == str(target)
    assert target.stat().st_mode & 0o077 == 0
    assert json.loads(target.read_text(encoding="utf-8"))["type"] == "bundle"


@pytest.fixture
def notice_given(node):
    """KOR's registry after a termination notice never suspended: over on 23 Nov 2019."""
    lifecycle.record_event(node, GSOMIA, EventKind.TERMINATION_NOTICE, "KOR", "2019-08-23")
    return node


MARKINGS = ["군사Ⅰ급비밀", "군사Ⅱ급비밀", "군사Ⅲ급비밀"]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    marking=st.sampled_from(MARKINGS),
    releasable=st.one_of(st.none(), st.sets(st.sampled_from(["JPN", "USA"]))),
    days=st.integers(min_value=-400, max_value=1600),
)
def test_no_exported_item_is_one_the_release_rule_denies(notice_given, marking, releasable, days):
    """Art 4, Art 6, Art 21: whatever the level, the releasability and the instant (before
    entry into force, in force, after the notice of 23 Aug 2019 ended the agreement), every
    item exported is one the core's release decision allows at that instant, marked as that
    decision says, and every item it allows is exported."""
    node = notice_given
    at = kst("2016-11-23") + timedelta(days=days)
    register(node, marking=marking, at="2015-06-01", releasable_to=releasable)
    out = io.BytesIO()
    export.export_stix(node, out, recipient="JPN", at=at)
    exported = {i.reference: i for i in stix.read_bundle(out.getvalue().decode()).items}
    with node.read() as tx:
        for record in queries.items(node):  # every item so far, this example's and earlier
            label = tx.label(
                "KOR", record.marking, record.topic, releasable_to=record.releasable_to
            )
            decision = decide_release(tx.book, label, "JPN", at)
            assert (record.reference in exported) == decision.allowed
            if decision.allowed:
                assert decision.recipient_level is not None
                assert exported[record.reference].marking == decision.recipient_level.marking
