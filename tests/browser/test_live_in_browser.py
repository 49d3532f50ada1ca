"""The live page of a meeting in Chromium: a result recorded through the API appears on the open page within
2 seconds, with its counts and the counts per faction; axe finds nothing; it fits 320 px."""

from __future__ import annotations

import time

import httpx
from playwright.sync_api import expect

from api.web import links
from gremienlauf.demo_users import DEMO_PASSWORD
from tests.browser.conftest import NewPage, Server, assert_accessible, assert_fits, screenshot
from tests.web.live_world import MARKER, SECRETARY, build_live_world, result_with_factions
from workflow.db import make_engine, make_session_factory
from workflow.models import Meeting


def test_a_result_recorded_through_the_api_appears_on_the_open_live_page(
    server: Server, new_page: NewPage
) -> None:
    engine = make_engine(server.database_url)
    sessions = make_session_factory(engine)
    world = build_live_world(sessions, "2013-12-02 08:30")  # under way at the server's clock (09:00)
    with sessions() as session:
        path = links.meeting(session, "wetzlar", session.get_one(Meeting, world.meeting_id)) + "/live"
    engine.dispose()

    page = new_page(width=320)
    page.goto(server.url(path))
    expect(page.locator("#live-verbindung")).to_have_text("Neue Ergebnisse erscheinen automatisch.")
    assert_accessible(page, "live page before the first result")
    token = httpx.post(
        server.url("/api/v1/auth/token"), json={"username": SECRETARY, "password": DEMO_PASSWORD}, timeout=10
    ).json()["access_token"]
    response = httpx.post(
        server.url(f"/api/v1/wetzlar/agenda-items/{world.public_items[0]}/result"),
        json=result_with_factions(world),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    recorded = time.monotonic()
    expect(page.locator(".live-latest")).to_contain_text("Zustimmung empfohlen", timeout=2000)
    assert time.monotonic() - recorded < 2.0
    expect(page.locator(".live-factions").first).to_be_visible()
    assert MARKER not in page.content()
    assert page.locator("#ansage").text_content() != ""
    assert_accessible(page, "live page with a result")
    assert_fits(page, "live page at 320 px")
    screenshot(page, "portal-live-320")
