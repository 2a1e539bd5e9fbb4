"""Originators' prior written consents to onward transfer (Art 6)."""

from __future__ import annotations

from typing import Annotated

import typer

from gsomia.cli import render
from gsomia.cli.options import JsonFlag, node, passphrase

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


@consent_app.command("request")
def consent_request(
    ctx: typer.Context,
    item: Annotated[str, typer.Argument(help="A received item's id or reference.")],
    to: Annotated[str, typer.Option("--to", help="The third party it would go to.")],
    purpose: Annotated[str, typer.Option(help="What it is for.")] = "",
    at: Annotated[str | None, typer.Option(help="When the request is made [default: now]")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Ask the item's originator, through its node, for consent to pass it on (Art 6)."""
    from gsomia.node.commands import consents

    with node(ctx) as opened:
        view = consents.request_consent(opened, item, to, purpose, at)
    if as_json:
        render.model(view)
    else:
        render.say(
            f"consent request {view.id}: {view.item} to {view.to}, asked of {view.originator}"
        )


@consent_app.command("requests")
def consent_requests(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Requests for consent this node made, and those made of it."""
    from gsomia.node.commands import consents

    with node(ctx) as opened:
        found = consents.consent_requests(opened)
    if as_json:
        render.model(found)
        return
    render.table(
        "Consent requests",
        ["id", "item", "originator", "holder", "to", "purpose", "state", "to answer here"],
        [
            [
                r.id,
                r.item,
                r.originator,
                r.holder,
                r.to,
                r.purpose,
                r.state,
                "yes" if r.asked_of_us and r.state == "pending" else "",
            ]
            for r in found
        ],
    )


@consent_app.command("grant")
def consent_grant(
    ctx: typer.Context,
    request: Annotated[str, typer.Argument(help="The request's id.")],
    expires: Annotated[str, typer.Option(help="When the consent expires.")],
    reference: Annotated[str, typer.Option(help="The letter's reference.")],
    at: Annotated[str | None, typer.Option(help="When it is given [default: now]")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Grant a request made of this node: the consent goes signed to the holder's node."""
    from gsomia.node.commands import consents

    with node(ctx) as opened:
        view = consents.grant(opened, request, expires, reference, passphrase(ctx), at)
    render.model(view) if as_json else render.say(f"consent request {view.id}: {view.state}")


@consent_app.command("refuse")
def consent_refuse(
    ctx: typer.Context,
    request: Annotated[str, typer.Argument(help="The request's id.")],
    reason: Annotated[str, typer.Option(help="Why.")],
    at: Annotated[str | None, typer.Option(help="When it is refused [default: now]")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Refuse a request made of this node: the refusal goes signed to the holder's node."""
    from gsomia.node.commands import consents

    with node(ctx) as opened:
        view = consents.refuse(opened, request, reason, passphrase(ctx), at)
    render.model(view) if as_json else render.say(f"consent request {view.id}: {view.state}")
