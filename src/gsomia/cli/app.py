"""The gsomia command line: the app, its global options, and how errors reach the user.

Exit codes: 0 done; 1 the answer is no (denied by the agreements, or a file, signature,
proof or ledger that failed verification), after the reasons; 2 bad input, one line on
standard error, nothing changed. No traceback reaches a user.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from gsomia import __version__
from gsomia.cli.commands import (
    agreements,
    consents,
    custody,
    decide,
    decisions,
    export,
    federation,
    incidents,
    items,
    keys,
    ledger,
    persons,
    sealing,
    setup,
    users,
    visits,
)

app = typer.Typer(
    help="gsomia: run General Security of Military Information Agreements.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
for module in (
    setup,
    agreements,
    decide,
    persons,
    items,
    custody,
    consents,
    incidents,
    decisions,
    keys,
    sealing,
    ledger,
    federation,
    visits,
    users,
    export,
):
    module.register(app)


@app.callback()
def _main(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Registry database: sqlite:///PATH or postgresql://HOST/DB "
            "[env GSOMIA_DB; default: a SQLite file in the user data directory]",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Settings file (TOML) [env GSOMIA_CONFIG; default: "
            "~/.config/gsomia/config.toml when present]",
            show_default=False,
        ),
    ] = None,
    content_dir: Annotated[
        Path | None,
        typer.Option(
            "--content-dir",
            help="Where sealed content is kept [env GSOMIA_CONTENT_DIR; default: beside a "
            "SQLite registry]",
            show_default=False,
        ),
    ] = None,
    version: Annotated[bool, typer.Option("--version", help="Show the version.")] = False,
) -> None:
    if version:
        typer.echo(f"gsomia {__version__}")
        raise typer.Exit()
    from gsomia.node.settings import Settings

    ctx.obj = Settings.load({"database": db, "config": config, "content_dir": content_dir})


HINTS: dict[tuple[str, str | None], str] = {
    ("DatabaseUnavailable", "registry"): "create it with: gsomia init (or name another with --db)",
    ("SchemaOutdated", "schema"): "bring it up to date with: gsomia migrate",
    ("NoParty", "party"): "set it with: gsomia init --party P",
    ("KeyStoreError", "party"): "set it with: gsomia init --party P",
    ("NotARecipient", "party"): "set it with: gsomia init --party P",
    ("UnknownSigner", "partner-keys"): "import the originator's key set: gsomia keys import FILE",
    ("Conflict", "party"): "use the registry of that party, or another --db",
    ("KeyStoreError", "passphrase"): "set GSOMIA_PASSPHRASE or GSOMIA_PASSPHRASE_FILE",
    ("KeyStoreError", "passphrase-strength"): (
        "choose a longer one in GSOMIA_PASSPHRASE or GSOMIA_PASSPHRASE_FILE"
    ),
    ("KeyStoreError", "keys"): "make them with: gsomia keys init",
    ("Conflict", "keys"): "replace them with: gsomia keys rotate",
    ("KeyStoreError", "partner-keys"): "import the partner's set: gsomia keys import FILE --trust",
    ("KeySetRejected", "trust"): "after comparing fingerprints: gsomia keys import FILE --trust",
    ("KeySetRejected", "replace"): (
        "gsomia keys import FILE --replace OLD_FINGERPRINT --new-fingerprint NEW_FINGERPRINT"
    ),
    ("UnknownSigner", None): "import the originator's public keys: gsomia keys import FILE",
    ("InvalidRequest", "checkpoint"): "sign one with: gsomia ledger head",
    ("NotFound", "item"): "list them with: gsomia item list",
    ("NotFound", "person"): "list them with: gsomia person list",
    ("NotFound", "decision"): "list them with: gsomia decision list",
    ("NotFound", "key"): "list them with: gsomia keys list",
    ("NotFound", "release"): "list them with: gsomia releases",
    ("NotFound", "delivery"): "list them with: gsomia delivery list",
    ("NotFound", "peer"): "list them with: gsomia peer list",
    ("NotFound", "consent-request"): "list them with: gsomia consent requests",
    ("NotFound", "incident"): "list them with: gsomia incident list",
    ("NotFound", "visit"): "list them with: gsomia visit list",
    ("InvalidRequest", "peer"): "add the partner's node with: gsomia peer add",
    ("Busy", None): "or raise GSOMIA_BUSY_TIMEOUT",
}
"""What the command line adds to an error of the node, by error class and subject."""


def _hint(error: BaseException) -> str:
    subject = getattr(error, "subject", None)
    for cls in type(error).__mro__:
        hint = HINTS.get((cls.__name__, subject)) or HINTS.get((cls.__name__, None))
        if hint:
            return hint
    return ""


def main() -> None:
    """Run the command line; map every outcome to one exit code, never a traceback."""
    from gsomia.errors import GsomiaError

    os.umask(0o077)  # whatever gsomia creates (registries, content, outputs) is the owner's
    try:
        code = app(standalone_mode=False)
    except GsomiaError as exc:
        _error(exc.message, _hint(exc))
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        _error("aborted", "")
        sys.exit(130)
    except KeyboardInterrupt:
        _error("interrupted", "")
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors: a missing or malformed option
        format_message = getattr(exc, "format_message", None)
        message = format_message() if callable(format_message) else str(exc)
        context = getattr(exc, "ctx", None)
        path = getattr(context, "command_path", None)
        _error(" ".join(message.split()), f"see {path} --help" if path else "")
        sys.exit(int(getattr(exc, "exit_code", 2)))
    except Exception as exc:
        from gsomia.cli.render import safe

        _error(f"unexpected failure ({type(exc).__name__}: {safe(exc)})", "")
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


def _error(message: str, hint: str) -> None:
    from gsomia.cli.render import safe

    line = f"error: {safe(message)}" + (f" — {hint}" if hint else "")
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except BrokenPipeError:
        pass
