"""The public portal in a real browser, without a login: each page type checked by axe (WCAG 2.1 AA) and at
320 px; screenshots at 1280 and 320 px go to docs/screenshots/."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import NewPage, Server, assert_accessible, assert_fits, screenshot

#: Each page type of the portal: (address, what it is, the screenshot's name or None).
PAGES = (
    ("/wetzlar/", "public start page", "buergerinfo-start"),
    ("/wetzlar/sitzungen?monat=2013-11", "meeting calendar", "sitzungskalender"),
    ("/wetzlar/sitzungen?gremium=stvv&monat=2013-12", "meeting calendar of one body", None),
    ("/wetzlar/gremien", "bodies and factions", None),
    ("/wetzlar/gremien/stvv", "body page", "gremium-stadtverordnetenversammlung"),
    ("/wetzlar/gremien/magistrat", "body page of a non-public body", None),
    ("/wetzlar/personen/peters", "person page", "person"),
    ("/wetzlar/fraktionen/spd", "faction page", None),
    ("/wetzlar/impressum", "Impressum", None),
    ("/wetzlar/datenschutz", "Datenschutz not set yet", None),
    ("/wetzlar/leichte-sprache", "Leichte Sprache", "leichte-sprache"),
    ("/wetzlar/gebaerdensprache", "Gebärdensprache slot", None),
    (
        "/wetzlar/vorlagen?q=Sporthalle&sortierung=datum-alt",
        "paper search sorted by date",
        "vorlagen-suche-sortiert",
    ),
    ("/wetzlar/benachrichtigungen?abo=suche&q=Stadthalle", "e-mail alert form", None),
    ("/wetzlar/benachrichtigungen/bestaetigen/" + "a" * 43, "e-mail alert confirmation", None),
)


def test_every_portal_page_type_is_accessible_and_fits_320_px(new_page: NewPage, server: Server) -> None:
    wide, narrow = new_page(), new_page(width=320)
    for path, what, name in PAGES:
        for page, width in ((wide, 1280), (narrow, 320)):
            response = page.goto(server.url(path))
            assert response is not None
            assert response.status == 200, (path, response.status)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            assert_accessible(page, f"{what} at {width} px")
            assert_fits(page, f"{what} at {width} px")
            if name:
                screenshot(page, name if width == 1280 else f"{name}-320px")


def test_from_the_start_page_to_a_body_and_its_subscriptions_by_keyboard_and_without_javascript(
    new_page: NewPage, server: Server
) -> None:
    page = new_page(js=False)
    page.goto(server.url("/wetzlar/"))
    page.get_by_role("link", name="Sitzungskalender").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sitzungen im")
    page.get_by_label("Gremium").select_option("stvv")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page).to_have_url(re.compile(r"gremium=stvv"))
    page.goto(server.url("/wetzlar/gremien/stvv"))
    expect(page.get_by_role("link", name="Sitzungstermine abonnieren (iCalendar)")).to_be_visible()
    expect(page.get_by_role("link", name="Ergebnisse abonnieren (Atom-Feed)")).to_be_visible()
    expect(page.get_by_role("link", name="Open Data: diese Angaben maschinenlesbar (OParl)")).to_be_visible()
