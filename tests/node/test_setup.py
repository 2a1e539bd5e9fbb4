"""Setting up a registry: init is idempotent, agreement files and histories load all or nothing."""

from pathlib import Path

import pytest

from gsomia.core.agreements import EventKind, State
from gsomia.errors import Conflict, InvalidEvent, InvalidRequest, ReferenceDataError, UnknownParty
from gsomia.node import queries
from gsomia.node.commands import lifecycle, setup
from gsomia.reference import builtin_files, read_text
from gsomia.store import documents
from tests.conftest import kst, make_node

GSOMIA = "KOR-JPN-GSOMIA-2016"


def event_count(node):
    with node.read() as tx:
        return len(documents.events(tx.connection))


def test_init_creates_a_registry_and_loads_the_reference_data(db_url):
    node = make_node(db_url, party=None, zone=None)
    assert {a.id for a in queries.agreements(node)} >= {GSOMIA, "KOR-JPN-USA-TISA-2014"}
    node.close()


def test_init_twice_changes_nothing_and_keeps_events(node):
    setup.load_history(node, "kor-jpn-2019")
    report = setup.init(node, "0003", None, None)
    assert report.loaded["agreements"] == {"added": 0, "updated": 0, "unchanged": 4}
    assert not report.created
    assert event_count(node) == 3
    assert report.party == "KOR"


def test_init_refuses_an_unknown_party_or_zone_and_changes_nothing(node):
    with pytest.raises(UnknownParty):
        setup.init(node, "0003", "XYZ", None)
    with pytest.raises(InvalidRequest, match="unknown time zone"):
        setup.init(node, "0003", None, "Mars/Olympus")
    with node.read() as tx:
        assert tx.party == "KOR"
        assert tx.time_zone.key == "Asia/Seoul"


def test_loading_a_history_twice_records_its_events_once(node):
    assert setup.load_history(node, "kor-jpn-2019").events_added == 3
    assert setup.load_history(node, "kor-jpn-2019").events_added == 0
    assert event_count(node) == 3


def test_a_history_contradicting_recorded_events_is_refused_whole(node):
    lifecycle.record_event(node, GSOMIA, EventKind.TERMINATION_NOTICE, "JPN", kst("2019-01-10"))
    with pytest.raises(InvalidEvent, match="already stands"):
        setup.load_history(node, "kor-jpn-2019")
    assert event_count(node) == 1


def test_an_unknown_history_lists_the_built_in_ones(node):
    with pytest.raises(ReferenceDataError, match="built-in histories: kor-jpn-2019"):
        setup.load_history(node, "kor-jpn-1965")


def test_an_agreement_file_adds_a_new_agreement(node, tmp_path: Path):
    text = read_text(next(p for p in builtin_files("agreements") if p.stem == GSOMIA))
    path = tmp_path / "nato-jpn.yaml"
    path.write_text(
        text.replace("id: KOR-JPN-GSOMIA-2016", "id: NATO-JPN-2010")
        .replace("parties: [KOR, JPN]", "parties: [NATO, JPN]")
        .replace("KOR: [군사Ⅱ급비밀]", "NATO: [NATO SECRET]")
        .replace("KOR: [군사Ⅲ급비밀]", "NATO: [NATO CONFIDENTIAL]"),
        encoding="utf-8",
    )
    assert setup.load_agreement_file(node, path).outcome == "added"
    assert setup.load_agreement_file(node, path).outcome == "unchanged"
    assert queries.status(node, "NATO-JPN-2010", "2020-01-01").state == State.IN_FORCE


def test_changed_terms_that_contradict_recorded_events_are_refused(node, tmp_path: Path):
    setup.load_history(node, "kor-jpn-2019")
    text = read_text(next(p for p in builtin_files("agreements") if p.stem == GSOMIA))
    path = tmp_path / "gsomia.yaml"
    path.write_text(
        text.replace("entry_into_force: 2016-11-23", "entry_into_force: 2020-01-01"),
        encoding="utf-8",
    )
    with pytest.raises(Conflict, match="contradict recorded events"):
        setup.load_agreement_file(node, path)
    assert queries.agreement(node, GSOMIA).entry_into_force == kst("2016-11-23")
