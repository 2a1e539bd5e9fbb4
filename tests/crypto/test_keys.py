"""Private keys at rest: AES-256-GCM under a key scrypt derives from the passphrase, with the
KDF's parameters and salt stored beside the key; one derivation per batch and per command."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from gsomia.crypto import keys
from gsomia.crypto.keys import KeyRecord, KeyRing, Passphrase, Purpose, Status
from gsomia.errors import KeyStoreError
from tests.keyrings import NOW, PASSPHRASE


def batch(passphrase: bytes = PASSPHRASE) -> tuple[list[keys.PrivateKey], list[str]]:
    privates = [keys.generate(purpose) for purpose in Purpose]
    return privates, keys.encrypt_private(privates, passphrase)


def public(key: keys.PrivateKey) -> str:
    return keys.public_pem(key)


def test_the_stored_text_carries_the_scrypt_parameters_and_salt():
    _, texts = batch()
    document = json.loads(texts[0])
    assert document["format"] == "gsomia-private-key/1"
    assert document["cipher"] == "AES-256-GCM"
    kdf = document["kdf"]
    assert (kdf["name"], kdf["n"], kdf["r"], kdf["p"]) == ("scrypt", 2**16, 8, 1)
    assert len(base64.b64decode(kdf["salt"])) == 16
    assert "PRIVATE KEY" not in texts[0]


def test_the_keys_of_one_batch_share_a_salt_and_batches_do_not():
    _, first = batch()
    _, second = batch()
    salts = [json.loads(text)["kdf"]["salt"] for text in first + second]
    size = len(first)
    assert len(set(salts[:size])) == 1
    assert salts[0] != salts[size]
    assert len({json.loads(text)["nonce"] for text in first}) == size


def test_each_key_unlocks_to_itself():
    privates, texts = batch()
    unlocked = [keys.decrypt_private(t, Passphrase(PASSPHRASE), "k") for t in texts]
    assert [public(k) for k in unlocked] == [public(k) for k in privates]


def test_a_ring_derives_once_for_a_whole_batch(monkeypatch):
    privates, texts = batch()
    derivations = []

    def counting(**arguments):
        derivations.append(arguments["salt"])
        return Scrypt(**arguments)

    monkeypatch.setattr(keys, "Scrypt", counting)
    records = [
        KeyRecord(f"kor-{p.value}", "KOR", p, public(k), t, Status.ACTIVE, NOW)
        for p, k, t in zip(Purpose, privates, texts, strict=True)
    ]
    ring = KeyRing("KOR", records, PASSPHRASE)
    for record in records:
        ring.private(record.kid)
    ring.signing()
    assert len(derivations) == 1


def counted_derivations(monkeypatch) -> list[bytes]:
    derivations: list[bytes] = []

    def counting(**arguments):
        derivations.append(arguments["salt"])
        return Scrypt(**arguments)

    monkeypatch.setattr(keys, "Scrypt", counting)
    return derivations


def records_of(privates: list[keys.PrivateKey], texts: list[str]) -> list[KeyRecord]:
    return [
        KeyRecord(f"kor-{p.value}", "KOR", p, public(k), t, Status.ACTIVE, NOW)
        for p, k, t in zip(Purpose, privates, texts, strict=True)
    ]


def test_rings_sharing_a_process_cache_unlock_each_key_once(monkeypatch):
    """A serving node answers every request in a transaction of its own: the keys it unlocked
    for the first stay unlocked for the next (scrypt runs once per process, not per request)."""
    records = records_of(*batch())
    derivations = counted_derivations(monkeypatch)
    unlocked = keys.UnlockedKeys()
    first = KeyRing("KOR", records, PASSPHRASE, unlocked).signing()[1]
    second = KeyRing("KOR", records, PASSPHRASE, unlocked).signing()[1]
    assert second is first
    assert len(derivations) == 1


def test_a_process_cache_still_refuses_a_wrong_passphrase():
    records = records_of(*batch())
    unlocked = keys.UnlockedKeys()
    KeyRing("KOR", records, PASSPHRASE, unlocked).signing()
    with pytest.raises(KeyStoreError, match="wrong passphrase"):
        KeyRing("KOR", records, b"not the passphrase at all", unlocked).signing()


def test_a_process_cache_unlocks_a_changed_stored_key_afresh(monkeypatch):
    """A key whose stored text changed (a re-encryption, an edit of the database) is never
    answered from what was unlocked before."""
    privates, texts = batch()
    records = records_of(privates, texts)
    unlocked = keys.UnlockedKeys()
    KeyRing("KOR", records, PASSPHRASE, unlocked).signing()
    edited = [r if r.purpose is not Purpose.SIGN else records_of(*batch())[0] for r in records]
    derivations = counted_derivations(monkeypatch)
    key = KeyRing("KOR", edited, PASSPHRASE, unlocked).signing()[1]
    assert len(derivations) == 1
    assert public(key) != public(privates[0])


@pytest.mark.parametrize("passphrase", [b"", b"short", b"elevenchars"])
def test_a_short_passphrase_cannot_protect_keys(passphrase):
    with pytest.raises(KeyStoreError) as error:
        batch(passphrase)
    assert error.value.message == "a passphrase protecting keys needs at least 12 characters"
    assert error.value.subject == "passphrase-strength"


def test_twelve_characters_count_as_characters_not_bytes():
    with pytest.raises(KeyStoreError):
        batch("비밀번호비밀번호".encode())  # 8 characters in 24 bytes
    batch("비밀번호비밀번호비밀번호".encode())


def test_a_wrong_passphrase_is_one_line_that_reveals_nothing():
    _, texts = batch()
    with pytest.raises(KeyStoreError) as error:
        keys.decrypt_private(texts[0], Passphrase(b"not the passphrase at all"), "kor-sign-1")
    assert error.value.message == "cannot unlock key kor-sign-1: wrong passphrase"
    assert error.value.subject == "passphrase"
    assert error.value.__cause__ is None and error.value.__suppress_context__


def test_parameters_stored_with_a_key_are_the_ones_used(monkeypatch):
    """So that the cost can be raised later without making the keys already stored unreadable."""
    monkeypatch.setattr(keys, "SCRYPT_N", 2**10)
    privates, texts = batch()
    monkeypatch.undo()
    assert json.loads(texts[0])["kdf"]["n"] == 2**10
    unlocked = keys.decrypt_private(texts[0], Passphrase(PASSPHRASE), "k")
    assert public(unlocked) == public(privates[0])


@pytest.mark.parametrize(
    ("n", "r"), [(2**30, 8), (3000, 8), (2**16, 1024)], ids=["n-huge", "n-odd", "r-huge"]
)
def test_stored_parameters_out_of_range_are_refused_before_deriving(n, r):
    _, texts = batch()
    document = json.loads(texts[0])
    document["kdf"].update(n=n, r=r)
    with pytest.raises(KeyStoreError, match="scrypt parameters out of range"):
        keys.decrypt_private(json.dumps(document), Passphrase(PASSPHRASE), "k")


def test_a_text_of_another_format_is_refused_in_one_line():
    with pytest.raises(KeyStoreError, match="is not stored as a gsomia-private-key/1 text"):
        keys.decrypt_private("-----BEGIN ENCRYPTED PRIVATE KEY-----", Passphrase(PASSPHRASE), "k")


def test_a_locked_ring_says_so_neutrally(records):
    ring = KeyRing("KOR", records["KOR"], None)
    with pytest.raises(KeyStoreError) as error:
        ring.signing()
    assert error.value.message == "the node's keys are locked: no passphrase was given"
    assert error.value.subject == "passphrase"
