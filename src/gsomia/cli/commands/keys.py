"""This node's keys and its partners' public keys."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gsomia.cli import render
from gsomia.cli.options import JsonFlag, Output, destination, node, passphrase

if TYPE_CHECKING:
    from gsomia.node.schemas import KeyView

keys_app = typer.Typer(help="This node's keys and its partners' public keys.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")


def _table(found: list[KeyView]) -> None:
    render.table(
        "Keys",
        ["kid", "party", "purpose", "algorithm", "status", "fingerprint (SHA-256)"],
        [[k.kid, k.party, k.purpose, k.algorithm, k.status, k.fingerprint] for k in found],
    )


@keys_app.command("init")
def keys_init(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Generate this node's keys: Ed25519 signing, RSA-2048 and EC P-256 wrapping."""
    from gsomia.node.commands import keys

    with node(ctx) as opened:
        made = keys.init_keys(opened, passphrase(ctx, confirm=True))
    render.model(made) if as_json else _table(made)


@keys_app.command("rotate")
def keys_rotate(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """New keys for every purpose; the old ones retire (they open, never seal or sign)."""
    from gsomia.node.commands import keys

    with node(ctx) as opened:
        view = keys.rotate(opened, passphrase(ctx))
    if as_json:
        render.model(view)
    else:
        _table(view.new)
        render.say("retired: " + ", ".join(view.retired))


@keys_app.command("destroy")
def keys_destroy(ctx: typer.Context, kid: str, as_json: JsonFlag = False) -> None:
    """Erase the private part of a retired key: items wrapped only to it can no longer open."""
    from gsomia.node.commands import keys

    with node(ctx) as opened:
        view = keys.destroy(opened, kid)
    render.model(view) if as_json else render.say(f"{view.kid}: {view.status}")


@keys_app.command("list")
def keys_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """This node's keys and the partners' public keys it knows."""
    from gsomia.node import queries

    with node(ctx) as opened:
        found = queries.keys(opened)
    render.model(found) if as_json else _table(found)


@keys_app.command("export")
def keys_export(
    ctx: typer.Context,
    output: Output = "-",
) -> None:
    """This node's public key set, signed, for partners to import."""
    from gsomia.node.commands import keys

    with node(ctx) as opened:
        document = keys.export_public(opened, passphrase(ctx))
        view = keys.write_key_set(opened, document, destination(output))
    if output != "-":
        render.say(
            f"wrote {view.party}'s public key set to {render.safe(view.output)}: "
            f"{len(view.keys)} keys; signing-key fingerprint {view.fingerprints[0]}"
        )


@keys_app.command("import")
def keys_import(
    ctx: typer.Context,
    file: Path,
    trust: Annotated[
        bool,
        typer.Option(help="Pin a party's first key set (fingerprints compared out of band)."),
    ] = False,
    replace: Annotated[
        str | None,
        typer.Option(
            "--replace",
            help="Replace the party's pinned set: the fingerprint of its pinned signing key.",
        ),
    ] = None,
    new_fingerprint: Annotated[
        str | None,
        typer.Option(
            "--new-fingerprint",
            help="With --replace: the fingerprint of the new set's signing key.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Import a partner's public key set: the first one with --trust; later ones only when
    signed by a key already pinned for that party, or replacing it explicitly."""
    from gsomia.errors import InvalidRequest
    from gsomia.node.commands import keys
    from gsomia.store import files

    if (replace is None) != (new_fingerprint is None):
        raise InvalidRequest("--replace and --new-fingerprint go together")
    with files.open_input(file) as stream:
        try:
            text = stream.read(16 * 1024 * 1024).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequest(f"{file} is not UTF-8 text") from None
    replacement = (
        keys.Replacement(replace, new_fingerprint)
        if replace is not None and new_fingerprint is not None
        else None
    )
    with node(ctx) as opened:
        view = keys.import_public(opened, text, trust=trust, replace=replacement)
    if as_json:
        render.model(view)
        return
    render.say(f"{view.party}: {len(view.added)} key(s) added, {len(view.already_known)} known")
    if view.retired:
        render.say(f"retired {view.party}'s previous keys: {', '.join(view.retired)}")
