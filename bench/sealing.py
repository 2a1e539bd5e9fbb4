"""Sealing and opening throughput and peak memory, beside raw AES-256-GCM and age (pyrage).

For 1 MiB, 64 MiB and 1 GiB of random bytes in a file, each operation runs in a fresh
process (so that its peak resident memory is its own) and is timed end to end:

- `raw AES-GCM (memory)`: `cryptography`'s AESGCM over the file in 2 MiB segments, output
  discarded: the speed of the cipher alone.
- `raw AES-GCM (file)`: the same, writing nonce and ciphertext to a file: the same I/O as a
  seal, with no container, key wrapping, policy or signature.
- `gsomia seal` / `gsomia open`: a ZTDF for one recipient (RSA `wrapped`), and opening it with
  every check.
- `age encrypt` / `age decrypt`: `pyrage.encrypt_file` / `decrypt_file` to one X25519
  recipient.

Files live in /dev/shm when it exists, so that the disk is not what is measured.

Run: .venv/bin/python bench/sealing.py [--sizes 1MiB,64MiB,1GiB] [--rounds 3]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SIZES = {"1MiB": 1 << 20, "64MiB": 64 << 20, "1GiB": 1 << 30}
SEGMENT = 2 * 1024 * 1024
PASSPHRASE = b"benchmark passphrase"
OPERATIONS = ["raw-memory", "raw-file", "seal", "open", "age-encrypt", "age-decrypt"]
DONE_WITH = {
    "raw-file": ("raw",),
    "open": ("opened", "tdf"),
    "age-decrypt": ("unaged", "age"),
}
"""Outputs removed once no later operation reads them, so that memory stays free for the next."""
LABELS = {
    "raw-memory": "raw AES-GCM (memory)",
    "raw-file": "raw AES-GCM (file)",
    "seal": "gsomia seal",
    "open": "gsomia open",
    "age-encrypt": "age encrypt",
    "age-decrypt": "age decrypt",
}


def peak_rss_mib() -> float:
    """This process's peak resident memory (Linux VmHWM: unlike getrusage's maxrss, it is not
    inherited from the parent across exec, and it can be reset)."""
    status = Path("/proc/self/status").read_text().splitlines()
    return int(next(line for line in status if line.startswith("VmHWM:")).split()[1]) / 1024


def reset_peak() -> None:
    """Start the peak afresh: unlocking keys (scrypt, 64 MiB) is not what is measured."""
    Path("/proc/self/clear_refs").write_text("5")


# -- child side: one operation, timed -------------------------------------------------------


def child(operation: str, work: Path, size_name: str, rounds: int) -> dict[str, float]:
    """Time `operation` `rounds` times in this process after one warm-up on a small file,
    as a running node would be warm; report the median and the process's peak memory."""
    _prepare(operation, work)
    reset_peak()
    baseline = peak_rss_mib()
    _cleanup(work, "warmup", operation)
    _runner(operation, work, "warmup")()
    times = []
    for _ in range(rounds):
        _cleanup(work, size_name, operation)
        start = time.perf_counter()
        _runner(operation, work, size_name)()
        times.append(time.perf_counter() - start)
    return {
        "seconds": statistics.median(times),
        "peak_mib": peak_rss_mib(),
        "baseline_mib": baseline,
    }


def _runner(operation: str, work: Path, size_name: str) -> Any:
    source = work / f"{size_name}.bin"
    return {
        "raw-memory": lambda: _raw(source, None),
        "raw-file": lambda: _raw(source, work / f"{size_name}.raw"),
        "seal": lambda: _seal(work, source, work / f"{size_name}.tdf"),
        "open": lambda: _open(work, work / f"{size_name}.tdf", work / f"{size_name}.opened"),
        "age-encrypt": lambda: _age_encrypt(work, source, work / f"{size_name}.age"),
        "age-decrypt": lambda: _age_decrypt(
            work, work / f"{size_name}.age", work / f"{size_name}.unaged"
        ),
    }[operation]


def _cleanup(work: Path, size_name: str, operation: str) -> None:
    """Remove the output a previous round wrote, so that every round writes a new file."""
    suffix = {
        "raw-file": "raw",
        "seal": "tdf",
        "open": "opened",
        "age-encrypt": "age",
        "age-decrypt": "unaged",
    }.get(operation)
    if suffix:
        (work / f"{size_name}.{suffix}").unlink(missing_ok=True)


def _prepare(operation: str, work: Path) -> Any:
    """Unlock keys before timing, as a running node has them unlocked."""
    if operation in ("seal", "open"):
        return _ring(work)
    return None


@functools.cache
def _ring(work: Path) -> Any:
    from gsomia.crypto.keys import KeyRecord, KeyRing, Purpose, Status

    stored = json.loads((work / "keys.json").read_text())
    records = [
        KeyRecord(
            r["kid"],
            r["party"],
            Purpose(r["purpose"]),
            r["public"],
            r["private"],
            Status.ACTIVE,
            datetime.now(UTC),
        )
        for r in stored
    ]
    rings = {party: KeyRing(party, records, PASSPHRASE) for party in ("KOR", "JPN")}
    rings["KOR"].signing()
    jpn = rings["JPN"].active("JPN", Purpose.WRAPPED)
    assert jpn is not None
    rings["JPN"].private(jpn.kid)
    return rings


def _raw(source: Path, destination: Path | None) -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    cipher = AESGCM(AESGCM.generate_key(bit_length=256))
    out = destination.open("wb") if destination else None
    with source.open("rb") as stream:
        while chunk := stream.read(SEGMENT):
            nonce = os.urandom(12)
            encrypted = cipher.encrypt(nonce, chunk, None)
            if out:
                out.write(nonce)
                out.write(encrypted)
    if out:
        out.close()


def _seal(work: Path, source: Path, destination: Path) -> None:
    from gsomia.crypto.keys import Purpose
    from gsomia.crypto.sealing import Recipient, seal
    from gsomia.store import files

    rings = _ring(work)
    record = rings["KOR"].active("JPN", Purpose.WRAPPED)
    assert record is not None
    with files.open_input(source) as stream, files.output(destination) as out:
        seal(
            stream,
            out,
            label=_label(),
            recipients=[Recipient("JPN", record.kid, Purpose.WRAPPED, record.public_key())],
            sealed_by="KOR",
            signer=rings["KOR"].signing(),
            now=datetime.now(UTC),
            segment_size=SEGMENT,
        )


@functools.cache
def _label() -> Any:
    from gsomia.core.labels import Label
    from gsomia.reference import builtin_book

    return Label("KOR", builtin_book().scheme("KOR").read("II"), "nk-missile")


def _open(work: Path, source: Path, destination: Path) -> None:
    from gsomia.crypto.sealing import open_sealed
    from gsomia.store import files

    with files.open_input(source) as stream, files.output(destination) as out:
        open_sealed(stream, out, _ring(work)["JPN"], private_destination=True)


def _age_encrypt(work: Path, source: Path, destination: Path) -> None:
    import pyrage

    recipient = pyrage.x25519.Recipient.from_str((work / "age.pub").read_text().strip())
    pyrage.encrypt_file(str(source), str(destination), [recipient])


def _age_decrypt(work: Path, source: Path, destination: Path) -> None:
    import pyrage

    identity = pyrage.x25519.Identity.from_str((work / "age.key").read_text().strip())
    pyrage.decrypt_file(str(source), str(destination), [identity])


# -- parent side ------------------------------------------------------------------------------


def setup(work: Path, sizes: list[str]) -> None:
    import pyrage

    from gsomia.crypto import keys

    stored = []
    for party in ("KOR", "JPN"):
        privates = [keys.generate(purpose) for purpose in keys.Purpose]
        locked = keys.encrypt_private(privates, PASSPHRASE)
        for purpose, private, text in zip(keys.Purpose, privates, locked, strict=True):
            public = keys.public_pem(private)
            stored.append(
                {
                    "kid": keys.key_id(party, purpose, public),
                    "party": party,
                    "purpose": purpose.value,
                    "public": public,
                    "private": text,
                }
            )
    (work / "keys.json").write_text(json.dumps(stored))
    identity = pyrage.x25519.Identity.generate()
    (work / "age.key").write_text(str(identity))
    (work / "age.pub").write_text(str(identity.to_public()))
    SIZES["warmup"] = 64 * 1024
    for name in [*sizes, "warmup"]:
        with (work / f"{name}.bin").open("wb") as out:
            remaining = SIZES[name]
            while remaining:
                chunk = min(remaining, 16 << 20)
                out.write(os.urandom(chunk))
                remaining -= chunk


def run_child(operation: str, work: Path, size: str, rounds: int) -> dict[str, float]:
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            operation,
            "--work",
            str(work),
            "--size",
            size,
            "--rounds",
            str(rounds),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(result.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1MiB,64MiB,1GiB")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child")
    parser.add_argument("--work")
    parser.add_argument("--size")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, Path(args.work), args.size, args.rounds)))
        return
    sizes = args.sizes.split(",")
    base = "/dev/shm" if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="gsomia-bench-", dir=base) as name:
        work = Path(name)
        setup(work, sizes)
        print(
            f"files in {work.parent}; {args.rounds} interleaved rounds; median speed, highest peak\n"
        )
        print(
            f"{'size':>6}  {'operation':<22}{'MiB/s':>9}{'vs raw (file)':>15}{'peak RSS MiB':>14}{'growth MiB':>12}"
        )
        for size in sizes:
            runs: dict[str, list[dict[str, float]]] = {operation: [] for operation in OPERATIONS}
            # Rounds interleave the operations, so that drifts of the machine touch them alike.
            for _ in range(args.rounds):
                for operation in OPERATIONS:
                    runs[operation].append(run_child(operation, work, size, 1))
                    for suffix in DONE_WITH.get(operation, ()):
                        (work / f"{size}.{suffix}").unlink(missing_ok=True)
            medians: dict[str, dict[str, float]] = {
                operation: {
                    "mib_s": statistics.median(
                        SIZES[size] / (1 << 20) / r["seconds"] for r in results
                    ),
                    "peak": max(r["peak_mib"] for r in results),
                    "growth": max(r["peak_mib"] - r["baseline_mib"] for r in results),
                }
                for operation, results in runs.items()
            }
            reference = medians["raw-file"]["mib_s"]
            for operation in OPERATIONS:
                m = medians[operation]
                print(
                    f"{size:>6}  {LABELS[operation]:<22}{m['mib_s']:>9.0f}{m['mib_s'] / reference:>15.2f}"
                    f"{m['peak']:>14.1f}{m['growth']:>12.1f}"
                )
            print()


if __name__ == "__main__":
    main()
