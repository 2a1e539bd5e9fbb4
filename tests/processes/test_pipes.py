"""A reader that closes the pipe early stops the output, not the command: what was recorded
exits 0, with no traceback."""

from __future__ import annotations

import json
import shlex
import subprocess

from tests.processes.conftest import command, environment, run


def test_a_recorded_action_exits_0_when_its_reader_goes_away(registry_url):
    args = command(
        registry_url,
        "item",
        "receive",
        "--title",
        "Splash-down points",
        "--originator",
        "JPN",
        "--marking",
        "極秘",
        "--topic",
        "nk-missile",
        "--at",
        "2017-03-07",
    )
    process = subprocess.Popen(
        args, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the first line is written
    errors = process.stderr.read().decode()
    assert process.wait() == 0, errors
    assert "Traceback" not in errors and "BrokenPipe" not in errors
    listed = json.loads(run(registry_url, "item", "list", "--json").stdout)
    assert [i["title"] for i in listed] == ["Splash-down points"]


def test_a_listing_piped_to_head_exits_0(registry_url):
    for n in range(30):
        run(registry_url, "person", "add", "--name", f"Person {n}", "--clearance", "III")
    done = subprocess.run(
        [
            "bash",
            "-o",
            "pipefail",
            "-c",
            shlex.join(command(registry_url, "person", "list")) + " | head -1",
        ],
        env=environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
