"""The officers' API (`/api/v1`): who may call each route, by role, deny by default; every
action attributed to its officer in the ledger; credentials that stop working; denials as
RFC 9457 problems with the reasons and their articles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from gsomia.api.app import create_app
from gsomia.core.roles import Action, Role, may
from gsomia.node.commands import keys, users
from gsomia.node.context import Node
from gsomia.store import tables

PASSPHRASE = b"officers api passphrase"
PASSWORD = "a long enough password"
FORBIDDEN = "urn:gsomia:problem:forbidden"
NOT_AUTHENTICATED = "urn:gsomia:problem:not-authenticated"

# Every route of /api/v1 with a request that passes its own validation, and the action it
# needs. test_every_route_is_in_the_matrix keeps this list whole.
ROUTES: list[tuple[str, str, dict[str, Any] | None, Action]] = [
    ("GET", "/api/v1/me", None, Action.READ_AGREEMENTS),
    ("GET", "/api/v1/schemes", None, Action.READ_AGREEMENTS),
    ("GET", "/api/v1/agreements", None, Action.READ_AGREEMENTS),
    ("GET", "/api/v1/agreements/KOR-JPN-GSOMIA-2016", None, Action.READ_AGREEMENTS),
    ("GET", "/api/v1/agreements/KOR-JPN-GSOMIA-2016/status", None, Action.READ_AGREEMENTS),
    ("GET", "/api/v1/agreements/KOR-JPN-GSOMIA-2016/events", None, Action.READ_AGREEMENTS),
    (
        "POST",
        "/api/v1/agreements/KOR-JPN-GSOMIA-2016/events",
        {"kind": "termination_notice", "by": "KOR", "at": "2019-08-23T18:00:00+09:00"},
        Action.GIVE_NOTICES,
    ),
    (
        "GET",
        "/api/v1/what-if/release?sender=KOR&recipient=JPN&marking=II&topic=missile-launch&at=2018-01-01",
        None,
        Action.WHAT_IF,
    ),
    (
        "GET",
        "/api/v1/what-if/routes?sender=KOR&recipient=JPN&marking=II&topic=missile-launch&at=2018-01-01",
        None,
        Action.WHAT_IF,
    ),
    ("GET", "/api/v1/what-if/impact/KOR-JPN-GSOMIA-2016?at=2019-11-23", None, Action.WHAT_IF),
    ("GET", "/api/v1/persons", None, Action.READ_REGISTER),
    ("GET", "/api/v1/persons/1", None, Action.READ_REGISTER),
    ("POST", "/api/v1/persons", {"name": "Kim", "clearance": "II"}, Action.MANAGE_PERSONS),
    ("GET", "/api/v1/items", None, Action.READ_REGISTER),
    ("GET", "/api/v1/items/KOR-2018-0001", None, Action.READ_REGISTER),
    ("GET", "/api/v1/items/KOR-2018-0001/custody", None, Action.READ_REGISTER),
    (
        "POST",
        "/api/v1/items",
        {"title": "Launch report", "marking": "II", "topic": "missile-launch", "at": "2018-01-02"},
        Action.REGISTER_ITEMS,
    ),
    ("POST", "/api/v1/items/KOR-2018-0001/releases", {"to": "JPN"}, Action.HAND_OVER),
    ("POST", "/api/v1/items/KOR-2018-0001/transfers", {"to": "USA"}, Action.HAND_OVER),
    ("POST", "/api/v1/items/KOR-2018-0001/access", {"person": 1}, Action.OPEN_ITEMS),
    ("POST", "/api/v1/exports/stix", {"for": "JPN"}, Action.HAND_OVER),
    ("GET", "/api/v1/releases", None, Action.READ_REGISTER),
    ("GET", "/api/v1/consents", None, Action.READ_REGISTER),
    ("GET", "/api/v1/deliveries", None, Action.READ_REGISTER),
    ("GET", "/api/v1/decisions", None, Action.READ_DECISIONS),
    ("GET", "/api/v1/decisions/1", None, Action.READ_DECISIONS),
    ("GET", "/api/v1/consent-requests", None, Action.READ_REGISTER),
    (
        "POST",
        "/api/v1/consent-requests/none/grant",
        {"expires": "2030-01-01", "reference": "MND 1"},
        Action.ANSWER_CONSENTS,
    ),
    (
        "POST",
        "/api/v1/consent-requests/none/refuse",
        {"reason": "not for onward transfer"},
        Action.ANSWER_CONSENTS,
    ),
    ("GET", "/api/v1/visits", None, Action.READ_REGISTER),
    ("GET", "/api/v1/visits/none", None, Action.READ_REGISTER),
    ("POST", "/api/v1/visits/none/approve", {}, Action.ANSWER_VISITS),
    ("POST", "/api/v1/visits/none/refuse", {"reason": "no"}, Action.ANSWER_VISITS),
    ("GET", "/api/v1/incidents", None, Action.READ_REGISTER),
    ("GET", "/api/v1/incidents/none", None, Action.READ_REGISTER),
    ("POST", "/api/v1/incidents/none/investigate", {}, Action.HANDLE_INCIDENTS),
    (
        "POST",
        "/api/v1/incidents/none/conclude",
        {"result": "no loss", "measures": "none"},
        Action.HANDLE_INCIDENTS,
    ),
    ("GET", "/api/v1/ledger/checkpoint", None, Action.READ_LEDGER),
    ("GET", "/api/v1/ledger/checkpoint/cosigned", None, Action.READ_LEDGER),
    ("GET", "/api/v1/ledger/entries", None, Action.READ_LEDGER),
    ("GET", "/api/v1/ledger/proofs/0", None, Action.READ_LEDGER),
    ("POST", "/api/v1/ledger/verify", None, Action.VERIFY_LEDGER),
    ("GET", "/api/v1/users", None, Action.MANAGE_ACCOUNTS),
    (
        "POST",
        "/api/v1/users",
        {"name": "newcomer", "role": "auditor", "password": PASSWORD},
        Action.MANAGE_ACCOUNTS,
    ),
    ("POST", "/api/v1/users/auditor/tokens", None, Action.MANAGE_ACCOUNTS),
    ("POST", "/api/v1/users/newcomer/disable", None, Action.MANAGE_ACCOUNTS),
    ("DELETE", "/api/v1/tokens/00000000", None, Action.MANAGE_ACCOUNTS),
    ("GET", "/api/v1/keys", None, Action.MANAGE_KEYS),
    ("GET", "/api/v1/peers", None, Action.MANAGE_PEERS),
]
NAMES = {
    Role.REGISTRY_OFFICER: "registrar",
    Role.SECURITY_OFFICER: "security",
    Role.AUDITOR: "auditor",
    Role.ADMINISTRATOR: "admin",
}


@pytest.fixture
def served(node: Node) -> Iterator[tuple[Node, TestClient, dict[Role, str]]]:
    """KOR's node with keys, one officer of each role and a token each, served in process."""
    keys.init_keys(node, PASSPHRASE)
    tokens = {}
    for role, name in NAMES.items():
        users.add_user(node, name, role.value, PASSWORD)
        tokens[role] = users.issue_token(node, name)[0]
    with TestClient(create_app(node, PASSPHRASE, worker=False)) as client:
        yield node, client, tokens


def call(client: TestClient, method: str, path: str, body: Any, token: str | None = None):
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return client.request(method, path, json=body, headers=headers)


def test_every_route_is_in_the_matrix(served) -> None:
    _, client, _ = served
    listed = {(m, p.split("?")[0]) for m, p, _, _ in ROUTES}
    paths = client.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        if not path.startswith("/api/v1"):
            continue
        for method in operations:
            concrete = {(m, p) for m, p in listed if m == method.upper() and _matches(path, p)}
            assert concrete, f"{method.upper()} {path} has no row in ROUTES"


def _matches(template: str, path: str) -> bool:
    parts, given = template.split("/"), path.split("/")
    return len(parts) == len(given) and all(
        t.startswith("{") or t == g for t, g in zip(parts, given, strict=True)
    )


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_each_role_reaches_what_it_may_and_nothing_else(served, role: Role) -> None:
    """Deny by default: a route whose action the role lacks answers 403 `forbidden`; one it
    has is let through the gate (its answer may still be a 404 or a denial by the rules)."""
    _, client, tokens = served
    for method, path, body, action in ROUTES:
        answer = call(client, method, path, body, tokens[role])
        kind = answer.json().get("type") if answer.content and answer.status_code >= 400 else None
        if may(role, action):
            assert kind not in (FORBIDDEN, NOT_AUTHENTICATED), (method, path, answer.text)
            assert answer.status_code < 500, (method, path, answer.text)
        else:
            assert answer.status_code == 403, (method, path, answer.text)
            assert kind == FORBIDDEN, (method, path)
            assert answer.headers["content-type"] == "application/problem+json"


def test_no_route_answers_without_a_credential(served) -> None:
    _, client, _ = served
    for method, path, body, _action in ROUTES:
        answer = call(client, method, path, body, None)
        assert answer.status_code == 401, (method, path)
        assert answer.json()["type"] == NOT_AUTHENTICATED


def test_a_forged_or_revoked_token_is_refused(served) -> None:
    node, client, tokens = served
    token = tokens[Role.AUDITOR]
    assert call(client, "GET", "/api/v1/me", None, token).status_code == 200
    assert call(client, "GET", "/api/v1/me", None, token[:-2] + "xx").status_code == 401
    users.revoke_token(node, token.split("_")[1])
    assert call(client, "GET", "/api/v1/me", None, token).status_code == 401


def test_a_disabled_officer_can_no_longer_act(served) -> None:
    node, client, tokens = served
    users.disable(node, NAMES[Role.REGISTRY_OFFICER])
    answer = call(client, "GET", "/api/v1/items", None, tokens[Role.REGISTRY_OFFICER])
    assert answer.status_code == 401


def test_a_role_raised_in_the_database_is_not_obeyed(served) -> None:
    """An attacker with the database raises the auditor to administrator: the user row no
    longer matches the ledger, and the credential is refused (fail closed)."""
    node, client, tokens = served
    with node.engine.begin() as connection:
        connection.execute(
            update(tables.users)
            .where(tables.users.c.name == NAMES[Role.AUDITOR])
            .values(role=Role.ADMINISTRATOR.value)
        )
    answer = call(client, "GET", "/api/v1/users", None, tokens[Role.AUDITOR])
    assert answer.status_code == 422
    assert answer.json()["type"] == "urn:gsomia:problem:row-not-attested"


def test_every_action_is_attributed_to_its_officer_in_the_ledger(served) -> None:
    _, client, tokens = served
    made = call(
        client,
        "POST",
        "/api/v1/items",
        {"title": "Launch report", "marking": "II", "topic": "missile-launch", "at": "2018-01-02"},
        tokens[Role.REGISTRY_OFFICER],
    )
    assert made.status_code == 201, made.text
    reference = made.json()["reference"]
    entries = call(
        client, "GET", "/api/v1/ledger/entries?limit=500", None, tokens[Role.AUDITOR]
    ).json()
    stating = [e for e in entries if e["body"].get("table") == "items"]
    assert stating, "the item's registration is in the ledger"
    assert stating[-1]["body"]["row"]["reference"] == reference
    assert stating[-1]["body"]["by"] == "user:registrar"
    # what no officer did through the API names no one
    assert "by" not in entries[0]["body"]


def test_a_denied_release_is_a_problem_with_the_reasons_and_the_decision(served) -> None:
    """Before the Korea-Japan agreement entered into force (2016-11-23) no agreement allows a
    release to JPN: the decision is recorded, and the answer is a 403 problem carrying the
    reasons with their articles."""
    _, client, tokens = served
    registrar = tokens[Role.REGISTRY_OFFICER]
    made = call(
        client,
        "POST",
        "/api/v1/items",
        {"title": "Launch report", "marking": "II", "topic": "missile-launch", "at": "2016-11-01"},
        registrar,
    ).json()
    answer = call(
        client,
        "POST",
        f"/api/v1/items/{made['reference']}/releases",
        {"to": "JPN", "at": "2016-11-10"},
        registrar,
    )
    assert answer.status_code == 403
    problem = answer.json()
    assert answer.headers["content-type"] == "application/problem+json"
    assert problem["type"] == "urn:gsomia:problem:denied"
    assert problem["reasons"], problem
    assert all("code" in r and "article" in r for r in problem["reasons"])
    decision = call(
        client, "GET", f"/api/v1/decisions/{problem['decision_id']}", None, registrar
    ).json()
    assert decision["allowed"] is False


def test_lists_are_paged_and_filtered(served) -> None:
    _, client, tokens = served
    registrar = tokens[Role.REGISTRY_OFFICER]
    for n in range(3):
        body = {
            "title": f"Report {n}",
            "marking": "II",
            "topic": "missile-launch",
            "at": "2018-01-02",
        }
        assert call(client, "POST", "/api/v1/items", body, registrar).status_code == 201
    first = call(client, "GET", "/api/v1/items?limit=2", None, registrar).json()
    assert (first["total"], len(first["items"]), first["offset"]) == (3, 2, 0)
    rest = call(client, "GET", "/api/v1/items?limit=2&offset=2", None, registrar).json()
    assert [i["title"] for i in rest["items"]] == ["Report 2"]
    found = call(client, "GET", "/api/v1/items?q=report%201", None, registrar).json()
    assert [i["title"] for i in found["items"]] == ["Report 1"]
    assert call(client, "GET", "/api/v1/items?limit=0", None, registrar).status_code == 400


def test_tokens_are_shown_once_and_kept_as_digests(served) -> None:
    node, client, tokens = served
    issued = call(
        client, "POST", "/api/v1/users/auditor/tokens", None, tokens[Role.ADMINISTRATOR]
    ).json()
    secret = issued["token"]
    assert call(client, "GET", "/api/v1/me", None, secret).json()["name"] == "auditor"
    with node.engine.connect() as connection:
        dump = json.dumps(
            [list(r) for r in connection.execute(tables.api_tokens.select())], default=str
        )
        hashes = [r.password_hash for r in connection.execute(tables.users.select())]
    assert secret not in dump
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_a_stix_export_through_the_api_holds_only_what_the_partner_may_see(served) -> None:
    """Art 4 and Art 5: an item released to JPN goes with JPN's marking; one marked above
    what the agreement covers does not."""
    _, client, tokens = served
    registrar = tokens[Role.REGISTRY_OFFICER]
    for title, marking in (("Shared", "II"), ("Kept", "I")):
        body = {"title": title, "marking": marking, "topic": "nk-missile", "at": "2018-01-02"}
        assert call(client, "POST", "/api/v1/items", body, registrar).status_code == 201
    answer = call(
        client, "POST", "/api/v1/exports/stix", {"for": "JPN", "at": "2018-02-01"}, registrar
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/stix+json")
    bundle = answer.json()
    assert bundle["type"] == "bundle"
    text = json.dumps(bundle, ensure_ascii=False)
    assert "Shared" in text and "Kept" not in text
