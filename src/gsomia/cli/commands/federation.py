"""The node as a service, and its partners' nodes: serve, peers, deliveries, custody."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gsomia.cli import render
from gsomia.cli.options import JsonFlag, node, passphrase, settings

peer_app = typer.Typer(
    help="Partners' nodes: where they answer, their pinned keys.", no_args_is_help=True
)
delivery_app = typer.Typer(
    help="Messages to partners' nodes: deliveries, notes, consents.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(peer_app, name="peer")
    app.add_typer(delivery_app, name="delivery")


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    checkpoint_every: Annotated[
        float, typer.Option(help="Seconds between checkpoints of a growing ledger.")
    ] = 30.0,
) -> None:
    """Run the node: the node-to-node API, the officers' API (/api/v1) and web UI (/), the
    outbox worker, checkpoint signing. Stops gracefully on SIGINT or SIGTERM (requests in
    flight finish; the outbox stays consistent)."""
    import uvicorn

    from gsomia.api.app import create_app
    from gsomia.node.context import Node
    from gsomia.node.logs import configure

    configure()
    secret = passphrase(ctx)
    with Node.open(settings(ctx)) as opened:
        app = create_app(opened, secret, checkpoint_every=checkpoint_every)
        uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)


@peer_app.command("add")
def peer_add(
    ctx: typer.Context,
    party: str,
    url: Annotated[str, typer.Option("--url", help="Where the party's node answers.")],
    keys: Annotated[Path, typer.Option("--keys", help="The party's signed public key set.")],
    trust: Annotated[
        bool, typer.Option(help="Pin a first key set (fingerprints compared out of band).")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add a partner's node: pin its key set and record where it answers."""
    from gsomia.errors import InvalidRequest
    from gsomia.node.commands import peers
    from gsomia.store import files

    with files.open_input(keys) as stream:
        try:
            text = stream.read(16 * 1024 * 1024).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequest(f"{keys} is not UTF-8 text") from None
    with node(ctx) as opened:
        view = peers.add_peer(opened, party, url, text, trust=trust)
    if as_json:
        render.model(view)
    else:
        render.say(
            f"peer {view.party} at {render.safe(view.url)}; signing key "
            f"{', '.join(view.signing_fingerprints)}"
        )


@peer_app.command("list")
def peer_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """The partners' nodes this node talks to."""
    from gsomia.node.commands import peers

    with node(ctx) as opened:
        found = peers.peers(opened)
    if as_json:
        render.model(found)
        return
    render.table(
        "Peers",
        ["party", "url", "added", "signing key fingerprint"],
        [
            [p.party, p.url, p.added_at.isoformat(), ", ".join(p.signing_fingerprints)]
            for p in found
        ],
    )


@peer_app.command("remove")
def peer_remove(ctx: typer.Context, party: str, as_json: JsonFlag = False) -> None:
    """Stop talking to a partner's node (its keys stay pinned: old signatures still verify)."""
    from gsomia.node.commands import peers

    with node(ctx) as opened:
        view = peers.remove_peer(opened, party)
    render.model(view) if as_json else render.say(f"removed peer {view.party}")


@delivery_app.command("list")
def delivery_list(
    ctx: typer.Context,
    state: Annotated[str | None, typer.Option(help="queued, delivered, refused or failed.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Messages to partners' nodes, oldest first."""
    from gsomia.node import queries

    with node(ctx) as opened:
        found = queries.deliveries(opened, state)
    if as_json:
        render.model(found)
        return
    render.table(
        "Deliveries",
        ["id", "kind", "to", "subject", "state", "attempts", "last error"],
        [[d.id, d.kind, d.to, d.subject, d.state, d.attempts, d.last_error] for d in found],
    )


@delivery_app.command("show")
def delivery_show(ctx: typer.Context, delivery_id: str, as_json: JsonFlag = False) -> None:
    """One message: its attempts, last error, the partner's signed answer and whether it
    verified."""
    from gsomia.node import queries

    with node(ctx) as opened:
        view = queries.delivery(opened, delivery_id)
    render.model(view) if as_json else render.fields(view.to_json())


@delivery_app.command("retry")
def delivery_retry(ctx: typer.Context, delivery_id: str, as_json: JsonFlag = False) -> None:
    """Queue a failed message again (the running node sends it at once)."""
    from gsomia.node import outbox

    with node(ctx) as opened:
        view = outbox.retry(opened, delivery_id)
    render.model(view) if as_json else render.say(f"delivery {view.id}: {view.state}")
