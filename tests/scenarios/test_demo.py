"""The demo, the main job: replays 2016–2023 on fresh registries and reports what the rules said."""

from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from gsomia.demo import play
from gsomia.node import queries
from gsomia.node.context import Node
from gsomia.node.settings import Settings


@pytest.fixture(scope="module")
def played(tmp_path_factory) -> tuple[str, Path]:
    directory = tmp_path_factory.mktemp("demo")
    buffer = StringIO()
    play.run(directory, Console(file=buffer, width=140, color_system=None, soft_wrap=True))
    return buffer.getvalue(), directory


def test_the_demo_reports_the_november_2019_answers(played):
    report, _ = played
    assert "24 Aug 2019 (end of day)" in report
    assert "lapses at 2019-11-23" in report
    assert "│ state of the GSOMIA" in report and "terminated" in report
    assert "KOR → USA → JPN under KOR-JPN-USA-TISA-2014" in report
    assert "needs KOR's approval to reach JPN" in report
    assert "naval-operations: no legal route" in report
    # gsomia impact over Korea's whole registry: 6 items sent and 4 received, all on missiles
    assert "10 can still flow through the United States" in report
    assert "the 4 items Korea received from Japan stay protected" in report
    assert "protection_survives" in report
    assert "consent_missing" in report
    assert "At midnight the state is notice_suspended" in report
    assert "State: in_force; ordinary annual renewal resumes" in report


def test_the_demo_seals_the_exchange_and_shows_the_ledger_catching_forgeries(played):
    report, directory = played
    assert "A copy whose label was edited on the way is refused: the label was changed" in report
    assert "who reads: “Hwasong-12 launched" in report
    assert "KOR: " in report and "verify: intact" in report
    assert "(Korea's 2019 notice) is in Korea's signed log" in report
    assert "the history diverging at entry" in report
    assert "his next access is refused at once" in report
    assert "need_to_know" in report
    assert not list(directory.glob("*.txt"))  # no plaintext left behind


def test_the_demo_leaves_two_registries_with_every_decision_recorded(played):
    _, directory = played
    for party in ("kor", "jpn"):
        with Node.open(Settings(database=f"sqlite:///{directory / f'{party}.db'}")) as node:
            held = queries.items(node)
            made = queries.decisions(node)
        received = [i for i in held if i.originator != party.upper()]
        assert received and all(i.holder_marking for i in received)
        assert any(not d.allowed for d in made)
        assert all(d.reasons for d in made)


def test_the_demo_plays_a_live_act_between_three_serving_nodes(played):
    report, directory = played
    assert "Three nodes serve on this machine: KOR at http://127.0.0.1:" in report
    assert "answers with a signed receipt (delivered, verified: True)" in report
    assert "finds the GSOMIA terminated" in report
    assert "custody KOR → USA → JPN" in report
    assert "gsomia/JPN/witness, gsomia/USA/witness" in report
    assert "Korea sees JPN 秘 via USA; USA CONFIDENTIAL." in report
    assert "only Korea, the host, approves (Art 8), and Japan's node records the approval" in report
    assert "follows the case to its conclusion: concluded, reported by JPN" in report
    assert "content erased: True); reading it again: denied (item_destroyed)" in report
    assert "Korea's node shows Japan's copy destroyed." in report
    assert not list(directory.glob("live-*.txt"))  # no plaintext left behind
