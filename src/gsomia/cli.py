"""The gsomia command line.

Every command that shows data takes --json. Bad input prints one line and exits 2; an
action the agreements deny (a release, receipt, transfer or access) exits 1 after showing
the reasons; `decide` and `routes` are what-if evaluations that change nothing and exit 0.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gsomia import __version__
from gsomia.core.agreements import EventKind
from gsomia.crypto.keys import Purpose
from gsomia.errors import (
    GsomiaError,
    InvalidRequest,
    KeyStoreError,
    NotARecipient,
    UnknownSigner,
)
from gsomia.ledger.checkpoint import VerifierKey
from gsomia.node import items as item_cases
from gsomia.node import keys as node_keys
from gsomia.node import ledger as node_ledger
from gsomia.node import lifecycle, sealing, setup, views, whatif
from gsomia.node.demo import run_demo
from gsomia.node.registry import Registry
from gsomia.node.whatif import GENERAL_TOPIC
from gsomia.reference import builtin_histories
from gsomia.store import database, documents
from gsomia.store import decisions as decision_store
from gsomia.store import registry as records

app = typer.Typer(
    help="gsomia: run General Security of Military Information Agreements.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
agreement_app = typer.Typer(
    help="Agreements: list, show, status, lifecycle events.", no_args_is_help=True
)
history_app = typer.Typer(
    help="Recorded histories of agreements (such as kor-jpn-2019).", no_args_is_help=True
)
decide_app = typer.Typer(help="What-if decisions: evaluate, record nothing.", no_args_is_help=True)
scheme_app = typer.Typer(help="National classification schemes.", no_args_is_help=True)
person_app = typer.Typer(help="Persons, their clearances and need-to-know.", no_args_is_help=True)
item_app = typer.Typer(
    help="The registry of items: register, receive, release, transfer, access.",
    no_args_is_help=True,
)
consent_app = typer.Typer(
    help="Originators' written consents to onward transfer.", no_args_is_help=True
)
decision_app = typer.Typer(
    help="Decisions taken through the registry, with their reasons.", no_args_is_help=True
)
keys_app = typer.Typer(help="This node's keys and its partners' public keys.", no_args_is_help=True)
ledger_app = typer.Typer(
    help="The tamper-evident ledger: checkpoints, proofs, verification.", no_args_is_help=True
)
for sub, name in (
    (agreement_app, "agreement"),
    (history_app, "history"),
    (decide_app, "decide"),
    (scheme_app, "scheme"),
    (person_app, "person"),
    (item_app, "item"),
    (consent_app, "consent"),
    (decision_app, "decision"),
    (keys_app, "keys"),
    (ledger_app, "ledger"),
):
    app.add_typer(sub, name=name)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
At = Annotated[
    str,
    typer.Option(
        "--at",
        help="Instant, ISO 8601 with offset (2019-11-22T18:00+09:00) or a bare date "
        "(start of that day in the agreement's legal time zone).",
    ),
]


class Wrapping(StrEnum):
    WRAPPED = "wrapped"
    EC_WRAPPED = "ec-wrapped"


Wrap = Annotated[
    Wrapping,
    typer.Option(
        "--wrap",
        help="Key access type: wrapped (RSA-2048, OpenTDF 4.3.0) or ec-wrapped (EC P-256).",
    ),
]


class State:
    db: str | None = None


state = State()


@app.callback()
def _main(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="GSOMIA_DB",
            help="Database URL: sqlite:///PATH or postgresql://HOST/DB "
            "[default: a SQLite file in the user data directory]",
            show_default=False,
        ),
    ] = None,
    version: Annotated[bool, typer.Option("--version", help="Show the version.")] = False,
) -> None:
    if version:
        out.print(f"gsomia {__version__}")
        raise typer.Exit()
    state.db = db


@contextmanager
def _registry() -> Iterator[Registry]:
    registry = Registry.open(state.db or database.default_url())
    try:
        yield registry
    finally:
        registry.close()


def _passphrase(*, confirm: bool = False) -> bytes | None:
    """GSOMIA_PASSPHRASE, or asked for in a terminal; None when neither is available."""
    value = os.environ.get("GSOMIA_PASSPHRASE")
    if value:
        return value.encode()
    if sys.stdin.isatty():
        return str(
            typer.prompt(
                "Passphrase for this node's keys", hide_input=True, confirmation_prompt=confirm
            )
        ).encode()
    return None


def _required_passphrase(*, confirm: bool = False) -> bytes:
    passphrase = _passphrase(confirm=confirm)
    if passphrase is None:
        raise KeyStoreError("the node's keys need a passphrase: set GSOMIA_PASSPHRASE")
    return passphrase


def _json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    out.print(table)


def _print_decision(view: dict[str, Any]) -> None:
    verdict = "[bold green]ALLOWED[/]" if view["allowed"] else "[bold red]DENIED[/]"
    extra = ""
    if view.get("recipient_marking"):
        extra = f" — recipient marks it {view['recipient_marking']} ({view['equivalent']})"
    out.print(f"{verdict}{extra}")
    _table(
        None,
        ["reason", "agreement", "article", "explanation"],
        [[r["code"], r["agreement"], r["article"], r["message"]] for r in view["reasons"]],
    )


# --- set-up ---------------------------------------------------------------------------------


@app.command()
def init(
    party: Annotated[
        str | None, typer.Option(help="This node's own party (KOR, JPN, USA, NATO, ...).")
    ] = None,
    time_zone: Annotated[
        str | None, typer.Option(help="Zone for the registry's own records (IANA name).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create or migrate the database and load the reference data; idempotent."""
    with _registry() as registry:
        report = setup.init(registry, party, time_zone)
        view = {
            "database": registry.engine.url.render_as_string(hide_password=True),
            "party": registry.party,
            "time_zone": registry.time_zone.key,
            "loaded": report.counts,
        }
    if as_json:
        _json(view)
        return
    out.print(f"Registry ready at {view['database']} (party: {view['party'] or 'not set'})")
    for kind, counts in report.counts.items():
        out.print(f"  {kind}: " + ", ".join(f"{n} {what}" for what, n in counts.items()))


@app.command()
def demo(
    keep: Annotated[
        Path | None,
        typer.Option(
            help="Keep the demo's databases in this directory instead of a temporary one."
        ),
    ] = None,
) -> None:
    """Replay the Korea–Japan GSOMIA, 2016–2023, and report what the rules said."""
    # Piped output (a log, a CI job) gets a width at which the report's tables stay readable.
    run_demo(out if out.is_terminal else Console(highlight=False, width=120, soft_wrap=True), keep)


# --- schemes and agreements -------------------------------------------------------------------


@scheme_app.command("list")
def scheme_list(as_json: JsonFlag = False) -> None:
    """List the classification schemes with their levels."""
    with _registry() as registry:
        schemes = [views.scheme(s) for s in registry.book().schemes.values()]
    if as_json:
        _json(schemes)
        return
    for s in schemes:
        _table(
            f"{s['party']}: {s['name']}",
            ["rank", "marking", "romanised", "English"],
            [[lv["rank"], lv["marking"], lv["romanised"], lv["english"]] for lv in s["levels"]],
        )


@agreement_app.command("list")
def agreement_list(as_json: JsonFlag = False) -> None:
    """List the agreements the registry knows."""
    with _registry() as registry:
        data = [views.agreement(a) for a in registry.book().agreements.values()]
    if as_json:
        _json(data)
        return
    _table(
        "Agreements",
        ["id", "kind", "parties", "in force from", "term", "notice", "topics"],
        [
            [
                a["id"],
                a["kind"] + (f" (hub {a['hub']})" if a["hub"] else ""),
                ", ".join(a["parties"]),
                a["entry_into_force"],
                f"{a['term']['months']} months, renewing" if a["term"] else "indefinite",
                f"{a['notice']['days']} days" if a["notice"] else "none",
                a["topics"] if a["topics"] == "all" else ", ".join(a["topics"]),
            ]
            for a in data
        ],
    )


@agreement_app.command("show")
def agreement_show(agreement_id: str, as_json: JsonFlag = False) -> None:
    """Show an agreement's terms: parties, equivalences, term, notice, scope, articles."""
    with _registry() as registry:
        view = views.agreement(registry.book().agreement(agreement_id))
    if as_json:
        _json(view)
        return
    out.print(f"[bold]{view['id']}[/]: {view['title']}")
    for key in (
        "kind",
        "parties",
        "hub",
        "signed",
        "entry_into_force",
        "legal_time_zone",
        "term",
        "notice",
        "topics",
    ):
        out.print(f"  {key}: {view[key]}")
    parties = view["parties"]
    _table(
        "Equivalence",
        ["English", *parties],
        [[row["english"], *(" / ".join(row[p]) for p in parties)] for row in view["equivalence"]],
    )


@agreement_app.command("load")
def agreement_load(path: Path, as_json: JsonFlag = False) -> None:
    """Add or update an agreement from a YAML file (validated against recorded events)."""
    with _registry() as registry:
        agreement_id, outcome = setup.load_agreement_file(registry, path)
    if as_json:
        _json({"agreement": agreement_id, "outcome": outcome})
    else:
        out.print(f"{agreement_id}: {outcome}")


@agreement_app.command("status")
def agreement_status(agreement_id: str, at: At, as_json: JsonFlag = False) -> None:
    """An agreement's state at an instant, derived from its events."""
    with _registry() as registry:
        agreement = registry.book().agreement(agreement_id)
        zone = agreement.legal_time_zone
        instant = registry.instant(at, *agreement.parties)
        view = views.status(lifecycle.status(registry, agreement.id, instant), zone)
    if as_json:
        _json(view)
        return
    out.print(f"[bold]{view['agreement']}[/] at {view['at']}: [bold]{view['state']}[/]")
    for label, key in (
        ("term", "term_start"),
        ("term ends", "term_end"),
        ("notice deadline", "notice_deadline"),
        ("terminates at", "terminates_at"),
    ):
        if view[key]:
            out.print(f"  {label}: {view[key]}")
    if view["notice"]:
        n = view["notice"]
        out.print(
            f"  notice by {n['by']} delivered {n['delivered_at']}"
            + (" (suspended)" if n["suspended"] else f", takes effect {n['takes_effect_at']}")
            + (" (late)" if n["late"] else "")
        )


@agreement_app.command("events")
def agreement_events(agreement_id: str, as_json: JsonFlag = False) -> None:
    """The recorded lifecycle events of an agreement."""
    with _registry() as registry:
        agreement = registry.book().agreement(agreement_id)
        with registry.transaction() as connection:
            stored = documents.events(connection, agreement.id)
    zone = agreement.legal_time_zone
    data = [
        {
            "id": s.id,
            "event": s.event.kind.value,
            "by": s.event.by,
            "at": views.instant(s.event.at, zone),
            "note": s.event.note,
            "source": s.source,
        }
        for s in stored
    ]
    if as_json:
        _json(data)
        return
    _table(
        f"Events of {agreement.id}",
        ["at", "event", "by", "source", "note"],
        [[e["at"], e["event"], e["by"], e["source"], e["note"]] for e in data],
    )


def _event_command(kind: EventKind, doc: str) -> Callable[..., None]:
    def command(
        agreement_id: str,
        by: Annotated[str, typer.Option("--by", help="The party acting.")],
        at: At,
        note: Annotated[str, typer.Option(help="What the note or letter says.")] = "",
        as_json: JsonFlag = False,
    ) -> None:
        with _registry() as registry:
            agreement = registry.book().agreement(agreement_id)
            instant = registry.instant(at, *agreement.parties)
            recorded = lifecycle.record_event(registry, agreement.id, kind, by, instant, note)
        view = views.recorded_event(recorded)
        if as_json:
            _json(view)
            return
        out.print(f"{view['event']} by {view['by']} at {view['at']}: now {view['state']}")
        if "takes_effect_at" in view:
            late = (
                f" — late: delivered after the deadline ({view['notice_deadline_date']}), "
                "so it ends the following term, not this one"
                if view["late"]
                else f" (deadline for this term was {view['notice_deadline_date']})"
            )
            out.print(f"  termination takes effect at {view['takes_effect_at']}{late}")

    command.__doc__ = doc
    return command


agreement_app.command("notify")(
    _event_command(
        EventKind.TERMINATION_NOTICE, "Record a written notice of termination delivered at --at."
    )
)
agreement_app.command("suspend-notice")(
    _event_command(EventKind.NOTICE_SUSPENDED, "Record the suspension of a standing notice.")
)
agreement_app.command("reactivate-notice")(
    _event_command(EventKind.NOTICE_REACTIVATED, "Record the reactivation of a suspended notice.")
)
agreement_app.command("withdraw-notice")(
    _event_command(EventKind.NOTICE_WITHDRAWN, "Record the withdrawal of a notice.")
)


@history_app.command("list")
def history_list(as_json: JsonFlag = False) -> None:
    """The built-in histories."""
    names = builtin_histories()
    if as_json:
        _json(names)
    else:
        for name in names:
            out.print(name)


@history_app.command("load")
def history_load(
    name: Annotated[str, typer.Argument(help="A built-in history (kor-jpn-2019) or a YAML file.")],
    as_json: JsonFlag = False,
) -> None:
    """Record a history's events; events already recorded are skipped."""
    with _registry() as registry:
        history_id, added = setup.load_history(registry, name)
    if as_json:
        _json({"history": history_id, "events_added": added})
    else:
        out.print(f"{history_id}: {added} event(s) recorded")


# --- what-if decisions --------------------------------------------------------------------------


@decide_app.command("release")
def decide_release(
    sender: Annotated[str, typer.Option("--from", help="The originating party.")],
    recipient: Annotated[str, typer.Option("--to", help="The receiving party.")],
    marking: Annotated[str, typer.Option(help="Marking in the originator's scheme.")],
    at: At,
    topic: Annotated[str, typer.Option(help="Topic slug.")] = GENERAL_TOPIC,
    as_json: JsonFlag = False,
) -> None:
    """May the originator release an item of this marking and topic to the recipient?"""
    with _registry() as registry:
        instant = registry.instant(at, sender.upper(), recipient.upper())
        view = views.decision(whatif.release(registry, sender, recipient, marking, topic, instant))
    _json(view) if as_json else _print_decision(view)


@decide_app.command("access")
def decide_access(
    reader_party: Annotated[str, typer.Option(help="The reader's party.")],
    originator: Annotated[str, typer.Option(help="The item's originating party.")],
    marking: Annotated[str, typer.Option(help="The item's marking in the originator's scheme.")],
    topic: Annotated[str, typer.Option(help="The item's topic.")],
    at: At,
    clearance: Annotated[
        str | None, typer.Option(help="The reader's clearance in the reader's scheme.")
    ] = None,
    need_to_know: Annotated[
        list[str] | None, typer.Option("--need-to-know", help="A topic the reader needs (repeat).")
    ] = None,
    held_by: Annotated[
        str | None, typer.Option(help="The party holding the copy [default: the reader's party]")
    ] = None,
    position: Annotated[str, typer.Option(help="Rank or appointment (never decisive).")] = "",
    as_json: JsonFlag = False,
) -> None:
    """May a reader see an item? Clearance, need-to-know and the holding party decide (Art 7)."""
    with _registry() as registry:
        instant = registry.instant(at, originator.upper(), reader_party.upper())
        decision = whatif.access(
            registry,
            reader_party=reader_party,
            clearance=clearance,
            need_to_know=need_to_know or [],
            originator=originator,
            marking=marking,
            topic=topic,
            at=instant,
            held_by=held_by,
            position=position,
        )
    view = views.decision(decision)
    view = {"allowed": view["allowed"], "agreement": view["agreement"], "reasons": view["reasons"]}
    _json(view) if as_json else _print_decision(view)


@app.command()
def routes(
    sender: Annotated[str, typer.Option("--from", help="The originating party.")],
    recipient: Annotated[str, typer.Option("--to", help="The destination party.")],
    marking: Annotated[str, typer.Option(help="Marking in the originator's scheme.")],
    topic: Annotated[str, typer.Option(help="Topic slug.")],
    at: At,
    as_json: JsonFlag = False,
) -> None:
    """Every legal path for an item between two parties at an instant, direct or via a hub."""
    with _registry() as registry:
        instant = registry.instant(at, sender.upper(), recipient.upper())
        found = [
            views.route(r)
            for r in whatif.legal_routes(registry, sender, recipient, marking, topic, instant)
        ]
    if as_json:
        _json(found)
        return
    if not found:
        out.print("No legal route.")
        return
    _table(
        "Legal routes",
        ["path", "agreements", "markings", "consents required"],
        [
            [
                " → ".join(r["path"]),
                ", ".join(r["agreements"]),
                " → ".join(h["recipient_marking"] for h in r["hops"]),
                ", ".join(
                    f"{c['originator']}'s approval to reach {c['to']}"
                    for c in r["consents_required"]
                )
                or "none",
            ]
            for r in found
        ],
    )


# --- persons ------------------------------------------------------------------------------------


@person_app.command("add")
def person_add(
    name: Annotated[str, typer.Option(help="Full name.")],
    clearance: Annotated[
        str | None, typer.Option(help="Personnel security clearance level.")
    ] = None,
    need_to_know: Annotated[
        list[str] | None, typer.Option("--need-to-know", help="A topic of official need (repeat).")
    ] = None,
    party: Annotated[
        str | None, typer.Option(help="The person's party [default: the registry's]")
    ] = None,
    position: Annotated[
        str, typer.Option(help="Rank or appointment (recorded, never decisive).")
    ] = "",
    as_json: JsonFlag = False,
) -> None:
    """Register a cleared person (Art 7)."""
    with _registry() as registry:
        person = item_cases.add_person(
            registry,
            name=name,
            party=party,
            clearance=clearance,
            need_to_know=need_to_know or [],
            position=position,
        )
        view = views.person(person, registry.time_zone)
    _json(view) if as_json else out.print(f"person {view['id']}: {view['name']} ({view['party']})")


@person_app.command("grant")
def person_grant(
    person_id: int,
    need_to_know: Annotated[list[str], typer.Option("--need-to-know", help="A topic (repeat).")],
    as_json: JsonFlag = False,
) -> None:
    """Add need-to-know topics to a person."""
    with _registry() as registry:
        view = views.person(
            item_cases.grant_need_to_know(registry, person_id, need_to_know), registry.time_zone
        )
    _json(view) if as_json else out.print(
        f"person {view['id']}: need-to-know {', '.join(view['need_to_know'])}"
    )


@person_app.command("list")
def person_list(as_json: JsonFlag = False) -> None:
    """List persons with their clearances and need-to-know."""
    with _registry() as registry, registry.transaction() as connection:
        data = [views.person(p, registry.time_zone) for p in records.persons(connection)]
    if as_json:
        _json(data)
        return
    _table(
        "Persons",
        ["id", "name", "party", "position", "clearance", "need-to-know"],
        [
            [
                p["id"],
                p["name"],
                p["party"],
                p["position"],
                p["clearance"],
                ", ".join(p["need_to_know"]),
            ]
            for p in data
        ],
    )


@person_app.command("show")
def person_show(person_id: int, as_json: JsonFlag = False) -> None:
    """Show one person."""
    with _registry() as registry, registry.transaction() as connection:
        view = views.person(records.person(connection, person_id), registry.time_zone)
    _json(view) if as_json else _print_fields(view)


def _print_fields(view: dict[str, Any]) -> None:
    for key, value in view.items():
        out.print(f"  {key}: {value}")


# --- items --------------------------------------------------------------------------------------


@item_app.command("register")
def item_register(
    title: Annotated[str, typer.Option(help="What the item is.")],
    marking: Annotated[str, typer.Option(help="Classification in the originator's scheme.")],
    topic: Annotated[str, typer.Option(help="Topic slug, such as nk-missile.")],
    at: At,
    originator: Annotated[str | None, typer.Option(help="[default: the registry's party]")] = None,
    purpose: Annotated[str, typer.Option(help="The purpose the item serves.")] = "",
    rel_to: Annotated[
        list[str] | None, typer.Option("--rel-to", help="A party it may be released to (repeat).")
    ] = None,
    caveat: Annotated[list[str] | None, typer.Option(help="A handling caveat (repeat).")] = None,
    reference: Annotated[str | None, typer.Option(help="[default: PARTY-YEAR-NNNN]")] = None,
    file: Annotated[
        Path | None, typer.Option(help="The item's content, stored sealed to this party.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register an item this node's party originated (its content, if any, only sealed)."""
    with _registry() as registry:
        instant = registry.instant(at)
        ring = node_keys.keyring(registry, _required_passphrase()) if file else None
        record = item_cases.register_item(
            registry,
            title=title,
            marking=marking,
            topic=topic,
            at=instant,
            originator=originator,
            purpose=purpose,
            releasable_to=rel_to,
            caveats=caveat or [],
            reference=reference,
            file=file,
            ring=ring,
        )
        view = views.item(record, registry.time_zone)
    _json(view) if as_json else out.print(
        f"registered {view['reference']} ({view['marking']}, {view['topic']})"
    )


@item_app.command("receive")
def item_receive(
    at: At,
    file: Annotated[
        Path | None, typer.Option(help="A sealed .tdf from the partner: its label is read from it.")
    ] = None,
    title: Annotated[
        str | None, typer.Option(help="What the item is [default: the file name]")
    ] = None,
    originator: Annotated[
        str | None, typer.Option(help="The originating party (without --file).")
    ] = None,
    marking: Annotated[
        str | None, typer.Option(help="The originator's marking (without --file).")
    ] = None,
    topic: Annotated[str | None, typer.Option(help="Topic slug (without --file).")] = None,
    sender: Annotated[
        str | None, typer.Option("--from", help="Who handed it over [default: originator]")
    ] = None,
    originator_reference: Annotated[
        str | None, typer.Option(help="The originator's reference.")
    ] = None,
    purpose: Annotated[str, typer.Option(help="The purpose it was provided for.")] = "",
    rel_to: Annotated[
        list[str] | None, typer.Option("--rel-to", help="Releasability (repeat).")
    ] = None,
    reference: Annotated[str | None, typer.Option(help="[default: PARTY-YEAR-NNNN]")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Receive an item from a partner: decide, then mark it with the originator's name and this
    party's equivalent classification (Art 4). With --file the sealed item is verified and kept."""
    with _registry() as registry:
        if file is not None:
            if any(v is not None for v in (originator, marking, topic, sender)):
                raise InvalidRequest(
                    "with --file the label comes from the sealed item; drop --originator, --marking, --topic and --from"
                )
            ring = node_keys.keyring(registry, _required_passphrase())
            outcome = item_cases.receive_sealed(
                registry,
                ring,
                file,
                at=registry.instant(at),
                title=title,
                originator_reference=originator_reference,
                reference=reference,
            )
        else:
            if originator is None or marking is None or topic is None or title is None:
                raise InvalidRequest(
                    "without --file, give --title, --originator, --marking and --topic"
                )
            outcome = item_cases.receive_item(
                registry,
                title=title,
                originator=originator,
                marking=marking,
                topic=topic,
                at=registry.instant(at, originator.upper()),
                sender=sender,
                originator_reference=originator_reference,
                purpose=purpose,
                releasable_to=rel_to,
                reference=reference,
            )
        item = None
        if outcome.item_id is not None:
            with registry.transaction() as connection:
                item = views.item(records.item(connection, outcome.item_id), registry.time_zone)
    _finish_action(outcome, {"item": item}, as_json)


def _finish_action(outcome: item_cases.Outcome, extra: dict[str, Any], as_json: bool) -> None:
    view = {"decision_id": outcome.decision_id, **views.decision(outcome.decision), **extra}
    if as_json:
        _json(view)
    else:
        _print_decision(view)
        for key, value in extra.items():
            if isinstance(value, dict):
                out.print(
                    f"{key}: "
                    + ", ".join(f"{k}={v}" for k, v in value.items() if v not in (None, [], ""))
                )
    if not outcome.decision.allowed:
        raise typer.Exit(1)


@item_app.command("release")
def item_release(
    item: Annotated[str, typer.Argument(help="Item id or reference.")],
    to: Annotated[str, typer.Option("--to", help="The receiving party.")],
    at: At,
    wrap: Wrap = Wrapping.WRAPPED,
    as_json: JsonFlag = False,
) -> None:
    """Release an item this party originated to a partner, if the agreements allow (Rule 2);
    sealed content is sealed again for the recipient, re-marked per the agreement."""
    _hand_over(item_cases.release_item, item, to, at, wrap, as_json)


@item_app.command("transfer")
def item_transfer(
    item: Annotated[str, typer.Argument(help="Item id or reference.")],
    to: Annotated[str, typer.Option("--to", help="The third party.")],
    at: At,
    wrap: Wrap = Wrapping.WRAPPED,
    as_json: JsonFlag = False,
) -> None:
    """Pass a received item on to a third party; needs the originator's written consent (Art 5)."""
    _hand_over(item_cases.transfer_item, item, to, at, wrap, as_json)


def _hand_over(
    act: Callable[..., item_cases.Outcome],
    item: str,
    to: str,
    at: str,
    wrap: Wrapping,
    as_json: bool,
) -> None:
    with _registry() as registry:
        with registry.transaction() as connection:
            holder = records.item(connection, item).holder
        instant = registry.instant(at, holder, to.upper())
        ring = node_keys.keyring(registry, _passphrase())
        outcome = act(registry, item, to, instant, ring, Purpose(wrap.value))
    _finish_action(outcome, {"release_id": outcome.release_id}, as_json)


@item_app.command("access")
def item_access(
    item: Annotated[str, typer.Argument(help="Item id or reference.")],
    person: Annotated[int, typer.Option("--person", help="Person id.")],
    at: At,
    as_json: JsonFlag = False,
) -> None:
    """Decide and record whether a person may read an item (Art 7)."""
    with _registry() as registry:
        instant = registry.instant(at)
        outcome = item_cases.access_item(registry, item, person, instant)
    _finish_action(outcome, {}, as_json)


@item_app.command("open")
def item_open(
    item: Annotated[str, typer.Argument(help="Item id or reference.")],
    person: Annotated[int, typer.Option("--person", help="Person id.")],
    at: At,
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the content.")],
    as_json: JsonFlag = False,
) -> None:
    """Decide a person's access (Art 7), recorded; if allowed, open the sealed content."""
    with _registry() as registry:
        ring = node_keys.keyring(registry, _required_passphrase())
        outcome = item_cases.open_item(registry, ring, item, person, registry.instant(at), output)
    _finish_action(outcome, {"output": str(output) if outcome.decision.allowed else None}, as_json)


@item_app.command("list")
def item_list(
    holder: Annotated[str | None, typer.Option(help="Only items this party holds.")] = None,
    originator: Annotated[
        str | None, typer.Option(help="Only items this party originated.")
    ] = None,
    topic: Annotated[str | None, typer.Option(help="Only items on this topic.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List registered items with their labels."""
    with _registry() as registry, registry.transaction() as connection:
        data = [
            views.item(i, registry.time_zone)
            for i in records.items(
                connection,
                holder=holder.upper() if holder else None,
                originator=originator.upper() if originator else None,
                topic=topic,
            )
        ]
    if as_json:
        _json(data)
        return
    _table(
        "Items",
        [
            "reference",
            "title",
            "originator",
            "marking",
            "holder's marking",
            "topic",
            "holder",
            "registered",
        ],
        [
            [
                i["reference"],
                i["title"],
                i["originator"],
                i["marking"],
                i["holder_marking"],
                i["topic"],
                i["holder"],
                i["registered_at"],
            ]
            for i in data
        ],
    )


@item_app.command("show")
def item_show(
    item: Annotated[str, typer.Argument(help="Item id or reference.")], as_json: JsonFlag = False
) -> None:
    """Show an item with its releases, consents and decisions."""
    with _registry() as registry, registry.transaction() as connection:
        zone = registry.time_zone
        record = records.item(connection, item)
        view = {
            **views.item(record, zone),
            "releases": [views.release(r, zone) for r in records.releases(connection, record.id)],
            "consents": [views.consent(c, zone) for c in records.consents(connection, record.id)],
            "decisions": [
                views.decision_record(d, zone)
                for d in decision_store.decisions(connection, item_id=record.id)
            ],
        }
    if as_json:
        _json(view)
        return
    _print_fields({k: v for k, v in view.items() if k not in ("releases", "consents", "decisions")})
    _table(
        "Releases",
        ["at", "kind", "to", "agreement", "marking"],
        [
            [r["at"], r["kind"], r["to"], r["agreement"], r["recipient_marking"]]
            for r in view["releases"]
        ],
    )
    _table(
        "Consents",
        ["to", "granted", "expires", "reference"],
        [[c["to"], c["granted_at"], c["expires_at"], c["reference"]] for c in view["consents"]],
    )
    _table(
        "Decisions",
        ["id", "kind", "at", "allowed", "reasons"],
        [
            [d["id"], d["kind"], d["at"], d["allowed"], ", ".join(r["code"] for r in d["reasons"])]
            for d in view["decisions"]
        ],
    )


@app.command("releases")
def release_list(as_json: JsonFlag = False) -> None:
    """List recorded releases and transfers."""
    with _registry() as registry, registry.transaction() as connection:
        data = [views.release(r, registry.time_zone) for r in records.releases(connection)]
    if as_json:
        _json(data)
        return
    _table(
        "Releases",
        ["id", "item", "kind", "from", "to", "at", "agreement", "recipient marking"],
        [
            [
                r["id"],
                r["item_id"],
                r["kind"],
                r["from"],
                r["to"],
                r["at"],
                r["agreement"],
                r["recipient_marking"],
            ]
            for r in data
        ],
    )


# --- consents -----------------------------------------------------------------------------------


@consent_app.command("add")
def consent_add(
    item: Annotated[str, typer.Argument(help="Item id or reference.")],
    to: Annotated[str, typer.Option("--to", help="The third party the consent names.")],
    granted: Annotated[str, typer.Option(help="When the written consent was given.")],
    expires: Annotated[str | None, typer.Option(help="When it expires [default: never]")] = None,
    reference: Annotated[str, typer.Option(help="The letter's reference.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Record the originator's prior written consent for an item to go to a third party."""
    with _registry() as registry:
        consent = item_cases.add_consent(
            registry,
            item,
            to,
            registry.instant(granted),
            registry.instant(expires) if expires else None,
            reference,
        )
        view = views.consent(consent, registry.time_zone)
    _json(view) if as_json else out.print(
        f"consent {view['id']}: item {view['item_id']} may go to {view['to']}"
    )


@consent_app.command("list")
def consent_list(
    item: Annotated[str | None, typer.Option(help="Only consents for this item.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List recorded consents."""
    with _registry() as registry, registry.transaction() as connection:
        item_id = records.item(connection, item).id if item else None
        data = [views.consent(c, registry.time_zone) for c in records.consents(connection, item_id)]
    if as_json:
        _json(data)
        return
    _table(
        "Consents",
        ["id", "item", "originator", "to", "granted", "expires", "reference"],
        [
            [
                c["id"],
                c["item_id"],
                c["originator"],
                c["to"],
                c["granted_at"],
                c["expires_at"],
                c["reference"],
            ]
            for c in data
        ],
    )


# --- keys and sealed content ---------------------------------------------------------------


def _keys_table(data: list[dict[str, Any]]) -> None:
    _table(
        "Keys",
        ["kid", "party", "purpose", "algorithm", "status", "fingerprint (SHA-256)"],
        [
            [k["kid"], k["party"], k["purpose"], k["algorithm"], k["status"], k["fingerprint"]]
            for k in data
        ],
    )


@keys_app.command("init")
def keys_init(as_json: JsonFlag = False) -> None:
    """Generate this node's keys: Ed25519 signing, RSA-2048 and EC P-256 wrapping."""
    with _registry() as registry:
        records_ = node_keys.init_keys(registry, _required_passphrase(confirm=True))
        data = [views.key(r, registry.party) for r in records_]
    _json(data) if as_json else _keys_table(data)


@keys_app.command("rotate")
def keys_rotate(as_json: JsonFlag = False) -> None:
    """New keys for every purpose; the old ones retire (they open, never seal or sign)."""
    with _registry() as registry:
        new, retired = node_keys.rotate(registry, _required_passphrase())
        data: dict[str, Any] = {
            "new": [views.key(r, registry.party) for r in new],
            "retired": retired,
        }
    if as_json:
        _json(data)
    else:
        _keys_table(data["new"])
        out.print("retired: " + ", ".join(retired))


@keys_app.command("destroy")
def keys_destroy(kid: str, as_json: JsonFlag = False) -> None:
    """Erase the private part of a retired key: items wrapped only to it can no longer open."""
    with _registry() as registry:
        view = views.key(node_keys.destroy(registry, kid), registry.party)
    _json(view) if as_json else out.print(f"{view['kid']}: {view['status']}")


@keys_app.command("list")
def keys_list(as_json: JsonFlag = False) -> None:
    """This node's keys and the partners' public keys it knows."""
    with _registry() as registry:
        data = [views.key(r, registry.party) for r in node_keys.keyring(registry, None).records()]
    _json(data) if as_json else _keys_table(data)


@keys_app.command("export")
def keys_export(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File [default: stdout]")
    ] = None,
) -> None:
    """This node's public key set, signed, for partners to import."""
    with _registry() as registry:
        document = node_keys.export_public(registry, _required_passphrase())
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@keys_app.command("import")
def keys_import(
    file: Path,
    trust: Annotated[
        bool,
        typer.Option(help="Accept a first key set for a party (fingerprints checked out of band)."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Import a partner's public key set (signed by a signing key known for that party)."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyStoreError(f"cannot read {file}: {exc.strerror}") from None
    with _registry() as registry:
        imported = node_keys.import_public(registry, text, trust=trust)
    view = {"party": imported.party, "added": imported.added, "already_known": imported.known}
    _json(view) if as_json else out.print(f"{imported.party}: {len(imported.added)} key(s) added")


@app.command("seal")
def seal_command(
    file: Path,
    to: Annotated[list[str], typer.Option("--to", help="A recipient party (repeat).")],
    marking: Annotated[str, typer.Option(help="Classification in this party's scheme.")],
    topic: Annotated[str, typer.Option(help="Topic slug.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The sealed .tdf file to write.")],
    rel_to: Annotated[
        list[str] | None, typer.Option("--rel-to", help="Releasability (repeat).")
    ] = None,
    purpose: Annotated[str, typer.Option(help="The purpose the item serves.")] = "",
    at: Annotated[str | None, typer.Option(help="Instant of the release [default: now]")] = None,
    wrap: Wrap = Wrapping.WRAPPED,
    as_json: JsonFlag = False,
) -> None:
    """Seal a file as a ZTDF for parties; sealing for a partner is a release, decided first."""
    with _registry() as registry:
        party = registry.own_party(None)
        ring = node_keys.keyring(registry, _required_passphrase())
        instant = registry.instant(at, party) if at else registry.now()
        label = registry.label(party, marking, topic, releasable_to=rel_to, purpose=purpose)
        outcome = sealing.seal_file(
            registry, ring, file, output, to=to, label=label, at=instant, wrap=Purpose(wrap.value)
        )
    view: dict[str, Any] = {
        "sealed": str(output) if outcome.sealed else None,
        "plaintext_size": outcome.sealed.plaintext_size if outcome.sealed else None,
        "segments": outcome.sealed.segments if outcome.sealed else None,
        "decisions": [
            {"to": party_, "decision_id": decision_id, **views.decision(decision)}
            for party_, decision_id, decision in outcome.decisions
        ],
    }
    if as_json:
        _json(view)
    else:
        for entry in view["decisions"]:
            out.print(f"release to {entry['to']}:")
            _print_decision(entry)
        if outcome.sealed:
            out.print(
                f"sealed {file} → {output} ({view['plaintext_size']} bytes, {view['segments']} segment(s))"
            )
    if not outcome.allowed:
        raise typer.Exit(1)


@app.command("open")
def open_command(
    file: Path,
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", help="Where to write the content (-: standard output, once verified)."
        ),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Open a sealed file addressed to this node; every check must pass or nothing is written."""
    to_stdout = str(output) == "-"
    with _registry() as registry:
        ring = node_keys.keyring(registry, _required_passphrase())
        opened, label = sealing.open_file(
            registry, ring, file, sys.stdout.buffer if to_stdout else output
        )
    if to_stdout:
        sys.stdout.flush()
    view = {
        "output": str(output),
        "size": opened.plaintext_size,
        "sealed_by": opened.sealed_by,
        "signer": opened.signer,
        "originator": label.originator,
        "marking": label.level.marking,
        "topic": label.topic,
    }
    report = err if to_stdout else out  # standard output holds the content
    if as_json:
        report.print(json.dumps(view, ensure_ascii=False, indent=2), markup=False)
    else:
        report.print(
            f"opened {file} → {output}: {view['size']} bytes, {label.level} from {label.originator}, sealed by {opened.sealed_by}"
        )


@app.command("inspect")
def inspect_command(file: Path, as_json: JsonFlag = False) -> None:
    """Label, recipients, sizes and integrity of a sealed file, without opening it."""
    with _registry() as registry:
        view = sealing.inspect_file(registry, node_keys.keyring(registry, None), file)
    if as_json:
        _json(view)
        return
    _print_fields({"label": view["label"], "sizes": view["sizes"], "integrity": view["integrity"]})
    _table(
        "Recipients",
        ["party", "type", "kid"],
        [[r["party"], r["type"], r["kid"]] for r in view["recipients"]],
    )


# --- the ledger ------------------------------------------------------------------------------


@ledger_app.command("head")
def ledger_head(as_json: JsonFlag = False) -> None:
    """Sign a checkpoint of the ledger as it is (needs the passphrase) and show it; without a
    passphrase, show the latest signed checkpoint."""
    with _registry() as registry:
        passphrase = _passphrase()
        head = node_ledger.head(
            registry, node_keys.keyring(registry, passphrase), sign=passphrase is not None
        )
    view = {
        "size": head.size,
        "root": base64.b64encode(head.root).decode(),
        "signed_now": head.signed_now,
        "checkpoint": head.note,
    }
    if as_json:
        _json(view)
    else:
        sys.stdout.write(head.note)


@ledger_app.command("vkey")
def ledger_vkey() -> None:
    """The verifier key partners use to check this node's checkpoints."""
    with _registry() as registry:
        out.print(node_ledger.vkey(registry, node_keys.keyring(registry, None)), markup=False)


@ledger_app.command("prove")
def ledger_prove(
    entry: Annotated[int, typer.Argument(help="The entry's position (0-based).")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File [default: stdout]")
    ] = None,
) -> None:
    """An inclusion proof of one entry against the latest signed checkpoint, as JSON."""
    with _registry() as registry:
        bundle = node_ledger.prove(registry, entry)
    text = json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@ledger_app.command("check")
def ledger_check(
    proof: Annotated[Path, typer.Argument(help="A proof written by gsomia ledger prove.")],
    vkey: Annotated[list[str], typer.Option("--vkey", help="A verifier key of the log (repeat).")],
    as_json: JsonFlag = False,
) -> None:
    """Check a proof bundle offline, as a partner does: signature, leaf and audit path."""
    try:
        bundle = json.loads(proof.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidRequest(f"cannot read {proof}: {exc}") from None
    result = node_ledger.check(bundle, [VerifierKey.from_vkey(v) for v in vkey])
    _json(result) if as_json else out.print(
        f"verified: entry {result['entry']} ({result['kind']}) is in {result['origin']} at size {result['tree_size']}"
    )


@ledger_app.command("consistency")
def ledger_consistency(
    old: Annotated[int, typer.Argument(help="The older tree size.")],
    new: Annotated[
        int | None, typer.Argument(help="The newer tree size [default: the whole log]")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The proof that the log of OLD entries is a prefix of the log of NEW entries."""
    with _registry() as registry:
        view = node_ledger.consistency(registry, old, new)
    _json(view) if as_json else out.print(
        f"consistent: {view['old_size']} → {view['new_size']} entries, {len(view['path'])} hashes; "
        f"roots {view['old_root']} → {view['new_root']}"
    )


@ledger_app.command("verify")
def ledger_verify(as_json: JsonFlag = False) -> None:
    """Recompute everything; report any altered, deleted, inserted or reordered entry and the
    first position where the history diverges (exit 1 if anything is wrong)."""
    with _registry() as registry:
        report = node_ledger.verify(registry, node_keys.keyring(registry, None))
    view: dict[str, Any] = {
        "ok": report.ok,
        "size": report.size,
        "checkpoints": report.checkpoints,
        "first_divergence": report.first_divergence,
        "problems": [
            {"kind": p.kind.value, "start": p.start, "end": p.end, "message": p.message}
            for p in report.problems
        ],
    }
    if as_json:
        _json(view)
    elif report.ok:
        out.print(
            f"ledger intact: {report.size} entries, {report.checkpoints} checkpoint(s) verified"
        )
    else:
        out.print(
            f"[bold red]ledger damaged[/]: first divergence at entry {report.first_divergence}"
        )
        for problem in view["problems"]:
            out.print(
                f"  {problem['kind']} [{problem['start']}, {problem['end']}): {problem['message']}",
                markup=False,
            )
    if not report.ok:
        raise typer.Exit(1)


@ledger_app.command("entries")
def ledger_entries(
    start: Annotated[int, typer.Option(help="The first position.")] = 0,
    limit: Annotated[int, typer.Option(help="How many entries at most.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Read ledger entries, oldest first."""
    with _registry() as registry:
        data = node_ledger.entries(registry, start, limit)
    if as_json:
        _json(data)
        return
    _table(
        "Ledger",
        ["position", "kind", "recorded", "body"],
        [
            [
                e["position"],
                e["kind"],
                e["recorded_at"],
                json.dumps(e["body"], ensure_ascii=False)[:100],
            ]
            for e in data
        ],
    )


# --- decisions ----------------------------------------------------------------------------------


@decision_app.command("list")
def decision_list(
    kind: Annotated[str | None, typer.Option(help="release, transfer, receipt or access.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List the decisions taken through the registry."""
    with _registry() as registry, registry.transaction() as connection:
        data = [
            views.decision_record(d, registry.time_zone)
            for d in decision_store.decisions(connection, kind=kind)
        ]
    if as_json:
        _json(data)
        return
    _table(
        "Decisions",
        ["id", "kind", "at", "allowed", "agreement", "reasons"],
        [
            [
                d["id"],
                d["kind"],
                d["at"],
                d["allowed"],
                d["agreement"],
                ", ".join(r["code"] for r in d["reasons"]),
            ]
            for d in data
        ],
    )


@decision_app.command("show")
def decision_show(decision_id: int, as_json: JsonFlag = False) -> None:
    """Show one decision with its request and reasons."""
    with _registry() as registry, registry.transaction() as connection:
        view = views.decision_record(
            decision_store.decision(connection, decision_id), registry.time_zone
        )
    if as_json:
        _json(view)
        return
    out.print(f"decision {view['id']} ({view['kind']} at {view['at']}): request {view['request']}")
    _print_decision(view)


HINTS: dict[tuple[type[GsomiaError], str], str] = {
    (KeyStoreError, "passphrase"): "check GSOMIA_PASSPHRASE",
    (KeyStoreError, "keys"): "run gsomia keys init",
    (KeyStoreError, "party"): "run gsomia init --party P",
    (NotARecipient, "party"): "run gsomia init --party P",
    (UnknownSigner, "partner-keys"): "import the originator's public keys (gsomia keys import)",
}
"""What to do about an error, in this interface's words, by the error's class and subject."""


def _hinted(error: GsomiaError) -> str:
    hint = next(
        (
            text
            for (kind, subject), text in HINTS.items()
            if isinstance(error, kind) and error.subject == subject
        ),
        None,
    )
    return f"{error.message}; {hint}" if hint else error.message


def main() -> None:
    """Entry point: bad input prints one line and exits 2."""
    try:
        code = app(standalone_mode=False)
    except GsomiaError as exc:
        err.print(f"error: {_hinted(exc)}", markup=False)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors: a missing or malformed option
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"error: {exc}", markup=False)
        sys.exit(int(getattr(exc, "exit_code", 2)))
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
