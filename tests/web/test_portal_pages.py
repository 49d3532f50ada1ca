"""The public portal over HTTP, without a login, on SQLite and PostgreSQL: the start page, the meeting calendar,
the pages of bodies, persons and factions, the Atom feeds (valid XML, the right entries, nothing non-public),
the Open Data links, and Impressum, Datenschutz, Leichte Sprache and Gebärdensprache from the municipality's
configuration."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.web import links
from tests.conftest import Database
from tests.web.portal import OPARL_BASE, Portal
from tests.web.portal_world import MARKER, build_portal_world
from workflow.models import (
    AgendaItem,
    Body,
    Consultation,
    Faction,
    ItemResult,
    Meeting,
    MeetingBody,
    Membership,
    Municipality,
    Paper,
    Person,
)
from workflow.portal import latest_decisions
from workflow.publication import (
    agenda_item_is_public,
    depublish_paper,
    public_agenda_items,
)

ATOM = "{http://www.w3.org/2005/Atom}"
WETZLAR = select(Municipality.id).where(Municipality.key == "wetzlar").scalar_subquery()


def _meeting_url(portal: Portal, meeting_id: int) -> str:
    with portal.db.sessions() as s:
        return links.meeting(s, "wetzlar", s.get_one(Meeting, meeting_id))


def test_the_start_page_shows_the_next_meetings_the_latest_papers_and_results_and_the_bodies(
    portal: Portal,
) -> None:
    page = portal.client.get("/wetzlar/")
    assert page.status_code == 200
    text = page.text
    assert "Ratsinformationen der Stadt Wetzlar" in text
    assert _meeting_url(portal, portal.world.coming_meeting) in text  # 16.06.2014, after "today"
    assert "Sanierung der Stadthalle" in text  # the newest paper
    assert "Spielplatz am Dom" in text  # a public result …
    assert "vorläufig" in text  # … provisional: its minutes are not approved
    assert 'href="/wetzlar/gremien/stvv"' in text
    assert f'href="{OPARL_BASE}/body/' in text  # Open Data
    assert 'href="/wetzlar/feeds/vorlagen.atom"' in text
    assert MARKER not in text


def test_the_calendar_lists_a_month_marks_cancelled_meetings_and_moves_only_where_meetings_are(
    portal: Portal,
) -> None:
    march = portal.client.get("/wetzlar/sitzungen?monat=2014-03")
    assert march.status_code == 200
    assert _meeting_url(portal, portal.world.oparl.cancelled_meeting) in march.text
    assert "abgesagt" in march.text
    april = portal.client.get("/wetzlar/sitzungen?monat=2014-04").text
    assert _meeting_url(portal, portal.world.magistrat_meeting) not in april  # the Magistrat meets in private
    by_body = portal.client.get("/wetzlar/sitzungen?gremium=sjs&monat=2014-05").text
    assert _meeting_url(portal, portal.world.sjs_meeting) in by_body
    assert 'href="/wetzlar/sitzungen?gremium=sjs&amp;monat=2014-04"' in by_body  # earlier month, same body
    with portal.db.sessions() as s:
        first = min(m.start for m in s.scalars(select(Meeting).where(Meeting.municipality_id == WETZLAR)))
    earliest = portal.client.get(f"/wetzlar/sitzungen?monat={first:%Y-%m}").text
    assert 'rel="prev"' not in earliest  # no month before the first meeting
    assert "Sitzungen im Juni 2014" in portal.client.get("/wetzlar/sitzungen").text  # this month by default


def test_a_wrong_month_or_body_in_the_calendar_is_said_in_german(portal: Portal) -> None:
    wrong = portal.client.get("/wetzlar/sitzungen?monat=2014-13")
    assert wrong.status_code == 422
    assert "z. B. 2014-05" in wrong.text
    assert "fehler-monat" in wrong.text  # next to its field
    unknown = portal.client.get("/wetzlar/sitzungen?gremium=gibtsnicht")
    assert unknown.status_code == 404


def test_the_body_page_shows_members_by_faction_with_roles_meetings_and_subscriptions(portal: Portal) -> None:
    page = portal.client.get("/wetzlar/gremien/sjs")
    assert page.status_code == 200
    with portal.db.sessions() as s:
        body = s.scalars(select(Body).where(Body.key == "sjs", Body.municipality_id == WETZLAR)).one()
        chair = s.scalars(
            select(Membership).where(Membership.body_id == body.id, Membership.role == "chair")
        ).first()
        assert chair is not None
        chair_name, chair_faction = chair.person.name, chair.faction.name if chair.faction else None
        body_id = body.id
    assert chair_name in page.text
    assert "Vorsitz" in page.text
    assert chair_faction is None or chair_faction in page.text
    assert 'href="/api/v1/wetzlar/bodies/sjs/calendar.ics"' in page.text
    assert 'href="/wetzlar/gremien/sjs/ergebnisse.atom"' in page.text
    assert f'href="{OPARL_BASE}/organization/{body_id}"' in page.text
    assert _meeting_url(portal, portal.world.coming_meeting) in page.text
    magistrat = portal.client.get("/wetzlar/gremien/magistrat").text
    assert "tagt nichtöffentlich" in magistrat
    assert "calendar.ics" not in magistrat  # its feed needs a token
    assert _meeting_url(portal, portal.world.magistrat_meeting) not in magistrat
    assert portal.client.get("/wetzlar/gremien/gibtsnicht").status_code == 404


def test_person_and_faction_pages_show_memberships_over_time(portal: Portal) -> None:
    with portal.db.sessions() as s:
        membership = s.scalars(
            select(Membership)
            .join(Person, Person.id == Membership.person_id)
            .where(Person.municipality_id == WETZLAR, Membership.faction_id.is_not(None))
        ).first()
        assert membership is not None
        person, faction, body = membership.person, membership.faction, membership.body
        assert faction is not None
        person_key, person_name, person_id = person.key, person.name, person.id
        faction_key, faction_name, faction_id, body_name = faction.key, faction.name, faction.id, body.name
        assert s.get(Faction, faction_id) is not None
    page = portal.client.get(f"/wetzlar/personen/{person_key}")
    assert page.status_code == 200
    assert person_name in page.text
    assert body_name in page.text
    assert "seit" in page.text
    assert f'href="/wetzlar/fraktionen/{faction_key}"' in page.text
    assert f'href="{OPARL_BASE}/person/{person_id}"' in page.text
    members = portal.client.get(f"/wetzlar/fraktionen/{faction_key}")
    assert members.status_code == 200
    assert faction_name in members.text
    assert f'href="/wetzlar/personen/{person_key}"' in members.text
    assert f'href="{OPARL_BASE}/faction/{faction_id}"' in members.text


def _feed(portal: Portal, url: str) -> ET.Element:
    response = portal.client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None, required
    ids = [e.findtext(f"{ATOM}id") for e in root.iter(f"{ATOM}entry")]
    assert len(ids) == len(set(ids)), "entry ids are unique"
    for entry in root.iter(f"{ATOM}entry"):
        dt.datetime.fromisoformat(entry.findtext(f"{ATOM}updated") or "")  # RFC 3339
        assert entry.find(f"{ATOM}link").get("href", "").startswith("http://testserver/")  # type: ignore[union-attr]
    return root


def test_the_atom_feed_of_new_papers_has_the_public_papers_only(portal: Portal) -> None:
    root = _feed(portal, "/wetzlar/feeds/vorlagen.atom")
    titles = [e.findtext(f"{ATOM}title") or "" for e in root.iter(f"{ATOM}entry")]
    with portal.db.sessions() as s:
        public = s.get_one(Paper, portal.world.private_item_paper)
        secret = s.get_one(Paper, portal.world.secret_paper)
        expected, hidden = f"{public.reference}: {public.subject}", secret.reference
    assert expected in titles
    assert not any(hidden and hidden in t for t in titles)
    assert MARKER not in ET.tostring(root, encoding="unicode")


def test_the_atom_feed_of_a_body_has_its_public_results_provisional_until_the_minutes_are_approved(
    portal: Portal,
) -> None:
    root = _feed(portal, "/wetzlar/gremien/sjs/ergebnisse.atom")
    entries = list(root.iter(f"{ATOM}entry"))
    titles = [e.findtext(f"{ATOM}title") or "" for e in entries]
    assert any("Spielplatz am Dom" in t and "empfohlen" in t for t in titles)
    assert all("vorläufig" in (e.findtext(f"{ATOM}summary") or "") for e in entries)
    assert MARKER not in ET.tostring(root, encoding="unicode")
    magistrat = _feed(portal, "/wetzlar/gremien/magistrat/ergebnisse.atom")
    assert list(magistrat.iter(f"{ATOM}entry")) == []  # it decides in private


def test_the_meeting_and_paper_pages_link_to_open_data_and_say_results_are_provisional(
    portal: Portal,
) -> None:
    world = portal.world.oparl
    meeting = portal.client.get(_meeting_url(portal, world.meeting)).text
    assert "vorläufig" in meeting
    assert f'href="{OPARL_BASE}/meeting/{world.meeting}"' in meeting
    with portal.db.sessions() as s:
        paper_url = links.paper("wetzlar", s.get_one(Paper, world.public_paper))
    assert f'href="{OPARL_BASE}/paper/{world.public_paper}"' in portal.client.get(paper_url).text


def test_impressum_and_datenschutz_come_from_the_municipality_file_or_say_they_are_missing(
    portal: Portal,
) -> None:
    impressum = portal.client.get("/wetzlar/impressum")
    assert impressum.status_code == 200
    assert "Regierungspräsidium Gießen" in impressum.text  # wetzlar.yaml, municipality.portal.impressum
    privacy = portal.client.get("/wetzlar/datenschutz").text
    assert "hat die Datenschutzerklärung für dieses Portal noch nicht eingetragen" in privacy
    assert (
        "hat das Impressum für dieses Portal noch nicht eingetragen"
        in portal.client.get("/duisburg/impressum").text
    )
    for path in ("/wetzlar/impressum", "/wetzlar/", "/wetzlar/gremien"):
        footer = portal.client.get(path).text
        for link in (
            "/wetzlar/impressum",
            "/wetzlar/datenschutz",
            "/wetzlar/leichte-sprache",
            "/wetzlar/gebaerdensprache",
        ):
            assert f'href="{link}"' in footer, (path, link)


def test_leichte_sprache_and_the_sign_language_slot(portal: Portal) -> None:
    easy = portal.client.get("/wetzlar/leichte-sprache")
    assert easy.status_code == 200
    assert "Leichter Sprache" in easy.text
    assert "Sitzungs·kalender" in easy.text
    sign = portal.client.get("/wetzlar/gebaerdensprache")
    assert sign.status_code == 200
    assert "noch kein Video in Deutscher Gebärdensprache eingetragen" in sign.text


def test_a_search_can_be_subscribed_as_an_atom_feed_and_tells_nothing_non_public(portal: Portal) -> None:
    page = portal.client.get("/wetzlar/vorlagen?q=Stadthalle").text
    assert 'href="/wetzlar/feeds/suche.atom?q=Stadthalle"' in page
    root = _feed(portal, "/wetzlar/feeds/suche.atom?q=Stadthalle")
    titles = [e.findtext(f"{ATOM}title") or "" for e in root.iter(f"{ATOM}entry")]
    assert any("Sanierung der Stadthalle" in t for t in titles)
    adopted = _feed(portal, "/wetzlar/feeds/suche.atom?status=adopted")
    text = ET.tostring(adopted, encoding="unicode")
    assert "Neue Dienstwagenordnung" not in text  # decided by the Magistrat in private
    assert MARKER not in ET.tostring(_feed(portal, "/wetzlar/feeds/suche.atom?q=Ankauf"), encoding="unicode")
    wrong = portal.client.get("/wetzlar/feeds/suche.atom?von=gestern")
    assert wrong.status_code == 422


def _assert_latest_decisions(sessions: sessionmaker[Session]) -> int:
    """For every limit, of the town and of each body: the first results of all published results sorted by
    the meeting, newest first, and the agenda. Returns how many results are published."""
    with sessions() as s:
        town = s.scalars(select(Municipality).where(Municipality.key == "wetzlar")).one()
        rows = s.execute(
            select(AgendaItem.id, AgendaItem.order, Meeting.id.label("meeting_id"), Meeting.start)
            .join(Meeting, Meeting.id == AgendaItem.meeting_id)
            .join(ItemResult, ItemResult.agenda_item_id == AgendaItem.id)
            .where(Meeting.municipality_id == town.id)
        ).all()
        shown = public_agenda_items(s, [r.id for r in rows])
        newest_first = sorted(
            (r for r in rows if r.id in shown), key=lambda r: (-r.start.timestamp(), -r.meeting_id, r.order)
        )
        bodies = {b.id: b.key for b in s.scalars(select(Body).where(Body.municipality_id == town.id))}
        of_body = {
            body: {m for (m,) in s.execute(select(MeetingBody.meeting_id).where(MeetingBody.body_id == body))}
            for body in bodies
        }
        for limit in range(1, len(newest_first) + 2):
            found = [d.item_id for d in latest_decisions(s, town.id, limit=limit)]
            assert found == [r.id for r in newest_first][:limit]
            for body, key in bodies.items():
                found = [d.item_id for d in latest_decisions(s, town.id, body_id=body, limit=limit)]
                expected = [r.id for r in newest_first if r.meeting_id in of_body[body]][:limit]
                assert found == expected, key
        return len(newest_first)


def test_the_latest_decisions_are_the_newest_published_results_in_agenda_order(portal: Portal) -> None:
    assert _assert_latest_decisions(portal.db.sessions) >= 2


def test_the_latest_decisions_pass_over_a_meeting_whose_papers_were_all_withdrawn_from_the_public(
    db: Database,
) -> None:
    """The newest meeting with results keeps its public TOPs, but every paper on them is depublished: the
    latest decisions come from the meetings before it, also when one result is asked for."""
    build_portal_world(db.sessions)
    with db.sessions() as s:
        town = s.scalars(select(Municipality.id).where(Municipality.key == "wetzlar")).one()
        newest = latest_decisions(s, town, limit=1)[0].meeting.id
        papers = s.scalars(
            select(Consultation.paper_id)
            .join(AgendaItem, AgendaItem.consultation_id == Consultation.id)
            .join(ItemResult, ItemResult.agenda_item_id == AgendaItem.id)
            .where(AgendaItem.meeting_id == newest, agenda_item_is_public())
        ).all()
    assert papers
    before = _assert_latest_decisions(db.sessions)
    for paper_id in papers:
        depublish_paper(db.sessions, actor="test", paper_id=paper_id, reason="Versehen")
    assert 0 < _assert_latest_decisions(db.sessions) == before - len(papers)
