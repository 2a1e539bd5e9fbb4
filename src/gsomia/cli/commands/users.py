"""The node's officers: accounts with roles, and their API tokens."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from gsomia.cli import render
from gsomia.cli.options import JsonFlag, node

user_app = typer.Typer(
    help="Officers' accounts for the API and the web UI: roles, passwords, tokens.",
    no_args_is_help=True,
)
PASSWORD_VARIABLE = "GSOMIA_USER_PASSWORD"


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")


def _password() -> str:
    from gsomia.errors import InvalidRequest

    value = os.environ.get(PASSWORD_VARIABLE)
    if value is None and sys.stdin.isatty():
        value = str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    if value is None:
        raise InvalidRequest(
            f"no password: type it at the prompt, or set {PASSWORD_VARIABLE} for a script"
        )
    return value


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user's login name (lowercase).")],
    role: Annotated[
        str,
        typer.Option(
            help="registry-officer, security-officer, auditor or administrator.",
        ),
    ],
    language: Annotated[str, typer.Option(help="The web UI's language: en, ko or ja.")] = "en",
    as_json: JsonFlag = False,
) -> None:
    """Add an officer in one role. The password comes from a prompt, or from
    GSOMIA_USER_PASSWORD for scripts; it is kept only as an argon2id hash."""
    from gsomia.node.commands import users

    users.check_account(name, role, language)
    secret = _password()
    with node(ctx) as opened:
        view = users.add_user(opened, name, role, secret, language)
    if as_json:
        render.model(view)
    else:
        render.say(f"user {view.name}: {view.role}")


@user_app.command("token")
def user_token(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user the token acts for.")],
    as_json: JsonFlag = False,
) -> None:
    """Print a new API token for the user, sent as `Authorization: Bearer TOKEN`. It is shown
    only now; the node keeps its SHA-256."""
    from gsomia.node.commands import users

    with node(ctx) as opened:
        secret, view = users.issue_token(opened, name)
    if as_json:
        render.json_out(view.to_json() | {"token": secret})
    else:
        render.say(secret)


@user_app.command("revoke-token")
def user_revoke_token(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(help="The token's id (its public prefix).")],
) -> None:
    """Revoke an API token: it stops working at once."""
    from gsomia.node.commands import users

    with node(ctx) as opened:
        users.revoke_token(opened, token_id)
    render.say(f"token {token_id} revoked")


@user_app.command("disable")
def user_disable(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user to disable.")],
    as_json: JsonFlag = False,
) -> None:
    """Disable an account: its tokens and sessions stop working; its record stays."""
    from gsomia.node.commands import users

    with node(ctx) as opened:
        view = users.disable(opened, name)
    if as_json:
        render.model(view)
    else:
        render.say(f"user {view.name}: disabled")


@user_app.command("list")
def user_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the officers with their roles."""
    from gsomia.node.commands import users

    with node(ctx) as opened:
        found = users.users(opened)
    if as_json:
        render.model(found)
        return
    for view in found:
        state = " (disabled)" if view.disabled_at else ""
        render.say(f"{view.name}  {view.role}  {view.language}{state}")
