"""The tamper-evident ledger: checkpoints, proofs, verification."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from gsomia.cli import render
from gsomia.cli.options import JsonFlag, Output, node, passphrase

ledger_app = typer.Typer(
    help="The tamper-evident ledger: checkpoints, proofs, verification.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")


@ledger_app.command("head")
def ledger_head(
    ctx: typer.Context,
    cosigned: Annotated[
        bool, typer.Option("--cosigned", help="The latest checkpoint with peers' cosignatures.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Sign a checkpoint of the ledger as it is (needs the passphrase) and show it; without a
    passphrase, show the latest signed checkpoint; with --cosigned, the latest with the
    cosignatures of the peers' witnesses."""
    from gsomia.node.commands import ledger

    with node(ctx) as opened:
        if cosigned:
            view = ledger.cosigned_head(opened)
        else:
            view = ledger.head(opened, passphrase(ctx, required=False))
    render.model(view) if as_json else render.say(view.checkpoint.rstrip("\n"))


@ledger_app.command("witnesses")
def ledger_witnesses(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """What each peer's witness cosigned of this ledger (or refused), and what this node's
    witness cosigned of theirs."""
    from gsomia.node import witnessing

    with node(ctx) as opened:
        found = witnessing.views(opened)
    if as_json:
        render.model(found)
        return

    def said(entry: dict[str, object] | None) -> str:
        if entry is None:
            return "—"
        return f"size {entry['size']}: {entry['status']} {entry['detail']}"

    render.table(
        "Witnesses",
        ["peer", "cosigned of ours", "our last offer", "cosigned of theirs", "their last offer"],
        [
            [
                w.party,
                w.cosigned_size or "—",
                said(w.last_submission),
                w.witnessed_size or "—",
                said(w.last_witnessed),
            ]
            for w in found
        ],
    )


@ledger_app.command("vkey")
def ledger_vkey(ctx: typer.Context) -> None:
    """The verifier key partners use to check this node's checkpoints."""
    from gsomia.node.commands import ledger

    with node(ctx) as opened:
        render.say(ledger.vkey(opened))


@ledger_app.command("prove")
def ledger_prove(
    ctx: typer.Context,
    entry: Annotated[int, typer.Argument(help="The entry's position (0-based).")],
    output: Output = "-",
) -> None:
    """An inclusion proof of one entry against the latest signed checkpoint, as JSON."""
    from gsomia.node.commands import ledger
    from gsomia.store import files

    with node(ctx) as opened:
        bundle = ledger.prove(opened, entry)
        data = json.dumps(bundle.to_json(), ensure_ascii=False, indent=2) + "\n"
        if output == "-":
            render.json_out(bundle.to_json())
            return
        with files.output(Path(output), forbidden=opened.database_files()) as out:
            out.write(data.encode())
    render.say(f"wrote the proof of entry {entry} to {render.safe(output)}")


@ledger_app.command("check")
def ledger_check(
    proof: Annotated[Path, typer.Argument(help="A proof written by gsomia ledger prove.")],
    vkey: Annotated[list[str], typer.Option("--vkey", help="A verifier key of the log (repeat).")],
    as_json: JsonFlag = False,
) -> None:
    """Check a proof bundle offline, as a partner does: signature, leaf and audit path."""
    from gsomia.errors import InvalidRequest
    from gsomia.ledger.checkpoint import VerifierKey
    from gsomia.node.commands import ledger
    from gsomia.store import files

    with files.open_input(proof) as stream:
        try:
            bundle = json.loads(stream.read(64 * 1024 * 1024))
        except (ValueError, RecursionError) as exc:
            raise InvalidRequest(f"cannot read {proof}: {exc}") from None
    view = ledger.check(bundle, [VerifierKey.from_vkey(v) for v in vkey])
    if as_json:
        render.model(view)
    else:
        render.say(
            f"verified: entry {view.entry} ({view.kind}) is in {view.origin} at size "
            f"{view.tree_size}"
        )


@ledger_app.command("consistency")
def ledger_consistency(
    ctx: typer.Context,
    old: Annotated[int, typer.Argument(help="The older tree size.")],
    new: Annotated[
        int | None, typer.Argument(help="The newer tree size [default: the whole log]")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The proof that the log of OLD entries is a prefix of the log of NEW entries."""
    from gsomia.node.commands import ledger

    with node(ctx) as opened:
        view = ledger.consistency(opened, old, new)
    if as_json:
        render.model(view)
    else:
        render.say(
            f"consistent: {view.old_size} → {view.new_size} entries, {len(view.path)} hashes; "
            f"roots {view.old_root} → {view.new_root}"
        )


@ledger_app.command("verify")
def ledger_verify(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Recompute the log and replay it against the registry: report every altered, deleted,
    inserted or reordered entry, and every row that differs from the ledger, is absent from it
    or is missing (exit 1 if anything is wrong)."""
    from gsomia.node.commands import ledger

    with node(ctx) as opened:
        view = ledger.verify(opened)
    if as_json:
        render.model(view)
    elif view.ok:
        render.say(
            f"ledger intact: {view.size} entries, {view.checkpoints} checkpoint(s) verified; "
            f"{view.rows_checked} registry rows match it"
        )
    else:
        where = (
            f"; first divergence at entry {view.first_divergence}"
            if view.first_divergence is not None
            else ""
        )
        render.say(f"ledger or registry altered: {len(view.problems)} problem(s){where}")
        for problem in view.problems:
            if problem.table is not None:
                fields = f" [{', '.join(problem.fields)}]" if problem.fields else ""
                render.say(
                    f"  {problem.kind} {problem.table} {render.safe(problem.key)}{fields}: "
                    f"{render.safe(problem.message)}"
                )
            else:
                render.say(
                    f"  {problem.kind} [{problem.start}, {problem.end}): "
                    f"{render.safe(problem.message)}"
                )
    if not view.ok:
        raise typer.Exit(1)


@ledger_app.command("entries")
def ledger_entries(
    ctx: typer.Context,
    start: Annotated[int, typer.Option(help="The first position.")] = 0,
    limit: Annotated[int, typer.Option(help="How many entries at most.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Read ledger entries, oldest first."""
    from gsomia.node.commands import ledger

    with node(ctx) as opened:
        found = ledger.entries(opened, start, limit)
    if as_json:
        render.model(found)
        return
    render.table(
        "Ledger",
        ["position", "kind", "recorded", "row"],
        [
            [
                e.position,
                e.kind,
                e.recorded_at,
                f"{e.body.get('table')}/{e.body.get('key')}" if "table" in e.body else "",
            ]
            for e in found
        ],
    )
