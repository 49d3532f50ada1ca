"""Fixtures of the OParl tests: the published world (read-only, built once per module and backend), the
OParl client on a test's own database, and the schema validators."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import Database, _postgres_copy, _sqlite_copy
from tests.oparl.schemas import OparlSchemas, schema_dir
from tests.oparl.world import World, build_world

PUBLIC_URL = "http://testserver"
BASE = PUBLIC_URL + "/oparl/v1"


@dataclass
class Published:
    db: Database
    world: World
    client: TestClient


def oparl_client(db: Database) -> TestClient:
    return TestClient(create_app(db.url, public_url=PUBLIC_URL))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def published(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Published]:
    """The demo municipalities with the extra OParl cases of ``tests.oparl.world``; do not change it."""
    if request.param == "sqlite":
        copies = _sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path_factory.mktemp("oparl"))
    else:
        copies = _postgres_copy(request.getfixturevalue("postgres_template"))
    for db in copies:
        world = build_world(db.sessions)
        with oparl_client(db) as client:
            yield Published(db, world, client)
        client.app.state.engine.dispose()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def schemas() -> OparlSchemas:
    directory: Path | None = schema_dir()
    if directory is None:
        pytest.skip(
            "OParl 1.1.1 schema files not found: set GREMIENLAUF_OPARL_SCHEMA_DIR or keep ../shared/oparl "
            "beside the repository"
        )
    return OparlSchemas(directory)
