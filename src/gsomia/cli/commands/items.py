"""The register of items: register, receive, release, transfer, access, open; releases."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gsomia.cli import render
from gsomia.cli.options import At, JsonFlag, Output, Wrap, Wrapping, destination, node, passphrase

if TYPE_CHECKING:
    from gsomia.node.schemas import ActionView

item_app = typer.Typer(
    help="The registry of items: register, receive, release, transfer, access, open.",
    no_args_is_help=True,
)
release_app = typer.Typer(help="Releases and transfers: their sealed copies.", no_args_is_help=True)

ItemKey = Annotated[str, typer.Argument(help="Item id or reference.")]


def register(app: typer.Typer) -> None:
    app.add_typer(item_app, name="item")
    app.add_typer(release_app, name="release")
    app.command("releases")(release_list)


@item_app.command("register")
def item_register(
    ctx: typer.Context,
    title: Annotated[str, typer.Option(help="What the item is.")],
    marking: Annotated[str, typer.Option(help="Classification in the originator's scheme.")],
    topic: Annotated[str, typer.Option(help="Topic slug, such as nk-missile.")],
    at: At,
    originator: Annotated[
        str | None, typer.Option(help="Must be the registry's own party [default: it]")
    ] = None,
    purpose: Annotated[str, typer.Option(help="The purpose the item serves.")] = "",
    rel_to: Annotated[
        list[str] | None, typer.Option("--rel-to", help="A party it may be released to (repeat).")
    ] = None,
    caveat: Annotated[list[str] | None, typer.Option(help="A handling caveat (repeat).")] = None,
    reference: Annotated[str | None, typer.Option(help="[default: PARTY-YEAR-NNNN]")] = None,
    file: Annotated[
        Path | None, typer.Option(help="The item's content, stored sealed to this party.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register an item this node's party originated (its content, if any, only sealed)."""
    from gsomia.node.commands import items

    with node(ctx) as opened:
        view = items.register_item(
            opened,
            title=title,
            marking=marking,
            topic=topic,
            at=at,
            originator=originator,
            purpose=purpose,
            releasable_to=rel_to,
            caveats=caveat or [],
            reference=reference,
            file=file,
            passphrase=passphrase(ctx) if file else None,
        )
    if as_json:
        render.model(view)
        return
    content = f"; content sealed ({view.sealed.size} bytes)" if view.sealed else ""
    render.say(
        f"registered {render.safe(view.reference)}: {render.safe(view.title)} "
        f"({view.marking}, {view.english}, {view.topic}){content}"
    )


@item_app.command("receive")
def item_receive(
    ctx: typer.Context,
    at: At,
    file: Annotated[
        Path | None, typer.Option(help="A sealed .tdf from the partner: its label is read from it.")
    ] = None,
    title: Annotated[
        str | None, typer.Option(help="What the item is [default: the file name]")
    ] = None,
    originator: Annotated[
        str | None, typer.Option(help="The originating party (without --file).")
    ] = None,
    marking: Annotated[
        str | None, typer.Option(help="The originator's marking (without --file).")
    ] = None,
    topic: Annotated[str | None, typer.Option(help="Topic slug (without --file).")] = None,
    sender: Annotated[
        str | None, typer.Option("--from", help="Who handed it over [default: originator]")
    ] = None,
    originator_reference: Annotated[
        str | None, typer.Option(help="The originator's reference.")
    ] = None,
    purpose: Annotated[str, typer.Option(help="The purpose it was provided for.")] = "",
    rel_to: Annotated[
        list[str] | None, typer.Option("--rel-to", help="Releasability (repeat).")
    ] = None,
    reference: Annotated[str | None, typer.Option(help="[default: PARTY-YEAR-NNNN]")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Receive an item from a partner: decide, then mark it with the originator's name and this
    party's equivalent classification (Art 4). With --file the sealed item is verified and kept."""
    from gsomia.errors import InvalidRequest
    from gsomia.node.commands import items

    if file is not None:
        if any(v is not None for v in (originator, marking, topic, sender)):
            raise InvalidRequest(
                "with --file the label comes from the sealed item; drop --originator, "
                "--marking, --topic and --from"
            )
        with node(ctx) as opened:
            view = items.receive_sealed(
                opened,
                file,
                at=at,
                passphrase=passphrase(ctx),
                title=title,
                originator_reference=originator_reference,
                reference=reference,
            )
    else:
        if originator is None or marking is None or topic is None or title is None:
            raise InvalidRequest(
                "without --file, give --title, --originator, --marking and --topic"
            )
        with node(ctx) as opened:
            view = items.receive_item(
                opened,
                title=title,
                originator=originator,
                marking=marking,
                topic=topic,
                at=at,
                sender=sender,
                originator_reference=originator_reference,
                purpose=purpose,
                releasable_to=rel_to,
                reference=reference,
            )
    finish(view, as_json)


def finish(view: ActionView, as_json: bool) -> None:
    """An action's outcome; exit 1 after the reasons when it was denied."""
    if as_json:
        render.model(view)
    else:
        render.decision(view)
        render.say(f"decision {view.decision_id} recorded")
        if view.item is not None:
            item = view.item
            marking = item.holder_marking or item.marking
            render.say(
                f"item {render.safe(item.reference)}: {render.safe(item.title)} — {marking}, "
                f"originator {item.originator}, held by {item.holder}"
            )
        if view.release_id is not None:
            render.say(f"release {view.release_id} recorded")
        if view.sealed_copy is not None:
            render.say(
                f"the recipient's sealed copy: {render.safe(view.sealed_copy)} (write it out "
                f"with: gsomia release export {view.release_id} -o FILE)"
            )
        if view.output is not None:
            render.say(f"opened to {render.safe(view.output)}")
    if not view.allowed:
        raise typer.Exit(1)


@item_app.command("release")
def item_release(
    ctx: typer.Context,
    item: ItemKey,
    to: Annotated[str, typer.Option("--to", help="The receiving party.")],
    at: At,
    for_party: Annotated[
        str | None,
        typer.Option(
            "--for",
            help="Relay through --to (a hub, TISA) to this party, with this party's consent "
            "signed and attached.",
        ),
    ] = None,
    wrap: Wrap = Wrapping.WRAPPED,
    as_json: JsonFlag = False,
) -> None:
    """Release an item this party originated to a partner, if the agreements allow (Rule 2);
    sealed content is sealed again for the recipient, re-marked per the agreement; a partner's
    node that is a peer gets it delivered, with a signed receipt."""
    _hand_over(ctx, "release", item, to, at, wrap, as_json, for_party)


@item_app.command("transfer")
def item_transfer(
    ctx: typer.Context,
    item: ItemKey,
    to: Annotated[str, typer.Option("--to", help="The third party.")],
    at: At,
    wrap: Wrap = Wrapping.WRAPPED,
    as_json: JsonFlag = False,
) -> None:
    """Pass a received item on to a third party; needs the originator's written consent (Art 6)."""
    _hand_over(ctx, "transfer", item, to, at, wrap, as_json)


def _hand_over(
    ctx: typer.Context,
    kind: str,
    item: str,
    to: str,
    at: str,
    wrap: Wrapping,
    as_json: bool,
    relay_to: str | None = None,
) -> None:
    from gsomia.crypto.keys import Purpose
    from gsomia.node.commands import items

    secret = passphrase(ctx, required=relay_to is not None)
    with node(ctx) as opened:
        if kind == "release":
            view = items.release_item(
                opened, item, to, at, secret, Purpose(wrap.value), relay_to=relay_to
            )
        else:
            view = items.transfer_item(opened, item, to, at, secret, Purpose(wrap.value))
    finish(view, as_json)


@item_app.command("custody")
def item_custody(ctx: typer.Context, item: ItemKey, as_json: JsonFlag = False) -> None:
    """Every hand-over of an item and of its copies, with their receipts, each verified."""
    from gsomia.node import queries

    with node(ctx) as opened:
        view = queries.custody(opened, item)
    if as_json:
        render.model(view)
        return
    render.table(
        f"Custody of {view.item} (originator {view.originator})",
        ["from", "to", "at", "agreement", "state", "receipt"],
        [
            [
                hop.sender,
                hop.to,
                hop.at.isoformat(),
                hop.agreement,
                hop.state,
                "verified"
                if hop.receipt_verified
                else ("does not verify" if hop.receipt_verified is False else "—"),
            ]
            for hop in view.hops
        ],
    )


@item_app.command("access")
def item_access(
    ctx: typer.Context,
    item: ItemKey,
    person: Annotated[int, typer.Option("--person", help="Person id.")],
    at: At,
    as_json: JsonFlag = False,
) -> None:
    """Decide and record whether a person may read an item (Art 7)."""
    from gsomia.node.commands import items

    with node(ctx) as opened:
        view = items.access_item(opened, item, person, at)
    finish(view, as_json)


@item_app.command("open")
def item_open(
    ctx: typer.Context,
    item: ItemKey,
    person: Annotated[int, typer.Option("--person", help="Person id.")],
    at: At,
    output: Output,
    as_json: JsonFlag = False,
) -> None:
    """Decide a person's access (Art 7), recorded; if allowed, open the sealed content (named
    only once every check passed)."""
    from gsomia.node.commands import items

    with node(ctx) as opened:
        view = items.open_item(opened, item, person, at, destination(output), passphrase(ctx))
    if output == "-":
        # The content went to standard output: the decision is told on standard error.
        verdict = "allowed" if view.allowed else "denied"
        codes = ", ".join(r.code for r in view.reasons)
        render.note(f"{verdict} ({codes}); decision {view.decision_id} recorded")
        if not view.allowed:
            raise typer.Exit(1)
        return
    finish(view, as_json)


@item_app.command("list")
def item_list(
    ctx: typer.Context,
    holder: Annotated[str | None, typer.Option(help="Only items this party holds.")] = None,
    originator: Annotated[
        str | None, typer.Option(help="Only items this party originated.")
    ] = None,
    topic: Annotated[str | None, typer.Option(help="Only items on this topic.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List registered items with their labels."""
    from gsomia.node import queries

    with node(ctx) as opened:
        found = queries.items(opened, holder=holder, originator=originator, topic=topic)
    if as_json:
        render.model(found)
        return
    render.table(
        "Items",
        [
            "reference",
            "title",
            "originator",
            "marking",
            "holder's marking",
            "topic",
            "holder",
            "registered",
        ],
        [
            [
                i.reference,
                i.title,
                i.originator,
                i.marking,
                i.holder_marking,
                i.topic,
                i.holder,
                i.registered_at.isoformat(),
            ]
            for i in found
        ],
    )


@item_app.command("show")
def item_show(ctx: typer.Context, item: ItemKey, as_json: JsonFlag = False) -> None:
    """Show an item with its releases, consents and decisions."""
    from gsomia.node import queries

    with node(ctx) as opened:
        view = queries.item(opened, item)
    if as_json:
        render.model(view)
        return
    shown = view.to_json()
    render.fields(
        {k: v for k, v in shown.items() if k not in ("releases", "consents", "decisions")}
    )
    render.table(
        "Releases",
        ["id", "at", "kind", "to", "agreement", "marking"],
        [
            [r.id, r.at.isoformat(), r.kind, r.to, r.agreement, r.recipient_marking]
            for r in view.releases
        ],
    )
    render.table(
        "Consents",
        ["to", "granted", "expires", "reference"],
        [
            [
                c.to,
                c.granted_at.isoformat(),
                c.expires_at.isoformat() if c.expires_at else None,
                c.reference,
            ]
            for c in view.consents
        ],
    )
    render.table(
        "Decisions",
        ["id", "kind", "at", "allowed", "reasons"],
        [
            [d.id, d.kind, d.at.isoformat(), d.allowed, ", ".join(r.code for r in d.reasons)]
            for d in view.decisions
        ],
    )


def release_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List recorded releases and transfers."""
    from gsomia.node import queries

    with node(ctx) as opened:
        found = queries.releases(opened)
    if as_json:
        render.model(found)
        return
    render.table(
        "Releases",
        ["id", "item", "kind", "from", "to", "at", "agreement", "recipient marking", "sealed"],
        [
            [
                r.id,
                r.item_id,
                r.kind,
                r.sender,
                r.to,
                r.at.isoformat(),
                r.agreement,
                r.recipient_marking,
                "yes" if r.sealed else "no",
            ]
            for r in found
        ],
    )


@release_app.command("export")
def release_export(
    ctx: typer.Context,
    release_id: Annotated[int, typer.Argument(help="The release's id.")],
    output: Output,
    as_json: JsonFlag = False,
) -> None:
    """Write out the recipient's sealed copy of a release, as the registry keeps it."""
    from gsomia.node.commands import sealing

    with node(ctx) as opened:
        view = sealing.export_release(opened, release_id, destination(output))
    if output == "-":
        return
    if as_json:
        render.model(view)
    else:
        render.say(
            f"wrote {render.safe(view.output)}: the sealed copy of {render.safe(view.item)} for "
            f"{view.to} ({view.size} bytes, sha256 {view.sha256})"
        )
