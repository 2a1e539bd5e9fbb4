"""The administrator's routes: the officers' accounts and tokens, the node's keys, the
peers."""

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gsomia.api.routes.auth import Gate, act
from gsomia.core.roles import Action
from gsomia.node import queries
from gsomia.node.commands import peers, users
from gsomia.node.commands.users import Officer
from gsomia.node.context import Node
from gsomia.node.schemas import KeyView, PeerView, TokenView, UserView


class NewUser(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    role: Annotated[str, Field(min_length=1, max_length=32)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    language: Annotated[str, Field(min_length=2, max_length=8)] = "en"


class IssuedToken(TokenView):
    token: str
    """The secret, shown only in this answer."""


class Me(UserView):
    may: list[str]
    """The actions this officer's role allows."""


def router(node: Node, gate: Gate) -> APIRouter:
    api = APIRouter()
    manages = gate.needs(Action.MANAGE_ACCOUNTS)

    @api.get("/me", tags=["officers"], summary="Who is calling, and what they may do")
    def me(*, officer: Annotated[Officer, gate.needs(Action.READ_AGREEMENTS)]) -> Me:
        from gsomia.core.roles import ALLOWED

        found = next(u for u in users.users(node) if u.name == officer.name)
        return Me(**found.model_dump(), may=sorted(a.value for a in ALLOWED[officer.role]))

    @api.get("/users", tags=["officers"], summary="The officers and their roles")
    def user_list(*, _: Annotated[Officer, manages]) -> list[UserView]:
        return users.users(node)

    @api.post("/users", tags=["officers"], status_code=201, summary="Add an officer")
    def user_add(body: NewUser, *, officer: Annotated[Officer, manages]) -> UserView:
        return act(
            officer, users.add_user, node, body.name, body.role, body.password, body.language
        )

    @api.post(
        "/users/{name}/tokens",
        tags=["officers"],
        status_code=201,
        summary="A new API token for the officer, shown once",
    )
    def token_add(name: str, *, officer: Annotated[Officer, manages]) -> IssuedToken:
        secret, view = act(officer, users.issue_token, node, name)
        return IssuedToken(**view.model_dump(), token=secret)

    @api.delete(
        "/tokens/{token_id}", tags=["officers"], status_code=204, summary="Revoke an API token"
    )
    def token_revoke(token_id: str, *, officer: Annotated[Officer, manages]) -> None:
        act(officer, users.revoke_token, node, token_id)

    @api.post("/users/{name}/disable", tags=["officers"], summary="Disable an account")
    def user_disable(name: str, *, officer: Annotated[Officer, manages]) -> UserView:
        return act(officer, users.disable, node, name)

    @api.get("/keys", tags=["keys"], summary="This node's keys and the partners' it knows")
    def key_list(*, _: Annotated[Officer, gate.needs(Action.MANAGE_KEYS)]) -> list[KeyView]:
        return queries.keys(node)

    @api.get("/peers", tags=["peers"], summary="Partners' nodes and their pinned keys")
    def peer_list(*, _: Annotated[Officer, gate.needs(Action.MANAGE_PEERS)]) -> list[PeerView]:
        return peers.peers(node)

    return api
