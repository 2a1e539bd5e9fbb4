"""Cases of loss or compromise through the registry (Art 17): recorded with their items and
their notices in one transaction, each originator told of its own items only, the notice
verified and recorded by the originator's node, the acknowledgement kept by the reporter."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from gsomia.core.incidents import Deadlines, IncidentKind, State
from gsomia.crypto import objects
from gsomia.errors import (
    Conflict,
    Denied,
    InvalidRequest,
    KeyStoreError,
    NotFound,
    ObjectRejected,
)
from gsomia.node import outbox
from gsomia.node.commands import incidents, items, keys, ledger, peers
from gsomia.node.commands.keys import keyring, sign_object
from gsomia.node.context import Node
from gsomia.node.outbox import Kind
from gsomia.node.settings import Settings
from gsomia.store import tables
from tests.conftest import make_node

PASSPHRASE = b"incident test passphrase"
NOWHERE = "http://127.0.0.1:9"
"""The peers' address: no worker runs here, the tests carry each message by hand."""


@dataclass
class Nodes:
    jpn: Node
    kor: Node
    usa: Node
    kor_item: str
    """KOR's reference of the item KOR released to JPN."""
    jpn_copy: str
    """JPN's reference of its copy."""
    usa_copy: str
    """JPN's reference of its copy of a USA item."""
    jpn_item: str
    """An item JPN originated."""


@pytest.fixture
def nodes(db_url: str, tmp_path) -> Iterator[Nodes]:
    """JPN (on each backend) holds a copy of a KOR item and of a USA item, and one of its own;
    each of the three nodes has the other two as peers."""
    jpn = make_node(db_url, "JPN", "Asia/Tokyo", content_dir=tmp_path / "jpn")
    kor = make_node(f"sqlite:///{tmp_path / 'kor.db'}", content_dir=tmp_path / "kor")
    usa = make_node(f"sqlite:///{tmp_path / 'usa.db'}", "USA", "America/New_York")
    made = {"JPN": jpn, "KOR": kor, "USA": usa}
    for node in made.values():
        keys.init_keys(node, PASSPHRASE)
    sets = {party: json.dumps(keys.export_public(node, PASSPHRASE)) for party, node in made.items()}
    for party, node in made.items():
        for other in made:
            if other != party:
                peers.add_peer(node, other, NOWHERE, sets[other], trust=True)
    kor_item = items.register_item(
        kor, title="Hwasong-15 telemetry", marking="II", topic="nk-missile", at="2026-11-01"
    ).reference
    items.release_item(kor, kor_item, "JPN", "2026-11-02", PASSPHRASE)
    usa_item = items.register_item(
        usa, title="launch imagery", marking="SECRET", topic="nk-missile", at="2026-11-01"
    ).reference
    jpn_copy = received(jpn, "KOR", "II", kor_item)
    usa_copy = received(jpn, "USA", "SECRET", usa_item)
    jpn_item = items.register_item(
        jpn, title="radar track", marking="極秘", topic="nk-missile", at="2026-11-01"
    ).reference
    yield Nodes(jpn, kor, usa, kor_item, jpn_copy, usa_copy, jpn_item)
    for node in made.values():
        node.close()


def received(node: Node, originator: str, marking: str, reference: str) -> str:
    action = items.receive_item(
        node,
        title=f"copy of {reference}",
        originator=originator,
        marking=marking,
        topic="nk-missile",
        at="2026-11-03",
        originator_reference=reference,
    )
    assert action.allowed
    with node.read() as tx:
        return str(
            tx.connection.execute(
                select(tables.items.c.reference).where(
                    tables.items.c.originator_reference == reference
                )
            ).scalar_one()
        )


def lost(nodes: Nodes, *refs: str, at: str = "2026-11-30T10:00+09:00") -> incidents.IncidentView:
    return incidents.report(
        nodes.jpn,
        list(refs),
        "loss",
        "2026-11-30T08:00+09:00",
        "a courier's case was lost between Tokyo and Yokosuka",
        at,
        PASSPHRASE,
    )


def queued(node: Node, case_id: str) -> list[tuple[str, str, bytes]]:
    """The incident messages queued for a case: (id, recipient, body)."""
    deliveries, box = tables.deliveries, tables.outbox
    with node.read() as tx:
        rows = tx.connection.execute(
            select(deliveries.c.id, deliveries.c.recipient, box.c.body)
            .join(box, box.c.delivery_id == deliveries.c.id)
            .where(deliveries.c.subject == case_id, deliveries.c.kind == Kind.INCIDENT.value)
            .order_by(deliveries.c.created_at, deliveries.c.id)
        ).all()
    return [(r.id, r.recipient, r.body.encode()) for r in rows]


def claims(body: bytes, ring_node: Node, party: str) -> objects.IncidentNotice:
    token = json.loads(body)["notice"]
    with ring_node.read() as tx:
        return keys.verify_from(
            keyring(tx, None), party, token, objects.ObjectKind.INCIDENT, objects.IncidentNotice
        )


def carry(nodes: Nodes, case_id: str, to: Node, party: str = "KOR") -> None:
    """Deliver the case's messages queued to `party`, and settle them with the answers, as the
    worker does."""
    for message_id, recipient, body in queued(nodes.jpn, case_id):
        if recipient != party:
            continue
        answered = incidents.accept_incident(to, "JPN", message_id, body, PASSPHRASE)
        assert answered.status == 201
        with nodes.jpn.write() as tx:
            outbox.settle(tx, message_id, outbox.State.DELIVERED, answered.body["ack"], True)
            incidents.record_ack(
                tx, message_id, party, answered.body["ack"], keyring(tx, PASSPHRASE)
            )


def count(node: Node, table) -> int:
    with node.read() as tx:
        return int(tx.connection.execute(select(func.count()).select_from(table)).scalar_one())


# -- reporting -------------------------------------------------------------------------------


def test_a_report_queues_a_signed_notice_to_the_originator_in_the_same_transaction(nodes):
    """Art 17: the originator is informed at once: the notice is queued with the case."""
    case = lost(nodes, nodes.jpn_copy)
    [(message_id, recipient, body)] = queued(nodes.jpn, case.id)
    assert recipient == "KOR"
    notice = claims(body, nodes.kor, "JPN")
    assert (notice.case_id, notice.state, notice.kind) == (case.id, State.REPORTED, "loss")
    assert (notice.reporter, notice.originator, notice.items) == ("JPN", "KOR", (nodes.kor_item,))
    assert notice.notice_id == message_id
    assert [(n.step, n.direction, n.party, n.delivery) for n in case.notices] == [
        ("report", "sent", "KOR", "queued")
    ]
    assert case.queued_at is not None
    assert case.queued_delay == int((case.queued_at - case.discovered_at).total_seconds())
    assert case.notified_at is None and case.notification_delay is None  # not acknowledged yet


def test_each_originator_is_told_of_its_own_items_only_and_nobody_of_ones_own(nodes):
    """Art 17: each originator is informed of its items; never KOR of the USA's."""
    case = lost(nodes, nodes.jpn_copy, nodes.usa_copy, nodes.jpn_item)
    notices = {r: claims(b, nodes.kor, "JPN") for _, r, b in queued(nodes.jpn, case.id)}
    assert set(notices) == {"KOR", "USA"}
    assert notices["KOR"].items == (nodes.kor_item,)
    assert notices["USA"].items != notices["KOR"].items and len(notices["USA"].items) == 1
    assert case.originators == ["KOR", "USA"]
    assert {i.reference for i in case.items} == {nodes.jpn_copy, nodes.usa_copy, nodes.jpn_item}


def test_a_case_of_ones_own_items_is_recorded_with_no_one_to_inform(nodes):
    case = lost(nodes, nodes.jpn_item)
    assert queued(nodes.jpn, case.id) == [] and case.notices == []
    notify = next(d for d in case.deadlines if d.duty == "notify")
    assert notify.standing == "not_applicable"


def test_the_originator_records_the_case_and_the_reporter_keeps_its_acknowledgement(nodes):
    """Art 17: the originator's node records the case; the time from discovery runs to its
    acknowledgement."""
    case = lost(nodes, nodes.jpn_copy)
    carry(nodes, case.id, nodes.kor)
    there = incidents.incident(nodes.kor, case.id)
    assert (there.role, there.reporter, there.state, there.kind) == (
        "originator",
        "JPN",
        "reported",
        "loss",
    )
    assert [i.reference for i in there.items] == [nodes.kor_item]
    assert there.notified_at is not None and there.notices[0].direction == "received"
    here = incidents.incident(nodes.jpn, case.id)
    assert here.notified_at is not None and here.notified_at == here.notices[0].acked_at
    assert here.notification_delay == int((here.notified_at - here.discovered_at).total_seconds())
    assert here.notices[0].delivery == "delivered"
    for node in (nodes.jpn, nodes.kor):
        assert ledger.verify(node).ok


def test_each_step_reaches_the_originator_in_order(nodes):
    """Art 17: the investigation, then its results and the measures against recurrence."""
    case = lost(nodes, nodes.jpn_copy)
    carry(nodes, case.id, nodes.kor)
    incidents.investigate(
        nodes.jpn, case.id, "2026-12-01T09:00+09:00", "inquiry opened", PASSPHRASE
    )
    carry(nodes, case.id, nodes.kor)
    incidents.conclude(
        nodes.jpn, case.id, "left on a train", "two-person carriage", "2026-12-10", PASSPHRASE
    )
    carry(nodes, case.id, nodes.kor)
    there = incidents.incident(nodes.kor, case.id)
    assert (there.state, there.result, there.measures, there.note) == (
        "concluded",
        "left on a train",
        "two-person carriage",
        "inquiry opened",
    )
    assert [s.step for s in there.steps] == ["report", "investigate", "conclude"]
    here = incidents.incident(nodes.jpn, case.id)
    assert [(n.step, n.acked_at is not None) for n in here.notices] == [
        ("report", True),
        ("investigate", True),
        ("conclude", True),
    ]
    assert ledger.verify(nodes.kor).ok and ledger.verify(nodes.jpn).ok


def test_the_ledger_entries_of_a_case_concern_only_the_parties_it_names(nodes):
    lost(nodes, nodes.jpn_copy, nodes.usa_copy)
    entries = ledger.entries(nodes.jpn, 0, 100_000)
    cases = [e.body for e in entries if e.body.get("table") == "incidents"]
    notices = [e.body for e in entries if e.body.get("table") == "incident_notices"]
    assert cases and not any(ledger.concerns(body, "KOR") for body in cases)
    assert [ledger.concerns(body, "KOR") for body in notices].count(True) == 1


# -- deadlines -------------------------------------------------------------------------------


def test_an_unopened_investigation_is_overdue_after_three_days(nodes):
    """Art 17 (practice): evaluated at an instant, the missing step is flagged."""
    case = lost(nodes, nodes.jpn_item)
    later = incidents.incident(nodes.jpn, case.id, "2026-12-04T09:00+09:00")
    assert later.overdue == ["investigate"]
    assert incidents.incident(nodes.jpn, case.id, "2026-12-01T09:00+09:00").overdue == []


def test_an_unacknowledged_notice_is_overdue_after_a_day(nodes):
    case = lost(nodes, nodes.jpn_copy)
    assert "notify" in incidents.incident(nodes.jpn, case.id, "2026-12-02").overdue


def test_the_periods_are_the_node_settings(db_url, tmp_path):
    node = make_node(
        db_url, "JPN", "Asia/Tokyo", incident_deadlines=Deadlines(investigate=timedelta(hours=1))
    )
    try:
        reference = items.register_item(
            node, title="t", marking="極秘", topic="nk-missile", at="2026-11-01"
        ).reference
        case = incidents.report(
            node, [reference], "compromise", "2026-11-30T08:00+09:00", "s", "2026-11-30T08:30+09:00"
        )
        assert incidents.incident(node, case.id, "2026-11-30T09:30+09:00").overdue == [
            "investigate"
        ]
    finally:
        node.close()


# -- refused: bad input changes nothing --------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"refs": ["JPN-NOPE"]}, NotFound, "no item"),
        ({"kind": "stolen"}, InvalidRequest, "unknown incident kind"),
        ({"discovered": "2026-12-30T08:00+09:00"}, InvalidRequest, "after the report"),
        ({"summary": " "}, InvalidRequest, "summary"),
        ({"refs": []}, InvalidRequest, "at least one item"),
        ({"passphrase": None}, KeyStoreError, "passphrase"),
    ],
)
def test_a_bad_report_records_nothing(nodes, change, error, words):
    given = {
        "refs": [nodes.jpn_copy],
        "kind": "loss",
        "discovered": "2026-11-30T08:00+09:00",
        "summary": "lost",
        "passphrase": PASSPHRASE,
    } | change
    before = (count(nodes.jpn, tables.incidents), count(nodes.jpn, tables.deliveries))
    with pytest.raises(error, match=words):
        incidents.report(
            nodes.jpn,
            given["refs"],
            given["kind"],
            given["discovered"],
            given["summary"],
            "2026-11-30T10:00+09:00",
            given["passphrase"],
        )
    assert (count(nodes.jpn, tables.incidents), count(nodes.jpn, tables.deliveries)) == before


def test_only_the_reporter_moves_a_case(nodes):
    case = lost(nodes, nodes.jpn_copy)
    carry(nodes, case.id, nodes.kor)
    with pytest.raises(InvalidRequest, match="reported to this node by JPN"):
        incidents.investigate(nodes.kor, case.id, passphrase=PASSPHRASE)


# -- refused on the originator's side -----------------------------------------------------------


def forged(signer: Node, **claims_: Any) -> tuple[str, bytes]:
    notice_id = outbox.new_id()
    values: dict[str, Any] = {
        "iss": "USA",
        "iat": 1,
        "notice_id": notice_id,
        "case_id": outbox.new_id(),
        "state": State.REPORTED,
        "kind": IncidentKind.COMPROMISE,
        "reporter": "USA",
        "originator": "KOR",
        "items": ("KOR-2026-0001",),
        "discovered_at": datetime(2026, 11, 30, tzinfo=UTC),
        "reported_at": datetime(2026, 11, 30, 1, tzinfo=UTC),
        "at": datetime(2026, 11, 30, 1, tzinfo=UTC),
        "summary": "forged",
    } | claims_
    with signer.read() as tx:
        token = sign_object(
            keyring(tx, PASSPHRASE), objects.ObjectKind.INCIDENT, objects.IncidentNotice(**values)
        )
    return notice_id, json.dumps({"notice": token}).encode()


def test_a_notice_about_an_item_the_sender_never_held_is_refused(nodes):
    """Art 17: the holder reports; the USA was never given KOR's item."""
    notice_id, body = forged(nodes.usa, items=(nodes.kor_item,))
    with pytest.raises(Denied, match="never released to it"):
        incidents.accept_incident(nodes.kor, "USA", notice_id, body, PASSPHRASE)
    assert count(nodes.kor, tables.incidents) == 0


def test_a_reporters_notice_relayed_by_another_party_is_refused(nodes):
    """A notice is its reporter's to send: the USA passing on JPN's is refused."""
    case = lost(nodes, nodes.jpn_copy)
    [(message_id, _, body)] = queued(nodes.jpn, case.id)
    with pytest.raises(ObjectRejected):
        incidents.accept_incident(nodes.kor, "USA", message_id, body, PASSPHRASE)
    assert count(nodes.kor, tables.incidents) == 0


def test_a_notice_for_another_originator_is_refused(nodes):
    case = lost(nodes, nodes.usa_copy)
    [(message_id, _, body)] = queued(nodes.jpn, case.id)
    with pytest.raises(InvalidRequest, match="for USA, not KOR"):
        incidents.accept_incident(nodes.kor, "JPN", message_id, body, PASSPHRASE)


def test_a_notice_about_items_the_originator_did_not_originate_is_refused(nodes):
    notice_id, body = forged(nodes.jpn, iss="JPN", reporter="JPN", items=("USA-2026-0001",))
    with pytest.raises(InvalidRequest, match="not an item KOR originated"):
        incidents.accept_incident(nodes.kor, "JPN", notice_id, body, PASSPHRASE)
    assert count(nodes.kor, tables.incidents) == 0


def test_a_step_before_the_report_is_refused_and_tried_again_later(nodes):
    """A conclusion arriving first is refused with 409 (the sender retries later)."""
    case = lost(nodes, nodes.jpn_copy)
    incidents.investigate(nodes.jpn, case.id, "2026-12-01", passphrase=PASSPHRASE)
    [report_, investigation] = queued(nodes.jpn, case.id)
    with pytest.raises(Conflict, match="never reported"):
        incidents.accept_incident(nodes.kor, "JPN", investigation[0], investigation[2], PASSPHRASE)
    assert count(nodes.kor, tables.incidents) == 0
    incidents.accept_incident(nodes.kor, "JPN", report_[0], report_[2], PASSPHRASE)
    incidents.accept_incident(nodes.kor, "JPN", investigation[0], investigation[2], PASSPHRASE)
    assert incidents.incident(nodes.kor, case.id).state == "investigating"


def test_a_retried_notice_gets_the_same_acknowledgement(nodes):
    case = lost(nodes, nodes.jpn_copy)
    [(message_id, _, body)] = queued(nodes.jpn, case.id)
    first = incidents.accept_incident(nodes.kor, "JPN", message_id, body, PASSPHRASE)
    again = incidents.accept_incident(nodes.kor, "JPN", message_id, body, PASSPHRASE)
    assert first == again and count(nodes.kor, tables.incident_notices) == 1


def test_the_periods_are_read_from_the_environment_and_the_config_file(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('incident_conclude_within = "P60D"\n', encoding="utf-8")
    settings = Settings.load({"config": str(config)}, {"GSOMIA_INCIDENT_NOTIFY_WITHIN": "PT2H"})
    assert settings.incident_deadlines == Deadlines(
        notify=timedelta(hours=2), conclude=timedelta(days=60)
    )
    with pytest.raises(InvalidRequest, match="ISO 8601 duration"):
        Settings.load({"config": str(config)}, {"GSOMIA_INCIDENT_NOTIFY_WITHIN": "24 hours"})


def test_an_acknowledgement_from_another_party_than_the_originator_is_refused(nodes):
    """The answer is the originator's to give: the USA's acknowledgement of a notice to KOR
    is refused, and the notice stays unacknowledged."""
    case = lost(nodes, nodes.jpn_copy)
    [(message_id, _, _)] = queued(nodes.jpn, case.id)
    with nodes.usa.read() as tx:
        forged_ack = sign_object(
            keyring(tx, PASSPHRASE),
            objects.ObjectKind.ACK,
            objects.Ack(
                iss="USA",
                iat=1,
                of=message_id,
                kind=objects.ObjectKind.INCIDENT,
                by="USA",
                at=datetime.now(UTC),
                ledger_index=0,
            ),
        )
    with pytest.raises(ObjectRejected), nodes.jpn.write() as tx:
        incidents.record_ack(tx, message_id, "KOR", forged_ack, keyring(tx, PASSPHRASE))
    assert incidents.incident(nodes.jpn, case.id).notices[0].acked_at is None
