"""The ledger from the command line: head, prove, check, consistency, verify."""

import json
import sqlite3
from pathlib import Path

import pytest


@pytest.fixture
def korea(gsomia, monkeypatch):
    monkeypatch.setenv("GSOMIA_PASSPHRASE", "correct horse battery staple")
    gsomia("init", "--party", "KOR")
    gsomia("keys", "init")
    gsomia("history", "load", "kor-jpn-2019")
    return gsomia


def test_head_signs_a_checkpoint_in_the_signed_note_format(korea):
    note = korea("ledger", "head").stdout
    lines = note.split("\n")
    assert lines[0] == "gsomia/KOR"
    assert int(lines[1]) > 0
    assert lines[3] == ""
    assert lines[4].startswith("— gsomia/KOR ")
    again = korea("ledger", "head", "--json").json
    assert again["signed_now"] is False
    assert again["checkpoint"] == note


def test_a_partner_checks_a_proof_with_the_vkey(korea, tmp_path: Path):
    size = korea("ledger", "head", "--json").json["size"]
    assert korea("ledger", "prove", str(size - 1), "-o", str(tmp_path / "proof.json")).code == 0
    vkey = korea("ledger", "vkey").stdout.strip()
    checked = korea("ledger", "check", str(tmp_path / "proof.json"), "--vkey", vkey, "--json")
    assert checked.code == 0, checked.stderr
    assert checked.json["verified"] is True
    bundle = json.loads((tmp_path / "proof.json").read_text())
    bundle["entry"]["body"]["note"] = "rewritten"
    (tmp_path / "forged.json").write_text(json.dumps(bundle))
    forged = korea("ledger", "check", str(tmp_path / "forged.json"), "--vkey", vkey)
    assert forged.code == 1  # the answer is no: the proof fails verification


def test_an_entry_after_the_latest_checkpoint_cannot_be_proved_yet(korea):
    korea("ledger", "head")
    korea("person", "add", "--name", "Kim", "--clearance", "II")
    size = korea("ledger", "entries", "--json", "--limit", "1000").json[-1]["position"]
    result = korea("ledger", "prove", str(size))
    assert result.code == 2
    assert "gsomia ledger head" in result.stderr


def test_consistency_between_two_sizes(korea):
    result = korea("ledger", "consistency", "3", "--json")
    assert result.code == 0
    assert result.json["old_size"] == 3 and result.json["path"]


def test_verify_reports_the_first_divergence_after_a_direct_edit(korea, db_url):
    korea("ledger", "head")
    assert korea("ledger", "verify").code == 0
    if not db_url.startswith("sqlite"):
        pytest.skip("edits the SQLite file directly")
    database = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    with database:
        database.execute("DELETE FROM ledger_entries WHERE position = 4")
    database.close()
    result = korea("ledger", "verify", "--json")
    assert result.code == 1
    assert result.json["ok"] is False
    assert result.json["first_divergence"] == 4
    assert any(p["kind"] == "missing-entry" for p in result.json["problems"])
