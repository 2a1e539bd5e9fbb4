"""STANAG 4774 labels under a SPIF (show, convert, check) and STANAG 4778 bindings."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from gsomia.cli import render
from gsomia.cli.options import JsonFlag, node, passphrase

label_app = typer.Typer(
    help="STANAG 4774 confidentiality labels read against a SPIF.", no_args_is_help=True
)

Spif = Annotated[
    str,
    typer.Option(
        "--spif",
        help="The SPIF (XML Security Policy Information File), or the name or OID of a "
        "policy imported with `gsomia scheme import`.",
    ),
]


class Form(StrEnum):
    STANAG_4774 = "4774"
    SPIFFING = "spiffing"


def _policy(ctx: typer.Context, value: str) -> Any:
    """The SPIF a file names or, when no such file exists, an imported policy."""
    from gsomia.node.commands import labels, policies

    if Path(value).exists():
        return labels.read_spif_file(Path(value))
    with node(ctx) as opened:
        return policies.stored_policy(opened, value)


def register(app: typer.Typer) -> None:
    app.add_typer(label_app, name="label")
    app.command("bind")(bind_command)
    app.command("verify-binding")(verify_binding_command)


@label_app.command("show")
def label_show(ctx: typer.Context, file: Path, spif: Spif, as_json: JsonFlag = False) -> None:
    """A label's policy, classification, categories and the marking its SPIF prescribes;
    the label may be in the ADatP-4774 XML form or spiffing's numeric form."""
    from gsomia.node.commands import labels

    view = labels.show_label(file, _policy(ctx, spif))
    if as_json:
        render.model(view)
        return
    render.say(f"{render.safe(view.file)} ({view.form} form)")
    render.say(f"  policy: {view.policy.name} ({view.policy.oid})")
    render.say(f"  classification: {view.classification}")
    for category in view.categories:
        render.say(f"  {category.tag} ({category.type}): {', '.join(category.values)}")
    render.say(f"  marking: {view.marking}")


@label_app.command("convert")
def label_convert(
    ctx: typer.Context,
    file: Path,
    spif: Spif,
    to: Annotated[Form, typer.Option("--to", help="The form to write.")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="The file to write [default: standard output]."),
    ] = None,
) -> None:
    """Convert a label between the ADatP-4774 XML and spiffing's numeric (LACV) form; the
    input's form is recognised by itself."""
    from gsomia.node.commands import labels

    view, text = labels.convert_label(file, _policy(ctx, spif), to.value, output, [Path(spif)])
    if output is None:
        render.say(text.rstrip("\n"))
    else:
        render.note(f"{view.form} → {view.to}: {render.safe(view.output)}")


@label_app.command("check")
def label_check(ctx: typer.Context, file: Path, spif: Spif, as_json: JsonFlag = False) -> None:
    """Check a label against its SPIF: exit 0 valid, 1 invalid (with the rules broken)."""
    from gsomia.node.commands import labels

    view = labels.check_label(file, _policy(ctx, spif))
    if as_json:
        render.model(view)
    else:
        verdict = "valid" if view.valid else "invalid"
        render.say(
            f"{render.safe(view.file)}: {verdict} under {view.policy.name} ({view.policy.oid})"
        )
        for reason in view.reasons:
            render.say(f"  - {reason.message} [{reason.rule}]")
        for warning in view.warnings:
            render.say(f"  warning: {warning.message} [{warning.rule}]")
    if not view.valid:
        raise typer.Exit(1)


def bind_command(
    ctx: typer.Context,
    file: Path,
    label: Annotated[Path, typer.Option("--label", help="The STANAG 4774 label (XML).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The binding to write.")],
    as_json: JsonFlag = False,
) -> None:
    """Bind a STANAG 4774 label to a file with this node's signature (a STANAG 4778
    binding); the file stays where it is and the binding names it."""
    from gsomia.node.commands import bindings

    with node(ctx) as opened:
        view = bindings.bind(opened, file, label, output, passphrase(ctx))
    if as_json:
        render.model(view)
        return
    render.say(
        f"bound {render.safe(view.label)} to {render.safe(view.file)} → "
        f"{render.safe(view.output)} (signed by {view.signed_by})"
    )


def verify_binding_command(
    ctx: typer.Context,
    binding: Path,
    data: Annotated[
        Path | None,
        typer.Option("--data", help="The bound file [default: where the binding names it]."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Verify a STANAG 4778 binding: exit 0 if label and data are as signed, 1 if refused."""
    from gsomia.node.commands import bindings

    with node(ctx) as opened:
        view = bindings.verify_binding(opened, binding, data)
    if as_json:
        render.model(view)
        return
    render.say(
        f"verified {render.safe(view.binding)}: {view.policy} {view.classification} bound to "
        f"{render.safe(view.data)}, signed by {view.signer or 'an unknown party'} ({view.signed_by})"
    )
