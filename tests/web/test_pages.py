"""The web pages over HTTP: login with sessions and CSRF, the throttle, security headers, the role matrix on
the paper and meeting pages, the start page per role, and the search with shareable addresses."""

from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import func, select

from api.web import links
from tests.e2e.conftest import Api
from tests.scenario import Scenario
from tests.web.conftest import csrf_of, page_login
from workflow import papers
from workflow.models import Meeting, Paper, StoredFile, WebSession
from workflow.rules import VoteInput
from workflow.vocabulary import Outcome, PaperKind


def _paper_url(api: Api, paper_id: int) -> str:
    with api.db.sessions() as s:
        return links.paper("wetzlar", s.get_one(Paper, paper_id))


def _meeting_url(api: Api, meeting_id: int) -> str:
    with api.db.sessions() as s:
        return links.meeting(s, "wetzlar", s.get_one(Meeting, meeting_id))


def test_every_answer_carries_the_security_headers(api: Api) -> None:
    for path in (
        "/api/v1/wetzlar/papers",
        "/oparl/v1/system",
        "/anmelden",
        "/static/app/app.css",
        "/nirgends",
    ):
        headers = api.client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff", path
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy, path
        assert "unsafe-inline" not in policy, path
        assert "script-src 'self'" in policy, path
        assert headers["referrer-policy"] == "same-origin", path
        assert "strict-transport-security" not in headers, path
    secure = api.client.get("https://testserver/api/v1/wetzlar/papers").headers
    assert secure["strict-transport-security"].startswith("max-age=")


def test_the_api_docs_allow_only_their_own_inline_script(api: Api) -> None:
    response = api.client.get("/docs")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "'sha256-" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_login_sets_an_httponly_lax_session_cookie_and_logout_ends_the_session(api: Api) -> None:
    response = page_login(api.client, "wetzlar-koordination")
    assert response.status_code == 303
    assert response.headers["location"] == "/wetzlar/"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("gl_sitzung="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie
    start = api.client.get("/wetzlar/")
    assert start.status_code == 200
    assert "Meine Aufgaben" in start.text
    with api.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(WebSession)) == 1
    logout = api.client.post("/abmelden", data={"csrf_token": csrf_of(start)}, follow_redirects=False)
    assert logout.status_code == 303
    with api.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(WebSession)) == 0
    again = api.client.get("/wetzlar/", follow_redirects=False)
    assert again.status_code == 200
    assert "Meine Aufgaben" not in again.text
    assert "Ratsinformationen der Stadt Wetzlar" in again.text  # the public start page


def test_the_session_cookie_is_secure_behind_https(api: Api) -> None:
    form = api.client.get("https://testserver/anmelden")
    response = api.client.post(
        "https://testserver/anmelden",
        data={"benutzername": "wetzlar-admin", "passwort": "demo-passwort", "csrf_token": csrf_of(form)},
        follow_redirects=False,
    )
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("gl_sitzung="))
    assert "Secure" in cookie


def test_a_session_expires_after_eight_hours(api: Api) -> None:
    page_login(api.client, "wetzlar-koordination")
    api.clock.advance(dt.timedelta(hours=8, minutes=1))
    response = api.client.get("/wetzlar/", follow_redirects=False)
    assert response.status_code == 303
    assert "abgelaufen" in api.client.get(response.headers["location"]).text


def test_forms_without_the_csrf_token_are_refused(api: Api) -> None:
    refused = api.client.post(
        "/anmelden",
        data={"benutzername": "wetzlar-admin", "passwort": "demo-passwort"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert "Formular ist abgelaufen" in refused.text
    page_login(api.client, "wetzlar-admin")
    logout = api.client.post("/abmelden", data={"csrf_token": "falsch"}, follow_redirects=False)
    assert logout.status_code == 403
    assert api.client.get("/wetzlar/").status_code == 200  # still logged in


def test_a_wrong_password_is_said_in_german_next_to_the_field(api: Api) -> None:
    response = page_login(api.client, "wetzlar-admin", "falsch-falsch")
    assert response.status_code == 422
    assert 'id="fehler-passwort"' in response.text
    assert "Benutzername oder Passwort ist falsch" in response.text
    assert 'aria-describedby="fehler-passwort"' in response.text
    assert 'href="#feld-passwort"' in response.text  # the error summary links to the field


def test_repeated_failures_throttle_the_page_login_and_the_token_endpoint(api: Api) -> None:
    for _ in range(5):
        assert page_login(api.client, "wetzlar-admin", "falsch-falsch").status_code == 422
    blocked = page_login(api.client, "wetzlar-admin")  # even the right password waits now
    assert blocked.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in blocked.text
    token = api.client.post(
        "/api/v1/auth/token", json={"username": "wetzlar-admin", "password": "demo-passwort"}
    )
    assert token.status_code == 429
    assert 0 < int(token.headers["retry-after"]) <= 15 * 60
    assert token.json()["error"] == "too_many_login_attempts"
    # Other users are not blocked, and the block ends after the window.
    assert page_login(api.client, "wetzlar-koordination").status_code == 303
    api.clock.advance(dt.timedelta(minutes=16))
    assert page_login(api.client, "wetzlar-admin").status_code == 303


def test_the_token_endpoint_counts_its_own_failures(api: Api) -> None:
    for _ in range(5):
        wrong = api.client.post(
            "/api/v1/auth/token", json={"username": "wetzlar-fachamt", "password": "x" * 12}
        )
        assert wrong.status_code == 401
    assert (
        api.client.post(
            "/api/v1/auth/token", json={"username": "wetzlar-fachamt", "password": "demo-passwort"}
        )
    ).status_code == 429


def test_the_paper_page_follows_the_role_matrix(api: Api) -> None:
    world = Scenario(api.db.sessions)
    public = world.submitted_paper(subject="Öffentliche Vorlage", committees=["sjs"])
    secret = world.submitted_paper(subject="Geheime Grundstücksvorlage", public=False, committees=["sjs"])
    draft = papers.draft_paper(
        api.db.sessions,
        actor="test",
        municipality="wetzlar",
        kind=PaperKind.beschlussvorlage,
        department="kbs",
        subject="Noch ein Entwurf",
        paper_date=dt.date(2013, 7, 12),
    )
    public_url, secret_url, draft_url = (_paper_url(api, p.id) for p in (public, secret, draft))
    assert public_url.startswith("/wetzlar/vorlagen/")
    assert public.reference
    assert public_url.endswith(public.reference.replace("/", "-"))
    assert draft_url == f"/wetzlar/vorlagen/entwurf-{draft.id}"

    page = api.client.get(public_url)
    assert page.status_code == 200
    assert "Öffentliche Vorlage" in page.text
    assert "Beratungsfolge" in page.text
    assert "Verlauf" not in page.text  # the history is for the municipality's people, as in the API
    assert api.client.get(secret_url).status_code == 404
    assert api.client.get(draft_url).status_code == 404

    page_login(api.client, "wetzlar-koordination")
    for url in (public_url, secret_url, draft_url):
        assert api.client.get(url).status_code == 200, url
    assert "Verlauf" in api.client.get(public_url).text

    api.client.cookies.clear()
    page_login(api.client, "wetzlar-fachamt")  # kbs: its own draft, but not another department's
    assert api.client.get(draft_url).status_code == 200
    other = papers.draft_paper(
        api.db.sessions,
        actor="test",
        municipality="wetzlar",
        kind=PaperKind.beschlussvorlage,
        department="rechtsamt",
        subject="Entwurf eines anderen Amts",
        paper_date=dt.date(2013, 7, 12),
    )
    assert api.client.get(_paper_url(api, other.id)).status_code == 404


def test_the_public_paper_page_shows_no_outcome_of_a_step_dealt_with_in_private(api: Api) -> None:
    world = Scenario(api.db.sessions)
    paper = world.submitted_paper(subject="Öffentliche Vorlage", committees=["sjs"])
    world.deal_with(
        paper.id,
        "magistrat",
        "2013-10-07 09:00",
        Outcome.recommended_amended,
        VoteInput(12, 0, 0),
        resolution_text="Im Magistrat geändert",
    )
    url = _paper_url(api, paper.id)
    page = api.client.get(url).text
    assert "In nichtöffentlicher Sitzung beraten." in page
    assert "mit Änderungen empfohlen" not in page
    page_login(api.client, "wetzlar-koordination")
    assert "mit Änderungen empfohlen" in api.client.get(url).text


def test_the_meeting_page_hides_the_non_public_part_from_those_who_may_not_see_it(api: Api) -> None:
    world = Scenario(api.db.sessions)
    open_paper = world.submitted_paper(subject="Spielplatz am Dom", committees=["sjs"])
    closed_paper = world.submitted_paper(subject="Grundstückskauf Lahnufer", public=False, committees=["sjs"])
    meeting = world.new_meeting("sjs", "2013-10-28 17:00")
    world.schedule(open_paper.id, "sjs", meeting.id)
    world.schedule(closed_paper.id, "sjs", meeting.id)
    url = _meeting_url(api, meeting.id)
    assert url == "/wetzlar/sitzungen/2013-10-28-sjs"
    for who in (None, "wetzlar-mitglied-magistrat"):  # the public, and a member of another body only
        if who:
            page_login(api.client, who)
        page = api.client.get(url).text
        assert "Spielplatz am Dom" in page, who
        assert "Grundstückskauf" not in page, who
        assert "nichtöffentlicher Teil" not in page, who
    api.client.cookies.clear()
    page_login(api.client, "wetzlar-koordination")
    page = api.client.get(url).text
    assert "Grundstückskauf Lahnufer" in page
    assert "nichtöffentlicher Teil" in page
    assert api.client.get("/wetzlar/sitzungen/2013-10-28-stvv").status_code == 404
    assert api.client.get("/wetzlar/sitzungen/2013-02-30-sjs").status_code == 404
    assert api.client.get(url + "-2").status_code == 404


def test_the_start_page_shows_each_role_what_waits_for_it(api: Api) -> None:
    world = Scenario(api.db.sessions)
    api.clock.set("2013-09-20 09:00")
    papers.draft_paper(
        api.db.sessions,
        actor="test",
        municipality="wetzlar",
        kind=PaperKind.beschlussvorlage,
        department="kbs",
        subject="Sanierung der Stadthalle",
        paper_date=dt.date(2013, 9, 1),
        cosigners=["kaemmerei"],
    )
    soon = world.new_meeting("magistrat", "2013-09-30 17:00")  # invitation due within the week
    done_paper = world.submitted_paper(subject="Bereits beraten", when="2013-08-01 10:00")
    held = world.new_meeting("magistrat", "2013-09-02 17:00")
    world.schedule(done_paper.id, "magistrat", held.id)
    world.invite(held.id)

    page_login(api.client, "wetzlar-koordination")
    office = api.client.get("/wetzlar/").text
    assert "Sanierung der Stadthalle" in office  # a draft to finish
    assert "Ladungsfrist läuft ab" in office
    assert _meeting_url(api, soon.id) in office
    assert "Ergebnisse nachtragen" in office
    assert _meeting_url(api, held.id) in office

    api.client.cookies.clear()
    page_login(api.client, "wetzlar-schrift-magistrat")
    secretary = api.client.get("/wetzlar/").text
    assert _meeting_url(api, held.id) in secretary
    assert "Entwürfe fertigstellen" not in secretary

    api.client.cookies.clear()
    page_login(api.client, "wetzlar-schrift-stvv")
    assert _meeting_url(api, held.id) not in api.client.get("/wetzlar/").text

    api.client.cookies.clear()
    page_login(api.client, "wetzlar-mitglied-magistrat")
    member = api.client.get("/wetzlar/").text
    assert "Meine nächsten Sitzungen" in member
    assert _meeting_url(api, soon.id) in member
    other = api.client.get("/duisburg/")  # another municipality: its public start page, not its tasks
    assert other.status_code == 200
    assert "Ratsinformationen der Stadt Duisburg" in other.text
    assert "Meine nächsten Sitzungen" not in other.text


def test_the_search_has_shareable_addresses_and_explains_bad_input(api: Api) -> None:
    world = Scenario(api.db.sessions)
    world.submitted_paper(subject="Neubau der Kindertagesstätte", committees=["sjs"])
    world.submitted_paper(subject="Straßenreinigung")
    found = api.client.get("/wetzlar/vorlagen?q=Kindertagesst%C3%A4tte&gremium=sjs")
    assert found.status_code == 200
    assert "Neubau der Kindertagesstätte" in found.text
    assert "Straßenreinigung" not in found.text
    assert (
        links.search("wetzlar", q="Kita", gremium="sjs", von=None) == "/wetzlar/vorlagen?gremium=sjs&q=Kita"
    )
    bad = api.client.get("/wetzlar/vorlagen?von=28.10.2013")
    assert bad.status_code == 422
    assert 'id="fehler-von"' in bad.text
    assert "bitte ein Datum" in bad.text
    fragment = api.client.get("/wetzlar/vorlagen?q=Stra%C3%9Fenreinigung", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="suche">')
    assert "<html" not in fragment.text
    assert "Straßenreinigung" in fragment.text


def test_the_search_sorts_by_date_both_ways_and_its_next_page_keeps_the_order(api: Api) -> None:
    world = Scenario(api.db.sessions)
    entered = []  # (day, id, number in the subject)
    for n in range(27):  # more than a page of 25; entered in an order that is not the order of the dates
        day = dt.date(2013, 1, 1) + dt.timedelta(days=(n * 7) % 27)
        entered.append(
            (day, world.submitted_paper(subject=f"Sortierprobe {n:02d}", when=f"{day} 10:00").id, n)
        )
    by_date = [n for _, _, n in sorted(entered)]
    newest_first = [n for _, _, n in sorted(entered, key=lambda e: e[1], reverse=True)]
    assert by_date != newest_first[::-1]

    def shown(html: str) -> list[int]:
        return [int(n) for n in re.findall(r"Sortierprobe (\d\d)</a>", html)]

    first = api.client.get("/wetzlar/vorlagen?q=Sortierprobe&sortierung=datum-alt")
    assert first.status_code == 200
    assert '<option value="datum-alt" selected>Datum, älteste zuerst</option>' in first.text
    assert shown(first.text) == by_date[:25]
    found = re.search(r'href="([^"]+)">Weitere Treffer', first.text)
    assert found
    next_url = html.unescape(found[1])
    assert "sortierung=datum-alt" in next_url
    assert shown(api.client.get(next_url).text) == by_date[25:]
    latest = api.client.get("/wetzlar/vorlagen?q=Sortierprobe&sortierung=datum")
    assert shown(latest.text) == by_date[::-1][:25]
    newest = api.client.get("/wetzlar/vorlagen?q=Sortierprobe")
    assert shown(newest.text) == newest_first[:25]
    assert '<option value="">Zuletzt eingestellt zuerst</option>' in newest.text
    outdated = api.client.get("/wetzlar/vorlagen?q=Sortierprobe&sortierung=relevanz")
    assert outdated.status_code == 200
    assert shown(outdated.text) == newest_first[:25]
    # A cursor of one order given with another is refused with a message, not read as something else.
    mixed = api.client.get(next_url.replace("&sortierung=datum-alt", ""))
    assert mixed.status_code == 422
    assert shown(mixed.text) == []
    assert "bitte die Suche neu beginnen" in mixed.text
    assert "Invalid cursor" not in mixed.text


def _stored_file(api: Api, paper: Paper, *, public: bool) -> StoredFile:
    with api.db.sessions.begin() as s:
        row = StoredFile(
            municipality_id=paper.municipality_id,
            kind="vorlage",
            paper_id=paper.id,
            version=1,
            output_key=f"test:{paper.id}",
            name=f"Beschlussvorlage {paper.reference}",
            file_name=f"Beschlussvorlage {paper.reference.replace('/', '-') if paper.reference else ''}.pdf",
            media_type="application/pdf",
            size_bytes=4,
            sha256="0" * 64,
            content=b"%PDF",
            public=public,
        )
        s.add(row)
    return row


def test_documents_are_listed_and_downloaded_under_the_api_rule(api: Api) -> None:
    world = Scenario(api.db.sessions)
    open_paper = world.submitted_paper(subject="Mit öffentlichem Dokument")
    closed_paper = world.submitted_paper(subject="Mit nichtöffentlichem Dokument", public=False)
    open_file, closed_file = (
        _stored_file(api, open_paper, public=True),
        _stored_file(api, closed_paper, public=False),
    )
    with api.db.sessions() as s:
        open_url = links.document("wetzlar", s.get_one(StoredFile, open_file.id))
        closed_url = links.document("wetzlar", s.get_one(StoredFile, closed_file.id))
    page = api.client.get(_paper_url(api, open_paper.id))
    assert open_url in page.text
    assert "(PDF)" in page.text
    download = api.client.get(open_url)
    assert download.status_code == 200
    assert download.content == b"%PDF"
    assert download.headers["content-type"] == "application/pdf"
    assert api.client.get(closed_url).status_code == 404
    page_login(api.client, "wetzlar-koordination")
    assert closed_url in api.client.get(_paper_url(api, closed_paper.id)).text
    assert api.client.get(closed_url).status_code == 200
    assert api.client.get("/wetzlar/dokumente/999999/x.docx").status_code == 404


def test_the_demo_names_its_address_and_one_login_per_role_in_german() -> None:
    from gremienlauf.demo_users import describe_demo_logins
    from workflow.access import ROLE_LABELS

    text = describe_demo_logins("http://127.0.0.1:8000/")
    assert "Die Webseiten laufen unter http://127.0.0.1:8000/" in text
    for label in ROLE_LABELS.values():
        assert f"    {label}: wetzlar-" in text


def test_even_an_unexpected_error_carries_the_security_headers(api: Api) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    app = create_app(api.db.url)

    @app.get("/api/v1/kaputt")
    def broken() -> None:
        raise RuntimeError("a bug")

    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/api/v1/kaputt")
            assert response.status_code == 500
            assert response.headers["x-content-type-options"] == "nosniff"
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    finally:
        app.state.engine.dispose()
