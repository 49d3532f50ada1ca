"""The office's meeting planning pages over HTTP (SQLite and PostgreSQL): meetings per body with the
Ladungsfrist, "Sitzung anlegen" (also joint), moving and cancelling a meeting; the role matrix of the JSON
API, CSRF, German errors next to the field, htmx fragments."""

from __future__ import annotations

from sqlalchemy import select

from tests.e2e.conftest import Api
from tests.scenario import Scenario
from tests.web.conftest import csrf_of, page_login, page_logout
from tests.web.test_pages import _meeting_url
from workflow.models import Consultation, Meeting

OFFICE = "wetzlar-koordination"
PLANNING = "/wetzlar/sitzungsplanung"
HTMX = {"HX-Request": "true"}


def _world(api: Api) -> tuple[int, int, int]:
    """A planned and an invited meeting of the SJS, a paper on the invited one's agenda."""
    world = Scenario(api.db.sessions)
    paper = world.submitted_paper(subject="Spielplatz am Dom", committees=["sjs"])
    planned = world.new_meeting("sjs", "2013-11-25 17:00")
    invited = world.new_meeting("sjs", "2013-10-28 17:00")
    world.schedule(paper.id, "sjs", invited.id)
    world.invite(invited.id)
    return planned.id, invited.id, paper.id


def test_only_the_office_and_the_administrator_see_the_planning_pages(api: Api) -> None:
    planned, _invited, _ = _world(api)
    url = _meeting_url(api, planned)
    api.clock.set("2013-10-01 10:00")
    paths = (PLANNING, PLANNING + "?gremium=sjs", url + "/verlegen", url + "/absagen")
    for path in paths:
        visitor = api.client.get(path, follow_redirects=False)
        assert visitor.status_code == 303, path
        assert visitor.headers["location"].startswith("/anmelden?weiter=")
    for who, status in (
        ("wetzlar-fachamt", 403),
        ("wetzlar-schrift-sjs", 403),
        ("wetzlar-mitglied", 403),
        ("duisburg-koordination", 403),
        ("wetzlar-admin", 200),
        (OFFICE, 200),
    ):
        page_login(api.client, who)
        for path in paths:
            response = api.client.get(path)
            assert response.status_code == status, (who, path)
            if status == 403:
                assert "Keine Berechtigung" in response.text
        meeting_page = api.client.get(url).text
        assert ("Sitzung verlegen" in meeting_page) is (status == 200), who
        assert ("Sitzungsplanung" in meeting_page) is (status == 200), who
        if status == 403 and who != "duisburg-koordination":
            start = api.client.get("/wetzlar/")
            refused = api.client.post(
                url + "/absagen", data={"csrf_token": csrf_of(start), "grund": "x", "bestaetigt": "ja"}
            )
            assert refused.status_code == 403, who
        page_logout(api.client)
    with api.db.sessions() as s:
        assert s.get_one(Meeting, planned).state == "planned"


def test_forms_without_the_csrf_token_change_nothing(api: Api) -> None:
    planned, _invited, _ = _world(api)
    url = _meeting_url(api, planned)
    api.clock.set("2013-10-01 10:00")
    page_login(api.client, OFFICE)
    with api.db.sessions() as s:
        before = len(s.scalars(select(Meeting.id)).all())
    forms = (
        (PLANNING, {"gremium": "sjs", "datum": "2013-12-02", "beginn": "17:00"}),
        (url + "/verlegen", {"datum": "2013-12-02", "beginn": "17:00"}),
        (url + "/absagen", {"grund": "Keine Vorlagen", "bestaetigt": "ja"}),
    )
    for path, data in forms:
        response = api.client.post(path, data=data)
        assert response.status_code == 403, path
        assert "Das Formular ist abgelaufen" in response.text
    with api.db.sessions() as s:
        assert len(s.scalars(select(Meeting.id)).all()) == before
        row = s.get_one(Meeting, planned)
        assert (row.state, row.sequence) == ("planned", 0)


def test_the_list_shows_each_meeting_with_its_state_and_ladungsfrist_and_the_office_creates_a_joint_meeting(
    api: Api,
) -> None:
    planned, invited, _ = _world(api)
    api.clock.set("2013-10-01 10:00")
    page_login(api.client, OFFICE)
    page = api.client.get(PLANNING + "?gremium=sjs")
    assert page.status_code == 200
    text = page.text
    assert "Kommende Sitzungen · Sozial-, Jugend- und Sportausschuss" in text
    assert "Ladungsfrist: Einladung spätestens" in text  # the planned meeting
    assert "Eingeladen am" in text  # the invited one
    assert text.count('href="' + _meeting_url(api, planned) + '"') == 1
    assert text.count('href="' + _meeting_url(api, invited) + '"') == 1

    fragment = api.client.get(PLANNING + "?gremium=magistrat", headers=HTMX)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="sitzungsliste">')
    assert "<html" not in fragment.text
    assert "Keine kommende Sitzung geplant." in fragment.text
    assert api.client.get(PLANNING + "?gremium=niemand").status_code == 404

    bad = api.client.post(
        PLANNING, data={"csrf_token": csrf_of(page), "datum": "28.10.", "beginn": "17:00", "ende": "16:00"}
    )
    assert bad.status_code == 422
    for field in ("gremium", "datum"):
        assert f'id="fehler-{field}"' in bad.text, field
    assert 'href="#feld-gremium"' in bad.text
    assert 'id="feld-gremium"' in bad.text
    backwards = api.client.post(
        PLANNING,
        data={
            "csrf_token": csrf_of(page),
            "gremium": "sjs",
            "datum": "2013-12-02",
            "beginn": "17:00",
            "ende": "16:00",
        },
    )
    assert backwards.status_code == 422
    assert "Das Ende muss nach dem Beginn liegen." in backwards.text

    created = api.client.post(
        PLANNING,
        data={
            "csrf_token": csrf_of(page),
            "gremium": ["sjs", "kfp"],
            "datum": "2013-12-02",
            "beginn": "17:00",
            "ende": "19:30",
            "ort": "Neues Rathaus, Sitzungssaal",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    assert created.headers["location"] == "/wetzlar/sitzungen/2013-12-02-kfp+sjs"
    with api.db.sessions() as s:
        joint = s.scalars(select(Meeting).order_by(Meeting.id.desc())).first()
        assert joint is not None
        assert sorted(b.key for b in joint.bodies) == ["kfp", "sjs"]
        assert joint.location == "Neues Rathaus, Sitzungssaal"
    shown = api.client.get(created.headers["location"])
    assert "gemeinsame Sitzung" in shown.text
    listed = api.client.get(PLANNING + "?gremium=kfp").text
    assert "(gemeinsame Sitzung)" in listed


def test_the_office_moves_a_meeting_and_a_late_move_of_an_invited_one_needs_urgency(api: Api) -> None:
    planned, invited, _ = _world(api)
    api.clock.set("2013-10-22 10:00")
    page_login(api.client, OFFICE)
    url = _meeting_url(api, planned)
    form = api.client.get(url + "/verlegen")
    assert 'value="2013-11-25"' in form.text
    assert 'value="17:00"' in form.text
    moved = api.client.post(
        url + "/verlegen",
        data={"csrf_token": csrf_of(form), "datum": "2013-11-26", "beginn": "18:00", "ort": "Altes Rathaus"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert moved.headers["location"] == "/wetzlar/sitzungen/2013-11-26-sjs"
    with api.db.sessions() as s:
        row = s.get_one(Meeting, planned)
        assert (row.location, row.sequence) == ("Altes Rathaus", 1)

    url = _meeting_url(api, invited)
    form = api.client.get(url + "/verlegen")
    assert "Für den neuen Termin gilt die Ladungsfrist erneut" in form.text
    earlier = {"csrf_token": csrf_of(form), "datum": "2013-10-24", "beginn": "17:00", "ort": "Rathaus"}
    late = api.client.post(url + "/verlegen", data=earlier)
    assert late.status_code == 422
    assert 'id="fehler-dringlich"' in late.text
    assert "Ladungsfrist versäumt" in late.text
    assert 'value="2013-10-24"' in late.text  # what was typed stays
    no_reason = api.client.post(url + "/verlegen", data={**earlier, "dringlich": "ja"}, headers=HTMX)
    assert no_reason.status_code == 422
    assert no_reason.text.lstrip().startswith('<div id="verlegen">')
    assert 'id="fehler-begruendung"' in no_reason.text
    past = api.client.post(url + "/verlegen", data={**earlier, "datum": "2013-10-01"})
    assert past.status_code == 422
    assert 'id="fehler-datum"' in past.text
    with api.db.sessions() as s:
        assert s.get_one(Meeting, invited).sequence == 0
    urgent = api.client.post(
        url + "/verlegen",
        data={
            **earlier,
            "dringlich": "ja",
            "begruendung": "Der Zuschussantrag muss bis 25.10. gestellt sein.",
        },
        headers=HTMX,
    )
    assert urgent.status_code == 204
    assert urgent.headers["HX-Redirect"] == "/wetzlar/sitzungen/2013-10-24-sjs"
    with api.db.sessions() as s:
        row = s.get_one(Meeting, invited)
        assert (row.sequence, row.urgent, row.state) == (1, True, "invited")


def test_the_office_cancels_a_meeting_with_a_reason_and_its_papers_wait_again(api: Api) -> None:
    _planned, invited, paper = _world(api)
    api.clock.set("2013-10-22 10:00")
    page_login(api.client, OFFICE)
    url = _meeting_url(api, invited)
    form = api.client.get(url + "/absagen")
    assert "Alle Eingeladenen erhalten eine Absage" in form.text
    assert "Spielplatz am Dom" in form.text
    missing = api.client.post(url + "/absagen", data={"csrf_token": csrf_of(form)})
    assert missing.status_code == 422
    assert 'id="fehler-grund"' in missing.text
    assert 'id="fehler-bestaetigt"' in missing.text
    unconfirmed = api.client.post(
        url + "/absagen", data={"csrf_token": csrf_of(form), "grund": "Beschlussunfähig"}
    )
    assert unconfirmed.status_code == 422
    assert "Beschlussunfähig" in unconfirmed.text
    with api.db.sessions() as s:
        assert s.get_one(Meeting, invited).state == "invited"
    done = api.client.post(
        url + "/absagen",
        data={"csrf_token": csrf_of(form), "grund": "Beschlussunfähigkeit absehbar", "bestaetigt": "ja"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == url
    with api.db.sessions() as s:
        row = s.get_one(Meeting, invited)
        assert (row.state, row.cancelled_reason) == ("cancelled", "Beschlussunfähigkeit absehbar")
        step = s.scalars(select(Consultation).where(Consultation.paper_id == paper)).all()
        sjs = next(c for c in step if c.body.key == "sjs")
        assert (sjs.state, sjs.meeting_id) == ("planned", None)
    again = api.client.post(
        url + "/absagen",
        data={"csrf_token": csrf_of(form), "grund": "Noch einmal", "bestaetigt": "ja"},
        headers=HTMX,
    )  # a second tab, sent after the first: said in the form, which htmx swaps in
    assert again.status_code == 422
    assert again.text.lstrip().startswith('<div id="absagen">')
    assert "„absagen“ ist im Zustand „abgesagt“ nicht möglich" in again.text
    late_move = api.client.post(
        url + "/verlegen",
        data={"csrf_token": csrf_of(form), "datum": "2013-11-04", "beginn": "17:00"},
        headers=HTMX,
    )
    assert late_move.status_code == 422
    assert "wurde abgesagt; sie kann nicht mehr verlegt werden" in late_move.text
    page = api.client.get(url).text
    assert "Beschlussunfähigkeit absehbar" in page
    assert "Sitzung verlegen" not in page
    assert "Sitzung absagen" not in page
    for action, words in (("/verlegen", "wurde abgesagt"), ("/absagen", "nicht mehr abgesagt")):
        refused = api.client.get(url + action)
        assert refused.status_code == 409, action
        assert words in refused.text, action
