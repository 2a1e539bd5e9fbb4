"""The node's keys: generated, stored encrypted, rotated, destroyed, exchanged with partners."""

import json

import pytest
from sqlalchemy import select

from gsomia.crypto.keys import Purpose, Status
from gsomia.errors import Conflict, InvalidRequest, KeyStoreError
from gsomia.node import keys, setup
from gsomia.node.registry import Registry
from gsomia.store import tables

PASSPHRASE = b"a long test passphrase"


def node(db_url, party, tmp_path=None):
    registry = Registry.open(db_url)
    setup.init(registry, party)
    return registry


def test_init_makes_one_active_key_per_purpose(registry):
    made = keys.init_keys(registry, PASSPHRASE)
    assert sorted(r.purpose for r in made) == sorted(Purpose)
    assert {r.algorithm for r in made} == {"Ed25519", "RSA-2048", "EC-P256"}
    assert all(r.kid.startswith(f"kor-{r.purpose.value}-") for r in made)
    with pytest.raises(Conflict, match="rotate"):
        keys.init_keys(registry, PASSPHRASE)


def test_private_keys_are_never_stored_in_clear(registry):
    keys.init_keys(registry, PASSPHRASE)
    with registry.transaction() as connection:
        stored = connection.execute(select(tables.party_keys.c.private_pem)).scalars().all()
    assert stored
    for text in stored:
        document = json.loads(text)
        assert document["format"] == "gsomia-private-key/1"
        assert document["cipher"] == "AES-256-GCM"
        assert "PRIVATE KEY" not in text


def test_a_wrong_passphrase_is_refused_without_revealing_the_key(registry):
    keys.init_keys(registry, PASSPHRASE)
    with pytest.raises(KeyStoreError) as error:
        keys.keyring(registry, b"wrong").signing()
    assert "wrong passphrase" in error.value.message
    assert "PRIVATE KEY" not in error.value.message


def test_rotation_retires_old_keys_which_open_but_never_sign(registry):
    first = {r.purpose: r.kid for r in keys.init_keys(registry, PASSPHRASE)}
    new, retired = keys.rotate(registry, PASSPHRASE)
    assert sorted(retired) == sorted(first.values())
    ring = keys.keyring(registry, PASSPHRASE)
    assert ring.signing()[0] == next(r.kid for r in new if r.purpose is Purpose.SIGN)
    old_wrap = first[Purpose.WRAPPED]
    old, active = ring.record(old_wrap), ring.active("KOR", Purpose.WRAPPED)
    assert old is not None and active is not None
    assert old.status is Status.RETIRED
    assert ring.private(old_wrap) is not None
    assert active.kid != old_wrap


def test_rotation_with_another_passphrase_is_refused(registry):
    keys.init_keys(registry, PASSPHRASE)
    with pytest.raises(KeyStoreError, match="wrong passphrase"):
        keys.rotate(registry, b"another")


def test_only_retired_keys_can_be_destroyed(registry):
    made = keys.init_keys(registry, PASSPHRASE)
    with pytest.raises(InvalidRequest, match="only a retired key"):
        keys.destroy(registry, made[0].kid)
    keys.rotate(registry, PASSPHRASE)
    destroyed = keys.destroy(registry, made[0].kid)
    assert destroyed.status is Status.DESTROYED and destroyed.private_pem is None


def test_key_sets_import_on_trust_then_only_when_signed_by_a_known_key(db_url, tmp_path):
    korea, japan = node(db_url, "KOR"), Registry.open(f"sqlite:///{tmp_path / 'jpn.db'}")
    setup.init(japan, "JPN")
    keys.init_keys(korea, PASSPHRASE)
    exported = json.dumps(keys.export_public(korea, PASSPHRASE))
    with pytest.raises(KeyStoreError, match="--trust"):
        keys.import_public(japan, exported)
    imported = keys.import_public(japan, exported, trust=True)
    assert (imported.party, len(imported.added)) == ("KOR", 3)
    keys.rotate(korea, PASSPHRASE)
    rotated = keys.import_public(japan, json.dumps(keys.export_public(korea, PASSPHRASE)))
    assert len(rotated.added) == 3
    ring = keys.keyring(japan, None)
    assert {r.status for r in ring.records() if r.party == "KOR"} == {Status.ACTIVE, Status.RETIRED}
    korea.close()
    japan.close()


def test_an_altered_key_set_is_refused(registry, tmp_path):
    japan = Registry.open(f"sqlite:///{tmp_path / 'jpn.db'}")
    setup.init(japan, "JPN")
    keys.init_keys(japan, PASSPHRASE)
    document = keys.export_public(japan, PASSPHRASE)
    document["keys"][1]["status"] = "retired"
    with pytest.raises(KeyStoreError, match="altered"):
        keys.import_public(registry, json.dumps(document), trust=True)
    assert keys.keyring(registry, None).records() == []
    japan.close()


def test_a_key_set_signed_by_an_unknown_key_is_refused_once_the_party_is_known(registry, tmp_path):
    first, second = (Registry.open(f"sqlite:///{tmp_path / f'jpn{n}.db'}") for n in (1, 2))
    for japan in (first, second):
        setup.init(japan, "JPN")
        keys.init_keys(japan, PASSPHRASE)
    keys.import_public(registry, json.dumps(keys.export_public(first, PASSPHRASE)), trust=True)
    with pytest.raises(KeyStoreError, match="signed by a key not known for JPN"):
        keys.import_public(registry, json.dumps(keys.export_public(second, PASSPHRASE)))
    first.close()
    second.close()


def test_a_node_does_not_import_its_own_party(registry):
    keys.init_keys(registry, PASSPHRASE)
    with pytest.raises(InvalidRequest, match="own party"):
        keys.import_public(
            registry, json.dumps(keys.export_public(registry, PASSPHRASE)), trust=True
        )
