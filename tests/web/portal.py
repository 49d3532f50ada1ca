"""The published portal world, built once per module and backend (SQLite and PostgreSQL), with the app on
a fake clock in the middle of it, and a crawler for the web pages."""

from __future__ import annotations

import html
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api.app import create_app
from tests.conftest import Database, _postgres_copy, _sqlite_copy
from tests.e2e.conftest import FakeClock
from tests.scenario import berlin
from tests.web.portal_world import PortalWorld, build_portal_world

PUBLIC_URL = "http://testserver"
OPARL_BASE = PUBLIC_URL + "/oparl/v1"
#: The portal's "today": after the world's meetings of spring 2014, before the SJS meeting planned for June.
TODAY = "2014-06-02 12:00"


@dataclass
class Portal:
    db: Database
    world: PortalWorld
    client: TestClient
    clock: FakeClock


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def portal(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """The three example municipalities with ``tests.web.portal_world``; read only."""
    if request.param == "sqlite":
        copies = _sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path_factory.mktemp("portal"))
    else:
        copies = _postgres_copy(request.getfixturevalue("postgres_template"))
    for db in copies:
        world = build_portal_world(db.sessions)
        clock = FakeClock(berlin(TODAY))
        with TestClient(create_app(db.url, clock=clock, public_url=PUBLIC_URL)) as client:
            yield Portal(db, world, client, clock)
        client.app.state.engine.dispose()  # type: ignore[attr-defined]


HREF = re.compile(r'href="([^"]*)"')


def links_of(page: str) -> list[str]:
    return [html.unescape(link) for link in HREF.findall(page)]


@dataclass
class PageCrawl:
    """Every page reachable by following the links of the start pages, as someone without a login."""

    client: TestClient
    pages: dict[str, Response] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def run(self, *starts: str, limit: int = 3000) -> PageCrawl:
        queue = deque(starts)
        seen = set(starts)
        while queue and len(self.pages) < limit:
            url = queue.popleft()
            response = self.client.get(url)
            self.pages[url] = response
            if response.status_code != 200:
                self.problems.append(f"{url}: {response.status_code}")
                continue
            if not response.headers.get("content-type", "").startswith("text/html"):
                continue
            for link in links_of(response.text):
                link = link.split("#")[0]
                if link.startswith(PUBLIC_URL):
                    link = link.removeprefix(PUBLIC_URL)
                if not link.startswith("/") or link.startswith(("//", "/static/", "/oparl/")):
                    continue
                if link not in seen:
                    seen.add(link)
                    queue.append(link)
        assert not queue, f"more than {limit} pages: does a link run on for ever?"
        return self

    def text(self) -> str:
        return "\n".join(_readable(r) for r in self.pages.values())


def _readable(response: Response) -> str:
    """The answer as text (an iCalendar feed unfolded: a folded line could split a marker)."""
    kind = response.headers.get("content-type", "")
    if kind.startswith(("text/", "application/json", "application/atom+xml", "application/xml")):
        return response.text.replace("\r\n ", "").replace("\n ", "")
    return response.content.decode("latin-1")
