"""The node's HTTP service in process (FastAPI's test client over the real app and a real
registry): health and readiness, OpenAPI, discovery, and every refusal as RFC 9457 problem
JSON. The exchanges between live nodes are tested in tests/federation."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gsomia.api.app import create_app
from gsomia.crypto import httpsig
from gsomia.node.commands import keys, peers
from gsomia.node.commands.keys import keyring
from gsomia.node.context import Node
from tests.conftest import make_node

PASSPHRASE = b"service test passphrase"
BASE = "http://testserver"


@pytest.fixture
def pair(tmp_path) -> Iterator[tuple[Node, Node]]:
    """KOR's node (served) and JPN's registry, each with keys, JPN pinned as KOR's peer."""
    kor = make_node(f"sqlite:///{tmp_path / 'kor.db'}", content_dir=tmp_path / "kor")
    jpn = make_node(
        f"sqlite:///{tmp_path / 'jpn.db'}", "JPN", "Asia/Tokyo", content_dir=tmp_path / "jpn"
    )
    for node in (kor, jpn):
        keys.init_keys(node, PASSPHRASE)
    peers.add_peer(
        kor,
        "JPN",
        "http://127.0.0.1:9",
        json.dumps(keys.export_public(jpn, PASSPHRASE)),
        trust=True,
    )
    yield kor, jpn
    kor.close()
    jpn.close()


@pytest.fixture
def client(pair: tuple[Node, Node]) -> Iterator[TestClient]:
    with TestClient(create_app(pair[0], PASSPHRASE, worker=False), base_url=BASE) as served:
        yield served


def signed(signer: Node, path: str, body: bytes, **extra: str) -> dict[str, str]:
    with signer.read() as tx:
        kid, key = keyring(tx, PASSPHRASE).signing()
    headers = {"content-type": "application/json", "idempotency-key": extra.get("key", "k-1")}
    return headers | httpsig.sign_request(
        "POST",
        BASE + path,
        headers,
        body,
        key=key,
        kid=kid,
        created=datetime.now(UTC),
        nonce=extra.get("nonce", secrets.token_hex(16)),
    )


def assert_problem(response, status: int, slug: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    if slug is not None:
        assert problem["type"] == f"urn:gsomia:problem:{slug}"
    assert "Traceback" not in response.text
    return problem


def test_health_and_readiness_answer(client: TestClient):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready", "party": "KOR"}


def test_a_node_whose_keys_do_not_unlock_is_not_ready(pair: tuple[Node, Node]):
    app = create_app(pair[0], b"not the passphrase at all", worker=False)
    with TestClient(app, base_url=BASE) as served:
        answer = served.get("/readyz")
    assert answer.status_code == 503 and answer.json()["status"] == "not ready"
    assert "wrong passphrase" in answer.json()["detail"]


def test_the_openapi_document_lists_every_node_to_node_endpoint(client: TestClient):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/deliveries",
        "/v1/notes",
        "/v1/consent-requests",
        "/v1/consents",
        "/v1/visits",
        "/v1/visit-answers",
        "/v1/keys",
        "/v1/ledger/checkpoint",
        "/v1/ledger/proofs/inclusion",
        "/witness/add-checkpoint",
        "/.well-known/gsomia",
        "/healthz",
        "/readyz",
    ):
        assert path in paths, path


def test_discovery_names_the_party_its_endpoints_and_a_key_set_a_partner_can_pin(
    client: TestClient, pair: tuple[Node, Node]
):
    known = client.get("/.well-known/gsomia").json()
    assert known["party"] == "KOR" and known["origin"]
    assert known["endpoints"]["deliveries"] == "/v1/deliveries"
    assert known["endpoints"]["visits"] == "/v1/visits"
    assert known["log_vkey"] and known["witness_vkey"]
    imported = keys.import_public(pair[1], json.dumps(known["keys"]), trust=True)
    assert imported.party == "KOR"


def test_an_unsigned_request_is_refused_as_a_problem(client: TestClient):
    assert_problem(client.post("/v1/deliveries", content=b"{}"), 401)


def test_a_request_signed_by_a_key_no_peer_holds_is_refused(
    client: TestClient, pair: tuple[Node, Node], tmp_path
):
    stranger = make_node(f"sqlite:///{tmp_path / 'usa.db'}", "USA", "America/New_York")
    keys.init_keys(stranger, PASSPHRASE)
    body = b"{}"
    answer = client.post("/v1/notes", content=body, headers=signed(stranger, "/v1/notes", body))
    stranger.close()
    assert "belongs to no known partner" in assert_problem(answer, 401)["detail"]


def test_a_signed_request_with_a_malformed_body_is_a_400_problem(
    client: TestClient, pair: tuple[Node, Node]
):
    body = b'{"envelope": "not an envelope"}'
    answer = client.post(
        "/v1/deliveries", content=body, headers=signed(pair[1], "/v1/deliveries", body)
    )
    assert_problem(answer, 400)


def test_a_request_without_an_idempotency_key_is_refused(
    client: TestClient, pair: tuple[Node, Node]
):
    body = b"{}"
    headers = signed(pair[1], "/v1/notes", body)
    headers.pop("idempotency-key")
    answer = client.post("/v1/notes", content=body, headers=headers)
    assert "Idempotency-Key" in assert_problem(answer, 400)["detail"]


def test_an_oversized_idempotency_key_is_refused_not_cut_short(
    client: TestClient, pair: tuple[Node, Node]
):
    """Two keys sharing a long prefix must never be taken for one request."""
    body = b"{}"
    headers = signed(pair[1], "/v1/notes", body, key="k" * 65)
    assert (
        "Idempotency-Key"
        in assert_problem(client.post("/v1/notes", content=body, headers=headers), 400)["detail"]
    )


def test_an_unknown_path_is_a_404_problem(client: TestClient):
    assert_problem(client.get("/v1/nothing-here"), 404)


def test_an_inclusion_proof_needs_a_signed_request(client: TestClient):
    assert_problem(client.get("/v1/ledger/proofs/inclusion", params={"index": 0}), 401)


def test_a_witness_request_that_is_not_a_checkpoint_is_refused(client: TestClient):
    answer = client.post("/witness/add-checkpoint", content=b"old 0\n\nnot a checkpoint")
    assert answer.status_code in (400, 403, 404, 422)
    assert "Traceback" not in answer.text


def test_a_denial_raised_with_core_reasons_is_a_problem_listing_them() -> None:
    """Reasons are slotted dataclasses; the problem carries each as its fields."""
    from starlette.requests import Request

    from gsomia.api.problems import of_error
    from gsomia.core.policy import Code, Reason
    from gsomia.errors import Denied

    reason = Reason(Code.NO_AGREEMENT, None, None, "no agreement between KOR and NATO")
    answer = of_error(
        Request({"type": "http", "method": "POST", "path": "/x", "headers": []}),
        Denied("no", (reason,)),
    )
    body = json.loads(bytes(answer.body))
    assert answer.status_code == 403
    assert body["reasons"][0]["message"] == "no agreement between KOR and NATO"
    assert body["reasons"][0]["code"] == "no_agreement"
