"""`gsomia incident` (Art 17): its contract, and bad input refused in one line, exit 2, with
nothing changed."""

from __future__ import annotations

import pytest

from tests.cli.test_bad_input import assert_one_line_error

AT = "2026-11-30T10:00+09:00"
DISCOVERED = "2026-11-30T08:00+09:00"


@pytest.fixture
def kor(gsomia):
    """KOR's registry with one item of its own."""
    assert gsomia("init", "--party", "KOR", "--time-zone", "Asia/Seoul").code == 0
    made = gsomia(
        "item", "register", "--title", "t", "--marking", "II", "--topic", "nk-missile",
        "--at", "2026-11-01", "--json",
    )  # fmt: skip
    assert made.code == 0, made.stderr
    return gsomia


def reported(gsomia, *extra: str):
    done = gsomia(
        "incident", "report", "KOR-2026-0001", "--kind", "loss", "--discovered", DISCOVERED,
        "--summary", "lost in transit", "--at", AT, "--json", *extra,
    )  # fmt: skip
    assert done.code == 0, done.stderr
    return done.json


def state(gsomia):
    """What a refused command must leave as it was: the cases and the ledger's size."""
    cases = gsomia("incident", "list", "--at", "2027-01-01", "--json").json
    size = gsomia("ledger", "entries", "--limit", "100000", "--json").json
    return cases, len(size)


def test_report_list_and_show_give_the_contract_fields(kor):
    case = reported(kor)
    assert {
        "id", "role", "reporter", "originators", "kind", "state", "summary", "items",
        "discovered_at", "reported_at", "investigating_at", "concluded_at", "result",
        "measures", "notified_at", "notification_delay", "queued_at", "queued_delay",
        "steps", "notices", "deadlines", "overdue", "evaluated_at",
    } <= set(case)  # fmt: skip
    assert (case["role"], case["reporter"], case["state"], case["kind"]) == (
        "reporter",
        "KOR",
        "reported",
        "loss",
    )
    assert case["reported_at"] == "2026-11-30T10:00:00+09:00"
    assert case["steps"] == [{"step": "report", "at": "2026-11-30T10:00:00+09:00"}]
    [listed] = kor("incident", "list", "--json").json
    assert listed["id"] == case["id"]
    later = kor("incident", "show", case["id"][:8], "--at", "2026-12-04", "--json").json
    assert later["overdue"] == ["investigate"] and later["evaluated_at"].startswith("2026-12-04")
    assert [(d["duty"], d["period"], d["standing"]) for d in later["deadlines"]] == [
        ("notify", "P1D", "not_applicable"),
        ("investigate", "P3D", "overdue"),
        ("conclude", "P30D", "pending"),
    ]


def test_a_case_goes_through_its_steps_and_says_so(kor):
    case = reported(kor)["id"]
    investigated = kor("incident", "investigate", case, "--at", "2026-12-01", "--note", "n")
    assert investigated.code == 0 and "investigating" in investigated.stdout
    concluded = kor(
        "incident", "conclude", case, "--result", "found", "--measures", "two-person rule",
        "--at", "2026-12-05", "--json",
    )  # fmt: skip
    assert concluded.code == 0
    assert [s["step"] for s in concluded.json["steps"]] == ["report", "investigate", "conclude"]
    assert concluded.json["overdue"] == []
    assert kor("ledger", "verify").code == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["KOR-2026-0999", "--kind", "loss"], ["no item", "KOR-2026-0999"]),
        (["KOR-2026-0001", "--kind", "stolen"], ["stolen", "loss, compromise"]),
        (["KOR-2026-0001"], ["kind"]),
        (
            ["KOR-2026-0001", "--kind", "loss", "--discovered", "2026-12-01T08:00+09:00"],
            ["after the report"],
        ),
        (["KOR-2026-0001", "--kind", "loss", "--discovered", "yesterday"], ["yesterday"]),
    ],
)
def test_a_bad_report_is_one_line_exit_2_and_changes_nothing(kor, args, words):
    before = state(kor)
    defaults = ["--discovered", DISCOVERED] if "--discovered" not in args else []
    result = kor("incident", "report", *args, *defaults, "--summary", "s", "--at", AT)
    assert_one_line_error(result, *words)
    assert state(kor) == before


def test_conclude_without_a_result_is_refused_and_changes_nothing(kor):
    case = reported(kor)["id"]
    kor("incident", "investigate", case, "--at", "2026-12-01")
    before = state(kor)
    assert_one_line_error(
        kor("incident", "conclude", case, "--measures", "m", "--at", "2026-12-02"),
        "result and the measures",
    )
    assert state(kor) == before


def test_conclude_before_the_investigation_is_refused(kor):
    case = reported(kor)["id"]
    before = state(kor)
    assert_one_line_error(
        kor("incident", "conclude", case, "--result", "r", "--measures", "m"),
        "next step is investigate",
    )
    assert state(kor) == before


def test_investigating_a_concluded_case_is_refused_and_changes_nothing(kor):
    case = reported(kor)["id"]
    kor("incident", "investigate", case, "--at", "2026-12-01")
    kor("incident", "conclude", case, "--result", "r", "--measures", "m", "--at", "2026-12-02")
    before = state(kor)
    assert_one_line_error(kor("incident", "investigate", case, "--at", "2026-12-03"), "concluded")
    assert state(kor) == before


def test_an_unknown_case_is_one_line_with_the_way_to_list_them(kor):
    assert_one_line_error(kor("incident", "show", "no-such-case"), "no incident case", "list")
