"""The demo's live act: three nodes serving on this machine, talking as governments do.

Korea's, Japan's and the United States' registries are created fresh, their keys made and
pinned by each other, and each is served by `gsomia serve` on a free loopback port. Korea then
releases a sealed item to Japan (delivered, receipted, opened), gives its notice of
termination as a signed note that Japan's node records, and, once the agreement has lapsed in
this counterfactual, relays an item to Japan through the United States under TISA, with its
consent checked by Japan itself. Then, illustratively: Japan asks to visit a Korean facility
and Korea, the host, approves; Japan reports a possible compromise of a Korean item and Korea
follows the case; Korea re-marks the relayed item and its notice follows the item's custody
through the United States to Japan; Japan destroys its copy and Korea is told. Each node's
checkpoints are cosigned by the others' witnesses. The nodes stop at the end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from gsomia.core.agreements import EventKind
from gsomia.node import queries, witnessing
from gsomia.node.commands import (
    custody,
    incidents,
    items,
    keys,
    ledger,
    lifecycle,
    peers,
    persons,
    setup,
    visits,
)
from gsomia.node.context import Node
from gsomia.node.settings import Settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Live:
    """Three nodes, their servers, and the act played between them."""

    def __init__(self, out: Console, directory: Path, story: dict[str, Any], secret: bytes):
        self.out = out
        self.directory = directory
        self.story = story["live"]
        self.agreement = story["agreement"]
        self.secret = secret
        self.nodes: dict[str, Node] = {}
        self.urls: dict[str, str] = {}
        self.servers: dict[str, subprocess.Popen[bytes]] = {}

    def say(self, text: str) -> None:
        self.out.print(text, markup=False)

    def _settings(self, party: str) -> Settings:
        name = f"live-{party.lower()}"
        return Settings(
            database=f"sqlite:///{self.directory / name}.db",
            content_dir=self.directory / f"{name}.content",
        )

    @contextmanager
    def running(self, served: Iterable[str] | None = None) -> Iterator[None]:
        """The nodes created, keyed and pinned by each other; those `served` (all by default)
        answering on their ports until the block ends."""
        with ExitStack() as stack:
            for party in self.story["parties"]:
                node, before = Node.create(self._settings(party))
                stack.enter_context(node)
                setup.init(node, before, party, self.story["zones"][party])
                keys.init_keys(node, self.secret)
                self.nodes[party] = node
                self.urls[party] = f"http://127.0.0.1:{free_port()}"
            for party, node in self.nodes.items():
                for other, peer in self.nodes.items():
                    if other != party:
                        key_set = json.dumps(keys.export_public(peer, self.secret))
                        peers.add_peer(node, other, self.urls[other], key_set, trust=True)
            try:
                for party in self.nodes if served is None else served:
                    self._serve(party)
                yield
            finally:
                for server in self.servers.values():
                    server.send_signal(signal.SIGTERM)
                for server in self.servers.values():
                    server.wait(30)

    def _serve(self, party: str) -> None:
        settings = self._settings(party)
        port = self.urls[party].rsplit(":", 1)[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("GSOMIA_")}
        env["GSOMIA_PASSPHRASE"] = self.secret.decode()
        log = (self.directory / f"live-{party.lower()}.log").open("ab")
        self.servers[party] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gsomia",
                "--db",
                settings.database,
                "--content-dir",
                str(settings.content_dir),
                "serve",
                "--port",
                port,
                "--checkpoint-every",
                "1",
            ],
            env=env,
            stdout=log,
            stderr=log,
        )
        self._until(lambda: self._ready(party), f"{party}'s node to answer")

    def _ready(self, party: str) -> bool:
        try:
            return httpx.get(f"{self.urls[party]}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def _until(self, predicate: Callable[[], bool], what: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.2)
        raise RuntimeError(f"the live act timed out waiting for {what}")

    def _settled(self, party: str) -> bool:
        return not queries.deliveries(self.nodes[party], "queued")

    def play(self) -> None:
        kor, jpn = self.nodes["KOR"], self.nodes["JPN"]
        self.say(
            "Three nodes serve on this machine: "
            + ", ".join(f"{party} at {url}" for party, url in self.urls.items())
            + ". Each pinned the others' keys; every request between them is signed."
        )
        plan = self.story["sealed"]
        report = self.directory / "live-report.txt"
        report.write_text("Hwasong-12: apogee about 770 km, 17 minutes of flight.\n", "utf-8")
        item = items.register_item(
            kor,
            title=plan["title"],
            marking=plan["marking"],
            topic=plan["topic"],
            at=plan["day"],
            file=report,
            passphrase=self.secret,
        )
        report.unlink()
        released = items.release_item(kor, item.reference, "JPN", plan["day"], self.secret)
        self._until(lambda: self._settled("KOR"), "the delivery to Japan")
        [delivery] = [d for d in queries.deliveries(kor) if d.release_id == released.release_id]
        copy = next(i for i in queries.items(jpn) if i.originator_reference == item.reference)
        reader = persons.add_person(
            jpn, name="Sato Haruka", party=None, clearance="極秘", need_to_know=[plan["topic"]]
        )
        opened = self.directory / "live-opened.txt"
        read = items.open_item(jpn, copy.reference, reader.id, plan["day"], opened, self.secret)
        opened.unlink(missing_ok=True)
        self.say(
            f"Korea releases {item.reference} to Japan; Korea's node delivers it sealed and "
            f"Japan's answers with a signed receipt ({delivery.state}, verified: "
            f"{delivery.answer_verified}). Japan registers {copy.reference}, marked "
            f"{copy.holder_marking}, originator {copy.originator}; its cleared analyst opens it: "
            f"{'allowed' if read.allowed else 'denied'}."
        )
        lifecycle.record_event(
            kor,
            self.agreement,
            EventKind.TERMINATION_NOTICE,
            "KOR",
            self.story["notice"],
            "note verbale (live act)",
            passphrase=self.secret,
        )
        self._until(lambda: self._settled("KOR"), "Japan's acknowledgement of the note")
        after = self.story["after_lapse"]
        state = queries.status(jpn, self.agreement, after).state
        self.say(
            f"Korea gives notice on {self.story['notice']} as a signed note; Japan's node records "
            f"it and acknowledges. In this live counterfactual the notice stands: on {after} "
            f"Japan's own registry finds the GSOMIA {state}."
        )
        plan = self.story["relayed"]
        relayed = items.register_item(
            kor, title=plan["title"], marking=plan["marking"], topic=plan["topic"], at=plan["day"]
        )
        direct = items.release_item(kor, relayed.reference, "JPN", after)
        through = items.release_item(
            kor, relayed.reference, "USA", after, self.secret, relay_to="JPN"
        )

        def at_japan() -> bool:
            return any(i.originator_reference == relayed.reference for i in queries.items(jpn))

        self._until(at_japan, "the relayed copy at Japan")
        arrived = next(i for i in queries.items(jpn) if i.originator_reference == relayed.reference)
        hops = queries.custody(jpn, arrived.reference).hops
        self.say(
            f"Direct release of {relayed.reference} to Japan: "
            f"{'allowed' if direct.allowed else 'denied'} "
            f"({', '.join(r.code for r in direct.reasons if not direct.allowed)}). Through the "
            f"United States with Korea's signed consent: {'allowed' if through.allowed else 'denied'}; "
            f"the US node marks its copy in its scheme and passes it on; Japan checks Korea's "
            f"signature itself and registers {arrived.reference} ({arrived.holder_marking}), "
            f"custody {' → '.join([hops[0].sender, *(h.to for h in hops)])}."
        )
        self.visit_and_incident(copy.reference, reader.name)
        self.after_hand_over(relayed.reference, copy.reference, reader.id)
        size = ledger.cosigned_head(kor).size

        def cosigned() -> bool:
            return all((w.cosigned_size or 0) >= size for w in witnessing.views(kor))

        self._until(cosigned, "the witnesses' cosignatures", seconds=90)
        named = ", ".join(w.witness for w in witnessing.views(kor))
        self.say(
            f"Korea's ledger checkpoint of {size} entries carries the cosignatures of {named}: "
            "a history rewritten afterwards would be refused by them."
        )

    def visit_and_incident(self, copy: str, visitor: str) -> None:
        """Illustrative: Japan asks to visit a Korean facility and Korea, the host, approves;
        Japan reports a possible compromise of a Korean item, and Korea follows each step."""
        kor, jpn = self.nodes["KOR"], self.nodes["JPN"]
        plan = self.story["visit"]
        asked = visits.request_visit(
            jpn,
            host="KOR",
            visitors=[visitor],
            purpose=plan["purpose"],
            facility=plan["facility"],
            first_day=plan["from"],
            last_day=plan["until"],
            max_marking=plan["max_marking"],
            kind="one-time",
            passphrase=self.secret,
            at=plan["asked"],
        )
        assert asked.visit is not None
        request = asked.visit.id

        def arrived() -> bool:
            return any(v.id == request for v in visits.visits(kor))

        self._until(arrived, "the request for visit at Korea")
        visits.approve(kor, request, self.secret, plan["approved"])

        def approved() -> bool:
            return visits.show(jpn, request).state == "approved"

        self._until(approved, "Korea's approval at Japan")
        lead = visits.show(kor, request).lead_time
        self.say(
            f"Japan asks to visit {plan['facility']} from {plan['from']} to {plan['until']} "
            f"(illustrative); the request reaches Korea's node signed, with "
            f"{lead.available if lead else '?'} Korean working days of lead time against the "
            f"{lead.required if lead else '?'} of practice; only Korea, the host, approves "
            "(Art 8), and Japan's node records the approval."
        )
        plan = self.story["incident"]
        case = incidents.report(
            jpn,
            [copy],
            "possible-compromise",
            plan["discovered"],
            plan["summary"],
            plan["reported"],
            self.secret,
        )
        incidents.investigate(jpn, case.id, plan["investigating"], passphrase=self.secret)
        incidents.conclude(
            jpn, case.id, plan["result"], plan["measures"], plan["concluded"], self.secret
        )

        def followed() -> bool:
            return any(c.id == case.id and c.state == "concluded" for c in incidents.incidents(kor))

        self._until(followed, "the case's steps at Korea")
        seen = incidents.incident(kor, case.id)
        self.say(
            f"Japan reports a possible compromise of {copy} (illustrative); Korea, the "
            f"originator, is told at once (Art 17) and follows the case to its conclusion: "
            f"{seen.state}, reported by {seen.reporter}, result and measures received."
        )

    def after_hand_over(self, relayed: str, copy: str, witness: int) -> None:
        """Illustrative: Korea downgrades the relayed item and the notice follows it through
        the United States to Japan; Japan destroys its copy of the first, and Korea is told."""
        kor, jpn = self.nodes["KOR"], self.nodes["JPN"]
        plan = self.story["remark"]
        changed = custody.remark(
            kor, relayed, plan["marking"], plan["day"], plan["reference"], self.secret
        )

        def acknowledged() -> bool:
            return {h.party for h in custody.holders(kor, relayed).holders if h.acknowledged} == {
                "USA",
                "JPN",
            }

        self._until(acknowledged, "the holders' acknowledgements of the re-marking")
        holders = custody.holders(kor, relayed).holders
        self.say(
            f"Korea re-marks {relayed} {changed.item.marking} (illustrative): its signed notice "
            "goes to the United States, which re-marks its copy and passes the notice on to "
            "Japan; both acknowledge. Korea sees "
            + "; ".join(
                f"{h.party} {h.marking}" + (f" via {h.via}" if h.via else "") for h in holders
            )
            + "."
        )
        plan = self.story["destroy"]
        destroyed = custody.destroy(jpn, copy, plan["method"], witness, plan["day"], self.secret)
        read = items.access_item(jpn, copy, witness, plan["day"])

        original = queries.item(jpn, copy).originator_reference or copy

        def reported() -> bool:
            holders = custody.holders(kor, original).holders
            return any(h.disposal == "destroyed" for h in holders)

        self._until(reported, "Japan's destruction report at Korea")
        self.say(
            f"Japan destroys {copy} (certificate {destroyed.change.id}: {plan['method']}, "
            f"witnessed; content erased: {destroyed.change.content_erased}); reading it again: "
            f"{'allowed' if read.allowed else 'denied'} ({read.reasons[0].code}). Korea's node "
            "shows Japan's copy destroyed."
        )


def play(out: Console, directory: Path, story: dict[str, Any], secret: bytes) -> None:
    """Run the live act (nodes started and stopped inside)."""
    live = Live(out, directory, story, secret)
    with live.running():
        live.play()
