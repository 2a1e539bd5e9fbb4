"""Loss or compromise between live nodes (Art 17): JPN reports KOR's item lost, KOR's node
records the case and each step, and a notice from a party that never held the item is
refused."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from gsomia.core.incidents import IncidentKind, State
from gsomia.crypto import objects
from gsomia.node.commands.keys import keyring, sign_object
from gsomia.node.context import Node as Registry
from gsomia.node.settings import Settings
from tests.federation.conftest import PASSPHRASE, Federation
from tests.federation.test_exchange import _signed

pytestmark = pytest.mark.xdist_group("federation-incidents")


def cases(node, case_id: str) -> list[dict[str, Any]]:
    return [c for c in node.run("incident", "list", "--json").json if c["id"] == case_id]


def released_to_jpn(federation: Federation) -> tuple[str, str]:
    """KOR registers and releases an item to JPN; KOR's reference and JPN's copy's."""
    kor, jpn = federation["KOR"], federation["JPN"]
    made = kor.run(
        "item", "register", "--title", "Hwasong-18 telemetry", "--marking", "II",
        "--topic", "nk-missile", "--at", "2026-11-01", "--json",
    ).json  # fmt: skip
    kor.run("item", "release", made["reference"], "--to", "JPN", "--at", "2026-11-02")
    federation.wait(lambda: federation.settled("KOR"), what="KOR's release to JPN")
    copies = jpn.run("item", "list", "--originator", "KOR", "--json").json
    [copy] = [c for c in copies if c["originator_reference"] == made["reference"]]
    return made["reference"], copy["reference"]


def test_a_lost_item_is_reported_to_its_originator_and_followed_to_its_conclusion(
    federation: Federation,
):
    kor, jpn = federation["KOR"], federation["JPN"]
    reference, copy = released_to_jpn(federation)
    discovered = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    case = jpn.run(
        "incident", "report", copy, "--kind", "loss", "--discovered", discovered,
        "--summary", "the copy was not in its safe at the monthly inventory", "--json",
    ).json  # fmt: skip
    assert [(n["party"], n["step"]) for n in case["notices"]] == [("KOR", "report")]
    federation.wait(lambda: federation.settled("JPN"), what="JPN's report to KOR")
    federation.wait(lambda: bool(cases(kor, case["id"])), what="KOR to record the case")

    [there] = cases(kor, case["id"])
    assert (there["role"], there["reporter"], there["state"], there["kind"]) == (
        "originator",
        "JPN",
        "reported",
        "loss",
    )
    assert [i["reference"] for i in there["items"]] == [reference]
    assert there["notification_delay"] >= 2 * 3600 and there["overdue"] == []
    here = jpn.run("incident", "show", case["id"], "--json").json
    assert here["notified_at"] is not None and here["notices"][0]["delivery"] == "delivered"
    assert 2 * 3600 <= here["notification_delay"] < 3 * 3600

    jpn.run("incident", "investigate", case["id"], "--note", "the safe's log is examined")
    federation.wait(lambda: federation.settled("JPN"), what="the investigation's notice")
    assert cases(kor, case["id"])[0]["state"] == "investigating"
    jpn.run(
        "incident", "conclude", case["id"], "--result", "shredded without a record",
        "--measures", "destruction recorded by two officers",
    )  # fmt: skip
    federation.wait(lambda: federation.settled("JPN"), what="the conclusion's notice")
    [concluded] = cases(kor, case["id"])
    assert (concluded["state"], concluded["result"], concluded["measures"]) == (
        "concluded",
        "shredded without a record",
        "destruction recorded by two officers",
    )
    assert [s["step"] for s in concluded["steps"]] == ["report", "investigate", "conclude"]
    acknowledged = jpn.run("incident", "show", case["id"], "--json").json["notices"]
    assert [(n["step"], n["acked_at"] is not None) for n in acknowledged] == [
        ("report", True),
        ("investigate", True),
        ("conclude", True),
    ]
    assert kor.run("ledger", "verify").code == 0 and jpn.run("ledger", "verify").code == 0


def test_a_notice_about_koreas_item_from_a_party_that_never_held_it_is_refused(
    federation: Federation,
):
    kor, usa = federation["KOR"], federation["USA"]
    reference, _ = released_to_jpn(federation)
    before = [c["id"] for c in kor.run("incident", "list", "--json").json]
    notice_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    with Registry.open(Settings(database=usa.database)) as america:
        with america.read() as tx:
            token = sign_object(
                keyring(tx, PASSPHRASE.encode()),
                objects.ObjectKind.INCIDENT,
                objects.IncidentNotice(
                    iss="USA",
                    iat=int(now.timestamp()),
                    notice_id=notice_id,
                    case_id=str(uuid.uuid4()),
                    state=State.REPORTED,
                    kind=IncidentKind.COMPROMISE,
                    reporter="USA",
                    originator="KOR",
                    items=(reference,),
                    discovered_at=now - timedelta(hours=1),
                    reported_at=now,
                    at=now,
                    summary="a forged report",
                ),
            )
        url = f"{kor.url}/v1/incidents"
        body = json.dumps({"notice": token}).encode()
        refused = httpx.post(url, content=body, headers=_signed(america, url, body, key=notice_id))
    assert refused.status_code == 403, refused.text
    assert "USA" in refused.json()["detail"]
    assert [c["id"] for c in kor.run("incident", "list", "--json").json] == before
