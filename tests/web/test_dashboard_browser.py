"""The dashboard in a real browser, on a live node replaying the 2019 history: the notice
deadline and the expiry stand out, and the history is drawn, not described."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.federation.conftest import Node, free_port
from tests.web.browser import chromium, log_in

PASSWORD = "dashboard test password"


@pytest.fixture(scope="module")
def kor(tmp_path_factory) -> Iterator[Node]:
    folder = tmp_path_factory.mktemp("dashboard")
    port = free_port()
    node = Node("KOR", f"http://127.0.0.1:{port}", f"sqlite:///{folder / 'kor.db'}", folder, port)
    node.run("init", "--party", "KOR", "--time-zone", "Asia/Seoul")
    node.run("keys", "init")
    node.run("history", "load", "kor-jpn-2019")
    node.run(
        "user",
        "add",
        "ko",
        "--role",
        "auditor",
        "--language",
        "ko",
        env={"GSOMIA_USER_PASSWORD": PASSWORD},
    )
    node.run("user", "add", "en", "--role", "auditor", env={"GSOMIA_USER_PASSWORD": PASSWORD})
    node.start()
    yield node
    node.stop()


def test_the_dashboard_shows_the_2019_notice_deadline_and_expiry(kor: Node):
    with chromium() as browser:
        page = browser.new_page()
        log_in(page, kor.url, "en", PASSWORD)
        page.get_by_label("As at").fill("2019-11-22T12:00+09:00")
        page.get_by_role("button", name="Show").click()
        section = page.locator("section.agreement").filter(has_text="KOR-JPN-GSOMIA-2016")
        expect(section.locator(".state")).to_have_text("termination notified")
        expect(section.locator(".deadline")).to_contain_text("2019-08-24")
        expect(section.locator(".expiry")).to_contain_text("2019-11-23 (1 day left)")
        timeline = section.locator("svg.timeline")
        expect(timeline).to_be_visible()
        expect(timeline.locator("circle.mark-termination_notice")).to_have_count(1)
        expect(timeline.locator("title")).to_contain_text("2019-08-23 termination notice")
        box = timeline.bounding_box()
        assert box is not None and box["width"] > 400


def test_a_korean_officer_reads_it_in_korean(kor: Node):
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{kor.url}/login")
        page.locator("#username").fill("ko")
        page.locator("#password").fill(PASSWORD)
        page.locator("button[type=submit]").click()
        page.goto(f"{kor.url}/?at=2019-11-22T12:00%2B09:00")
        expect(page.locator("html")).to_have_attribute("lang", "ko")
        expect(page.get_by_role("link", name="대시보드")).to_be_visible()
        section = page.locator("section.agreement").filter(has_text="KOR-JPN-GSOMIA-2016")
        expect(section.locator(".state")).to_have_text("종료 통보됨")
        expect(section.locator(".expiry")).to_contain_text("1일 남음")
