"""The demo's story told against two real registries: Korea's node and Japan's node.

Items are exchanged on the story's days, the 2019 notice, its suspension and its withdrawal
are recorded from the built-in history, and at each turn the report asks the registries what
the agreements allow — including the question of November 2019: what stops at midnight?
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from rich.console import Console
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from gsomia.core.agreements import Event, EventKind, Lifecycle
from gsomia.core.calendar import parse_instant
from gsomia.demo import forgery
from gsomia.errors import OpenError
from gsomia.ledger.checkpoint import VerifierKey
from gsomia.ledger.errors import RowNotAttested
from gsomia.node import queries
from gsomia.node.commands import items, keys, ledger, lifecycle, persons, sealing, setup, whatif
from gsomia.node.context import Node
from gsomia.node.schemas import DecisionView, Model
from gsomia.node.settings import Settings
from gsomia.reference import history_path, parse_history, read_text


def story() -> dict[str, Any]:
    """The story, as data."""
    text = resources.files("gsomia.demo").joinpath("story.yaml").read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


@dataclass(frozen=True)
class Exchange:
    day: str
    occasion: str
    originator: str
    marking: str
    topic: str
    title: str


class Demo:
    def __init__(self, out: Console, nodes: dict[str, Node], directory: Path) -> None:
        self.out = out
        self.nodes = nodes
        self.directory = directory
        self.story = story()
        self.zone = ZoneInfo(self.story["zone"])
        self.gsomia = self.story["agreement"]
        self.passphrase = self.story["passphrase"].encode()
        self.exchanges = [Exchange(**e) for e in self.story["exchanges"]]
        self.timeline: list[tuple[datetime, str]] = []
        self.received: dict[str, str] = {}
        self.people: dict[str, int] = {}
        with nodes["KOR"].read() as tx:
            path = history_path(self.story["history"])
            _, self.history = parse_history(read_text(path), str(path), tx.book.agreements)

    # -- telling ---------------------------------------------------------------------------

    def section(self, title: str) -> None:
        self.out.print()
        self.out.print(Rule(Text(title, style="bold"), align="left"))

    def say(self, text: str) -> None:
        self.out.print(text, markup=False)

    def at(self, text: str) -> datetime:
        return parse_instant(text, self.zone)

    def show(self, at: datetime) -> str:
        local = at.astimezone(self.zone)
        return local.strftime(
            "%Y-%m-%d" if local.hour == local.minute == 0 else "%Y-%m-%d %H:%M KST"
        )

    def day(self, at: datetime) -> str:
        return at.astimezone(self.zone).strftime("%-d %b %Y")

    def last_day(self, exclusive_end: datetime) -> str:
        """The last whole day before an exclusive deadline, as people say it."""
        local = exclusive_end.astimezone(self.zone)
        return (local - timedelta(microseconds=1)).strftime("%-d %b %Y") + " (end of day)"

    @staticmethod
    def verdict(decision: DecisionView | Any) -> str:
        if decision.allowed:
            return "allowed"
        return "denied (" + ", ".join(r.code for r in decision.reasons) + ")"

    def reasons(self, decision: DecisionView | Any) -> None:
        for reason in decision.reasons:
            cite = f"{reason.agreement} {reason.article}" if reason.article else "—"
            self.say(f"    {reason.code} · {reason.message} ({cite})")

    def table(self, columns: list[str], rows: list[list[str]], title: str | None = None) -> None:
        shown = Table(title=title, title_justify="left")
        for column in columns:
            shown.add_column(column)
        for row in rows:
            shown.add_row(*(Text(cell) for cell in row))
        self.out.print(shown)

    # -- the story -----------------------------------------------------------------------------

    def run(self) -> None:
        acts = self.story["acts"]
        self.agreements()
        self.entry_into_force()
        self.register_people()
        self.exchange_act(acts["early_exchanges"])
        self.grade_one()
        self.access_checks()
        self.sealed_exchange()
        self.exchange_act(acts["exchanges_2019"])
        self.notice()
        self.midnight_question()
        self.suspension()
        self.exchange_act(acts["exchanges_2022"])
        self.withdrawal()
        self.ledger()
        self.summary()
        self.section("Live: three nodes talking (KOR, JPN, USA)")
        from gsomia.demo import live

        live.play(self.out, self.directory, self.story, self.passphrase)

    def agreements(self) -> None:
        self.section("The agreements (reference data, loaded into both registries)")
        found = queries.agreements(self.nodes["KOR"])
        rows = []
        for a in found:
            term = (
                f"{a.term.months}-month terms, renewed automatically" if a.term else "no fixed term"
            )
            notice = f"; {a.notice.days} days' notice" if a.notice else ""
            hub = f" (hub {a.hub})" if a.hub else ""
            scope = ", ".join(a.topics) if a.topics != "all" else "all military information"
            rows.append(
                [
                    a.id,
                    ", ".join(a.parties) + hub,
                    self.day(a.entry_into_force),
                    term + notice,
                    scope,
                ]
            )
        self.table(["agreement", "parties", "in force from", "term and notice", "scope"], rows)
        gsomia = next(a for a in found if a.id == self.gsomia)
        rows = [
            [str(row["english"]), " / ".join(row["KOR"]), " / ".join(row["JPN"])]
            for row in gsomia.equivalence
        ]
        rows.append(["TOP SECRET", "군사Ⅰ급비밀: not covered", "機密: not covered"])
        self.table(
            ["English", "Korea", "Japan"], rows, "Art 4: how each side marks what it receives"
        )

    def entry_into_force(self) -> None:
        self.section("23 Nov 2016: the GSOMIA enters into force")
        at = self.at("2016-11-23")
        status = queries.status(self.nodes["KOR"], self.gsomia, at)
        assert status.term_end is not None and status.notice_deadline is not None
        self.say(
            f"State: {status.state}. The first term runs to {self.show(status.term_end)}; each "
            "year it renews itself unless a party gives 90 days' written notice (Art 21)."
        )
        self.say(
            f"To end the first term, notice had to arrive by {self.last_day(status.notice_deadline)}."
        )
        self.timeline.append((at, "GSOMIA signed in Seoul and in force"))

    def register_people(self) -> None:
        self.section("The registries' readers (Art 7: clearance and need-to-know, never rank)")
        for person in self.story["people"]:
            added = persons.add_person(
                self.nodes[person["registry"]],
                name=person["name"],
                party=None,
                clearance=person["clearance"],
                need_to_know=person["need_to_know"],
                position=person["position"],
            )
            self.people[person["key"]] = added.id
        rows = []
        for party, node in self.nodes.items():
            for p in queries.persons(node):
                rows.append(
                    [
                        party,
                        p.name,
                        p.position,
                        p.clearance or "none",
                        ", ".join(p.need_to_know) or "none",
                    ]
                )
        self.table(["registry", "person", "position", "clearance", "need-to-know"], rows)

    def exchange_act(self, act: dict[str, Any]) -> None:
        self.section(act["title"])
        rows = [self.exchange(e) for e in self.exchanges[act["from"] : act["to"]]]
        self.table(
            [
                "day",
                "after",
                "item",
                "from → to",
                "originator's marking",
                "receiver's copy",
                "decisions",
            ],
            rows,
            "The originator releases; the receiver marks its copy (Art 4)",
        )

    def exchange(self, exchange: Exchange) -> list[str]:
        """Release from the originator's registry, receipt in the partner's."""
        sender = self.nodes[exchange.originator]
        receiver_party = "JPN" if exchange.originator == "KOR" else "KOR"
        at = self.at(exchange.day)
        item = items.register_item(
            sender,
            title=exchange.title,
            marking=exchange.marking,
            topic=exchange.topic,
            at=at,
            purpose="early warning",
        )
        released = items.release_item(sender, item.reference, receiver_party, at)
        received = items.receive_item(
            self.nodes[receiver_party],
            title=exchange.title,
            originator=exchange.originator,
            marking=exchange.marking,
            topic=exchange.topic,
            at=at,
            originator_reference=item.reference,
            purpose="early warning",
        )
        copy = "—"
        if received.item is not None:
            copy = (
                f"{received.item.reference}: {received.item.holder_marking}, "
                f"originator {received.item.originator}"
            )
            self.received[item.reference] = received.item.reference
        self.timeline.append((at, f"{exchange.originator} → {receiver_party}: {exchange.title}"))
        return [
            exchange.day,
            exchange.occasion,
            item.reference,
            f"{exchange.originator} → {receiver_party}",
            item.marking,
            copy,
            f"release {self.verdict(released)}, receipt {self.verdict(received)}",
        ]

    def grade_one(self) -> None:
        self.section("What never goes: Korea's Grade Ⅰ")
        kor = self.nodes["KOR"]
        plan = self.story["grade_one"]
        at = self.at(plan["day"])
        item = items.register_item(
            kor, title=plan["title"], marking=plan["marking"], topic=plan["topic"], at=at
        )
        outcome = items.release_item(kor, item.reference, "JPN", at)
        self.say(
            f"Korea asks to release {item.reference} ({item.marking}) to Japan: "
            f"{self.verdict(outcome)}"
        )
        self.reasons(outcome)

    def access_checks(self) -> None:
        self.section("Who in Japan may read a Korean item (Art 7)")
        jpn = self.nodes["JPN"]
        copy = self.received["KOR-2017-0001"]
        at = self.at(self.story["access_day"])
        for key in ("analyst", "general"):
            person = queries.person(jpn, self.people[key])
            outcome = items.access_item(jpn, copy, person.id, at)
            self.say(
                f"{person.name} ({person.position}, cleared {person.clearance}) reads {copy}: "
                f"{self.verdict(outcome)}"
            )
            self.reasons(outcome)

    def sealed_exchange(self) -> None:
        self.section("Content travels only sealed (OpenTDF/ZTDF, label bound by signature)")
        kor, jpn = self.nodes["KOR"], self.nodes["JPN"]
        secret = self.passphrase
        for node in (kor, jpn):
            keys.init_keys(node, secret)
        for giver, taker in ((kor, jpn), (jpn, kor)):
            document = keys.export_public(giver, secret)
            keys.import_public(taker, _json(document), trust=True)
        self.say("Each node made its keys (Ed25519, RSA-2048, EC P-256) and pinned the other's.")
        plan = self.story["sealed"]
        at = self.at(plan["day"])
        report = self.directory / plan["file"]
        report.write_text(plan["content"], encoding="utf-8")
        item = items.register_item(
            kor,
            title=plan["title"],
            marking=plan["marking"],
            topic=plan["topic"],
            at=at,
            file=report,
            passphrase=secret,
        )
        report.unlink()
        released = items.release_item(kor, item.reference, "JPN", at, secret)
        assert released.sealed_copy is not None
        copy = Path(released.sealed_copy)
        view = sealing.inspect_file(jpn, copy)
        assert view.label is not None
        self.say(
            f"Korea registers {item.reference} with its content, stored only sealed, and "
            f"releases it to Japan: {self.verdict(released)}. The copy is sealed again for "
            f"Japan alone ({view.recipients[0].kid}), labelled {view.label.marking} from "
            f"{view.label.originator} for holder {view.label.holder}, and signed by Korea "
            f"({view.integrity.label})."
        )
        forged = self.directory / "forged.tdf"
        forgery.relabel(copy, forged, Topic=plan["forged_topic"])
        try:
            items.receive_sealed(jpn, forged, at=at, passphrase=secret)
        except OpenError as refused:
            self.say(f"A copy whose label was edited on the way is refused: {refused.message}")
        forged.unlink()
        received = items.receive_sealed(jpn, copy, at=at, passphrase=secret)
        assert received.item is not None
        opened = self.directory / "opened.txt"
        access = items.open_item(
            jpn, received.item.reference, self.people["analyst"], at, opened, secret
        )
        first_line = opened.read_text(encoding="utf-8").splitlines()[0]
        opened.unlink()
        self.say(
            f"Japan verifies the genuine copy and registers it as {received.item.reference} "
            f"({received.item.holder_marking}); {self.verdict(access)} for its cleared "
            f"analyst, who reads: “{first_line}”"
        )
        self.sealed_copy = received.item.reference

    def record(self, kind: EventKind) -> Event:
        event = next(e for e in self.history if e.kind is kind)
        for node in self.nodes.values():
            lifecycle.record_event(
                node, event.agreement, event.kind, event.by, event.at, event.note
            )
        self.timeline.append((event.at, f"{event.kind.value} by {event.by}: {event.note}"))
        return event

    def notice(self) -> None:
        self.section("22–23 Aug 2019: Korea gives notice of termination")
        kor = self.nodes["KOR"]
        status = queries.status(kor, self.gsomia, self.at("2019-08-22"))
        assert status.notice_deadline is not None and status.term_end is not None
        self.say(
            f"The running term ends at {self.show(status.term_end)} (the end of 22 Nov). A "
            f"notice that is to end it must arrive 90 days ahead: before "
            f"{self.show(status.notice_deadline)}, so the last day was "
            f"{self.last_day(status.notice_deadline)}. The deadline and the expiry are two "
            "different dates."
        )
        event = self.record(EventKind.TERMINATION_NOTICE)
        with kor.read() as tx:
            notice = tx.book.lifecycle(self.gsomia).notice_at(event.at)
            agreement = tx.book.agreement(self.gsomia)
        assert notice is not None
        self.say(
            f"Korea's note verbale is delivered on {self.day(event.at)}: "
            f"{'late' if notice.late else 'in time'}. Without reversal the agreement lapses at "
            f"{self.show(notice.takes_effect_at)}."
        )
        late = Lifecycle(agreement).notice_effect(self.at(self.story["late_notice_day"]))
        self.say(
            "Had the note arrived on 26 Aug instead, it would have been late and would not have "
            f"ended the running term: the agreement would have run until {self.show(late[0])}."
        )

    def midnight_question(self) -> None:
        self.section("November 2019: what stops at midnight on 22 November?")
        self.say(
            "Asked of the registry as the history stood on the afternoon of 22 Nov (the notice "
            "standing):"
        )
        kor = self.nodes["KOR"]
        plan = self.story["midnight"]
        before, after = self.at(plan["before"]), self.at(plan["after"])
        states = [queries.status(kor, self.gsomia, t).state for t in (before, after)]
        rows = [["state of the GSOMIA", *states]]
        for question in plan["direct_questions"]:
            rows.append(
                [
                    f"direct release: {question['label']}",
                    *(
                        self.verdict(
                            whatif.release(
                                kor, "KOR", "JPN", question["marking"], question["topic"], t
                            )
                        )
                        for t in (before, after)
                    ),
                ]
            )
        self.table(["question", "22 Nov 23:59 KST", "23 Nov 00:00 KST"], rows)
        first = plan["direct_questions"][0]
        denied = whatif.release(kor, "KOR", "JPN", first["marking"], first["topic"], after)
        self.say("At midnight a direct release is denied:")
        self.reasons(denied)

        self.say(
            "\nWhat can still flow through the United States under TISA, and on what conditions?"
        )
        for topic in plan["hub_topics"]:
            found = whatif.legal_routes(kor, "KOR", "JPN", first["marking"], topic, after)
            if not found:
                self.say(
                    f"  {topic}: no legal route — TISA covers only North Korean nuclear and "
                    "missile threats"
                )
                continue
            for route in found:
                markings = " → ".join(hop.recipient_marking for hop in route.hops)
                consents = "; ".join(
                    f"needs {c.originator}'s approval to reach {c.to}"
                    for c in route.consents_required
                )
                self.say(
                    f"  {topic}: {' → '.join(route.path)} under {', '.join(route.agreements)}; "
                    f"marked {markings}; {consents}"
                )

        whole = whatif.impact(kor, self.gsomia, after)
        self.say(
            f"\nThe same question over Korea's whole registry at once (gsomia impact, a what-if): "
            f"of the items Korea sent to Japan or received from it, {whole.items_rerouted} can "
            f"still flow through the United States with the originator's approval, "
            f"{whole.items_stopped} cannot (topics TISA does not cover), "
            f"{whole.items_continuing} continue under another agreement; the "
            f"{whole.items_protected} items Korea received from Japan stay protected."
        )

        self.say(
            "\nWhat stays protected? Everything already exchanged (Art 21). In Japan's registry:"
        )
        jpn = self.nodes["JPN"]
        copy = self.received["KOR-2017-0001"]
        held = queries.items(jpn, holder="JPN", originator="KOR")
        access = items.access_item(jpn, copy, self.people["analyst"], after)
        self.say(
            f"  Japan holds {len(held)} Korean items. At midnight, {copy} read by the cleared "
            f"analyst: {self.verdict(access)}"
        )
        self.reasons(access)
        transfer = items.transfer_item(jpn, copy, "USA", after)
        self.say(
            f"  Japan passing {copy} to the United States without Korea's written consent: "
            f"{self.verdict(transfer)}"
        )
        self.reasons(transfer)

    def suspension(self) -> None:
        self.section("22 Nov 2019, 18:00 KST: Korea suspends the effect of its notice")
        event = self.record(EventKind.NOTICE_SUSPENDED)
        kor = self.nodes["KOR"]
        midnight = self.at(self.story["midnight"]["after"])
        status = queries.status(kor, self.gsomia, midnight)
        assert status.term_end is not None
        self.say(
            f"Recorded at {self.show(event.at)}. At midnight the state is {status.state}: the "
            f"agreement renews into a new term ending {self.show(status.term_end)}."
        )
        first = self.story["midnight"]["direct_questions"][0]
        decision = whatif.release(kor, "KOR", "JPN", first["marking"], first["topic"], midnight)
        self.say(f"Direct release of missile data at midnight: {self.verdict(decision)}")
        reactivated_at = self.at(self.story["reactivation_day"])
        with kor.read() as tx:
            rule = tx.book.agreement(self.gsomia).notice
            book = tx.book.with_event(
                Event(self.gsomia, EventKind.NOTICE_REACTIVATED, "KOR", reactivated_at)
            )
        notice = book.lifecycle(self.gsomia).notice_at(reactivated_at)
        assert rule is not None and notice is not None
        self.say(
            "The treaty has no article on suspension. In 2020 Korea said the notice could be "
            f"reactivated. Under this registry's setting ({rule.reactivation.value}), a "
            f"reactivation on {self.day(reactivated_at)} would end the agreement at "
            f"{self.show(notice.takes_effect_at)} (a what-if: nothing was recorded)."
        )

    def withdrawal(self) -> None:
        self.section("21 Mar 2023: Korea withdraws both 2019 notes")
        event = self.record(EventKind.NOTICE_WITHDRAWN)
        status = queries.status(self.nodes["KOR"], self.gsomia, event.at)
        assert status.term_end is not None and status.notice_deadline is not None
        self.say(
            f"State: {status.state}; ordinary annual renewal resumes. The running term ends "
            f"{self.show(status.term_end)}; notice to end it would be due by "
            f"{self.last_day(status.notice_deadline)}."
        )

    def ledger(self) -> None:
        self.section("Every decision above is in a tamper-evident ledger, bound to the registry")
        kor, jpn = self.nodes["KOR"], self.nodes["JPN"]
        for party, node in self.nodes.items():
            head = ledger.head(node, self.passphrase)
            report = ledger.verify(node)
            self.say(
                f"{party}: {head.size} entries, checkpoint signed as gsomia/{party}; verify: "
                f"{'intact' if report.ok else 'damaged'} ({report.rows_checked} registry rows "
                "match it)"
            )
        found = ledger.entries(kor, 0, 1_000_000)
        notice = next(e.position for e in found if e.kind == "lifecycle_event")
        bundle = ledger.prove(kor, notice)
        checked = ledger.check(bundle.to_json(), [VerifierKey.from_vkey(ledger.vkey(kor))])
        self.say(
            f"Japan, holding Korea's verifier key, checks that entry {checked.entry} (Korea's "
            f"2019 notice) is in Korea's signed log of {checked.tree_size} entries: verified."
        )
        forged = self.directory / "kor-forged.db"
        forgery.copy_database(self.directory / "kor.db", forged)
        forged_url = f"sqlite:///{forged}"
        forgery.rewrite_entry(forged_url, notice, at=self.story["backdated_to"])
        with Node.open(Settings(database=forged_url)) as copy:
            report = ledger.verify(copy)
        self.say(
            "Someone with access to Korea's database rewrites that entry's date in a copy of "
            f"it: verify finds {len(report.problems)} problem(s), the history diverging at "
            f"entry {report.first_divergence}."
        )
        general = self.people["general"]
        forgery.grant_need_to_know(_url(jpn), general, "nk-missile")
        try:
            items.access_item(jpn, self.received["KOR-2017-0001"], general, self.at("2023-04-01"))
        except RowNotAttested as refused:
            self.say(
                "Someone gives the Lieutenant General need-to-know by editing Japan's database: "
                f"his next access is refused at once ({refused.message})."
            )
        report = ledger.verify(jpn)
        named = "; ".join(p.message for p in report.problems if p.table)
        self.say(f"Japan's verify names the row: {named}.")

    def summary(self) -> None:
        self.section("Timeline")
        self.table(
            ["when (Seoul)", "what"],
            [[self.show(at), what] for at, what in sorted(self.timeline, key=lambda e: e[0])],
        )
        self.section("The registries now hold")
        rows = []
        for party, node in self.nodes.items():
            held = queries.items(node)
            made = queries.decisions(node)
            allowed = sum(1 for d in made if d.allowed)
            rows.append(
                [
                    party,
                    str(sum(1 for i in held if i.originator == party)),
                    str(sum(1 for i in held if i.originator != party)),
                    str(len(queries.releases(node))),
                    f"{allowed} / {len(made) - allowed}",
                ]
            )
        self.table(
            [
                "registry",
                "items originated",
                "items received",
                "releases",
                "decisions (allowed / denied)",
            ],
            rows,
        )
        self.say(
            "Every decision above is stored with its reasons: try "
            "gsomia --db sqlite:///<dir>/kor.db decision list with --keep."
        )


def _json(document: Model | dict[str, Any]) -> str:
    import json

    return json.dumps(document if isinstance(document, dict) else document.to_json())


def _url(node: Node) -> str:
    return node.url.render_as_string(hide_password=False)


@contextmanager
def _directory(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        for name in ("kor", "jpn"):
            for suffix in (".db", ".db-wal", ".db-shm"):
                (keep / f"{name}{suffix}").unlink(missing_ok=True)
            shutil.rmtree(keep / f"{name}.content", ignore_errors=True)
        (keep / "kor-forged.db").unlink(missing_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="gsomia-demo-") as name:
        yield Path(name)


def run(keep: Path | None = None, out: Console | None = None) -> None:
    """Play the demo on two fresh SQLite registries (kept in `keep` if given)."""
    if out is None:
        # Piped output (a log, a CI job) gets a width at which the report's tables stay readable.
        out = Console(highlight=False, soft_wrap=True, markup=False)
        if not out.is_terminal:
            out = Console(highlight=False, width=140, soft_wrap=True, markup=False)
    told = story()
    with _directory(keep) as directory, ExitStack() as stack:
        nodes = {}
        for party, settings in told["nodes"].items():
            node, before = Node.create(
                Settings(database=f"sqlite:///{directory / party.lower()}.db")
            )
            stack.enter_context(node)
            setup.init(node, before, party, settings["time_zone"])
            nodes[party] = node
        out.print(Text(told["title"], style="bold"))
        out.print(
            f"Two registries on fresh SQLite files in {directory}: Korea's node and Japan's node.",
            markup=False,
        )
        out.print(told["illustrative"], markup=False)
        Demo(out, nodes, directory).run()
