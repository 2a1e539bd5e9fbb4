"""The web UI in process: sessions and their CSRF tokens, pages by role, languages, and the
dashboard's picture of an agreement's history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gsomia.api.web import timeline
from gsomia.node.commands import setup
from tests.web.conftest import csrf_of, log_in

PAGES = {
    "/": None,
    "/items": "reg",
    "/inbox": "reg",
    "/decisions": "aud",
    "/ledger": "aud",
    "/what-if": "reg",
}


def test_a_page_without_a_session_sends_the_browser_to_login(site):
    answer = site.get("/items", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/items"


def test_login_opens_a_session_cookie_that_scripts_cannot_read(site):
    answer = log_in(site, "reg", next_path="/items")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/items"
    cookie = answer.headers["set-cookie"]
    assert "gsomia_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie


def test_a_wrong_password_or_name_is_refused_alike(site):
    wrong_password = log_in(site, "reg", "not the password at all")
    unknown = log_in(site, "nobody", "not the password at all")
    assert wrong_password.status_code == unknown.status_code == 401
    assert "Wrong user name or password." in wrong_password.text
    assert "gsomia_session" not in wrong_password.headers.get("set-cookie", "")


def test_login_without_its_form_token_is_refused(site):
    """Login CSRF: a login posted from another site lacks the form's token."""
    site.get("/login")
    answer = site.post(
        "/login",
        data={"username": "reg", "password": "a long enough password", "csrf_token": "x"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "CSRF token does not match" in answer.text
    assert "gsomia_session" not in answer.headers.get("set-cookie", "")


@pytest.mark.parametrize("target", ["https://elsewhere.example/", "//elsewhere.example/", "/\\x"])
def test_login_never_sends_the_browser_to_another_site(site, target):
    answer = log_in(site, "reg", next_path=target)
    assert answer.headers["location"] == "/"


def test_each_page_opens_for_a_role_that_may_read_it(site):
    for path, name in PAGES.items():
        site.cookies.clear()
        log_in(site, name or "adm")
        answer = site.get(path)
        assert answer.status_code == 200, (path, answer.text[:300])
        assert answer.headers["content-security-policy"].startswith("default-src 'self'")


@pytest.mark.parametrize(
    ("name", "path"),
    [("adm", "/items"), ("adm", "/decisions"), ("reg", "/ledger"), ("sec", "/ledger/x")],
)
def test_a_page_the_role_may_not_read_is_refused(site, name, path):
    log_in(site, name)
    answer = site.get(path)
    assert answer.status_code in (403, 404)
    if path != "/ledger/x":
        assert answer.status_code == 403
        assert "may not" in answer.text


def test_a_change_without_the_sessions_csrf_token_changes_nothing(site, node):
    log_in(site, "reg")
    before = site.get("/items").text.count("<tr>")
    for token in ("", "forged", csrf_of(site.get("/login").text)):
        answer = site.post(
            "/items",
            data={"title": "T", "marking": "II", "topic": "nk-missile", "csrf_token": token},
            follow_redirects=False,
        )
        assert answer.status_code == 403
        assert "CSRF token does not match" in answer.text
    assert site.get("/items").text.count("<tr>") == before


def test_a_registry_officer_registers_and_releases_from_the_pages(site):
    log_in(site, "reg")
    token = csrf_of(site.get("/items").text)
    made = site.post(
        "/items",
        data={
            "title": "Launch report",
            "marking": "II",
            "topic": "nk-missile",
            "at": "2017-05-15",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    page = site.get(made.headers["location"]).text
    assert "Launch report" in page and "Ⅱ급" in page and "SECRET" in page
    released = site.post(
        made.headers["location"] + "/release",
        data={"to": "JPN", "at": "2017-05-16", "csrf_token": token},
    )
    assert released.status_code == 200
    assert "decision allowed" in released.text
    assert "KOR-JPN-GSOMIA-2016" in released.text
    denied = site.post(
        made.headers["location"] + "/release",
        data={"to": "NATO", "at": "2017-05-16", "csrf_token": token},
    )
    assert "decision denied" in denied.text


def test_bad_input_in_a_form_is_one_clear_error(site):
    log_in(site, "reg")
    token = csrf_of(site.get("/items").text)
    answer = site.post(
        "/items",
        data={"title": "T", "marking": "ULTRA", "topic": "nk-missile", "csrf_token": token},
    )
    assert answer.status_code == 422
    assert "ULTRA" in answer.text
    assert "Traceback" not in answer.text


def test_pages_are_in_the_officers_own_language(site):
    log_in(site, "sec")
    page = site.get("/").text
    assert '<html lang="ko">' in page
    assert "대시보드" in page and "협정" in page
    token = csrf_of(page)
    site.post("/language", data={"choice": "ja", "csrf_token": token, "back": "/"})
    page = site.get("/").text
    assert '<html lang="ja">' in page and "ダッシュボード" in page


def test_the_dashboard_shows_the_2019_notice_deadline_and_expiry(site, node):
    """The replayed 2019 history: Korea's notice of 2019-08-23 stood at 2019-11-22, against a
    notice deadline of 2019-08-24 (the last day, 90 days before 2019-11-23) and an expiry on
    2019-11-23, one day left."""
    setup.load_history(node, "kor-jpn-2019")
    log_in(site, "reg")
    page = site.get("/?at=2019-11-22T12:00%2B09:00").text
    assert "2019-08-24" in page
    assert "2019-11-23 (1 day left)" in page
    assert "<svg" in page and "termination notice" in page


def test_the_timeline_places_terms_and_events_in_order():
    start = datetime(2016, 11, 23, tzinfo=UTC)
    drawn = timeline.layout(
        start,
        12,
        [(datetime(2019, 8, 23, tzinfo=UTC), "termination_notice")],
        datetime(2019, 11, 22, tzinfo=UTC),
        datetime(2019, 11, 23, tzinfo=UTC),
    )
    assert [label for _, label in drawn.ticks] == ["2017", "2018", "2019", "2020"]
    assert len(drawn.terms) == 3  # 2016-17, 2017-18, 2018-19: the last ends at termination
    assert drawn.terms[-1][1] == drawn.marks[-1].x
    assert drawn.marks[0].x < drawn.now < drawn.marks[-1].x


@given(
    st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2150, 1, 1)),
    st.lists(st.integers(min_value=0, max_value=40_000), max_size=8),
    st.integers(min_value=0, max_value=40_000),
    st.sampled_from([None, 1, 12, 60]),
)
def test_everything_drawn_lies_on_the_picture(start, offsets, now, months):
    from datetime import timedelta

    begin = start.replace(tzinfo=UTC)
    events = [(begin + timedelta(days=d), "termination_notice") for d in offsets]
    drawn = timeline.layout(begin, months, events, begin + timedelta(days=now))
    xs = [drawn.now] + [m.x for m in drawn.marks] + [x for t in drawn.terms for x in t]
    assert all(timeline.LEFT <= x <= drawn.width - timeline.RIGHT for x in xs)
    assert all(a <= b for a, b in drawn.terms)
