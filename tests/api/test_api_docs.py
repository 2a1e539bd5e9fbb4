"""docs/api.md stays true to the code: its table of routes and the roles that may call them
is the one the OpenAPI document and `gsomia.core.roles.ALLOWED` give, and every problem type
slug it names is one gsomia answers with."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gsomia.api.app import create_app
from gsomia.core.roles import Action, Role, may
from gsomia.errors import PROBLEM_TYPE_PREFIX, GsomiaError
from gsomia.node.context import Node

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
BEGIN, END = "<!-- routes: begin -->", "<!-- routes: end -->"
ROLES = [Role.REGISTRY_OFFICER, Role.SECURITY_OFFICER, Role.AUDITOR, Role.ADMINISTRATOR]


def route_table(document: dict[str, Any]) -> str:
    """The routes of /api/v1, each with the action it needs and the roles that have it."""
    lines = [
        "| method | path | action | " + " | ".join(r.value for r in ROLES) + " |",
        "|---|---|---|" + "---|" * len(ROLES),
    ]
    for path, operations in document["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            [requirement] = operation["security"]
            [[scope]] = requirement.values()
            action = Action(scope)
            marks = " | ".join("yes" if may(r, action) else "" for r in ROLES)
            lines.append(f"| {method.upper()} | `{path[len('/api/v1') :]}` | {scope} | {marks} |")
    return "\n".join(lines)


def test_the_route_table_is_the_codes(node: Node) -> None:
    document = create_app(node, b"docs passphrase", worker=False).openapi()
    text = DOC.read_text(encoding="utf-8")
    written = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    expected = route_table(document)
    assert written == expected, f"docs/api.md's route table should read:\n{expected}"


def _subclasses(cls: type[GsomiaError]) -> list[type[GsomiaError]]:
    return [cls, *(sub for direct in cls.__subclasses__() for sub in _subclasses(direct))]


def test_every_slug_named_is_a_problem_type_gsomia_has() -> None:
    import gsomia.ledger.errors  # noqa: F401  (its errors join the tree)

    known = {cls.slug for cls in _subclasses(GsomiaError)}
    named = set(re.findall(r"urn:gsomia:problem:([a-z-]+)", DOC.read_text(encoding="utf-8")))
    assert named, "the doc names the problem types"
    assert named <= known, named - known
    assert PROBLEM_TYPE_PREFIX == "urn:gsomia:problem:"
