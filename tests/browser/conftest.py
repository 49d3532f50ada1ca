"""Browser tests: uvicorn in a subprocess on a free port (one server per database for the session: a SQLite copy
and a PostgreSQL copy of the test template with the demo logins and the world of ``tests/browser/world.py``;
every browser test runs on both, PostgreSQL skipped when unreachable unless CI=true), Debian's Chromium driven by
Playwright (one browser for the session; ``executable_path``, never ``playwright install``), axe-core
(bundled with axe-playwright-python, offline) on every page type and state.

Without ``/usr/bin/chromium`` the tests are skipped, except under ``CI=true`` (scripts/ensure-chromium.sh
installs it there), where they fail.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from gremienlauf.demo_users import DEMO_PASSWORD
from tests.browser import world
from tests.conftest import IN_CI, _postgres_copy
from tests.e2e.conftest import (  # noqa: F401  (the templates with the demo logins)
    postgres_template,
    sqlite_template,
)
from workflow.db import make_engine, make_session_factory

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    def __init__(self, base: str, ids: dict[str, int], database_url: str) -> None:
        self.base = base
        self.ids = ids
        self.database_url = database_url

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail("CI=true but /usr/bin/chromium is missing (scripts/ensure-chromium.sh installs it)")
        pytest.skip("Chromium (/usr/bin/chromium) is not installed: apt-get install chromium")
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            path = tmp_path_factory.mktemp("browser") / "browser.sqlite3"
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
            url = f"sqlite:///{path}"
        else:
            copy = contextlib.contextmanager(_postgres_copy)(request.getfixturevalue("postgres_template"))
            url = stack.enter_context(copy).url
        yield from _serve(url)


def _serve(url: str, clock_file: Path | None = None) -> Iterator[Server]:
    """The world built in the database at ``url``, then uvicorn on it until the session ends; with
    ``clock_file``, no world, and the server's clock reads the moment the test writes into that file."""
    ids: dict[str, int] = {}
    env = {**os.environ, "GREMIENLAUF_DATABASE_URL": url, "GREMIENLAUF_TEST_NOW": world.NOW.isoformat()}
    if clock_file is None:
        engine = make_engine(url)
        ids = world.build(make_session_factory(engine))
        engine.dispose()
    else:
        env["GREMIENLAUF_TEST_CLOCK_FILE"] = str(clock_file)
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "tests.browser.server:app", "--port", str(port)],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else "died"
            try:
                if httpx.get(base + "/anmelden", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not come up within 60 s"
            time.sleep(0.2)
        yield Server(base, ids, url)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser(server: Server) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
        print(f"Chromium {chromium.version}")  # logged: the browser moves with security updates
        yield chromium
        chromium.close()


NewPage = Callable[..., Page]


@pytest.fixture
def new_page(browser: Browser, server: Server) -> Iterator[NewPage]:
    """``new_page(as_="wetzlar-koordination", width=1280, js=True)``: a fresh context, logged in if asked."""
    contexts: list[BrowserContext] = []

    def make(as_: str | None = None, *, width: int = 1280, js: bool = True) -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": 900}, java_script_enabled=js, locale="de-DE"
        )
        contexts.append(context)
        page = context.new_page()
        if as_ is not None:
            page.goto(server.url("/anmelden"))
            page.get_by_label("Benutzername").fill(as_)
            page.get_by_label("Passwort").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Anmelden").click()
            page.wait_for_url(lambda url: "/anmelden" not in url)
        return page

    yield make
    for context in contexts:
        context.close()


_axe = Axe()


def assert_accessible(page: Page, what: str) -> None:
    """axe-core with the WCAG 2.1 A/AA rules: no violation at all."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations: list[dict[str, Any]] = results.response["violations"]
    described = [
        f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
    ]
    assert not violations, f"{what}: " + "; ".join(described)


def assert_fits(page: Page, what: str) -> None:
    """Nothing wider than the viewport (no sideways scrolling at 320 px, WCAG 1.4.10)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{what}: {overflow} px wider than the viewport"


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
