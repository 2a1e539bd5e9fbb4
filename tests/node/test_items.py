"""The registry officer's work: items, releases, receipts, consents, access — all decisions kept."""

import pytest

from gsomia.core.policy import Code
from gsomia.errors import Conflict, InvalidRequest, NotFound, UnknownMarking
from gsomia.node import queries
from gsomia.node.commands import consents, items, persons, setup
from tests.conftest import kst, make_node


def decision_log(node):
    return queries.decisions(node)


def register(node, marking="군사Ⅱ급비밀", topic="nk-missile", at="2017-05-15", **kw):
    return items.register_item(
        node, title="Hwasong-12 data", marking=marking, topic=topic, at=kst(at), **kw
    )


@pytest.fixture
def japan(db_url, tmp_path):
    made = make_node(db_url, "JPN", "Asia/Tokyo", content_dir=tmp_path / "content")
    yield made
    made.close()


def test_registering_an_item_records_originator_marking_english_topic_purpose(node):
    """Rule 1."""
    item = register(node, marking="GUNSA II-KUP BI MIL", purpose="early warning")
    assert (item.originator, item.marking, item.english, item.topic, item.purpose) == (
        "KOR",
        "군사Ⅱ급비밀",
        "SECRET",
        "nk-missile",
        "early warning",
    )
    assert item.reference == "KOR-2017-0001"
    assert register(node).reference == "KOR-2017-0002"


def test_references_follow_the_highest_taken_even_one_chosen_by_hand(node):
    register(node, reference="KOR-2017-0007")
    assert register(node).reference == "KOR-2017-0008"


def test_a_duplicate_reference_is_refused(node):
    register(node, reference="K-1")
    with pytest.raises(Conflict, match="already registered"):
        register(node, reference="K-1")


def test_release_in_force_is_recorded_with_its_decision(node):
    item = register(node)
    outcome = items.release_item(node, item.reference, "JPN", kst("2017-05-15"))
    assert outcome.allowed and outcome.release_id is not None
    [release] = queries.releases(node)
    assert (release.to, release.recipient_marking, release.agreement) == (
        "JPN",
        "極秘",
        "KOR-JPN-GSOMIA-2016",
    )
    logged = decision_log(node)
    assert [(d.kind, d.allowed, d.id) for d in logged] == [("release", True, outcome.decision_id)]
    assert logged[0].reasons == outcome.reasons


def test_an_items_page_lists_its_own_decisions_each_with_its_reasons(node):
    first, second = register(node), register(node, marking="군사Ⅰ급비밀")
    allowed = items.release_item(node, first.reference, "JPN", kst("2017-05-15"))
    denied = items.release_item(node, second.reference, "JPN", kst("2017-05-15"))
    page = queries.item(node, second.reference)
    assert [d.id for d in page.decisions] == [denied.decision_id]
    assert page.decisions[0].reasons == denied.reasons
    assert [d.id for d in queries.item(node, first.reference).decisions] == [allowed.decision_id]
    assert [d.reasons for d in decision_log(node)] == [allowed.reasons, denied.reasons]


def test_a_denied_release_is_recorded_and_releases_nothing(node):
    item = register(node, marking="군사Ⅰ급비밀")
    outcome = items.release_item(node, item.reference, "JPN", kst("2017-05-15"))
    assert not outcome.allowed and outcome.release_id is None
    assert queries.releases(node) == []
    assert decision_log(node)[0].reasons[0].code == Code.LEVEL_NOT_COVERED


def test_receiving_marks_the_copy_with_originator_and_equivalent(japan):
    """Art 4."""
    outcome = items.receive_item(
        japan,
        title="Seismic estimate",
        originator="KOR",
        marking="군사Ⅱ급비밀",
        topic="nk-nuclear",
        at=kst("2017-09-04"),
        originator_reference="KOR-2017-0007",
    )
    assert outcome.allowed
    copy = outcome.item
    assert copy is not None
    assert (copy.originator, copy.marking, copy.holder, copy.holder_marking) == (
        "KOR",
        "군사Ⅱ급비밀",
        "JPN",
        "極秘",
    )
    assert copy.releasable_to == ["JPN", "KOR"]


def test_a_denied_receipt_registers_nothing_but_is_recorded(japan):
    setup.load_history(japan, "kor-jpn-2019")
    outcome = items.receive_item(
        japan,
        title="x",
        originator="KOR",
        marking="군사Ⅰ급비밀",
        topic="nk-missile",
        at=kst("2020-01-01"),
    )
    assert not outcome.allowed and outcome.item is None
    assert queries.items(japan) == []
    assert [d.kind for d in decision_log(japan)] == ["receipt"]


def test_access_uses_the_persons_clearance_and_need_to_know(node):
    """Art 7."""
    item = register(node)
    analyst = persons.add_person(
        node, name="Kim", party=None, clearance="SECRET", need_to_know=["nk-missile"]
    )
    general = persons.add_person(
        node, name="Park", party=None, clearance="TOP SECRET", need_to_know=[], position="General"
    )
    assert items.access_item(node, item.reference, analyst.id, kst("2018-01-01")).allowed
    denied = items.access_item(node, item.reference, general.id, kst("2018-01-01"))
    assert [r.code for r in denied.reasons] == [Code.NO_NEED_TO_KNOW]
    persons.grant_need_to_know(node, general.id, ["nk-missile"])
    assert items.access_item(node, item.reference, general.id, kst("2018-01-01")).allowed
    assert [d.allowed for d in decision_log(node)] == [True, False, True]


def test_onward_transfer_needs_recorded_consent(japan):
    """Art 6: no release to a third country without the originator's prior written approval."""
    received = items.receive_item(
        japan,
        title="x",
        originator="KOR",
        marking="SECRET",
        topic="nk-missile",
        at=kst("2017-05-15"),
    )
    assert received.item is not None
    reference = received.item.reference
    denied = items.transfer_item(japan, reference, "USA", kst("2018-01-01"))
    assert denied.reasons[0].code == Code.CONSENT_MISSING
    consents.add_consent(
        japan, reference, "USA", kst("2017-12-01"), kst("2018-12-01"), "ROK MND 2017-44"
    )
    allowed = items.transfer_item(japan, reference, "USA", kst("2018-01-01"))
    assert allowed.allowed and allowed.release_id is not None
    late = items.transfer_item(japan, reference, "USA", kst("2019-01-01"))
    assert late.reasons[0].code == Code.CONSENT_EXPIRED


def test_releasing_a_received_item_is_refused_as_an_onward_transfer(japan):
    received = items.receive_item(
        japan,
        title="x",
        originator="KOR",
        marking="SECRET",
        topic="nk-missile",
        at=kst("2017-05-15"),
    )
    assert received.item is not None
    with pytest.raises(InvalidRequest, match="onward transfer"):
        items.release_item(japan, received.item.reference, "USA", kst("2018-01-01"))


def test_bad_input_is_refused_and_changes_nothing(node):
    with pytest.raises(UnknownMarking):
        register(node, marking="ultra")
    with pytest.raises(NotFound):
        items.release_item(node, "KOR-1999-0001", "JPN", kst("2018-01-01"))
    item = register(node)
    with pytest.raises(InvalidRequest, match="originated"):
        consents.add_consent(node, item.reference, "USA", kst("2018-01-01"))
    assert len(queries.items(node)) == 1
    assert decision_log(node) == []


def test_a_consent_must_name_a_third_party_and_expire_after_it_is_granted(japan):
    copy = items.receive_item(
        japan, title="x", originator="KOR", marking="II", topic="nk-missile", at="2017-05-16"
    ).item
    assert copy is not None
    with pytest.raises(InvalidRequest, match="expire after"):
        consents.add_consent(japan, copy.reference, "USA", kst("2018-01-01"), kst("2017-01-01"))
    with pytest.raises(InvalidRequest, match="third party"):
        consents.add_consent(japan, copy.reference, "KOR", kst("2018-01-01"))
    assert queries.consents(japan) == []
