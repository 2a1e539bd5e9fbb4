"""The decisions taken through the registry, with their reasons."""

from __future__ import annotations

from typing import Annotated

import typer

from gsomia.cli import render
from gsomia.cli.options import JsonFlag, node

decision_app = typer.Typer(
    help="Decisions taken through the registry, with their reasons.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(decision_app, name="decision")


@decision_app.command("list")
def decision_list(
    ctx: typer.Context,
    kind: Annotated[
        str | None,
        typer.Option(help="release, transfer, receipt, access, seal, reproduce, visit or export."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """List the decisions taken through the registry."""
    from gsomia.node import queries

    with node(ctx) as opened:
        found = queries.decisions(opened, kind)
    if as_json:
        render.model(found)
        return
    render.table(
        "Decisions",
        ["id", "kind", "at", "allowed", "agreement", "reasons"],
        [
            [
                d.id,
                d.kind,
                d.at.isoformat(),
                d.allowed,
                d.agreement,
                ", ".join(r.code for r in d.reasons),
            ]
            for d in found
        ],
    )


@decision_app.command("show")
def decision_show(ctx: typer.Context, decision_id: int, as_json: JsonFlag = False) -> None:
    """Show one decision with its request and reasons."""
    from gsomia.node import queries

    with node(ctx) as opened:
        view = queries.decision(opened, decision_id)
    if as_json:
        render.model(view)
        return
    render.say(f"decision {view.id} ({view.kind} at {view.at.isoformat()})")
    render.fields({"request": view.request})
    render.decision(view)
