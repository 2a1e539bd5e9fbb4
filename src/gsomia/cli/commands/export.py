"""Exports for the tools of the field: `gsomia export stix`."""

from __future__ import annotations

from typing import Annotated

import typer

from gsomia.cli import render
from gsomia.cli.options import AtNow, JsonFlag, destination, node

export_app = typer.Typer(
    help="Exports for the tools of the field (STIX 2.1).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")


@export_app.command("stix")
def export_stix(
    ctx: typer.Context,
    output: Annotated[
        str,
        typer.Option(
            "-o",
            "--output",
            help="The bundle file to write (owner-only), or - for standard output.",
        ),
    ],
    recipient: Annotated[
        str | None,
        typer.Option(
            "--for",
            help="The partner the bundle is for: only what the agreements let go to it, marked "
            "with its equivalent levels [default: this registry's own party, all it holds].",
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Only items registered or changed at or after this instant (ISO 8601 with "
            "offset, or a bare date).",
            show_default=False,
        ),
    ] = None,
    at: AtNow = None,
    as_json: JsonFlag = False,
) -> None:
    """The items a partner may see, as a STIX 2.1 bundle with the marking definitions of their
    classifications (and TLP 2.0 where stix_tlp maps a level), checked with stix2. Each item
    considered for a partner is decided and recorded as an `export` decision."""
    from gsomia.errors import InvalidRequest
    from gsomia.node.commands import export

    if output == "-" and as_json:
        raise InvalidRequest("--json and -o - both write to standard output; name a file with -o")
    with node(ctx) as opened:
        view = export.export_stix(
            opened, destination(output), recipient=recipient, since=since, at=at
        )
    if as_json:
        render.model(view)
    elif output != "-":
        render.say(
            f"wrote {len(view.exported)} item(s) for {view.recipient} to "
            f"{render.safe(view.output)}; {len(view.withheld)} withheld"
        )
        for withheld in view.withheld:
            codes = ", ".join(r.code for r in withheld.reasons)
            render.say(f"  withheld {withheld.item}: {codes}")
