"""The demo: the Korea–Japan GSOMIA replayed from 2016 to 2023 on two fresh registries.

Korea's node and Japan's node each keep their own SQLite registry. Items are exchanged on the
days after North Korean launches (illustrative exchanges on real dates: the public record
gives only their number), the 2019 notice, suspension and withdrawal are recorded from the
built-in history `kor-jpn-2019`, and at each turn the report asks the registries what the
agreements allow — including the question of November 2019: what stops at midnight?
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.rule import Rule
from rich.table import Table
from sqlalchemy import create_engine, select, update

from gsomia.core.agreements import Event, EventKind, Lifecycle
from gsomia.core.calendar import parse_instant
from gsomia.core.policy import Decision
from gsomia.errors import OpenError
from gsomia.formats import ztdf
from gsomia.ledger import log
from gsomia.ledger.checkpoint import VerifierKey
from gsomia.node import content, items, keys, lifecycle, sealing, setup, whatif
from gsomia.node import ledger as node_ledger
from gsomia.node.registry import Registry
from gsomia.reference import history_path, parse_history, read_text
from gsomia.store import decisions as decision_store
from gsomia.store import registry as records
from gsomia.store import tables

GSOMIA = "KOR-JPN-GSOMIA-2016"
TISA = "KOR-JPN-USA-TISA-2014"
SEOUL = ZoneInfo("Asia/Seoul")


@dataclass(frozen=True)
class Exchange:
    day: str
    occasion: str
    originator: str
    marking: str
    topic: str
    title: str


EXCHANGES = (
    Exchange(
        "2016-11-24",
        "first exchange under the new agreement",
        "JPN",
        "秘",
        "nk-missile",
        "Assessment of the September 2016 Musudan launches",
    ),
    Exchange(
        "2017-02-13",
        "Pukguksong-2 launch of 12 Feb",
        "KOR",
        "군사Ⅱ급비밀",
        "nk-missile",
        "Pukguksong-2 trajectory analysis",
    ),
    Exchange(
        "2017-03-07",
        "four extended-range Scuds of 6 Mar",
        "JPN",
        "極秘",
        "nk-missile",
        "Splash-down points in the Sea of Japan",
    ),
    Exchange(
        "2017-05-15",
        "Hwasong-12 launch of 14 May",
        "KOR",
        "군사Ⅱ급비밀",
        "nk-missile",
        "Hwasong-12 lofted trajectory data",
    ),
    Exchange(
        "2017-07-05",
        "Hwasong-14 ICBM of 4 Jul",
        "JPN",
        "極秘",
        "nk-missile",
        "Hwasong-14 re-entry observations",
    ),
    Exchange(
        "2017-08-30",
        "Hwasong-12 over Hokkaido, 29 Aug",
        "KOR",
        "군사Ⅲ급비밀",
        "nk-missile",
        "Launch-site imagery summary, Sunan",
    ),
    Exchange(
        "2017-09-04",
        "sixth nuclear test of 3 Sep",
        "KOR",
        "군사Ⅱ급비밀",
        "nk-nuclear",
        "Punggye-ri seismic yield estimate",
    ),
    Exchange(
        "2017-11-30",
        "Hwasong-15 of 29 Nov",
        "JPN",
        "極秘",
        "nk-missile",
        "Hwasong-15 flight profile",
    ),
    Exchange(
        "2019-05-10",
        "KN-23 launches of 9 May",
        "KOR",
        "군사Ⅲ급비밀",
        "nk-missile",
        "KN-23 short-range ballistic missile assessment",
    ),
    Exchange(
        "2022-05-26",
        "ICBM and short-range launches of 25 May",
        "JPN",
        "極秘",
        "nk-missile",
        "Combined launch detection report",
    ),
    Exchange(
        "2022-10-05",
        "missile over Japan, 4 Oct",
        "KOR",
        "군사Ⅱ급비밀",
        "nk-missile",
        "Intermediate-range missile tracking data",
    ),
    Exchange(
        "2022-11-19",
        "Hwasong-17 of 18 Nov",
        "JPN",
        "極秘",
        "nk-missile",
        "Hwasong-17 impact area in Japan's EEZ",
    ),
)


def _show(at: datetime) -> str:
    local = at.astimezone(SEOUL)
    return local.strftime("%Y-%m-%d" if local.hour == local.minute == 0 else "%Y-%m-%d %H:%M KST")


def _day(at: datetime) -> str:
    return at.astimezone(SEOUL).strftime("%-d %b %Y")


class Demo:
    def __init__(self, out: Console, kor: Registry, jpn: Registry, directory: Path) -> None:
        self.out = out
        self.directory = directory
        self.nodes = {"KOR": kor, "JPN": jpn}
        self.timeline: list[tuple[datetime, str]] = []
        path = history_path("kor-jpn-2019")
        _, self.history = parse_history(read_text(path), str(path), kor.book().agreements)
        self.received: dict[str, str] = {}

    # -- helpers -------------------------------------------------------------------------------

    def section(self, title: str) -> None:
        self.out.print()
        self.out.print(Rule(f"[bold]{title}[/]", align="left"))

    def say(self, text: str) -> None:
        self.out.print(text)

    def at(self, text: str) -> datetime:
        return parse_instant(text, SEOUL)

    def verdict(self, decision: Decision) -> str:
        if decision.allowed:
            return "[green]allowed[/]"
        return "[red]denied[/] (" + ", ".join(r.code.value for r in decision.reasons) + ")"

    def reasons(self, decision: Decision) -> None:
        for reason in decision.reasons:
            cite = f"{reason.agreement} {reason.article}" if reason.article else "—"
            self.out.print(f"    [dim]{reason.code.value}[/] · {reason.message} [dim]({cite})[/]")

    # -- the story -------------------------------------------------------------------------------

    def run(self) -> None:
        self.agreements()
        self.entry_into_force()
        self.people()
        self.exchanges("2016–2017: exchanges after North Korea's launches", EXCHANGES[:8])
        self.grade_one()
        self.access_checks()
        self.sealed_exchange()
        self.exchanges("2019: exchanges continue", EXCHANGES[8:9])
        self.notice()
        self.midnight_question()
        self.suspension()
        self.exchanges("2022: exchanges under the suspended notice", EXCHANGES[9:])
        self.withdrawal()
        self.ledger()
        self.summary()

    def agreements(self) -> None:
        self.section("The agreements (reference data, loaded into both registries)")
        book = self.nodes["KOR"].book()
        table = Table(show_lines=False)
        for column in ("agreement", "parties", "in force from", "term and notice", "scope"):
            table.add_column(column)
        for agreement in book.agreements.values():
            term = (
                f"{agreement.term.months}-month terms, renewed automatically"
                if agreement.term
                else "no fixed term"
            )
            notice = f"; {agreement.notice.days} days' notice" if agreement.notice else ""
            hub = f" (hub {agreement.hub})" if agreement.hub else ""
            scope = (
                ", ".join(sorted(agreement.topics))
                if agreement.topics
                else "all military information"
            )
            table.add_row(
                agreement.id,
                ", ".join(agreement.parties) + hub,
                _day(agreement.entry_into_force),
                term + notice,
                scope,
            )
        self.out.print(table)
        gsomia = book.agreement(GSOMIA)
        equivalence = Table(
            title="Art 4: how each side marks what it receives", title_justify="left"
        )
        for column in ("English", "Korea", "Japan"):
            equivalence.add_column(column)
        for row in gsomia.equivalences:
            equivalence.add_row(
                row.english, " / ".join(row.markings["KOR"]), " / ".join(row.markings["JPN"])
            )
        equivalence.add_row("TOP SECRET", "군사Ⅰ급비밀: not covered", "機密: not covered")
        self.out.print(equivalence)

    def entry_into_force(self) -> None:
        self.section("23 Nov 2016: the GSOMIA enters into force")
        at = self.at("2016-11-23")
        status = lifecycle.status(self.nodes["KOR"], GSOMIA, at)
        assert status.term_end is not None and status.notice_deadline is not None
        self.say(
            f"State: [bold]{status.state.value}[/]. The first term runs to {_show(status.term_end)}; "
            "each year it renews itself unless a party gives 90 days' written notice (Art 21)."
        )
        self.say(
            f"To end the first term, notice had to arrive by {_last_day(status.notice_deadline)}."
        )
        self.timeline.append((at, "GSOMIA signed in Seoul and in force"))

    def people(self) -> None:
        self.section("The registries' readers (Art 7: clearance and need-to-know, never rank)")
        self.analyst = items.add_person(
            self.nodes["JPN"],
            name="Sato Haruka",
            party=None,
            clearance="極秘",
            need_to_know=["nk-missile", "nk-nuclear"],
            position="analyst, Defense Intelligence HQ",
        ).id
        self.general = items.add_person(
            self.nodes["JPN"],
            name="Takeda Ken",
            party=None,
            clearance="機密",
            need_to_know=[],
            position="Lieutenant General",
        ).id
        items.add_person(
            self.nodes["KOR"],
            name="Kim Min-jun",
            party=None,
            clearance="군사Ⅱ급비밀",
            need_to_know=["nk-missile"],
            position="analyst, Defense Intelligence Agency",
        )
        table = Table()
        for column in ("registry", "person", "position", "clearance", "need-to-know"):
            table.add_column(column)
        for party, node in self.nodes.items():
            with node.transaction() as connection:
                for person in records.persons(connection):
                    table.add_row(
                        party,
                        person.name,
                        person.position,
                        person.clearance or "none",
                        ", ".join(sorted(person.need_to_know)) or "none",
                    )
        self.out.print(table)

    def exchanges(self, title: str, exchanges: tuple[Exchange, ...]) -> None:
        self.section(title)
        table = Table(
            title="The originator releases; the receiver marks its copy (Art 4)",
            title_justify="left",
        )
        for column in (
            "day",
            "after",
            "item",
            "from → to",
            "originator's marking",
            "receiver's copy",
            "decisions",
        ):
            table.add_column(column)
        for exchange in exchanges:
            table.add_row(*self.exchange(exchange))
        self.out.print(table)

    def exchange(self, exchange: Exchange) -> list[str]:
        """Release from the originator's registry, receipt in the partner's."""
        sender = self.nodes[exchange.originator]
        receiver_party = "JPN" if exchange.originator == "KOR" else "KOR"
        receiver = self.nodes[receiver_party]
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
            receiver,
            title=exchange.title,
            originator=exchange.originator,
            marking=exchange.marking,
            topic=exchange.topic,
            at=at,
            originator_reference=item.reference,
            purpose="early warning",
        )
        copy_marking = "—"
        if received.item_id is not None:
            with receiver.transaction() as connection:
                copy = records.item(connection, received.item_id)
            copy_marking = f"{copy.reference}: {copy.holder_marking}, originator {copy.originator}"
            self.received[item.reference] = copy.reference
        self.timeline.append((at, f"{exchange.originator} → {receiver_party}: {exchange.title}"))
        return [
            exchange.day,
            exchange.occasion,
            item.reference,
            f"{exchange.originator} → {receiver_party}",
            item.marking,
            copy_marking,
            f"release {self.verdict(released.decision)}, receipt {self.verdict(received.decision)}",
        ]

    def grade_one(self) -> None:
        self.section("What never goes: Korea's Grade Ⅰ")
        kor = self.nodes["KOR"]
        at = self.at("2017-09-04")
        item = items.register_item(
            kor, title="Strike plan annex", marking="GUNSA I-KUP BI MIL", topic="nk-nuclear", at=at
        )
        outcome = items.release_item(kor, item.reference, "JPN", at)
        self.say(
            f"Korea asks to release {item.reference} ({item.marking}) to Japan: {self.verdict(outcome.decision)}"
        )
        self.reasons(outcome.decision)

    def access_checks(self) -> None:
        self.section("Who in Japan may read a Korean item (Art 7)")
        jpn = self.nodes["JPN"]
        copy = self.received["KOR-2017-0001"]
        at = self.at("2017-09-05")
        for person_id in (self.analyst, self.general):
            with jpn.transaction() as connection:
                person = records.person(connection, person_id)
            outcome = items.access_item(jpn, copy, person_id, at)
            self.say(
                f"{person.name} ({person.position}, cleared {person.clearance}) reads {copy}: "
                f"{self.verdict(outcome.decision)}"
            )
            self.reasons(outcome.decision)

    def sealed_exchange(self) -> None:
        self.section("Content travels only sealed (OpenTDF/ZTDF, label bound by signature)")
        kor, jpn = self.nodes["KOR"], self.nodes["JPN"]
        for node in (kor, jpn):
            keys.init_keys(node, PASSPHRASE)
        keys.import_public(jpn, json.dumps(keys.export_public(kor, PASSPHRASE)), trust=True)
        keys.import_public(kor, json.dumps(keys.export_public(jpn, PASSPHRASE)), trust=True)
        self.rings = {party: keys.keyring(node, PASSPHRASE) for party, node in self.nodes.items()}
        self.say("Each node made its keys (Ed25519, RSA-2048, EC P-256) and imported the other's.")
        at = self.at("2017-09-15")
        report = self.directory / "hwasong-12-over-hokkaido.txt"
        report.write_text(SEALED_REPORT, encoding="utf-8")
        item = items.register_item(
            kor,
            title="Hwasong-12 over Hokkaido: tracking report",
            marking="군사Ⅱ급비밀",
            topic="nk-missile",
            at=at,
            file=report,
            ring=self.rings["KOR"],
        )
        report.unlink()
        released = items.release_item(kor, item.reference, "JPN", at, self.rings["KOR"])
        with kor.transaction() as connection:
            copy_digest = records.releases(connection, item.id)[-1].sealed_sha256
        assert copy_digest is not None
        copy = content.path_of(kor, copy_digest)
        view = sealing.inspect_file(jpn, self.rings["JPN"], copy)
        self.say(
            f"Korea registers {item.reference} with its content, stored only sealed, and releases "
            f"it to Japan: {self.verdict(released.decision)}. The copy is sealed again for Japan "
            f"alone ({view['recipients'][0]['kid']}), labelled {view['label']['marking']} from "
            f"{view['label']['originator']} for holder {view['label']['holder']}, and signed by "
            f"Korea ({view['integrity']['label']})."
        )
        tampered = self.directory / "tampered.tdf"
        _retitle(copy, tampered)
        try:
            items.receive_sealed(jpn, self.rings["JPN"], tampered, at=at)
        except OpenError as refused:
            self.say(
                f"A copy whose label was edited on the way is refused: [red]{refused.message}[/]"
            )
        tampered.unlink()
        received = items.receive_sealed(jpn, self.rings["JPN"], copy, at=at)
        assert received.item_id is not None
        with jpn.transaction() as connection:
            kept = records.item(connection, received.item_id)
        opened = self.directory / "opened.txt"
        access = items.open_item(jpn, self.rings["JPN"], kept.reference, self.analyst, at, opened)
        first_line = opened.read_text(encoding="utf-8").splitlines()[0]
        opened.unlink()
        self.say(
            f"Japan verifies the genuine copy and registers it as {kept.reference} "
            f"({kept.holder_marking}); {self.verdict(access.decision)} for its cleared analyst, "
            f"who reads: “{first_line}”"
        )

    def ledger(self) -> None:
        self.section("Every decision above is in a tamper-evident ledger")
        kor = self.nodes["KOR"]
        for party, node in self.nodes.items():
            head = node_ledger.head(node, self.rings[party], sign=True)
            report = node_ledger.verify(node, self.rings[party])
            self.say(
                f"{party}: {head.size} entries, checkpoint signed as {node_ledger.origin(party)}; "
                f"verify: {'[green]intact[/]' if report.ok else '[red]damaged[/]'}"
            )
        with kor.transaction() as connection:
            size = log.size(connection)
            notice = next(
                p for p in range(size) if log.entry(connection, p).kind == "lifecycle_event"
            )
        bundle = node_ledger.prove(kor, notice)
        partner_keys = [VerifierKey.from_vkey(node_ledger.vkey(kor, self.rings["KOR"]))]
        checked = node_ledger.check(bundle, partner_keys)
        self.say(
            f"Japan, holding Korea's verifier key, checks that entry {checked['entry']} (Korea's "
            f"2019 notice) is in Korea's signed log of {checked['tree_size']} entries: verified."
        )
        forged = self.directory / "kor-forged.db"
        _copy_database(self.directory / "kor.db", forged)
        _backdate(forged, notice)
        forgery = Registry.open(f"sqlite:///{forged}")
        try:
            report = node_ledger.verify(forgery, self.rings["KOR"])
        finally:
            forgery.close()
        self.say(
            f"Someone with access to Korea's database rewrites that entry's date in a copy of it: "
            f"verify finds [red]{len(report.problems)} problem(s)[/], the history diverging at "
            f"entry {report.first_divergence}."
        )

    def record(self, kind: EventKind) -> Event:
        event = next(e for e in self.history if e.kind is kind)
        recorded = None
        for node in self.nodes.values():
            recorded = lifecycle.record_event(
                node, event.agreement, event.kind, event.by, event.at, event.note
            )
        assert recorded is not None
        self.timeline.append((event.at, f"{event.kind.value} by {event.by}: {event.note}"))
        return event

    def notice(self) -> None:
        self.section("22–23 Aug 2019: Korea gives notice of termination")
        status = lifecycle.status(self.nodes["KOR"], GSOMIA, self.at("2019-08-22"))
        assert status.notice_deadline is not None and status.term_end is not None
        self.say(
            f"The running term ends at {_show(status.term_end)} (the end of 22 Nov). A notice that is to "
            f"end it must arrive 90 days ahead: before {_show(status.notice_deadline)}, so the last day "
            f"was {_last_day(status.notice_deadline)}. The deadline and the expiry are two different dates."
        )
        event = self.record(EventKind.TERMINATION_NOTICE)
        notice = self.nodes["KOR"].book().lifecycle(GSOMIA).notice_at(event.at)
        assert notice is not None
        self.say(
            f"Korea's note verbale is delivered on {_day(event.at)}: "
            f"{'late' if notice.late else 'in time'}. Without reversal the agreement lapses at "
            f"[bold]{_show(notice.takes_effect_at)}[/]."
        )
        late = Lifecycle(self.nodes["KOR"].book().agreement(GSOMIA)).notice_effect(
            self.at("2019-08-26")
        )
        self.say(
            f"Had the note arrived on 26 Aug instead, it would have been late and would not have ended "
            f"the running term: the agreement would have run until {_show(late[0])}."
        )

    def midnight_question(self) -> None:
        self.section("November 2019: what stops at midnight on 22 November?")
        self.say(
            "Asked of the registry as the history stood on the afternoon of 22 Nov (the notice standing):"
        )
        kor = self.nodes["KOR"]
        before, after = self.at("2019-11-22T23:59+09:00"), self.at("2019-11-23T00:00+09:00")
        table = Table()
        for column in ("question", "22 Nov 23:59 KST", "23 Nov 00:00 KST"):
            table.add_column(column)
        states = [lifecycle.status(kor, GSOMIA, t).state.value for t in (before, after)]
        table.add_row("state of the GSOMIA", *states)
        for marking, topic, label in (
            ("군사Ⅱ급비밀", "nk-missile", "Korea → Japan, SECRET, missile data"),
            ("군사Ⅲ급비밀", "naval-operations", "Korea → Japan, CONFIDENTIAL, naval operations"),
        ):
            row = [
                self.verdict(whatif.release(kor, "KOR", "JPN", marking, topic, t))
                for t in (before, after)
            ]
            table.add_row(f"direct release: {label}", *row)
        self.out.print(table)
        denied = whatif.release(kor, "KOR", "JPN", "군사Ⅱ급비밀", "nk-missile", after)
        self.say("At midnight a direct release is denied:")
        self.reasons(denied)

        self.say(
            "\n[bold]What can still flow through the United States under TISA, and on what conditions?[/]"
        )
        for topic in ("nk-missile", "nk-nuclear", "naval-operations"):
            found = whatif.legal_routes(kor, "KOR", "JPN", "군사Ⅱ급비밀", topic, after)
            if not found:
                self.say(
                    f"  {topic}: no legal route — TISA covers only North Korean nuclear and missile threats"
                )
                continue
            for route in found:
                markings = " → ".join(hop.recipient_level.marking for hop in route.hops)
                consents = "; ".join(
                    f"needs {c.originator}'s approval to reach {c.to}"
                    for c in route.consents_required
                )
                self.say(
                    f"  {topic}: {' → '.join(route.path)} under {', '.join(route.agreements)}; "
                    f"marked {markings}; {consents}"
                )

        self.say(
            "\n[bold]What stays protected?[/] Everything already exchanged (Art 21). In Japan's registry:"
        )
        jpn = self.nodes["JPN"]
        copy = self.received["KOR-2017-0001"]
        with jpn.transaction() as connection:
            held = records.items(connection, holder="JPN", originator="KOR")
        access = items.access_item(jpn, copy, self.analyst, after)
        self.say(
            f"  Japan holds {len(held)} Korean items. At midnight, {copy} read by the cleared analyst: "
            f"{self.verdict(access.decision)}"
        )
        self.reasons(access.decision)
        transfer = items.transfer_item(jpn, copy, "USA", after)
        self.say(
            f"  Japan passing {copy} to the United States without Korea's written consent: "
            f"{self.verdict(transfer.decision)}"
        )
        self.reasons(transfer.decision)

    def suspension(self) -> None:
        self.section("22 Nov 2019, 18:00 KST: Korea suspends the effect of its notice")
        event = self.record(EventKind.NOTICE_SUSPENDED)
        kor = self.nodes["KOR"]
        midnight = self.at("2019-11-23T00:00+09:00")
        status = lifecycle.status(kor, GSOMIA, midnight)
        assert status.term_end is not None
        self.say(
            f"Recorded at {_show(event.at)}. At midnight the state is [bold]{status.state.value}[/]: "
            f"the agreement renews into a new term ending {_show(status.term_end)}."
        )
        decision = whatif.release(kor, "KOR", "JPN", "군사Ⅱ급비밀", "nk-missile", midnight)
        self.say(f"Direct release of missile data at midnight: {self.verdict(decision)}")
        rule = kor.book().agreement(GSOMIA).notice
        assert rule is not None
        reactivated_at = self.at("2020-06-02")
        book = kor.book().with_event(
            Event(GSOMIA, EventKind.NOTICE_REACTIVATED, "KOR", reactivated_at)
        )
        notice = book.lifecycle(GSOMIA).notice_at(reactivated_at)
        assert notice is not None
        self.say(
            f"The treaty has no article on suspension. In 2020 Korea said the notice could be reactivated. "
            f"Under this registry's setting ([bold]{rule.reactivation.value}[/]), a reactivation on "
            f"{_day(reactivated_at)} would end the agreement at {_show(notice.takes_effect_at)} "
            "(a what-if: nothing was recorded)."
        )

    def withdrawal(self) -> None:
        self.section("21 Mar 2023: Korea withdraws both 2019 notes")
        event = self.record(EventKind.NOTICE_WITHDRAWN)
        status = lifecycle.status(self.nodes["KOR"], GSOMIA, event.at)
        assert status.term_end is not None and status.notice_deadline is not None
        self.say(
            f"State: [bold]{status.state.value}[/]; ordinary annual renewal resumes. The running term ends "
            f"{_show(status.term_end)}; notice to end it would be due by {_last_day(status.notice_deadline)}."
        )

    def summary(self) -> None:
        self.section("Timeline")
        table = Table()
        table.add_column("when (Seoul)")
        table.add_column("what")
        for at, what in sorted(self.timeline, key=lambda entry: entry[0]):
            table.add_row(_show(at), what)
        self.out.print(table)
        self.section("The registries now hold")
        table = Table()
        for column in (
            "registry",
            "items originated",
            "items received",
            "releases",
            "decisions (allowed / denied)",
        ):
            table.add_column(column)
        for party, node in self.nodes.items():
            with node.transaction() as connection:
                held = records.items(connection)
                made = decision_store.decisions(connection)
                released = records.releases(connection)
            allowed = sum(1 for d in made if d.allowed)
            table.add_row(
                party,
                str(sum(1 for i in held if i.originator == party)),
                str(sum(1 for i in held if i.originator != party)),
                str(len(released)),
                f"{allowed} / {len(made) - allowed}",
            )
        self.out.print(table)
        self.say(
            "Every decision above is stored with its reasons: try "
            "[bold]gsomia --db sqlite:///<dir>/jpn.db decision list[/] with --keep."
        )


SEALED_REPORT = """Hwasong-12 launched 06:57 KST from Sunan, overflew Hokkaido, impact 2,200 km east.
Apogee about 770 km; flight time 17 minutes; tracked by ground radar and Aegis destroyers.
(Illustrative content sealed by the demo.)
"""
PASSPHRASE = b"demo passphrase: never use it for real keys"


def _retitle(sealed: Path, tampered: Path) -> None:
    """A copy of a sealed file whose label says another topic: what a forger would try."""
    with zipfile.ZipFile(sealed) as archive:
        manifest = json.loads(archive.read(ztdf.MANIFEST))
        payload = archive.read(ztdf.PAYLOAD)
    manifest["assertions"][0]["statement"]["value"]["Topic"] = "logistics"
    with zipfile.ZipFile(tampered, "w") as archive:
        archive.writestr(ztdf.PAYLOAD, payload)
        archive.writestr(ztdf.MANIFEST, json.dumps(manifest))


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite registry, its write-ahead log included."""
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        original.backup(copy)
    original.close()
    copy.close()


def _backdate(database: Path, position: int) -> None:
    """Rewrite one ledger entry's date in place, as someone editing the database would."""
    engine = create_engine(f"sqlite:///{database}")
    entries = tables.ledger_entries
    with engine.begin() as connection:
        body = json.loads(
            connection.execute(
                select(entries.c.body).where(entries.c.position == position)
            ).scalar_one()
        )
        body["at"] = "2019-08-26T00:00:00+09:00"
        connection.execute(
            update(entries)
            .where(entries.c.position == position)
            .values(
                body=json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            )
        )
    engine.dispose()


def _last_day(exclusive_end: datetime) -> str:
    """The last whole day before an exclusive deadline, as people say it."""
    local = exclusive_end.astimezone(SEOUL)
    return (local - timedelta(microseconds=1)).strftime("%-d %b %Y") + " (end of day)"


@contextmanager
def _directory(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        for name in ("kor.db", "jpn.db", "kor-forged.db"):
            (keep / name).unlink(missing_ok=True)
        for name in ("kor.content", "jpn.content"):
            shutil.rmtree(keep / name, ignore_errors=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="gsomia-demo-") as name:
        yield Path(name)


def run_demo(out: Console, keep: Path | None = None) -> None:
    with _directory(keep) as directory:
        kor = Registry.open(f"sqlite:///{directory / 'kor.db'}")
        jpn = Registry.open(f"sqlite:///{directory / 'jpn.db'}")
        try:
            setup.init(kor, "KOR", "Asia/Seoul")
            setup.init(jpn, "JPN", "Asia/Tokyo")
            out.print("[bold]gsomia demo: the Korea–Japan GSOMIA, 2016–2023[/]")
            out.print(
                f"Two registries on fresh SQLite files in {directory}: Korea's node and Japan's node."
            )
            out.print(
                "Exchanges fall on the days after real North Korean launches; their contents are "
                "illustrative (the public record gives only their number: 29 from 2016 to Aug 2019)."
            )
            Demo(out, kor, jpn, directory).run()
        finally:
            kor.close()
            jpn.close()
