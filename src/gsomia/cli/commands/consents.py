"""Originators' prior written consents to onward transfer (Art 6)."""

from __future__ import annotations

from typing import Annotated

import typer

from gsomia.cli import render
from gsomia.cli.options import JsonFlag, node

consent_app = typer.Typer(
    help="Originators' written consents to onward transfer.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(consent_app, name="consent")


@consent_app.command("add")
def consent_add(
    ctx: typer.Context,
    item: Annotated[str, typer.Argument(help="Item id or reference.")],
    to: Annotated[str, typer.Option("--to", help="The third party the consent names.")],
    granted: Annotated[str, typer.Option(help="When the written consent was given.")],
    expires: Annotated[str | None, typer.Option(help="When it expires [default: never]")] = None,
    reference: Annotated[str, typer.Option(help="The letter's reference.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Record the originator's prior written consent for an item to go to a third party."""
    from gsomia.node.commands import consents

    with node(ctx) as opened:
        view = consents.add_consent(opened, item, to, granted, expires, reference)
    if as_json:
        render.model(view)
    else:
        render.say(f"consent {view.id}: item {view.item_id} may go to {view.to}")


@consent_app.command("list")
def consent_list(
    ctx: typer.Context,
    item: Annotated[str | None, typer.Option(help="Only consents for this item.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List recorded consents."""
    from gsomia.node import queries

    with node(ctx) as opened:
        found = queries.consents(opened, item)
    if as_json:
        render.model(found)
        return
    render.table(
        "Consents",
        ["id", "item", "originator", "to", "granted", "expires", "reference"],
        [
            [
                c.id,
                c.item_id,
                c.originator,
                c.to,
                c.granted_at.isoformat(),
                c.expires_at.isoformat() if c.expires_at else None,
                c.reference,
            ]
            for c in found
        ],
    )
