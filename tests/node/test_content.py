"""Item content is stored only sealed; a release re-seals it for the recipient, re-marked; the
content store settles what an interrupted write left; an edited key row is refused."""

import io
import json
import os
from pathlib import Path

import pytest

from gsomia.crypto.sealing import open_sealed
from gsomia.demo import forgery
from gsomia.errors import KeyStoreError, NotARecipient, PayloadAltered
from gsomia.ledger.errors import RowNotAttested
from gsomia.node import queries
from gsomia.node.commands import items, keys, persons
from gsomia.node.content import PENDING
from tests.conftest import kst, make_node

PASSPHRASE = b"a long test passphrase"


@pytest.fixture
def nodes(db_url, tmp_path):
    """Korea's node on the backend under test, Japan's on SQLite, keys exchanged."""
    korea = make_node(db_url, "KOR", content_dir=tmp_path / "kor-content")
    japan = make_node(f"sqlite:///{tmp_path / 'jpn.db'}", "JPN", "Asia/Tokyo")
    for node in (korea, japan):
        keys.init_keys(node, PASSPHRASE)
    keys.import_public(japan, json.dumps(keys.export_public(korea, PASSPHRASE)), trust=True)
    keys.import_public(korea, json.dumps(keys.export_public(japan, PASSPHRASE)), trust=True)
    yield korea, japan
    korea.close()
    japan.close()


@pytest.fixture
def document(tmp_path):
    path = tmp_path / "hwasong-12.bin"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 5))
    return path


def ring(node):
    with node.read() as tx:
        return keys.keyring(tx, PASSPHRASE)


def schemes(node):
    with node.read() as tx:
        return tx.book.schemes


def register(korea, document):
    return items.register_item(
        korea,
        title="Hwasong-12 data",
        marking="II",
        topic="nk-missile",
        at=kst("2017-05-15"),
        file=document,
        passphrase=PASSPHRASE,
    )


def opened(path: Path, node):
    out = io.BytesIO()
    with path.open("rb") as source:
        result = open_sealed(source, out, ring(node))
    return result, out.getvalue()


def test_registered_content_is_kept_only_sealed_and_owner_readable(nodes, document):
    korea, _ = nodes
    item = register(korea, document)
    assert item.sealed is not None
    stored = korea.content.path_of(item.sealed.sha256)
    data = stored.read_bytes()
    assert data[:2] == b"PK"
    assert document.read_bytes()[:4096] not in data
    assert stored.stat().st_mode & 0o077 == 0
    assert korea.content.directory.stat().st_mode & 0o077 == 0
    result, plaintext = opened(stored, korea)
    assert plaintext == document.read_bytes()
    assert result.label.to_label(schemes(korea)).level.marking == "군사Ⅱ급비밀"


def test_a_release_reseals_for_the_recipient_remarked_per_the_agreement(nodes, document):
    korea, japan = nodes
    item = register(korea, document)
    outcome = items.release_item(korea, item.reference, "JPN", kst("2017-05-15"), PASSPHRASE)
    assert outcome.allowed and outcome.sealed_copy is not None
    [release] = queries.releases(korea)
    assert release.sealed is not None
    copy = korea.content.path_of(release.sealed.sha256)
    assert Path(outcome.sealed_copy) == copy
    result, plaintext = opened(copy, japan)
    assert plaintext == document.read_bytes()
    label = result.label.to_label(schemes(japan))
    assert label.holder_level is not None
    assert (label.originator, label.holder, label.holder_level.marking) == ("KOR", "JPN", "極秘")
    with pytest.raises(NotARecipient):  # sealed for Japan alone
        opened(copy, korea)


def test_the_receiver_verifies_registers_and_opens_for_a_cleared_reader(nodes, document, tmp_path):
    korea, japan = nodes
    item = register(korea, document)
    released = items.release_item(korea, item.reference, "JPN", kst("2017-05-15"), PASSPHRASE)
    assert released.sealed_copy is not None
    received = items.receive_sealed(
        japan,
        Path(released.sealed_copy),
        at=kst("2017-05-16"),
        passphrase=PASSPHRASE,
        title="Hwasong-12 data",
    )
    assert received.allowed and received.item is not None
    copy = received.item
    assert (copy.originator, copy.marking, copy.holder_marking) == ("KOR", "군사Ⅱ급비밀", "極秘")
    analyst = persons.add_person(
        japan, name="Sato", party=None, clearance="極秘", need_to_know=["nk-missile"]
    )
    outcome = items.open_item(
        japan, copy.reference, analyst.id, kst("2017-06-01"), tmp_path / "read.bin", PASSPHRASE
    )
    assert outcome.allowed
    assert (tmp_path / "read.bin").read_bytes() == document.read_bytes()
    assert (tmp_path / "read.bin").stat().st_mode & 0o077 == 0
    uncleared = persons.add_person(
        japan, name="Takeda", party=None, clearance="秘", need_to_know=["nk-missile"]
    )
    denied = items.open_item(
        japan, copy.reference, uncleared.id, kst("2017-06-01"), tmp_path / "no.bin", PASSPHRASE
    )
    assert not denied.allowed
    assert not (tmp_path / "no.bin").exists()


def test_content_cannot_be_released_to_a_party_whose_keys_are_unknown(nodes, document):
    korea, _ = nodes
    item = register(korea, document)
    with pytest.raises(KeyStoreError, match="no active wrapped key is known for USA"):
        items.release_item(korea, item.reference, "USA", kst("2017-05-15"), PASSPHRASE)
    assert queries.decisions(korea) == []


def test_a_partner_key_swapped_in_the_database_is_refused_before_sealing(nodes, document):
    """The attack: replace JPN's public wrapping key with one's own, so that seals go to it."""
    korea, _ = nodes
    item = register(korea, document)
    intruder = make_node(f"sqlite:///{korea.content.directory.parent / 'x.db'}", "JPN")
    keys.init_keys(intruder, PASSPHRASE)
    stolen = next(k for k in ring(intruder).records() if k.purpose.value == "wrapped")
    pinned = ring(korea).active("JPN", stolen.purpose)
    assert pinned is not None
    url = korea.url.render_as_string(hide_password=False)
    forgery.edit_row(url, "party_keys", pinned.kid, public_pem=stolen.public_pem)
    with pytest.raises(RowNotAttested, match="party_keys row"):
        items.release_item(korea, item.reference, "JPN", kst("2017-05-15"), PASSPHRASE)
    assert not queries.releases(korea)
    intruder.close()


def test_stored_content_swapped_for_another_sealed_file_is_refused(nodes, document, tmp_path):
    korea, _ = nodes
    first = register(korea, document)
    other = tmp_path / "other.bin"
    other.write_bytes(b"another report")
    second = register(korea, other)
    assert first.sealed is not None and second.sealed is not None
    reader = persons.add_person(
        korea, name="Kim", party=None, clearance="II", need_to_know=["nk-missile"]
    )
    korea.content.path_of(first.sealed.sha256).write_bytes(
        korea.content.path_of(second.sealed.sha256).read_bytes()
    )
    with pytest.raises(PayloadAltered, match="not the sealed file the registry recorded"):
        items.open_item(
            korea, first.reference, reader.id, kst("2017-06-01"), tmp_path / "o", PASSPHRASE
        )
    assert not (tmp_path / "o").exists()


def test_the_store_settles_what_an_interrupted_write_left(nodes, document):
    korea, _ = nodes
    item = register(korea, document)
    assert item.sealed is not None
    store = korea.content
    kept = store.directory / f"{item.sealed.sha256}.tdf"
    pending = store.directory / PENDING / kept.name
    kept.rename(pending)  # committed, but killed before it was moved into place
    orphan = store.directory / PENDING / ("0" * 64 + ".tdf")
    orphan.write_bytes(b"sealed, never recorded")
    swept = store.sweep(lambda digests: {d for d in digests if d == item.sealed.sha256})
    assert swept == ["0" * 64]
    assert kept.exists() and not pending.exists() and not orphan.exists()
