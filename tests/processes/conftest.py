"""Real processes running the command line, as a user or a script does."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import pytest


@dataclass
class Finished:
    args: Sequence[str]
    code: int
    stdout: str
    stderr: str


def command(url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "gsomia", "--db", url, *args]


def environment(**extra: str) -> dict[str, str]:
    """The environment of a child: no GSOMIA_ variable of the caller's but the content
    directory the test chose."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GSOMIA_") or k == "GSOMIA_CONTENT_DIR"
    }
    env.update(extra)
    return env


def run(url: str, *args: str, **env: str) -> Finished:
    done = subprocess.run(
        command(url, *args),
        capture_output=True,
        text=True,
        env=environment(**env),
        timeout=300,
        check=False,
    )
    return Finished(args, done.returncode, done.stdout, done.stderr)


@pytest.fixture
def registry_url(db_url: str, tmp_path, monkeypatch) -> str:
    """A registry of KOR's, its content kept in `tmp_path / "content"`."""
    monkeypatch.setenv("GSOMIA_CONTENT_DIR", str(tmp_path / "content"))
    created = run(db_url, "init", "--party", "KOR", "--time-zone", "Asia/Seoul")
    assert created.code == 0, created.stderr
    return db_url
