"""The coordination office's agenda builder over HTTP: who may use it, papers waiting for the body onto the
public or non-public part, plain items, ordering and removal through the use cases, errors next to the field,
the htmx fragment, late items after the invitation, and the CSRF check."""

from __future__ import annotations

import re

from tests.e2e.conftest import Api
from tests.scenario import Scenario
from tests.web.conftest import csrf_of, page_login
from tests.web.test_pages import _meeting_url
from workflow.models import AuditEvent, Meeting

OFFICE = "wetzlar-koordination"


def csrf_of_page(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match[1]


def _steps(page: str) -> list[str]:
    """The steps the list of waiting papers offers, in order (each has a button per part it may go on)."""
    return list(dict.fromkeys(re.findall(r'name="(?:nicht)?oeffentlich" value="(\d+)"', page)))


def _numbers(page: str) -> list[tuple[str, str]]:
    """(number, title) of each TOP shown by the builder, in order."""
    found = re.findall(
        r'agenda-builder__number">([^<]+)</span>\s*<span class="agenda-builder__title">(?:<a [^>]+>)?([^<]+)',
        page,
    )
    return [(n, t) for n, t in found]


def _world(api: Api) -> tuple[str, int]:
    world = Scenario(api.db.sessions)
    world.submitted_paper(subject="Spielplatz am Dom", committees=["sjs"])
    world.submitted_paper(subject="Grundstückskauf", committees=["sjs"], public=False)
    meeting = world.new_meeting("sjs", "2013-10-28 17:00")
    return _meeting_url(api, meeting.id), meeting.id


def test_only_the_office_builds_the_agenda(api: Api) -> None:
    url, _ = _world(api)
    api.clock.set("2013-10-01 10:00")
    anonymous = api.client.get(url + "/tagesordnung", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/anmelden?weiter=")
    for who in ("wetzlar-fachamt", "wetzlar-schrift-stvv", "wetzlar-mitglied"):
        page_login(api.client, who)
        refused = api.client.get(url + "/tagesordnung")
        assert refused.status_code == 403, who
        assert "Keine Berechtigung" in refused.text
        assert "Spielplatz am Dom" not in refused.text
        csrf = csrf_of(api.client.get("/wetzlar/"))
        sent = api.client.post(
            url + "/tagesordnung/punkte", data={"csrf_token": csrf, "titel": "Mitteilungen"}
        )
        assert sent.status_code == 403, who
        api.client.cookies.clear()
    with api.db.sessions() as s:
        assert not s.scalars(
            AuditEvent.__table__.select().where(AuditEvent.action == "agenda_item.added")
        ).all()


def test_the_office_fills_orders_and_trims_the_agenda(api: Api) -> None:
    url, meeting_id = _world(api)
    api.clock.set("2013-10-01 10:00")
    page_login(api.client, OFFICE)
    page = api.client.get(url + "/tagesordnung")
    assert page.status_code == 200
    assert "Wartende Vorlagen" in page.text
    assert "Noch keine Tagesordnungspunkte." in page.text
    csrf = csrf_of(page)
    step = _steps(page.text)
    assert len(step) == 2
    # The non-public paper offers only the non-public part.
    assert page.text.count('name="oeffentlich"') == 1
    assert page.text.count('name="nichtoeffentlich"') == 2

    refused = api.client.post(url + "/tagesordnung/punkte", data={"titel": "Mitteilungen"})
    assert refused.status_code == 403
    assert "Das Formular ist abgelaufen" in refused.text

    added = api.client.post(
        url + "/tagesordnung/vorlagen",
        data={"csrf_token": csrf, "schritt": step[0], "teil": "oeffentlich"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert "gespeichert=neu-" in added.headers["location"]
    shown = api.client.get(added.headers["location"]).text
    assert "„Spielplatz am Dom“ steht jetzt als TOP Ö 1 auf der Tagesordnung." in shown
    api.client.post(
        url + "/tagesordnung/vorlagen",
        data={"csrf_token": csrf, "schritt": step[1], "teil": "nichtoeffentlich"},
    )
    empty = api.client.post(
        url + "/tagesordnung/punkte", data={"csrf_token": csrf, "titel": " ", "teil": "oeffentlich"}
    )
    assert empty.status_code == 422
    assert 'id="fehler-titel"' in empty.text
    assert 'aria-invalid="true"' in empty.text
    for title in ("Mitteilungen", "Anfragen"):
        form = api.client.get(url + "/tagesordnung").text
        key = re.findall(r'name="schluessel" value="([^"]+)"', form)[0]
        data = {"csrf_token": csrf, "titel": title, "teil": "oeffentlich", "schluessel": key}
        first = api.client.post(url + "/tagesordnung/punkte", data=data, follow_redirects=False)
        again = api.client.post(url + "/tagesordnung/punkte", data=data, follow_redirects=False)
        assert first.headers["location"] == again.headers["location"]  # sent twice, added once
    page = api.client.get(url + "/tagesordnung").text
    assert _numbers(page) == [
        ("Ö 1", "Spielplatz am Dom"),
        ("Ö 2", "Mitteilungen"),
        ("Ö 3", "Anfragen"),
        ("N 1", "Grundstückskauf"),
    ]
    assert "Keine Vorlage wartet auf diese Sitzung." in page

    with api.db.sessions() as s:
        items = {i.title: i.id for i in s.get_one(Meeting, meeting_id).agenda_items}
    # Up by its button (a plain form) and to the top by the same form with any position (drag and drop), via htmx.
    # Only the TOP chosen with "Ändern" shows its buttons; the moved one keeps them.
    assert 'name="verschieben" value="' not in page.replace('name="verschieben" value=""', "")
    assert f'href="?auswahl={items["Anfragen"]}#feld-top-{items["Anfragen"]}"' in page
    chosen = api.client.get(url + f"/tagesordnung?auswahl={items['Anfragen']}").text
    assert f'name="verschieben" value="{items["Anfragen"]}:1"' in chosen
    assert chosen.count('name="verschieben" value="') == 1 + 2  # the last TOP's "Nach oben", each part's drop
    assert api.client.get(url + "/tagesordnung?auswahl=abc").status_code == 200
    up = api.client.post(
        url + "/tagesordnung/aendern", data={"csrf_token": csrf, "verschieben": f"{items['Anfragen']}:1"}
    )
    assert up.status_code == 200
    fragment = api.client.post(
        url + "/tagesordnung/aendern",
        data={"csrf_token": csrf, "verschieben": f"{items['Anfragen']}:0"},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="tagesordnung"')
    assert "„Anfragen“ ist jetzt TOP Ö 1." in fragment.text
    assert 'data-moved="true"' in fragment.text
    assert f'name="verschieben" value="{items["Anfragen"]}:1"' in fragment.text  # now first: "Nach unten"
    assert [t for _, t in _numbers(fragment.text)] == [
        "Anfragen",
        "Spielplatz am Dom",
        "Mitteilungen",
        "Grundstückskauf",
    ]
    outside = api.client.post(
        url + "/tagesordnung/aendern",
        data={"csrf_token": csrf, "verschieben": f"{items['Grundstückskauf']}:1"},
        headers={"HX-Request": "true"},
    )
    assert outside.status_code == 422
    assert f'id="fehler-top-{items["Grundstückskauf"]}"' in outside.text
    assert "nichtöffentlichen Teil" in outside.text

    for nonsense in (
        {},
        {"verschieben": "x:1"},
        {"verschieben": f"{items['Anfragen']}:oben"},
        {"entfernen": "x"},
    ):
        refused = api.client.post(url + "/tagesordnung/aendern", data={"csrf_token": csrf, **nonsense})
        assert refused.status_code == 422, nonsense
        assert 'class="kern-error' in refused.text or "kern-alert--danger" in refused.text
    removed = api.client.post(
        url + "/tagesordnung/aendern", data={"csrf_token": csrf, "entfernen": items["Spielplatz am Dom"]}
    )
    page = removed.text
    assert "Der TOP ist von der Tagesordnung genommen" in page
    assert _numbers(page) == [("Ö 1", "Anfragen"), ("Ö 2", "Mitteilungen"), ("N 1", "Grundstückskauf")]
    assert "Spielplatz am Dom" in page.split("Wartende Vorlagen")[1].split("TOP ohne Vorlage")[0]
    resent = api.client.post(
        url + "/tagesordnung/aendern", data={"csrf_token": csrf, "entfernen": items["Spielplatz am Dom"]}
    )
    assert resent.status_code == 422
    assert "Diesen TOP gibt es nicht mehr auf der Tagesordnung" in resent.text

    # After the invitation: a new TOP is a late item, removal is the body's, the rule is named.
    invited = api.client.post(url + "/einladung", data={"csrf_token": csrf}, follow_redirects=False)
    assert invited.status_code == 303, invited.text[-3000:]
    api.clock.set("2013-10-25 10:00")
    page_login(api.client, OFFICE)
    page = api.client.get(url + "/tagesordnung").text
    csrf = csrf_of_page(page)
    assert "Die Einladung ist versandt." in page
    assert "Zwei Drittel der gesetzlichen Zahl der Mitglieder" in page
    assert "Entfernen" not in page
    late = api.client.post(
        url + "/tagesordnung/vorlagen", data={"csrf_token": csrf, "schritt": step[0], "teil": "oeffentlich"}
    )
    assert "(nachträglich aufgenommen)" in late.text
    assert "nachträglich aufgenommen</span>" in late.text
    gone = api.client.post(
        url + "/tagesordnung/aendern", data={"csrf_token": csrf, "entfernen": items["Anfragen"]}
    )
    assert gone.status_code == 422
    assert "Nach der Einladung kann nur das Gremium einen TOP absetzen" in gone.text


def _waiting_part(page: str) -> str:
    return page.split('id="wartend-titel"')[1].split('id="punkt-titel"')[0]


def test_the_waiting_papers_come_10_at_a_time_with_the_count_a_filter_and_pages(api: Api) -> None:
    world = Scenario(api.db.sessions)
    for n in range(1, 53):
        world.submitted_paper(subject=f"Vorlage Nummer {n:02}", committees=["sjs"])
    meeting = world.new_meeting("sjs", "2013-10-28 17:00")
    url = _meeting_url(api, meeting.id) + "/tagesordnung"
    api.clock.set("2013-10-01 10:00")
    page_login(api.client, OFFICE)
    first = api.client.get(url).text
    waiting = _waiting_part(first)
    assert "(1–10 von 52 Vorlagen)" in waiting
    assert len(_steps(waiting)) == 10
    assert "Vorlage Nummer 10" in waiting
    assert "Vorlage Nummer 11" not in waiting
    assert f'rel="next" href="{url}?seite=2"' in waiting

    third = _waiting_part(api.client.get(url + "?seite=6").text)
    assert "(51–52 von 52 Vorlagen)" in third
    assert "Vorlage Nummer 52" in third
    last_step = _steps(third)[-1]
    assert '<input type="hidden" name="seite" value="6">' in third

    # A paper of the last page goes on the agenda; the plain form comes back to that page.
    # (The list's buttons send the step under the part's name.)
    added = api.client.post(
        url + "/vorlagen",
        data={"csrf_token": csrf_of_page(first), "oeffentlich": last_step, "seite": "6"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert added.headers["location"].startswith(url + "?gespeichert=neu-")
    assert added.headers["location"].endswith("&seite=6")
    after = api.client.get(added.headers["location"]).text
    assert "„Vorlage Nummer 52“ steht jetzt als TOP Ö 1 auf der Tagesordnung." in after
    assert "(51 von 51 Vorlagen)" in _waiting_part(after)
    again = api.client.post(
        url + "/vorlagen",
        data={"csrf_token": csrf_of_page(first), "schritt": last_step, "teil": "oeffentlich"},
    )
    assert again.status_code == 422
    assert "Diese Vorlage wartet nicht (mehr) auf diese Sitzung." in again.text
    unknown = api.client.post(
        url + "/vorlagen", data={"csrf_token": csrf_of_page(first), "schritt": "abc", "teil": "oeffentlich"}
    )
    assert unknown.status_code == 422

    words = api.client.get(url + "?q=NUMMER+vorlage+5").text
    assert "(7 Vorlagen)" in _waiting_part(words)  # 05, 15, 25, 35, 45, 50, 51 (52 is on the agenda)
    assert 'name="q" value="NUMMER vorlage 5"' in words
    assert "Keine wartende Vorlage mit „Haushalt“." in api.client.get(url + "?q=Haushalt").text
    kept = _waiting_part(api.client.get(url + "?q=Vorlage&seite=2").text)
    assert f'rel="prev" href="{url}?q=Vorlage"' in kept
    assert '<input type="hidden" name="q" value="Vorlage">' in kept

    for bad in ("abc", "-1", "0"):
        answer = api.client.get(f"{url}?seite={bad}")
        assert answer.status_code == 200, bad
        assert f"„{bad}“ ist keine Seitenzahl; angezeigt wird Seite 1." in answer.text
        assert "(1–10 von 51 Vorlagen)" in answer.text
    assert "(51 von 51 Vorlagen)" in api.client.get(url + "?seite=9").text  # past the last: the last
    fragment = api.client.get(url + "?seite=2", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="tagesordnung"')
