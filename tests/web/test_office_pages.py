"""The coordination office's submission inbox ("Eingang") and deadline overview ("Fristen"): what they list,
their filters with shareable addresses, submitting from the inbox without JavaScript, the role matrix of the
JSON API and CSRF."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.e2e.conftest import Api
from tests.scenario import Scenario, berlin
from tests.web.conftest import csrf_of, page_login
from workflow import meetings, papers
from workflow.models import Paper
from workflow.vocabulary import PaperKind


def _draft(api: Api, subject: str, department: str = "kbs", cosigners: tuple[str, ...] = ()) -> Paper:
    now = berlin("2013-07-10 10:00")
    paper = papers.draft_paper(
        api.db.sessions,
        actor="Fachamt",
        municipality="wetzlar",
        kind=PaperKind.beschlussvorlage,
        department=department,
        subject=subject,
        paper_date=now.date(),
        cosigners=list(cosigners),
        now=now,
    )
    if cosigners:
        papers.request_cosignatures(api.db.sessions, actor="Fachamt", paper_id=paper.id, now=now)
    return paper


def _section(html: str, heading_id: str) -> str:
    """The text of the section a heading of ``heading_id`` opens."""
    match = re.search(rf'<section aria-labelledby="{heading_id}".*?</section>', html, re.S)
    assert match, heading_id
    return match[0]


def test_the_inbox_lists_ready_and_waiting_papers_and_submits_without_javascript(api: Api) -> None:
    ready = _draft(api, "Spielplatz am Dom")
    waiting = _draft(api, "Sporthalle Dalheim", cosigners=("kaemmerei",))
    other = _draft(api, "Satzung über Gebühren", department="rechtsamt")
    page_login(api.client, "wetzlar-koordination")
    start = api.client.get("/wetzlar/")
    assert 'href="/wetzlar/eingang"' in start.text  # from the start page and the navigation
    inbox = api.client.get("/wetzlar/eingang")
    assert inbox.status_code == 200
    assert 'aria-current="page">Eingang' in inbox.text
    assert "Spielplatz am Dom" in _section(inbox.text, "bereit")
    assert "Satzung über Gebühren" in _section(inbox.text, "bereit")
    assert "Sporthalle Dalheim" not in _section(inbox.text, "bereit")
    assert "Mitzeichnung fehlt: Kämmerei / Finanzverwaltung" in _section(inbox.text, "mitzeichnung")

    filtered = api.client.get("/wetzlar/eingang?fachamt=rechtsamt")
    assert "Satzung über Gebühren" in filtered.text
    assert "Spielplatz am Dom" not in filtered.text
    assert '<option value="rechtsamt" selected>' in filtered.text
    assert "Spielplatz am Dom" in api.client.get("/wetzlar/eingang?fachamt=gibtsnicht").text
    empty = api.client.get("/wetzlar/eingang?fachamt=hauptamt")
    assert "Keine Vorlage wartet auf die Einreichung in diesem Fachamt." in empty.text

    token = csrf_of(inbox)
    assert api.client.post("/wetzlar/eingang/einreichen", data={"vorlage": str(ready.id)}).status_code == 403
    submitted = api.client.post(
        "/wetzlar/eingang/einreichen",
        data={"csrf_token": token, "vorlage": str(ready.id), "fachamt": "kbs"},
        follow_redirects=False,
    )
    assert submitted.status_code == 303
    with api.db.sessions() as s:
        reference = s.get_one(Paper, ready.id).reference
    assert reference is not None
    slug = reference.replace("/", "-")
    assert submitted.headers["location"] == f"/wetzlar/eingang?eingereicht={slug}&fachamt=kbs"
    after = api.client.get(submitted.headers["location"])
    assert f"Eingereicht: {reference}" in after.text
    assert f'href="/wetzlar/vorlagen/{slug}/beratungsfolge">Beratungsfolge planen' in after.text
    assert "Spielplatz am Dom" not in _section(after.text, "bereit")

    again = api.client.post(
        "/wetzlar/eingang/einreichen", data={"csrf_token": token, "vorlage": str(waiting.id)}
    )
    assert again.status_code == 422  # not all co-signatures given: the use case refuses, the page says so
    assert 'role="alert"' in again.text
    with api.db.sessions() as s:
        assert s.get_one(Paper, waiting.id).state == "cosigning"
        assert s.get_one(Paper, other.id).state == "draft"


def test_only_the_office_sees_the_inbox_and_submits(api: Api) -> None:
    paper = _draft(api, "Spielplatz am Dom")
    anonymous = api.client.get("/wetzlar/eingang", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/anmelden?weiter=%2Fwetzlar%2Feingang"
    for username in ("wetzlar-fachamt", "wetzlar-schrift-stvv", "wetzlar-mitglied"):
        api.client.cookies.clear()
        page_login(api.client, username)
        refused = api.client.get("/wetzlar/eingang")
        assert refused.status_code == 403, username
        assert "Keine Berechtigung" in refused.text
        assert 'href="/wetzlar/eingang"' not in api.client.get("/wetzlar/").text
        token = csrf_of(api.client.get("/wetzlar/"))
        sent = api.client.post(
            "/wetzlar/eingang/einreichen", data={"csrf_token": token, "vorlage": str(paper.id)}
        )
        assert sent.status_code in (403, 404), username
        assert api.post(f"/wetzlar/papers/{paper.id}/submission", as_=username).status_code in (403, 404)
    api.client.cookies.clear()
    page_login(api.client, "wetzlar-admin")
    assert api.client.get("/wetzlar/eingang").status_code == 200
    with api.db.sessions() as s:
        assert s.scalars(select(Paper.state).where(Paper.id == paper.id)).one() == "draft"


def test_the_deadline_overview_of_the_coming_weeks(api: Api) -> None:
    world = Scenario(api.db.sessions)
    api.clock.set("2013-07-12 10:00")
    late = world.new_meeting("magistrat", "2013-07-15 09:00")  # its deadline has passed, not invited
    soon = world.new_meeting("stvv", "2013-08-05 18:00")
    invited = world.new_meeting("sjs", "2013-07-29 17:00")
    paper = world.submitted_paper(subject="Kita Niedergirmes", committees=["sjs"], when="2013-07-01 10:00")
    world.schedule(paper.id, "magistrat", late.id, when="2013-07-02 10:00")
    world.invite(invited.id, days_before=14)
    far = world.new_meeting("kfp", "2013-09-30 17:00")  # beyond six weeks

    page_login(api.client, "wetzlar-koordination")
    shown = api.client.get("/wetzlar/fristen")
    assert shown.status_code == 200
    assert 'aria-current="page">Fristen' in shown.text
    names = re.findall(
        r'class="kern-heading-small deadline-list__title"><a class="kern-link" href="[^"]+">([^<]+)</a>',
        shown.text,
    )
    assert len(names) == 3
    assert far.name not in names
    assert names[0] == late.name  # soonest deadline first
    assert "überfällig" in shown.text
    assert "eingeladen" in shown.text
    assert re.search(r"in \d+ Tagen", shown.text)
    assert "3 Sitzungen in den nächsten 6 Wochen" in shown.text
    assert "Mittwoch, 10.07.2013, 23:59 Uhr" in shown.text  # the Ladungsfrist of the invitation use case
    assert "ausstehend: 1 Vorlage ohne Dokument" in shown.text

    longer = api.client.get("/wetzlar/fristen?wochen=12")
    assert far.name in longer.text
    by_body = api.client.get("/wetzlar/fristen?gremium=stvv&wochen=6")
    assert soon.name in by_body.text
    assert late.name not in by_body.text
    assert "1 Sitzung in den nächsten 6 Wochen" in by_body.text
    empty = api.client.get("/wetzlar/fristen?gremium=kfp")
    assert "In diesem Zeitraum ist keine Sitzung geplant für dieses Gremium." in empty.text
    wrong = api.client.get("/wetzlar/fristen?wochen=abc")
    assert wrong.status_code == 422
    assert 'id="fehler-wochen"' in wrong.text
    assert 'value="abc"' in wrong.text  # what was typed stays

    api.clock.set("2013-07-31 08:00")  # the last day to invite the Stadtverordnetenversammlung
    api.client.cookies.clear()
    page_login(api.client, "wetzlar-koordination")
    today = api.client.get("/wetzlar/fristen?gremium=stvv")
    assert re.search(r'kern-badge--warning"><span class="kern-label kern-label--small">heute<', today.text)


def test_a_matter_on_the_agenda_moves_the_deadline_on_the_overview_and_the_start_page(api: Api) -> None:
    # A second session has one day's notice (§ 58 Abs. 1 Satz 5 HGO); with the Hauptsatzung on the agenda it is
    # three full days (§ 58 Abs. 3 HGO): receipt by Thursday 26.09., so sent by Wednesday 25.09.2013, 23:59.
    world = Scenario(api.db.sessions)
    api.clock.set("2013-09-20 10:00")
    meeting = world.new_meeting("stvv", "2013-09-30 19:00", second_session=True)
    for title, matter in (("Mitteilungen", None), ("Änderung der Hauptsatzung", "hauptsatzung")):
        meetings.add_agenda_item(
            api.db.sessions,
            actor="Sitzungsdienst",
            meeting_id=meeting.id,
            title=title,
            matter=matter,
            now=berlin("2013-09-20 10:00"),
        )

    page_login(api.client, "wetzlar-koordination")
    overview = api.client.get("/wetzlar/fristen?gremium=stvv")
    assert meeting.name in overview.text
    assert "Mittwoch, 25.09.2013, 23:59 Uhr" in overview.text
    assert "2 TOPs" in overview.text  # every item counts, not only the one with a matter
    found = re.search(
        r'aria-labelledby="abschnitt-ladungsfrist".*?</section>', api.client.get("/wetzlar/").text, re.S
    )
    assert found
    start = found[0]
    assert meeting.name in start
    assert "Einladung spätestens 25.09.2013" in start


def test_only_the_office_sees_the_deadlines(api: Api) -> None:
    anonymous = api.client.get("/wetzlar/fristen?gremium=stvv", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/anmelden?weiter=")
    for username in ("wetzlar-fachamt", "wetzlar-schrift-stvv", "wetzlar-mitglied", "duisburg-koordination"):
        api.client.cookies.clear()
        page_login(api.client, username)
        assert api.client.get("/wetzlar/fristen").status_code == 403, username


def test_the_inbox_shows_fifty_at_a_time_with_the_count_filters_and_pages(api: Api) -> None:
    for n in range(1, 53):
        _draft(api, f"Spielplatz Nummer {n:02}")
    _draft(api, "Satzung über Gebühren", department="rechtsamt")
    page_login(api.client, "wetzlar-koordination")
    first = api.client.get("/wetzlar/eingang")
    ready = _section(first.text, "bereit")
    assert "(1–50 von 53 Vorlagen)" in ready
    assert ready.count('name="vorlage"') == 50
    assert "Spielplatz Nummer 50" in ready
    assert "Spielplatz Nummer 51" not in ready
    assert "Seite 1 von 2" in ready
    assert 'rel="next" href="/wetzlar/eingang?seite=2"' in ready
    assert 'rel="prev"' not in ready

    second = _section(api.client.get("/wetzlar/eingang?seite=2").text, "bereit")
    assert "(51–53 von 53 Vorlagen)" in second
    assert "Spielplatz Nummer 51" in second
    assert "Satzung über Gebühren" in second
    assert "Spielplatz Nummer 50" not in second
    assert 'rel="prev" href="/wetzlar/eingang"' in second
    assert 'rel="next"' not in second

    words = api.client.get("/wetzlar/eingang?q=nummer+spielplatz+5")
    assert "(1–50 von" not in words.text
    assert "(8 Vorlagen)" in _section(words.text, "bereit")  # 05, 15, … 52
    assert 'name="q" value="nummer spielplatz 5"' in words.text  # the filter stays filled in
    one = api.client.get("/wetzlar/eingang?q=gebühren&fachamt=rechtsamt")
    assert "(1 Vorlage)" in _section(one.text, "bereit")
    none = api.client.get("/wetzlar/eingang?q=Friedhof")
    assert "Keine Vorlage wartet auf die Einreichung mit „Friedhof“." in none.text
    kept = _section(api.client.get("/wetzlar/eingang?fachamt=kbs&q=Spielplatz").text, "bereit")
    assert "(1–50 von 52 Vorlagen)" in kept
    assert 'href="/wetzlar/eingang?fachamt=kbs&amp;q=Spielplatz&amp;seite=2"' in kept

    for bad in ("abc", "-1", "0", "2.5", "99999999999"):
        answer = api.client.get(f"/wetzlar/eingang?seite={bad}")
        assert answer.status_code == 200, bad
        assert f"„{bad}“ ist keine Seitenzahl; angezeigt wird Seite 1." in answer.text
        assert "(1–50 von 53 Vorlagen)" in answer.text
    past = api.client.get("/wetzlar/eingang?seite=7")
    assert past.status_code == 200
    assert "(51–53 von 53 Vorlagen)" in past.text  # past the last page: the last page
    too_long = api.client.get("/wetzlar/eingang?seite=" + "1" * 50)
    assert too_long.status_code == 400
    assert "Die Adresse oder das Formular enthält ungültige Angaben." in too_long.text

    # Submitting from the second page comes back to the second page with its filters.
    with api.db.sessions() as s:
        paper = s.scalars(select(Paper).where(Paper.subject == "Spielplatz Nummer 52")).one()
    submitted = api.client.post(
        "/wetzlar/eingang/einreichen",
        data={"csrf_token": csrf_of(first), "vorlage": str(paper.id), "q": "Spielplatz", "seite": "2"},
        follow_redirects=False,
    )
    assert submitted.status_code == 303
    location = submitted.headers["location"]
    assert location.startswith("/wetzlar/eingang?eingereicht=")
    assert location.endswith("&q=Spielplatz&seite=2")
    after = _section(api.client.get(location).text, "bereit")
    assert "(51 von 51 Vorlagen)" in after
