"""Release and access decisions per second: gsomia's core beside the same rules in Cedar.

A realistic mix: half releases (originators KOR, JPN, USA to every other party, every level
of their schemes, four topics, instants from 1985 to 2030 under the four agreements with the
real 2019 history recorded) and half accesses (readers of the holding or originating party,
with or without clearance and need-to-know, to received items).

The same rules are written as Cedar policies and evaluated by cedarpy's `is_authorized_batch`
with pre-parsed policy and entity handles (its fastest path). Agreement lifecycles and
equivalences are compiled beforehand on both sides: gsomia's `AgreementBook` does it from
the events; for Cedar they become entity attributes (in-force interval, covered levels).
Both sides are checked to reach the same verdict on every request before anything is timed.

Then the cost of binding the registry to its ledger: on a SQLite registry of real items and
persons, an access decided by the core alone, the check that the rows it relies on are what
the ledger states (`Tx.attest`: row against its latest entry, leaf hash, inclusion under the
signed checkpoint), and the whole recorded use case (`items.access_item`: read, decide, check,
record and log, commit), each timed over the same requests.

Run: .venv/bin/python bench/decisions.py [--requests N] [--rounds R] [--accesses N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import cedarpy

from gsomia.core.agreements import AgreementBook, Kind
from gsomia.core.labels import Label
from gsomia.core.policy import Reader, decide_access, decide_release
from gsomia.reference import builtin_book

PARTIES = ["KOR", "JPN", "USA", "NATO"]
ORIGINATORS = ["KOR", "JPN", "USA"]
TOPICS = ["nk-missile", "nk-nuclear", "naval-operations", "logistics"]
START, SPAN = datetime(1985, 1, 1, tzinfo=UTC), 45 * 365 * 24 * 3600
FOREVER = 2**53

POLICIES = """
permit(principal, action == Action::"release", resource)
when {
  context has agreement &&
  context.at >= context.agreement.eif &&
  context.at < context.agreement.ends &&
  context.agreement.covered.contains(context.level) &&
  (context.agreement.all_topics || context.agreement.topics.contains(context.topic))
};

permit(principal, action == Action::"access", resource)
when {
  ((principal.party == resource.holder && principal.clearance_rank >= resource.holder_rank) ||
   (principal.party == resource.originator && principal.clearance_rank >= resource.originator_rank)) &&
  principal.need_to_know.contains(resource.topic)
};
"""


def epoch(at: datetime) -> int:
    return int(at.timestamp())


def agreement_entities(book: AgreementBook) -> list[dict[str, Any]]:
    entities = []
    for agreement in book.agreements.values():
        if agreement.kind is not Kind.BILATERAL:
            continue
        ends = book.lifecycle(agreement.id).terminated_at
        covered = [
            f"{party}:{m}"
            for row in agreement.equivalences
            for party, ms in row.markings.items()
            for m in ms
        ]
        entities.append(
            {
                "uid": {"type": "Agreement", "id": agreement.id},
                "attrs": {
                    "eif": epoch(agreement.entry_into_force),
                    "ends": epoch(ends) if ends else FOREVER,
                    "covered": covered,
                    "all_topics": agreement.topics is None,
                    "topics": sorted(agreement.topics or ()),
                },
                "parents": [],
            }
        )
    return entities


@dataclass(frozen=True)
class Workload:
    gsomia: list[tuple[Any, ...]]
    cedar: list[dict[str, Any]]
    entities: list[dict[str, Any]]


def build_workload(book: AgreementBook, count: int, seed: int = 2019) -> Workload:
    rng = random.Random(seed)
    entities = agreement_entities(book)
    items, readers = _access_pools(book, rng, entities)
    ours: list[tuple[Any, ...]] = []
    cedar: list[dict[str, Any]] = []
    for index in range(count):
        at = START + timedelta(seconds=rng.randrange(SPAN))
        if index % 2 == 0:
            originator = rng.choice(ORIGINATORS)
            recipient = rng.choice([p for p in PARTIES if p != originator])
            level = rng.choice(book.scheme(originator).levels)
            topic = rng.choice(TOPICS)
            ours.append(("release", Label(originator, level, topic), recipient, at))
            context: dict[str, Any] = {
                "at": epoch(at),
                "level": f"{originator}:{level.marking}",
                "topic": topic,
            }
            bilateral = book.bilateral(originator, recipient)
            if bilateral:
                context["agreement"] = {"__entity": {"type": "Agreement", "id": bilateral[0].id}}
            cedar.append(
                {
                    "principal": {"type": "Party", "id": originator},
                    "action": {"type": "Action", "id": "release"},
                    "resource": {"type": "Party", "id": recipient},
                    "context": context,
                }
            )
        else:
            item_id, label = rng.choice(items)
            reader_id, reader = rng.choice(readers[label.held_by] + readers[label.originator])
            ours.append(("access", reader, label, at))
            cedar.append(
                {
                    "principal": {"type": "Reader", "id": reader_id},
                    "action": {"type": "Action", "id": "access"},
                    "resource": {"type": "Item", "id": item_id},
                    "context": {},
                }
            )
    return Workload(ours, cedar, entities)


def _access_pools(
    book: AgreementBook, rng: random.Random, entities: list[dict[str, Any]]
) -> tuple[list[tuple[str, Label]], dict[str, list[tuple[str, Reader]]]]:
    items: list[tuple[str, Label]] = []
    while len(items) < 300:
        originator, holder = rng.sample(ORIGINATORS, 2)
        level = rng.choice(book.scheme(originator).levels)
        agreement = book.bilateral(originator, holder)[0]
        marking = agreement.equivalent_marking(level, holder)
        if marking is None:
            continue
        original = Label(originator, level, rng.choice(TOPICS))
        label = original.received_by(holder, book.scheme(holder).by_marking(marking))
        assert label.holder_level is not None
        item_id = f"item-{len(items)}"
        items.append((item_id, label))
        entities.append(
            {
                "uid": {"type": "Item", "id": item_id},
                "attrs": {
                    "originator": originator,
                    "holder": holder,
                    "originator_rank": level.rank,
                    "holder_rank": label.holder_level.rank,
                    "topic": label.topic,
                },
                "parents": [],
            }
        )
    readers: dict[str, list[tuple[str, Reader]]] = {p: [] for p in ORIGINATORS}
    for index in range(300):
        party = ORIGINATORS[index % 3]
        clearance = rng.choice([None, *book.scheme(party).levels])
        topics = frozenset(t for t in TOPICS if rng.random() < 0.5)
        reader_id = f"reader-{index}"
        readers[party].append((reader_id, Reader(party, clearance, topics)))
        entities.append(
            {
                "uid": {"type": "Reader", "id": reader_id},
                "attrs": {
                    "party": party,
                    "clearance_rank": clearance.rank if clearance else -1,
                    "need_to_know": sorted(topics),
                },
                "parents": [],
            }
        )
    return items, readers


def run_gsomia(book: AgreementBook, requests: list[tuple[Any, ...]]) -> list[bool]:
    verdicts = []
    for request in requests:
        if request[0] == "release":
            verdicts.append(decide_release(book, request[1], request[2], request[3]).allowed)
        else:
            verdicts.append(decide_access(book, request[1], request[2], request[3]).allowed)
    return verdicts


def run_cedar(requests: list[dict[str, Any]], policies: Any, entities: Any) -> list[bool]:
    results = cedarpy.is_authorized_batch(requests, policies, entities)
    return [result.allowed for result in results]


def timed(function: Any, *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = function(*args)
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--accesses", type=int, default=300)
    args = parser.parse_args()

    book = builtin_book("kor-jpn-2019")
    workload = build_workload(book, args.requests)
    policies = cedarpy.PolicySet.from_str(POLICIES) if hasattr(cedarpy, "PolicySet") else POLICIES
    entities = (
        cedarpy.Entities.from_json_str(json.dumps(workload.entities))
        if hasattr(cedarpy, "Entities")
        else workload.entities
    )

    ours = run_gsomia(book, workload.gsomia)
    theirs = run_cedar(workload.cedar, policies, entities)
    mismatches = sum(1 for a, b in zip(ours, theirs, strict=True) if a != b)
    allowed = sum(ours)
    print(
        f"{args.requests} requests ({allowed} allowed); verdicts differing between engines: {mismatches}"
    )
    if mismatches:
        raise SystemExit("the two engines disagree: the comparison would be meaningless")

    rows = []
    for round_ in range(args.rounds):
        ours_time, _ = timed(run_gsomia, book, workload.gsomia)
        theirs_time, _ = timed(run_cedar, workload.cedar, policies, entities)
        rows.append((args.requests / ours_time, args.requests / theirs_time))
        print(
            f"round {round_ + 1}: gsomia {rows[-1][0]:>10,.0f}/s   cedarpy {rows[-1][1]:>10,.0f}/s"
        )
    ours_median = statistics.median(r[0] for r in rows)
    theirs_median = statistics.median(r[1] for r in rows)
    ratio = statistics.median(r[0] / r[1] for r in rows)
    print(
        f"median: gsomia {ours_median:,.0f} decisions/s, cedarpy {theirs_median:,.0f} decisions/s, "
        f"ratio gsomia/cedarpy {ratio:.2f}"
    )
    binding(args.accesses, args.rounds)


def binding(accesses: int, rounds: int) -> None:
    """What the ledger's attestation adds to an allowed access, beside the decision itself
    and the whole recorded use case."""
    import tempfile
    from pathlib import Path

    from gsomia.core.policy import Reader as CoreReader
    from gsomia.node.commands import items, keys, ledger, persons, setup
    from gsomia.node.commands.items import label_of
    from gsomia.node.context import Node
    from gsomia.node.settings import Settings
    from gsomia.store import registry as register

    passphrase = b"a benchmark passphrase"
    with tempfile.TemporaryDirectory() as directory:
        node, before = Node.create(Settings(database=f"sqlite:///{Path(directory) / 'r.db'}"))
        with node:
            setup.init(node, before, "KOR", "Asia/Seoul")
            keys.init_keys(node, passphrase)
            setup.load_history(node, "kor-jpn-2019")
            refs = [
                items.register_item(
                    node, title=f"item {n}", marking="II", topic="nk-missile", at="2017-05-15"
                ).reference
                for n in range(50)
            ]
            reader = persons.add_person(
                node, name="Kim", party=None, clearance="I", need_to_know=["nk-missile"]
            ).id
            ledger.head(node, passphrase)  # a signed checkpoint covers every row
            work = [refs[n % len(refs)] for n in range(accesses)]

            def decide_only() -> None:
                with node.read() as tx:
                    person = register.person(tx.connection, reader)
                    for ref in work:
                        item = register.item(tx.connection, ref)
                        clearance = tx.book.scheme("KOR").by_marking(person.clearance or "")
                        core = CoreReader("KOR", clearance, person.need_to_know)
                        decide_access(tx.book, core, label_of(tx, item), START)

            def attest_only() -> None:
                with node.read() as tx:
                    for ref in work:
                        item = register.item(tx.connection, ref)
                        tx.attest(("items", item.id), ("persons", reader))

            def use_case() -> None:
                for ref in work:
                    items.access_item(node, ref, reader, "2017-06-01")

            results: dict[str, list[float]] = {"decide": [], "attest": [], "use case": []}
            for _ in range(rounds):
                for name, function in (
                    ("decide", decide_only),
                    ("attest", attest_only),
                    ("use case", use_case),
                ):
                    elapsed, _ = timed(function)
                    results[name].append(elapsed / accesses)
    medians = {name: statistics.median(times) for name, times in results.items()}
    print(
        f"binding to the ledger, per allowed access (median of {rounds} rounds of {accesses}): "
        f"decision {medians['decide'] * 1e6:,.0f} µs (read + decide), attestation of item and "
        f"person {medians['attest'] * 1e6:,.0f} µs, whole recorded use case "
        f"{medians['use case'] * 1e3:,.2f} ms; the attestation is "
        f"{medians['attest'] / medians['use case']:.0%} of the use case"
    )


if __name__ == "__main__":
    main()
