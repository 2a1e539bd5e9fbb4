"""`gsomia impact` over a large registry, beside the same answer computed item by item.

Workload: Korea's registry with N items (default 1,000,000): 60 % its own, released to Japan
under the GSOMIA in 2017; 30 % received from Japan and 10 % from the United States, with 300
Korean readers. Markings, topics (three in TISA's scope, three outside), releasability and
caveats vary as a real registry's would, within a few dozen distinct combinations. The rows are
inserted directly in bulk (items, releases, persons): `impact` reads only those tables and
records nothing, and writing a million ledger entries first would measure the ledger, not the
answer.

Both sides answer *if KOR-JPN-GSOMIA-2016 were no longer in force from 23 Nov 2019, 00:00 KST*
on the same registry and must agree group by group:

- gsomia: `whatif.impact`, as `gsomia impact` runs it: the database groups the rows by
  everything a decision depends on, and each group is decided once;
- item by item: every row read and decided on its own (the same core functions, one flow and
  one holding per item), the totals then added up.

The item-by-item answer runs once (at a million items it takes minutes), gsomia's `--rounds`
times (median).

Run: .venv/bin/python bench/impact.py [--items N] [--rounds R] [--postgres URL]
(with --postgres, a database of its own is created there and dropped at the end)
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from gsomia.core.impact import Flow, Holding
from gsomia.core.impact import impact as core_impact
from gsomia.core.policy import decide_release
from gsomia.node.commands import items, setup, whatif
from gsomia.node.context import Node
from gsomia.node.schemas import ImpactView
from gsomia.node.settings import Settings
from gsomia.store import registry, tables

GSOMIA = "KOR-JPN-GSOMIA-2016"
AT = "2019-11-23T00:00+09:00"
SENT = datetime(2017, 3, 2, tzinfo=UTC)
TOPICS = ["nk-missile", "nk-nuclear", "nk-satellite", "naval-operations", "cyber", "general"]
RELEASABILITY: list[list[str] | None] = [None, None, None, ["KOR", "JPN"], ["KOR", "JPN", "USA"]]
CAVEATS = [[], [], ["ORCON"]]
BATCH = 20_000


def _templates(node: Node) -> dict[str, list[dict[str, Any]]]:
    """The combinations items are drawn from, with each received copy's equivalent marking
    taken from the agreements (Art 4)."""
    with node.read() as tx:
        book = tx.book
        kor = [lv for lv in book.scheme("KOR").levels if lv.rank in (2, 3)]
        found: dict[str, list[dict[str, Any]]] = {"KOR": [], "JPN": [], "USA": []}
        for level in kor:
            for topic in TOPICS:
                found["KOR"].append({"originator": "KOR", "level": level, "topic": topic})
        for party in ("JPN", "USA"):
            for level in [lv for lv in book.scheme(party).levels if lv.rank in (2, 3)]:
                for topic in TOPICS:
                    label = tx.label(party, level.marking, topic)
                    held = decide_release(book, label, "KOR", SENT).recipient_level
                    assert held is not None
                    found[party].append(
                        {"originator": party, "level": level, "topic": topic, "held": held}
                    )
        return found


def populate(node: Node, count: int, seed: int = 2019) -> None:
    """`count` items, their releases and 300 readers, inserted in bulk."""
    rng = random.Random(seed)
    templates = _templates(node)
    now = datetime.now(UTC)
    with node.write() as tx:
        connection = tx.connection
        decision = connection.execute(
            insert(tables.decisions)
            .values(kind="release", at=SENT, allowed=True, agreement_id=GSOMIA, request={})
            .values(recorded_at=now)
            .returning(tables.decisions.c.id)
        ).scalar_one()
        for number in range(300):
            person = connection.execute(
                insert(tables.persons)
                .values(
                    name=f"Reader {number:03d}",
                    party="KOR",
                    position="",
                    clearance=rng.choice(["군사Ⅱ급비밀", "군사Ⅲ급비밀", None]),
                    recorded_at=now,
                )
                .returning(tables.persons.c.id)
            ).scalar_one()
            for topic in rng.sample(TOPICS, 2):
                connection.execute(
                    insert(tables.need_to_know).values(person_id=person, topic=topic)
                )
    for start in range(0, count, BATCH):
        item_rows, release_rows = [], []
        for number in range(start, min(count, start + BATCH)):
            draw = rng.random()
            party = "KOR" if draw < 0.6 else "JPN" if draw < 0.9 else "USA"
            template = rng.choice(templates[party])
            level = template["level"]
            releasable = rng.choice(RELEASABILITY)
            item_rows.append(
                {
                    "id": number + 1,
                    "reference": f"BENCH-{number:07d}",
                    "title": f"Report {number}",
                    "originator": party,
                    "marking": level.marking,
                    "english": level.english,
                    "topic": template["topic"],
                    "purpose": "",
                    "releasable_to": sorted({*releasable, party}) if releasable else None,
                    "caveats": rng.choice(CAVEATS),
                    "holder": "KOR",
                    "holder_marking": template["held"].marking if party != "KOR" else None,
                    "received_from": party if party != "KOR" else None,
                    "originator_reference": f"{party}-{number}" if party != "KOR" else None,
                    "registered_at": SENT,
                    "recorded_at": now,
                }
            )
            if party == "KOR":
                release_rows.append(
                    {
                        "item_id": number + 1,
                        "kind": "release",
                        "from_party": "KOR",
                        "to_party": "JPN",
                        "at": SENT,
                        "agreement_id": GSOMIA,
                        "recipient_marking": level.marking,
                        "decision_id": decision,
                    }
                )
        with node.write() as tx:
            tx.connection.execute(insert(tables.items), item_rows)
            if release_rows:
                tx.connection.execute(insert(tables.releases), release_rows)


def item_by_item(node: Node) -> ImpactView:
    """The same question, each item read and decided on its own."""
    columns = [
        tables.items.c.originator,
        tables.items.c.marking,
        tables.items.c.topic,
        tables.items.c.releasable_to,
        tables.items.c.caveats,
        tables.items.c.holder,
        tables.items.c.holder_marking,
    ]
    with node.read() as tx:
        book = tx.book
        instant = tx.instant(AT, "KOR", "JPN")
        flows: list[Flow] = []
        holdings: list[Holding] = []
        sent = (
            select(*columns, tables.releases.c.to_party)
            .join(tables.releases, tables.releases.c.item_id == tables.items.c.id)
            .where(tables.releases.c.agreement_id == GSOMIA, tables.releases.c.kind == "release")
        )
        for row in tx.connection.execute(sent):
            flows.append(
                Flow(whatif.group_label(book, _one(row, row.to_party), held=False), row.to_party, 1)
            )
        held = select(*columns, tables.items.c.received_from).where(
            tables.items.c.holder == "KOR", tables.items.c.originator == "JPN"
        )
        for row in tx.connection.execute(held):
            group = _one(row, row.received_from)
            holdings.append(Holding(whatif.group_label(book, group, held=True), 1))
            if row.received_from == row.originator:
                flows.append(Flow(whatif.group_label(book, group, held=False), "KOR", 1))
        readers = {p.name: items.reader_of(book, p) for p in registry.persons(tx.connection)}
        return ImpactView.of(core_impact(book, GSOMIA, instant, flows, holdings, readers))


def _one(row: Any, party: str | None) -> registry.ItemGroup:
    return registry.ItemGroup(
        originator=row.originator,
        marking=row.marking,
        topic=row.topic,
        releasable_to=frozenset(row.releasable_to) if row.releasable_to is not None else None,
        caveats=tuple(row.caveats),
        holder=row.holder,
        holder_marking=row.holder_marking,
        party=party,
        items=1,
    )


def summary(view: ImpactView) -> Counter[tuple[Any, ...]]:
    """Items per (flow, outcome) and per (holding, readers): what both sides must agree on."""
    found: Counter[tuple[Any, ...]] = Counter()
    for flow in view.flows:
        found[("flow", flow.sender, flow.to, flow.marking, flow.topic, flow.outcome)] += flow.items
    for holding in view.holdings:
        readers = tuple(holding.readers)
        found[("holding", holding.originator, holding.marking, holding.topic, readers)] += (
            holding.items
        )
    return found


@contextmanager
def registry_at(postgres: str | None) -> Iterator[str]:
    if postgres is None:
        with tempfile.TemporaryDirectory(prefix="gsomia-bench-") as directory:
            yield f"sqlite:///{Path(directory) / 'registry.db'}"
        return
    name = f"gsomia_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL to use")
    args = parser.parse_args()
    with registry_at(args.postgres) as url, tempfile.TemporaryDirectory() as content:
        node, before = Node.create(Settings(database=url, content_dir=Path(content)))
        with node:
            setup.init(node, before, "KOR", "Asia/Seoul")
            start = time.perf_counter()
            populate(node, args.items)
            backend = node.engine.dialect.name
            print(
                f"{backend}: {args.items:,} items inserted in {time.perf_counter() - start:.0f} s"
            )
            grouped = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                ours = whatif.impact(node, GSOMIA, AT)
                grouped.append(time.perf_counter() - start)
            start = time.perf_counter()
            theirs = item_by_item(node)
            single = time.perf_counter() - start
            if summary(ours) != summary(theirs):
                raise SystemExit("the grouped and item-by-item answers differ")
    print(
        f"same answer: {len(ours.flows)} flow groups covering "
        f"{sum(f.items for f in ours.flows):,} items (continuing {ours.items_continuing:,}, "
        f"rerouted {ours.items_rerouted:,}, stopped {ours.items_stopped:,}); "
        f"{len(ours.holdings)} holdings of {ours.items_protected:,} items still protected"
    )
    a = statistics.median(grouped)
    print(
        f"gsomia impact {a:.2f} s (median of {args.rounds}), item by item {single:.1f} s "
        f"(once), ratio {single / a:.0f}"
    )


if __name__ == "__main__":
    main()
