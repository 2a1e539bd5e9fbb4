"""Every decision, lifecycle event, release, receipt, consent and key change is in the ledger,
stating its row whole, committed or rolled back together with what it records."""

import json

import pytest

from gsomia.core.agreements import EventKind
from gsomia.crypto.keys import Purpose
from gsomia.demo import forgery
from gsomia.errors import InvalidEvent
from gsomia.ledger.checkpoint import VerifierKey
from gsomia.ledger.errors import RootMismatch
from gsomia.node.commands import consents, items, keys, ledger, lifecycle, persons, setup
from gsomia.store import log

PASSPHRASE = b"a long test passphrase"
GSOMIA = "KOR-JPN-GSOMIA-2016"


def kinds(node) -> list[str]:
    with node.read() as tx:
        return [log.entry(tx.connection, p).kind for p in range(log.size(tx.connection))]


def test_every_act_of_the_registry_is_logged(node):
    before = kinds(node)
    assert before.count("reference_document") == 8
    keys.init_keys(node, PASSPHRASE)
    lifecycle.record_event(node, GSOMIA, EventKind.TERMINATION_NOTICE, "KOR", "2019-08-23")
    person = persons.add_person(
        node, name="Kim", party=None, clearance="II", need_to_know=["nk-missile"]
    )
    item = items.register_item(node, title="t", marking="II", topic="nk-missile", at="2017-05-15")
    items.release_item(node, item.reference, "JPN", "2017-05-15")
    items.access_item(node, item.reference, person.id, "2017-06-01")
    received = items.receive_item(
        node, title="r", originator="JPN", marking="hi", topic="nk-missile", at="2017-05-16"
    )
    assert received.item is not None
    consents.add_consent(node, received.item.reference, "USA", "2017-06-01")
    items.transfer_item(node, received.item.reference, "USA", "2017-07-01")
    keys.rotate(node, PASSPHRASE)
    logged = kinds(node)[len(before) :]
    keys_made = ["key"] * len(Purpose)
    assert logged == [
        *keys_made,
        "lifecycle_event",
        "person",
        "item",
        "decision",
        "release",
        "decision",
        "receipt",
        "decision",
        "consent",
        "decision",
        "transfer",
        *keys_made,  # the old keys retire
        *keys_made,  # the new ones are made
    ]


def test_a_decision_entry_states_its_row_with_reasons_and_articles(node):
    item = items.register_item(node, title="t", marking="I", topic="nk-missile", at="2017-05-15")
    outcome = items.release_item(node, item.reference, "JPN", "2017-05-15")
    with node.read() as tx:
        entry = log.entry(tx.connection, log.size(tx.connection) - 1)
    assert entry.kind == "decision"
    assert (entry.body["table"], entry.body["key"]) == ("decisions", outcome.decision_id)
    row = entry.body["row"]
    assert row["allowed"] is False
    assert row["reasons"][0]["code"] == "level_not_covered"
    assert row["reasons"][0]["article"] == "Art 4"


def test_a_refused_event_leaves_neither_record_nor_ledger_entry(node):
    size = len(kinds(node))
    with pytest.raises(InvalidEvent):
        lifecycle.record_event(node, GSOMIA, EventKind.NOTICE_WITHDRAWN, "KOR", "2019-08-23")
    assert len(kinds(node)) == size


def test_private_keys_never_reach_the_ledger(node):
    made = keys.init_keys(node, PASSPHRASE)
    with node.read() as tx:
        bodies = [
            json.dumps(dict(log.entry(tx.connection, p).body))
            for p in range(log.size(tx.connection))
        ]
    assert all("PRIVATE" not in body and "gsomia-key" not in body for body in bodies)
    assert any(made[0].kid in body and "private_pem_sha256" in body for body in bodies)


def test_a_proof_bundle_checks_out_for_a_partner_holding_the_vkey(node):
    keys.init_keys(node, PASSPHRASE)
    setup.load_history(node, "kor-jpn-2019")
    head = ledger.head(node, PASSPHRASE)
    bundle = ledger.prove(node, head.size - 1).to_json()
    partner_keys = [VerifierKey.from_vkey(ledger.vkey(node))]
    assert ledger.check(bundle, partner_keys).verified
    bundle["entry"]["body"]["row"]["party"] = "JPN"
    with pytest.raises(RootMismatch):
        ledger.check(bundle, partner_keys)


def test_a_ledger_entry_edited_in_the_database_is_found_at_its_position(node):
    keys.init_keys(node, PASSPHRASE)
    setup.load_history(node, "kor-jpn-2019")
    ledger.head(node, PASSPHRASE)
    assert ledger.verify(node).ok
    position = next(
        e.position for e in ledger.entries(node, 0, 10_000) if e.kind == "lifecycle_event"
    )
    url = node.url.render_as_string(hide_password=False)
    forgery.rewrite_entry(url, position, at="2019-08-26T00:00:00.000000Z")  # late, made timely
    report = ledger.verify(node)
    assert not report.ok
    assert report.first_divergence == position
    assert any(p.kind == "row-altered" and p.table == "agreement_events" for p in report.problems)
