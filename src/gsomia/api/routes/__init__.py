"""The officers' API, versioned under `/api/v1`: every use case of the CLI over HTTP.

Each route names the action it needs (`gsomia.core.roles`); the caller is an officer
authenticated by an API token (`Authorization: Bearer`) or a browser session (with its CSRF
token on any change). Routes parse, call `gsomia.node`, and return its models; errors are
RFC 9457 problem details, and a denial carries the decision's reasons with their articles.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from gsomia.api.routes import admin, audit, registry, security
from gsomia.api.routes.auth import Gate
from gsomia.node.context import Node

PREFIX = "/api/v1"


def router(node: Node, passphrase: bytes, wake: Callable[[], None], gate: Gate) -> APIRouter:
    api = APIRouter(prefix=PREFIX)
    api.include_router(registry.router(node, passphrase, wake, gate))
    api.include_router(security.router(node, passphrase, wake, gate))
    api.include_router(audit.router(node, gate))
    api.include_router(admin.router(node, gate))
    return api
