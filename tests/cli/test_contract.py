"""The CLI contract other tools depend on: commands, options and JSON shapes."""

import pytest

GSOMIA = "KOR-JPN-GSOMIA-2016"


def test_init_is_idempotent(gsomia):
    first = gsomia("init", "--party", "KOR", "--json")
    second = gsomia("init", "--json")
    assert first.code == second.code == 0
    assert second.json["loaded"]["agreements"]["unchanged"] == 4
    assert second.json["party"] == "KOR"


def test_agreement_list_gives_ids_and_parties(gsomia):
    listed = gsomia("agreement", "list", "--json").json
    by_id = {a["id"]: a for a in listed}
    assert by_id[GSOMIA]["parties"] == ["KOR", "JPN"]
    assert by_id["KOR-JPN-USA-TISA-2014"]["hub"] == "USA"


def test_agreement_status_has_the_contract_fields(gsomia):
    status = gsomia("agreement", "status", GSOMIA, "--at", "2018-03-01", "--json").json
    assert {
        "agreement",
        "at",
        "state",
        "in_force",
        "term_start",
        "term_end",
        "notice_deadline",
        "terminates_at",
    } <= set(status)
    assert status["at"] == "2018-03-01T00:00:00+09:00"
    assert status["state"] == "in_force" and status["in_force"] is True
    assert status["term_end"] == "2018-11-23T00:00:00+09:00"
    assert status["notice_deadline_date"] == "2018-08-24"


def test_notify_reports_when_and_whether_late(gsomia):
    timely = gsomia(
        "agreement", "notify", GSOMIA, "--by", "KOR", "--at", "2019-08-23", "--json"
    ).json
    assert timely == {
        "agreement": GSOMIA,
        "event": "termination_notice",
        "by": "KOR",
        "at": "2019-08-23T00:00:00+09:00",
        "state": "termination_notified",
        "takes_effect_at": "2019-11-23T00:00:00+09:00",
        "late": False,
        "notice_deadline": "2019-08-25T00:00:00+09:00",
        "notice_deadline_date": "2019-08-24",
    }


def test_a_late_notice_says_so_in_words(gsomia):
    text = gsomia("agreement", "notify", GSOMIA, "--by", "JPN", "--at", "2019-09-01").stdout
    assert "late" in text and "2020-11-23" in text


@pytest.mark.parametrize(
    ("command", "state"),
    [("suspend-notice", "notice_suspended"), ("withdraw-notice", "in_force")],
)
def test_notice_commands_record_and_report_the_new_state(gsomia, command, state):
    gsomia("agreement", "notify", GSOMIA, "--by", "KOR", "--at", "2019-08-23")
    result = gsomia(
        "agreement", command, GSOMIA, "--by", "KOR", "--at", "2019-11-22T18:00+09:00", "--json"
    )
    assert result.code == 0
    assert result.json["state"] == state


def test_reactivate_notice_restarts_the_notice(gsomia):
    gsomia("agreement", "notify", GSOMIA, "--by", "KOR", "--at", "2019-08-23")
    gsomia("agreement", "suspend-notice", GSOMIA, "--by", "KOR", "--at", "2019-11-22T18:00+09:00")
    result = gsomia(
        "agreement", "reactivate-notice", GSOMIA, "--by", "KOR", "--at", "2020-06-02", "--json"
    ).json
    assert result["state"] == "termination_notified"
    assert result["takes_effect_at"] == "2020-09-01T00:00:00+09:00"


def test_decide_release_json(gsomia):
    decision = gsomia(
        "decide",
        "release",
        "--from",
        "KOR",
        "--to",
        "JPN",
        "--marking",
        "GUNSA II-KUP BI MIL",
        "--topic",
        "nk-missile",
        "--at",
        "2017-05-15",
        "--json",
    ).json
    assert decision["allowed"] is True
    assert decision["agreement"] == GSOMIA
    assert decision["recipient_marking"] == "極秘"
    assert decision["equivalent"] == "SECRET"
    assert {"code", "agreement", "article", "message"} == set(decision["reasons"][0])


def test_decide_release_changes_nothing(gsomia):
    gsomia(
        "decide",
        "release",
        "--from",
        "KOR",
        "--to",
        "JPN",
        "--marking",
        "III",
        "--at",
        "2017-05-15",
    )
    assert gsomia("decision", "list", "--json").json == []


def test_decide_access_json(gsomia):
    result = gsomia(
        "decide",
        "access",
        "--reader-party",
        "JPN",
        "--clearance",
        "hi",
        "--need-to-know",
        "nk-missile",
        "--originator",
        "KOR",
        "--marking",
        "GUNSA III-KUP BI MIL",
        "--topic",
        "nk-missile",
        "--at",
        "2017-05-15",
        "--json",
    )
    assert result.code == 0
    assert result.json["allowed"] is True
    assert set(result.json) == {"allowed", "agreement", "reasons"}


def test_routes_json(gsomia):
    gsomia("history", "load", "kor-jpn-2019")
    found = gsomia(
        "routes",
        "--from",
        "KOR",
        "--to",
        "JPN",
        "--marking",
        "SECRET",
        "--topic",
        "nk-missile",
        "--at",
        "2019-11-23",
        "--json",
    ).json
    assert [r["path"] for r in found] == [["KOR", "JPN"], ["KOR", "USA", "JPN"]]
    hub = found[1]
    assert hub["agreements"] == ["KOR-JPN-USA-TISA-2014", "USA-KOR-SA-1987", "USA-JPN-GSOMIA-2007"]
    assert hub["consents_required"][0] | {"article": None} == {
        "originator": "KOR",
        "to": "JPN",
        "article": None,
    }


def test_registry_commands_round_trip(gsomia):
    gsomia("init", "--party", "KOR")
    person = gsomia(
        "person",
        "add",
        "--name",
        "Kim Min-jun",
        "--clearance",
        "II",
        "--need-to-know",
        "nk-missile",
        "--json",
    ).json
    assert person["clearance"] == "군사Ⅱ급비밀"
    item = gsomia(
        "item",
        "register",
        "--title",
        "Hwasong-12 data",
        "--marking",
        "II",
        "--topic",
        "nk-missile",
        "--at",
        "2017-05-15",
        "--json",
    ).json
    released = gsomia(
        "item", "release", item["reference"], "--to", "JPN", "--at", "2017-05-15", "--json"
    )
    assert released.code == 0 and released.json["allowed"] and released.json["release_id"]
    access = gsomia(
        "item",
        "access",
        item["reference"],
        "--person",
        str(person["id"]),
        "--at",
        "2017-06-01",
        "--json",
    )
    assert access.json["allowed"]
    shown = gsomia("item", "show", item["reference"], "--json").json
    assert [r["to"] for r in shown["releases"]] == ["JPN"]
    assert [d["kind"] for d in shown["decisions"]] == ["release", "access"]
    assert len(gsomia("decision", "list", "--json").json) == 2
    assert gsomia("decision", "show", "1", "--json").json["kind"] == "release"
    assert gsomia("releases", "--json").json[0]["recipient_marking"] == "極秘"


def test_a_denied_action_exits_1_with_its_reasons(gsomia):
    gsomia("init", "--party", "KOR")
    item = gsomia(
        "item",
        "register",
        "--title",
        "x",
        "--marking",
        "I",
        "--topic",
        "nk-missile",
        "--at",
        "2017-05-15",
        "--json",
    ).json
    denied = gsomia("item", "release", item["reference"], "--to", "JPN", "--at", "2017-05-15")
    assert denied.code == 1
    assert "DENIED" in denied.stdout and "level_not_covered" in denied.stdout


def test_receive_transfer_and_consent_commands(gsomia):
    gsomia("init", "--party", "JPN")
    received = gsomia(
        "item",
        "receive",
        "--title",
        "x",
        "--originator",
        "KOR",
        "--marking",
        "SECRET",
        "--topic",
        "nk-missile",
        "--at",
        "2017-05-15",
        "--json",
    ).json
    assert received["item"]["holder_marking"] == "極秘"
    reference = received["item"]["reference"]
    assert gsomia("item", "transfer", reference, "--to", "USA", "--at", "2018-01-01").code == 1
    consent = gsomia(
        "consent",
        "add",
        reference,
        "--to",
        "USA",
        "--granted",
        "2017-12-01",
        "--reference",
        "MND-1",
        "--json",
    )
    assert consent.code == 0
    assert gsomia(
        "item", "transfer", reference, "--to", "USA", "--at", "2018-01-01", "--json"
    ).json["allowed"]
    assert len(gsomia("consent", "list", "--json").json) == 1


def test_every_listing_command_takes_json(gsomia):
    for command in (
        ["scheme", "list"],
        ["agreement", "list"],
        ["agreement", "show", GSOMIA],
        ["agreement", "events", GSOMIA],
        ["history", "list"],
        ["person", "list"],
        ["item", "list"],
        ["consent", "list"],
        ["decision", "list"],
        ["releases"],
    ):
        result = gsomia(*command, "--json")
        assert result.code == 0, command
        assert isinstance(result.json, list | dict)


def test_human_output_reads_as_a_table(gsomia):
    text = gsomia("agreement", "status", GSOMIA, "--at", "2019-09-01").stdout
    assert "in_force" in text and "2019-11-23" in text


# -- output for people ------------------------------------------------------------------------


def test_init_says_what_it_created_then_that_it_is_up_to_date(run_cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    first = run_cli("--db", url, "init", "--party", "JPN")
    assert first.code == 0
    assert first.stdout.startswith(f"Created {url}")
    assert "party: JPN" in first.stdout and "agreements: 4 added" in first.stdout
    again = run_cli("--db", url, "init")
    assert again.stdout.startswith("Registry up to date:")
    assert "agreements: 0 added, 0 updated, 4 unchanged" in again.stdout


def test_piped_tables_are_never_cut(gsomia):
    gsomia("init", "--party", "KOR")
    title = "A long title " + "that goes on " * 12 + "and ends here"
    gsomia(
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
    listed = gsomia("item", "list").stdout
    assert title in listed
    assert "…" not in listed
    assert "Agreement between the Government" not in gsomia("agreement", "list").stdout
    assert "KOR-JPN-USA-TISA-2014" in gsomia("agreement", "list").stdout


def test_people_get_fields_not_python_dicts(gsomia):
    gsomia("init", "--party", "KOR")
    received = gsomia(
        "item",
        "receive",
        "--title",
        "Splash-down points",
        "--originator",
        "JPN",
        "--marking",
        "極秘",
        "--topic",
        "nk-missile",
        "--at",
        "2017-03-07",
    )
    shown = gsomia("item", "show", "KOR-2017-0001")
    for output in (received.stdout, shown.stdout):
        assert "{'" not in output and "': " not in output
    assert "item KOR-2017-0001: Splash-down points — 군사Ⅱ급비밀, originator JPN" in received.stdout
    assert "  holder_marking: 군사Ⅱ급비밀" in shown.stdout


def test_impact_answers_the_november_2019_question_and_records_nothing(gsomia):
    """`gsomia impact AGREEMENT --at T [--json]`: flows rerouted through the hub or stopped
    (Art 21, Rule 13), received items still protected; the ledger does not grow."""
    gsomia("init", "--party", "KOR")
    made = gsomia(
        "item", "register", "--title", "Missile", "--marking", "군사Ⅱ급비밀",
        "--topic", "nk-missile", "--at", "2017-03-01", "--json",
    ).json  # fmt: skip
    gsomia("item", "release", made["reference"], "--to", "JPN", "--at", "2017-03-02")
    size = gsomia("ledger", "verify", "--json").json["size"]
    found = gsomia("impact", GSOMIA, "--at", "2019-11-23T00:00+09:00", "--json")
    assert found.code == 0
    assert {
        "agreement", "at", "recorded", "items_continuing", "items_rerouted", "items_stopped",
        "items_protected", "flows", "holdings",
    } <= set(found.json)  # fmt: skip
    assert found.json["recorded"] is False and found.json["items_rerouted"] == 1
    [flow] = found.json["flows"]
    assert (flow["from"], flow["to"], flow["outcome"]) == ("KOR", "JPN", "rerouted")
    assert flow["routes"][0]["path"] == ["KOR", "USA", "JPN"]
    text = gsomia("impact", GSOMIA, "--at", "2019-11-23T00:00+09:00").stdout
    assert "what-if" in text and "KOR → USA → JPN" in text
    assert gsomia("ledger", "verify", "--json").json["size"] == size


def test_impact_of_an_unknown_agreement_is_exit_2(gsomia):
    gsomia("init", "--party", "KOR")
    result = gsomia("impact", "NO-SUCH-AGREEMENT", "--at", "2019-11-23")
    assert result.code == 2
    assert "unknown agreement" in result.stderr
