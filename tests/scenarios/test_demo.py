"""The demo, the main job: replays 2016–2023 on fresh registries and reports what the rules said."""

from io import StringIO
from pathlib import Path

from rich.console import Console

from gsomia.node.demo import run_demo
from gsomia.node.registry import Registry
from gsomia.store import decisions
from gsomia.store import registry as records


def test_the_demo_reports_the_november_2019_answers(tmp_path: Path):
    buffer = StringIO()
    run_demo(Console(file=buffer, width=140, color_system=None, soft_wrap=True), tmp_path)
    report = buffer.getvalue()
    assert "24 Aug 2019 (end of day)" in report
    assert "lapses at 2019-11-23" in report
    assert "│ state of the GSOMIA" in report and "terminated" in report
    assert "KOR → USA → JPN under KOR-JPN-USA-TISA-2014" in report
    assert "needs KOR's approval to reach JPN" in report
    assert "naval-operations: no legal route" in report
    assert "protection_survives" in report
    assert "consent_missing" in report
    assert "At midnight the state is notice_suspended" in report
    assert "State: in_force; ordinary annual renewal resumes" in report


def test_the_demo_seals_the_exchange_and_shows_the_ledger_catching_a_forgery(tmp_path: Path):
    buffer = StringIO()
    run_demo(Console(file=buffer, width=140, color_system=None, soft_wrap=True), tmp_path)
    report = buffer.getvalue()
    assert "A copy whose label was edited on the way is refused: the label was changed" in report
    assert "who reads: “Hwasong-12 launched" in report
    assert "KOR: " in report and "verify: intact" in report
    assert "(Korea's 2019 notice) is in Korea's signed log" in report
    assert "the history diverging at entry" in report
    assert not list(tmp_path.glob("*.txt"))  # no plaintext left behind


def test_the_demo_leaves_two_registries_with_every_decision_recorded(tmp_path: Path):
    run_demo(Console(file=StringIO(), width=140), tmp_path)
    for party in ("kor", "jpn"):
        registry = Registry.open(f"sqlite:///{tmp_path / f'{party}.db'}")
        with registry.transaction() as connection:
            held = records.items(connection)
            made = decisions.decisions(connection)
        registry.close()
        received = [i for i in held if i.originator != party.upper()]
        assert received and all(i.holder_marking for i in received)
        assert any(not d.allowed for d in made)
        assert all(d.reasons for d in made)
