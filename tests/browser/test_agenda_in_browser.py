"""The coordination office's agenda builder and invitation page in a real browser: axe on the empty agenda,
after each htmx swap, with an error and without JavaScript; reordering with the keyboard and by drag and drop;
320 px; the 403 page for a secretary; screenshots to docs/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from api.web import links
from tests.browser.conftest import NewPage, Server, assert_accessible, assert_fits, screenshot
from tests.browser.test_meeting_day_in_browser import tab_to
from tests.browser.world import NOW
from tests.scenario import Scenario
from workflow import meetings
from workflow.db import make_engine, make_session_factory
from workflow.models import Meeting

OFFICE = "wetzlar-koordination"
SUBJECTS = ("Neufassung der Friedhofssatzung", "Erneuerung der Straßenbeleuchtung Büblingshausen")


@pytest.fixture
def meeting_url(server: Server) -> Iterator[str]:
    """A Magistrat meeting in January with two papers waiting for it; cancelled afterwards, so the other
    tests' pages (the office's next meetings) do not show it."""
    engine = make_engine(server.database_url)
    try:
        world = Scenario(make_session_factory(engine))
        for subject in SUBJECTS:
            world.submitted_paper(subject=subject, when="2013-11-28 10:00")
        meeting = world.new_meeting("magistrat", "2014-01-20 09:00")
        with world.sessions() as s:
            url = server.url(links.meeting(s, "wetzlar", s.get_one(Meeting, meeting.id)))
        yield url
        meetings.cancel_meeting(
            world.sessions, actor="Browsertest", meeting_id=meeting.id, reason="Testende", now=NOW
        )
    finally:
        engine.dispose()


def _order(page: Page) -> list[str]:
    texts = page.locator(".agenda-builder__list .agenda-builder__item").all_inner_texts()
    plain = [
        re.sub(r"\s+", " ", t).split(" Nach ")[0].split(" Entfernen")[0].split(" Ändern")[0] for t in texts
    ]
    return [re.sub(r" \(\d+/\d+\)", "", t).strip() for t in plain]


def test_the_office_builds_an_agenda_by_keyboard_and_by_mouse(new_page: NewPage, meeting_url: str) -> None:
    url = meeting_url
    page = new_page(OFFICE)
    page.goto(url + "/tagesordnung")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Magistrat")
    expect(page.get_by_text("Noch keine Tagesordnungspunkte.").first).to_be_visible()
    assert_accessible(page, "agenda builder, empty agenda")

    for subject in SUBJECTS:
        paper = page.locator(".agenda-builder__paper", has_text=subject)
        paper.get_by_role("button", name=re.compile("öffentlich \\(")).first.click()
        expect(page.locator(".saved")).to_contain_text(f"„{subject}“ steht jetzt als TOP")
        assert_accessible(page, "agenda builder after a paper was added")
    expect(page.locator(".saved")).to_be_focused()

    page.get_by_role("button", name="Auf die Tagesordnung", exact=True).click()
    expect(page.locator("#fehler-titel")).to_contain_text("Bitte geben Sie den Titel des TOP ein")
    expect(page.locator(".error-summary")).to_be_focused()
    assert_accessible(page, "agenda builder with an error")
    screenshot(page, "tagesordnung-fehler")
    page.get_by_label("Titel").fill("Mitteilungen")
    page.get_by_role("button", name="Auf die Tagesordnung", exact=True).click()
    expect(page.locator(".saved")).to_contain_text("„Mitteilungen“ steht jetzt als TOP Ö 3")
    assert_accessible(page, "agenda builder after a plain item was added")
    assert _order(page) == [f"Ö 1 {SUBJECTS[0]}", f"Ö 2 {SUBJECTS[1]}", "Ö 3 Mitteilungen"]

    # The keyboard: Tab to "Ändern" of Mitteilungen, Enter: its buttons appear with the focus on "Nach oben";
    # Enter twice; the focus stays on "Nach oben" of the moved TOP.
    expect(page.locator(".agenda-move")).to_have_count(0)
    tab_to(page, ".agenda-builder__item:nth-child(3) .agenda-select")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Nach oben: TOP Ö 3")).to_be_focused()
    assert_accessible(page, "agenda builder with a TOP chosen")
    page.keyboard.press("Enter")
    expect(page.locator(".saved")).to_contain_text("„Mitteilungen“ ist jetzt TOP Ö 2.")
    expect(page.get_by_role("button", name="Nach oben: TOP Ö 2")).to_be_focused()
    assert_accessible(page, "agenda builder after a move")
    page.keyboard.press("Enter")
    expect(page.locator(".saved")).to_contain_text("„Mitteilungen“ ist jetzt TOP Ö 1.")
    assert _order(page) == ["Ö 1 Mitteilungen", f"Ö 2 {SUBJECTS[0]}", f"Ö 3 {SUBJECTS[1]}"]

    # The mouse: drag the last TOP onto the first.
    rows = page.locator(".agenda-builder__list .agenda-builder__item")
    rows.nth(2).drag_to(rows.nth(0))
    expect(page.locator(".saved")).to_contain_text(f"„{SUBJECTS[1]}“ ist jetzt TOP Ö 1.")
    assert _order(page) == [f"Ö 1 {SUBJECTS[1]}", "Ö 2 Mitteilungen", f"Ö 3 {SUBJECTS[0]}"]
    assert_accessible(page, "agenda builder after drag and drop")
    screenshot(page, "tagesordnung")

    small = new_page(OFFICE, width=320)
    small.goto(url + "/tagesordnung")
    assert_fits(small, "agenda builder at 320 px")
    assert_accessible(small, "agenda builder at 320 px")
    screenshot(small, "tagesordnung-320px")

    # Without JavaScript the same buttons are plain forms: the page comes back with the message.
    plain = new_page(OFFICE, js=False)
    plain.goto(url + "/tagesordnung")
    plain.locator(".agenda-builder__item", has_text="Mitteilungen").get_by_role(
        "link", name=re.compile("Ändern")
    ).click()
    plain.locator(".agenda-builder__item", has_text="Mitteilungen").get_by_role(
        "button", name=re.compile("Entfernen")
    ).click()
    expect(plain.locator(".saved")).to_contain_text("Der TOP ist von der Tagesordnung genommen")
    assert "gespeichert=entfernt" in plain.url
    page.goto(plain.url)  # axe needs JavaScript: the page the plain form came back to, in the other browser
    assert_accessible(page, "agenda builder after a plain form")
    assert _order(page) == [f"Ö 1 {SUBJECTS[1]}", f"Ö 2 {SUBJECTS[0]}"]


def test_the_invitation_page_and_the_refusal_for_others(new_page: NewPage, meeting_url: str) -> None:
    url = meeting_url
    page = new_page(OFFICE)
    page.goto(url + "/einladung")
    expect(page.get_by_role("heading", name="Ladungsfrist")).to_be_visible()
    expect(page.locator(".kern-description-list")).to_contain_text(re.compile(r"noch \d+ Tage"))
    expect(
        page.get_by_role("heading", name=re.compile("Entwurf: Einladung zur Sitzung Magistrat"))
    ).to_be_visible()
    assert_accessible(page, "invitation page")
    screenshot(page, "einladung")
    page.get_by_label("Dringlich (verkürzte Ladungsfrist)").check()
    page.get_by_role("button", name="Einladung versenden").click()
    expect(page.locator("#fehler-begruendung")).to_contain_text("Bitte begründen Sie die Dringlichkeit")
    expect(page.locator(".error-summary")).to_be_focused()
    assert_accessible(page, "invitation page with an error")
    small = new_page(OFFICE, width=320)
    small.goto(url + "/einladung")
    assert_fits(small, "invitation page at 320 px")

    secretary = new_page("wetzlar-schrift-magistrat")
    for path in ("/tagesordnung", "/einladung"):
        answer = secretary.goto(url + path)
        assert answer is not None
        assert answer.status == 403
        expect(secretary.get_by_role("heading", level=1)).to_have_text("Keine Berechtigung")
        assert_accessible(secretary, "403 page")
