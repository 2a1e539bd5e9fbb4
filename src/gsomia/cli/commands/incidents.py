"""Loss or compromise of items (Art 17): report, investigate, conclude, and follow cases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gsomia.cli import render
from gsomia.cli.options import JsonFlag, node, passphrase

if TYPE_CHECKING:
    from gsomia.node.commands.incidents import IncidentView

incident_app = typer.Typer(
    help="Loss or compromise of items: reported to their originators (Art 17).",
    no_args_is_help=True,
)

AtEvent = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="When it is recorded as done, ISO 8601 with offset or a bare date [default: now]",
    ),
]
AtView = Annotated[
    str | None,
    typer.Option("--at", help="The instant to evaluate deadlines at [default: now]"),
]


def register(app: typer.Typer) -> None:
    app.add_typer(incident_app, name="incident")


@incident_app.command("report")
def incident_report(
    ctx: typer.Context,
    items: Annotated[
        list[str], typer.Argument(help="Items lost or compromised (id or reference).")
    ],
    kind: Annotated[
        str | None, typer.Option(help="loss, compromise or possible-compromise.")
    ] = None,
    discovered: Annotated[str | None, typer.Option(help="When it was discovered.")] = None,
    summary: Annotated[str | None, typer.Option(help="What happened.")] = None,
    at: AtEvent = None,
    as_json: JsonFlag = False,
) -> None:
    """Open a case and inform each item's originator at once (Art 17)."""
    from gsomia.node.commands import incidents

    with node(ctx) as opened:
        view = incidents.report(
            opened, items, kind, discovered, summary, at, passphrase(ctx, required=False)
        )
    _done(view, as_json)


@incident_app.command("investigate")
def incident_investigate(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="The case's id (or a unique prefix of it).")],
    at: AtEvent = None,
    note: Annotated[str, typer.Option(help="What the investigation covers.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Open the investigation of a case this node reported; the originators are told."""
    from gsomia.node.commands import incidents

    with node(ctx) as opened:
        view = incidents.investigate(opened, case, at, note, passphrase(ctx, required=False))
    _done(view, as_json)


@incident_app.command("conclude")
def incident_conclude(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="The case's id (or a unique prefix of it).")],
    result: Annotated[str | None, typer.Option(help="What the investigation found.")] = None,
    measures: Annotated[
        str | None, typer.Option(help="The measures taken to prevent recurrence.")
    ] = None,
    at: AtEvent = None,
    as_json: JsonFlag = False,
) -> None:
    """Conclude a case: its result and measures go to the originators (Art 17)."""
    from gsomia.node.commands import incidents

    with node(ctx) as opened:
        view = incidents.conclude(
            opened, case, result, measures, at, passphrase(ctx, required=False)
        )
    _done(view, as_json)


@incident_app.command("list")
def incident_list(ctx: typer.Context, at: AtView = None, as_json: JsonFlag = False) -> None:
    """Cases reported here and to this node, with the time to notification and overdue steps."""
    from gsomia.node.commands import incidents

    with node(ctx) as opened:
        found = incidents.incidents(opened, at)
    if as_json:
        render.model(found)
        return
    render.table(
        "Incidents (Art 17)",
        [
            "case",
            "role",
            "reporter",
            "kind",
            "state",
            "items",
            "discovered",
            "notified after",
            "overdue",
        ],
        [
            [
                v.id,
                v.role,
                v.reporter,
                v.kind,
                v.state,
                ", ".join(i.reference for i in v.items),
                v.discovered_at.isoformat(timespec="minutes"),
                _duration(v.notification_delay),
                ", ".join(v.overdue) or "—",
            ]
            for v in found
        ],
    )


@incident_app.command("show")
def incident_show(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="The case's id (or a unique prefix of it).")],
    at: AtView = None,
    as_json: JsonFlag = False,
) -> None:
    """One case: its items, steps, notices and acknowledgements, and its deadlines."""
    from gsomia.node.commands import incidents

    with node(ctx) as opened:
        view = incidents.incident(opened, case, at)
    if as_json:
        render.model(view)
        return
    render.say(f"case {view.id}: {view.kind}, {view.state} ({view.role}; reporter {view.reporter})")
    render.fields(
        {
            "summary": view.summary,
            "items": [
                f"{i.reference} ({i.originator} {i.originator_reference})" for i in view.items
            ],
            "discovered": view.discovered_at.isoformat(),
            "notified": view.notified_at.isoformat() if view.notified_at else None,
            "notified after": _duration(view.notification_delay),
            "result": view.result or None,
            "measures": view.measures or None,
            "overdue": view.overdue,
        }
    )
    render.table("Steps", ["step", "at"], [[s.step, s.at.isoformat()] for s in view.steps])
    render.table(
        "Notices",
        ["step", "direction", "party", "queued", "acknowledged", "delivery"],
        [
            [
                n.step,
                n.direction,
                n.party,
                n.queued_at.isoformat() if n.queued_at else None,
                n.acked_at.isoformat() if n.acked_at else None,
                n.delivery,
            ]
            for n in view.notices
        ],
    )
    render.table(
        f"Deadlines (practice) at {view.evaluated_at.isoformat(timespec='minutes')}",
        ["duty", "due", "done", "standing"],
        [
            [d.duty, d.due.isoformat(), d.done_at.isoformat() if d.done_at else None, d.standing]
            for d in view.deadlines
        ],
    )


def _done(view: IncidentView, as_json: bool) -> None:
    if as_json:
        render.model(view)
        return
    told = ", ".join(sorted({n.party for n in view.notices if n.step == _last_step(view)}))
    render.say(
        f"case {view.id}: {view.state}"
        + (f"; notice queued to {told}" if told else "; no partner's node to inform")
    )


def _last_step(view: IncidentView) -> str:
    return view.steps[-1].step


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h {rest // 60:02d}m {rest % 60:02d}s"
