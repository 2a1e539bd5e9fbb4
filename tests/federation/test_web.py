"""The officers' web UI on a live node, in a real browser (Chromium from Debian, driven by
Playwright): an officer registers an item and releases it to a live partner node and sees its
signed receipt; a security officer answers a consent request that arrived from a partner; an
auditor verifies the ledger; a registry officer cannot answer a consent request; a forged
CSRF token is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.federation.conftest import Federation
from tests.web.browser import chromium, log_in

pytestmark = pytest.mark.xdist_group("federation-web")

PASSWORD = "officers' long password"
ROLES = {"reg": "registry-officer", "sec": "security-officer", "aud": "auditor"}


@pytest.fixture(scope="module")
def officers(federation: Federation) -> Federation:
    for name, role in ROLES.items():
        federation["KOR"].run(
            "user", "add", name, "--role", role, env={"GSOMIA_USER_PASSWORD": PASSWORD}
        )
    return federation


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-US")
    opened = context.new_page()
    yield opened
    context.close()


def test_an_officer_registers_releases_and_sees_the_partners_receipt(officers, page: Page):
    kor = officers["KOR"]
    log_in(page, kor.url, "reg", PASSWORD)
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Title").fill("Launch telemetry, illustrative")
    page.get_by_label("Marking", exact=True).fill("II")
    page.locator("#new-topic").fill("nk-missile")
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Launch telemetry, illustrative")
    reference = page.locator("h1").inner_text().split()[0]
    page.get_by_label("To", exact=True).select_option("JPN")
    page.get_by_role("button", name="Release").click()
    expect(page.locator(".decision.allowed")).to_contain_text("KOR-JPN-GSOMIA-2016")
    officers.wait(lambda: officers.settled("KOR"), what="KOR's outbox to drain")
    page.goto(f"{kor.url}/items/{reference}")
    expect(page.locator("td.receipt")).to_contain_text("verified")
    expect(page.locator("td.delivery")).to_contain_text("delivered")


def _consent_request_at_kor(federation: Federation) -> str:
    kor, jpn = federation["KOR"], federation["JPN"]
    made = kor.run(
        "item",
        "register",
        "--title",
        "Yield estimate",
        "--marking",
        "II",
        "--topic",
        "nk-missile",
        "--at",
        "2017-09-04",
        "--json",
    ).json
    kor.run("item", "release", made["reference"], "--to", "JPN", "--at", "2017-09-04")

    def copy() -> str | None:
        held = jpn.run("item", "list", "--originator", "KOR", "--json").json
        return next(
            (i["reference"] for i in held if i["originator_reference"] == made["reference"]),
            None,
        )

    federation.wait(lambda: copy() is not None, what="the copy at JPN")
    asked = jpn.run(
        "consent",
        "request",
        str(copy()),
        "--to",
        "USA",
        "--purpose",
        "joint assessment",
        "--json",
    ).json
    federation.wait(
        lambda: any(r["id"] == asked["id"] for r in kor.run("consent", "requests", "--json").json),
        what="the request at KOR",
    )
    return str(asked["id"])


def test_a_security_officer_answers_a_partners_consent_request(officers, page: Page):
    kor, jpn = officers["KOR"], officers["JPN"]
    request_id = _consent_request_at_kor(officers)
    log_in(page, kor.url, "sec", PASSWORD)
    page.get_by_role("link", name="Inbox").click()
    card = page.locator("article.consent").filter(has=page.locator(f"form[action*='{request_id}']"))
    card.get_by_label("Expires").fill("2030-12-31")
    card.get_by_label("Reference").fill("MND 26-1")
    card.get_by_role("button", name="Grant").click()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    expect(page.locator(f"form[action*='{request_id}']")).to_have_count(0)
    answered = {r["id"]: r for r in kor.run("consent", "requests", "--json").json}
    assert answered[request_id]["state"] == "granted"
    officers.wait(
        lambda: any(
            r["id"] == request_id and r["state"] == "granted"
            for r in jpn.run("consent", "requests", "--json").json
        ),
        what="the signed consent at JPN",
    )
    entries = kor.run("ledger", "entries", "--json", "--limit", "100000").json
    assert any(e["body"].get("by") == "user:sec" for e in entries)


def test_a_registry_officer_cannot_answer_a_consent_request(officers, page: Page):
    kor = officers["KOR"]
    request_id = _consent_request_at_kor(officers)
    log_in(page, kor.url, "reg", PASSWORD)
    page.goto(f"{kor.url}/inbox")
    expect(page.locator(f"form[action*='{request_id}']")).to_have_count(0)
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    answer = page.request.post(
        f"{kor.url}/inbox/consents/{request_id}/grant",
        form={"csrf_token": csrf or "", "expires": "2030-12-31", "reference": "x"},
    )
    assert answer.status == 403
    assert "may not answer consents" in answer.text()
    pending = {r["id"]: r for r in kor.run("consent", "requests", "--json").json}
    assert pending[request_id]["state"] == "pending"


def test_an_auditor_verifies_the_ledger(officers, page: Page):
    kor = officers["KOR"]
    log_in(page, kor.url, "aud", PASSWORD)
    page.get_by_role("link", name="Ledger").click()
    page.get_by_role("button", name="Verify the ledger").click()
    expect(page.locator("#verified")).to_contain_text("Verified: the ledger holds")


def test_a_forged_csrf_token_is_refused(officers, page: Page):
    kor = officers["KOR"]
    log_in(page, kor.url, "reg", PASSWORD)
    page.goto(f"{kor.url}/items")
    before = kor.run("item", "list", "--json").json
    page.get_by_label("Title").fill("Forged")
    page.get_by_label("Marking", exact=True).fill("II")
    page.locator("#new-topic").fill("nk-missile")
    page.locator("form[action='/items'] input[name=csrf_token]").evaluate(
        "input => input.value = 'forged-token'"
    )
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.locator("p.error")).to_contain_text("CSRF token does not match")
    assert kor.run("item", "list", "--json").json == before
