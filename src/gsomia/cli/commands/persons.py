"""Persons, their clearances and need-to-know (Art 7)."""

from __future__ import annotations

from typing import Annotated

import typer

from gsomia.cli import render
from gsomia.cli.options import JsonFlag, node

person_app = typer.Typer(help="Persons, their clearances and need-to-know.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(person_app, name="person")


@person_app.command("add")
def person_add(
    ctx: typer.Context,
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
    from gsomia.node.commands import persons

    with node(ctx) as opened:
        view = persons.add_person(
            opened,
            name=name,
            party=party,
            clearance=clearance,
            need_to_know=need_to_know or [],
            position=position,
        )
    if as_json:
        render.model(view)
    else:
        render.say(f"person {view.id}: {render.safe(view.name)} ({view.party})")


@person_app.command("grant")
def person_grant(
    ctx: typer.Context,
    person_id: int,
    need_to_know: Annotated[list[str], typer.Option("--need-to-know", help="A topic (repeat).")],
    as_json: JsonFlag = False,
) -> None:
    """Add need-to-know topics to a person."""
    from gsomia.node.commands import persons

    with node(ctx) as opened:
        view = persons.grant_need_to_know(opened, person_id, need_to_know)
    if as_json:
        render.model(view)
    else:
        render.say(f"person {view.id}: need-to-know {', '.join(view.need_to_know)}")


@person_app.command("list")
def person_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List persons with their clearances and need-to-know."""
    from gsomia.node import queries

    with node(ctx) as opened:
        found = queries.persons(opened)
    if as_json:
        render.model(found)
        return
    render.table(
        "Persons",
        ["id", "name", "party", "position", "clearance", "need-to-know"],
        [
            [p.id, p.name, p.party, p.position, p.clearance, ", ".join(p.need_to_know)]
            for p in found
        ],
    )


@person_app.command("show")
def person_show(ctx: typer.Context, person_id: int, as_json: JsonFlag = False) -> None:
    """Show one person."""
    from gsomia.node import queries

    with node(ctx) as opened:
        view = queries.person(opened, person_id)
    render.model(view) if as_json else render.fields(view.to_json())
