"""Options several commands share, and how a command reaches the node.

Commands import the node only when they run, so that `gsomia --help` and a command's own
help load nothing but Typer.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from gsomia.node.context import Node
    from gsomia.node.settings import Settings

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
At = Annotated[
    str,
    typer.Option(
        "--at",
        help="Instant, ISO 8601 with offset (2019-11-22T18:00+09:00) or a bare date "
        "(start of that day in the agreement's legal time zone).",
    ),
]
AtNow = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="When it happened: ISO 8601 with offset or a bare date (start of that day in the "
        "registry's time zone) [default: now].",
    ),
]
Output = Annotated[
    str, typer.Option("-o", "--output", help="The file to write, or - for standard output.")
]


class Wrapping(StrEnum):
    WRAPPED = "wrapped"
    EC_WRAPPED = "ec-wrapped"


Wrap = Annotated[
    Wrapping,
    typer.Option(
        "--wrap",
        help="Key access type: wrapped (RSA-2048, OpenTDF 4.3.0) or ec-wrapped (EC P-256).",
    ),
]


def settings(ctx: typer.Context) -> Settings:
    """The settings the app's callback read, once, for this run."""
    found = ctx.find_root().obj
    assert found is not None, "the app's callback reads the settings"
    return found  # type: ignore[no-any-return]


@contextmanager
def node(ctx: typer.Context) -> Iterator[Node]:
    """The registry named by the settings, open for the command's use."""
    from gsomia.node.context import Node

    with Node.open(settings(ctx)) as opened:
        yield opened


def passphrase(ctx: typer.Context, *, required: bool = True, confirm: bool = False) -> Any:
    """The keys' passphrase from the settings, or (when `required`) asked for in a terminal."""
    from gsomia.errors import KeyStoreError

    value = settings(ctx).read_passphrase()
    if value is None and required and sys.stdin.isatty():
        value = str(
            typer.prompt(
                "Passphrase for this node's keys", hide_input=True, confirmation_prompt=confirm
            )
        ).encode()
    if value is None and required:
        raise KeyStoreError("the node's keys need their passphrase", subject="passphrase")
    return value


def destination(text: str) -> Any:
    """An output option's value: a path, or standard output for `-`."""
    from gsomia.cli import render

    return render.stdout_binary() if text == "-" else Path(text)
