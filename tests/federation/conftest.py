"""Three live nodes — KOR, JPN, USA — each `gsomia serve` in its own process on a loopback
port, with its own registry, keys made and pinned, peers added."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES

PASSPHRASE = "federation test passphrase"
PARTIES = ("KOR", "JPN", "USA")
ZONES = {"KOR": "Asia/Seoul", "JPN": "Asia/Tokyo", "USA": "America/New_York"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Done:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Node:
    party: str
    url: str
    database: str
    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.folder / "serve.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GSOMIA_")}
        env |= {
            "GSOMIA_DB": self.database,
            "GSOMIA_PASSPHRASE": PASSPHRASE,
            "GSOMIA_CONTENT_DIR": str(self.folder / "content"),
        }
        return env

    def run(self, *args: str, check: bool = True, env: dict[str, str] | None = None) -> Done:
        done = subprocess.run(
            [sys.executable, "-m", "gsomia", *args],
            env=self.env() | (env or {}),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        result = Done(done.returncode, done.stdout, done.stderr)
        if check:
            assert result.code == 0, (self.party, args, result.stderr, result.stdout)
        return result

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gsomia",
                    "serve",
                    "--port",
                    str(self.port),
                    "--checkpoint-every",
                    "1",
                ],
                env=self.env(),
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise AssertionError(f"{self.party}'s node exited: {self.log.read_text()}")
            time.sleep(0.1)
        raise AssertionError(f"{self.party}'s node did not become ready: {self.log.read_text()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(30)
        self.process = None


@dataclass
class Federation:
    nodes: dict[str, Node]

    def __getitem__(self, party: str) -> Node:
        return self.nodes[party]

    def wait(self, predicate: Callable[[], bool], seconds: float = 60, what: str = "") -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.2)
        logs = {p: n.log.read_text()[-3000:] for p, n in self.nodes.items()}
        raise AssertionError(f"timed out waiting for {what}: {logs}")

    def settled(self, party: str) -> bool:
        """Whether `party`'s node has no message left to send."""
        return bool(self[party].run("delivery", "list", "--state", "queued", "--json").json == [])


def _database(kind: str, tmp: Path, party: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / party.lower()}.db"
    assert POSTGRES is not None
    name = f"gsomia_fed_{uuid.uuid4().hex[:10]}_{party.lower()}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)


def _drop(url: str) -> None:
    if not url.startswith("postgresql") or POSTGRES is None:
        return
    name = make_url(url).database
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not POSTGRES, reason="GSOMIA_TEST_POSTGRES_URL not set"),
    ),
]


@pytest.fixture(scope="module", params=BACKENDS)
def federation(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Federation]:
    tmp = tmp_path_factory.mktemp("federation")
    nodes = {}
    for party in PARTIES:
        folder = tmp / party.lower()
        folder.mkdir()
        port = free_port()
        nodes[party] = Node(
            party, f"http://127.0.0.1:{port}", _database(request.param, tmp, party), folder, port
        )
    try:
        for party, node in nodes.items():
            node.run("init", "--party", party, "--time-zone", ZONES[party])
            node.run("keys", "init")
            node.run("keys", "export", "-o", str(tmp / f"{party}.json"))
        for party, node in nodes.items():
            for other, peer in nodes.items():
                if other != party:
                    node.run(
                        "peer",
                        "add",
                        other,
                        "--url",
                        peer.url,
                        "--keys",
                        str(tmp / f"{other}.json"),
                        "--trust",
                    )
        for node in nodes.values():
            node.start()
        yield Federation(nodes)
    finally:
        for node in nodes.values():
            node.stop()
            _drop(node.database)
