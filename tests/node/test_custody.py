"""After the hand-over on a node: re-marking and its notices in order, holders and overdue
acknowledgements, destruction and return with certificates, derived items, and the attacks
on them (a forged notice, a certificate deleted in the database)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from gsomia.core.custody import Derivation, Disposal
from gsomia.core.errors import Denied
from gsomia.core.policy import Code
from gsomia.errors import InvalidRequest, NotFound, UnknownMarking
from gsomia.ledger.errors import RowNotAttested
from gsomia.node import notices, queries
from gsomia.node.commands import custody, items, keys, peers, persons
from gsomia.node.commands.ledger import verify
from gsomia.store import tables
from tests.conftest import kst, make_node

PASSPHRASE = b"custody test passphrase"


@pytest.fixture
def kor(db_url, tmp_path):
    made = make_node(db_url, "KOR", "Asia/Seoul", content_dir=tmp_path / "kor-content")
    keys.init_keys(made, PASSPHRASE)
    yield made
    made.close()


@pytest.fixture
def jpn(tmp_path):
    made = make_node(
        f"sqlite:///{tmp_path / 'jpn.db'}", "JPN", "Asia/Tokyo", content_dir=tmp_path / "jc"
    )
    keys.init_keys(made, PASSPHRASE)
    yield made
    made.close()


@pytest.fixture
def pinned(kor, jpn):
    """Each node a peer of the other, its keys pinned (no server runs: what one node queues,
    the test hands to the other)."""
    for one, party, other in ((kor, "KOR", jpn), (jpn, "JPN", kor)):
        key_set = json.dumps(keys.export_public(one, PASSPHRASE))
        peers.add_peer(other, party, "http://127.0.0.1:9", key_set, trust=True)
    return kor, jpn


def register(node, marking="군사Ⅱ급비밀", at="2018-01-10", **kw):
    return items.register_item(
        node, title="KN-23 profile", marking=marking, topic="nk-missile", at=kst(at), **kw
    )


def person(node, clearance, party=None, name="Kim Min-ji"):
    return persons.add_person(
        node, name=name, party=party, clearance=clearance, need_to_know=["nk-missile"]
    ).id


def receive(jpn, reference, at="2018-01-12"):
    action = items.receive_item(
        jpn,
        title="KN-23 profile",
        originator="KOR",
        marking="군사Ⅱ급비밀",
        topic="nk-missile",
        at=kst(at),
        originator_reference=reference,
    )
    assert action.allowed and action.item is not None
    return action.item.reference


def issued(kor, reference) -> list[str]:
    """The signed notices KOR's node gave about its item, in order."""
    with kor.read() as tx:
        table = tables.item_notices
        return list(
            tx.connection.execute(
                select(table.c.token).where(table.c.item == reference).order_by(table.c.sequence)
            ).scalars()
        )


def deliver(jpn, token, sender="KOR"):
    body = json.dumps({"notice": token}).encode()
    return notices.accept(jpn, sender, str(uuid.uuid4()), body, PASSPHRASE)


def test_the_originator_remarks_its_item_and_the_items_derived_from_it(kor):
    """Art 6(g) and the reproduction articles: a copy inherits every later re-marking."""
    item = register(kor)
    maker = person(kor, "군사Ⅱ급비밀")
    copy = custody.derive(kor, item.reference, Derivation.EXTRACT, maker, kst("2018-01-11"))
    assert copy.allowed and copy.item is not None and copy.item.reference != item.reference
    changed = custody.remark(kor, item.reference, "III", kst("2018-02-01"), "MND 2018-3", None)
    assert changed.item.marking == "군사Ⅲ급비밀" and changed.item.english == "CONFIDENTIAL"
    assert changed.copies == [copy.item.reference]
    assert changed.notice is not None and changed.notice.holders == []
    derived = queries.item(kor, copy.item.reference)
    assert derived.marking == "군사Ⅲ급비밀"
    assert derived.derived_from is not None and derived.derived_from.kind == "extract"
    assert [(c.kind, c.reference) for c in derived.changes] == [("remark", "MND 2018-3")]
    assert verify(kor).ok


def test_no_one_but_the_originator_remarks_declassifies_or_recalls(kor, jpn):
    """Art 6(g): a holder's change of the originator's classification is refused."""
    copy = receive(jpn, register(kor).reference)
    with pytest.raises(Denied, match="only its originator, KOR"):
        custody.remark(jpn, copy, "秘", None, "ours", None)
    with pytest.raises(Denied):
        custody.declassify(jpn, copy, None, "ours", None)
    with pytest.raises(Denied):
        custody.recall(jpn, copy, Disposal.DESTROYED, None, "ours", None)
    assert queries.item(jpn, copy).changes == []


@pytest.mark.parametrize(
    ("marking", "reference", "error"),
    [
        ("군사Ⅱ급비밀", "R-1", InvalidRequest),  # already so marked
        ("TOP-TOP", "R-1", UnknownMarking),
        ("III", "  ", InvalidRequest),
    ],
)
def test_bad_remarks_change_nothing(kor, marking, reference, error):
    item = register(kor)
    with pytest.raises(error):
        custody.remark(kor, item.reference, marking, None, reference, None)
    assert queries.item(kor, item.reference).changes == []
    assert queries.item(kor, item.reference).marking == "군사Ⅱ급비밀"


def test_notices_apply_in_their_order_and_an_older_one_is_kept_not_applied(pinned):
    """Per-item sequence numbers (/v1/notices): a re-marking to Ⅲ overtaken by one back to Ⅱ
    leaves the copy at Ⅱ whatever order they arrive in."""
    kor, jpn = pinned
    item = register(kor)
    items.release_item(kor, item.reference, "JPN", kst("2018-01-12"))
    copy = receive(jpn, item.reference)
    custody.remark(kor, item.reference, "III", kst("2018-02-01"), "first", PASSPHRASE)
    custody.remark(kor, item.reference, "II", kst("2018-03-01"), "second", PASSPHRASE)
    first, second = issued(kor, item.reference)
    deliver(jpn, second)
    answered = deliver(jpn, first)
    assert answered.status == 201 and "ack" in answered.body
    held = queries.item(jpn, copy)
    assert (held.marking, held.holder_marking) == ("군사Ⅱ급비밀", "極秘")
    assert [c.reference for c in held.changes] == ["second"]
    with jpn.read() as tx:
        table = tables.item_notices
        applied = dict(tx.connection.execute(select(table.c.sequence, table.c.applied)).all())
    assert applied == {1: False, 2: True}
    assert verify(jpn).ok


def test_a_remarking_no_agreement_covers_asks_the_holder_to_return_or_destroy(pinned):
    """Art 6(g), 6(h): KOR re-marks to Grade Ⅰ, outside the Korea–Japan table: JPN's copy
    keeps no Japanese marking, is asked back, and no one in Japan may read it."""
    kor, jpn = pinned
    item = register(kor)
    items.release_item(kor, item.reference, "JPN", kst("2018-01-12"))
    copy = receive(jpn, item.reference)
    reader = person(jpn, "極秘", name="Sato Hanako")
    assert items.access_item(jpn, copy, reader, kst("2018-01-20")).allowed
    custody.remark(kor, item.reference, "I", kst("2018-02-01"), "upgrade", PASSPHRASE)
    [token] = issued(kor, item.reference)
    deliver(jpn, token)
    held = queries.item(jpn, copy)
    assert (held.marking, held.holder_marking) == ("군사Ⅰ급비밀", None)
    assert [(c.kind, c.method) for c in held.changes] == [
        ("remark", None),
        ("disposal-requested", "return or destroy"),
    ]
    assert not items.access_item(jpn, copy, reader, kst("2018-02-02")).allowed
    holders = custody.holders(kor, item.reference)
    [japan] = holders.holders
    assert (japan.party, japan.marking, japan.acknowledged) == ("JPN", None, False)


def test_a_notice_only_from_the_originator_or_the_party_that_gave_the_copy(pinned):
    """Art 6(g): JPN got its copy from KOR; the same KOR-signed notice passed on by the USA is
    refused, and a notice about an item JPN does not hold is bad input."""
    kor, jpn = pinned
    item = register(kor)
    items.release_item(kor, item.reference, "JPN", kst("2018-01-12"))
    receive(jpn, item.reference)
    custody.remark(kor, item.reference, "III", kst("2018-02-01"), "R", PASSPHRASE)
    [token] = issued(kor, item.reference)
    with pytest.raises(Denied, match="got its copy from KOR"):
        deliver(jpn, token, sender="USA")
    other = register(kor, at="2018-01-11")
    items.release_item(kor, other.reference, "JPN", kst("2018-01-12"))
    custody.remark(kor, other.reference, "III", kst("2018-02-01"), "R", PASSPHRASE)
    [unheld] = issued(kor, other.reference)
    with pytest.raises(InvalidRequest, match="holds no copy"):
        deliver(jpn, unheld)
    assert all(not queries.item(jpn, i.reference).changes for i in queries.items(jpn))


def test_an_unacknowledged_notice_is_flagged_after_its_working_days(kor):
    """Practice for 'without delay' (Art 6(g)): sent on Mon 21 Sep 2026, before Chuseok, to a
    holder with no node; not overdue after 10 Korean working days, overdue after 11."""
    item = register(kor, at="2026-09-01")
    items.release_item(kor, item.reference, "JPN", kst("2026-09-02"))
    custody.remark(kor, item.reference, "III", kst("2026-09-21T10:00+09:00"), "R", PASSPHRASE)
    on_time = custody.holders(kor, item.reference, kst("2026-10-07"))
    [japan] = on_time.holders
    assert (japan.party, japan.notice_kind, japan.acknowledged, japan.overdue) == (
        "JPN",
        "remark",
        False,
        False,
    )
    assert japan.marking == "秘"
    [late] = custody.holders(kor, item.reference, kst("2026-10-12")).holders
    assert late.overdue
    [lenient] = custody.holders(kor, item.reference, kst("2026-10-12"), ack_within=30).holders
    assert not lenient.overdue


def test_a_destroyed_item_keeps_its_certificate_and_nothing_more_is_done_with_it(
    kor, tmp_path: Path
):
    """Art 6(h), Art 13: who, when, how, witnessed by whom; the content erased and the
    erasure checked; every later access, opening, release or copy refused."""
    document = tmp_path / "plan.txt"
    document.write_bytes(b"illustrative\n" * 50)
    item = register(kor, file=document, passphrase=PASSPHRASE)
    assert item.sealed is not None
    witness = person(kor, "군사Ⅱ급비밀")
    done = custody.destroy(kor, item.reference, "shredding", witness, kst("2018-03-01"), None)
    certificate = done.change
    assert (certificate.kind, certificate.by, certificate.method, certificate.witness) == (
        "destroy",
        "KOR",
        "shredding",
        witness,
    )
    assert certificate.content_erased is True
    assert not (tmp_path / "kor-content" / f"{item.sealed.sha256}.tdf").exists()
    shown = queries.item(kor, item.reference)
    assert (shown.state, shown.title, shown.marking) == (
        "destroyed",
        "KN-23 profile",
        "군사Ⅱ급비밀",
    )
    access = items.access_item(kor, item.reference, witness, kst("2018-03-02"))
    assert [r.code for r in access.reasons] == [Code.ITEM_DESTROYED]
    released = items.release_item(kor, item.reference, "USA", kst("2018-03-02"))
    assert not released.allowed and released.reasons[0].code == Code.ITEM_DESTROYED
    with pytest.raises(InvalidRequest, match="destroyed"):
        custody.derive(kor, item.reference, Derivation.COPY, witness, None)
    with pytest.raises(InvalidRequest, match="destroyed"):
        custody.destroy(kor, item.reference, "again", witness, None, None)
    assert verify(kor).ok


def test_a_crash_before_the_erasure_is_completed_by_the_same_command(
    kor, tmp_path: Path, monkeypatch
):
    """kill -9 between the certificate's commit and the erasure: the certificate says the
    erasure is not checked, and `item destroy` again erases and checks it."""
    document = tmp_path / "plan.txt"
    document.write_bytes(b"illustrative\n" * 50)
    item = register(kor, file=document, passphrase=PASSPHRASE)
    witness = person(kor, "군사Ⅱ급비밀")

    class Killed(BaseException):
        pass

    def killed(self, sha256):
        raise Killed

    monkeypatch.setattr(type(kor.content), "erase", killed)
    with pytest.raises(Killed):
        custody.destroy(kor, item.reference, "shredding", witness, kst("2018-03-01"), None)
    monkeypatch.undo()
    [pending] = queries.item(kor, item.reference).changes
    assert (pending.kind, pending.content_erased) == ("destroy", None)
    finished = custody.destroy(kor, item.reference, "shredding", witness, None, None)
    assert finished.change.id == pending.id and finished.change.content_erased is True
    assert len(queries.item(kor, item.reference).changes) == 1


def test_a_certificate_deleted_in_the_database_does_not_bring_the_item_back(kor):
    """An attacker deletes (or rewrites) the destruction row to use the item again: the
    ledger states it, so relying on the item is refused."""
    item = register(kor)
    witness = person(kor, "군사Ⅱ급비밀")
    done = custody.destroy(kor, item.reference, "shredding", witness, kst("2018-03-01"), None)
    changes = tables.item_changes
    with kor.engine.begin() as connection:
        connection.execute(
            update(changes).where(changes.c.id == done.change.id).values(kind="remark")
        )
    with pytest.raises(RowNotAttested, match="item_changes"):
        items.access_item(kor, item.reference, witness, kst("2018-03-02"))
    with kor.engine.begin() as connection:
        connection.execute(delete(changes).where(changes.c.id == done.change.id))
    with pytest.raises(RowNotAttested, match="item_changes"):
        items.release_item(kor, item.reference, "JPN", kst("2018-03-02"))


def test_return_is_for_a_received_item_and_witnesses_are_the_holders_people(kor, jpn):
    """Art 6(h): an item goes back to its originator; the originator's own has no one to go
    back to."""
    own = register(kor)
    with pytest.raises(InvalidRequest, match="no one to return it to"):
        custody.return_item(kor, own.reference, None, None)
    copy = receive(jpn, own.reference)
    korean = person(jpn, "군사Ⅱ급비밀", party="KOR", name="Park")
    with pytest.raises(InvalidRequest, match="not one of JPN's people"):
        custody.destroy(jpn, copy, "shredding", korean, None, None)
    with pytest.raises(NotFound):
        custody.destroy(jpn, copy, "shredding", 999, None, None)
    with pytest.raises(InvalidRequest, match="method"):
        custody.destroy(jpn, copy, "  ", korean, None, None)
    returned = custody.return_item(jpn, copy, kst("2018-06-01"), None)
    assert returned.change.kind == "return" and returned.reported_to is None  # KOR: no peer
    assert queries.item(jpn, copy).state == "returned"


def test_only_a_cleared_person_makes_a_copy_at_least_as_marked(kor):
    """Reproduction articles: made by a cleared person (Art 7), its own reference, at least the
    original's marking; a refusal is recorded as a decision."""
    item = register(kor)
    uncleared = person(kor, "군사Ⅲ급비밀", name="Lee")
    refused = custody.derive(kor, item.reference, Derivation.TRANSLATION, uncleared, None)
    assert not refused.allowed and refused.reasons[0].code == Code.CLEARANCE_TOO_LOW
    assert len(queries.items(kor)) == 1
    assert [d.kind for d in queries.decisions(kor)] == ["reproduce"]
    cleared = person(kor, "군사Ⅱ급비밀", name="Choi")
    with pytest.raises(InvalidRequest, match="at least"):
        custody.derive(kor, item.reference, Derivation.COPY, cleared, None, marking="III")
    higher = custody.derive(kor, item.reference, Derivation.COPY, cleared, None, marking="I")
    assert higher.item is not None and higher.item.marking == "군사Ⅰ급비밀"
    assert higher.item.topic == item.topic and higher.item.originator == "KOR"


def test_a_recall_reaches_the_holders_derived_copies(pinned):
    """Art 6(h) and the reproduction articles: KOR asks every copy back; JPN's own extract of
    its copy is asked back with it."""
    kor, jpn = pinned
    item = register(kor)
    items.release_item(kor, item.reference, "JPN", kst("2018-01-12"))
    copy = receive(jpn, item.reference)
    maker = person(jpn, "極秘", name="Sato Hanako")
    extract = custody.derive(jpn, copy, Derivation.EXTRACT, maker, kst("2018-01-13"))
    assert extract.item is not None
    custody.recall(kor, item.reference, Disposal.DESTROYED, kst("2018-04-01"), "R", PASSPHRASE)
    [token] = issued(kor, item.reference)
    deliver(jpn, token)
    for reference in (copy, extract.item.reference):
        [change] = queries.item(jpn, reference).changes
        assert (change.kind, change.method) == ("disposal-requested", "destroy")


def test_a_declassification_reaches_the_holder_and_both_registers_show_it(pinned):
    """Art 6(g): the originator declassifies; the holder records it on its copy."""
    kor, jpn = pinned
    item = register(kor)
    items.release_item(kor, item.reference, "JPN", kst("2018-01-12"))
    copy = receive(jpn, item.reference)
    given = custody.declassify(kor, item.reference, kst("2021-01-04"), "30-year review", PASSPHRASE)
    assert given.change.kind == "declassify" and given.notice is not None
    assert queries.item(kor, item.reference).state == "declassified"
    [token] = issued(kor, item.reference)
    deliver(jpn, token)
    held = queries.item(jpn, copy)
    assert held.state == "declassified"
    assert [(c.kind, c.by, c.reference) for c in held.changes] == [
        ("declassify", "KOR", "30-year review")
    ]
    with pytest.raises(InvalidRequest, match="signed gsomia object"):
        notices.accept(jpn, "KOR", "k", b'{"notice": "not-a-jws"}', PASSPHRASE)
    with pytest.raises(InvalidRequest, match="exactly one"):
        notices.accept(jpn, "KOR", "k", b"{}", PASSPHRASE)


def test_a_report_from_a_party_never_given_the_item_is_refused(pinned):
    """Art 6(h): only a holder reports on its copy; JPN was never given this item."""
    kor, jpn = pinned
    item = register(kor)
    copy = receive(jpn, item.reference)  # handed over outside any release KOR recorded
    custody.destroy(jpn, copy, "shredding", person(jpn, "極秘", name="Sato"), None, PASSPHRASE)
    with jpn.read() as tx:
        body = json.loads(
            tx.connection.execute(
                select(tables.outbox.c.body)
                .join(tables.deliveries, tables.deliveries.c.id == tables.outbox.c.delivery_id)
                .where(tables.deliveries.c.kind == "item-report")
            ).scalar_one()
        )
    with pytest.raises(Denied, match="never learned that JPN holds"):
        notices.accept(kor, "JPN", str(uuid.uuid4()), json.dumps(body).encode(), PASSPHRASE)
    items.release_item(kor, item.reference, "JPN", kst("2018-01-12"))
    taken = notices.accept(kor, "JPN", str(uuid.uuid4()), json.dumps(body).encode(), PASSPHRASE)
    assert taken.status == 201
    [japan] = custody.holders(kor, item.reference).holders
    assert (japan.party, japan.disposal) == ("JPN", "destroyed")
