"""The node's officers: accounts with roles, API tokens, browser sessions, and who may act.

A user acts in one role (`gsomia.core.roles`). Passwords are kept as argon2id hashes; API
tokens and session cookies as the SHA-256 of their secret, which is shown once. Every
account and token change is stated in the ledger (the password by its hash's digest only);
before a credential is honoured, its user's row is checked against the ledger, so a role
raised or a password hash swapped in the database is refused, not obeyed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gsomia.core.roles import Action, Role, may, read_role
from gsomia.errors import Conflict, Forbidden, InvalidRequest, NotAuthenticated, NotFound
from gsomia.node import journal
from gsomia.node.context import Node, Tx
from gsomia.node.schemas import TokenView, UserView
from gsomia.store import accounts

NAME = re.compile(r"^[a-z][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 12
LANGUAGES = ("en", "ko", "ja")
TOKEN_PREFIX = "gsomia_"
SESSION_HOURS = 8
_hasher = PasswordHasher()
_DUMMY = _hasher.hash("a password no account has")
"""Verified against when the user is unknown, so a wrong name costs what a wrong password
does."""


@dataclass(frozen=True, slots=True)
class Officer:
    """The user a request acts for, as the ledger names them."""

    name: str
    role: Role
    language: str

    @property
    def actor(self) -> str:
        return f"user:{self.name}"

    def require(self, action: Action) -> None:
        if not may(self.role, action):
            raise Forbidden(f"a {self.role.value} may not {action.value.replace('-', ' ')}")


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise InvalidRequest(
            f"user name {name!r} is not allowed: use 1-64 lowercase letters, digits, '.', '_' "
            "or '-', starting with a letter"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidRequest(f"a password needs at least {MIN_PASSWORD} characters")
    return password


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise InvalidRequest(f"language {language!r} is not offered: use one of en, ko, ja")
    return language


def check_account(name: str, role: str, language: str) -> Role:
    """The role of a new account, once its name, role and language are valid."""
    check_name(name)
    check_language(language)
    try:
        return read_role(role)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None


def add_user(node: Node, name: str, role: str, password: str, language: str = "en") -> UserView:
    """A new account in `role`, its password hashed with argon2id."""
    chosen = check_account(name, role, language)
    record = accounts.UserRecord(
        name=name,
        role=chosen.value,
        password_hash=_hasher.hash(check_password(password)),
        language=language,
        created_at=node.now(),
        disabled_at=None,
    )
    with node.write() as tx:
        accounts.add_user(tx.connection, record)
        journal.state_row(tx, "user", "users", record.name)
        return UserView.of(record)


def users(node: Node) -> list[UserView]:
    with node.read() as tx:
        return [UserView.of(u) for u in accounts.users(tx.connection)]


def set_language(node: Node, name: str, language: str) -> UserView:
    with node.write() as tx:
        _user(tx, name)
        accounts.set_user(tx.connection, name, language=check_language(language))
        journal.state_row(tx, "user", "users", name)
        return UserView.of(_user(tx, name))


def disable(node: Node, name: str) -> UserView:
    """Disable an account: its tokens and sessions stop working; it stays in the ledger."""
    with node.write() as tx:
        found = _user(tx, name)
        if found.disabled_at is not None:
            raise Conflict(f"user {name!r} is already disabled")
        accounts.set_user(tx.connection, name, disabled_at=tx.now)
        journal.state_row(tx, "user", "users", name)
        return UserView.of(_user(tx, name))


def issue_token(node: Node, name: str) -> tuple[str, TokenView]:
    """A new API token for `name`: the secret (shown once) and its record."""
    token_id = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    with node.write() as tx:
        found = _user(tx, name)
        if found.disabled_at is not None:
            raise Conflict(f"user {name!r} is disabled: no token is issued")
        accounts.add_token(tx.connection, token_id, name, _digest(secret), tx.now)
        journal.state_row(tx, "api_token", "api_tokens", token_id)
        return secret, TokenView(id=token_id, user=name, created_at=tx.now, revoked_at=None)


def revoke_token(node: Node, token_id: str) -> None:
    with node.write() as tx:
        if not accounts.revoke_token(tx.connection, token_id, tx.now):
            raise NotFound(f"no live API token {token_id!r}")
        journal.state_row(tx, "api_token", "api_tokens", token_id)


def by_token(node: Node, secret: str) -> Officer:
    """The officer an API token stands for; NotAuthenticated for any other token."""
    with node.read() as tx:
        token = accounts.token_by_digest(tx.connection, _digest(secret))
        if token is None or token.revoked_at is not None:
            raise NotAuthenticated("the API token is unknown or revoked: ask for a new one")
        tx.attest(("api_tokens", token.id))
        return _officer(tx, token.username)


def by_password(node: Node, name: str, password: str) -> Officer:
    """The officer whose name and password these are; NotAuthenticated otherwise, the same
    for an unknown name as for a wrong password."""
    with node.read() as tx:
        found = accounts.user(tx.connection, name)
        try:
            _hasher.verify(found.password_hash if found else _DUMMY, password)
        except (VerificationError, InvalidHashError):
            found = None
        if found is None:
            raise NotAuthenticated("wrong user name or password")
        return _officer(tx, name)


def open_session(node: Node, officer: Officer) -> tuple[str, str]:
    """A browser session for an officer who just logged in: the cookie and the CSRF token."""
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with node.write() as tx:
        accounts.end_sessions(tx.connection, before=tx.now)
        accounts.add_session(
            tx.connection,
            _digest(cookie),
            officer.name,
            csrf,
            tx.now,
            tx.now + timedelta(hours=SESSION_HOURS),
        )
    return cookie, csrf


def by_session(node: Node, cookie: str) -> tuple[Officer, str]:
    """The officer of a live session, and the session's CSRF token."""
    with node.read() as tx:
        found = accounts.session(tx.connection, _digest(cookie))
        if found is None or found.expires_at <= tx.now:
            raise NotAuthenticated("the session has ended: log in again")
        return _officer(tx, found.username), found.csrf


def close_session(node: Node, cookie: str) -> None:
    with node.write() as tx:
        accounts.end_sessions(tx.connection, digest=_digest(cookie), before=tx.now)


def check_csrf(expected: str, given: str | None) -> None:
    """A state-changing form or request from a browser carries its session's CSRF token."""
    if not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise Forbidden("the form's CSRF token does not match the session: reload and retry")


def _officer(tx: Tx, name: str) -> Officer:
    """The user row, checked against the ledger, as the officer it makes."""
    found = accounts.user(tx.connection, name)
    if found is None or found.disabled_at is not None:
        raise NotAuthenticated(f"user {name!r} is unknown or disabled")
    tx.attest(("users", name))
    return Officer(found.name, Role(found.role), found.language)


def _user(tx: Tx, name: str) -> accounts.UserRecord:
    found = accounts.user(tx.connection, name)
    if found is None:
        raise NotFound(f"no user named {name!r}")
    return found


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
