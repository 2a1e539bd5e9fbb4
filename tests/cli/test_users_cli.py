"""`gsomia user`: officers' accounts and tokens, as scripts call them."""

from __future__ import annotations

import pytest

from gsomia.node.commands import users
from gsomia.node.context import Node
from gsomia.node.settings import Settings

PASSWORD = "twelve chars or more"


@pytest.fixture
def with_password(monkeypatch):
    monkeypatch.setenv("GSOMIA_USER_PASSWORD", PASSWORD)


def test_user_add_then_token_authenticates(gsomia, with_password, db_url):
    added = gsomia("user", "add", "alice", "--role", "security-officer", "--json")
    assert added.code == 0, added.stderr
    assert added.json["role"] == "security-officer"
    assert "password" not in added.stdout
    token = gsomia("user", "token", "alice")
    assert token.code == 0
    secret = token.stdout.strip()
    assert secret.startswith("gsomia_")
    with Node.open(Settings(database=db_url)) as node:
        officer = users.by_token(node, secret)
        assert (officer.name, officer.role.value) == ("alice", "security-officer")
        assert users.by_password(node, "alice", PASSWORD).name == "alice"
    listed = gsomia("user", "list", "--json")
    assert [u["name"] for u in listed.json] == ["alice"]


def test_user_token_json_names_the_token(gsomia, with_password):
    gsomia("user", "add", "bob", "--role", "auditor")
    issued = gsomia("user", "token", "bob", "--json")
    assert issued.json["user"] == "bob"
    assert issued.json["token"].startswith(f"gsomia_{issued.json['id']}_")
    revoked = gsomia("user", "revoke-token", issued.json["id"])
    assert revoked.code == 0
    again = gsomia("user", "revoke-token", issued.json["id"])
    assert again.code == 2


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["user", "add", "carol", "--role", "janitor"], "unknown role 'janitor'"),
        (["user", "add", "Carol!", "--role", "auditor"], "is not allowed"),
        (["user", "add", "carol", "--role", "auditor", "--language", "fr"], "not offered"),
        (["user", "token", "nobody"], "no user named 'nobody'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(gsomia, with_password, args, says):
    before = gsomia("ledger", "entries", "--json", "--limit", "100000").json
    result = gsomia(*args)
    assert result.code == 2
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert len(gsomia("ledger", "entries", "--json", "--limit", "100000").json) == len(before)


def test_a_short_password_or_none_is_refused(gsomia, monkeypatch):
    monkeypatch.setenv("GSOMIA_USER_PASSWORD", "short")
    assert "at least 12 characters" in gsomia("user", "add", "dave", "--role", "auditor").stderr
    monkeypatch.delenv("GSOMIA_USER_PASSWORD")
    result = gsomia("user", "add", "dave", "--role", "auditor")
    assert result.code == 2
    assert "GSOMIA_USER_PASSWORD" in result.stderr


def test_a_second_account_of_the_same_name_is_a_conflict(gsomia, with_password):
    assert gsomia("user", "add", "erin", "--role", "auditor").code == 0
    again = gsomia("user", "add", "erin", "--role", "administrator")
    assert again.code == 2
    assert "already exists" in again.stderr
