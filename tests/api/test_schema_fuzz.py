"""Schemathesis over the officers' API: every operation of `/api/v1` (and the node's health
and discovery routes), called with data generated from the OpenAPI document (valid, and invalid somewhere) by an officer
whose role allows it, answers without a server error and as the document says: a documented
status, a documented content type, a body matching its schema (problem+json included).

Not checked: that every schema-valid request is accepted. The document types a party, a
marking, a topic or an instant as a string; the registry's reference data and rules decide
which strings it knows, and answers the others with a documented 400 or 422 problem.

The run is deterministic and bounded: derandomized Hypothesis, a few examples per operation,
no example database. The federation routes (`/v1/...`) take only signed node-to-node
requests; tests/federation exercises them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import positive_data_acceptance
from schemathesis.specs.openapi.schemas import OpenApiSchema

from gsomia.api.app import create_app
from gsomia.core.roles import Action, Role, may
from gsomia.node.commands import items, keys, persons, users
from gsomia.node.context import Node
from tests.conftest import make_node

PASSPHRASE = b"schema fuzz passphrase"
PASSWORD = "a long enough password"
EXAMPLES = 8
"""Per operation and role; with ~50 operations the whole run stays well under a minute."""
FEDERATION = ("/v1/", "/witness/")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[Role, str]]]:
    """KOR's node on SQLite with keys, an item, a person, one officer of each role and a
    token each; its app."""
    where = tmp_path_factory.mktemp("fuzz")
    node: Node = make_node(f"sqlite:///{where / 'registry.db'}", content_dir=where / "content")
    keys.init_keys(node, PASSPHRASE)
    items.register_item(
        node, title="Launch report", marking="II", topic="missile-launch", at="2018-01-02"
    )
    persons.add_person(
        node, name="Kim", party="KOR", clearance="II", need_to_know=["missile-launch"]
    )
    tokens = {}
    for role in Role:
        users.add_user(node, f"fuzz-{role.value}", role.value, PASSWORD)
        tokens[role] = users.issue_token(node, f"fuzz-{role.value}")[0]
    app = create_app(node, PASSPHRASE, worker=False)
    try:
        yield app, tokens
    finally:
        node.close()


def _operations(schema: OpenApiSchema) -> list[Any]:
    found = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the document has an unusable operation: {result.err()}"
        found.append(result.ok())
    return [op for op in found if not op.path.startswith(FEDERATION)]


def _actions(operation: Any) -> list[Action]:
    """The actions an operation's security requirement names (`Gate.needs`)."""
    return [
        Action(scope)
        for requirement in operation.definition.raw.get("security", [])
        for scopes in requirement.values()
        for scope in scopes
    ]


def _schema(app: Any, token: str | None = None) -> OpenApiSchema:
    """The app's schema as schemathesis loads it; with `token`, every case carries it."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    if token is not None:
        bearer = token

        # no re-authentication on a 401: a refused token is an answer to check
        @schema.auth(refresh_interval=None, retry_on=[])
        class _Bearer:
            def get(self, case: Any, ctx: Any) -> str:
                return bearer

            def set(self, case: Any, data: str, ctx: Any) -> None:
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return schema


def _has_input(operation: Any) -> bool:
    """Whether the operation takes parameters or a body a negative case could break."""
    raw = operation.definition.raw
    return bool(raw.get("parameters")) or "requestBody" in raw


def _conforms(schema: OpenApiSchema, operation: Any, mode: GenerationMode) -> Any:
    """A Hypothesis test: `operation` called with data generated in `mode` (valid, or
    invalid somewhere) answers as documented."""

    @given(case=operation.as_strategy(mode, auth_storage=schema.auth))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def conforms(case: Any) -> None:
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    return conforms


def test_the_document_is_openapi_3_1_and_names_each_operations_action(fuzzed) -> None:
    schema = _schema(fuzzed[0])
    assert schema.raw_schema["openapi"].startswith("3.1.")
    officers = [op for op in _operations(schema) if op.path.startswith("/api/v1/")]
    assert len(officers) > 40
    for operation in officers:
        assert len(_actions(operation)) == 1, operation.label
        for status in ("400", "401", "403", "404", "422"):
            answer = operation.definition.raw["responses"][status]
            assert list(answer["content"]) == ["application/problem+json"], operation.label


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_every_operation_the_role_may_call_answers_as_documented(fuzzed, role: Role) -> None:
    """Each role calls what it may: together the four roles reach every operation past the
    gate. Checks: no 5xx, status code, content type and body as documented."""
    app, tokens = fuzzed
    schema = _schema(app, tokens[role])
    called = []
    for operation in _operations(schema):
        if not all(may(role, action) for action in _actions(operation)):
            continue
        called.append(operation.label)
        _conforms(schema, operation, GenerationMode.POSITIVE)()
        if _has_input(operation):
            _conforms(schema, operation, GenerationMode.NEGATIVE)()
    assert called, f"{role.value} may call nothing"


def test_the_roles_together_reach_every_operation(fuzzed) -> None:
    schema = _schema(fuzzed[0])
    for operation in _operations(schema):
        actions = _actions(operation)
        assert not actions or any(all(may(r, a) for a in actions) for r in Role), operation.label


def test_a_key_of_non_ascii_digits_is_a_reference_not_an_id(fuzzed) -> None:
    """Schemathesis found it: '¹' is a digit to `str.isdigit` but not to `int`; it was a 500."""
    app, tokens = fuzzed
    with TestClient(app) as client:
        answer = client.get(
            "/api/v1/items/%C2%B9",
            headers={"authorization": f"Bearer {tokens[Role.REGISTRY_OFFICER]}"},
        )
    assert answer.status_code == 404
    assert answer.json()["type"] == "urn:gsomia:problem:not-found"
