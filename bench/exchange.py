"""Deliveries from Korea's node to Japan's beside a TAXII 2.1 server's add-objects (medallion).

gsomia: Korea's registry in this process, Japan's served by `gsomia serve` on a loopback port,
both on SQLite (WAL, synchronous=FULL), keys made and pinned by each other as the demo's live
act does. One delivery is the whole path: the item registered with its content sealed to
Korea, the release decided by the agreement and logged, the content sealed again for Japan and
the delivery queued in the outbox, leased, signed (RFC 9421) and POSTed; Japan's node checks
the signature, the nonce and the idempotency key, decides receipt, keeps the sealed copy,
registers the item, logs it and answers with a signed receipt; Korea verifies the receipt and
settles the delivery. Every step commits durably on its side before the next.

medallion: the reference TAXII 2.1 server (OASIS), started afresh for each measurement with its
memory backend (the one it ships with a configuration for; its other backend needs MongoDB),
Flask's threaded server, HTTP basic authentication. One delivery is one add-objects POST of an
envelope holding one STIX object that carries the payload, answered with its status resource.
It keeps objects in memory only: no signature, no decision, no encryption, no durable write.

Each point (payload size, concurrency) runs `--deliveries` deliveries from `concurrency`
threads after a warm-up, each side on a fresh pair of servers; `--rounds` rounds alternate the
two sides and the medians are reported: deliveries per second and p50/p99 of each delivery's
latency (register to settled for gsomia, request to answer for medallion).

Run: .venv/bin/python bench/exchange.py [--deliveries N] [--rounds R]
     [--concurrency 1,4,16] [--payloads 4096,1048576]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console

from gsomia.demo.live import Live, free_port
from gsomia.demo.play import story
from gsomia.node import queries
from gsomia.node.client import Client
from gsomia.node.commands import items

WARM_UP = 5
DAY = "2017-09-15"
USER, PASSWORD = "bench", "bench-password"
TAXII = "application/taxii+json;version=2.1"


@dataclass(frozen=True)
class Measure:
    rate: float
    p50_ms: float
    p99_ms: float


def measure(deliveries: int, concurrency: int, one: Callable[[int], float]) -> Measure:
    """`deliveries` calls of `one` from `concurrency` threads, after a warm-up."""
    for number in range(WARM_UP):
        one(-1 - number)
    with ThreadPoolExecutor(concurrency) as pool:
        start = time.perf_counter()
        latencies = sorted(pool.map(one, range(deliveries)))
        elapsed = time.perf_counter() - start
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Measure(deliveries / elapsed, statistics.median(latencies) * 1000, p99 * 1000)


def gsomia_point(directory: Path, payload: int, concurrency: int, deliveries: int) -> Measure:
    plan = story()
    secret = plan["passphrase"].encode()
    live = Live(Console(quiet=True), directory, plan, secret)
    content = directory / "payload.bin"
    content.write_bytes(os.urandom(payload))
    with live.running(served=["JPN"]):
        kor, jpn = live.nodes["KOR"], live.nodes["JPN"]
        client = Client(kor, secret)

        def one(number: int) -> float:
            start = time.perf_counter()
            item = items.register_item(
                kor,
                title=f"Tracking report {number}",
                marking="군사Ⅱ급비밀",
                topic="nk-missile",
                at=DAY,
                file=content,
                passphrase=secret,
            )
            items.release_item(kor, item.reference, "JPN", DAY, secret)
            client.send_due(limit=1)
            return time.perf_counter() - start

        try:
            result = measure(deliveries, concurrency, one)
            while client.send_due():  # a thread may have sent another's delivery before its own
                pass
        finally:
            client.close()
        delivered = len(queries.deliveries(kor, "delivered"))
        received = len(queries.items(jpn))
        if delivered != deliveries + WARM_UP or received != delivered:
            raise SystemExit(
                f"gsomia: {delivered} delivered, {received} registered by Japan, "
                f"of {deliveries + WARM_UP}: the measurement is void"
            )
    return result


@contextmanager
def medallion(directory: Path) -> Iterator[str]:
    """A medallion server on a free port with one writable collection; its objects URL."""
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    collection = str(uuid.uuid4())
    data = {
        "/discovery": {
            "title": "gsomia benchmark peer",
            "default": f"{root}/bench/",
            "api_roots": [f"{root}/bench/"],
        },
        "bench": {
            "information": {
                "title": "deliveries",
                "versions": [TAXII],
                "max_content_length": 64 * 1024 * 1024,
            },
            "status": [],
            "collections": [
                {
                    "id": collection,
                    "title": "deliveries",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }
    (directory / "data.json").write_text(json.dumps(data))
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(directory / "data.json"),
        },
        "users": {USER: PASSWORD},
        "taxii": {"max_page_size": 100},
    }
    (directory / "config.json").write_text(json.dumps(config))
    with (directory / "medallion.log").open("ab") as log:
        command = ["medallion.scripts.run", "--port", str(port), str(directory / "config.json")]
        server = subprocess.Popen(
            [sys.executable, "-m", *command],
            stdout=log,
            stderr=log,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{root}/taxii2/", auth=(USER, PASSWORD), timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise SystemExit("medallion did not answer within 30 s") from None
                time.sleep(0.1)
        yield f"{root}/bench/collections/{collection}/objects/"
    finally:
        server.terminate()
        server.wait(30)


def medallion_point(directory: Path, payload: int, concurrency: int, deliveries: int) -> Measure:
    content = base64.b64encode(os.urandom(payload)).decode()
    headers = {"accept": TAXII, "content-type": TAXII}
    with medallion(directory) as url, httpx.Client(auth=(USER, PASSWORD), timeout=60) as http:

        def one(number: int) -> float:
            envelope = {
                "objects": [
                    {
                        "type": "note",
                        "spec_version": "2.1",
                        "id": f"note--{uuid.uuid4()}",
                        "created": "2017-09-15T00:00:00.000Z",
                        "modified": "2017-09-15T00:00:00.000Z",
                        "abstract": f"Tracking report {number}",
                        "content": content,
                        "object_refs": [f"report--{uuid.uuid4()}"],
                    }
                ]
            }
            start = time.perf_counter()
            response = http.post(url, content=json.dumps(envelope), headers=headers)
            elapsed = time.perf_counter() - start
            if response.status_code != 202 or response.json().get("success_count") != 1:
                raise SystemExit(f"medallion refused an object: {response.text[:300]}")
            return elapsed

        return measure(deliveries, concurrency, one)


def median_of(measures: list[Measure]) -> Measure:
    return Measure(
        statistics.median(m.rate for m in measures),
        statistics.median(m.p50_ms for m in measures),
        statistics.median(m.p99_ms for m in measures),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", default="1,4,16")
    parser.add_argument("--payloads", default="4096,1048576")
    args = parser.parse_args()
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    payloads = [int(p) for p in args.payloads.split(",")]

    print(f"{args.deliveries} deliveries per measurement, median of {args.rounds} rounds\n")
    print(
        f"{'payload':>9} {'conc':>4} | {'gsomia/s':>9} {'p50 ms':>7} {'p99 ms':>7} | "
        f"{'medallion/s':>11} {'p50 ms':>7} {'p99 ms':>7} | {'ratio':>5}"
    )
    for payload in payloads:
        for concurrency in concurrencies:
            ours: list[Measure] = []
            theirs: list[Measure] = []
            for _ in range(args.rounds):
                with tempfile.TemporaryDirectory(prefix="gsomia-bench-") as directory:
                    ours.append(
                        gsomia_point(Path(directory), payload, concurrency, args.deliveries)
                    )
                with tempfile.TemporaryDirectory(prefix="gsomia-bench-") as directory:
                    theirs.append(
                        medallion_point(Path(directory), payload, concurrency, args.deliveries)
                    )
            a, b = median_of(ours), median_of(theirs)
            print(
                f"{payload:>9,} {concurrency:>4} | {a.rate:>9.1f} {a.p50_ms:>7.1f} "
                f"{a.p99_ms:>7.1f} | {b.rate:>11.1f} {b.p50_ms:>7.1f} {b.p99_ms:>7.1f} | "
                f"{a.rate / b.rate:>5.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
