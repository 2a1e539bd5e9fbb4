"""Visits between live nodes (Art 8): JPN's competent authority requests a visit of KOR's, KOR
alone approves it on its node, JPN sees the signed approval; an answer from any party other
than the host is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from gsomia.crypto import objects
from gsomia.node import outbox, wire
from gsomia.node.commands.keys import keyring, sign_object
from gsomia.node.context import Node as Registry
from gsomia.node.settings import Settings
from tests.federation.conftest import PASSPHRASE, Federation

pytestmark = pytest.mark.xdist_group("federation-visits")


def request(node, name: str, *, at: str = "2025-09-05T10:00+09:00") -> dict[str, Any]:
    made = node.run(
        "visit",
        "request",
        "--host",
        "KOR",
        "--visitor",
        name,
        "--purpose",
        "ballistic missile warning data exchange",
        "--facility",
        "JCS operations centre, Seoul",
        "--from",
        "2025-10-20",
        "--until",
        "2025-10-22",
        "--max-marking",
        "II",
        "--type",
        "one-time",
        "--at",
        at,
        "--json",
    ).json
    assert made["allowed"], made["reasons"]
    return dict(made["visit"])


def state(node, visit_id: str) -> str | None:
    found = [v for v in node.run("visit", "list", "--json").json if v["id"] == visit_id]
    return str(found[0]["state"]) if found else None


def test_a_visit_requested_by_jpn_is_approved_by_kor_and_jpn_sees_the_approval(
    federation: Federation,
):
    jpn, kor = federation["JPN"], federation["KOR"]
    jpn.run("person", "add", "--name", "Sato Hiroshi", "--clearance", "極秘")
    visit = request(jpn, "Sato Hiroshi")
    federation.wait(lambda: state(kor, visit["id"]) == "pending", what="the request at KOR")
    pending = kor.run("visit", "show", visit["id"], "--json").json
    assert pending["to_answer_here"] and pending["visitors"][0]["clearance"] == "極秘"
    assert pending["lead_time"]["met"]

    refused = jpn.run("visit", "approve", visit["id"], check=False)
    assert refused.code == 1 and "only the host" in refused.stderr

    approved = kor.run(
        "visit",
        "approve",
        visit["id"],
        "--at",
        "2025-09-08T09:00+09:00",
        "--note",
        "gate 2",
        "--json",
    ).json
    assert approved["allowed"] and approved["visit"]["state"] == "approved"
    federation.wait(lambda: state(jpn, visit["id"]) == "approved", what="the approval at JPN")
    seen = jpn.run("visit", "show", visit["id"], "--json").json
    assert seen["answer_note"] == "gate 2" and seen["message"] == "delivered"
    assert seen["answered_at"].startswith("2025-09-08T09:00")

    inside = kor.run(
        "visit",
        "access",
        visit["id"],
        "--visitor",
        "Sato Hiroshi",
        "--marking",
        "III",
        "--at",
        "2025-10-21T10:00+09:00",
        "--json",
    )
    outside = kor.run(
        "visit",
        "access",
        visit["id"],
        "--visitor",
        "Sato Hiroshi",
        "--marking",
        "III",
        "--at",
        "2025-10-24T10:00+09:00",
        "--json",
        check=False,
    )
    assert inside.json["allowed"]
    assert outside.code == 1 and [r["code"] for r in outside.json["reasons"]] == [
        "outside_visit_window"
    ]
    for node in (jpn, kor):
        assert node.run("ledger", "verify", "--json").json["ok"]


def test_an_answer_from_the_usa_for_a_visit_kor_hosts_is_refused(federation: Federation):
    """The USA's node, a trusted peer of JPN's, signs an approval of a visit KOR hosts and
    posts it to JPN's node: refused (only the host grants, Art 8), JPN's request stays open."""
    jpn, kor, usa = federation["JPN"], federation["KOR"], federation["USA"]
    jpn.run("person", "add", "--name", "Tanaka Yui", "--clearance", "極秘")
    visit = request(jpn, "Tanaka Yui")
    federation.wait(lambda: state(kor, visit["id"]) == "pending", what="the request at KOR")
    with Registry.open(Settings(database=usa.database)) as america, america.write() as tx:
        answer = objects.VisitAnswer(
            iss="USA",
            iat=int(datetime.now(UTC).timestamp()),
            request_id=visit["id"],
            host="USA",
            requester="JPN",
            approved=True,
            at=datetime.now(UTC),
        )
        token = sign_object(
            keyring(tx, PASSPHRASE.encode()), objects.ObjectKind.VISIT_ANSWER, answer
        )
        forged = outbox.enqueue(
            tx,
            kind=outbox.Kind.VISIT_ANSWER,
            recipient="JPN",
            body=json.loads(wire.VisitAnswerMessage(answer=token).model_dump_json()),
            subject=visit["id"],
        )

    def failed() -> dict[str, Any] | None:
        listed = usa.run("delivery", "list", "--json").json
        return next((d for d in listed if d["id"] == forged and d["state"] == "failed"), None)

    federation.wait(lambda: failed() is not None, what="JPN to refuse the USA's answer")
    delivery = failed()
    assert delivery is not None and "HTTP 403" in delivery["last_error"]
    assert "only the host" in delivery["last_error"]
    assert state(jpn, visit["id"]) == "requested"
