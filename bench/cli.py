"""How long a command takes to answer, beside the interpreter doing nothing.

Each round runs, in turn, `python -c pass` (the floor any Python command line pays),
`gsomia --help`, `gsomia agreement list` and `gsomia agreement status ... --json` on a fresh
SQLite registry, as separate processes; rounds are interleaved so that the machine's drift
touches every command alike. Reports the median and spread of each, and its ratio to the
floor, with the share of the time spent importing (python -X importtime).

Run: .venv/bin/python bench/cli.py [--rounds R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=21)
    options = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as directory:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GSOMIA_")}
        env["GSOMIA_DB"] = f"sqlite:///{Path(directory) / 'registry.db'}"
        gsomia = [python, "-m", "gsomia"]
        subprocess.run(
            [*gsomia, "init", "--party", "KOR"], check=True, capture_output=True, env=env
        )
        commands = {
            "python -c pass": [python, "-c", "pass"],
            "gsomia --help": [*gsomia, "--help"],
            "gsomia agreement list": [*gsomia, "agreement", "list"],
            "gsomia agreement status --json": [
                *gsomia,
                "agreement",
                "status",
                "KOR-JPN-GSOMIA-2016",
                "--at",
                "2019-11-23",
                "--json",
            ],
        }
        for args in commands.values():
            subprocess.run(args, check=True, capture_output=True, env=env)  # warm the caches
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(options.rounds):
            for name, args in commands.items():
                samples[name].append(timed(args, env))
    floor = statistics.median(samples["python -c pass"])
    print(f"{'command':34} {'median ms':>10} {'p10–p90 ms':>14} {'× python':>9}")
    for name, times in samples.items():
        ordered = sorted(times)
        low, high = ordered[len(ordered) // 10], ordered[-1 - len(ordered) // 10]
        median = statistics.median(times)
        print(
            f"{name:34} {median * 1000:10.0f} {low * 1000:6.0f}–{high * 1000:<6.0f} "
            f"{median / floor:9.1f}"
        )


if __name__ == "__main__":
    main()
