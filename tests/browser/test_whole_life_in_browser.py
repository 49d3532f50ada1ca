"""A Wetzlar Beschlussvorlage's whole life clicked through in a real browser, every step by the role that does
it, logged in: the department drafts it, the Kämmerei co-signs, the coordination office submits it, plans its
Beratungsfolge (Magistrat → SJS and KFP in parallel → the finance committee FWA → StVV), plans the meetings
(the two committees jointly), puts the paper on the agendas and invites; on each meeting day the body's
secretary records the result; at the end the public paper page shows all five steps deliberated ("behandelt";
the Magistrat's result, private, only to staff) and the paper "beschlossen". The key flows again with
JavaScript off: a second paper drafted, submitted, its Beratungsfolge saved and its Magistrat result recorded.

The test has its own database (a fresh copy of the template, no shared world) and its own server, whose clock
the test moves on from the drafting Monday to each meeting day, as the weeks pass in real life.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from gremienlauf.demo_users import DEMO_PASSWORD, secretary_username
from tests.browser.conftest import Server, _serve, assert_accessible
from tests.browser.world import NOW
from tests.conftest import _postgres_copy
from tests.scenario import berlin
from workflow.access import Role, add_user
from workflow.db import make_engine, make_session_factory

DEPARTMENT = "wetzlar-fachamt"  # the Koordinationsbüro für Sozialplanung (kbs)
COSIGNER = "wetzlar-kaemmerei"  # a login of the Kämmerei, made for this test
OFFICE = "wetzlar-koordination"
SUBJECT = "Zuschuss Jugendtreff Hermannstein – Durchlauf"
PLAIN_SUBJECT = "Benennung eines Platzes in Naunheim – ohne JavaScript"
SJS = "Sozial-, Jugend- und Sportausschuss"
KFP = "Kultur-, Freizeit- und Partnerschaftsausschuss"


@dataclass
class Town:
    """The test's own server and the clock it reads."""

    server: Server
    clock: Path
    browser: Browser
    contexts: list[BrowserContext] = field(default_factory=list)

    def set_clock(self, moment: dt.datetime) -> None:
        self.clock.write_text(moment.isoformat())

    def page(self, login: str | None = None, *, js: bool = True) -> Page:
        """A fresh browser (context), logged in as ``login`` through the login page."""
        context = self.browser.new_context(
            viewport={"width": 1280, "height": 900}, java_script_enabled=js, locale="de-DE"
        )
        self.contexts.append(context)
        page = context.new_page()
        if login is not None:
            page.goto(self.server.url("/anmelden"))
            page.get_by_label("Benutzername").fill(login)
            page.get_by_label("Passwort").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Anmelden").click()
            page.wait_for_url(lambda url: "/anmelden" not in url)
        return page


@pytest.fixture(scope="module")
def town(
    request: pytest.FixtureRequest, server: Server, browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Town]:
    """On the database kind of ``server`` (SQLite or PostgreSQL): a fresh copy of the template with the demo
    logins and a Kämmerei login, served by its own uvicorn whose clock starts at the world's Monday."""
    clock = tmp_path_factory.mktemp("clock") / "now.txt"
    clock.write_text(NOW.isoformat())
    with contextlib.ExitStack() as stack:
        if server.database_url.startswith("sqlite"):
            path = tmp_path_factory.mktemp("whole-life") / "life.sqlite3"
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
            url = f"sqlite:///{path}"
        else:
            copy = contextlib.contextmanager(_postgres_copy)(request.getfixturevalue("postgres_template"))
            url = stack.enter_context(copy).url
        engine = make_engine(url)
        add_user(
            make_session_factory(engine),
            municipality="wetzlar",
            username=COSIGNER,
            password=DEMO_PASSWORD,
            role=Role.department,
            department="kaemmerei",
            actor="Browsertest",
            now=NOW,
        )
        engine.dispose()
        own = stack.enter_context(contextlib.contextmanager(_serve)(url, clock))
        made = Town(own, clock, browser)
        yield made
        for context in made.contexts:
            context.close()


def _draft(page: Page, town: Town, subject: str, *, financial: bool, cosigner: str | None) -> None:
    """The department fills in the new paper as the seed paper was drafted: every field of the form."""
    page.goto(town.server.url("/wetzlar/vorlagen/neu"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Neue Vorlage anlegen")
    page.get_by_label("Art").select_option(label="Beschlussvorlage")
    page.get_by_label("Betreff").fill(subject)
    page.get_by_label("Datum der Vorlage").fill("2013-12-02")
    page.get_by_label("Aktenzeichen").fill("I/351")
    page.get_by_label("Beschlussvorschlag").fill(
        "Die Stadtverordnetenversammlung bewilligt dem Jugendtreff Hermannstein für 2014 einen Zuschuss "
        "von 12.000 Euro."
    )
    page.get_by_label("Begründung").fill(
        "Der Jugendtreff ist der einzige offene Treff für Jugendliche im Stadtteil. Der Zuschuss deckt die "
        "Miete und eine halbe Stelle der Betreuung."
    )
    if financial:
        page.get_by_label("Die Vorlage hat finanzielle Auswirkungen").check()
    page.get_by_label("Öffentlich (sonst nur im nichtöffentlichen Teil)").check()
    page.get_by_label("Ort der Unterzeichnung").fill("Wetzlar")
    page.get_by_label("Anlagen").fill("Kostenaufstellung\nKonzept des Trägers")
    if cosigner is not None:
        page.get_by_label(cosigner).check()
    page.get_by_role("button", name="Entwurf anlegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(subject)
    expect(page).to_have_url(re.compile(r"/wetzlar/vorlagen/entwurf-\d+$"))


def _plan(page: Page, town: Town, bodies: list[str], day: str, start: str) -> str:
    """The office creates a meeting on the planning page; returns its address."""
    page.goto(town.server.url("/wetzlar/sitzungsplanung"))
    for body in bodies:
        page.get_by_role("checkbox", name=body, exact=True).check()
    page.get_by_label("Datum", exact=True).fill(day)
    page.get_by_label("Beginn").fill(start)
    page.locator("#feld-ort").fill("Neues Rathaus, Sitzungssaal")
    page.get_by_role("button", name="Sitzung anlegen").click()
    expect(page).to_have_url(re.compile(rf"/wetzlar/sitzungen/{day}-[a-z+-]+$"))
    return page.url


def _record(
    town: Town,
    body: str,
    url: str,
    start: dt.datetime,
    outcome: str,
    *,
    name: str | None = None,
    subject: str = SUBJECT,
    opening: bool = True,
    attendance: bool = True,
    js: bool = True,
) -> Page:
    """On the meeting day, half an hour after the start, the body's secretary records the attendance (everyone
    came; ``attendance``), establishes the quorum (``opening``) and records the paper's result: all voting
    members present, three against or abstaining (``name``: the body's name on a joint meeting's buttons)."""
    town.set_clock(start + dt.timedelta(minutes=30))
    page = town.page(secretary_username("wetzlar", body), js=js)
    page.goto(url + "/sitzungsdienst")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    if attendance:
        page.get_by_role("button", name="Anwesenheit speichern").click()
        expect(page.locator(".saved")).to_contain_text("Die Anwesenheit ist gespeichert")
    label = "Beschlussfähigkeit feststellen" + (f" ({name})" if name else "")
    quorum = page.get_by_role("button", name=label, exact=True)
    if opening:
        quorum.click()
        expect(page.locator(".saved")).to_contain_text(
            "Die Feststellung zur Beschlussfähigkeit ist gespeichert"
        )
    expect(quorum).to_have_count(0)
    expect(page.locator("#top-titel")).to_contain_text(subject)
    page.get_by_label(outcome, exact=True).check()
    voters = int(page.locator("#stimmen-summe").get_attribute("data-voters") or 0)
    page.locator("#feld-stimmen").fill(str(voters - 3))
    page.locator("#feld-nein").fill("2")
    page.locator("#feld-enthaltung").fill("1")
    page.locator(".top-form .form-actions button").first.click()
    expect(page.locator(".saved")).to_contain_text(
        re.compile(r"Das Ergebnis von TOP \S+ \d+ ist gespeichert")
    )
    return page


def test_the_paper_s_whole_life_clicked_through(town: Town) -> None:
    # Monday, 2 December 2013: the department drafts the paper and asks the Kämmerei to co-sign
    department = town.page(DEPARTMENT)
    _draft(department, town, SUBJECT, financial=True, cosigner="Kämmerei / Finanzverwaltung")
    draft_url = department.url
    assert_accessible(department, "the new draft")
    department.get_by_role("button", name="Zur Mitzeichnung geben").click()
    expect(department.locator("main")).to_contain_text("Kämmerei / Finanzverwaltung: steht aus")

    cosigner = town.page(COSIGNER)
    cosigner.goto(draft_url)
    cosigner.get_by_role("button", name="Mitzeichnen für Kämmerei / Finanzverwaltung").click()
    expect(cosigner.locator("main")).to_contain_text(
        "Kämmerei / Finanzverwaltung: mitgezeichnet am 02.12.2013"
    )

    # the coordination office submits it from its inbox and plans the Beratungsfolge from the profile's default
    office = town.page(OFFICE)
    office.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Eingang").click()
    office.get_by_role("button", name=f"Einreichen „{SUBJECT}“").click()
    notice = office.locator("#eingang").get_by_role("status").filter(has_text="Eingereicht:")
    expect(notice).to_be_focused()
    assert_accessible(office, "the inbox after the submission")
    paper_path = notice.get_by_role("link").first.get_attribute("href")
    assert paper_path is not None
    notice.get_by_role("link", name="Beratungsfolge planen").click()
    expect(office.get_by_role("heading", level=1)).to_have_text("Beratungsfolge")
    expect(office.get_by_label("Gremium 1 in Stufe 1", exact=True)).to_have_value("magistrat")
    expect(office.get_by_label("Gremium 1 in Stufe 2", exact=True)).to_have_value("fwa")  # financial impact
    expect(office.get_by_label("Gremium 1 in Stufe 3", exact=True)).to_have_value("stvv")
    # the committees the paper concerns: a new stage (it comes before the decision), with the two committees in
    # parallel, moved before the finance committee
    office.get_by_role("button", name="Stufe hinzufügen").click()
    expect(office.get_by_label("Gremium 1 in Stufe 4", exact=True)).to_have_value("stvv")
    office.get_by_label("Gremium 1 in Stufe 3", exact=True).select_option("sjs")
    office.get_by_role("button", name="Paralleles Gremium hinzufügen (Stufe 3)").click()
    office.get_by_label("Gremium 2 in Stufe 3", exact=True).select_option("kfp")
    office.get_by_role("button", name="Nach oben (Stufe 3)").click()
    expect(office.get_by_label("Gremium 2 in Stufe 2", exact=True)).to_have_value("kfp")
    for stage, steps in enumerate((["magistrat"], ["sjs", "kfp"], ["fwa"], ["stvv"]), start=1):
        for n, body in enumerate(steps, start=1):
            expect(office.get_by_label(f"Gremium {n} in Stufe {stage}", exact=True)).to_have_value(body)
            role = "decision" if body == "stvv" else "preliminary"
            expect(office.get_by_label(f"Rolle von Gremium {n} in Stufe {stage}")).to_have_value(role)
    office.get_by_role("button", name="Speichern").click()
    expect(office.get_by_role("heading", name="Die Beratungsfolge ist gespeichert.")).to_be_visible()
    assert_accessible(office, "the saved Beratungsfolge")

    plain_path = _the_plain_paper_drafted_and_submitted(town)

    # the office plans the meetings (the two committees jointly) and puts the paper on their agendas
    meetings = {
        "magistrat": _plan(office, town, ["Magistrat"], "2013-12-09", "17:00"),
        "joint": _plan(office, town, [SJS, KFP], "2013-12-10", "18:00"),
        "fwa": _plan(office, town, ["Finanz- und Wirtschaftsausschuss"], "2013-12-11", "18:00"),
        "stvv": _plan(office, town, ["Stadtverordnetenversammlung"], "2013-12-12", "19:00"),
    }
    assert_accessible(office, "a planned meeting")
    for key, url in meetings.items():
        office.goto(url + "/tagesordnung")
        waiting = office.locator(".agenda-builder__paper", has_text=SUBJECT)
        for _ in range(2 if key == "joint" else 1):
            waiting.get_by_role("button", name=re.compile("öffentlich \\(")).first.click()
            expect(office.locator(".saved")).to_contain_text(f"„{SUBJECT}“ steht jetzt als TOP")
        expect(waiting).to_have_count(0)
        if key == "magistrat":  # the paper made without JavaScript goes to the Magistrat too
            other = office.locator(".agenda-builder__paper", has_text=PLAIN_SUBJECT)
            other.get_by_role("button", name=re.compile("öffentlich \\(")).first.click()
            expect(office.locator(".saved")).to_contain_text(f"„{PLAIN_SUBJECT}“ steht jetzt als TOP")
        if key == "joint":
            assert_accessible(office, "the joint meeting's agenda")
        office.goto(url + "/einladung")
        office.get_by_role("button", name="Einladung versenden").click()
        expect(office.locator(".saved")).to_contain_text("Die Einladung ist versandt.")
    assert_accessible(office, "an invitation sent")

    # the meeting days: each body's secretary records the result
    page = _record(
        town, "magistrat", meetings["magistrat"], berlin("2013-12-09 17:00"), "Zustimmung empfohlen"
    )
    assert_accessible(page, "the Magistrat's meeting day with the result recorded")
    # the second TOP without JavaScript: the plain form, the page comes back with the message
    plain_day = _record(
        town,
        "magistrat",
        meetings["magistrat"],
        berlin("2013-12-09 17:00"),
        "Zustimmung empfohlen",
        subject=PLAIN_SUBJECT,
        opening=False,
        attendance=False,
        js=False,
    )
    assert "gespeichert=" in plain_day.url
    _accessible_without_js(town, plain_day, "the meeting day after a result recorded without JavaScript")
    joint = berlin("2013-12-10 18:00")
    _record(town, "sjs", meetings["joint"], joint, "Zustimmung empfohlen", name=SJS)
    page = _record(town, "kfp", meetings["joint"], joint, "Zustimmung empfohlen", name=KFP, attendance=False)
    assert_accessible(page, "the joint meeting's day with both results recorded")
    _record(town, "fwa", meetings["fwa"], berlin("2013-12-11 18:00"), "Zustimmung empfohlen")
    page = _record(town, "stvv", meetings["stvv"], berlin("2013-12-12 19:00"), "beschlossen")
    assert_accessible(page, "the StVV's meeting day with the decision recorded")

    # the public sees the Beratungsfolge with five results and the decision
    visitor = town.page()
    visitor.goto(town.server.url(paper_path))
    expect(visitor.get_by_role("heading", level=1)).to_have_text(SUBJECT)
    expect(visitor.locator(".kern-badge").first).to_have_text("beschlossen")
    timeline = visitor.locator(".timeline__step")
    expect(timeline).to_have_count(5)
    expect(timeline.locator(".timeline__meta")).to_contain_text(["behandelt"] * 5)
    # the Magistrat meets in private: the public learns that it deliberated, not how
    expect(timeline.nth(0)).to_contain_text("In nichtöffentlicher Sitzung beraten.")
    recommended = ": Zustimmung empfohlen (10 Ja / 2 Nein / 1 Enthaltung)"
    expect(timeline.nth(1)).to_contain_text("10.12.2013, TOP Ö 1" + recommended)
    expect(timeline.nth(2)).to_contain_text("10.12.2013, TOP Ö 2" + recommended)
    expect(timeline.nth(3)).to_contain_text("11.12.2013, TOP Ö 1" + recommended)
    expect(timeline.nth(4)).to_contain_text(
        "12.12.2013, TOP Ö 1: beschlossen (56 Ja / 2 Nein / 1 Enthaltung)"
    )
    assert_accessible(visitor, "the public paper page of the decided paper")
    office = town.page(OFFICE)  # staff see the Magistrat's result too
    office.goto(town.server.url(paper_path))
    expect(office.locator(".timeline__step").nth(0)).to_contain_text(
        "(nichtöffentlich): Zustimmung empfohlen (9 Ja / 2 Nein / 1 Enthaltung)"
    )
    office.goto(town.server.url(plain_path))
    expect(office.locator(".timeline__step").nth(0)).to_contain_text(
        "(nichtöffentlich): Zustimmung empfohlen (9 Ja / 2 Nein / 1 Enthaltung)"
    )
    expect(office.locator(".timeline__step").nth(1)).to_contain_text("Noch nicht terminiert.")


def _accessible_without_js(town: Town, no_js: Page, what: str) -> None:
    """axe is JavaScript itself: it checks the very page the JavaScript-less browser got, in a second one (at
    the same address, so the styles load)."""
    html = no_js.content()
    checker = town.page(OFFICE)
    checker.goto(town.server.url("/wetzlar/"))
    checker.set_content(html)
    checker.wait_for_load_state("networkidle")
    assert_accessible(checker, what)


def _the_plain_paper_drafted_and_submitted(town: Town) -> str:
    """The key flows without JavaScript: the department drafts a second paper, the office submits it from the
    paper page and saves the profile's Beratungsfolge (Magistrat → StVV); returns the paper's address."""
    department = town.page(DEPARTMENT, js=False)
    _draft(department, town, PLAIN_SUBJECT, financial=False, cosigner=None)
    draft_url = department.url
    _accessible_without_js(town, department, "a new draft without JavaScript")
    office = town.page(OFFICE, js=False)
    office.goto(draft_url)
    office.get_by_role("button", name="Einreichen").click()
    expect(office.locator(".kern-badge").first).to_have_text("eingereicht")
    expect(office.locator("main")).to_contain_text(re.compile(r"Drucksachen-Nr\. \d+/13"))
    paper_url = office.url
    _accessible_without_js(town, office, "the submitted paper without JavaScript")
    office.get_by_role("link", name="Beratungsfolge planen").click()
    expect(office.get_by_label("Gremium 1 in Stufe 1", exact=True)).to_have_value("magistrat")
    expect(office.get_by_label("Gremium 1 in Stufe 2", exact=True)).to_have_value("stvv")
    office.get_by_role("button", name="Speichern").click()
    expect(office.get_by_role("heading", name="Die Beratungsfolge ist gespeichert.")).to_be_visible()
    assert office.url.endswith("?gespeichert=1")
    return paper_url.removeprefix(town.server.base)
