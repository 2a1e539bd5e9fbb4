"""Shared fixtures: reference data, instants, and registries on every configured backend.

Tests that take `db_url` run against SQLite, and also against PostgreSQL when
GSOMIA_TEST_POSTGRES_URL names a server (each xdist worker gets a database of its own).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gsomia.core.agreements import Agreement, AgreementBook, Event
from gsomia.core.calendar import parse_instant
from gsomia.core.markings import Scheme
from gsomia.node.context import Node
from gsomia.node.settings import Settings
from gsomia.reference import builtin_book

pytest_plugins = ["tests.keyrings", "tests.cli_runner"]

SEOUL = ZoneInfo("Asia/Seoul")
POSTGRES = os.environ.get("GSOMIA_TEST_POSTGRES_URL")


def kst(text_: str) -> datetime:
    """An instant in Seoul: a bare date is the start of that day."""
    return parse_instant(text_, SEOUL)


BUILTIN = builtin_book("kor-jpn-2019")


def builtin_schemes() -> list[Scheme]:
    return list(BUILTIN.schemes.values())


def builtin_agreements() -> list[Agreement]:
    return list(BUILTIN.agreements.values())


def history_2019() -> list[Event]:
    return list(BUILTIN.lifecycle("KOR-JPN-GSOMIA-2016").events)


@pytest.fixture(scope="session")
def schemes() -> list[Scheme]:
    return builtin_schemes()


@pytest.fixture(scope="session")
def agreements() -> list[Agreement]:
    return builtin_agreements()


@pytest.fixture(scope="session")
def book(schemes: list[Scheme], agreements: list[Agreement]) -> AgreementBook:
    """The four agreements with no events recorded: everything in force since entry."""
    return AgreementBook(schemes, agreements)


@pytest.fixture(scope="session")
def book_2019(schemes: list[Scheme], agreements: list[Agreement]) -> AgreementBook:
    """The four agreements with the real 2019 history recorded."""
    return AgreementBook(schemes, agreements, history_2019())


@pytest.fixture(scope="session")
def book_notice_stood(schemes: list[Scheme], agreements: list[Agreement]) -> AgreementBook:
    """The counterfactual in which Korea's 2019 notice was never suspended."""
    return AgreementBook(schemes, agreements, history_2019()[:1])


@pytest.fixture(scope="session")
def postgres_url(worker_id: str, testrun_uid: str) -> Iterator[str | None]:
    """A database of this run's own for each xdist worker, dropped at the end, so that runs
    side by side (a developer's and CI's) never touch each other's tables."""
    if not POSTGRES:
        yield None
        return
    name = f"gsomia_test_{testrun_uid[:10]}_{worker_id}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not POSTGRES, reason="GSOMIA_TEST_POSTGRES_URL not set"),
    ),
]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path, postgres_url: str | None) -> Iterator[str]:
    """An empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    assert postgres_url is not None
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield postgres_url


def make_node(url: str, party: str | None = "KOR", zone: str | None = "Asia/Seoul", **settings):
    """A registry created at `url` for `party`, with reference data loaded."""
    from gsomia.node.commands import setup

    node, before = Node.create(Settings(database=url, **settings))
    setup.init(node, before, party, zone)
    return node


@pytest.fixture
def node(db_url: str, tmp_path) -> Iterator[Node]:
    """A fresh registry whose own party is KOR, with reference data loaded."""
    made = make_node(db_url, content_dir=tmp_path / "content")
    yield made
    made.close()


VECTORS = Path(__file__).resolve().parent / "vectors"
"""The public test vectors the tests use, with their licences (tests/vectors/README.md)."""
SCHEMA_PATH = VECTORS / "opentdf-spec-4.3.0/schema/OpenTDF/json-schema/schema.json"
PLATFORM_SCHEMA_PATH = VECTORS / "opentdf-platform/sdk/schema/manifest.schema.json"


def manifest_validators() -> tuple[
    jsonschema.Draft202012Validator, jsonschema.Draft202012Validator
]:
    """The OpenTDF 4.3.0 manifest schema as gsomia follows it, and the same with `ec-wrapped`
    key access allowed.

    One requirement of the published schema is dropped: `payload.tdf_spec_version`. The Go
    SDK neither writes it nor requires it (opentdf/platform sdk/manifest.go, and its own
    sdk/schema/manifest.schema.json, where it is optional), and otdf-python refuses a payload
    object that carries it; gsomia writes the version as the reference implementations do, in
    `schemaVersion`. The 4.3.0 schema lists only `wrapped` and `remote` key access types;
    later OpenTDF versions add `ec-wrapped`, which gsomia writes for EC P-256 keys. RSA-wrapped
    manifests are held to the schema with no other change.
    """
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    schema["properties"]["payload"]["required"].remove("tdf_spec_version")
    extended = copy.deepcopy(schema)
    kao = extended["properties"]["encryptionInformation"]["properties"]["keyAccess"]["items"]
    kao["properties"]["type"]["enum"].append("ec-wrapped")
    return jsonschema.Draft202012Validator(schema), jsonschema.Draft202012Validator(extended)


STRICT, EXTENDED = manifest_validators()
PUBLISHED = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
"""The 4.3.0 schema exactly as published."""
PLATFORM = jsonschema.Draft202012Validator(
    json.loads(PLATFORM_SCHEMA_PATH.read_text(encoding="utf-8"))
)
"""The schema the Go SDK validates manifests against (opentdf/platform)."""
SEALED_MANIFESTS: list[dict[str, Any]] = []


@pytest.fixture(autouse=True)
def every_sealed_manifest_is_valid(monkeypatch):
    """Every manifest any test seals is validated against the OpenTDF 4.3.0 JSON Schema (as
    `manifest_validators` reads it) and the Go SDK's."""
    from gsomia.formats import ztdf

    original = ztdf.ContainerWriter.manifest

    def validated(self, manifest):
        document = manifest.document()
        types = {kao["type"] for kao in document["encryptionInformation"]["keyAccess"]}
        (EXTENDED if "ec-wrapped" in types else STRICT).validate(document)
        PLATFORM.validate(document)
        SEALED_MANIFESTS.append(document)
        return original(self, manifest)

    monkeypatch.setattr(ztdf.ContainerWriter, "manifest", validated)
