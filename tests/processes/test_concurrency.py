"""Many processes at once against one registry: all succeed, or after a bounded wait fail with
one clear line and exit 2 — never a traceback, never a lock reported as a denial — and the
ledger verifies afterwards."""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor

from tests.processes.conftest import Finished, command, environment, run

PROCESSES = 16


def _spawn_all(jobs: list[list[str]]) -> list[Finished]:
    def one(args: list[str]) -> Finished:
        done = subprocess.run(
            args, check=False, capture_output=True, text=True, env=environment(), timeout=600
        )
        return Finished(args, done.returncode, done.stdout, done.stderr)

    with ThreadPoolExecutor(PROCESSES) as pool:
        return list(pool.map(one, jobs))


def _check(finished: list[Finished]) -> None:
    for done in finished:
        assert "Traceback" not in done.stderr, done.stderr
        if done.code == 0:
            continue
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.code == 2 and len(lines) == 1 and "busy" in lines[0], (done.args, done.stderr)


def test_sixteen_writers_at_once_register_receive_release_and_decide(registry_url):
    seeded = [
        run(
            registry_url,
            "item",
            "register",
            "--title",
            f"seed {n}",
            "--marking",
            "II",
            "--topic",
            "nk-missile",
            "--at",
            "2017-05-15",
        )
        for n in range(4)
    ]
    assert all(s.code == 0 for s in seeded)
    person = run(
        registry_url,
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
    jobs = []
    for n in range(PROCESSES * 2):
        kind = n % 4
        if kind == 0:
            args = [
                "item",
                "register",
                "--title",
                f"item {n}",
                "--marking",
                "II",
                "--topic",
                "nk-missile",
                "--at",
                "2017-06-01",
            ]
        elif kind == 1:
            args = [
                "item",
                "receive",
                "--title",
                f"copy {n}",
                "--originator",
                "JPN",
                "--marking",
                "極秘",
                "--topic",
                "nk-missile",
                "--at",
                "2017-06-01",
            ]
        elif kind == 2:
            args = [
                "item",
                "release",
                f"KOR-2017-000{1 + n % 4}",
                "--to",
                "JPN",
                "--at",
                "2017-06-02",
            ]
        else:
            args = [
                "item",
                "access",
                f"KOR-2017-000{1 + n % 4}",
                "--person",
                str(person_id),
                "--at",
                "2017-06-02",
            ]
        jobs.append(command(registry_url, *args))
    finished = _spawn_all(jobs)
    _check(finished)
    listed = json.loads(run(registry_url, "item", "list", "--json").stdout)
    references = [item["reference"] for item in listed]
    assert len(references) == len(set(references))
    registered = sum(1 for d in finished if d.code == 0 and "register" in d.args)
    assert registered >= 1
    verified = run(registry_url, "ledger", "verify", "--json")
    assert verified.code == 0, verified.stdout
    report = json.loads(verified.stdout)
    assert report["ok"] and report["rows_checked"] > 0


def test_forty_concurrent_registrations_never_collide(registry_url):
    jobs = [
        command(
            registry_url,
            "item",
            "register",
            "--title",
            f"burst {n}",
            "--marking",
            "III",
            "--topic",
            "nk-missile",
            "--at",
            "2017-08-30",
        )
        for n in range(40)
    ]
    finished = _spawn_all(jobs)
    _check(finished)
    done = sum(1 for f in finished if f.code == 0)
    listed = json.loads(run(registry_url, "item", "list", "--json").stdout)
    references = sorted(item["reference"] for item in listed)
    assert len(references) == done == len(set(references))
    assert run(registry_url, "ledger", "verify").code == 0


def test_racing_destructions_and_remarks_leave_one_certificate_and_ordered_notices(registry_url):
    """Eight processes destroy the same item and eight re-mark another at once: exactly one
    certificate; every re-marking that succeeded has its own sequence number."""
    for title in ("to destroy", "to re-mark"):
        made = run(
            registry_url, "item", "register", "--title", title, "--marking", "II",
            "--topic", "nk-missile", "--at", "2017-05-15",
        )  # fmt: skip
        assert made.code == 0, made.stderr
    person = run(registry_url, "person", "add", "--name", "Kim", "--clearance", "II", "--json")
    witness = str(json.loads(person.stdout)["id"])
    jobs = []
    for n in range(PROCESSES):
        if n % 2:
            args = ["item", "destroy", "KOR-2017-0001", "--method", "shredding",
                    "--witness", witness]  # fmt: skip
        else:
            marking = "III" if n % 4 else "I"
            args = ["item", "remark", "KOR-2017-0002", "--marking", marking,
                    "--reference", f"letter {n}"]  # fmt: skip
        jobs.append(command(registry_url, *args))
    finished = _spawn_all(jobs)
    for done in finished:
        assert "Traceback" not in done.stderr, done.stderr
    destroyed = [d for d in finished if "destroy" in d.args and d.code == 0]
    assert len(destroyed) == 1
    assert all(
        d.code == 2 and ("destroyed" in d.stderr or "busy" in d.stderr)
        for d in finished
        if "destroy" in d.args and d.code != 0
    )
    shown = json.loads(run(registry_url, "item", "show", "KOR-2017-0001", "--json").stdout)
    assert [c["kind"] for c in shown["changes"]] == ["destroy"]
    remarked = sum(1 for d in finished if "remark" in d.args and d.code == 0)
    other = json.loads(run(registry_url, "item", "show", "KOR-2017-0002", "--json").stdout)
    assert len(other["changes"]) == remarked >= 1
    verified = run(registry_url, "ledger", "verify", "--json")
    assert verified.code == 0 and json.loads(verified.stdout)["ok"]
