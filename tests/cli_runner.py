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
def gsomia(db_url, capsys, monkeypatch):
    """Call as gsomia("agreement", "list", "--json"); runs against a fresh database."""
    monkeypatch.setenv("GSOMIA_DB", db_url)

    def run(*args: str) -> Result:
        monkeypatch.setattr(sys, "argv", ["gsomia", *args])
        with pytest.raises(SystemExit) as exit_info:
            main()
        captured = capsys.readouterr()
        return Result(int(exit_info.value.code or 0), captured.out, captured.err)

    return run
