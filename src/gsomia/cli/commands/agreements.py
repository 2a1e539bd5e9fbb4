"""Agreements, their lifecycle and histories, and the classification schemes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gsomia.cli import render
from gsomia.cli.options import At, JsonFlag, node, passphrase

if TYPE_CHECKING:
    from gsomia.core.agreements import EventKind

agreement_app = typer.Typer(
    help="Agreements: list, show, status, lifecycle events.", no_args_is_help=True
)
history_app = typer.Typer(
    help="Recorded histories of agreements (such as kor-jpn-2019).", no_args_is_help=True
)
scheme_app = typer.Typer(
    help="National classification schemes, and partners' policies imported from SPIFs.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(agreement_app, name="agreement")
    app.add_typer(history_app, name="history")
    app.add_typer(scheme_app, name="scheme")


@scheme_app.command("list")
def scheme_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the classification schemes with their levels."""
    from gsomia.node import queries

    with node(ctx) as opened:
        schemes = queries.schemes(opened)
    if as_json:
        render.model(schemes)
        return
    for s in schemes:
        render.table(
            f"{s.party}: {s.name}",
            ["rank", "marking", "romanised", "English"],
            [[lv.rank, lv.marking, lv.romanised, lv.english] for lv in s.levels],
        )


@scheme_app.command("import")
def scheme_import(
    ctx: typer.Context,
    spif: Path,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Supersede a different SPIF already imported under the same name."
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Import a partner's security policy from its SPIF (XML) as a scheme of the registry."""
    from gsomia.node.commands import policies

    with node(ctx) as opened:
        view = policies.import_spif(opened, spif, replace=replace)
    if as_json:
        render.model(view)
        return
    render.say(
        f"{view.outcome}: policy {view.name} ({view.oid}), classifications "
        f"{', '.join(view.classifications)}"
    )


@agreement_app.command("list")
def agreement_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the agreements the registry knows."""
    from gsomia.node import queries

    with node(ctx) as opened:
        found = queries.agreements(opened)
    if as_json:
        render.model(found)
        return
    render.table(
        "Agreements",
        ["id", "kind", "parties", "in force from", "term", "notice", "topics"],
        [
            [
                a.id,
                a.kind + (f" (hub {a.hub})" if a.hub else ""),
                ", ".join(a.parties),
                a.entry_into_force.isoformat(),
                f"{a.term.months} months, renewing" if a.term else "indefinite",
                f"{a.notice.days} days" if a.notice else "none",
                a.topics if a.topics == "all" else ", ".join(a.topics),
            ]
            for a in found
        ],
    )


@agreement_app.command("show")
def agreement_show(ctx: typer.Context, agreement_id: str, as_json: JsonFlag = False) -> None:
    """Show an agreement's terms: parties, equivalences, term, notice, scope, articles."""
    from gsomia.node import queries

    with node(ctx) as opened:
        view = queries.agreement(opened, agreement_id)
    if as_json:
        render.model(view)
        return
    render.say(f"{view.id}: {view.title}")
    shown = view.to_json()
    render.fields(
        {
            key: shown[key]
            for key in (
                "kind",
                "parties",
                "hub",
                "signed",
                "entry_into_force",
                "legal_time_zone",
                "term",
                "notice",
                "topics",
                "articles",
            )
        }
    )
    render.table(
        "Equivalence",
        ["English", *view.parties],
        [[row["english"], *(" / ".join(row[p]) for p in view.parties)] for row in view.equivalence],
    )


@agreement_app.command("load")
def agreement_load(ctx: typer.Context, path: Path, as_json: JsonFlag = False) -> None:
    """Add or update an agreement from a YAML file (checked against recorded events)."""
    from gsomia.node.commands import setup

    with node(ctx) as opened:
        view = setup.load_agreement_file(opened, path)
    render.model(view) if as_json else render.say(f"{view.agreement}: {view.outcome}")


@agreement_app.command("status")
def agreement_status(
    ctx: typer.Context, agreement_id: str, at: At, as_json: JsonFlag = False
) -> None:
    """An agreement's state at an instant, derived from its events."""
    from gsomia.node import queries

    with node(ctx) as opened:
        view = queries.status(opened, agreement_id, at)
    if as_json:
        render.model(view)
        return
    render.say(f"{view.agreement} at {view.at.isoformat()}: {view.state}")
    for label, value in (
        ("term", view.term_start),
        ("term ends", view.term_end),
        ("notice deadline", view.notice_deadline),
        ("terminates at", view.terminates_at),
    ):
        if value is not None:
            render.say(f"  {label}: {value.isoformat()}")
    if view.notice_deadline_date is not None:
        render.say(f"  last day to give notice: {view.notice_deadline_date.isoformat()}")
    notice = view.notice
    if notice is not None:
        effect = (
            " (suspended)"
            if notice.suspended
            else f", takes effect {notice.takes_effect_at.isoformat()}"
        )
        late = " (late)" if notice.late else ""
        render.say(
            f"  notice by {notice.by} delivered {notice.delivered_at.isoformat()}{effect}{late}"
        )


@agreement_app.command("events")
def agreement_events(ctx: typer.Context, agreement_id: str, as_json: JsonFlag = False) -> None:
    """The recorded lifecycle events of an agreement."""
    from gsomia.node import queries

    with node(ctx) as opened:
        found = queries.events(opened, agreement_id)
    if as_json:
        render.model(found)
        return
    render.table(
        f"Events of {agreement_id}",
        ["at", "event", "by", "source", "note"],
        [[e.at.isoformat(), e.event, e.by, e.source, e.note] for e in found],
    )


def _event_command(kind_name: str, doc: str) -> Callable[..., None]:
    def command(
        ctx: typer.Context,
        agreement_id: str,
        by: Annotated[str, typer.Option("--by", help="The party acting.")],
        at: At,
        note: Annotated[str, typer.Option(help="What the note or letter says.")] = "",
        as_json: JsonFlag = False,
    ) -> None:
        from gsomia.core.agreements import EventKind
        from gsomia.node.commands import lifecycle

        kind: EventKind = EventKind(kind_name)
        with node(ctx) as opened:
            view = lifecycle.record_event(
                opened, agreement_id, kind, by, at, note, passphrase=passphrase(ctx, required=False)
            )
        if as_json:
            render.model(view)
            return
        render.say(f"{view.event} by {view.by} at {view.at.isoformat()}: now {view.state}")
        if view.takes_effect_at is not None:
            deadline = view.notice_deadline_date
            late = (
                f" — late: delivered after the deadline ({deadline}), so it ends the following "
                "term, not this one"
                if view.late
                else (f" (deadline for this term was {deadline})" if deadline else "")
            )
            render.say(f"  termination takes effect at {view.takes_effect_at.isoformat()}{late}")

    command.__doc__ = doc
    return command


agreement_app.command("notify")(
    _event_command(
        "termination_notice", "Record a written notice of termination delivered at --at."
    )
)
agreement_app.command("suspend-notice")(
    _event_command("notice_suspended", "Record the suspension of a standing notice.")
)
agreement_app.command("reactivate-notice")(
    _event_command("notice_reactivated", "Record the reactivation of a suspended notice.")
)
agreement_app.command("withdraw-notice")(
    _event_command("notice_withdrawn", "Record the withdrawal of a notice.")
)


@history_app.command("list")
def history_list(as_json: JsonFlag = False) -> None:
    """The built-in histories."""
    from gsomia.node import queries

    names = queries.histories()
    if as_json:
        render.json_out(names)
    else:
        for name in names:
            render.say(name)


@history_app.command("load")
def history_load(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A built-in history (kor-jpn-2019) or a YAML file.")],
    as_json: JsonFlag = False,
) -> None:
    """Record a history's events; events already recorded are skipped."""
    from gsomia.node.commands import setup

    with node(ctx) as opened:
        view = setup.load_history(opened, name)
    if as_json:
        render.model(view)
    else:
        render.say(f"{view.history}: {view.events_added} event(s) recorded")
