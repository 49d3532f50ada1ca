"""The coordination office invites from the invitation page: the deadline with the days left is shown, a
preview of what the invitation says, a late invitation is refused with the reason next to the field unless
urgent with a reason; only the office sees the page."""

from __future__ import annotations

import re

from tests.e2e.conftest import Api
from tests.scenario import Scenario, berlin
from tests.web.conftest import csrf_of, page_login
from tests.web.test_pages import _meeting_url
from workers.documents import DocumentKind, generate_document
from workflow import meetings
from workflow.models import Meeting


def test_a_late_invitation_is_refused_and_a_timely_one_goes_out(api: Api) -> None:
    world = Scenario(api.db.sessions)
    paper = world.submitted_paper(subject="Spielplatz am Dom", committees=["sjs"])
    meeting = world.new_meeting("sjs", "2013-10-28 17:00")
    world.schedule(paper.id, "sjs", meeting.id)
    url = _meeting_url(api, meeting.id)

    for who in ("wetzlar-fachamt", "wetzlar-schrift-stvv", "wetzlar-mitglied"):  # not theirs to send
        page_login(api.client, who)
        assert "Einladung prüfen" not in api.client.get(url).text
        refused = api.client.get(url + "/einladung")
        assert refused.status_code == 403, who
        assert "Keine Berechtigung" in refused.text
        assert "Einladung versenden" not in refused.text
        sent = api.client.post(url + "/einladung", data={"csrf_token": csrf_of(api.client.get("/wetzlar/"))})
        assert sent.status_code == 403, who
        api.client.cookies.clear()
    anonymous = api.client.get(url + "/einladung", follow_redirects=False)
    assert anonymous.status_code == 303

    api.clock.set("2013-10-27 10:00")
    page_login(api.client, "wetzlar-koordination")
    assert "Einladung prüfen und versenden" in api.client.get(url).text
    url += "/einladung"
    page = api.client.get(url)
    assert "Einladung versenden" in page.text
    assert "Die Ladungsfrist ist verstrichen" in page.text
    assert "Frist verstrichen" in page.text
    assert "Entwurf: Einladung zur Sitzung" in page.text
    assert "Spielplatz am Dom (Drucksache" in page.text
    no_token = api.client.post(url, data={})
    assert no_token.status_code == 403
    late = api.client.post(url, data={"csrf_token": csrf_of(page)})
    assert late.status_code == 422
    assert 'id="fehler-dringlich"' in late.text
    assert "Ladungsfrist versäumt" in late.text
    no_reason = api.client.post(url, data={"csrf_token": csrf_of(page), "dringlich": "ja"})
    assert no_reason.status_code == 422
    assert 'id="fehler-begruendung"' in no_reason.text
    with api.db.sessions() as s:
        assert s.get_one(Meeting, meeting.id).state == "planned"

    api.clock.set("2013-10-10 10:00")
    page = api.client.get(url)
    assert "Die Einladung muss bis" in page.text
    assert "<strong>noch 13 Tage</strong>" in page.text  # until 23.10.2013, 23:59
    sent = api.client.post(url, data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert sent.status_code == 303
    with api.db.sessions() as s:
        assert s.get_one(Meeting, meeting.id).state == "invited"
    after = api.client.get(sent.headers["location"]).text
    assert "Die Einladung ist versandt." in after
    assert "Einladung versenden" not in after
    assert "Entwurf:" not in after


def test_the_invitation_page_offers_the_latest_generated_document_and_says_when_it_is_older(api: Api) -> None:
    world = Scenario(api.db.sessions)
    meeting = world.new_meeting("sjs", "2013-10-28 17:00")
    meetings.add_agenda_item(
        api.db.sessions,
        actor="test",
        meeting_id=meeting.id,
        title="Mitteilungen",
        now=berlin("2013-10-01 10:00"),
    )
    for version, when in ((1, "2013-10-01 10:01"), (2, "2013-10-01 10:02")):
        with api.db.sessions() as s, s.begin():
            key = f"invitation:{meeting.id}:test-{version}"
            generate_document(
                s, kind=DocumentKind.INVITATION, subject_id=meeting.id, output_key=key, now=berlin(when)
            )
    url = _meeting_url(api, meeting.id) + "/einladung"
    api.clock.set("2013-10-02 10:00")
    page_login(api.client, "wetzlar-koordination")
    page = api.client.get(url).text
    assert "(Word, Fassung 2)" in page
    assert "Fassung 1" not in page
    assert "erzeugt vor der letzten Änderung" not in page
    downloaded = api.client.get(re.findall(r'href="(/wetzlar/dokumente/[^"]+)"', page)[0])
    assert downloaded.status_code == 200
    assert downloaded.content.startswith(b"PK")  # a .docx is a zip

    meetings.add_agenda_item(
        api.db.sessions, actor="test", meeting_id=meeting.id, title="Anfragen", now=berlin("2013-10-02 10:00")
    )
    page = api.client.get(url).text
    assert "(Word, Fassung 2)</a> – erzeugt vor der letzten Änderung der Tagesordnung" in page
    assert "Anfragen" in page.split("Vorschau der Einladung")[1]


def test_the_preview_of_a_second_session_says_what_the_invitation_must_point_out(api: Api) -> None:
    meeting = Scenario(api.db.sessions).new_meeting("sjs", "2013-10-28 17:00", second_session=True)
    api.clock.set("2013-10-02 10:00")
    page_login(api.client, "wetzlar-koordination")
    page = api.client.get(_meeting_url(api, meeting.id) + "/einladung").text
    assert "Zweite Sitzung zu denselben Gegenständen nach Beschlussunfähigkeit" in page
