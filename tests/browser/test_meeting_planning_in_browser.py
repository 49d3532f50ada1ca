"""The office's meeting planning in a real browser: the list per body (htmx filter), "Sitzung anlegen",
moving and cancelling a meeting, with errors; axe on every state (with JavaScript, after the htmx swaps, as
served without it), at 1280 and 320 px; screenshots into docs/screenshots/.

The tests make their own meetings (of the Magistrat, which meets in private, in January and February 2014)
through the pages, so the shared world's meetings and the public portal stay as the other browser tests
expect them. Joint meetings are created over HTTP (tests/web/test_meeting_planning.py)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from api.web import links
from tests.browser import world
from tests.browser.conftest import NewPage, Server, assert_accessible, assert_fits, screenshot
from workflow import meetings
from workflow.db import make_engine, make_session_factory
from workflow.store import municipality_by_key

OFFICE = "wetzlar-koordination"
SJS = "Sozial-, Jugend- und Sportausschuss"


def _create(page: Page, server: Server, day: str, place: str) -> None:
    page.goto(server.url("/wetzlar/sitzungsplanung"))
    page.get_by_role("checkbox", name="Magistrat").check()
    page.get_by_label("Datum", exact=True).fill(day)
    page.get_by_label("Beginn").fill("17:00")
    page.locator("#feld-ort").fill(place)
    page.get_by_role("button", name="Sitzung anlegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Sitzung Magistrat am {day[8:]}.{day[5:7]}.{day[:4]}"
    )


def _invite(server: Server, path: str) -> None:
    """Invite the meeting at ``path`` through the use case (the invitation page is tested elsewhere)."""
    engine = make_engine(server.database_url)
    try:
        sessions = make_session_factory(engine)
        with sessions() as s:
            town = municipality_by_key(s, "wetzlar").id
            meeting_id = links.meeting_from_slug(s, town, path.rsplit("/", 1)[1]).id
        meetings.invite_meeting(sessions, actor="Browsertest", meeting_id=meeting_id, now=world.NOW)
    finally:
        engine.dispose()


def test_the_office_plans_moves_and_cancels_a_meeting(new_page: NewPage, server: Server) -> None:
    page = new_page(OFFICE)
    page.goto(server.url("/wetzlar/sitzungsplanung"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sitzungsplanung")
    expect(page.locator("#sitzungsliste")).to_contain_text("Ladungsfrist: Einladung spätestens")
    assert_accessible(page, "meeting planning")
    screenshot(page, "sitzungsplanung")

    page.locator("#feld-filter-gremium").select_option("magistrat")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page).to_have_url(re.compile(r"/wetzlar/sitzungsplanung\?gremium=magistrat"))
    expect(page.locator("#kommende-titel")).to_have_text("Kommende Sitzungen · Magistrat")
    expect(page.locator("#kommende-titel")).to_be_focused()
    assert_accessible(page, "meeting planning after the htmx swap of the body filter")
    screenshot(page, "sitzungsplanung-magistrat")

    page.get_by_role("button", name="Sitzung anlegen").click()
    expect(page.locator(".error-summary")).to_contain_text("Bitte wählen Sie das Gremium")
    expect(page.locator(".error-summary")).to_be_focused()
    assert_accessible(page, "Sitzung anlegen with errors")
    screenshot(page, "sitzung-anlegen-fehler")

    page.locator("#feld-filter-gremium").select_option("fwa")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.locator("#sitzungsliste")).to_contain_text("Keine kommende Sitzung geplant.")
    assert_accessible(page, "meeting planning without coming meetings, after the htmx swap")

    _create(page, server, "2014-01-20", "Neues Rathaus, Sitzungssaal")
    page.get_by_role("link", name="Sitzung verlegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sitzung verlegen")
    expect(page.get_by_label("Dringlich (verkürzte Ladungsfrist)")).to_have_count(0)  # not invited yet
    assert_accessible(page, "moving a meeting")
    _invite(server, page.url.removeprefix(server.base).removesuffix("/verlegen"))
    page.reload()
    expect(page.locator("main")).to_contain_text("Für den neuen Termin gilt die Ladungsfrist erneut")
    expect(page.get_by_label("Dringlich (verkürzte Ladungsfrist)")).to_be_visible()
    assert_accessible(page, "moving an invited meeting")
    screenshot(page, "sitzung-verlegen")
    page.get_by_label("Neues Datum").fill("2013-11-01")
    page.get_by_role("button", name="Sitzung verlegen").click()
    expect(page.locator("#fehler-datum")).to_contain_text("Der neue Beginn muss in der Zukunft liegen")
    expect(page.locator(".error-summary")).to_be_focused()
    assert_accessible(page, "moving a meeting, with an error after the htmx swap")
    screenshot(page, "sitzung-verlegen-fehler")
    page.get_by_label("Neues Datum").fill("2014-01-27")
    page.get_by_label("Beginn").fill("18:30")
    page.get_by_role("button", name="Sitzung verlegen").click()
    expect(page).to_have_url(re.compile(r"/wetzlar/sitzungen/2014-01-27-magistrat$"))
    expect(page.locator("main")).to_contain_text("Montag, 27.01.2014, 18:30 Uhr")

    page.get_by_role("link", name="Sitzung absagen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sitzung absagen")
    expect(page.locator("main")).to_contain_text("Alle Eingeladenen erhalten eine Absage")
    assert_accessible(page, "cancelling a meeting")
    page.get_by_role("button", name="Sitzung absagen").click()
    expect(page.locator("#fehler-grund")).to_be_visible()
    expect(page.locator("#fehler-bestaetigt")).to_be_visible()
    assert_accessible(page, "cancelling a meeting, with errors after the htmx swap")
    screenshot(page, "sitzung-absagen-fehler")
    page.get_by_label("Grund der Absage").fill("Keine beratungsreifen Vorlagen")
    page.get_by_label("Ja, diese Sitzung absagen").check()
    page.get_by_role("button", name="Sitzung absagen").click()
    expect(page).to_have_url(re.compile(r"/wetzlar/sitzungen/2014-01-27-magistrat$"))
    expect(page.locator("main")).to_contain_text("Keine beratungsreifen Vorlagen")
    expect(page.get_by_role("link", name="Sitzung verlegen")).to_have_count(0)
    assert_accessible(page, "the cancelled meeting")


def test_the_planning_pages_work_without_javascript_and_at_320_px(new_page: NewPage, server: Server) -> None:
    no_js = new_page(OFFICE, js=False)
    no_js.goto(server.url("/wetzlar/sitzungsplanung"))
    no_js.locator("#feld-filter-gremium").select_option("sjs")
    no_js.get_by_role("button", name="Anzeigen").click()
    expect(no_js).to_have_url(re.compile(r"gremium=sjs"))
    expect(no_js.locator("#kommende-titel")).to_have_text(f"Kommende Sitzungen · {SJS}")
    _create(no_js, server, "2014-02-03", "Altes Rathaus")
    meeting = no_js.url
    no_js.get_by_role("link", name="Sitzung verlegen").click()
    no_js.get_by_label("Ende").fill("16:00")
    no_js.get_by_role("button", name="Sitzung verlegen").click()
    expect(no_js.locator("#fehler-ende")).to_contain_text("Das Ende muss nach dem Beginn liegen.")
    moved = no_js.url
    no_js.get_by_label("Ende").fill("19:00")
    no_js.locator("#feld-ort").fill("Stadthalle")
    no_js.get_by_role("button", name="Sitzung verlegen").click()
    expect(no_js).to_have_url(meeting)
    expect(no_js.locator("main")).to_contain_text("Stadthalle")
    no_js.get_by_role("link", name="Sitzung absagen").click()
    no_js.get_by_label("Grund der Absage").fill("Terminüberschneidung")
    no_js.get_by_role("button", name="Sitzung absagen").click()
    expect(no_js.locator("#fehler-bestaetigt")).to_be_visible()
    cancel = no_js.url
    no_js.get_by_label("Ja, diese Sitzung absagen").check()
    no_js.get_by_role("button", name="Sitzung absagen").click()
    expect(no_js.locator("main")).to_contain_text("Terminüberschneidung")

    # axe is JavaScript itself: it checks the pages the JavaScript-less browser got, in a second browser.
    checker = new_page(OFFICE)
    for url, what in (
        (server.url("/wetzlar/sitzungsplanung?gremium=sjs"), "planning as served without JavaScript"),
        (meeting, "the cancelled meeting as served without JavaScript"),
    ):
        checker.goto(url)
        assert_accessible(checker, what)
    assert moved.endswith("/verlegen")
    assert cancel.endswith("/absagen")

    narrow = new_page(OFFICE, width=320)
    narrow.goto(server.url("/wetzlar/sitzungsplanung"))
    assert_accessible(narrow, "meeting planning at 320 px")
    assert_fits(narrow, "meeting planning at 320 px")
    screenshot(narrow, "sitzungsplanung-320px")
    soon = "/wetzlar/sitzungen/2013-12-09-magistrat"  # the world's planned meeting: only looked at here
    for action, what in (("/verlegen", "moving"), ("/absagen", "cancelling")):
        narrow.goto(server.url(soon + action))
        assert_accessible(narrow, f"{what} at 320 px")
        assert_fits(narrow, f"{what} at 320 px")
        screenshot(narrow, f"sitzung{action.replace('/', '-')}-320px")


def test_others_get_a_german_refusal(new_page: NewPage, server: Server) -> None:
    department = new_page("wetzlar-fachamt")
    response = department.goto(server.url("/wetzlar/sitzungsplanung"))
    assert response is not None
    assert response.status == 403
    expect(department.get_by_role("heading", level=1)).to_have_text("Keine Berechtigung")
    expect(department.get_by_role("link", name="Sitzungsplanung")).to_have_count(0)
    assert_accessible(department, "403 page of the meeting planning")
    visitor = new_page()
    visitor.goto(server.url("/wetzlar/sitzungsplanung"))
    expect(visitor).to_have_url(re.compile(r"/anmelden\?weiter=%2Fwetzlar%2Fsitzungsplanung"))
