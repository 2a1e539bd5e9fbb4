"""Visits between nodes, in process (Art 8): JPN's node requests, KOR's node as host records the
request pending and alone answers it; the signed answer is recorded at JPN; every row is
stated in both ledgers. Messages are handed from one node's outbox to the other's inbound
handlers directly, as the worker and the federation API would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from gsomia.crypto import objects
from gsomia.errors import Conflict, Denied, KeyStoreError, VerificationFailed
from gsomia.ledger.errors import RowNotAttested
from gsomia.node import inbound, outbox, queries
from gsomia.node.commands import keys, ledger, peers, persons, visits
from gsomia.node.commands.keys import keyring, sign_object
from gsomia.node.context import Node
from gsomia.node.outbox import Kind
from gsomia.store import tables
from tests.conftest import make_node

PASSPHRASE = b"visits test passphrase"
ZONES = {"KOR": "Asia/Seoul", "JPN": "Asia/Tokyo", "USA": "America/New_York"}


@pytest.fixture
def nodes(db_url: str, tmp_path) -> Iterator[dict[str, Node]]:
    """JPN's node on the backend under test; KOR's and the USA's on SQLite; each pins the
    others' keys as peers."""
    made = {
        "JPN": make_node(db_url, "JPN", ZONES["JPN"], content_dir=tmp_path / "jpn"),
        "KOR": make_node(f"sqlite:///{tmp_path / 'kor.db'}", "KOR", ZONES["KOR"]),
        "USA": make_node(f"sqlite:///{tmp_path / 'usa.db'}", "USA", ZONES["USA"]),
    }
    sets = {}
    for party, node in made.items():
        keys.init_keys(node, PASSPHRASE)
        sets[party] = json.dumps(keys.export_public(node, PASSPHRASE))
    for party, node in made.items():
        for other in made:
            if other != party:
                peers.add_peer(
                    node, other, f"http://{other.lower()}.invalid", sets[other], trust=True
                )
    persons.add_person(
        made["JPN"], name="Sato Hiroshi", party=None, clearance="極秘", need_to_know=[], position=""
    )
    persons.add_person(
        made["JPN"], name="Tanaka Yui", party=None, clearance="秘", need_to_know=[], position=""
    )
    yield made
    for node in made.values():
        node.close()


def request(node: Node, *visitors: str, **changes: str) -> visits.VisitDecisionView:
    values = {
        "host": "KOR",
        "purpose": "ballistic missile warning data exchange",
        "facility": "JCS operations centre, Seoul",
        "first_day": "2025-10-20",
        "last_day": "2025-10-22",
        "max_marking": "II",
        "kind": "one-time",
        "at": "2025-09-05T10:00+09:00",
    } | changes
    return visits.request_visit(
        node, visitors=list(visitors or ("Sato Hiroshi",)), passphrase=PASSPHRASE, **values
    )


def hand_over(sender: Node, party: str, receiver: Node) -> list[inbound.Answered]:
    """Give every queued message of `sender` to `receiver`'s inbound handler for its kind."""
    handlers = {
        Kind.VISIT_REQUEST: inbound.accept_visit_request,
        Kind.VISIT_ANSWER: inbound.accept_visit_answer,
    }
    answers = []
    for message in outbox.lease_due(sender):
        handle = handlers[message.kind]
        answers.append(handle(receiver, party, message.id, message.body.encode(), PASSPHRASE))
    return answers


def test_a_visit_requested_by_jpn_is_approved_by_kor_and_the_approval_reaches_jpn(nodes):
    jpn, kor = nodes["JPN"], nodes["KOR"]
    made = request(jpn)
    assert made.allowed and made.visit is not None
    visit_id = made.visit.id
    assert made.visit.state == "requested" and made.visit.message == "queued"
    assert made.visit.lead_time is not None and made.visit.lead_time.met
    assert made.visit.max_marking == "군사Ⅱ급비밀"
    [acked] = hand_over(jpn, "JPN", kor)
    assert acked.status == 201 and "ack" in acked.body
    [pending] = visits.visits(kor)
    assert (pending.id, pending.state, pending.to_answer_here) == (visit_id, "pending", True)
    assert [v.clearance for v in pending.visitors] == ["極秘"]

    approved = visits.approve(
        kor, visit_id, PASSPHRASE, "2025-09-08T09:00+09:00", "escort at gate 2"
    )
    assert approved.allowed and approved.visit is not None
    assert approved.visit.state == "approved"
    assert {r.article for r in approved.reasons} >= {"Art 8"}
    hand_over(kor, "KOR", jpn)
    seen = visits.show(jpn, visit_id)
    assert (seen.state, seen.answer_note) == ("approved", "escort at gate 2")
    assert seen.answered_at == datetime.fromisoformat("2025-09-08T09:00+09:00")
    for node in (jpn, kor):
        assert ledger.verify(node).ok
        assert [d.kind for d in queries.decisions(node, "visit")] == ["visit"]


def test_a_request_without_enough_lead_time_is_refused_at_once_and_the_denial_recorded(nodes):
    jpn = nodes["JPN"]
    refused = request(jpn, at="2025-09-19T10:00+09:00")
    assert not refused.allowed and refused.visit is None
    assert "lead_time_short" in [r.code for r in refused.reasons]
    assert visits.visits(jpn) == []
    assert outbox.lease_due(jpn) == []
    [decision] = queries.decisions(jpn, "visit")
    assert not decision.allowed
    assert ledger.verify(jpn).ok


def test_a_visitor_cleared_below_the_level_is_refused_at_the_request(nodes):
    refused = request(nodes["JPN"], "Sato Hiroshi", "Tanaka Yui")
    codes = [r.code for r in refused.reasons]
    assert not refused.allowed and codes == ["clearance_too_low"]
    assert "Tanaka Yui" in refused.reasons[0].message


def test_only_the_host_approves_refuses_or_decides_access(nodes):
    jpn = nodes["JPN"]
    made = request(jpn)
    assert made.visit is not None
    with pytest.raises(Denied, match="only the host"):
        visits.approve(jpn, made.visit.id, PASSPHRASE)
    with pytest.raises(Denied, match="only the host"):
        visits.refuse(jpn, made.visit.id, "no", PASSPHRASE)
    with pytest.raises(Denied, match="host"):
        visits.access(jpn, made.visit.id, "Sato Hiroshi", "II", "2025-10-21T10:00+09:00")
    assert visits.show(jpn, made.visit.id).state == "requested"


def test_an_approval_failing_the_rules_is_refused_with_reasons_and_stays_pending(nodes):
    jpn, kor = nodes["JPN"], nodes["KOR"]
    made = request(jpn)
    assert made.visit is not None
    hand_over(jpn, "JPN", kor)
    late = visits.approve(kor, made.visit.id, PASSPHRASE, "2025-10-23T09:00+09:00")
    assert not late.allowed
    assert [r.code for r in late.reasons] == ["visit_window_passed"]
    assert visits.show(kor, made.visit.id).state == "pending"
    assert outbox.lease_due(kor) == []
    assert ledger.verify(kor).ok


def test_a_refusal_reaches_the_requester_with_its_reason(nodes):
    jpn, kor = nodes["JPN"], nodes["KOR"]
    made = request(jpn)
    assert made.visit is not None
    hand_over(jpn, "JPN", kor)
    refused = visits.refuse(kor, made.visit.id, "facility closed for works", PASSPHRASE)
    assert [r.code for r in refused.reasons] == ["visit_refused"]
    with pytest.raises(Conflict):
        visits.approve(kor, made.visit.id, PASSPHRASE)
    hand_over(kor, "KOR", jpn)
    seen = visits.show(jpn, made.visit.id)
    assert (seen.state, seen.answer_note) == ("refused", "facility closed for works")


def test_an_answer_signed_by_a_party_other_than_the_host_is_refused(nodes):
    """Art 8: only the host grants. The USA's node, itself a trusted peer of JPN's, answers
    for a visit KOR hosts: refused, and JPN's request stays unanswered."""
    jpn, kor, usa = nodes["JPN"], nodes["KOR"], nodes["USA"]
    made = request(jpn)
    assert made.visit is not None
    hand_over(jpn, "JPN", kor)
    with usa.read() as tx:
        token = sign_object(
            keyring(tx, PASSPHRASE),
            objects.ObjectKind.VISIT_ANSWER,
            objects.VisitAnswer(
                iss="USA",
                iat=int(datetime.now(UTC).timestamp()),
                request_id=made.visit.id,
                host="USA",
                requester="JPN",
                approved=True,
                at=datetime.now(UTC),
            ),
        )
    body = json.dumps({"answer": token}).encode()
    with pytest.raises(Denied, match="only the host"):
        inbound.accept_visit_answer(jpn, "USA", "forged-1", body, PASSPHRASE)
    assert visits.show(jpn, made.visit.id).state == "requested"


def test_a_request_naming_another_host_or_relayed_by_another_party_is_refused(nodes):
    jpn, kor = nodes["JPN"], nodes["KOR"]
    with jpn.read() as tx:
        ring = keyring(tx, PASSPHRASE)
        claims = objects.VisitRequest(
            iss="JPN",
            iat=0,
            request_id="r-1",
            requester="JPN",
            host="USA",
            agreement="USA-JPN-GSOMIA-2007",
            type="one-time",
            purpose="p",
            facility="f",
            first_day=datetime(2025, 10, 20).date(),
            last_day=datetime(2025, 10, 20).date(),
            max_marking="SECRET",
            visitors=(objects.Visitor(name="Sato Hiroshi", party="JPN", clearance="極秘"),),
            requested_at=datetime(2025, 9, 1, tzinfo=UTC),
        )
        token = sign_object(ring, objects.ObjectKind.VISIT_REQUEST, claims)
    body = json.dumps({"request": token}).encode()
    with pytest.raises(Denied, match="not KOR"):
        inbound.accept_visit_request(kor, "JPN", "r-1", body, PASSPHRASE)
    with pytest.raises(VerificationFailed, match="belongs to no known party"):
        inbound.accept_visit_request(kor, "USA", "r-1", body, PASSPHRASE)
    assert visits.visits(kor) == []


def test_access_during_an_approved_visit_is_decided_and_recorded_by_the_host(nodes):
    jpn, kor = nodes["JPN"], nodes["KOR"]
    made = request(jpn)
    assert made.visit is not None
    hand_over(jpn, "JPN", kor)
    inside = visits.access(kor, made.visit.id, "Sato Hiroshi", "III", "2025-10-21T10:00+09:00")
    assert [r.code for r in inside.reasons] == ["visit_not_approved"]
    visits.approve(kor, made.visit.id, PASSPHRASE, "2025-09-08T09:00+09:00")
    inside = visits.access(kor, made.visit.id, "Sato Hiroshi", "III", "2025-10-21T10:00+09:00")
    assert inside.allowed
    after = visits.access(kor, made.visit.id, "Sato Hiroshi", "II", "2025-10-23T10:00+09:00")
    above = visits.access(kor, made.visit.id, "Sato Hiroshi", "I", "2025-10-21T10:00+09:00")
    assert [r.code for r in after.reasons] == ["outside_visit_window"]
    assert [r.code for r in above.reasons] == ["above_visit_level"]
    recorded = queries.decisions(kor, "visit")
    assert [d.allowed for d in recorded].count(False) == 3
    assert ledger.verify(kor).ok


def test_requesting_needs_the_keys_passphrase(nodes):
    with pytest.raises(KeyStoreError):
        visits.request_visit(
            nodes["JPN"],
            host="KOR",
            visitors=["Sato Hiroshi"],
            purpose="p",
            facility="f",
            first_day="2025-10-20",
            last_day="2025-10-22",
            max_marking="II",
            kind="one-time",
            passphrase=None,
            at="2025-09-05",
        )
    assert visits.visits(nodes["JPN"]) == []


def test_a_clearance_edited_behind_the_registers_back_is_not_assured(nodes):
    """The clearance a request assures is the register's, as its ledger states it: a row
    raised in the database is refused before anything is sent."""
    jpn = nodes["JPN"]
    with jpn.write() as tx:
        tx.connection.execute(
            update(tables.persons)
            .where(tables.persons.c.name == "Tanaka Yui")
            .values(clearance="極秘")
        )
    with pytest.raises(RowNotAttested):
        request(jpn, "Tanaka Yui")
    assert visits.visits(jpn) == []
    assert outbox.lease_due(jpn) == []
