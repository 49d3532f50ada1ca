"""The pages in a real browser: every page type and state checked by axe (WCAG 2.1 AA), at 1280 and 320 px,
with JavaScript and without, after htmx swaps; screenshots of the main screens go to docs/screenshots/."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from api.web import links
from tests.browser.conftest import NewPage, Server, assert_accessible, assert_fits, screenshot
from workflow.db import make_engine, make_session_factory
from workflow.models import Meeting, Paper


def _paths(server: Server) -> dict[str, str]:
    engine = make_engine(server.database_url)
    try:
        with make_session_factory(engine)() as s:
            return {
                "seed": links.paper("wetzlar", s.get_one(Paper, server.ids["seed"])),
                "draft": links.paper("wetzlar", s.get_one(Paper, server.ids["draft"])),
                "held": links.meeting(s, "wetzlar", s.get_one(Meeting, server.ids["held"])),
                "soon": links.meeting(s, "wetzlar", s.get_one(Meeting, server.ids["soon"])),
            }
    finally:
        engine.dispose()


def test_login_page_empty_with_errors_and_without_javascript(new_page: NewPage, server: Server) -> None:
    page = new_page()
    page.goto(server.url("/anmelden"))
    assert_accessible(page, "login page")
    screenshot(page, "anmelden")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("alert")).to_contain_text("Bitte geben Sie Ihren Benutzernamen ein.")
    assert page.get_by_label("Benutzername").get_attribute("aria-invalid") == "true"
    assert_accessible(page, "login page with errors")
    screenshot(page, "anmelden-fehler")

    no_js = new_page(js=False)
    no_js.goto(server.url("/anmelden"))
    no_js.get_by_label("Benutzername").fill("wetzlar-fachamt")
    no_js.get_by_label("Passwort").fill("demo-passwort")
    no_js.get_by_role("button", name="Anmelden").click()
    expect(no_js.get_by_role("heading", level=1)).to_have_text("Meine Aufgaben")


def test_start_page_of_each_role(new_page: NewPage, server: Server) -> None:
    paths = _paths(server)
    office = new_page("wetzlar-koordination")
    expect(office.get_by_role("heading", level=1)).to_have_text("Meine Aufgaben")
    expect(office.get_by_role("heading", name=re.compile("Ladungsfrist läuft ab"))).to_be_visible()
    expect(office.locator(f'a[href="{paths["held"]}"]').first).to_be_visible()
    assert_accessible(office, "start page of the coordination office")
    screenshot(office, "meine-aufgaben-koordination")

    department = new_page("wetzlar-fachamt")
    expect(department.get_by_role("link", name=re.compile("Spielplatzentwicklungsplans"))).to_be_visible()
    assert_accessible(department, "start page of a department")
    screenshot(department, "meine-aufgaben-fachamt")

    secretary = new_page("wetzlar-schrift-magistrat", width=320)
    expect(secretary.locator(f'a[href="{paths["held"]}"]').first).to_be_visible()
    assert_accessible(secretary, "start page of a secretary at 320 px")
    assert_fits(secretary, "start page at 320 px")
    screenshot(secretary, "meine-aufgaben-schriftfuehrung-320px")


def test_paper_page_of_the_wetzlar_vorlage(new_page: NewPage, server: Server) -> None:
    paths = _paths(server)
    assert paths["seed"] == "/wetzlar/vorlagen/1562-13"
    public = new_page()
    public.goto(server.url(paths["seed"]))
    expect(public.get_by_role("heading", level=1)).to_contain_text("Integriertes Handlungskonzept")
    timeline = public.locator("ol.timeline > li")
    expect(timeline).to_have_count(5)
    expect(public.locator("ol.timeline")).to_contain_text("Stadtverordnetenversammlung")
    expect(public.locator("ol.timeline")).to_contain_text("38 Ja / 10 Nein / 7 Enthaltungen")
    # The Magistrat met in private: the public learns that, but neither its agenda nor its outcome.
    expect(timeline.first).to_contain_text("In nichtöffentlicher Sitzung beraten.")
    expect(timeline.first).not_to_contain_text("Zustimmung empfohlen")
    assert_accessible(public, "paper page, public")

    office = new_page("wetzlar-koordination")
    office.goto(server.url(paths["seed"]))
    expect(office.get_by_role("heading", name="Verlauf")).to_be_visible()
    assert_accessible(office, "paper page with history")
    screenshot(office, "vorlage-1562-13")

    narrow = new_page(width=320)
    narrow.goto(server.url(paths["seed"]))
    assert_accessible(narrow, "paper page at 320 px")
    assert_fits(narrow, "paper page at 320 px")
    screenshot(narrow, "vorlage-1562-13-320px")


def test_meeting_page_public_and_non_public(new_page: NewPage, server: Server) -> None:
    paths = _paths(server)
    public = new_page()
    public.goto(server.url(paths["held"]))
    expect(public.get_by_role("heading", level=1)).to_be_visible()
    expect(public.get_by_text("Ankauf eines Grundstücks")).to_have_count(0)
    assert_accessible(public, "meeting page, public")

    member = new_page("wetzlar-mitglied-magistrat")
    member.goto(server.url(paths["held"]))
    expect(member.get_by_text("Ankauf eines Grundstücks am Lahnufer")).to_be_visible()
    assert_accessible(member, "meeting page with its non-public part")
    assert_fits(member, "meeting page at 1280 px")
    screenshot(member, "sitzung-magistrat")

    seed_meeting = member.get_by_role("link", name=re.compile("N 2|Ö 2")).first
    assert seed_meeting.count() in (0, 1)


def test_search_with_htmx_and_without_javascript(new_page: NewPage, server: Server) -> None:
    page = new_page("wetzlar-koordination")
    page.goto(server.url("/wetzlar/vorlagen"))
    assert_accessible(page, "search page")
    page.get_by_label("Suchbegriff").fill("Sporthalle")
    page.get_by_role("button", name="Suchen").click()
    expect(page.locator("#treffer")).to_contain_text("Sanierung der Sporthalle Dalheim")
    expect(page).to_have_url(re.compile(r"/wetzlar/vorlagen\?.*q=Sporthalle"))
    expect(page.locator("#treffer-titel")).to_be_focused()
    expect(page.locator("#ansage")).to_contain_text("Treffer")
    assert_accessible(page, "search after the htmx swap")
    screenshot(page, "vorlagen-suche")
    page.get_by_label("Sortierung").select_option(label="Datum, älteste zuerst")
    page.get_by_role("button", name="Suchen").click()
    expect(page).to_have_url(re.compile(r"/wetzlar/vorlagen\?.*sortierung=datum-alt"))
    expect(page.locator("#treffer")).to_contain_text("Sanierung der Sporthalle Dalheim")
    expect(page.get_by_label("Sortierung")).to_have_value("datum-alt")
    page.get_by_label("Sortierung").select_option(value="")

    page.get_by_label("Datum von").fill("2013-12-31")
    page.get_by_label("Datum bis").fill("2013-01-01")
    page.get_by_role("button", name="Suchen").click()
    expect(page.locator("#fehler-bis")).to_be_visible()
    assert_accessible(page, "search with an error")

    no_js = new_page(js=False)
    no_js.goto(server.url("/wetzlar/vorlagen?q=Handlungskonzept"))
    expect(no_js.locator("#treffer")).to_contain_text("1562/13")
    no_js.get_by_label("Suchbegriff").fill("Sporthalle")
    no_js.get_by_role("button", name="Suchen").click()
    expect(no_js.locator("#treffer")).to_contain_text("Sporthalle")
    expect(no_js.locator("#treffer")).not_to_contain_text("1562/13")
    # axe is JavaScript itself: it checks the very page the JavaScript-less browser got, in a second tab.
    checker = new_page()
    checker.goto(no_js.url)
    checker.wait_for_load_state("networkidle")
    assert_accessible(checker, "search result as served without JavaScript")


def test_error_pages(new_page: NewPage, server: Server) -> None:
    page = new_page()
    response = page.goto(server.url("/wetzlar/vorlagen/9999-99"))
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Nicht gefunden")
    assert_accessible(page, "404 page")
    draft = _paths(server)["draft"]
    page.goto(server.url(draft))
    expect(page.get_by_role("heading", level=1)).to_have_text("Nicht gefunden")  # a draft is not public


def test_accessibility_statement(new_page: NewPage, server: Server) -> None:
    page = new_page()
    page.goto(server.url("/wetzlar/vorlagen/1562-13"))
    page.get_by_role("link", name="Erklärung zur Barrierefreiheit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erklärung zur Barrierefreiheit")
    expect(page.get_by_role("heading", name="Nicht barrierefreie Inhalte")).to_be_visible()
    assert_accessible(page, "accessibility statement")
    assert_fits(page, "accessibility statement")


def test_a_department_drafts_a_paper_without_javascript(new_page: NewPage, server: Server) -> None:
    page = new_page("wetzlar-fachamt", js=False)
    page.goto(server.url("/wetzlar/vorlagen/neu"))
    page.get_by_label("Datum der Vorlage").fill("")
    page.get_by_role("button", name="Entwurf anlegen").click()
    expect(page.locator(".error-summary")).to_contain_text("Bitte geben Sie einen Betreff ein.")
    assert page.get_by_label("Betreff").get_attribute("aria-describedby") == "fehler-betreff"
    page.get_by_label("Betreff").fill("Neubau der Kindertagesstätte am Stoppelberg")
    page.get_by_label("Datum der Vorlage").fill("2013-12-02")
    page.get_by_label("Beschlussvorschlag").fill("Die Stadtverordnetenversammlung beschließt den Neubau.")
    page.get_by_label("Kämmerei / Finanzverwaltung").check()
    page.get_by_role("button", name="Entwurf anlegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Neubau der Kindertagesstätte am Stoppelberg")
    expect(page.get_by_role("button", name="Zur Mitzeichnung geben")).to_be_visible()

    checker = new_page("wetzlar-fachamt")  # axe needs JavaScript: the same pages in a second browser
    checker.goto(server.url("/wetzlar/vorlagen/neu"))
    assert_accessible(checker, "new paper form")
    screenshot(checker, "vorlage-anlegen")
    checker.get_by_label("Datum der Vorlage").fill("")
    checker.get_by_role("button", name="Entwurf anlegen").click()
    expect(checker.locator(".error-summary")).to_be_visible()
    assert_accessible(checker, "new paper form with errors")
    screenshot(checker, "vorlage-anlegen-fehler")
    checker.goto(page.url)
    assert_accessible(checker, "the new draft with its buttons")


def test_the_invitation_form_shows_the_deadline_and_explains_a_refusal(
    new_page: NewPage, server: Server
) -> None:
    page = new_page("wetzlar-koordination")
    page.goto(server.url(_paths(server)["soon"] + "/einladung"))
    expect(page.get_by_role("heading", name="Einladung versenden")).to_be_visible()
    expect(page.locator(".invitation")).to_contain_text("Die Einladung muss bis Mittwoch, 04.12.2013")
    assert_accessible(page, "the invitation page with its form")
    page.get_by_label("Dringlich (verkürzte Ladungsfrist)").check()
    page.get_by_role("button", name="Einladung versenden").click()
    expect(page.locator("#fehler-begruendung")).to_contain_text("Bitte begründen Sie die Dringlichkeit")
    expect(page.locator(".error-summary")).to_be_focused()
    assert_accessible(page, "invitation form with an error")
    screenshot(page, "sitzung-einladung-fehler")
