"""Bad input: one clear line, exit code 2, and the database unchanged."""

import pytest

GSOMIA = "KOR-JPN-GSOMIA-2016"


def assert_one_line_error(result, *words):
    assert result.code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in result.stderr


def events(gsomia):
    return gsomia("agreement", "events", GSOMIA, "--json").json


def test_unknown_agreement_lists_the_known_ones(gsomia):
    assert_one_line_error(
        gsomia("agreement", "status", "KOR-CHN-1", "--at", "2019-01-01"),
        "KOR-CHN-1",
        GSOMIA,
        "USA-KOR-SA-1987",
    )


def test_unknown_party_lists_the_known_ones(gsomia):
    result = gsomia(
        "decide", "release", "--from", "KOR", "--to", "PRK", "--marking", "II", "--at", "2019-01-01"
    )
    assert_one_line_error(result, "PRK", "KOR", "JPN", "USA", "NATO")


def test_unknown_marking_lists_the_schemes_markings(gsomia):
    result = gsomia(
        "decide",
        "release",
        "--from",
        "JPN",
        "--to",
        "KOR",
        "--marking",
        "SECRET//NOFORN",
        "--at",
        "2019-01-01",
    )
    assert_one_line_error(result, "SECRET//NOFORN", "極秘", "gokuhi")


def test_instant_without_offset_is_refused(gsomia):
    assert_one_line_error(
        gsomia("agreement", "status", GSOMIA, "--at", "2019-11-22T18:00"), "no UTC offset"
    )


def test_notice_by_a_non_party_is_refused_and_nothing_is_recorded(gsomia):
    assert_one_line_error(
        gsomia("agreement", "notify", GSOMIA, "--by", "USA", "--at", "2019-08-23"),
        "USA is not a party",
    )
    assert events(gsomia) == []


def test_events_before_entry_into_force_or_after_termination_are_refused(gsomia):
    assert_one_line_error(
        gsomia("agreement", "notify", GSOMIA, "--by", "KOR", "--at", "2016-01-01"), "before"
    )
    gsomia("agreement", "notify", GSOMIA, "--by", "KOR", "--at", "2019-08-23")
    assert_one_line_error(
        gsomia("agreement", "withdraw-notice", GSOMIA, "--by", "KOR", "--at", "2019-12-01"),
        "termination is final",
    )
    assert len(events(gsomia)) == 1


def test_a_duplicate_event_is_refused(gsomia):
    gsomia("agreement", "notify", GSOMIA, "--by", "KOR", "--at", "2019-08-23")
    assert_one_line_error(
        gsomia("agreement", "notify", GSOMIA, "--by", "KOR", "--at", "2019-08-23"),
        "duplicate event",
    )
    assert len(events(gsomia)) == 1


def test_a_malformed_agreement_file_is_named_and_nothing_changes(gsomia, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: X-1\nkind: bilateral\n", encoding="utf-8")
    assert_one_line_error(gsomia("agreement", "load", str(path)), "broken.yaml", "field")
    assert len(gsomia("agreement", "list", "--json").json) == 4


def test_an_inconsistent_agreement_file_is_named(gsomia, tmp_path):
    path = tmp_path / "inconsistent.yaml"
    path.write_text(
        "id: KOR-FRA-1\ntitle: t\nkind: bilateral\nparties: [KOR, FRA]\nentry_into_force: 2020-01-01\n"
        "legal_time_zone: Europe/Paris\narticles: {term: a, equivalence: b, third_party: c, access: d, survival: e}\n",
        encoding="utf-8",
    )
    assert_one_line_error(gsomia("agreement", "load", str(path)), "inconsistent.yaml", "FRA")


def test_an_unreachable_database_is_one_line(gsomia):
    result = gsomia("--db", "postgresql://nobody@127.0.0.1:1/none", "agreement", "list")
    assert_one_line_error(result, "cannot reach database", "GSOMIA_DB")


def test_an_unknown_item_or_person_is_named(gsomia):
    gsomia("init", "--party", "KOR")
    assert_one_line_error(
        gsomia("item", "release", "KOR-2017-9999", "--to", "JPN", "--at", "2018-01-01"), "no item"
    )
    assert_one_line_error(gsomia("person", "show", "42"), "no person")


def test_a_bad_topic_is_refused(gsomia):
    result = gsomia(
        "decide",
        "release",
        "--from",
        "KOR",
        "--to",
        "JPN",
        "--marking",
        "II",
        "--topic",
        "NK Missile",
        "--at",
        "2019-01-01",
    )
    assert_one_line_error(result, "invalid topic")


def test_a_registry_without_a_party_says_how_to_set_one(gsomia):
    result = gsomia(
        "item",
        "register",
        "--title",
        "x",
        "--marking",
        "II",
        "--topic",
        "nk-missile",
        "--at",
        "2018-01-01",
    )
    assert_one_line_error(result, "gsomia init --party")


@pytest.mark.parametrize(
    "args", [["agreement", "status", GSOMIA], ["decide", "release", "--from", "KOR"]]
)
def test_missing_options_are_a_usage_error_with_exit_2(gsomia, args):
    result = gsomia(*args)
    assert result.code == 2
    assert "Missing option" in result.stderr
