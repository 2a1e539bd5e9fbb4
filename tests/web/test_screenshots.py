"""docs/screenshots.py regenerates the screenshots the docs show."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "screenshots.py"


@pytest.mark.slow
def test_the_screenshot_script_writes_both_pictures(tmp_path):
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for name in ("dashboard.png", "item.png"):
        picture = (tmp_path / name).read_bytes()
        assert picture.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(picture) > 20_000
