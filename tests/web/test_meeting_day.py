"""The secretary's meeting day over HTTP: attendance, the quorum, recording a TOP's result through the same use
case as the JSON API, its refusals next to the fields, a resent form recorded once, corrections with a reason,
and who may see the recording controls at all."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tests.e2e.conftest import Api
from tests.scenario import Scenario
from tests.web.conftest import csrf_of, page_login
from tests.web.test_pages import _meeting_url
from workflow.models import AgendaItem, AuditEvent, ItemResult, Meeting, MeetingQuorum

KEY = re.compile(r'name="schluessel" value="([^"]+)"')


@dataclass
class Day:
    url: str
    items: list[int]
    members: list[int]


def _meeting_day(api: Api) -> Day:
    """A Magistrat meeting with two papers, invited; the clock on the meeting's day."""
    world = Scenario(api.db.sessions)
    first = world.submitted_paper(subject="Spielplatz am Dom", committees=["sjs"])
    second = world.submitted_paper(subject="Sporthalle Dalheim", committees=["sjs"])
    meeting = world.new_meeting("magistrat", "2013-10-28 17:00")
    items = [world.schedule(p.id, "magistrat", meeting.id).id for p in (first, second)]
    world.invite(meeting.id)
    api.clock.set("2013-10-28 17:05")
    return Day(_meeting_url(api, meeting.id) + "/sitzungsdienst", items, world.members("magistrat"))


def _attend(api: Api, day: Day, page_text: str, *, absent: int = 1, establish: bool = False) -> None:
    """Record the attendance; ``establish``: and the quorum, as the chair establishes it at the opening."""
    form = {"csrf_token": _csrf(page_text)}
    for person in day.members[: len(day.members) - absent]:
        form[f"person-{person}"] = "anwesend"
    for person in day.members[len(day.members) - absent :]:
        form[f"person-{person}"] = "entschuldigt"
    answer = api.client.post(day.url + "/anwesenheit", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    if establish:
        quorum = {"csrf_token": form["csrf_token"], "gremium": "magistrat"}
        answer = api.client.post(day.url + "/beschlussfaehigkeit", data=quorum, follow_redirects=False)
        assert answer.status_code == 303, answer.text


def _csrf(text: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert match
    return match[1]


def _form(page_text: str, **fields: str) -> dict[str, str]:
    key = KEY.search(page_text)
    assert key, "the TOP form carries no idempotency key"
    return {"csrf_token": _csrf(page_text), "schluessel": key[1], **fields}


def _results(api: Api, item_id: int) -> list[ItemResult]:
    """The TOP's results, loaded with their votes and recusals."""
    with api.db.sessions() as s:
        rows = list(
            s.scalars(
                select(ItemResult)
                .where(ItemResult.agenda_item_id == item_id)
                .options(selectinload(ItemResult.votes), selectinload(ItemResult.recusals))
            )
        )
        s.expunge_all()
        return rows


def test_the_secretary_records_attendance_quorum_and_a_top_and_moves_to_the_next(api: Api) -> None:
    day = _meeting_day(api)
    page_login(api.client, "wetzlar-schrift-magistrat")
    page = api.client.get(day.url)
    assert page.status_code == 200
    assert "Noch nicht erfasst. Vorbelegt" in page.text
    assert f'action="{day.url}/top/{day.items[0]}"' in page.text  # the first open TOP
    _attend(api, day, page.text, absent=1)

    page = api.client.get(day.url + "?gespeichert=anwesenheit")
    assert "Die Anwesenheit ist gespeichert: 11 anwesend." in page.text
    assert (
        "<strong>11</strong> stimmberechtigte Mitglieder anwesend, nötig sind mindestens <strong>6</strong>"
        in (page.text)
    )
    established = api.client.post(
        day.url + "/beschlussfaehigkeit",
        data={"csrf_token": _csrf(page.text), "gremium": "magistrat"},
        follow_redirects=False,
    )
    assert established.status_code == 303
    with api.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(MeetingQuorum)) == 1

    page = api.client.get(day.url)
    assert "Zu Beginn um 17:05 Uhr festgestellt (11 anwesend)" in page.text
    assert 'data-voters="11"' in page.text
    sent = api.client.post(
        f"{day.url}/top/{day.items[0]}",
        data=_form(page.text, ergebnis="recommended", ja="8", nein="2", enthaltung="1"),
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"{day.url}?top={day.items[1]}&gespeichert=top-{day.items[0]}"
    [row] = _results(api, day.items[0])
    assert (row.outcome, row.votes[0].yes, row.votes[0].no, row.votes[0].abstain) == ("recommended", 8, 2, 1)

    after = api.client.get(sent.headers["location"])
    assert "Das Ergebnis von TOP" in after.text
    assert f'action="{day.url}/top/{day.items[1]}"' in after.text  # the next TOP in one step
    assert "Zustimmung empfohlen (8 Ja / 2 Nein / 1 Enthaltung)" in after.text

    # "einstimmig" fills in every voter present; a recusal lowers that number
    recused = day.members[2]
    unanimous = api.client.post(
        f"{day.url}/top/{day.items[1]}",
        data={**_form(after.text, ergebnis="recommended", einstimmig="ja"), "befangen": str(recused)},
        follow_redirects=False,
    )
    assert unanimous.status_code == 303, unanimous.text
    [row] = _results(api, day.items[1])
    assert (row.votes[0].yes, row.votes[0].no, row.votes[0].abstain) == (10, 0, 0)
    assert [r.person_id for r in row.recusals] == [recused]
    assert "Alle TOPs, für die Sie Ergebnisse erfassen, sind erfasst." in api.client.get(day.url).text


def test_refusals_come_back_next_to_their_fields_with_everything_typed(api: Api) -> None:
    day = _meeting_day(api)
    page_login(api.client, "wetzlar-schrift-magistrat")
    page = api.client.get(day.url)
    _attend(api, day, page.text, absent=1, establish=True)
    page = api.client.get(day.url)
    url = f"{day.url}/top/{day.items[0]}"

    too_many = api.client.post(
        url, data=_form(page.text, ergebnis="recommended", ja="9", nein="3", enthaltung="1")
    )
    assert too_many.status_code == 422
    assert 'id="fehler-stimmen"' in too_many.text
    assert "Abstimmung 1 (Beschlussvorschlag)" in too_many.text
    assert "&gt; 11 anwesende Stimmberechtigte" in too_many.text
    assert 'aria-describedby="stimmen-summe stimmen-live fehler-stimmen"' in too_many.text
    assert 'name="ja" value="9"' in too_many.text  # what was typed stays
    assert 'name="nein" value="3"' in too_many.text
    assert 'value="recommended" checked' in too_many.text

    mismatch = api.client.post(
        url,
        data=_form(
            page.text,
            ergebnis="recommended",
            ja="6",
            nein="2",
            **{"fraktion-spd-ja": "3", "fraktion-cdu-ja": "3", "fraktion-gruene-ja": "1"},
        ),
    )
    assert mismatch.status_code == 422
    assert 'id="fehler-stimmen"' in mismatch.text
    assert "Die Fraktionen haben zusammen 7 Stimmen „Ja“, gezählt sind 6" in mismatch.text
    assert 'name="fraktion-cdu-ja" data-column="ja" value="3"' in mismatch.text

    no_outcome = api.client.post(url, data=_form(page.text, ja="x"))
    assert no_outcome.status_code == 422
    assert 'id="fehler-ergebnis"' in no_outcome.text
    assert "Bitte wählen Sie das Ergebnis des TOP." in no_outcome.text
    assert "„Ja“: Bitte eine ganze Zahl ab 0 eingeben." in no_outcome.text
    assert _results(api, day.items[0]) == []

    no_csrf = api.client.post(url, data={"ergebnis": "recommended", "ja": "8", "nein": "2"})
    assert no_csrf.status_code == 403
    assert "Das Formular ist abgelaufen" in no_csrf.text
    assert _results(api, day.items[0]) == []


def test_a_resent_form_records_once_and_a_correction_needs_a_reason(api: Api) -> None:
    day = _meeting_day(api)
    page_login(api.client, "wetzlar-schrift-magistrat")
    page = api.client.get(day.url)
    _attend(api, day, page.text, absent=0, establish=True)
    page = api.client.get(day.url)
    url = f"{day.url}/top/{day.items[0]}"
    form = _form(page.text, ergebnis="recommended", ja="10", nein="2")
    first = api.client.post(url, data=form, follow_redirects=False)
    again = api.client.post(url, data=form, follow_redirects=False)  # the answer was lost; sent again
    assert first.status_code == 303
    assert again.status_code == 303, re.findall(r"kern-error.*?</p>|<li>.*?</li>", again.text, re.S)
    assert first.headers["location"] == again.headers["location"]
    assert len(_results(api, day.items[0])) == 1
    with api.db.sessions() as s:
        recorded = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "result.recorded")
        )
    assert recorded == 1

    page = api.client.get(f"{day.url}?top={day.items[0]}")
    assert "Berichtigung speichern" in page.text
    assert 'name="ja" value="10"' in page.text  # the correction starts from the recorded result
    assert 'name="revision" value="1"' in page.text
    no_reason = api.client.post(
        url, data=_form(page.text, ergebnis="recommended", ja="9", nein="3", revision="1")
    )
    assert no_reason.status_code == 422
    assert 'id="fehler-grund"' in no_reason.text
    assert _results(api, day.items[0])[0].revision == 1
    corrected = api.client.post(
        url,
        data=_form(page.text, ergebnis="recommended", ja="9", nein="3", grund="Zählfehler", revision="1"),
        follow_redirects=False,
    )
    assert corrected.status_code == 303, corrected.text
    [row] = _results(api, day.items[0])
    assert (row.revision, row.votes[0].yes, row.votes[0].no) == (2, 9, 3)
    with api.db.sessions() as s:
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "result.corrected")).one()
        assert audit.reason == "Zählfehler"


def test_only_the_bodys_secretary_gets_the_recording_controls(api: Api) -> None:
    day = _meeting_day(api)
    meeting_url = day.url.removesuffix("/sitzungsdienst")
    page_login(api.client, "wetzlar-schrift-sjs")
    assert "Sitzungsdienst:" not in api.client.get(meeting_url).text
    refused = api.client.get(day.url)
    assert refused.status_code == 403
    assert "Die Schriftführung erfasst nur Sitzungen der eigenen Gremien" in refused.text
    form = {
        "csrf_token": csrf_of(api.client.get(meeting_url)),
        "ergebnis": "recommended",
        "ja": "1",
        "nein": "0",
    }
    assert api.client.post(f"{day.url}/top/{day.items[0]}", data=form).status_code == 403
    assert _results(api, day.items[0]) == []
    api.client.cookies.clear()

    for username in ("wetzlar-fachamt", "wetzlar-mitglied", "wetzlar-koordination"):
        page_login(api.client, username)
        assert "Sitzungsdienst:" not in api.client.get(meeting_url).text, username
        assert api.client.get(day.url).status_code == 403, username
        api.client.cookies.clear()
    assert api.client.get(day.url, follow_redirects=False).headers["location"].startswith("/anmelden")

    page_login(api.client, "wetzlar-schrift-magistrat")
    assert "Sitzungsdienst: Anwesenheit und Ergebnisse erfassen" in api.client.get(meeting_url).text
    with api.db.sessions() as s:
        assert s.get_one(AgendaItem, day.items[0]).result is None


def test_htmx_gets_the_days_part_of_the_page_and_the_address_to_show(api: Api) -> None:
    day = _meeting_day(api)
    page_login(api.client, "wetzlar-schrift-magistrat")
    page = api.client.get(day.url)
    form = {"csrf_token": _csrf(page.text), "top": str(day.items[0])}
    form.update({f"person-{p}": "anwesend" for p in day.members})
    swapped = api.client.post(day.url + "/anwesenheit", data=form, headers={"HX-Request": "true"})
    assert swapped.status_code == 200
    assert swapped.text.lstrip().startswith('<div id="sitzungstag"')
    assert "<html" not in swapped.text
    assert swapped.headers["HX-Push-Url"] == f"{day.url}?top={day.items[0]}"
    assert "Die Anwesenheit ist gespeichert: 12 anwesend." in swapped.text
    quorum = {"csrf_token": form["csrf_token"], "gremium": "magistrat"}
    assert (
        api.client.post(day.url + "/beschlussfaehigkeit", data=quorum, follow_redirects=False).status_code
        == 303
    )
    refused = api.client.post(
        f"{day.url}/top/{day.items[0]}",
        data=_form(page.text, ergebnis="recommended", ja="13", nein="0"),
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 422
    assert refused.text.lstrip().startswith('<div id="sitzungstag"')
    assert 'id="fehler-stimmen"' in refused.text


def test_faction_counts_named_votes_the_lack_of_quorum_and_the_minutes(api: Api) -> None:
    day = _meeting_day(api)
    page_login(api.client, "wetzlar-schrift-magistrat")
    page = api.client.get(day.url)
    _attend(api, day, page.text, absent=0)
    page = api.client.get(day.url)
    csrf = _csrf(page.text)
    post = partial(api.client.post, follow_redirects=False)
    assert (
        post(day.url + "/beschlussfaehigkeit", data={"csrf_token": csrf, "gremium": "magistrat"}).status_code
        == 303
    )
    herget = day.members[2]  # SPD
    fields = {"fraktion-spd-ja": "3", "fraktion-cdu-nein": "2", f"namentlich-{herget}": "ja"}
    sent = post(
        f"{day.url}/top/{day.items[0]}",
        data=_form(page.text, ergebnis="recommended", ja="10", nein="2", **fields),
    )
    assert sent.status_code == 303, sent.text
    with api.db.sessions() as s:
        vote = s.scalars(select(ItemResult).where(ItemResult.agenda_item_id == day.items[0])).one().votes[0]
        assert [(fc.yes, fc.no, fc.abstain) for fc in vote.faction_counts] == [(3, 0, 0), (0, 2, 0)]
        assert [(n.person_id, n.choice) for n in vote.named] == [(herget, "yes")]

    page = api.client.get(day.url)
    lack = {"csrf_token": csrf, "gremium": "magistrat", "aktion": "fehlen", "ab_top": str(day.items[1])}
    assert post(day.url + "/beschlussfaehigkeit", data=lack).status_code == 303
    page = api.client.get(day.url)
    assert "Die Beschlussunfähigkeit wurde um 17:05 Uhr festgestellt" in page.text
    refused = post(
        f"{day.url}/top/{day.items[1]}", data=_form(page.text, ergebnis="recommended", ja="10", nein="0")
    )
    assert refused.status_code == 422
    assert 'id="fehler-ergebnis"' in refused.text  # the lack of quorum concerns the outcome
    deferred = post(f"{day.url}/top/{day.items[1]}", data=_form(page.text, ergebnis="deferred", mangels="ja"))
    assert deferred.status_code == 303, deferred.text

    page = api.client.get(day.url)
    approved = post(day.url + "/niederschrift", data={"csrf_token": csrf})
    assert approved.status_code == 303
    with api.db.sessions() as s:
        assert s.get_one(Meeting, s.get_one(AgendaItem, day.items[0]).meeting_id).state == "minutes_approved"
    page = api.client.get(day.url)
    assert "Die Genehmigung der Niederschrift ist erfasst." not in page.text  # no message without a change
    assert 'class="top-form"' not in page.text  # nothing left to record after the approval
