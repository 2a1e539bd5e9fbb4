"""A node with one officer of each role, its web UI served in process."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gsomia.api.app import create_app
from gsomia.node.commands import keys, users
from gsomia.node.context import Node

PASSPHRASE = b"web ui test passphrase"
PASSWORD = "a long enough password"
OFFICERS = {
    "reg": "registry-officer",
    "sec": "security-officer",
    "aud": "auditor",
    "adm": "administrator",
}


@pytest.fixture
def site(node: Node) -> Iterator[TestClient]:
    keys.init_keys(node, PASSPHRASE)
    for name, role in OFFICERS.items():
        users.add_user(node, name, role, PASSWORD, "ko" if name == "sec" else "en")
    with TestClient(create_app(node, PASSPHRASE, worker=False)) as client:
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has a form with its CSRF token"
    return found.group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD, next_path: str = "/"):
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": token, "next": next_path},
        follow_redirects=False,
    )
