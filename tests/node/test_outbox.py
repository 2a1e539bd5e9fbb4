"""The outbox's schedule against a partner that misbehaves (a real HTTP server on a loopback
port answering what each test sets): retried with exponential backoff and jitter on network
errors, 408, 409, 429 and 5xx; failed at once on any other answer or one that does not verify;
a failed message retried by a person."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select, update

from gsomia.errors import InvalidRequest, NotFound
from gsomia.node import outbox
from gsomia.node.client import Client
from gsomia.node.commands import keys, peers
from gsomia.node.context import Node
from gsomia.node.outbox import Kind, State
from gsomia.store import tables
from tests.conftest import make_node

PASSPHRASE = b"outbox test passphrase"


class Partner(ThreadingHTTPServer):
    """A partner's node that answers every request with `status` and `body`."""

    status = 503
    body = b'{"type": "about:blank", "title": "down", "status": 503, "detail": "maintenance"}'
    requests: list[dict[str, str]]


class Handler(BaseHTTPRequestHandler):
    server: Partner

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        self.server.requests.append({k.lower(): v for k, v in self.headers.items()})
        self.send_response(self.server.status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def partner() -> Iterator[Partner]:
    server = Partner(("127.0.0.1", 0), Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def kor(db_url: str, tmp_path, partner: Partner) -> Iterator[Node]:
    """KOR's node with JPN as its peer, JPN's node being `partner`."""
    node = make_node(db_url, content_dir=tmp_path / "content")
    jpn = make_node(f"sqlite:///{tmp_path / 'jpn.db'}", "JPN", "Asia/Tokyo")
    for made in (node, jpn):
        keys.init_keys(made, PASSPHRASE)
    key_set = json.dumps(keys.export_public(jpn, PASSPHRASE))
    jpn.close()
    peers.add_peer(node, "JPN", f"http://127.0.0.1:{partner.server_port}", key_set, trust=True)
    yield node
    node.close()


def queue_note(node: Node) -> str:
    with node.write() as tx:
        return outbox.enqueue(tx, kind=Kind.NOTE, recipient="JPN", body={"note": "a test"})


def attempt(node: Node) -> State:
    client = Client(node, PASSPHRASE, timeout=5)
    try:
        [message] = outbox.lease_due(node)
        return client.send(message)
    finally:
        client.close()


def schedule(node: Node, message_id: str):
    with node.read() as tx:
        return tx.connection.execute(
            select(tables.outbox).where(tables.outbox.c.delivery_id == message_id)
        ).one()


def make_due(node: Node, message_id: str) -> None:
    with node.write() as tx:
        tx.connection.execute(
            update(tables.outbox)
            .where(tables.outbox.c.delivery_id == message_id)
            .values(next_attempt_at=tx.now - timedelta(seconds=1))
        )


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503])
def test_a_transient_answer_is_tried_again_later_with_the_request_signed_and_keyed(
    kor: Node, partner: Partner, status: int
):
    partner.status = status
    message_id = queue_note(kor)
    assert attempt(kor) is State.QUEUED
    [request] = partner.requests
    assert request["idempotency-key"] == message_id
    assert {"signature", "signature-input", "content-digest"} <= set(request)
    row = schedule(kor, message_id)
    assert row.attempts == 1 and row.last_error.startswith(f"HTTP {status}")
    assert outbox.lease_due(kor) == []  # not due again at once


def test_backoff_doubles_with_jitter_and_the_same_key_is_sent_again(kor: Node, partner: Partner):
    message_id = queue_note(kor)
    delays = []
    for attempts in range(1, 6):
        before = kor.now()
        assert attempt(kor) is State.QUEUED
        row = schedule(kor, message_id)
        delay = (row.next_attempt_at.replace(tzinfo=before.tzinfo) - before).total_seconds()
        base = outbox.BACKOFF.total_seconds() * 2**attempts
        assert 0.5 * base - 1 <= delay <= 1.5 * base + 1, (attempts, delay)
        delays.append(delay)
        make_due(kor, message_id)
    assert {r["idempotency-key"] for r in partner.requests} == {message_id}
    assert len(partner.requests) == 5


def test_a_partner_that_does_not_answer_is_tried_again(kor: Node, partner: Partner):
    message_id = queue_note(kor)
    partner.shutdown()
    partner.server_close()
    assert attempt(kor) is State.QUEUED
    assert schedule(kor, message_id).attempts == 1


def test_a_message_gives_up_after_its_attempts_and_a_person_may_retry_it(
    kor: Node, partner: Partner
):
    message_id = queue_note(kor)
    with kor.write() as tx:
        tx.connection.execute(
            update(tables.outbox)
            .where(tables.outbox.c.delivery_id == message_id)
            .values(attempts=outbox.MAX_ATTEMPTS - 1)
        )
    assert attempt(kor) is State.FAILED
    with kor.read() as tx:
        failed = outbox.view(tx, message_id)
    assert failed.state == "failed" and failed.attempts == outbox.MAX_ATTEMPTS
    retried = outbox.retry(kor, message_id)
    assert retried.state == "queued"
    assert [m.id for m in outbox.lease_due(kor)] == [message_id]


def test_an_answer_that_no_retry_can_change_fails_the_message_at_once(kor: Node, partner: Partner):
    partner.status = 400
    message_id = queue_note(kor)
    assert attempt(kor) is State.FAILED
    with kor.read() as tx:
        assert outbox.view(tx, message_id).last_error == "HTTP 400: maintenance"


def test_an_answer_that_does_not_verify_is_never_settled_as_delivered(kor: Node, partner: Partner):
    """A 201 whose acknowledgement is not signed by JPN's pinned key: failed, not delivered."""
    partner.status = 201
    partner.body = b'{"ack": "eyJhbGciOiJFZERTQSJ9.e30.c2ln"}'
    message_id = queue_note(kor)
    assert attempt(kor) is State.FAILED
    with kor.read() as tx:
        view = outbox.view(tx, message_id)
    assert view.state == "failed" and "does not verify" in (view.last_error or "")
    assert view.answer is None


def test_only_a_failed_message_is_retried_and_an_unknown_one_is_not_found(kor: Node):
    message_id = queue_note(kor)
    with pytest.raises(InvalidRequest, match="only a failed one is retried"):
        outbox.retry(kor, message_id)
    with pytest.raises(NotFound):
        outbox.retry(kor, "no-such-message")


def test_an_unknown_state_is_refused_with_the_states_named(kor: Node):
    with kor.read() as tx, pytest.raises(InvalidRequest, match="queued, delivered, refused"):
        outbox.views(tx, "lost")
