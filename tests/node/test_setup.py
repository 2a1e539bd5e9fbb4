"""Setting up a registry: init is idempotent, agreement files and histories load all or nothing."""

from pathlib import Path

import pytest

from gsomia.core.agreements import EventKind, State
from gsomia.errors import Conflict, InvalidEvent, InvalidRequest, ReferenceDataError, UnknownParty
from gsomia.node import lifecycle, setup
from gsomia.node.registry import Registry
from gsomia.reference import builtin_files, read_text
from gsomia.store import documents
from tests.conftest import kst

GSOMIA = "KOR-JPN-GSOMIA-2016"


def event_count(registry):
    with registry.transaction() as connection:
        return len(documents.events(connection))


def test_opening_an_empty_database_creates_and_loads_it(db_url):
    registry = Registry.open(db_url)
    assert set(registry.book().agreements) >= {GSOMIA, "KOR-JPN-USA-TISA-2014"}
    registry.close()


def test_init_twice_changes_nothing_and_keeps_events(registry):
    setup.load_history(registry, "kor-jpn-2019")
    report = setup.init(registry)
    assert report.counts["agreements"] == {"added": 0, "updated": 0, "unchanged": 4}
    assert event_count(registry) == 3
    assert registry.party == "KOR"


def test_init_refuses_an_unknown_party_or_zone_and_changes_nothing(registry):
    with pytest.raises(UnknownParty):
        setup.init(registry, party="XYZ")
    with pytest.raises(InvalidRequest, match="unknown time zone"):
        setup.init(registry, time_zone="Mars/Olympus")
    assert registry.party == "KOR"
    assert registry.time_zone.key == "Asia/Seoul"


def test_loading_a_history_twice_records_its_events_once(registry):
    assert setup.load_history(registry, "kor-jpn-2019") == ("kor-jpn-2019", 3)
    assert setup.load_history(registry, "kor-jpn-2019") == ("kor-jpn-2019", 0)
    assert event_count(registry) == 3


def test_a_history_contradicting_recorded_events_is_refused_whole(registry):
    lifecycle.record_event(registry, GSOMIA, EventKind.TERMINATION_NOTICE, "JPN", kst("2019-01-10"))
    with pytest.raises(InvalidEvent, match="already stands"):
        setup.load_history(registry, "kor-jpn-2019")
    assert event_count(registry) == 1


def test_an_unknown_history_lists_the_built_in_ones(registry):
    with pytest.raises(ReferenceDataError, match="built-in histories: kor-jpn-2019"):
        setup.load_history(registry, "kor-jpn-1965")


def test_an_agreement_file_adds_a_new_agreement(registry, tmp_path: Path):
    text = read_text(next(p for p in builtin_files("agreements") if p.stem == GSOMIA))
    path = tmp_path / "nato-jpn.yaml"
    path.write_text(
        text.replace("id: KOR-JPN-GSOMIA-2016", "id: NATO-JPN-2010")
        .replace("parties: [KOR, JPN]", "parties: [NATO, JPN]")
        .replace("KOR: [군사Ⅱ급비밀]", "NATO: [NATO SECRET]")
        .replace("KOR: [군사Ⅲ급비밀]", "NATO: [NATO CONFIDENTIAL]"),
        encoding="utf-8",
    )
    assert setup.load_agreement_file(registry, path) == ("NATO-JPN-2010", "added")
    assert setup.load_agreement_file(registry, path) == ("NATO-JPN-2010", "unchanged")
    assert lifecycle.status(registry, "NATO-JPN-2010", kst("2020-01-01")).state is State.IN_FORCE


def test_changed_terms_that_contradict_recorded_events_are_refused(registry, tmp_path: Path):
    setup.load_history(registry, "kor-jpn-2019")
    text = read_text(next(p for p in builtin_files("agreements") if p.stem == GSOMIA))
    path = tmp_path / "gsomia.yaml"
    path.write_text(
        text.replace("entry_into_force: 2016-11-23", "entry_into_force: 2020-01-01"),
        encoding="utf-8",
    )
    with pytest.raises(Conflict, match="contradict recorded events"):
        setup.load_agreement_file(registry, path)
    assert registry.book().agreement(GSOMIA).entry_into_force == kst("2016-11-23")
