"""After the hand-over: re-marking, declassification and recall by the originator; who holds
an item; destruction and return with certificates; copies, extracts and translations."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from gsomia.cli import render
from gsomia.cli.commands.items import ItemKey, finish, item_app
from gsomia.cli.options import AtNow, JsonFlag, node, passphrase

if TYPE_CHECKING:
    from gsomia.node.schemas import ItemChangedView

Reference = Annotated[
    str, typer.Option("--reference", help="The originator's authority: a letter, a decision.")
]


class Ask(StrEnum):
    RETURN = "return"
    DESTROY = "destroy"


class DerivationKind(StrEnum):
    COPY = "copy"
    EXTRACT = "extract"
    TRANSLATION = "translation"


def register(app: typer.Typer) -> None:
    """The commands join `gsomia item`."""


@item_app.command("remark")
def item_remark(
    ctx: typer.Context,
    item: ItemKey,
    marking: Annotated[str, typer.Option(help="The new marking, in the originator's scheme.")],
    reference: Reference,
    at: AtNow = None,
    as_json: JsonFlag = False,
) -> None:
    """Change the classification of an item this party originated (Art 6(g)); every holder
    gets a signed notice and re-marks its copy by its agreement's equivalence."""
    from gsomia.node.commands import custody

    secret = passphrase(ctx, required=False)
    with node(ctx) as opened:
        view = custody.remark(opened, item, marking, at, reference, secret)
    _changed(view, as_json)


@item_app.command("declassify")
def item_declassify(
    ctx: typer.Context,
    item: ItemKey,
    reference: Reference,
    at: AtNow = None,
    as_json: JsonFlag = False,
) -> None:
    """Declassify an item this party originated (Art 6(g)); every holder is told."""
    from gsomia.node.commands import custody

    secret = passphrase(ctx, required=False)
    with node(ctx) as opened:
        view = custody.declassify(opened, item, at, reference, secret)
    _changed(view, as_json)


@item_app.command("recall")
def item_recall(
    ctx: typer.Context,
    item: ItemKey,
    ask: Annotated[Ask, typer.Option("--ask", help="What every holder is asked to do.")],
    reference: Reference,
    at: AtNow = None,
    as_json: JsonFlag = False,
) -> None:
    """Ask every holder of an item this party originated to return or destroy its copy
    (Art 6(h))."""
    from gsomia.core.custody import Disposal
    from gsomia.node.commands import custody

    secret = passphrase(ctx, required=False)
    disposal = Disposal.RETURNED if ask is Ask.RETURN else Disposal.DESTROYED
    with node(ctx) as opened:
        view = custody.recall(opened, item, disposal, at, reference, secret)
    _changed(view, as_json)


@item_app.command("holders")
def item_holders(
    ctx: typer.Context,
    item: ItemKey,
    ack_within: Annotated[
        int,
        typer.Option(
            help="Working days a holder has to acknowledge a notice before it is flagged."
        ),
    ] = 10,
    at: AtNow = None,
    as_json: JsonFlag = False,
) -> None:
    """Every holder of an item, the marking each has, and whether it acknowledged the latest
    notice (an acknowledgement overdue is flagged)."""
    from gsomia.node.commands import custody

    with node(ctx) as opened:
        view = custody.holders(opened, item, at, ack_within)
    if as_json:
        render.model(view)
        return
    render.table(
        f"Holders of {view.item} ({view.originator}, {view.marking}, {view.state})",
        ["party", "via", "marking", "notice", "sent", "acknowledged", "flag"],
        [
            [
                h.party,
                h.via or "",
                h.marking or "not covered: return or destroy",
                h.notice_kind or "",
                h.sent_at.isoformat(timespec="minutes") if h.sent_at else "",
                h.acknowledged_at.isoformat(timespec="minutes") if h.acknowledged_at else "no",
                "OVERDUE" if h.overdue else (h.disposal or ""),
            ]
            for h in view.holders
        ],
    )


@item_app.command("destroy")
def item_destroy(
    ctx: typer.Context,
    item: ItemKey,
    method: Annotated[str, typer.Option(help="How: shredding, incineration, secure erasure...")],
    witness: Annotated[int, typer.Option(help="The witnessing person's id.")],
    at: AtNow = None,
    as_json: JsonFlag = False,
) -> None:
    """Destroy an item with a certificate (Art 6(h), Art 13): its sealed content is erased
    and the erasure checked; the originator is told. It stays in the register."""
    from gsomia.node.commands import custody

    secret = passphrase(ctx, required=False)
    with node(ctx) as opened:
        view = custody.destroy(opened, item, method, witness, at, secret)
    _changed(view, as_json)


@item_app.command("return")
def item_return(
    ctx: typer.Context,
    item: ItemKey,
    at: AtNow = None,
    as_json: JsonFlag = False,
) -> None:
    """Return a received item to its originator (Art 6(h)): recorded with a certificate, the
    sealed content erased here, the originator told."""
    from gsomia.node.commands import custody

    secret = passphrase(ctx, required=False)
    with node(ctx) as opened:
        view = custody.return_item(opened, item, at, secret)
    _changed(view, as_json)


@item_app.command("copy")
def item_copy(
    ctx: typer.Context,
    item: ItemKey,
    by: Annotated[int, typer.Option(help="The id of the cleared person who makes it.")],
    kind: Annotated[
        DerivationKind, typer.Option("--kind", help="A reproduction, an extract or a translation.")
    ] = DerivationKind.COPY,
    marking: Annotated[
        str | None, typer.Option(help="At least the original's [default: the original's]")
    ] = None,
    title: Annotated[str | None, typer.Option(help="[default: '<kind> of <title>']")] = None,
    reference: Annotated[str | None, typer.Option(help="[default: the next free one]")] = None,
    at: AtNow = None,
    as_json: JsonFlag = False,
) -> None:
    """Register a copy, extract or translation of an item, made by a person cleared to read
    it; it inherits the original's restrictions and every later notice about it."""
    from gsomia.core.custody import Derivation
    from gsomia.node.commands import custody

    with node(ctx) as opened:
        view = custody.derive(
            opened, item, Derivation(kind.value), by, at, marking, title, reference
        )
    finish(view, as_json)


def _changed(view: ItemChangedView, as_json: bool) -> None:
    if as_json:
        render.model(view)
        return
    change = view.change
    render.say(
        f"item {render.safe(view.item.reference)}: {change.kind} at "
        f"{change.at.isoformat(timespec='minutes')}"
        + (f", now {change.marking}" if change.marking else "")
    )
    if change.kind in ("destroy", "return"):
        erased = {True: "erased and checked", False: "NOT erased", None: "none held"}
        render.say(
            f"certificate {change.id}: by {change.by}"
            + (f", method {render.safe(change.method or '')}" if change.method else "")
            + (f", witness {change.witness}" if change.witness else "")
            + f"; content {erased[change.content_erased]}"
        )
    if view.copies:
        render.say(f"derived items changed too: {', '.join(view.copies)}")
    if view.notice is not None:
        holders = ", ".join(view.notice.holders) or "no holder"
        render.say(f"notice {view.notice.notice} ({view.notice.kind}) sent to {holders}")
    if view.reported_to:
        render.say(f"report queued to the originator, {view.reported_to}")
