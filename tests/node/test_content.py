"""Item content is stored only sealed; a release re-seals it for the recipient, re-marked."""

import json
import os
import stat

import pytest

from gsomia.errors import KeyStoreError, NotARecipient
from gsomia.node import content, items, keys, setup
from gsomia.node.registry import Registry
from gsomia.store import decisions
from gsomia.store import registry as records
from tests.conftest import kst
from tests.crypto.test_sealing import open_path

PASSPHRASE = b"a long test passphrase"


@pytest.fixture
def nodes(db_url, tmp_path):
    """Korea's node on the backend under test, Japan's on SQLite, keys exchanged."""
    korea = Registry.open(db_url)
    japan = Registry.open(f"sqlite:///{tmp_path / 'jpn.db'}")
    for registry, party in ((korea, "KOR"), (japan, "JPN")):
        setup.init(registry, party)
        keys.init_keys(registry, PASSPHRASE)
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


def ring(registry):
    return keys.keyring(registry, PASSPHRASE)


def register(korea, document):
    return items.register_item(
        korea,
        title="Hwasong-12 data",
        marking="II",
        topic="nk-missile",
        at=kst("2017-05-15"),
        file=document,
        ring=ring(korea),
    )


def test_registered_content_is_kept_only_sealed(nodes, document, monkeypatch, tmp_path):
    monkeypatch.setenv("GSOMIA_CONTENT_DIR", str(tmp_path / "store"))
    korea, _ = nodes
    item = register(korea, document)
    assert item.sealed_sha256 is not None
    stored = content.path_of(korea, item.sealed_sha256)
    assert stored.read_bytes()[:2] == b"PK"
    assert document.read_bytes()[:4096] not in stored.read_bytes()
    with stored.open("rb") as stream:
        assert content.digest(stream) == (item.sealed_sha256, item.sealed_size)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert [p.name for p in stored.parent.iterdir()] == [stored.name]  # no staging leftovers
    opened = open_path(stored, ring(korea), tmp_path / "back")
    assert (tmp_path / "back").read_bytes() == document.read_bytes()
    assert opened.label.to_label(korea.book().schemes).level.marking == "군사Ⅱ급비밀"


def test_a_release_reseals_for_the_recipient_remarked_per_the_agreement(nodes, document, tmp_path):
    korea, japan = nodes
    item = register(korea, document)
    outcome = items.release_item(korea, item.reference, "JPN", kst("2017-05-15"), ring(korea))
    assert outcome.decision.allowed
    with korea.transaction() as connection:
        release = records.releases(connection)[0]
    assert release.sealed_sha256 is not None
    copy = content.path_of(korea, release.sealed_sha256)
    opened = open_path(copy, ring(japan), tmp_path / "jpn.bin")
    assert (tmp_path / "jpn.bin").read_bytes() == document.read_bytes()
    label = opened.label.to_label(japan.book().schemes)
    assert label.holder_level is not None
    assert (label.originator, label.holder, label.holder_level.marking) == ("KOR", "JPN", "極秘")
    with pytest.raises(NotARecipient):  # sealed for Japan alone
        open_path(copy, ring(korea), tmp_path / "kor.bin")


def test_the_receiver_verifies_registers_and_opens_for_a_cleared_reader(nodes, document, tmp_path):
    korea, japan = nodes
    item = register(korea, document)
    items.release_item(korea, item.reference, "JPN", kst("2017-05-15"), ring(korea))
    with korea.transaction() as connection:
        release = records.releases(connection)[0]
    assert release.sealed_sha256 is not None
    received = items.receive_sealed(
        japan,
        ring(japan),
        content.path_of(korea, release.sealed_sha256),
        at=kst("2017-05-16"),
        title="Hwasong-12 data",
    )
    assert received.decision.allowed
    assert received.item_id is not None
    with japan.transaction() as connection:
        copy = records.item(connection, received.item_id)
    assert (copy.originator, copy.marking, copy.holder_marking) == ("KOR", "군사Ⅱ급비밀", "極秘")
    analyst = items.add_person(
        japan, name="Sato", party=None, clearance="極秘", need_to_know=["nk-missile"]
    )
    outcome = items.open_item(
        japan, ring(japan), copy.reference, analyst.id, kst("2017-06-01"), tmp_path / "read.bin"
    )
    assert outcome.decision.allowed
    assert (tmp_path / "read.bin").read_bytes() == document.read_bytes()
    uncleared = items.add_person(
        japan, name="Takeda", party=None, clearance="秘", need_to_know=["nk-missile"]
    )
    denied = items.open_item(
        japan, ring(japan), copy.reference, uncleared.id, kst("2017-06-01"), tmp_path / "no.bin"
    )
    assert not denied.decision.allowed
    assert not (tmp_path / "no.bin").exists()


def test_content_cannot_be_released_to_a_party_whose_keys_are_unknown(nodes, document):
    korea, _ = nodes
    item = register(korea, document)
    with pytest.raises(KeyStoreError, match="import USA's public keys"):
        items.release_item(korea, item.reference, "USA", kst("2017-05-15"), ring(korea))
    with korea.transaction() as connection:
        assert decisions.decisions(connection) == []
