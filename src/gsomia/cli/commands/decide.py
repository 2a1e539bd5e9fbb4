"""What-if decisions and routes: evaluate the rules, record nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gsomia.cli import render
from gsomia.cli.options import At, JsonFlag, node
from gsomia.core.labels import GENERAL_TOPIC

if TYPE_CHECKING:
    from gsomia.node.schemas import FlowView

decide_app = typer.Typer(help="What-if decisions: evaluate, record nothing.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(decide_app, name="decide")
    app.command()(routes)
    app.command()(impact)


@decide_app.command("release")
def decide_release(
    ctx: typer.Context,
    sender: Annotated[str, typer.Option("--from", help="The originating party.")],
    recipient: Annotated[str, typer.Option("--to", help="The receiving party.")],
    marking: Annotated[str, typer.Option(help="Marking in the originator's scheme.")],
    at: At,
    topic: Annotated[str, typer.Option(help="Topic slug.")] = GENERAL_TOPIC,
    as_json: JsonFlag = False,
) -> None:
    """May the originator release an item of this marking and topic to the recipient?"""
    from gsomia.node.commands import whatif

    with node(ctx) as opened:
        view = whatif.release(opened, sender, recipient, marking, topic, at)
    render.model(view) if as_json else render.decision(view)


@decide_app.command("access")
def decide_access(
    ctx: typer.Context,
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
    from gsomia.node.commands import whatif

    with node(ctx) as opened:
        view = whatif.access(
            opened,
            reader_party=reader_party,
            clearance=clearance,
            need_to_know=need_to_know or [],
            originator=originator,
            marking=marking,
            topic=topic,
            at=at,
            held_by=held_by,
            position=position,
        )
    render.model(view) if as_json else render.decision(view)


def routes(
    ctx: typer.Context,
    sender: Annotated[str, typer.Option("--from", help="The originating party.")],
    recipient: Annotated[str, typer.Option("--to", help="The destination party.")],
    marking: Annotated[str, typer.Option(help="Marking in the originator's scheme.")],
    topic: Annotated[str, typer.Option(help="Topic slug.")],
    at: At,
    as_json: JsonFlag = False,
) -> None:
    """Every legal path for an item between two parties at an instant, direct or via a hub."""
    from gsomia.node.commands import whatif

    with node(ctx) as opened:
        found = whatif.legal_routes(opened, sender, recipient, marking, topic, at)
    if as_json:
        render.model(found)
        return
    if not found:
        render.say("No legal route.")
        return
    render.table(
        "Legal routes",
        ["path", "agreements", "markings", "consents required"],
        [
            [
                " → ".join(r.path),
                ", ".join(r.agreements),
                " → ".join(h.recipient_marking for h in r.hops),
                ", ".join(f"{c.originator}'s approval to reach {c.to}" for c in r.consents_required)
                or "none",
            ]
            for r in found
        ],
    )


def impact(
    ctx: typer.Context,
    agreement: Annotated[str, typer.Argument(help="The agreement that would end.")],
    at: At,
    as_json: JsonFlag = False,
) -> None:
    """If an agreement were no longer in force from an instant: which flows stop, which can be
    rerouted through a hub, and who may still read what was received (records nothing)."""
    from gsomia.node.commands import whatif

    with node(ctx) as opened:
        view = whatif.impact(opened, agreement, at)
    if as_json:
        render.model(view)
        return
    render.say(
        f"If {view.agreement} were no longer in force from {view.at.isoformat()} (a what-if; "
        f"nothing is recorded): {view.items_continuing} items' flows continue under another "
        f"agreement, {view.items_rerouted} can be rerouted through a hub, "
        f"{view.items_stopped} stop; {view.items_protected} items received stay protected."
    )
    if view.flows:
        render.table(
            "Flows",
            ["from → to", "marking", "topic", "items", "outcome", "how, or why not"],
            [
                [
                    f"{f.sender} → {f.to}",
                    f"{f.marking} ({f.equivalent})",
                    f.topic,
                    str(f.items),
                    f.outcome,
                    _how(f),
                ]
                for f in view.flows
            ],
        )
    if view.holdings:
        render.table(
            "Received, still protected",
            ["originator", "marking → holder's", "topic", "items", "article", "may still read"],
            [
                [
                    h.originator,
                    f"{h.marking} → {h.holder_marking or h.marking}",
                    h.topic,
                    str(h.items),
                    h.article or "",
                    ", ".join(h.readers) or "nobody",
                ]
                for h in view.holdings
            ],
        )


def _how(flow: FlowView) -> str:
    if flow.outcome == "continues":
        return f"under {flow.direct.agreement}"
    if flow.outcome == "rerouted":
        return "; ".join(
            " → ".join(r.path)
            + (f" under {r.via}" if r.via else "")
            + "".join(f", {c.originator}'s approval to reach {c.to}" for c in r.consents_required)
            for r in flow.routes
        )
    return "; ".join(
        f"{r.code} ({r.article})" if r.article else r.code for r in flow.direct.reasons
    )
