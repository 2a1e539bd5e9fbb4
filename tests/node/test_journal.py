"""Every decision, lifecycle event, release, receipt, consent and key change is in the ledger,
committed or rolled back together with what it records."""

import json

import pytest
from sqlalchemy import select, update

from gsomia.core.agreements import EventKind
from gsomia.errors import InvalidEvent
from gsomia.ledger.errors import RootMismatch
from gsomia.node import items, keys, lifecycle, setup
from gsomia.node import ledger as node_ledger
from gsomia.store import log, tables
from tests.conftest import kst

PASSPHRASE = b"a long test passphrase"


def kinds(registry) -> list[str]:
    with registry.transaction() as connection:
        return [log.entry(connection, p).kind for p in range(log.size(connection))]


def test_every_act_of_the_registry_is_logged(registry):
    before = kinds(registry)
    assert before.count("reference_document") == 8
    keys.init_keys(registry, PASSPHRASE)
    lifecycle.record_event(
        registry, "KOR-JPN-GSOMIA-2016", EventKind.TERMINATION_NOTICE, "KOR", kst("2019-08-23")
    )
    person = items.add_person(
        registry, name="Kim", party=None, clearance="II", need_to_know=["nk-missile"]
    )
    item = items.register_item(
        registry, title="t", marking="II", topic="nk-missile", at=kst("2017-05-15")
    )
    items.release_item(registry, item.reference, "JPN", kst("2017-05-15"))
    items.access_item(registry, item.reference, person.id, kst("2017-06-01"))
    received = items.receive_item(
        registry,
        title="r",
        originator="JPN",
        marking="hi",
        topic="nk-missile",
        at=kst("2017-05-16"),
    )
    items.add_consent(registry, str(received.item_id), "USA", kst("2017-06-01"))
    items.transfer_item(registry, str(received.item_id), "USA", kst("2017-07-01"))
    keys.rotate(registry, PASSPHRASE)
    logged = kinds(registry)[len(before) :]
    assert logged == [
        "key",
        "key",
        "key",
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
        "key",
        "key",
        "key",
        "key",
        "key",
        "key",
    ]


def test_a_decision_entry_carries_its_reasons_and_articles(registry):
    item = items.register_item(
        registry, title="t", marking="I", topic="nk-missile", at=kst("2017-05-15")
    )
    outcome = items.release_item(registry, item.reference, "JPN", kst("2017-05-15"))
    with registry.transaction() as connection:
        entry = log.entry(connection, log.size(connection) - 1)
    assert entry.kind == "decision"
    assert entry.body["decision"] == outcome.decision_id
    assert entry.body["allowed"] is False
    assert entry.body["reasons"][0]["code"] == "level_not_covered"
    assert entry.body["reasons"][0]["article"] == "Art 4"


def test_a_refused_event_leaves_neither_record_nor_ledger_entry(registry):
    size = len(kinds(registry))
    with pytest.raises(InvalidEvent):
        lifecycle.record_event(
            registry, "KOR-JPN-GSOMIA-2016", EventKind.NOTICE_WITHDRAWN, "KOR", kst("2019-08-23")
        )
    assert len(kinds(registry)) == size


def test_private_keys_never_reach_the_ledger(registry):
    made = keys.init_keys(registry, PASSPHRASE)
    with registry.transaction() as connection:
        bodies = [
            json.dumps(dict(log.entry(connection, p).body)) for p in range(log.size(connection))
        ]
    assert all("PRIVATE" not in body for body in bodies)
    assert any(made[0].kid in body for body in bodies)


def test_a_proof_bundle_checks_out_for_a_partner_holding_the_vkey(registry):
    keys.init_keys(registry, PASSPHRASE)
    setup.load_history(registry, "kor-jpn-2019")
    ring = keys.keyring(registry, PASSPHRASE)
    head = node_ledger.head(registry, ring, sign=True)
    bundle = node_ledger.prove(registry, head.size - 1)
    from gsomia.ledger.checkpoint import VerifierKey

    partner_keys = [VerifierKey.from_vkey(node_ledger.vkey(registry, ring))]
    assert node_ledger.check(bundle, partner_keys)["verified"]
    bundle["entry"]["body"]["by"] = "JPN"
    with pytest.raises(RootMismatch):
        node_ledger.check(bundle, partner_keys)


def test_editing_the_database_directly_is_detected(registry):
    keys.init_keys(registry, PASSPHRASE)
    setup.load_history(registry, "kor-jpn-2019")
    ring = keys.keyring(registry, PASSPHRASE)
    node_ledger.head(registry, ring, sign=True)
    assert node_ledger.verify(registry, ring).ok
    with registry.transaction() as connection:
        position = (
            connection.execute(
                select(tables.ledger_entries.c.position).where(
                    tables.ledger_entries.c.kind == "lifecycle_event"
                )
            )
            .scalars()
            .first()
        )
        body = json.loads(
            connection.execute(
                select(tables.ledger_entries.c.body).where(
                    tables.ledger_entries.c.position == position
                )
            ).scalar_one()
        )
        body["at"] = "2019-08-26T00:00:00+09:00"  # a late notice, rewritten as timely
        connection.execute(
            update(tables.ledger_entries)
            .where(tables.ledger_entries.c.position == position)
            .values(
                body=json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            )
        )
    report = node_ledger.verify(registry, ring)
    assert not report.ok
    assert report.first_divergence == position
