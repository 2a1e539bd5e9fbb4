"""Ledger appends and proofs: gsomia's ledger beside pymerkle's SQLite-backed tree.

Workload: N entries shaped like the node's decision records (default 1,000,000), appended in
batches of 1,000 per transaction, each side to its own SQLite file in a temporary directory;
then inclusion proofs of random positions and consistency proofs from random sizes, both in
the tree of all N entries.

Both sides start from the same entries (kind, instant, JSON object) and end with them
committed: gsomia's `log.append`, and for pymerkle the same leaf bytes (the canonical JSON
gsomia hashes, serialised inside pymerkle's timed loop too) through
`SqliteTree.append_entries`. Before timing proofs, the benchmark checks that both trees have
the same root and give the same inclusion paths. pymerkle keeps no interior hashes on disk: it
rebuilds subtree hashes from the leaves and caches them in memory, so its first proof after
opening (cold) and its later ones (warm, the cache filled by earlier proofs) are reported
apart. gsomia reads the same stored hashes on every proof and keeps no cache.

Run: .venv/bin/python bench/ledger.py [--entries N] [--batch B] [--proofs P]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymerkle import SqliteTree
from sqlalchemy import Engine

from gsomia.ledger.entries import canonical_json, instant_text, leaf_data
from gsomia.ledger.merkle import verify_consistency, verify_inclusion
from gsomia.store import database, log

AT = datetime(2019, 11, 22, 15, 0, tzinfo=UTC)
PARTIES = ["KOR", "JPN", "USA", "NATO"]
AGREEMENTS = ["KOR-JPN-GSOMIA-2016", "USA-JPN-GSOMIA-2007", "USA-KOR-SA-1987"]
COLD_PROOFS = 3


def decision(number: int) -> tuple[str, dict[str, Any]]:
    """A release decision as the node logs it, about 300 bytes of JSON."""
    allowed = number % 3 != 0
    return "decision", {
        "id": number,
        "kind": "release",
        "at": "2019-11-22T15:00:00+00:00",
        "from": PARTIES[number % 3],
        "to": PARTIES[(number + 1) % 4],
        "item": f"KOR-2019-{number:07d}",
        "marking": "GUNSA II-KUP BI MIL",
        "topic": "nk-missile",
        "agreement": AGREEMENTS[number % 3],
        "allowed": allowed,
        "reasons": [
            {
                "code": "in-force" if allowed else "not-in-force",
                "article": "Art 4",
                "agreement": AGREEMENTS[number % 3],
            }
        ],
    }


def batches(count: int, size: int) -> list[range]:
    return [range(start, min(count, start + size)) for start in range(0, count, size)]


def build_gsomia(engine: Engine, count: int, batch: int) -> list[float]:
    """Seconds per batch: entries in, transaction committed."""
    seconds = []
    for numbers in batches(count, batch):
        entries = [decision(n) for n in numbers]
        start = time.perf_counter()
        with engine.begin() as connection:
            log.append(connection, entries, AT)
        seconds.append(time.perf_counter() - start)
    return seconds


def build_pymerkle(tree: SqliteTree, count: int, batch: int) -> list[float]:
    """Seconds per batch: the same entries serialised to the same leaf bytes, committed."""
    instant = instant_text(AT)
    seconds = []
    for numbers in batches(count, batch):
        entries = [decision(n) for n in numbers]
        start = time.perf_counter()
        tree.append_entries(
            [leaf_data(kind, instant, canonical_json(body)) for kind, body in entries]
        )
        seconds.append(time.perf_counter() - start)
    return seconds


def timed(function: Callable[..., object], *args: Any) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def check_agreement(engine: Engine, tree: SqliteTree, count: int, sample: list[int]) -> None:
    with engine.connect() as connection:
        root = log.root(connection, count)
        if root != tree.get_root(count):
            raise SystemExit("the two trees have different roots: the comparison is meaningless")
        for position in sample:
            ours = log.inclusion_proof(connection, position, count)
            theirs = tree.prove_inclusion(position + 1, count)
            if list(ours.path) != theirs.path[1:]:
                raise SystemExit(f"the inclusion paths of entry {position} differ")
            verify_inclusion(log.entry(connection, position).leaf_hash, ours, root)
            theirs.verify(theirs.path[0], root)
        for old in sample[:10]:
            if old > 0:
                consistency = log.consistency_proof(connection, old, count)
                verify_consistency(log.root(connection, old), root, consistency)


def gsomia_proofs(
    engine: Engine, count: int, positions: list[int], olds: list[int]
) -> dict[str, list[float]]:
    with engine.connect() as connection:
        return {
            "inclusion": [timed(log.inclusion_proof, connection, p, count) for p in positions],
            "consistency": [timed(log.consistency_proof, connection, o, count) for o in olds],
        }


def pymerkle_proofs(
    path: Path, count: int, positions: list[int], olds: list[int]
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    for _ in range(COLD_PROOFS):
        with SqliteTree(str(path)) as tree:
            times.setdefault("inclusion, cold", []).append(
                timed(tree.prove_inclusion, positions[0] + 1, count)
            )
        with SqliteTree(str(path)) as tree:
            times.setdefault("consistency, cold", []).append(
                timed(tree.prove_consistency, olds[0], count)
            )
    with SqliteTree(str(path)) as tree:
        for position in positions:  # fill the cache as a long-running verifier would
            tree.prove_inclusion(position + 1, count)
        times["inclusion"] = [timed(tree.prove_inclusion, p + 1, count) for p in positions]
        for old in olds:
            tree.prove_consistency(old, count)
        times["consistency"] = [timed(tree.prove_consistency, o, count) for o in olds]
    return times


def rate(batch_seconds: list[float], batch: int) -> tuple[float, float]:
    """(median of per-batch rates, overall rate) in entries per second."""
    total = sum(batch_seconds)
    return batch / statistics.median(batch_seconds), len(batch_seconds) * batch / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--proofs", type=int, default=1_000)
    args = parser.parse_args()
    count = args.entries - args.entries % args.batch
    rng = random.Random(2019)
    positions = [rng.randrange(count) for _ in range(args.proofs)]
    olds = [rng.randrange(1, count) for _ in range(args.proofs)]

    with tempfile.TemporaryDirectory(prefix="gsomia-bench-") as directory:
        engine = database.connect(f"sqlite:///{directory}/ledger.db", create=True)
        database.migrate(engine)
        ours = build_gsomia(engine, count, args.batch)
        print(f"gsomia:   {count:,} entries in {sum(ours):.1f} s")
        pymerkle_path = Path(directory) / "pymerkle.db"
        with SqliteTree(str(pymerkle_path)) as tree:
            theirs = build_pymerkle(tree, count, args.batch)
            print(f"pymerkle: {count:,} entries in {sum(theirs):.1f} s")
            check_agreement(engine, tree, count, positions[:50])
        print("same root, same inclusion paths; every sampled proof verifies")

        our_proofs = gsomia_proofs(engine, count, positions, olds)
        their_proofs = pymerkle_proofs(pymerkle_path, count, positions, olds)
        engine.dispose()

    our_rate, our_overall = rate(ours, args.batch)
    their_rate, their_overall = rate(theirs, args.batch)
    print(f"\nappends, batches of {args.batch:,} per transaction (median of batches; overall)")
    print(f"  gsomia   {our_rate:>10,.0f}/s   {our_overall:>10,.0f}/s")
    print(f"  pymerkle {their_rate:>10,.0f}/s   {their_overall:>10,.0f}/s")
    print(f"  ratio gsomia/pymerkle {our_rate / their_rate:.2f}")
    print(
        f"\nproofs at {count:,} entries, median ms ({args.proofs} proofs; cold: {COLD_PROOFS} runs)"
    )
    for kind in ("inclusion", "consistency"):
        ours_ms = statistics.median(our_proofs[kind]) * 1000
        warm_ms = statistics.median(their_proofs[kind]) * 1000
        cold_ms = statistics.median(their_proofs[f"{kind}, cold"]) * 1000
        print(
            f"  {kind:<12} gsomia {ours_ms:8.3f}   pymerkle warm {warm_ms:8.3f} "
            f"(x{warm_ms / ours_ms:.1f})   pymerkle cold {cold_ms:9.1f} (x{cold_ms / ours_ms:,.0f})"
        )


if __name__ == "__main__":
    main()
