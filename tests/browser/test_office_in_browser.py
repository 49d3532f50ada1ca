"""The coordination office's pages in a real browser: the submission inbox, the Beratungsfolge editor and the
deadline overview, each checked by axe (WCAG 2.1 AA) when empty, with an error, after each htmx swap and
without JavaScript, and at 320 px; screenshots go to docs/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.browser import world
from tests.browser.conftest import NewPage, Server, assert_accessible, assert_fits, screenshot
from workflow import papers
from workflow.db import make_engine, make_session_factory
from workflow.vocabulary import PaperKind


@dataclass(frozen=True)
class Office:
    ready: int  # a draft the office may submit (no co-signature needed)
    late: int  # a second one, submitted behind the page's back (the error state)
    plan: int  # a fresh draft for the Beratungsfolge editor


@pytest.fixture(scope="module")
def office(server: Server) -> Iterator[Office]:
    """Drafts of the Rechtsamt beside the world's papers (nothing the other browser tests count on)."""
    engine = make_engine(server.database_url)
    sessions = make_session_factory(engine)

    def draft(subject: str, financial_impact: bool = False) -> int:
        return papers.draft_paper(
            sessions,
            actor="Rechtsamt",
            municipality="wetzlar",
            kind=PaperKind.beschlussvorlage,
            department="rechtsamt",
            subject=subject,
            paper_date=world.NOW.date(),
            financial_impact=financial_impact,
            now=world.NOW,
        ).id

    made = Office(
        ready=draft("Satzung über die Benutzung der Stadthalle"),
        late=draft("Änderung der Friedhofssatzung"),
        plan=draft("Neufassung der Gebührensatzung", financial_impact=True),
    )
    yield made
    engine.dispose()


def _accessible_without_js(new_page: NewPage, server: Server, no_js: Page, what: str) -> None:
    """axe is JavaScript itself: it checks the very page the JavaScript-less browser got, in a second one
    (at the same address, so the styles load)."""
    html = no_js.content()
    checker = new_page(
        "wetzlar-koordination", width=no_js.viewport_size["width"] if no_js.viewport_size else 1280
    )
    checker.goto(no_js.url if no_js.url.startswith(server.base) else server.url("/wetzlar/"))
    checker.set_content(html)
    checker.wait_for_load_state("networkidle")
    assert_accessible(checker, what)


def test_the_inbox(new_page: NewPage, server: Server, office: Office) -> None:
    page = new_page("wetzlar-koordination")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Eingang").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eingang: Vorlagen zum Einreichen")
    ready = page.locator("section[aria-labelledby=bereit]")
    expect(ready).to_contain_text("Satzung über die Benutzung der Stadthalle")
    expect(page.locator("section[aria-labelledby=mitzeichnung]")).to_contain_text(
        "Spielplatzentwicklungsplans"
    )
    assert_accessible(page, "inbox")
    screenshot(page, "eingang")

    page.get_by_label("Fachamt").select_option("hauptamt")  # htmx: only the list is swapped
    page.get_by_role("button", name="Filtern").click()
    expect(page).to_have_url(re.compile(r"/wetzlar/eingang\?fachamt=hauptamt&q=$"))
    expect(page.get_by_text("Keine Vorlage wartet auf die Einreichung in diesem Fachamt.")).to_be_visible()
    expect(page.locator("#bereit")).to_be_focused()
    assert_accessible(page, "inbox, empty, after the htmx swap")

    page.get_by_label("Fachamt").select_option("rechtsamt")
    page.get_by_role("button", name="Filtern").click()
    expect(ready).to_contain_text("Änderung der Friedhofssatzung")
    page.get_by_role("button", name="Einreichen „Satzung über die Benutzung der Stadthalle“").click()
    notice = page.locator("#eingang").get_by_role("status").filter(has_text="Eingereicht:")
    expect(notice).to_be_visible()
    expect(notice).to_be_focused()
    expect(ready).not_to_contain_text("Satzung über die Benutzung der Stadthalle")
    assert_accessible(page, "inbox after submitting with htmx")
    screenshot(page, "eingang-eingereicht")

    no_js = new_page("wetzlar-koordination", js=False, width=320)
    no_js.goto(server.url("/wetzlar/eingang?fachamt=rechtsamt"))
    assert_fits(no_js, "inbox at 320 px")
    engine = make_engine(server.database_url)
    try:  # someone else submits it first: the button of the loaded page now meets a refusal
        papers.submit_paper(make_session_factory(engine), actor="Andere", paper_id=office.late, now=world.NOW)
    finally:
        engine.dispose()
    no_js.get_by_role("button", name="Einreichen „Änderung der Friedhofssatzung“").click()
    expect(no_js.get_by_role("alert")).to_contain_text("Nicht eingereicht")
    _accessible_without_js(new_page, server, no_js, "inbox with an error, without JavaScript, at 320 px")
    assert_fits(no_js, "inbox with an error at 320 px")
    screenshot(no_js, "eingang-fehler-320px")


def test_the_beratungsfolge_editor(new_page: NewPage, server: Server, office: Office) -> None:
    url = server.url(f"/wetzlar/vorlagen/entwurf-{office.plan}/beratungsfolge")
    page = new_page("wetzlar-koordination")
    page.goto(server.url(f"/wetzlar/vorlagen/entwurf-{office.plan}"))
    page.get_by_role("link", name="Beratungsfolge planen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Beratungsfolge")
    expect(page.get_by_label("Gremium 1 in Stufe 1", exact=True)).to_have_value(
        "magistrat"
    )  # the profile's default
    expect(page.get_by_label("Rolle von Gremium 1 in Stufe 3")).to_have_value("decision")
    assert_accessible(page, "Beratungsfolge editor with the profile's default")
    screenshot(page, "beratungsfolge")

    page.get_by_role("button", name="Paralleles Gremium hinzufügen (Stufe 2)").click()
    expect(page.get_by_label("Gremium 2 in Stufe 2", exact=True)).to_be_visible()
    expect(page.locator("#stufe-2")).to_be_focused()
    assert_accessible(page, "editor after adding a parallel step (htmx)")
    page.get_by_label("Gremium 2 in Stufe 2", exact=True).select_option("sjs")
    page.get_by_role("button", name="Nach oben (Stufe 2)").click()
    expect(page.get_by_label("Gremium 2 in Stufe 1", exact=True)).to_have_value("sjs")
    expect(page.locator("#beratungsfolge").get_by_role("status")).to_have_text("Stufe 2 ist jetzt Stufe 1.")
    assert_accessible(page, "editor after moving a stage up (htmx)")

    page.get_by_label("Rolle von Gremium 1 in Stufe 1").select_option("decision")
    page.get_by_role("button", name="Speichern").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Die Beratungsfolge wurde nicht gespeichert")
    expect(page.locator("#fehler-stufe-3")).to_contain_text("genau ein Gremium")
    expect(alert).to_be_focused()
    assert_accessible(page, "editor with a rule error next to its stage (htmx)")
    screenshot(page, "beratungsfolge-fehler")

    page.get_by_label("Rolle von Gremium 1 in Stufe 1").select_option("preliminary")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("heading", name="Die Beratungsfolge ist gespeichert.")).to_be_visible()
    assert_accessible(page, "editor after saving (htmx)")

    no_js = new_page("wetzlar-koordination", js=False, width=320)
    no_js.goto(url)
    expect(no_js.get_by_label("Gremium 2 in Stufe 1", exact=True)).to_have_value("sjs")  # the saved plan
    no_js.get_by_role("button", name="Stufe entfernen (Stufe 1)").click()
    expect(no_js.get_by_text("Stufe 1 entfernt.")).to_be_visible()
    no_js.get_by_role("button", name="Stufe hinzufügen").click()
    no_js.get_by_role("button", name="Speichern").click()
    expect(no_js.get_by_role("alert")).to_contain_text("Bitte wählen Sie das Gremium")
    _accessible_without_js(
        new_page, server, no_js, "editor with an input error, without JavaScript, at 320 px"
    )
    assert_fits(no_js, "editor at 320 px")
    screenshot(no_js, "beratungsfolge-320px")

    seed = new_page("wetzlar-koordination")
    seed.goto(server.url("/wetzlar/vorlagen/1562-13/beratungsfolge"))
    expect(seed.get_by_role("heading", name="Nur noch zur Ansicht")).to_be_visible()
    expect(seed.locator("select")).to_have_count(0)
    assert_accessible(seed, "read-only Beratungsfolge of a paper in deliberation")
    screenshot(seed, "beratungsfolge-nur-ansicht")


def test_the_deadline_overview(new_page: NewPage, server: Server) -> None:
    page = new_page("wetzlar-koordination")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Fristen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fristen der nächsten Wochen")
    expect(page.locator(".deadline-list")).to_contain_text("Magistrat")
    assert_accessible(page, "deadline overview")
    screenshot(page, "fristen")

    page.get_by_label("Gremium").select_option("stvv")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page).to_have_url(re.compile(r"/wetzlar/fristen\?gremium=stvv&wochen=6$"))
    expect(
        page.get_by_text("In diesem Zeitraum ist keine Sitzung geplant für dieses Gremium.")
    ).to_be_visible()
    assert_accessible(page, "deadline overview, empty, after the htmx swap")

    page.get_by_label("Wochen voraus").fill("0")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.locator("#fehler-wochen")).to_be_visible()
    expect(page.get_by_role("alert")).to_be_focused()
    assert_accessible(page, "deadline overview with an error (htmx)")

    no_js = new_page("wetzlar-koordination", js=False, width=320)
    no_js.goto(server.url("/wetzlar/fristen"))
    no_js.get_by_label("Gremium").select_option("magistrat")
    no_js.get_by_role("button", name="Anzeigen").click()
    expect(no_js).to_have_url(re.compile(r"gremium=magistrat"))
    expect(no_js.locator(".deadline-list")).to_contain_text("Magistrat")
    _accessible_without_js(new_page, server, no_js, "deadline overview without JavaScript at 320 px")
    assert_fits(no_js, "deadline overview at 320 px")
    screenshot(no_js, "fristen-320px")
