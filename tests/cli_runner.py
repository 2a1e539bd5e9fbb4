"""Running the CLI in-process, exactly as the `gsomia` script does (a plugin of tests/conftest.py)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

import pytest

from gsomia.cli import main


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """Call as run_cli("--db", url, "agreement", "list"): the CLI in-process, as is."""
    for name in ("GSOMIA_PARTY", "GSOMIA_TIME_ZONE", "GSOMIA_CONFIG", "GSOMIA_CONTENT_DIR"):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str) -> Result:
        monkeypatch.setattr(sys, "argv", ["gsomia", *args])
        with pytest.raises(SystemExit) as exit_info:
            main()
        captured = capsys.readouterr()
        return Result(int(exit_info.value.code or 0), captured.out, captured.err)

    return run


@pytest.fixture
def gsomia(db_url, run_cli, monkeypatch):
    """Call as gsomia("agreement", "list", "--json"); runs against a fresh registry, created
    with `gsomia init` (no party yet)."""
    monkeypatch.setenv("GSOMIA_DB", db_url)
    created = run_cli("init")
    assert created.code == 0, created.stderr
    return run_cli
