"""The registry officer's work: items, releases, receipts, consents, access — all decisions kept."""

import pytest

from gsomia.core.policy import Code
from gsomia.errors import Conflict, InvalidRequest, NotFound, UnknownMarking
from gsomia.node import items, setup
from gsomia.node.registry import Registry
from gsomia.store import decisions
from gsomia.store import registry as records
from tests.conftest import kst


def decision_log(registry):
    with registry.transaction() as connection:
        return decisions.decisions(connection)


def register(registry, marking="군사Ⅱ급비밀", topic="nk-missile", at="2017-05-15", **kw):
    return items.register_item(
        registry, title="Hwasong-12 data", marking=marking, topic=topic, at=kst(at), **kw
    )


def test_registering_an_item_records_originator_marking_english_topic_purpose(registry):
    """Rule 1."""
    item = register(registry, marking="GUNSA II-KUP BI MIL", purpose="early warning")
    assert (item.originator, item.marking, item.english, item.topic, item.purpose) == (
        "KOR",
        "군사Ⅱ급비밀",
        "SECRET",
        "nk-missile",
        "early warning",
    )
    assert item.reference == "KOR-2017-0001"
    assert register(registry).reference == "KOR-2017-0002"


def test_a_duplicate_reference_is_refused(registry):
    register(registry, reference="K-1")
    with pytest.raises(Conflict, match="already registered"):
        register(registry, reference="K-1")


def test_release_in_force_is_recorded_with_its_decision(registry):
    item = register(registry)
    outcome = items.release_item(registry, item.reference, "JPN", kst("2017-05-15"))
    assert outcome.decision.allowed and outcome.release_id is not None
    with registry.transaction() as connection:
        release = records.releases(connection)[0]
    assert (release.to_party, release.recipient_marking, release.agreement_id) == (
        "JPN",
        "極秘",
        "KOR-JPN-GSOMIA-2016",
    )
    logged = decision_log(registry)
    assert [(d.kind, d.allowed, d.id) for d in logged] == [("release", True, outcome.decision_id)]
    assert logged[0].reasons == outcome.decision.reasons


def test_a_denied_release_is_recorded_and_releases_nothing(registry):
    item = register(registry, marking="군사Ⅰ급비밀")
    outcome = items.release_item(registry, item.reference, "JPN", kst("2017-05-15"))
    assert not outcome.decision.allowed and outcome.release_id is None
    with registry.transaction() as connection:
        assert records.releases(connection) == []
    assert decision_log(registry)[0].reasons[0].code is Code.LEVEL_NOT_COVERED


def test_receiving_marks_the_copy_with_originator_and_equivalent(db_url):
    """Art 4."""
    japan = Registry.open(db_url)
    setup.init(japan, "JPN")
    outcome = items.receive_item(
        japan,
        title="Seismic estimate",
        originator="KOR",
        marking="군사Ⅱ급비밀",
        topic="nk-nuclear",
        at=kst("2017-09-04"),
        originator_reference="KOR-2017-0007",
    )
    assert outcome.decision.allowed
    assert outcome.item_id is not None
    with japan.transaction() as connection:
        copy = records.item(connection, outcome.item_id)
    assert (copy.originator, copy.marking, copy.holder, copy.holder_marking) == (
        "KOR",
        "군사Ⅱ급비밀",
        "JPN",
        "極秘",
    )
    assert copy.releasable_to == frozenset({"KOR", "JPN"})
    japan.close()


def test_a_denied_receipt_registers_nothing_but_is_recorded(db_url):
    japan = Registry.open(db_url)
    setup.init(japan, "JPN")
    setup.load_history(japan, "kor-jpn-2019")
    before = japan.book()
    assert before.lifecycle("KOR-JPN-GSOMIA-2016").in_force(kst("2020-01-01"))
    outcome = items.receive_item(
        japan,
        title="x",
        originator="KOR",
        marking="군사Ⅰ급비밀",
        topic="nk-missile",
        at=kst("2020-01-01"),
    )
    assert not outcome.decision.allowed and outcome.item_id is None
    with japan.transaction() as connection:
        assert records.items(connection) == []
    assert [d.kind for d in decision_log(japan)] == ["receipt"]
    japan.close()


def test_access_uses_the_persons_clearance_and_need_to_know(registry):
    """Art 7."""
    item = register(registry)
    analyst = items.add_person(
        registry, name="Kim", party=None, clearance="SECRET", need_to_know=["nk-missile"]
    )
    general = items.add_person(
        registry,
        name="Park",
        party=None,
        clearance="TOP SECRET",
        need_to_know=[],
        position="General",
    )
    assert items.access_item(
        registry, item.reference, analyst.id, kst("2018-01-01")
    ).decision.allowed
    denied = items.access_item(registry, item.reference, general.id, kst("2018-01-01")).decision
    assert denied.codes() == (Code.NO_NEED_TO_KNOW,)
    items.grant_need_to_know(registry, general.id, ["nk-missile"])
    assert items.access_item(
        registry, item.reference, general.id, kst("2018-01-01")
    ).decision.allowed
    assert [d.allowed for d in decision_log(registry)] == [True, False, True]


def test_onward_transfer_needs_recorded_consent(db_url):
    """Art 5: no release to a third country without the originator's prior written approval."""
    japan = Registry.open(db_url)
    setup.init(japan, "JPN")
    received = items.receive_item(
        japan,
        title="x",
        originator="KOR",
        marking="SECRET",
        topic="nk-missile",
        at=kst("2017-05-15"),
    )
    assert received.item_id is not None
    denied = items.transfer_item(japan, str(received.item_id), "USA", kst("2018-01-01"))
    assert denied.decision.reasons[0].code is Code.CONSENT_MISSING
    items.add_consent(
        japan, str(received.item_id), "USA", kst("2017-12-01"), kst("2018-12-01"), "ROK MND 2017-44"
    )
    allowed = items.transfer_item(japan, str(received.item_id), "USA", kst("2018-01-01"))
    assert allowed.decision.allowed and allowed.release_id is not None
    late = items.transfer_item(japan, str(received.item_id), "USA", kst("2019-01-01"))
    assert late.decision.reasons[0].code is Code.CONSENT_EXPIRED
    japan.close()


def test_releasing_a_received_item_is_refused_as_an_onward_transfer(db_url):
    japan = Registry.open(db_url)
    setup.init(japan, "JPN")
    received = items.receive_item(
        japan,
        title="x",
        originator="KOR",
        marking="SECRET",
        topic="nk-missile",
        at=kst("2017-05-15"),
    )
    with pytest.raises(InvalidRequest, match="onward transfer"):
        items.release_item(japan, str(received.item_id), "USA", kst("2018-01-01"))
    japan.close()


def test_bad_input_is_refused_and_changes_nothing(registry):
    with pytest.raises(UnknownMarking):
        register(registry, marking="ultra")
    with pytest.raises(NotFound):
        items.release_item(registry, "KOR-1999-0001", "JPN", kst("2018-01-01"))
    item = register(registry)
    with pytest.raises(InvalidRequest, match="expire after"):
        items.add_consent(registry, item.reference, "USA", kst("2018-01-01"), kst("2017-01-01"))
    with pytest.raises(InvalidRequest, match="third party"):
        items.add_consent(registry, item.reference, "KOR", kst("2018-01-01"))
    with registry.transaction() as connection:
        assert len(records.items(connection)) == 1
        assert records.consents(connection) == []
    assert decision_log(registry) == []
