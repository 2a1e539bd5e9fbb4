"""Setting a registry up: `init`, `migrate`, and the `demo`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gsomia.cli import render
from gsomia.cli.options import JsonFlag, settings


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(migrate)
    app.command()(demo)


def init(
    ctx: typer.Context,
    party: Annotated[
        str | None,
        typer.Option(help="This node's own party (KOR, JPN, USA, NATO, ...) [env GSOMIA_PARTY]"),
    ] = None,
    time_zone: Annotated[
        str | None,
        typer.Option(help="Zone for the registry's own records (IANA name) [env GSOMIA_TIME_ZONE]"),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create the registry (or bring it up to date) and load the reference data; idempotent.
    A registry's party, once set, never changes."""
    from gsomia.node.commands import setup as setup_commands
    from gsomia.node.context import Node

    given = settings(ctx)
    node, before = Node.create(given)
    with node:
        view = setup_commands.init(node, before, party or given.party, time_zone or given.time_zone)
    if as_json:
        render.model(view)
        return
    made = "Created" if view.created else "Registry up to date:"
    render.say(f"{made} {render.safe(view.database)} (schema {view.schema_now})")
    render.say(f"  party: {view.party or 'not set'}; records shown in {view.time_zone}")
    for kind, counts in view.loaded.items():
        render.say(f"  {kind}: " + ", ".join(f"{n} {what}" for what, n in counts.items()))


def migrate(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Bring an existing registry's schema up to date, and its reference data with it."""
    from gsomia.node.commands import setup as setup_commands
    from gsomia.node.context import Node

    node, before = Node.create(settings(ctx), existing=True)
    with node:
        view = setup_commands.init(node, before, None, None)
    if as_json:
        render.model(view)
        return
    was = view.schema_before or "none"
    render.say(f"{render.safe(view.database)}: schema {was} → {view.schema_now}")


def demo(
    keep: Annotated[
        Path | None,
        typer.Option(
            help="Keep the demo's registries in this directory instead of a temporary one."
        ),
    ] = None,
) -> None:
    """Replay the Korea–Japan GSOMIA, 2016–2023, on two fresh registries, and report what the
    rules said at each turn."""
    from gsomia.demo import play

    play.run(keep)
