"""The real history, replayed end to end through the CLI: the answers of 2019 and 2023."""

import pytest

GSOMIA = "KOR-JPN-GSOMIA-2016"


@pytest.fixture
def replayed(gsomia):
    gsomia("init", "--party", "KOR")
    assert gsomia("history", "load", "kor-jpn-2019").code == 0
    return gsomia


def status(gsomia, at):
    return gsomia("agreement", "status", GSOMIA, "--at", at, "--json").json


def release(gsomia, at, topic="nk-missile"):
    return gsomia(
        "decide",
        "release",
        "--from",
        "KOR",
        "--to",
        "JPN",
        "--marking",
        "II",
        "--topic",
        topic,
        "--at",
        at,
        "--json",
    ).json


def test_after_the_notice_the_deadline_was_24_august_and_lapse_was_set_for_midnight(replayed):
    s = status(replayed, "2019-09-01")
    assert s["state"] == "termination_notified"
    assert s["notice_deadline_date"] == "2019-08-24"
    assert s["term_last_day"] == "2019-11-22"
    assert s["terminates_at"] == "2019-11-23T00:00:00+09:00"
    assert s["notice"]["delivered_at"] == "2019-08-23T00:00:00+09:00"


def test_the_suspension_kept_the_agreement_in_force_at_midnight(replayed):
    s = status(replayed, "2019-11-23T00:00+09:00")
    assert (s["state"], s["in_force"]) == ("notice_suspended", True)
    assert s["term_end"] == "2020-11-23T00:00:00+09:00"
    assert release(replayed, "2019-11-23T00:00+09:00")["allowed"]


def test_between_suspension_and_withdrawal_the_agreement_renewed_each_year(replayed):
    for year in (2020, 2021, 2022):
        s = status(replayed, f"{year}-12-01")
        assert (s["state"], s["in_force"]) == ("notice_suspended", True)
        assert s["term_start"] == f"{year}-11-23T00:00:00+09:00"


def test_after_the_withdrawal_ordinary_renewal_resumed(replayed):
    s = status(replayed, "2023-03-21")
    assert (s["state"], s["notice"]) == ("in_force", None)
    assert s["notice_deadline_date"] == "2023-08-24"
    assert s["terminates_at"] is None


def test_had_the_notice_stood_midnight_would_have_stopped_direct_exchange_but_not_tisa(gsomia):
    """The question of November 2019, asked of a registry where the notice was never suspended."""
    gsomia("init", "--party", "KOR")
    gsomia("agreement", "notify", GSOMIA, "--by", "KOR", "--at", "2019-08-23")
    assert release(gsomia, "2019-11-22T23:59+09:00")["allowed"]
    denied = release(gsomia, "2019-11-23T00:00+09:00")
    assert not denied["allowed"]
    assert denied["reasons"][0]["code"] == "agreement_not_in_force"
    assert denied["reasons"][0]["article"] == "Art 21"
    routes = gsomia(
        "routes",
        "--from",
        "KOR",
        "--to",
        "JPN",
        "--marking",
        "II",
        "--topic",
        "nk-missile",
        "--at",
        "2019-11-23T00:00+09:00",
        "--json",
    ).json
    assert [r["path"] for r in routes] == [["KOR", "USA", "JPN"]]
    assert routes[0]["consents_required"][0]["originator"] == "KOR"
    no_route = gsomia(
        "routes",
        "--from",
        "KOR",
        "--to",
        "JPN",
        "--marking",
        "II",
        "--topic",
        "naval-operations",
        "--at",
        "2019-11-23T00:00+09:00",
        "--json",
    ).json
    assert no_route == []
    access = gsomia(
        "decide",
        "access",
        "--reader-party",
        "JPN",
        "--clearance",
        "極秘",
        "--need-to-know",
        "nk-missile",
        "--originator",
        "KOR",
        "--marking",
        "II",
        "--topic",
        "nk-missile",
        "--at",
        "2019-12-01",
        "--json",
    ).json
    assert access["allowed"]
    assert "protection_survives" in [r["code"] for r in access["reasons"]]
