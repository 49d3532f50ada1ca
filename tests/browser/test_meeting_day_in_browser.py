"""The secretary's meeting day in a real browser: walked with the keyboard only (Tab, Space, Enter, the arrow
keys inside a radio group), axe after every htmx swap and on every state, at 1280 and 320 px, without JavaScript
too; screenshots to docs/screenshots/."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import select

from api.web import links
from tests.browser.conftest import NewPage, Server, assert_accessible, assert_fits, screenshot
from workflow.db import make_engine, make_session_factory
from workflow.models import ItemResult, Meeting, Person

SECRETARY = "wetzlar-schrift-sjs"


def _facts(server: Server) -> dict[str, Any]:
    engine = make_engine(server.database_url)
    try:
        with make_session_factory(engine)() as s:
            meeting = s.get_one(Meeting, server.ids["today"])
            people = dict(
                s.execute(
                    select(Person.key, Person.id).where(
                        Person.municipality_id == meeting.municipality_id,
                        Person.key.in_(["heuser", "zimmermann"]),
                    )
                ).all()
            )
            return {
                "url": links.meeting(s, "wetzlar", meeting) + "/sitzungsdienst",
                "items": [i.id for i in meeting.agenda_items],
                **people,
            }
    finally:
        engine.dispose()


def _results(server: Server, item_id: int) -> list[tuple[str, int, int, int]]:
    engine = make_engine(server.database_url)
    try:
        with make_session_factory(engine)() as s:
            rows = s.scalars(select(ItemResult).where(ItemResult.agenda_item_id == item_id)).all()
            return [(r.outcome, r.votes[0].yes, r.votes[0].no, r.votes[0].abstain) for r in rows]
    finally:
        engine.dispose()


def tab_to(page: Page, selector: str, *, limit: int = 120) -> None:
    """Press Tab until the element ``selector`` has the focus (as a keyboard user would)."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with Tab")


def test_a_meeting_day_with_the_keyboard_only(new_page: NewPage, server: Server) -> None:
    facts = _facts(server)
    first, second = facts["items"]
    page = new_page(SECRETARY)
    page.goto(server.url(facts["url"]))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Sozial"))
    assert_accessible(page, "meeting day, nothing recorded")

    # Heuser is excused, Zimmermann stands in for him: arrow keys inside each person's radio group
    tab_to(page, f"#person-{facts['heuser']}-anwesend")
    page.keyboard.press("ArrowRight")
    tab_to(page, f"#person-{facts['zimmermann']}-abwesend")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    tab_to(page, ".attendance-form button")
    page.keyboard.press("Enter")
    expect(page.locator(".saved")).to_contain_text("Die Anwesenheit ist gespeichert: 13 anwesend.")
    expect(page.locator(".saved")).to_be_focused()
    expect(page.locator(f"#person-{facts['zimmermann']}-anwesend")).to_be_checked()
    assert_accessible(page, "meeting day after the attendance swap")

    tab_to(page, ".quorum__form button")
    page.keyboard.press("Enter")
    expect(page.locator(".quorum")).to_contain_text("Zu Beginn um 09:00 Uhr festgestellt (13 anwesend)")
    assert_accessible(page, "meeting day after the quorum swap")

    # TOP 1: the outcome with Space, the counts typed; the sum is checked as it is typed
    tab_to(page, "#feld-ergebnis")
    page.keyboard.press("Space")
    tab_to(page, "#feld-stimmen")
    page.keyboard.type("20")
    expect(page.locator("#stimmen-live")).to_have_text(
        "Mehr Stimmen (20) als anwesende Stimmberechtigte (13)."
    )
    assert_accessible(page, "meeting day with the live sum check")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.type("9")
    page.keyboard.press("Tab")
    page.keyboard.type("2")
    page.keyboard.press("Tab")
    page.keyboard.type("1")
    expect(page.locator("#stimmen-live")).to_be_hidden()
    expect(page.locator("#stimmen-summe")).to_have_text("12 von 13 Stimmberechtigten erfasst.")
    screenshot(page, "sitzungsdienst")
    # a row for an earlier vote (an amendment) is added without recording anything; what was typed stays
    tab_to(page, ".earlier-votes summary")
    page.keyboard.press("Enter")
    tab_to(page, ".earlier-votes button[value=weitere]")
    page.keyboard.press("Enter")
    expect(page.locator("#feld-weitere")).to_be_visible()
    expect(page.locator("#feld-stimmen")).to_have_value("9")
    assert _results(server, first) == []
    assert_accessible(page, "meeting day with a row for an earlier vote")
    tab_to(page, ".top-form .form-actions button", limit=300)
    page.keyboard.press("Enter")
    expect(page.locator(".saved")).to_contain_text(re.compile(r"Das Ergebnis von TOP \S+ 1 ist gespeichert"))
    expect(page.locator("#top-titel")).to_contain_text("Jugendtreff")  # the next TOP in one step
    assert _results(server, first) == [("recommended", 9, 2, 1)]
    assert_accessible(page, "meeting day after recording a TOP")

    # TOP 2: too many votes sent anyway; the server's refusal stands next to the counts
    tab_to(page, "#feld-ergebnis")
    page.keyboard.press("Space")
    tab_to(page, "#feld-stimmen")
    page.keyboard.type("30")
    tab_to(page, ".top-form .form-actions button")
    page.keyboard.press("Enter")
    expect(page.locator("#fehler-stimmen")).to_contain_text("13 anwesende Stimmberechtigte")
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator("#feld-stimmen")).to_have_value("30")  # nothing typed is lost
    assert_accessible(page, "meeting day with the server's error")
    screenshot(page, "sitzungsdienst-fehler")
    tab_to(page, "#feld-einstimmig")
    page.keyboard.press("Space")
    expect(page.locator("#feld-stimmen")).to_have_value("13")
    page.context.set_offline(True)  # the connection drops as the secretary sends the form
    tab_to(page, ".top-form .form-actions button")
    page.keyboard.press("Enter")
    expect(page.locator(".connection")).to_contain_text("Keine Verbindung zum Server")
    expect(page.locator("#feld-stimmen")).to_have_value("13")  # what was typed is still there
    assert _results(server, second) == []
    assert_accessible(page, "meeting day after a lost connection")
    page.context.set_offline(False)
    tab_to(page, ".top-form .form-actions button", limit=200)
    page.keyboard.press("Enter")
    expect(page.locator(".meeting-day")).to_contain_text(
        "Alle TOPs, für die Sie Ergebnisse erfassen, sind erfasst."
    )
    assert _results(server, second) == [("recommended", 13, 0, 0)]
    assert_accessible(page, "meeting day with every TOP recorded")
    screenshot(page, "sitzungsdienst-erfasst")


def test_the_meeting_day_without_javascript_at_320_px(new_page: NewPage, server: Server) -> None:
    facts = _facts(server)
    url = server.url(f"{facts['url']}?top={facts['items'][1]}")
    page = new_page(SECRETARY, width=320, js=False)
    page.goto(url)
    assert_fits(page, "meeting day at 320 px")
    screenshot(page, "sitzungsdienst-320px")
    served = page.content()
    page.locator("#feld-stimmen").fill("x")
    page.locator(".top-form .form-actions button").click()
    expect(page.locator("#fehler-stimmen")).to_have_text("„Ja“: Bitte eine ganze Zahl ab 0 eingeben.")
    expect(page.locator("#feld-stimmen")).to_have_value("x")  # nothing typed is lost
    assert_fits(page, "meeting day with an error at 320 px")
    screenshot(page, "sitzungsdienst-fehler-320px")
    refused = page.content()

    # axe is JavaScript itself: it checks the very pages the JavaScript-less browser got, in a second one
    checker = new_page(SECRETARY, width=320)
    checker.goto(url)
    for html, what in ((served, "meeting day without JavaScript"), (refused, "its error without JavaScript")):
        checker.set_content(html)
        checker.wait_for_load_state("networkidle")
        assert_accessible(checker, what + " at 320 px")
