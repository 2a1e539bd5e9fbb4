"""`gsomia visit`: the contract of its commands (options, JSON keys, exit codes), and bad input
as one line, exit 2, nothing changed."""

from __future__ import annotations

import pytest

from tests.cli.test_bad_input import assert_one_line_error


@pytest.fixture
def jpn(gsomia, run_cli, tmp_path, monkeypatch):
    """JPN's registry (the one `gsomia` runs against) with KOR's node as its peer and one
    cleared person; KOR's registry is at `tmp_path / kor.db`."""
    monkeypatch.setenv("GSOMIA_PASSPHRASE", "correct horse battery staple")
    kor = f"sqlite:///{tmp_path / 'kor.db'}"
    keys = str(tmp_path / "kor.json")
    kor_setup: list[tuple[str, ...]] = [
        ("init", "--party", "KOR"),
        ("keys", "init"),
        ("keys", "export", "-o", keys),
    ]
    for args in kor_setup:
        assert run_cli("--db", kor, *args).code == 0
    jpn_setup: list[tuple[str, ...]] = [
        ("init", "--party", "JPN", "--time-zone", "Asia/Tokyo"),
        ("keys", "init"),
        ("peer", "add", "KOR", "--url", "http://kor.invalid", "--keys", keys, "--trust"),
        ("person", "add", "--name", "Sato Hiroshi", "--clearance", "極秘"),
    ]
    for args in jpn_setup:
        done = gsomia(*args)
        assert done.code == 0, done.stderr
    return gsomia


REQUEST = (
    "visit",
    "request",
    "--host",
    "KOR",
    "--visitor",
    "Sato Hiroshi",
    "--purpose",
    "missile warning data exchange",
    "--facility",
    "JCS operations centre, Seoul",
    "--from",
    "2025-10-20",
    "--until",
    "2025-10-22",
    "--max-marking",
    "II",
    "--type",
    "one-time",
)


def with_option(*changes: str) -> tuple[str, ...]:
    """REQUEST with each option given (option, value, option, value...) changed."""
    args = list(REQUEST)
    for option, value in zip(changes[::2], changes[1::2], strict=True):
        args[args.index(option) + 1] = value
    return tuple(args)


def nothing_recorded(gsomia) -> bool:
    visits = gsomia("visit", "list", "--json").json
    decided = gsomia("decision", "list", "--kind", "visit", "--json").json
    return bool(visits == [] and decided == [])


def test_a_request_gives_the_contract_keys_and_lists_requested(jpn):
    made = jpn(*REQUEST, "--at", "2025-09-05T10:00+09:00", "--json")
    assert made.code == 0, made.stderr
    view = made.json
    assert {"allowed", "agreement", "reasons", "decision_id", "visit"} <= set(view)
    visit = view["visit"]
    assert {
        "id",
        "requester",
        "host",
        "agreement",
        "type",
        "purpose",
        "facility",
        "from",
        "until",
        "max_marking",
        "max_english",
        "visitors",
        "requested_at",
        "state",
        "lead_time",
        "answered_at",
        "answer_note",
        "to_answer_here",
        "message",
    } == set(visit)
    assert (visit["state"], visit["from"], visit["max_marking"]) == (
        "requested",
        "2025-10-20",
        "군사Ⅱ급비밀",
    )
    assert visit["lead_time"] == {
        "available": 25,
        "required": 20,
        "met": True,
        "country": "KR",
        "time_zone": "Asia/Seoul",
    }
    assert visit["visitors"] == [{"name": "Sato Hiroshi", "party": "JPN", "clearance": "極秘"}]
    [listed] = jpn("visit", "list", "--json").json
    assert listed == jpn("visit", "show", visit["id"], "--json").json
    shown = jpn("visit", "show", visit["id"])
    assert "25 of 20 working days (KR)" in shown.stdout


def test_a_request_short_of_lead_time_is_refused_with_exit_1_and_the_reason(jpn):
    refused = jpn(*REQUEST, "--at", "2025-09-19T10:00+09:00")
    assert refused.code == 1
    assert "DENIED" in refused.stdout and "lead_time_short" in refused.stdout
    assert jpn("visit", "list", "--json").json == []
    assert len(jpn("decision", "list", "--kind", "visit", "--json").json) == 1


def test_approving_on_the_requesters_node_is_refused(jpn):
    visit = jpn(*REQUEST, "--at", "2025-09-05T10:00+09:00", "--json").json["visit"]
    refused = jpn("visit", "approve", visit["id"])
    assert refused.code == 1
    assert "only the host approves or refuses it" in refused.stderr
    assert jpn("visit", "show", visit["id"], "--json").json["state"] == "requested"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (with_option("--type", "weekly"), ("unknown visit type", "one-time, recurring, emergency")),
        (with_option("--from", "20 Oct"), ("--from", "YYYY-MM-DD")),
        (with_option("--until", "2025-13-01"), ("--until", "YYYY-MM-DD")),
        (with_option("--from", "9999-01-01"), ("outside the supported years",)),
        (with_option("--host", "PRK"), ("unknown party", "PRK")),
        (with_option("--host", "JPN"), ("cannot request a visit of itself",)),
        (with_option("--host", "USA", "--max-marking", "SECRET"), ("USA is not a peer",)),
        (with_option("--max-marking", "極秘"), ("unknown marking", "KOR")),
        (with_option("--visitor", "Nobody"), ("no person named",)),
        (with_option("--visitor", "42"), ("no person with id 42",)),
        (with_option("--purpose", "  "), ("purpose must not be empty",)),
        ((*REQUEST, "--at", "2025-09-05T10:00"), ("no UTC offset",)),
    ],
)
def test_bad_request_input_is_one_line_exit_2_and_changes_nothing(jpn, args, words):
    assert_one_line_error(jpn(*args), *words)
    assert nothing_recorded(jpn)


@pytest.mark.parametrize(
    "args",
    [
        ("visit", "approve", "no-such-visit"),
        ("visit", "refuse", "no-such-visit", "--reason", "no"),
        ("visit", "show", "no-such-visit"),
        ("visit", "access", "no-such-visit", "--visitor", "A", "--marking", "II"),
    ],
)
def test_an_unknown_request_is_named(jpn, args):
    assert_one_line_error(jpn(*args), "no request for visit", "no-such-visit")
    assert nothing_recorded(jpn)


def test_a_refusal_without_reason_is_bad_input(jpn):
    visit = jpn(*REQUEST, "--at", "2025-09-05T10:00+09:00", "--json").json["visit"]
    assert_one_line_error(jpn("visit", "refuse", visit["id"], "--reason", " "), "reason")
    assert jpn("visit", "show", visit["id"], "--json").json["state"] == "requested"


def test_agreement_show_states_the_visit_practice_and_article(gsomia):
    shown = gsomia("agreement", "show", "KOR-JPN-GSOMIA-2016", "--json").json
    assert shown["articles"]["visits"] == "Art 8"
    assert shown["visits"] == {
        "lead_working_days": {"one-time": 20, "recurring": 20, "emergency": 3},
        "longest_days": {"one-time": 30, "emergency": 30},
        "recurring_months": 12,
        "calendars": {},
    }
