"""The coordination office invites from the meeting page: the deadline is shown, a late invitation is refused
with the reason next to the field unless urgent with a reason."""

from __future__ import annotations

from tests.e2e.conftest import Api
from tests.scenario import Scenario
from tests.web.conftest import csrf_of, page_login
from tests.web.test_pages import _meeting_url
from workflow.models import Meeting


def test_a_late_invitation_is_refused_and_a_timely_one_goes_out(api: Api) -> None:
    world = Scenario(api.db.sessions)
    paper = world.submitted_paper(subject="Spielplatz am Dom", committees=["sjs"])
    meeting = world.new_meeting("sjs", "2013-10-28 17:00")
    world.schedule(paper.id, "sjs", meeting.id)
    url = _meeting_url(api, meeting.id)

    page_login(api.client, "wetzlar-fachamt")
    assert "Einladung versenden" not in api.client.get(url).text  # not the department's to send
    api.client.cookies.clear()

    api.clock.set("2013-10-27 10:00")
    page_login(api.client, "wetzlar-koordination")
    page = api.client.get(url)
    assert "Einladung versenden" in page.text
    assert "Die Ladungsfrist ist verstrichen" in page.text
    late = api.client.post(url + "/einladung", data={"csrf_token": csrf_of(page)})
    assert late.status_code == 422
    assert 'id="fehler-dringlich"' in late.text
    assert "Ladungsfrist versäumt" in late.text
    no_reason = api.client.post(url + "/einladung", data={"csrf_token": csrf_of(page), "dringlich": "ja"})
    assert no_reason.status_code == 422
    assert 'id="fehler-begruendung"' in no_reason.text
    with api.db.sessions() as s:
        assert s.get_one(Meeting, meeting.id).state == "planned"

    api.clock.set("2013-10-10 10:00")
    page = api.client.get(url)
    assert "Die Einladung muss bis" in page.text
    sent = api.client.post(url + "/einladung", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert sent.status_code == 303
    with api.db.sessions() as s:
        assert s.get_one(Meeting, meeting.id).state == "invited"
    assert "Einladung versenden" not in api.client.get(url).text
