"""`kill -9` at any instant: no plaintext on disk under any name before every check passed, no
temporary left behind (or it is settled at the next start), the registry consistent.

Each test starts the real command line many times and kills it with SIGKILL at a random
moment, then looks at every file it could have left.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.processes.conftest import command, environment, run

PASSPHRASE = "a long test passphrase"
MARKER = b"GSOMIA-PLAINTEXT-MARKER-"
KILLS = 6


@pytest.fixture
def keyed(registry_url, tmp_path):
    """KOR's registry with its keys and JPN's pinned; a large document holding a marker."""
    env = {"GSOMIA_PASSPHRASE": PASSPHRASE}
    assert run(registry_url, "keys", "init", **env).code == 0
    japan = f"sqlite:///{tmp_path / 'jpn.db'}"
    assert run(japan, "init", "--party", "JPN").code == 0
    assert run(japan, "keys", "init", **env).code == 0
    keyset = tmp_path / "jpn-keys.json"
    assert run(japan, "keys", "export", "-o", str(keyset), **env).code == 0
    assert run(registry_url, "keys", "import", str(keyset), "--trust").code == 0
    document = tmp_path / "secret.bin"
    chunk = MARKER + os.urandom(4096 - len(MARKER))
    document.write_bytes(chunk * (24 * 256))  # 24 MiB, the marker in every 4 KiB
    return registry_url, document, env


def killed_at_random(args: list[str], env: dict[str, str], seconds: float) -> int | None:
    """Start a command, SIGKILL it after a random delay; its exit code if it finished first."""
    process = subprocess.Popen(
        args, env=environment(**env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(random.uniform(0.05, seconds))
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait()
    return None if process.returncode == -signal.SIGKILL else process.returncode


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def holds_plaintext(path: Path) -> bool:
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            if MARKER in block:
                return True
    return False


def assert_no_plaintext_but(root: Path, allowed: set[Path]) -> None:
    for path in files_under(root):
        if path not in allowed:
            assert not holds_plaintext(path), f"plaintext left in {path}"


def test_a_killed_open_leaves_no_plaintext_anywhere(keyed, tmp_path):
    url, document, env = keyed
    sealed = tmp_path / "secret.tdf"
    done = run(
        url,
        "seal",
        str(document),
        "--to",
        "KOR",
        "--marking",
        "II",
        "--topic",
        "nk-missile",
        "-o",
        str(sealed),
        **env,
    )
    assert done.code == 0, done.stderr
    out = tmp_path / "opened"
    out.mkdir()
    for _ in range(KILLS):
        target = out / "plain.bin"
        target.unlink(missing_ok=True)
        code = killed_at_random(command(url, "open", str(sealed), "-o", str(target)), env, 3.0)
        left = files_under(out)
        # Nothing, not even a hidden temporary; or (finished, or killed after naming it) the
        # whole content.
        assert left in ([], [target]), left
        if code == 0 or left:
            assert target.read_bytes() == document.read_bytes()
    assert_no_plaintext_but(tmp_path, {document, out / "plain.bin"})


def test_a_killed_seal_leaves_no_temporary(keyed, tmp_path):
    url, document, env = keyed
    out = tmp_path / "sealed"
    out.mkdir()
    for _ in range(KILLS):
        target = out / "secret.tdf"
        target.unlink(missing_ok=True)
        args = command(
            url,
            "seal",
            str(document),
            "--to",
            "KOR",
            "--marking",
            "II",
            "--topic",
            "nk-missile",
            "-o",
            str(target),
        )
        code = killed_at_random(args, env, 3.0)
        left = files_under(out)
        assert left in ([], [target]), left
        if code == 0 or left:  # named only once complete: it opens
            opened = run(url, "open", str(target), "-o", str(tmp_path / "check.bin"), **env)
            assert opened.code == 0, opened.stderr
            (tmp_path / "check.bin").unlink()
    assert_no_plaintext_but(tmp_path, {document})


def test_killed_registrations_and_releases_leave_the_registry_consistent(keyed, tmp_path):
    url, document, env = keyed
    for n in range(KILLS):
        register = command(
            url,
            "item",
            "register",
            "--title",
            f"report {n}",
            "--marking",
            "II",
            "--topic",
            "nk-missile",
            "--at",
            "2017-05-15",
            "--file",
            str(document),
        )
        killed_at_random(register, env, 3.5)
        release = command(
            url, "item", "release", "KOR-2017-0001", "--to", "JPN", "--at", "2017-05-16"
        )
        killed_at_random(release, env, 3.5)
    # The next start that uses the content store settles what the killed ones left.
    settled = run(
        url,
        "item",
        "register",
        "--title",
        "after",
        "--marking",
        "II",
        "--topic",
        "nk-missile",
        "--at",
        "2017-05-17",
        "--file",
        str(document),
        **env,
    )
    assert settled.code == 0, settled.stderr
    verified = run(url, "ledger", "verify", "--json")
    assert verified.code == 0, verified.stdout
    listed = json.loads(run(url, "item", "list", "--json").stdout)
    releases = json.loads(run(url, "releases", "--json").stdout)
    recorded = {i["sealed"]["sha256"] for i in listed if i["sealed"]} | {
        r["sealed"]["sha256"] for r in releases if r["sealed"]
    }
    store = tmp_path / "content"
    kept = {p.stem for p in store.glob("*.tdf")}
    assert kept == recorded
    assert list((store / ".pending").iterdir()) == []
    assert_no_plaintext_but(tmp_path, {document})


def test_a_killed_item_open_leaves_no_plaintext(keyed, tmp_path):
    url, document, env = keyed
    registered = run(
        url,
        "item",
        "register",
        "--title",
        "report",
        "--marking",
        "II",
        "--topic",
        "nk-missile",
        "--at",
        "2017-05-15",
        "--file",
        str(document),
        **env,
    )
    assert registered.code == 0, registered.stderr
    person = run(
        url,
        "person",
        "add",
        "--name",
        "Kim",
        "--clearance",
        "II",
        "--need-to-know",
        "nk-missile",
        "--json",
    )
    person_id = json.loads(person.stdout)["id"]
    out = tmp_path / "read"
    out.mkdir()
    for _ in range(KILLS):
        target = out / "plain.bin"
        target.unlink(missing_ok=True)
        args = command(
            url,
            "item",
            "open",
            "KOR-2017-0001",
            "--person",
            str(person_id),
            "--at",
            "2017-06-01",
            "-o",
            str(target),
        )
        code = killed_at_random(args, env, 3.5)
        left = files_under(out)
        assert left in ([], [target]), left
        if code == 0 or left:
            assert target.read_bytes() == document.read_bytes()
    assert run(url, "ledger", "verify").code == 0
    assert_no_plaintext_but(tmp_path, {document, out / "plain.bin"})
