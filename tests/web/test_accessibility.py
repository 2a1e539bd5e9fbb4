"""Every page of the web UI is usable with a keyboard and a screen reader: a language, a
title, one main heading, a skip link, a label for every form control, headers for every
table; and no script of its own inline (the CSP forbids it)."""

from __future__ import annotations

from html.parser import HTMLParser

from gsomia.node.commands import ledger, setup
from tests.web.conftest import PASSPHRASE, log_in

PAGES = {
    "reg": [
        "/",
        "/items",
        "/inbox",
        "/decisions",
        "/what-if?sender=KOR&recipient=JPN&marking=II&topic=nk-missile&at=2018-01-01",
    ],
    "aud": ["/ledger", "/ledger?position=0"],
    None: ["/login"],
}


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.labels: set[str] = set()
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "label" and attributes.get("for"):
            self.labels.add(str(attributes["for"]))
        self._in_script = tag == "script" and not attributes.get("src")

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def read(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def test_every_page_has_the_landmarks_and_labels(site, node):
    setup.load_history(node, "kor-jpn-2019")
    ledger.head(node, PASSPHRASE)  # a signed checkpoint, for the inclusion proof
    for name, paths in PAGES.items():
        site.cookies.clear()
        if name:
            log_in(site, name)
        for path in paths:
            answer = site.get(path)
            assert answer.status_code == 200, path
            page = read(answer.text)
            tags = [t for t, _ in page.tags]
            html = dict(page.tags)["html"]
            assert html.get("lang") in ("en", "ko", "ja"), path
            assert tags.count("h1") == 1, path
            assert "main" in tags and "title" in tags, path
            assert any(t == "a" and a.get("class") == "skip" for t, a in page.tags), path
            for tag, attributes in page.tags:
                if tag in ("input", "select", "textarea") and attributes.get("type") != "hidden":
                    assert attributes.get("id") in page.labels or attributes.get("aria-label"), (
                        path,
                        attributes,
                    )
                if tag == "svg":
                    assert attributes.get("role") == "img" and attributes.get("aria-labelledby")
            if "table" in tags:
                assert "th" in tags, path
            assert page.inline_scripts == 0, path
