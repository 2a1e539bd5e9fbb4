"""The officers' accounts as rows: users, their API tokens (by digest) and browser sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from gsomia.errors import Conflict
from gsomia.store import tables


@dataclass(frozen=True, slots=True)
class UserRecord:
    name: str
    role: str
    password_hash: str
    language: str
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True, slots=True)
class TokenRecord:
    id: str
    username: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class SessionRecord:
    username: str
    csrf: str
    expires_at: datetime


def add_user(connection: Connection, user: UserRecord) -> None:
    try:
        with connection.begin_nested():
            connection.execute(
                insert(tables.users).values(
                    name=user.name,
                    role=user.role,
                    password_hash=user.password_hash,
                    language=user.language,
                    created_at=user.created_at,
                    disabled_at=user.disabled_at,
                )
            )
    except IntegrityError:
        raise Conflict(f"a user named {user.name!r} already exists") from None


def user(connection: Connection, name: str) -> UserRecord | None:
    row = connection.execute(select(tables.users).where(tables.users.c.name == name)).first()
    return UserRecord(**row._asdict()) if row is not None else None


def users(connection: Connection) -> list[UserRecord]:
    rows = connection.execute(select(tables.users).order_by(tables.users.c.name))
    return [UserRecord(**row._asdict()) for row in rows]


def set_user(connection: Connection, name: str, **values: object) -> None:
    connection.execute(update(tables.users).where(tables.users.c.name == name).values(**values))


def add_token(
    connection: Connection, token_id: str, username: str, digest: str, at: datetime
) -> None:
    connection.execute(
        insert(tables.api_tokens).values(
            id=token_id, username=username, token_sha256=digest, created_at=at
        )
    )


def token_by_digest(connection: Connection, digest: str) -> TokenRecord | None:
    t = tables.api_tokens
    row = connection.execute(
        select(t.c.id, t.c.username, t.c.created_at, t.c.revoked_at).where(
            t.c.token_sha256 == digest
        )
    ).first()
    return TokenRecord(**row._asdict()) if row is not None else None


def tokens(connection: Connection, username: str) -> list[TokenRecord]:
    t = tables.api_tokens
    rows = connection.execute(
        select(t.c.id, t.c.username, t.c.created_at, t.c.revoked_at)
        .where(t.c.username == username)
        .order_by(t.c.created_at, t.c.id)
    )
    return [TokenRecord(**row._asdict()) for row in rows]


def revoke_token(connection: Connection, token_id: str, at: datetime) -> bool:
    t = tables.api_tokens
    done = connection.execute(
        update(t).where(t.c.id == token_id, t.c.revoked_at.is_(None)).values(revoked_at=at)
    )
    return done.rowcount == 1


def add_session(
    connection: Connection,
    digest: str,
    username: str,
    csrf: str,
    created_at: datetime,
    expires_at: datetime,
) -> None:
    connection.execute(
        insert(tables.web_sessions).values(
            id_sha256=digest,
            username=username,
            csrf=csrf,
            created_at=created_at,
            expires_at=expires_at,
        )
    )


def session(connection: Connection, digest: str) -> SessionRecord | None:
    s = tables.web_sessions
    row = connection.execute(
        select(s.c.username, s.c.csrf, s.c.expires_at).where(s.c.id_sha256 == digest)
    ).first()
    return SessionRecord(**row._asdict()) if row is not None else None


def end_sessions(connection: Connection, *, digest: str | None = None, before: datetime) -> None:
    """End the session `digest` (if named) and every session expired by `before`."""
    s = tables.web_sessions
    condition = s.c.expires_at <= before
    if digest is not None:
        condition = condition | (s.c.id_sha256 == digest)
    connection.execute(delete(s).where(condition))
