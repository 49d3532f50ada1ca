"""The meeting day's TOP form beyond one vote: earlier votes on other subjects before the main vote, the casting
vote where the body's tie rule gives one, who presided, and the approval a late item needs; each through the
same use case as the JSON API, its refusals next to the field they concern."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.e2e.conftest import Api
from tests.scenario import Scenario
from tests.web.conftest import page_login
from tests.web.test_meeting_day import Day, _attend, _form, _results
from tests.web.test_pages import _meeting_url
from workflow.models import ItemResult


def _day_with_late_item(api: Api) -> Day:
    """A Magistrat meeting with two papers invited in time and a third put on the agenda after the invitation."""
    world = Scenario(api.db.sessions)
    papers = [
        world.submitted_paper(subject=subject, committees=["sjs"])
        for subject in ("Spielplatz am Dom", "Sporthalle Dalheim", "Eilige Sache")
    ]
    meeting = world.new_meeting("magistrat", "2013-10-28 17:00")
    items = [world.schedule(p.id, "magistrat", meeting.id).id for p in papers[:2]]
    world.invite(meeting.id)
    items.append(world.schedule(papers[2].id, "magistrat", meeting.id, when="2013-10-27 09:00").id)
    api.clock.set("2013-10-28 17:05")
    return Day(_meeting_url(api, meeting.id) + "/sitzungsdienst", items, world.members("magistrat"))


def _ready(api: Api) -> tuple[Day, str]:
    day = _day_with_late_item(api)
    page_login(api.client, "wetzlar-schrift-magistrat")
    page = api.client.get(day.url)
    _attend(api, day, page.text, absent=1, establish=True)
    return day, api.client.get(day.url).text


def test_earlier_votes_come_before_the_main_vote_and_a_plain_form_adds_a_row(api: Api) -> None:
    day, page = _ready(api)
    url = f"{day.url}/top/{day.items[0]}"
    assert 'name="weitere_anzahl" value="0"' in page
    more = api.client.post(url, data=_form(page, ergebnis="recommended", ja="7", aktion="weitere"))
    assert more.status_code == 200
    assert 'name="weitere-1-gegenstand"' in more.text
    assert 'name="ja" value="7"' in more.text  # what was typed stays
    assert _results(api, day.items[0]) == []  # asking for a row records nothing

    no_subject = api.client.post(
        url,
        data=_form(
            page,
            ergebnis="recommended_amended",
            beschlusstext="Mit der Änderung der SPD",
            ja="8",
            nein="3",
            weitere_anzahl="1",
            **{"weitere-1-ja": "6", "weitere-1-nein": "5"},
        ),
    )
    assert no_subject.status_code == 422
    assert 'id="fehler-weitere"' in no_subject.text
    assert "Bitte angeben, worüber abgestimmt wurde." in no_subject.text
    assert _results(api, day.items[0]) == []

    sent = api.client.post(
        url,
        data=_form(
            page,
            ergebnis="recommended_amended",
            beschlusstext="Mit der Änderung der SPD",
            gegenstand="Beschlussvorschlag in geänderter Fassung",
            ja="8",
            nein="3",
            weitere_anzahl="2",
            **{
                "weitere-1-gegenstand": "Änderungsantrag der SPD",
                "weitere-1-ja": "6",
                "weitere-1-nein": "5",
                "weitere-2-gegenstand": "",  # an empty row is left out
            },
        ),
        follow_redirects=False,
    )
    assert sent.status_code == 303, re.findall(r'class="kern-error".*?</p>', sent.text, re.S)
    [row] = _results(api, day.items[0])
    votes = sorted(row.votes, key=lambda v: v.position)
    assert [(v.subject, v.yes, v.no, v.decisive) for v in votes] == [
        ("Änderungsantrag der SPD", 6, 5, False),
        ("Beschlussvorschlag in geänderter Fassung", 8, 3, True),
    ]

    correction = api.client.get(f"{day.url}?top={day.items[0]}").text
    assert 'name="weitere-1-gegenstand" value="Änderungsantrag der SPD"' in correction
    assert 'name="gegenstand" value="Beschlussvorschlag in geänderter Fassung"' in correction


def test_the_magistrat_records_the_casting_vote_and_who_presided(api: Api) -> None:
    day, page = _ready(api)
    url = f"{day.url}/top/{day.items[0]}"
    assert 'name="stichentscheid"' in page  # the Magistrat's chair decides a tie (§ 68 HGO)
    deputy = day.members[1]
    sent = api.client.post(
        url,
        data=_form(
            page,
            ergebnis="recommended",
            ja="5",
            nein="5",
            enthaltung="1",
            stichentscheid="ja",
            leitung=str(deputy),
        ),
        follow_redirects=False,
    )
    assert sent.status_code == 303, re.findall(r'class="kern-error".*?</p>', sent.text, re.S)
    [row] = _results(api, day.items[0])
    assert (row.votes[0].casting_vote, row.presided_by_id) == ("yes", deputy)

    # the casting vote is the presiding member's own: a named vote saying otherwise is refused at the votes
    after = api.client.get(day.url).text
    named = {f"namentlich-{p}": "ja" for p in day.members[:5]}
    named.update({f"namentlich-{p}": "nein" for p in day.members[5:10]})
    named[f"namentlich-{day.members[10]}"] = "enthaltung"
    refused = api.client.post(
        f"{day.url}/top/{day.items[1]}",
        data=_form(
            after,
            ergebnis="recommended",
            ja="5",
            nein="5",
            enthaltung="1",
            stichentscheid="ja",
            leitung=str(day.members[6]),
            **named,
        ),
    )
    assert refused.status_code == 422
    assert 'id="fehler-stimmen"' in refused.text
    assert "Bei Stimmengleichheit entscheidet die Stimme" in refused.text
    assert 'name="leitung"' in refused.text
    assert f'value="{day.members[6]}" selected' in refused.text
    assert _results(api, day.items[1]) == []


def test_a_late_item_needs_the_approval_typed_next_to_it(api: Api) -> None:
    day, page = _ready(api)
    late = day.items[2]
    page = api.client.get(f"{day.url}?top={late}").text
    assert "Nach der Einladung aufgenommen" in page
    assert "mindestens 8 Mitglieder zustimmen" in page  # 2/3 of the Magistrat's 12 (§ 58 Abs. 2 HGO)
    url = f"{day.url}/top/{late}"

    missing = api.client.post(url, data=_form(page, ergebnis="recommended", einstimmig="ja"))
    assert missing.status_code == 422
    assert 'id="fehler-zustimmung"' in missing.text
    assert "wurde nach der Einladung aufgenommen" in missing.text
    assert _results(api, late) == []

    sent = api.client.post(
        url, data=_form(page, ergebnis="recommended", einstimmig="ja", zustimmung="9"), follow_redirects=False
    )
    assert sent.status_code == 303
    with api.db.sessions() as s:
        assert s.scalar(select(ItemResult.late_item_approval).where(ItemResult.agenda_item_id == late)) == 9

    # an item in time has no such field
    first = api.client.get(f"{day.url}?top={day.items[0]}").text
    assert "Nach der Einladung aufgenommen" not in first
