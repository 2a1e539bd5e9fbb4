"""Items delivered between live nodes with signed receipts, exactly once; consent asked and
given across nodes; the 2019–2023 notes giving both sides one status; attacks refused."""

from __future__ import annotations

import json
import secrets
import signal
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gsomia.crypto import httpsig, objects
from gsomia.node import wire
from gsomia.node.commands.keys import keyring
from gsomia.node.context import Node as Registry
from gsomia.node.settings import Settings
from tests.federation.conftest import PASSPHRASE, Federation, free_port

pytestmark = pytest.mark.xdist_group("federation-exchange")

GSOMIA = "KOR-JPN-GSOMIA-2016"


def register(node, title: str, *extra: str, at: str = "2017-05-15") -> str:
    made = node.run(
        "item",
        "register",
        "--title",
        title,
        "--marking",
        "II",
        "--topic",
        "nk-missile",
        "--at",
        at,
        "--json",
        *extra,
    ).json
    return str(made["reference"])


def copies(node, originator: str) -> dict[str, dict[str, Any]]:
    listed = node.run("item", "list", "--originator", originator, "--json").json
    return {item["originator_reference"]: item for item in listed}


def test_a_sealed_release_is_delivered_and_receipted_in_both_ledgers(
    federation: Federation, tmp_path: Path
):
    kor, jpn = federation["KOR"], federation["JPN"]
    document = tmp_path / "hwasong-12.bin"
    document.write_bytes(b"Hwasong-12 telemetry, illustrative\n" * 500)
    reference = register(kor, "Hwasong-12 telemetry", "--file", str(document))
    released = kor.run("item", "release", reference, "--to", "JPN", "--at", "2017-05-15", "--json")
    assert released.json["allowed"]
    federation.wait(lambda: federation.settled("KOR"), what="KOR's outbox to drain")
    [delivery] = [
        d
        for d in kor.run("delivery", "list", "--json").json
        if d["release_id"] == released.json["release_id"]
    ]
    assert delivery["state"] == "delivered" and delivery["answer_verified"]
    copy = copies(jpn, "KOR")[reference]
    assert (copy["holder_marking"], copy["originator"], copy["received_from"]) == (
        "極秘",
        "KOR",
        "KOR",
    )
    reader = jpn.run(
        "person",
        "add",
        "--name",
        f"Sato {reference}",
        "--clearance",
        "極秘",
        "--need-to-know",
        "nk-missile",
        "--json",
    ).json
    opened = jpn.run(
        "item",
        "open",
        copy["reference"],
        "--person",
        str(reader["id"]),
        "--at",
        "2017-06-01",
        "-o",
        str(tmp_path / "read.bin"),
    )
    assert opened.code == 0 and (tmp_path / "read.bin").read_bytes() == document.read_bytes()
    custody = kor.run("item", "custody", reference, "--json").json
    assert [(h["from"], h["to"], h["receipt_verified"]) for h in custody["hops"]] == [
        ("KOR", "JPN", True)
    ]
    receipts = jpn.run("decision", "list", "--kind", "receipt", "--json").json
    assert any(d["request"].get("delivery") == delivery["id"] and d["allowed"] for d in receipts)
    kor_kinds = [
        e["kind"] for e in kor.run("ledger", "entries", "--limit", "100000", "--json").json
    ]
    assert "message_delivered" in kor_kinds
    assert kor.run("ledger", "verify").code == 0 and jpn.run("ledger", "verify").code == 0


def test_the_2017_exchanges_go_both_ways(federation: Federation):
    kor, jpn = federation["KOR"], federation["JPN"]
    sent: dict[str, list[str]] = {"KOR": [], "JPN": []}
    for day in ("2017-02-13", "2017-03-07", "2017-07-05", "2017-11-30"):
        for sender, marking in ((kor, "II"), (jpn, "極秘")):
            made = sender.run(
                "item",
                "register",
                "--title",
                f"exchange of {day}",
                "--marking",
                marking,
                "--topic",
                "nk-missile",
                "--at",
                day,
                "--json",
            ).json
            to = "JPN" if sender is kor else "KOR"
            sender.run("item", "release", made["reference"], "--to", to, "--at", day)
            sent[sender.party].append(made["reference"])
    federation.wait(lambda: federation.settled("KOR") and federation.settled("JPN"), what="drain")
    assert set(sent["KOR"]) <= set(copies(jpn, "KOR"))
    assert set(sent["JPN"]) <= set(copies(kor, "JPN"))


def _signed(
    registry: Registry, url: str, body: bytes, key_id: str | None = None, **extra: Any
) -> dict[str, str]:
    with registry.read() as tx:
        kid, key = keyring(tx, PASSPHRASE.encode()).signing()
    headers = {"content-type": "application/json", "idempotency-key": extra.pop("key")}
    headers |= httpsig.sign_request(
        "POST",
        url,
        headers,
        body,
        key=extra.pop("signing_key", key),
        kid=key_id or kid,
        created=extra.pop("created", datetime.now(UTC)),
        nonce=extra.pop("nonce", secrets.token_hex(16)),
    )
    return headers


def _envelope(reference: str, delivery_id: str | None = None) -> tuple[str, bytes]:
    delivery_id = delivery_id or str(uuid.uuid4())
    envelope = wire.Envelope(
        delivery_id=delivery_id,
        sender="KOR",
        recipient="JPN",
        agreement=GSOMIA,
        released_at=datetime(2017, 6, 1, tzinfo=UTC),
        item=wire.ItemLabel(
            reference=reference,
            title="crafted",
            originator="KOR",
            marking="군사Ⅱ급비밀",
            topic="nk-missile",
        ),
    )
    return delivery_id, wire.Delivery(envelope=envelope).model_dump_json().encode()


def test_replays_reused_keys_stale_and_unknown_signatures_are_refused(federation: Federation):
    kor, jpn = federation["KOR"], federation["JPN"]
    url = f"{jpn.url}/v1/deliveries"
    with Registry.open(Settings(database=kor.database)) as korea:
        delivery_id, body = _envelope("KOR-CRAFTED-1")
        headers = _signed(korea, url, body, key=delivery_id)
        first = httpx.post(url, content=body, headers=headers)
        assert first.status_code == 201, first.text
        replayed = httpx.post(url, content=body, headers=headers)  # the very same request
        assert replayed.status_code == 401 and "replay" in replayed.json()["detail"]
        again = httpx.post(url, content=body, headers=_signed(korea, url, body, key=delivery_id))
        assert again.status_code == 201 and again.json() == first.json()  # the stored receipt
        _, other = _envelope("KOR-CRAFTED-2", delivery_id)  # the same key, another body
        reused = httpx.post(url, content=other, headers=_signed(korea, url, other, key=delivery_id))
        assert reused.status_code == 422
        stale = _signed(
            korea, url, body, key=delivery_id, created=datetime.now(UTC) - timedelta(minutes=10)
        )
        assert httpx.post(url, content=body, headers=stale).status_code == 401
        impostor = _signed(
            korea,
            url,
            body,
            key=delivery_id,
            signing_key=Ed25519PrivateKey.generate(),
            key_id="kor-sign-000000000000",
        )
        assert httpx.post(url, content=body, headers=impostor).status_code == 401
        tampered = body.replace(b"KOR-CRAFTED-1", b"KOR-CRAFTED-9")
        assert (
            httpx.post(
                url, content=tampered, headers=_signed(korea, url, body, key=delivery_id)
            ).status_code
            == 401
        )
        for problem in (replayed, reused):
            assert problem.headers["content-type"].startswith("application/problem+json")
    assert list(copies(jpn, "KOR")).count("KOR-CRAFTED-1") == 1


def test_concurrent_duplicates_register_one_copy(federation: Federation):
    kor, jpn = federation["KOR"], federation["JPN"]
    url = f"{jpn.url}/v1/deliveries"
    answers: list[httpx.Response] = []
    with Registry.open(Settings(database=kor.database)) as korea:
        delivery_id, body = _envelope("KOR-CRAFTED-CONCURRENT")
        requests = [_signed(korea, url, body, key=delivery_id) for _ in range(8)]

        def send(headers: dict[str, str]) -> None:
            answers.append(httpx.post(url, content=body, headers=headers, timeout=60))

        threads = [threading.Thread(target=send, args=(h,)) for h in requests]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert {a.status_code for a in answers} == {201}
    assert len({a.text for a in answers}) == 1
    assert "KOR-CRAFTED-CONCURRENT" in copies(jpn, "KOR")


def test_a_receiver_killed_mid_delivery_loses_nothing_and_duplicates_nothing(
    federation: Federation,
):
    kor, jpn = federation["KOR"], federation["JPN"]
    jpn.stop(signal.SIGKILL)
    sent = []
    for n in range(6):
        reference = register(kor, f"burst {n}", at="2017-08-30")
        kor.run("item", "release", reference, "--to", "JPN", "--at", "2017-08-30")
        sent.append(reference)
    queued = kor.run("delivery", "list", "--state", "queued", "--json").json
    assert {d["subject"] for d in queued} >= set(sent)
    jpn.start()
    time.sleep(0.3)
    jpn.stop(signal.SIGKILL)  # killed again while the outbox drains
    jpn.start()
    federation.wait(lambda: federation.settled("KOR"), seconds=120, what="the outbox to drain")
    held = jpn.run("item", "list", "--originator", "KOR", "--json").json
    references = [i["originator_reference"] for i in held]
    for reference in sent:
        assert references.count(reference) == 1
    assert jpn.run("ledger", "verify").code == 0


def test_a_forged_receipt_is_refused(federation: Federation):
    """Someone answers for the United States' node with a receipt signed by a key that is not
    pinned for the USA: the delivery fails, and nothing is recorded as received."""
    kor, usa = federation["KOR"], federation["USA"]
    impostor = Ed25519PrivateKey.generate()

    class Forger(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["content-length"])
            envelope = json.loads(self.rfile.read(length))["envelope"]
            receipt = objects.Receipt(
                iss="USA",
                iat=int(datetime.now(UTC).timestamp()),
                delivery_id=envelope["delivery_id"],
                item=envelope["item"]["reference"],
                receiver="USA",
                allowed=True,
                reasons=(),
                ledger_index=0,
                at=datetime.now(UTC),
            )
            token = objects.sign_object(
                objects.ObjectKind.RECEIPT, receipt, impostor, "usa-sign-000000000000"
            )
            data = json.dumps({"receipt": token}).encode()
            self.send_response(201)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    port = free_port()
    server = HTTPServer(("127.0.0.1", port), Forger)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    usa_keys = str(usa.folder.parent / "USA.json")
    try:
        kor.run("peer", "add", "USA", "--url", f"http://127.0.0.1:{port}", "--keys", usa_keys)
        reference = register(kor, "for the USA", at="2018-01-01")
        released = kor.run(
            "item", "release", reference, "--to", "USA", "--at", "2018-01-02", "--json"
        ).json
        mine = released["release_id"]

        def failed() -> list[dict[str, Any]]:
            listed = kor.run("delivery", "list", "--json").json
            return [d for d in listed if d["release_id"] == mine and d["state"] == "failed"]

        federation.wait(lambda: bool(failed()), what="the forged receipt to be refused")
        [delivery] = failed()
        assert "does not verify" in delivery["last_error"]
        assert delivery["answer"] is None
    finally:
        server.shutdown()
        kor.run("peer", "add", "USA", "--url", usa.url, "--keys", usa_keys)


def test_consent_is_asked_and_given_across_nodes_then_verified_downstream(federation: Federation):
    kor, jpn, usa = federation["KOR"], federation["JPN"], federation["USA"]
    reference = register(kor, "Punggye-ri yield estimate", at="2017-09-04")
    kor.run("item", "release", reference, "--to", "JPN", "--at", "2017-09-04")
    federation.wait(lambda: reference in copies(jpn, "KOR"), what="the copy at JPN")
    copy = copies(jpn, "KOR")[reference]["reference"]
    denied = jpn.run("item", "transfer", copy, "--to", "USA", "--at", "2018-01-01", check=False)
    assert denied.code == 1
    asked = jpn.run(
        "consent", "request", copy, "--to", "USA", "--purpose", "joint assessment", "--json"
    ).json
    federation.wait(
        lambda: any(r["id"] == asked["id"] for r in kor.run("consent", "requests", "--json").json),
        what="the request at KOR",
    )
    kor.run(
        "consent",
        "grant",
        asked["id"],
        "--expires",
        "2019-01-01",
        "--reference",
        "MND 17-44",
        "--at",
        "2017-12-01",
    )
    federation.wait(
        lambda: any(
            c["to"] == "USA" for c in jpn.run("consent", "list", "--item", copy, "--json").json
        ),
        what="the signed consent at JPN",
    )
    allowed = jpn.run("item", "transfer", copy, "--to", "USA", "--at", "2018-01-01", "--json").json
    assert allowed["allowed"]
    federation.wait(lambda: reference in copies(usa, "KOR"), what="the copy at USA")
    assert copies(usa, "KOR")[reference]["received_from"] == "JPN"


def test_the_2019_notes_give_both_sides_one_status_at_every_boundary(federation: Federation):
    kor, jpn = federation["KOR"], federation["JPN"]
    history = [
        ("notify", "2019-08-23"),
        ("suspend-notice", "2019-11-22T18:00+09:00"),
        ("withdraw-notice", "2023-03-21"),
    ]
    for command, at in history:
        kor.run("agreement", command, GSOMIA, "--by", "KOR", "--at", at)
    federation.wait(lambda: federation.settled("KOR"), what="the notes to be acknowledged")
    events = kor.run("agreement", "events", GSOMIA, "--json").json
    assert all(e["notes"] and all(n["acknowledged"] for n in e["notes"]) for e in events)
    assert [
        e["source"].split(":")[0] for e in jpn.run("agreement", "events", GSOMIA, "--json").json
    ] == ["note"] * 3
    for at in (
        "2019-08-22",
        "2019-08-23",
        "2019-11-22T17:59+09:00",
        "2019-11-22T18:00+09:00",
        "2019-11-23",
        "2020-06-01",
        "2023-03-21",
        "2023-11-23",
    ):
        statuses = [
            n.run("agreement", "status", GSOMIA, "--at", at, "--json").json for n in (kor, jpn)
        ]
        assert statuses[0] == statuses[1], at


def test_a_partner_gets_inclusion_proofs_only_for_entries_that_concern_it(
    federation: Federation, tmp_path: Path
):
    kor, jpn = federation["KOR"], federation["JPN"]
    kor.run("person", "add", "--name", "Kim Proof", "--clearance", "II")
    reference = register(kor, "for the proof", at="2017-10-01")
    kor.run("item", "release", reference, "--to", "JPN", "--at", "2017-10-01")
    federation.wait(lambda: federation.settled("KOR"), what="the delivery")
    entries = kor.run("ledger", "entries", "--limit", "100000", "--json").json
    release = next(
        e["position"]
        for e in entries
        if e["body"].get("table") == "releases" and e["body"]["row"]["to_party"] == "JPN"
    )
    person = next(e["position"] for e in entries if e["body"].get("table") == "persons")
    federation.wait(
        lambda: kor.run("ledger", "head", "--json").json["size"] > max(release, person),
        what="a checkpoint covering both entries",
    )
    with Registry.open(Settings(database=jpn.database)) as japan:
        with japan.read() as tx:
            kid, key = keyring(tx, PASSPHRASE.encode()).signing()

        def fetch(position: int) -> httpx.Response:
            url = f"{kor.url}/v1/ledger/proofs/inclusion?index={position}"
            headers = httpsig.sign_request(
                "GET", url, {}, b"", key=key, kid=kid, created=datetime.now(UTC)
            )
            return httpx.get(url, headers=headers)

        granted = fetch(release)
        assert granted.status_code == 200, granted.text
        proof = granted.json()
        assert proof["entry"]["position"] == release
        assert proof["entry"]["body"]["row"]["to_party"] == "JPN"
        (tmp_path / "proof.json").write_text(json.dumps(proof))
        vkey = kor.run("ledger", "vkey").stdout.strip()
        assert jpn.run("ledger", "check", str(tmp_path / "proof.json"), "--vkey", vkey).code == 0
        assert fetch(person).status_code == 404
