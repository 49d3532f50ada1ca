"""Fixtures for the end-to-end tests over HTTP.

The app runs in-process (FastAPI's ``TestClient``) on the per-test databases of ``tests/conftest.py``:
``api`` on ``db`` (SQLite and PostgreSQL), ``api_pg`` on ``pg`` (PostgreSQL only). The demo logins of
``gremienlauf.demo_users`` (password "demo-passwort") are added once per run to the template databases the
per-test copies are made from, so a test pays neither for some thirty argon2 hashes nor for logins it does
not make. Two logins are added beside them: a second secretary of the Stadtverordnetenversammlung (two
secretaries recording the same item at once) and a council member who sits in the Magistrat only (a council
member *not* of a body).

Password hashing stays argon2id through the same code, but with the library's cheapest parameters: the
production cost (a quarter of a second per hash on this machine) would make logins, repeated each time the
fake clock jumps past a token's eight hours, the bulk of the run.

Time is a fake clock the test sets (``clock.set("2013-09-30 09:05")``, Europe/Berlin wall clock): the app
reads "now" from it for every use case and for the expiry of bearer tokens. ``Api`` logs in lazily and
again once a token has expired on that clock.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import create_engine, text

import workflow.access
from api.app import create_app
from gremienlauf.demo_users import DEMO_PASSWORD, add_demo_users
from tests.conftest import SETUP_TIME, Database, _admin_url, _postgres_copy, _sqlite_copy
from tests.scenario import berlin
from workflow.access import Role, add_user
from workflow.db import make_engine, make_session_factory

#: Logins beside the demo ones: (username, role, extra arguments of ``add_user``).
EXTRA_USERS: tuple[tuple[str, Role, dict[str, Any]], ...] = (
    ("wetzlar-schrift-stvv-2", Role.secretary, {"bodies": ["stvv"]}),
    ("wetzlar-mitglied-magistrat", Role.council_member, {"person": "herget"}),
)

#: When a test starts: the date of the Wetzlar Vorlage 1562/13, 10 o'clock.
START = "2013-07-12 10:00"


CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@contextmanager
def cheap_password_hashing() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(workflow.access, "_hasher", lambda: CHEAP_HASHER)
        yield


@pytest.fixture(scope="module", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    with cheap_password_hashing():
        yield


def add_logins(url: str) -> None:
    """The demo logins of every municipality and the extra ones above."""
    with cheap_password_hashing():
        _add_logins(url)


def _add_logins(url: str) -> None:
    add_demo_users(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    for username, role, extra in EXTRA_USERS:
        add_user(
            sessions,
            municipality="wetzlar",
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            actor="test-setup",
            now=SETUP_TIME,
            **extra,
        )
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared SQLite template with the logins added (a copy: other tests keep theirs)."""
    path = tmp_path_factory.mktemp("e2e-template") / "template.sqlite3"
    shutil.copyfile(sqlite_template, path)
    add_logins(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_template: str) -> Iterator[str]:
    """The shared PostgreSQL template with the logins added (a copy: other tests keep theirs)."""
    name = f"gl_e2e_template_{os.getpid()}"
    admin = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"'))
    add_logins(_admin_url(name))
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class FakeClock:
    """The app's clock; the test moves it."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, text: str) -> dt.datetime:
        """Set to a Europe/Berlin wall-clock time, e.g. "2013-09-30 09:05"."""
        self.now = berlin(text)
        return self.now

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        self.now = self.now + delta
        return self.now


def login(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> tuple[str, dt.datetime]:
    """Log in over HTTP; the bearer token and when it expires."""
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    return body["access_token"], dt.datetime.fromisoformat(body["expires_at"])


class Api:
    """A TestClient that logs in as demo users: ``api.get("/wetzlar/papers", as_="wetzlar-koordination")``.

    Paths are below ``/api/v1``; ``as_=None`` calls as the public (no token).
    """

    def __init__(self, client: TestClient, clock: FakeClock, db: Database) -> None:
        self.client = client
        self.clock = clock
        self.db = db
        self._tokens: dict[str, tuple[str, dt.datetime]] = {}

    def token(self, username: str) -> str:
        """A valid token of ``username`` on the current clock (logs in again once it has expired)."""
        cached = self._tokens.get(username)
        if cached is None or cached[1] <= self.clock.now:
            cached = self._tokens[username] = login(self.client, username)
        return cached[0]

    def headers(self, username: str | None) -> dict[str, str]:
        """The auth headers of a demo user (empty for the public)."""
        return {} if username is None else {"Authorization": f"Bearer {self.token(username)}"}

    def request(
        self,
        method: str,
        path: str,
        *,
        as_: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Response:
        url = path if path.startswith("/api/") else f"/api/v1{path}"
        response: Response = self.client.request(
            method, url, headers={**self.headers(as_), **(headers or {})}, **kwargs
        )
        return response

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Response:
        return self.request("PATCH", path, **kwargs)


@contextmanager
def running_api(db: Database, clock: FakeClock) -> Iterator[Api]:
    """The app on ``db`` with ``clock``; its engine is disposed afterwards."""
    app = create_app(db.url, clock=clock)
    try:
        with TestClient(app) as client:
            yield Api(client, clock, db)
    finally:
        app.state.engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(berlin(START))


@pytest.fixture
def api(db: Database, clock: FakeClock) -> Iterator[Api]:
    """The app over HTTP on SQLite and on PostgreSQL."""
    with running_api(db, clock) as api:
        yield api


@pytest.fixture
def api_pg(pg: Database, clock: FakeClock) -> Iterator[Api]:
    """The app over HTTP on PostgreSQL only."""
    with running_api(pg, clock) as api:
        yield api


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def module_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """Like ``db``, but shared by the tests of a module (for a world they only read or add to)."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        yield from _sqlite_copy(template, tmp_path_factory.mktemp("module-db"))
    else:
        yield from _postgres_copy(request.getfixturevalue("postgres_template"))


@pytest.fixture(scope="module")
def module_api(module_db: Database) -> Iterator[Api]:
    """The app over HTTP on ``module_db``, with a clock of its own."""
    with running_api(module_db, FakeClock(berlin(START))) as api:
        yield api
