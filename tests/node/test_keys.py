"""The node's keys: generated, stored encrypted, rotated, destroyed, exchanged with partners —
and a partner's key set pinned, so that no impostor's keys slip in beside the real ones."""

import json

import pytest
from sqlalchemy import select

from gsomia.crypto.keys import Purpose, Status
from gsomia.errors import Conflict, InvalidRequest, KeySetRejected, KeyStoreError
from gsomia.node import queries
from gsomia.node.commands import keys
from gsomia.node.commands.keys import Replacement
from gsomia.store import tables
from tests.conftest import make_node

PASSPHRASE = b"a long test passphrase"


def ring(node, passphrase=PASSPHRASE):
    with node.read() as tx:
        return keys.keyring(tx, passphrase)


@pytest.fixture
def japan_nodes(tmp_path):
    """Two unrelated JPN registries: the real one and an impostor, each with its keys."""
    made = []
    for name in ("jpn", "impostor"):
        japan = make_node(f"sqlite:///{tmp_path / name}.db", "JPN", "Asia/Tokyo")
        keys.init_keys(japan, PASSPHRASE)
        made.append(japan)
    yield made
    for japan in made:
        japan.close()


def exported(node):
    return json.dumps(keys.export_public(node, PASSPHRASE))


def test_init_makes_one_active_key_per_purpose(node):
    made = keys.init_keys(node, PASSPHRASE)
    assert sorted(r.purpose for r in made) == sorted(p.value for p in Purpose)
    assert {r.algorithm for r in made} == {"Ed25519", "RSA-2048", "EC-P256"}
    assert all(r.kid.startswith(f"kor-{r.purpose}-") for r in made)
    with pytest.raises(Conflict, match="rotate"):
        keys.init_keys(node, PASSPHRASE)


def test_a_short_passphrase_never_protects_keys(node):
    with pytest.raises(KeyStoreError, match="at least 12 characters"):
        keys.init_keys(node, b"short")
    assert queries.keys(node) == []


def test_private_keys_are_never_stored_in_clear(node):
    keys.init_keys(node, PASSPHRASE)
    with node.read() as tx:
        stored = tx.connection.execute(select(tables.party_keys.c.private_pem)).scalars().all()
    assert stored
    assert all("PRIVATE KEY" not in pem and "scrypt" in pem for pem in stored)


def test_a_wrong_passphrase_is_refused_without_revealing_the_key(node):
    keys.init_keys(node, PASSPHRASE)
    with pytest.raises(KeyStoreError) as error:
        ring(node, b"wrong passphrase").signing()
    assert "wrong passphrase" in error.value.message
    assert "PRIVATE KEY" not in error.value.message


def test_rotation_retires_old_keys_which_open_but_never_sign(node):
    first = {r.purpose: r.kid for r in keys.init_keys(node, PASSPHRASE)}
    rotated = keys.rotate(node, PASSPHRASE)
    assert sorted(rotated.retired) == sorted(first.values())
    current = ring(node)
    assert current.signing()[0] == next(r.kid for r in rotated.new if r.purpose == "sign")
    old_wrap = first["wrapped"]
    old, active = current.record(old_wrap), current.active("KOR", Purpose.WRAPPED)
    assert old is not None and active is not None
    assert old.status is Status.RETIRED
    assert current.private(old_wrap) is not None
    assert active.kid != old_wrap


def test_rotation_with_another_passphrase_is_refused(node):
    keys.init_keys(node, PASSPHRASE)
    with pytest.raises(KeyStoreError, match="wrong passphrase"):
        keys.rotate(node, b"another long passphrase")


def test_only_retired_keys_can_be_destroyed(node):
    made = keys.init_keys(node, PASSPHRASE)
    with pytest.raises(InvalidRequest, match="only a retired key"):
        keys.destroy(node, made[0].kid)
    keys.rotate(node, PASSPHRASE)
    assert keys.destroy(node, made[0].kid).status == "destroyed"
    assert ring(node).record(made[0].kid).private_pem is None


def test_a_first_key_set_is_pinned_only_on_trust_and_a_rotation_follows(node, japan_nodes):
    japan, _ = japan_nodes
    with pytest.raises(KeySetRejected, match="no keys are pinned for JPN"):
        keys.import_public(node, exported(japan))
    imported = keys.import_public(node, exported(japan), trust=True)
    assert (imported.party, len(imported.added)) == ("JPN", len(Purpose))
    keys.rotate(japan, PASSPHRASE)
    rotated = keys.import_public(node, exported(japan))
    assert len(rotated.added) == len(Purpose)
    statuses = {k.status for k in queries.keys(node) if k.party == "JPN"}
    assert statuses == {"active", "retired"}


def test_an_impostors_key_set_is_refused_even_with_trust(node, japan_nodes):
    """The attack: import another set for a party already pinned, hoping --trust adds it."""
    japan, impostor = japan_nodes
    keys.import_public(node, exported(japan), trust=True)
    pinned = {k.kid for k in queries.keys(node)}
    for trust in (False, True):
        with pytest.raises(KeySetRejected, match="not signed by any key pinned for JPN"):
            keys.import_public(node, exported(impostor), trust=trust)
    assert {k.kid for k in queries.keys(node)} == pinned


def test_an_explicit_replacement_names_both_fingerprints(node, japan_nodes):
    japan, replacement = japan_nodes
    keys.import_public(node, exported(japan), trust=True)
    old = next(k.fingerprint for k in queries.keys(node) if k.purpose == "sign")
    new_document = keys.export_public(replacement, PASSPHRASE)
    new = next(k["fingerprint"] for k in new_document["keys"] if k["purpose"] == "sign")
    with pytest.raises(KeySetRejected, match="not the fingerprint of JPN's pinned signing key"):
        keys.import_public(node, json.dumps(new_document), replace=Replacement(new, new))
    with pytest.raises(KeySetRejected, match="not the fingerprint of the offered set"):
        keys.import_public(node, json.dumps(new_document), replace=Replacement(old, old))
    replaced = keys.import_public(node, json.dumps(new_document), replace=Replacement(old, new))
    assert len(replaced.added) == len(replaced.retired) == len(Purpose)
    with node.read() as tx:
        active = keys.keyring(tx, None).active("JPN", Purpose.SIGN)
    assert active is not None and active.kid in replaced.added


def test_an_altered_key_set_is_refused(node, japan_nodes):
    japan, _ = japan_nodes
    document = keys.export_public(japan, PASSPHRASE)
    document["keys"][1]["status"] = "retired"
    with pytest.raises(KeySetRejected, match="altered"):
        keys.import_public(node, json.dumps(document), trust=True)
    assert queries.keys(node) == []


def test_a_node_does_not_import_its_own_party(node):
    keys.init_keys(node, PASSPHRASE)
    with pytest.raises(InvalidRequest, match="own party"):
        keys.import_public(node, exported(node), trust=True)
