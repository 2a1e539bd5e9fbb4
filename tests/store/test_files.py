"""The node's files: inputs that are regular files only, outputs with no name on disk until
complete, and nothing of an interrupted command left behind, not even after a kill -9."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gsomia.crypto.sealing import open_sealed, seal
from gsomia.errors import UnreadableInput, UnsafeOutput
from gsomia.store import files
from tests.crypto.test_sealing import LABEL
from tests.keyrings import NOW, PASSPHRASE, recipient, ring_for

SRC = Path(__file__).resolve().parents[2] / "src"
MARKER = b"<<GSOMIA PLAINTEXT MARKER>>"


def within(seconds: float, call: Callable[[], Any]) -> Any:
    """`call()`, failing the test (rather than hanging it) if it takes longer than `seconds`."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(("value", call()))
        except BaseException as exc:
            outcome.append(("error", exc))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert outcome, f"still running after {seconds} s"
    kind, value = outcome[0]
    if kind == "error":
        raise value
    return value


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- inputs ----------------------------------------------------------------------------------


def test_a_regular_file_is_read_and_named(tmp_path):
    path = tmp_path / "in.bin"
    path.write_bytes(b"content")
    with files.open_input(path) as stream:
        assert stream.read() == b"content"
        assert stream.name == str(path)
        assert os.get_blocking(stream.fileno())


def test_dev_zero_is_refused_at_once():
    with pytest.raises(UnreadableInput, match="it is a character device, not a regular file"):
        within(5, lambda: files.open_input(Path("/dev/zero")))


def test_a_fifo_without_a_writer_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UnreadableInput, match="it is a FIFO"):
        within(5, lambda: files.open_input(fifo))


def test_a_directory_and_a_socket_are_refused(tmp_path):
    with pytest.raises(UnreadableInput, match="it is a directory"):
        files.open_input(tmp_path)
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "s"))
        with pytest.raises(UnreadableInput, match="it is a socket"):
            files.open_input(tmp_path / "s")


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(UnreadableInput, match=r"absent\.tdf: no such file"):
        files.open_input(tmp_path / "absent.tdf")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_refused(tmp_path):
    path = tmp_path / "secret"
    path.write_bytes(b"x")
    path.chmod(0)
    with pytest.raises(UnreadableInput, match="Permission denied"):
        files.open_input(path)


# -- outputs ---------------------------------------------------------------------------------


def test_an_output_appears_only_when_complete_and_owner_only(tmp_path):
    destination = tmp_path / "out.bin"
    with files.output(destination) as out:
        out.write(b"half")
        assert names(tmp_path) == []  # no name on disk while it is written
        out.write(b" and whole")
    assert destination.read_bytes() == b"half and whole"
    assert stat.S_IMODE(destination.stat().st_mode) == 0o600


def test_an_output_replaces_an_existing_file(tmp_path):
    destination = tmp_path / "out.bin"
    destination.write_bytes(b"old content")
    destination.chmod(0o644)
    with files.output(destination) as out:
        out.write(b"new")
    assert destination.read_bytes() == b"new"
    assert stat.S_IMODE(destination.stat().st_mode) == 0o600
    assert names(tmp_path) == ["out.bin"]


def interrupted_write(destination: Path, seen: list[os.stat_result]) -> None:
    """Write part of an output, note what its folder holds meanwhile, then fail."""
    with files.output(destination) as out:
        out.write(b"partial plaintext")
        seen.extend(path.lstat() for path in destination.parent.iterdir())
        raise RuntimeError("interrupted")


@pytest.mark.parametrize("existing", [False, True], ids=["new", "replacing"])
def test_an_exception_mid_write_leaves_nothing_behind(tmp_path, existing):
    destination = tmp_path / "out.bin"
    if existing:
        destination.write_bytes(b"kept")
    seen: list[os.stat_result] = []
    with pytest.raises(RuntimeError):
        interrupted_write(destination, seen)
    assert len(seen) == int(existing)  # the output had no name while written
    assert names(tmp_path) == (["out.bin"] if existing else [])
    if existing:
        assert destination.read_bytes() == b"kept"


def test_without_unnamed_files_a_named_temporary_is_owner_only_and_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "_TMPFILE", 0)
    seen: list[os.stat_result] = []
    with pytest.raises(RuntimeError):
        interrupted_write(tmp_path / "out.bin", seen)
    assert [stat.S_IMODE(status.st_mode) for status in seen] == [0o600]
    assert names(tmp_path) == []
    with files.output(tmp_path / "out.bin") as out:
        out.write(b"whole")
    assert names(tmp_path) == ["out.bin"]
    assert (tmp_path / "out.bin").read_bytes() == b"whole"


def test_an_unnamed_file_is_linked_at_a_name_chosen_later(tmp_path):
    with files.unnamed(tmp_path) as file:
        file.stream.write(b"sealed bytes")
        file.stream.seek(0)
        name = f"{len(file.stream.read())}.tdf"
        file.link(name)
    assert names(tmp_path) == ["12.tdf"]
    assert stat.S_IMODE((tmp_path / "12.tdf").stat().st_mode) == 0o600


def refused(destination: Path, match: str, forbidden: tuple[Path, ...] = ()) -> None:
    with pytest.raises(UnsafeOutput, match=match), files.output(destination, forbidden=forbidden):
        pytest.fail("an unsafe output was opened")


def test_a_directory_is_refused_as_output(tmp_path):
    refused(tmp_path, "it is a directory")


def test_a_symbolic_link_is_refused_as_output(tmp_path):
    target = tmp_path / "target"
    target.write_bytes(b"x")
    (tmp_path / "link").symlink_to(target)
    refused(tmp_path / "link", "it is a symbolic link")
    assert target.read_bytes() == b"x"


def test_dev_null_is_refused_as_output():
    refused(Path("/dev/null"), "it is a character device")


def test_a_fifo_is_refused_as_output(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    refused(tmp_path / "pipe", "it is a FIFO")


def test_a_missing_folder_is_refused(tmp_path):
    refused(tmp_path / "absent" / "out.bin", "the folder .*absent does not exist")


def test_a_forbidden_file_is_refused_by_path_and_by_hard_link(tmp_path):
    database = tmp_path / "registry.db"
    database.write_bytes(b"database")
    os.link(database, tmp_path / "alias.db")
    refused(database, "registry.db, which must stay", (database,))
    refused(tmp_path / "alias.db", "registry.db, which must stay", (database,))
    (tmp_path / "sub").mkdir()
    refused(tmp_path / "sub" / ".." / "registry.db", "must stay", (database,))
    (tmp_path / "via").symlink_to(tmp_path)
    refused(tmp_path / "via" / "registry.db", "must stay", (database,))
    assert database.read_bytes() == b"database"


def test_opening_onto_its_own_input_is_refused(tmp_path, rings):
    """The node passes the input as forbidden: `open x.tdf -o x.tdf` never clobbers x.tdf."""
    path = tmp_path / "item.tdf"
    with files.output(path) as out:
        seal(
            io.BytesIO(b"x"),
            out,
            label=LABEL,
            recipients=[recipient(rings["KOR"], "JPN")],
            sealed_by="KOR",
            signer=rings["KOR"].signing(),
            now=NOW,
        )
    before = path.read_bytes()

    def open_onto_itself() -> None:
        with files.open_input(path) as source, files.output(path, forbidden=(path,)) as out:
            open_sealed(source, out, rings["JPN"], private_destination=True)

    with pytest.raises(UnsafeOutput, match="which must stay"):
        open_onto_itself()
    assert path.read_bytes() == before


# -- kill -9 ---------------------------------------------------------------------------------

CHILD = """
import json, sys
from datetime import UTC, datetime
from pathlib import Path
from gsomia.crypto.keys import KeyRecord, KeyRing, Purpose, Status
from gsomia.crypto.sealing import Recipient, open_sealed, seal
from gsomia.store import files

operation, keys, passphrase, source, destination = sys.argv[1:]
records = [
    KeyRecord(r["kid"], r["party"], Purpose(r["purpose"]), r["public"], r["private"],
              Status.ACTIVE, datetime.fromisoformat(r["created_at"]))
    for r in json.loads(Path(keys).read_text())
]
ring = KeyRing("JPN" if operation == "open" else "KOR", records, passphrase.encode())
if operation == "open":
    ring.private(ring.active("JPN", Purpose.WRAPPED).kid)
else:
    from gsomia.core.labels import Label
    from gsomia.reference import builtin_book

    label = Label("KOR", builtin_book().scheme("KOR").read("II"), "nk-missile")
    signer = ring.signing()
    jpn = ring.active("JPN", Purpose.WRAPPED)
    recipients = [Recipient("JPN", jpn.kid, Purpose.WRAPPED, jpn.public_key())]
print("ready", flush=True)
with files.open_input(Path(source)) as stream, files.output(Path(destination)) as out:
    if operation == "open":
        open_sealed(stream, out, ring, private_destination=True)
    else:
        seal(stream, out, label=label, recipients=recipients, sealed_by="KOR", signer=signer,
             now=datetime.now(UTC))
print("done", flush=True)
"""


def plaintext(size: int) -> bytes:
    chunk = 64 * 1024
    return b"".join(MARKER + os.urandom(chunk - len(MARKER)) for _ in range(size // chunk))


def write_keys(path: Path, ring) -> Path:
    path.write_text(
        json.dumps(
            [
                {
                    "kid": r.kid,
                    "party": r.party,
                    "purpose": r.purpose.value,
                    "public": r.public_pem,
                    "private": r.private_pem,
                    "created_at": r.created_at.isoformat(),
                }
                for r in ring.records()
            ]
        )
    )
    return path


def run_child(tmp_path: Path, args: list[Any], kill_after: float | None) -> tuple[int, float]:
    """Run the child; kill it (SIGKILL) `kill_after` seconds after it is ready to work.
    Returns its exit status and how long its work took (from ready to done)."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen(
        [sys.executable, str(script), *map(str, args)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    assert child.stdout is not None
    assert child.stdout.readline() == b"ready\n"
    ready = time.monotonic()
    if kill_after is not None:
        time.sleep(kill_after)
        child.send_signal(signal.SIGKILL)
    done = child.stdout.readline()
    worked = time.monotonic() - ready
    status = child.wait(timeout=120)
    assert status != 0 or done == b"done\n"
    return status, worked


def kill_at_random_moments(tmp_path: Path, args: list[Any], out: Path) -> Iterator[int]:
    """Kill the child at several random moments of its work (measured by a full run first),
    yielding its exit status after each, for the caller to look at what it left."""
    status, duration = run_child(tmp_path, args, None)
    assert status == 0
    out.unlink()
    statuses = []
    for moment in sorted(random.uniform(0, duration) for _ in range(6)):
        statuses.append(run_child(tmp_path, args, moment)[0])
        yield statuses[-1]
        out.unlink(missing_ok=True)
    assert -signal.SIGKILL in statuses  # at least one kill landed before the end


@pytest.mark.slow
def test_a_killed_open_leaves_no_plaintext_on_disk(tmp_path, rings, records):
    data = plaintext(48 * 1024 * 1024)
    sealed = tmp_path / "item.tdf"
    with files.output(sealed) as out:
        seal(
            io.BytesIO(data),
            out,
            label=LABEL,
            recipients=[recipient(rings["KOR"], "JPN")],
            sealed_by="KOR",
            signer=rings["KOR"].signing(),
            now=NOW,
        )
    keys = write_keys(tmp_path / "keys.json", ring_for("JPN", records))
    folder = tmp_path / "opened"
    folder.mkdir()
    out = folder / "plain.bin"
    for status in kill_at_random_moments(
        tmp_path, ["open", keys, PASSPHRASE.decode(), sealed, out], out
    ):
        left = names(folder)
        assert left in ([], ["plain.bin"]), (status, left)
        for name in left:  # only a complete, verified output may hold plaintext
            assert (folder / name).read_bytes() == data


@pytest.mark.slow
def test_a_killed_seal_leaves_no_temporary_behind(tmp_path, rings, records):
    data = plaintext(48 * 1024 * 1024)
    source = tmp_path / "plain.bin"
    source.write_bytes(data)
    keys = write_keys(tmp_path / "keys.json", ring_for("KOR", records))
    folder = tmp_path / "sealed"
    folder.mkdir()
    out = folder / "item.tdf"
    for status in kill_at_random_moments(
        tmp_path, ["seal", keys, PASSPHRASE.decode(), source, out], out
    ):
        left = names(folder)
        assert left in ([], ["item.tdf"]), (status, left)
        for name in left:  # a sealed file that exists is complete
            with files.open_input(folder / name) as stream:
                assert open_sealed(stream, None, rings["JPN"]).plaintext_size == len(data)
            assert MARKER not in (folder / name).read_bytes()
