"""The officers' API over HTTP beside the same use cases called in process.

Two requests an officer makes all day: an item's page (`GET /api/v1/items/{key}`, the item
with every decision about it: `gsomia.node.queries.item`) and a release
(`POST /api/v1/items/{key}/releases`, decided, recorded, logged and committed:
`gsomia.node.commands.items.release_item`).

In process: the use case called directly on an open node. Over HTTP: the node served by
`gsomia serve` in its own process on a loopback port (uvicorn, the outbox worker running), an
httpx client keeping its connection alive and sending a registry officer's API token; each
request is authenticated (the token's digest looked up and its row checked against the
ledger), authorised by role, parsed, run for the officer, and its answer serialised. Both
sides use one SQLite registry (WAL, synchronous=FULL) in a temporary directory: KOR's, with
its reference data, keys and the real 2016-2019 history, every released item a fresh one
registered beforehand. Requests are sequential (one officer, one connection).

Each round measures both sides, `--requests` of each request after a warm-up; `--rounds`
rounds alternate them and the medians are reported: requests per second, p50 and p99 of each
request's latency, the HTTP layer's cost per request (p50 over HTTP minus p50 in process) and
the ratio of the rates; and, to show what the HTTP side's cost is made of, the API token's
check alone (`users.by_token`) in process, and a request that does nothing (`GET /healthz`)
over HTTP.

Run: .venv/bin/python bench/api.py [--requests N] [--rounds R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from gsomia.demo.live import free_port
from gsomia.node import queries
from gsomia.node.commands import items, keys, setup, users
from gsomia.node.context import Node
from gsomia.node.settings import Settings

PASSPHRASE = "api bench passphrase"
PASSWORD = "api bench password"
WARM_UP = 20
DAY = "2018-03-01"
"""The Korea-Japan agreement is in force: every release is allowed."""


@dataclass(frozen=True)
class Measure:
    rate: float
    p50_ms: float
    p99_ms: float


def measure(count: int, one: Callable[[int], None]) -> Measure:
    """`count` sequential calls of `one`, after a warm-up."""
    for number in range(WARM_UP):
        one(count + number)
    latencies = []
    start = time.perf_counter()
    for number in range(count):
        began = time.perf_counter()
        one(number)
        latencies.append(time.perf_counter() - began)
    elapsed = time.perf_counter() - start
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Measure(count / elapsed, statistics.median(latencies) * 1000, p99 * 1000)


def registry(directory: Path, releases: int) -> tuple[Settings, str, str, list[str]]:
    """KOR's registry: keys, a registry officer with a token, an item with decisions, and
    `releases` fresh items. Returns its settings, the token, the item and the fresh items."""
    settings = Settings(
        database=f"sqlite:///{directory / 'registry.db'}", content_dir=directory / "content"
    )
    node, before = Node.create(settings)
    try:
        setup.init(node, before, "KOR", "Asia/Seoul")
        keys.init_keys(node, PASSPHRASE.encode())
        users.add_user(node, "bench", "registry-officer", PASSWORD)
        token = users.issue_token(node, "bench")[0]
        page = items.register_item(
            node, title="Launch report", marking="군사Ⅱ급비밀", topic="nk-missile", at=DAY
        ).reference
        items.release_item(node, page, "JPN", DAY)
        items.release_item(node, page, "USA", DAY)
        fresh = [
            items.register_item(
                node, title=f"Report {n}", marking="군사Ⅱ급비밀", topic="nk-missile", at=DAY
            ).reference
            for n in range(releases)
        ]
    finally:
        node.close()
    return settings, token, page, fresh


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    """`gsomia serve` over the registry, until the block ends; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "GSOMIA_DB": settings.database,
        "GSOMIA_CONTENT_DIR": str(settings.content_dir),
        "GSOMIA_PASSPHRASE": PASSPHRASE,
    }
    command = [sys.executable, "-c", "from gsomia.cli import main; main()"]
    server = subprocess.Popen(
        [*command, "serve", "--port", str(port), "--checkpoint-every", "3600"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("gsomia serve did not become ready")
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def in_process(
    settings: Settings, token: str, page: str, fresh: list[str], count: int
) -> list[Measure]:
    """The item page, the release, and the API token's check the HTTP side adds to each."""
    node = Node.open(settings)
    try:

        def authenticate(_: int) -> None:
            users.by_token(node, token)

        def item_page(_: int) -> None:
            queries.item(node, page)

        def release(number: int) -> None:
            view = items.release_item(node, fresh[number], "JPN", DAY)
            if not view.allowed:
                raise SystemExit(f"the release of {fresh[number]} was denied: void")

        return [measure(count, item_page), measure(count, release), measure(count, authenticate)]
    finally:
        node.close()


def over_http(
    settings: Settings, token: str, page: str, fresh: list[str], count: int
) -> list[Measure]:
    with (
        served(settings) as base,
        httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"}) as client,
    ):

        def item_page(_: int) -> None:
            answer = client.get(f"/api/v1/items/{page}")
            if answer.status_code != 200:
                raise SystemExit(f"item page: {answer.status_code} {answer.text}")

        def release(number: int) -> None:
            answer = client.post(
                f"/api/v1/items/{fresh[number]}/releases", json={"to": "JPN", "at": DAY}
            )
            if answer.status_code != 201:
                raise SystemExit(f"release: {answer.status_code} {answer.text}")

        def nothing(_: int) -> None:
            if client.get("/healthz").status_code != 200:
                raise SystemExit("healthz did not answer")

        return [measure(count, item_page), measure(count, release), measure(count, nothing)]


def median_of(measures: list[Measure]) -> Measure:
    return Measure(
        statistics.median(m.rate for m in measures),
        statistics.median(m.p50_ms for m in measures),
        statistics.median(m.p99_ms for m in measures),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    per_side = args.requests + WARM_UP
    names = ["item page", "release"]
    local: dict[str, list[Measure]] = {name: [] for name in names}
    remote: dict[str, list[Measure]] = {name: [] for name in names}
    checks: list[Measure] = []
    floors: list[Measure] = []
    with tempfile.TemporaryDirectory(prefix="gsomia-bench-") as directory:
        settings, token, page, fresh = registry(Path(directory), 2 * per_side * args.rounds)
        for round_ in range(args.rounds):
            start = 2 * per_side * round_
            ours = in_process(settings, token, page, fresh[start : start + per_side], args.requests)
            theirs = over_http(
                settings, token, page, fresh[start + per_side : start + 2 * per_side], args.requests
            )
            for name, a, b in zip(names, ours, theirs, strict=False):
                local[name].append(a)
                remote[name].append(b)
            checks.append(ours[2])
            floors.append(theirs[2])

    print(f"{args.requests} sequential requests per measurement, median of {args.rounds} rounds\n")
    print(
        f"{'request':<10} | {'in-process/s':>12} {'p50 ms':>7} {'p99 ms':>7} | "
        f"{'HTTP/s':>7} {'p50 ms':>7} {'p99 ms':>7} | {'HTTP adds ms':>12} {'ratio':>5}"
    )
    for name in names:
        a, b = median_of(local[name]), median_of(remote[name])
        print(
            f"{name:<10} | {a.rate:>12.1f} {a.p50_ms:>7.2f} {a.p99_ms:>7.2f} | "
            f"{b.rate:>7.1f} {b.p50_ms:>7.2f} {b.p99_ms:>7.2f} | "
            f"{b.p50_ms - a.p50_ms:>12.2f} {a.rate / b.rate:>5.2f}",
            flush=True,
        )
    check, floor = median_of(checks), median_of(floors)
    print("\nof what HTTP adds:")
    print(
        f"  a request that does nothing (GET /healthz over HTTP): "
        f"p50 {floor.p50_ms:.2f} ms, p99 {floor.p99_ms:.2f} ms"
    )
    print(
        f"  the API token's check (users.by_token, in process): "
        f"p50 {check.p50_ms:.2f} ms, p99 {check.p99_ms:.2f} ms"
    )


if __name__ == "__main__":
    main()
