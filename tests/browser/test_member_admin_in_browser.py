"""The council member's and the administrator's pages and the department's Word preview in Chromium: axe
(WCAG 2.1 AA) on every page and state (empty, with an error or a notice, after the htmx swap, without
JavaScript), at 1280 and 320 px; screenshots into docs/screenshots/."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from api.web import links
from tests.browser.conftest import NewPage, Server, assert_accessible, assert_fits, screenshot
from workflow.access import Role, add_user
from workflow.db import make_engine, make_session_factory
from workflow.memberships import add_person
from workflow.models import Meeting, Municipality, Paper


def assert_accessible_without_js(new_page: NewPage, page: Page, who: str, what: str) -> None:
    """axe is JavaScript itself: it checks the very page the JavaScript-less browser got, in a second one."""
    checker = new_page(who, width=320)
    checker.goto(page.url)
    checker.set_content(page.content())
    checker.wait_for_load_state("networkidle")
    assert_accessible(checker, what)


def _held_and_draft(server: Server) -> tuple[str, str]:
    engine = make_engine(server.database_url)
    try:
        with make_session_factory(engine)() as s:
            return (
                links.meeting(s, "wetzlar", s.get_one(Meeting, server.ids["held"])),
                links.paper("wetzlar", s.get_one(Paper, server.ids["draft"])),
            )
    finally:
        engine.dispose()


def test_my_meetings_and_the_papers_of_my_bodies(new_page: NewPage, server: Server) -> None:
    held, _ = _held_and_draft(server)
    member = new_page("wetzlar-mitglied-magistrat")  # sits in the Magistrat
    member.get_by_role("link", name="Meine Sitzungen").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Meine Sitzungen")
    expect(member.locator("#vergangene-liste").locator(f'a[href="{held}"]')).to_be_visible()
    expect(member.locator("#kommende-liste")).to_contain_text("Magistrat")
    assert_accessible(member, "my meetings")
    screenshot(member, "meine-sitzungen")
    member.locator(f'a[href="{held}"]').first.click()
    expect(member.get_by_text("Ankauf eines Grundstücks am Lahnufer")).to_be_visible()  # the non-public part

    member.goto(server.url("/wetzlar/meine-vorlagen"))
    expect(member.locator("#vorlagen-titel")).to_contain_text("Vorlagen")
    expect(member.get_by_text("Ankauf eines Grundstücks am Lahnufer")).to_be_visible()
    assert_accessible(member, "papers of my bodies")
    member.get_by_label("Gremium").select_option("magistrat")
    member.get_by_role("button", name="Anzeigen").click()
    expect(member).to_have_url(re.compile(r"/wetzlar/meine-vorlagen\?gremium=magistrat"))
    expect(member.locator("#vorlagen-titel")).to_be_focused()
    expect(member.get_by_text("Ankauf eines Grundstücks am Lahnufer")).to_be_visible()
    assert_accessible(member, "papers of my bodies after the htmx swap")
    screenshot(member, "vorlagen-meiner-gremien")
    member.goto(server.url("/wetzlar/meine-vorlagen?weiter=kaputt"))
    expect(
        member.get_by_role("status").filter(has_text="„kaputt“ ist keine gültige Seitenangabe")
    ).to_have_text("„kaputt“ ist keine gültige Seitenangabe; angezeigt wird die erste Seite.")
    expect(member.get_by_text("Ankauf eines Grundstücks am Lahnufer")).to_be_visible()
    assert_accessible(member, "papers of my bodies after a bad page address")
    member.goto(server.url("/wetzlar/meine-sitzungen?vergangene=abc"))
    expect(member.get_by_role("status").filter(has_text="„abc“")).to_have_text(
        "„abc“ ist keine Seitenzahl; angezeigt wird Seite 1."
    )
    expect(member.locator("#vergangene-liste").locator(f'a[href="{held}"]')).to_be_visible()
    assert_accessible(member, "my meetings after a bad page number")

    narrow = new_page("wetzlar-mitglied-magistrat", width=320, js=False)
    narrow.goto(server.url("/wetzlar/meine-sitzungen"))
    assert_accessible_without_js(
        new_page, narrow, "wetzlar-mitglied-magistrat", "my meetings at 320 px without JS"
    )
    assert_fits(narrow, "my meetings at 320 px")
    screenshot(narrow, "meine-sitzungen-320px")
    narrow.goto(server.url("/wetzlar/meine-vorlagen"))
    narrow.get_by_label("Gremium").select_option("magistrat")
    narrow.get_by_role("button", name="Anzeigen").click()
    expect(narrow).to_have_url(re.compile(r"gremium=magistrat"))
    assert_accessible_without_js(
        new_page, narrow, "wetzlar-mitglied-magistrat", "my papers at 320 px without JS"
    )
    assert_fits(narrow, "papers of my bodies at 320 px")


def test_the_pages_of_a_member_without_bodies(new_page: NewPage, server: Server) -> None:
    engine = make_engine(server.database_url)
    sessions = make_session_factory(engine)
    with sessions() as s:
        town_id = s.query(Municipality.id).filter(Municipality.key == "wetzlar").scalar()
    add_person(
        sessions,
        actor="test",
        municipality_id=town_id,
        key="ohne-gremium",
        given_name="Olga",
        family_name="Ohnegremium",
    )
    add_user(
        sessions,
        municipality="wetzlar",
        username="wetzlar-ohne-gremium",
        password="demo-passwort",
        role=Role.council_member,
        person="ohne-gremium",
    )
    engine.dispose()
    page = new_page("wetzlar-ohne-gremium")
    page.goto(server.url("/wetzlar/meine-sitzungen"))
    expect(page.get_by_text("Keine Sitzungen geplant.")).to_be_visible()
    assert_accessible(page, "my meetings, empty")
    page.goto(server.url("/wetzlar/meine-vorlagen"))
    expect(page.get_by_text("Sie gehören zurzeit keinem Gremium an.")).to_be_visible()
    assert_accessible(page, "papers of my bodies, empty")


def test_users_and_roles(new_page: NewPage, server: Server) -> None:
    admin = new_page("wetzlar-admin")
    admin.get_by_role("link", name="Zugänge").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Zugänge und Rollen")
    assert_accessible(admin, "users")
    screenshot(admin, "verwaltung-zugaenge")
    admin.get_by_role("link", name="Neuen Zugang anlegen").click()
    assert_accessible(admin, "new user, empty")
    admin.get_by_label("Benutzername").fill("wetzlar-schrift-browser")
    admin.get_by_label("Rolle", exact=True).select_option("secretary")
    admin.get_by_role("button", name="Zugang anlegen").click()
    expect(admin.locator("#fehler-gremien")).to_contain_text("mindestens ein Gremium")
    assert_accessible(admin, "new user with an error")
    screenshot(admin, "verwaltung-zugang-fehler")
    admin.get_by_label("Sozial-, Jugend- und Sportausschuss").check()
    admin.get_by_role("button", name="Zugang anlegen").click()
    expect(admin.get_by_role("heading", level=1)).to_contain_text("angelegt")
    password = admin.locator("#passwort").inner_text()
    assert len(password) == 19
    assert_accessible(admin, "the new password, shown once")

    newcomer = new_page()
    newcomer.goto(server.url("/anmelden"))
    newcomer.get_by_label("Benutzername").fill("wetzlar-schrift-browser")
    newcomer.get_by_label("Passwort").fill(password)
    newcomer.get_by_role("button", name="Anmelden").click()
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("Meine Aufgaben")

    no_js = new_page("wetzlar-admin", width=320, js=False)
    no_js.goto(server.url("/wetzlar/verwaltung/zugaenge"))
    assert_accessible_without_js(new_page, no_js, "wetzlar-admin", "users at 320 px without JS")
    assert_fits(no_js, "users at 320 px")
    screenshot(no_js, "verwaltung-zugaenge-320px")
    no_js.get_by_role("button", name="Sperren (wetzlar-schrift-browser)").click()
    expect(no_js.get_by_role("status").first).to_contain_text("ist gesperrt")
    assert_accessible_without_js(new_page, no_js, "wetzlar-admin", "users after deactivating one")
    newcomer.reload()
    expect(newcomer).to_have_url(re.compile(r"/anmelden"))
    no_js.get_by_role("button", name="Entsperren (wetzlar-schrift-browser)").click()
    expect(no_js.get_by_role("status").first).to_contain_text("wieder freigegeben")
    assert_accessible_without_js(new_page, no_js, "wetzlar-admin", "users after reactivating one")


def test_persons_and_memberships(new_page: NewPage, server: Server) -> None:
    admin = new_page("wetzlar-admin")
    admin.get_by_role("link", name="Personen").first.click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Personen und Mitgliedschaften")
    assert_accessible(admin, "persons")
    admin.get_by_role("button", name="Person anlegen").click()
    expect(admin.locator("#fehler-vorname")).to_be_visible()
    assert_accessible(admin, "persons with an error")
    admin.get_by_label("Vorname").fill("Nora")
    admin.get_by_label("Nachname").fill("Nachfolger")
    admin.get_by_label("Schlüssel").fill("nachfolgerin-browser")
    admin.get_by_role("button", name="Person anlegen").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Nora Nachfolger")
    expect(admin.get_by_text("Keine Mitgliedschaften.")).to_be_visible()
    assert_accessible(admin, "a person without memberships")
    admin.get_by_label("Gremium").select_option("sjs")
    admin.get_by_role("button", name="Mitgliedschaft beginnen").click()
    expect(admin.locator("#fehler-neu-ab")).to_be_visible()
    assert_accessible(admin, "a new membership with an error")
    admin.get_by_label("Erster Tag", exact=True).fill("2014-01-01")
    admin.get_by_role("button", name="Mitgliedschaft beginnen").click()
    expect(admin.locator(".membership strong")).to_have_text("Sozial-, Jugend- und Sportausschuss")
    assert_accessible(admin, "a person with a membership")
    screenshot(admin, "verwaltung-person")

    narrow = new_page("wetzlar-admin", width=320, js=False)
    narrow.goto(server.url("/wetzlar/verwaltung/personen/hahn"))
    assert_accessible_without_js(new_page, narrow, "wetzlar-admin", "memberships at 320 px without JS")
    assert_fits(narrow, "a member's memberships at 320 px")
    narrow.get_by_role("button", name="Fraktion wechseln").click()
    expect(narrow.locator("#fehler-fraktion-ab")).to_be_visible()
    assert_accessible_without_js(new_page, narrow, "wetzlar-admin", "faction change with an error, 320 px")
    assert_fits(narrow, "faction change with an error at 320 px")
    screenshot(narrow, "verwaltung-person-fehler-320px")


def test_the_word_preview_of_a_draft(new_page: NewPage, server: Server) -> None:
    _, draft = _held_and_draft(server)
    department = new_page("wetzlar-fachamt")
    department.goto(server.url(draft))
    assert_accessible(department, "the draft's page with its preview link")
    with department.expect_download() as download:
        department.get_by_role("link", name="Vorschau (Word)").click()
    assert download.value.suggested_filename.endswith(".docx")
    assert download.value.suggested_filename.startswith("Vorschau")
