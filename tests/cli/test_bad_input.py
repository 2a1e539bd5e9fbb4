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
    assert_one_line_error(result, "cannot reach database")


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


# -- what used to print a traceback, and what is refused now -------------------------------------


@pytest.mark.parametrize("instant", ["9999-12-31", "0001-01-01", "9999-12-31T23:59+14:00"])
def test_instants_outside_the_supported_range_are_one_line(gsomia, instant):
    assert_one_line_error(gsomia("agreement", "status", GSOMIA, "--at", instant), "instant")


@pytest.mark.parametrize("number", ["9223372036854775808", "99999999999999999999999", "0"])
def test_ids_beyond_what_a_database_holds_are_simply_not_found(gsomia, number):
    gsomia("init", "--party", "KOR")
    assert_one_line_error(gsomia("person", "show", number), "no person")
    assert_one_line_error(gsomia("decision", "show", number), "no decision")
    assert_one_line_error(gsomia("item", "show", number), "no item")


@pytest.mark.parametrize(
    "url", ["sqlite:////dev/null", "sqlite://", "sqlite:///:memory:", "sqlite:////tmp"]
)
def test_a_database_that_cannot_hold_a_registry_is_refused(run_cli, url):
    for command in (["agreement", "list"], ["init"]):
        assert_one_line_error(run_cli("--db", url, *command))


def test_a_missing_registry_is_never_created_by_anything_but_init(run_cli, tmp_path):
    missing = tmp_path / "missing.db"
    assert_one_line_error(
        run_cli("--db", f"sqlite:///{missing}", "agreement", "list"), "gsomia init"
    )
    assert not missing.exists()
    assert run_cli("--db", f"sqlite:///{missing}", "init").code == 0
    assert missing.exists()


def register(gsomia, *extra):
    return gsomia(
        "item",
        "register",
        "--title",
        "t",
        "--marking",
        "II",
        "--topic",
        "nk-missile",
        "--at",
        "2017-05-15",
        *extra,
    )


def test_a_release_dated_before_the_item_was_registered_is_refused(gsomia):
    gsomia("init", "--party", "KOR")
    register(gsomia)
    assert_one_line_error(
        gsomia("item", "release", "KOR-2017-0001", "--to", "JPN", "--at", "2017-05-14"),
        "precede",
    )
    assert gsomia("decision", "list", "--json").json == []


def test_own_items_are_released_never_transferred_and_need_no_consent(gsomia):
    gsomia("init", "--party", "KOR")
    register(gsomia)
    assert_one_line_error(
        gsomia("item", "transfer", "KOR-2017-0001", "--to", "USA", "--at", "2018-01-01"),
        "release",
    )
    assert_one_line_error(
        gsomia("consent", "add", "KOR-2017-0001", "--to", "USA", "--granted", "2018-01-01"),
        "originated",
    )
    assert gsomia("decision", "list", "--json").json == []
    assert gsomia("consent", "list", "--json").json == []


def test_registering_another_partys_item_is_refused(gsomia):
    gsomia("init", "--party", "KOR")
    assert_one_line_error(register(gsomia, "--originator", "JPN"), "received, not registered")
    assert gsomia("item", "list", "--json").json == []


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (["item", "list", "--holder", "XYZ"], "unknown party"),
        (["item", "list", "--originator", "xyz"], "unknown party"),
        (["item", "list", "--topic", "Not A Slug"], "invalid topic"),
        (["decision", "list", "--kind", "burn"], "unknown decision kind"),
        (["ledger", "entries", "--limit", "-1"], "negative"),
        (["ledger", "entries", "--start", "-5"], "negative"),
    ],
)
def test_unknown_filter_values_are_refused(gsomia, args, word):
    gsomia("init", "--party", "KOR")
    assert_one_line_error(gsomia(*args), word)


def test_user_text_reaches_the_terminal_with_its_control_characters_neutralised(gsomia):
    gsomia("init", "--party", "KOR")
    title = "Report\x1b[2J\x1b]0;pwned\x07 \u202etxt.exe"
    result = register(gsomia).code
    assert result == 0
    added = gsomia(
        "item",
        "register",
        "--title",
        title,
        "--marking",
        "II",
        "--topic",
        "nk-missile",
        "--at",
        "2017-05-15",
    )
    listed = gsomia("item", "list")
    shown = gsomia("item", "show", "KOR-2017-0002")
    for output in (added.stdout, listed.stdout, shown.stdout):
        assert "\x1b" not in output and "\x07" not in output and "\u202e" not in output
        assert "\\x1b[2J" in output
    assert gsomia("item", "show", "KOR-2017-0002", "--json").json["title"] == title
    error = gsomia("item", "show", "\x1b[31mred")
    assert_one_line_error(error, "no item")
    assert "\x1b" not in error.stderr
