"""Sealed files: seal, open, inspect."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gsomia.cli import render
from gsomia.cli.options import JsonFlag, Output, Wrap, Wrapping, destination, node, passphrase


def register(app: typer.Typer) -> None:
    app.command("seal")(seal_command)
    app.command("open")(open_command)
    app.command("inspect")(inspect_command)
    app.command("adopt")(adopt_command)


def seal_command(
    ctx: typer.Context,
    file: Path,
    to: Annotated[list[str], typer.Option("--to", help="A recipient party (repeat).")],
    marking: Annotated[str, typer.Option(help="Classification in this party's scheme.")],
    topic: Annotated[str, typer.Option(help="Topic slug.")],
    output: Output,
    rel_to: Annotated[
        list[str] | None, typer.Option("--rel-to", help="Releasability (repeat).")
    ] = None,
    purpose: Annotated[str, typer.Option(help="The purpose the item serves.")] = "",
    at: Annotated[str | None, typer.Option(help="Instant of the release [default: now]")] = None,
    wrap: Wrap = Wrapping.WRAPPED,
    as_json: JsonFlag = False,
) -> None:
    """Seal a file as a ZTDF for parties; sealing for a partner is a release, decided first."""
    from gsomia.crypto.keys import Purpose
    from gsomia.node.commands import sealing

    with node(ctx) as opened:
        view = sealing.seal_file(
            opened,
            file,
            destination(output),
            to=to,
            marking=marking,
            topic=topic,
            at=at,
            releasable_to=rel_to,
            purpose=purpose,
            passphrase=passphrase(ctx),
            wrap=Purpose(wrap.value),
        )
    if output == "-":
        if view.sealed is None:
            render.note(
                "denied: " + "; ".join(r.message for d in view.decisions for r in d.reasons)
            )
    elif as_json:
        render.model(view)
    else:
        for entry in view.decisions:
            render.say(f"release to {entry.to}:")
            render.decision(entry)
        if view.sealed is not None:
            render.say(
                f"sealed {render.safe(file)} → {render.safe(view.sealed)} "
                f"({view.plaintext_size} bytes, {view.segments} segment(s))"
            )
    if view.sealed is None:
        raise typer.Exit(1)


def open_command(
    ctx: typer.Context,
    file: Path,
    output: Output,
    as_json: JsonFlag = False,
) -> None:
    """Open a sealed file addressed to this node; every check must pass before the content
    exists under any name."""
    from gsomia.node.commands import sealing

    with node(ctx) as opened:
        view = sealing.open_file(opened, file, destination(output), passphrase(ctx))
    summary = (
        f"{view.size} bytes, {view.marking} from {view.originator}, sealed by {view.sealed_by}"
    )
    if output == "-":
        render.note(f"opened {file}: {summary}")  # standard output carries the content
    elif as_json:
        render.model(view)
    else:
        render.say(f"opened {render.safe(file)} → {render.safe(view.output)}: {summary}")


def inspect_command(ctx: typer.Context, file: Path, as_json: JsonFlag = False) -> None:
    """Label, recipients, sizes and integrity of a sealed file, without opening it."""
    from gsomia.node.commands import sealing

    with node(ctx) as opened:
        view = sealing.inspect_file(opened, file)
    if as_json:
        render.model(view)
        return
    render.say(f"{render.safe(view.file)}")
    render.say("label:")
    if view.label is None:
        render.say("  unreadable")
    else:
        render.fields(view.label.to_json(), "  ")
    render.say("integrity:")
    render.fields(view.integrity.to_json(), "  ")
    render.say("sizes:")
    render.fields(view.sizes.to_json(), "  ")
    render.table(
        "Recipients",
        ["party", "type", "kid"],
        [[r.party, r.type, r.kid] for r in view.recipients],
    )


def adopt_command(
    ctx: typer.Context,
    file: Path,
    output: Output,
    originator: Annotated[
        str, typer.Option("--from", help="The originator, whose scheme the marking is in.")
    ],
    marking: Annotated[str, typer.Option(help="Classification in the originator's scheme.")],
    topic: Annotated[str, typer.Option(help="Topic slug.")],
    rel_to: Annotated[
        list[str] | None, typer.Option("--rel-to", help="Releasability (repeat).")
    ] = None,
    purpose: Annotated[str, typer.Option(help="The purpose the item serves.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Label a ZTDF that other OpenTDF software sealed for this party (otdf-python, the Go
    SDK): once it verifies, a copy carrying this party's signed gsomia label is written."""
    from gsomia.node.commands import sealing

    with node(ctx) as opened:
        view = sealing.adopt_file(
            opened,
            file,
            destination(output),
            originator=originator,
            marking=marking,
            topic=topic,
            releasable_to=rel_to,
            purpose=purpose,
            passphrase=passphrase(ctx),
        )
    summary = f"{view.size} bytes, labelled {view.marking} from {view.originator}"
    if output == "-":
        render.note(f"labelled {file}: {summary}")
    elif as_json:
        render.model(view)
    else:
        render.say(f"labelled {render.safe(file)} → {render.safe(view.output)}: {summary}")
