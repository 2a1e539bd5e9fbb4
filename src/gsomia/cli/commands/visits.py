"""Visits (Art 8): requested of the host's competent authority, approved or refused only by
the host, and access during a visit decided by the host."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gsomia.cli import render
from gsomia.cli.options import JsonFlag, node, passphrase

if TYPE_CHECKING:
    from gsomia.node.commands.visits import VisitDecisionView, VisitView

visit_app = typer.Typer(
    help="Visits: requested of the host, approved only by the host (Art 8).",
    no_args_is_help=True,
)

AtOption = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="When, ISO 8601 with offset or a bare date [default: now]",
        show_default=False,
    ),
]
RequestId = Annotated[str, typer.Argument(help="The request's id.", show_default=False)]


def register(app: typer.Typer) -> None:
    app.add_typer(visit_app, name="visit")


@visit_app.command("request")
def visit_request(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="The host party.", show_default=False)],
    visitor: Annotated[
        list[str],
        typer.Option(
            "--visitor", help="A person's id or name, of this party (repeat).", show_default=False
        ),
    ],
    purpose: Annotated[str, typer.Option(help="The official purpose.", show_default=False)],
    facility: Annotated[str, typer.Option(help="The host's facility.", show_default=False)],
    first_day: Annotated[
        str, typer.Option("--from", help="First day (YYYY-MM-DD, host's zone).", show_default=False)
    ],
    last_day: Annotated[
        str, typer.Option("--until", help="Last day (YYYY-MM-DD, host's zone).", show_default=False)
    ],
    max_marking: Annotated[
        str,
        typer.Option(
            "--max-marking", help="The highest level, in the host's scheme.", show_default=False
        ),
    ],
    kind: Annotated[
        str,
        typer.Option("--type", help="one-time, recurring or emergency.", show_default=False),
    ],
    at: AtOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Request a visit of the host's competent authority (Art 8); the lead time is counted
    from --at in the host's working days. Refused at once (exit 1) when the host could not
    approve it."""
    from gsomia.node.commands import visits

    with node(ctx) as opened:
        view = visits.request_visit(
            opened,
            host=host,
            visitors=visitor,
            purpose=purpose,
            facility=facility,
            first_day=first_day,
            last_day=last_day,
            max_marking=max_marking,
            kind=kind,
            passphrase=passphrase(ctx, required=False),
            at=at,
        )
    _finish(view, as_json)


@visit_app.command("approve")
def visit_approve(
    ctx: typer.Context,
    request: RequestId,
    at: AtOption = None,
    note: Annotated[str, typer.Option(help="A note for the visiting party.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Approve a request made of this node as host (Art 8), if the rules allow it: the signed
    approval goes to the requesting node. Otherwise the reasons, exit 1, still pending."""
    from gsomia.node.commands import visits

    with node(ctx) as opened:
        view = visits.approve(opened, request, passphrase(ctx, required=False), at, note)
    _finish(view, as_json)


@visit_app.command("refuse")
def visit_refuse(
    ctx: typer.Context,
    request: RequestId,
    reason: Annotated[str, typer.Option(help="Why.", show_default=False)],
    at: AtOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Refuse a request made of this node as host (Art 8): the signed refusal goes to the
    requesting node."""
    from gsomia.node.commands import visits

    with node(ctx) as opened:
        view = visits.refuse(opened, request, reason, passphrase(ctx, required=False), at)
    if as_json:
        render.model(view)
    elif view.visit is not None:
        render.say(f"visit {view.visit.id}: {view.visit.state}; decision {view.decision_id}")


@visit_app.command("access")
def visit_access(
    ctx: typer.Context,
    request: RequestId,
    visitor: Annotated[str, typer.Option(help="The visitor's name.", show_default=False)],
    marking: Annotated[
        str, typer.Option(help="The level asked for, in the host's scheme.", show_default=False)
    ],
    at: AtOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Decide and record a visitor's access during a visit, on the host's node (Art 8):
    denied outside the approved window, above the level stated, or unapproved (exit 1)."""
    from gsomia.node.commands import visits

    with node(ctx) as opened:
        view = visits.access(opened, request, visitor, marking, at)
    _finish(view, as_json)


@visit_app.command("list")
def visit_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Requests for visit made here and made of this node, newest first."""
    from gsomia.node.commands import visits

    with node(ctx) as opened:
        found = visits.visits(opened)
    if as_json:
        render.model(found)
        return
    render.table(
        "Visits",
        ["id", "requester", "host", "type", "from", "until", "max marking", "lead time", "state"],
        [
            [
                v.id,
                v.requester,
                v.host,
                v.type,
                v.first_day.isoformat(),
                v.last_day.isoformat(),
                v.max_marking,
                _lead(v),
                v.state + (" (to answer here)" if v.to_answer_here else ""),
            ]
            for v in found
        ],
    )


@visit_app.command("show")
def visit_show(ctx: typer.Context, request: RequestId, as_json: JsonFlag = False) -> None:
    """One request for visit: its window, level, visitors, lead time and answer."""
    from gsomia.node.commands import visits

    with node(ctx) as opened:
        view = visits.show(opened, request)
    if as_json:
        render.model(view)
        return
    _show(view)


def _lead(view: VisitView) -> str:
    lead = view.lead_time
    if lead is None:
        return "—"
    return f"{lead.available} of {lead.required} working days ({lead.country})"


def _show(view: VisitView) -> None:
    render.say(f"visit {view.id}: {view.state}")
    render.fields(
        {
            "requester": view.requester,
            "host": view.host,
            "agreement": view.agreement,
            "type": view.type,
            "purpose": view.purpose,
            "facility": view.facility,
            "from": view.first_day.isoformat(),
            "until": view.last_day.isoformat(),
            "max marking": f"{view.max_marking} ({view.max_english}, {view.host}'s scheme)",
            "visitors": [
                f"{v.name} ({v.party}, {v.clearance or 'no clearance'})" for v in view.visitors
            ],
            "requested at": view.requested_at.isoformat(),
            "lead time": _lead(view) + " (practice, not treaty text)",
            "answered at": view.answered_at.isoformat() if view.answered_at else None,
            "answer": view.answer_note,
            "message": view.message,
        }
    )


def _finish(view: VisitDecisionView, as_json: bool) -> None:
    """A decision on a visit; exit 1 after the reasons when it was denied."""
    if as_json:
        render.model(view)
    else:
        render.decision(view)  # type: ignore[arg-type]
        render.say(f"decision {view.decision_id} recorded")
        if view.visit is not None:
            render.say(f"visit {view.visit.id}: {view.visit.state}")
    if not view.allowed:
        raise typer.Exit(1)
