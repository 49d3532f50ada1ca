"""The administrator's pages (users and roles, persons and memberships) and the role matrix and CSRF check of
every page of the council members and the administrator, over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.e2e.conftest import Api
from tests.scenario import Scenario
from tests.web.conftest import csrf_of, page_login
from workflow.models import Membership, Person, User

# fmt: off
PAGES = ["/wetzlar/meine-sitzungen", "/wetzlar/meine-vorlagen", "/wetzlar/verwaltung/zugaenge",
         "/wetzlar/verwaltung/zugaenge/neu", "/wetzlar/verwaltung/personen", "/wetzlar/verwaltung/personen/boehm"]
#                                  my meetings, my papers, users, new user, persons, one person
MATRIX: dict[str | None, tuple[int, ...]] = {
    None:                           (303, 303, 303, 303, 303, 303),  # to the login page
    "wetzlar-koordination":         (403, 403, 403, 403, 403, 403),
    "wetzlar-fachamt":              (403, 403, 403, 403, 403, 403),
    "wetzlar-schrift-stvv":         (403, 403, 403, 403, 403, 403),
    "wetzlar-mitglied":             (200, 200, 403, 403, 403, 403),
    "wetzlar-mitglied-magistrat":   (200, 200, 403, 403, 403, 403),
    "wetzlar-admin":                (403, 403, 200, 200, 200, 200),
    "duisburg-admin":               (403, 403, 403, 403, 403, 403),
    "duisburg-mitglied":            (403, 403, 403, 403, 403, 403),
}
# fmt: on


@pytest.mark.parametrize("who", list(MATRIX))
def test_the_role_matrix_of_the_member_and_admin_pages(api: Api, who: str | None) -> None:
    if who:
        page_login(api.client, who)
    got = tuple(api.client.get(url, follow_redirects=False).status_code for url in PAGES)
    assert got == MATRIX[who]


def _user_id(api: Api, username: str) -> int:
    with api.db.sessions() as s:
        return s.scalars(select(User.id).where(User.username == username)).one()


def _membership_id(api: Api, body: str, person: str) -> int:
    sc = Scenario(api.db.sessions)
    with api.db.sessions() as s:
        return s.scalars(
            select(Membership.id).where(
                Membership.body_id == sc.body_id(body), Membership.person_id == sc.person_id(person)
            )
        ).one()


def test_every_form_is_refused_without_its_csrf_token(api: Api) -> None:
    page_login(api.client, "wetzlar-admin")
    target = _user_id(api, "wetzlar-fachamt")
    membership = _membership_id(api, "sjs", "hahn")
    posts = {
        "/wetzlar/verwaltung/zugaenge/neu": {"benutzername": "x-neu", "rolle": "admin"},
        f"/wetzlar/verwaltung/zugaenge/{target}/sperren": {},
        f"/wetzlar/verwaltung/zugaenge/{target}/passwort": {},
        f"/wetzlar/verwaltung/zugaenge/{target}/entsperren": {},
        "/wetzlar/verwaltung/personen": {"schluessel": "neu", "vorname": "A", "nachname": "B"},
        f"/wetzlar/verwaltung/personen/hahn/ende-{membership}": {f"ende-{membership}": "2014-01-31"},
        "/wetzlar/verwaltung/personen/hahn/fraktion": {"fraktion": "spd", "fraktion-ab": "2014-01-31"},
        "/wetzlar/verwaltung/personen/hahn/mitgliedschaft": {
            "neu-gremium": "kfp",
            "neu-rolle": "member",
            "neu-ab": "2014-01-31",
        },
    }
    for url, data in posts.items():
        for token in (None, "falsch"):
            sent = data if token is None else {**data, "csrf_token": token}
            refused = api.client.post(url, data=sent)
            assert refused.status_code == 403, url
            assert "Das Formular ist abgelaufen" in refused.text
    with api.db.sessions() as s:
        assert s.get_one(User, target).active
        assert s.scalar(select(User.id).where(User.username == "x-neu")) is None
        assert s.scalar(select(Person.id).where(Person.key == "neu")) is None
        assert s.get_one(Membership, membership).end_date is None
        hahn = Scenario(api.db.sessions).person_id("hahn")
        assert len(s.scalars(select(Membership).where(Membership.person_id == hahn)).all()) == 2


PASSWORD = re.compile(r'<code class="secret" id="passwort">([^<]+)</code>')


def test_the_administrator_creates_deactivates_and_resets_logins_through_the_forms(api: Api) -> None:
    page_login(api.client, "wetzlar-admin")
    form = api.client.get("/wetzlar/verwaltung/zugaenge/neu")
    token = csrf_of(form)
    refused = api.client.post(
        "/wetzlar/verwaltung/zugaenge/neu",
        data={
            "csrf_token": token,
            "benutzername": "wetzlar-schrift-neu",
            "anzeigename": "Sabine Schrift",
            "rolle": "secretary",
        },
    )
    assert refused.status_code == 422
    assert 'id="fehler-gremien"' in refused.text
    assert "mindestens ein Gremium" in refused.text
    assert 'value="Sabine Schrift"' in refused.text  # nothing typed is lost
    created = api.client.post(
        "/wetzlar/verwaltung/zugaenge/neu",
        data={
            "csrf_token": token,
            "benutzername": "wetzlar-schrift-neu",
            "anzeigename": "Sabine Schrift",
            "rolle": "secretary",
            "gremien": ["sjs", "kfp"],
            "email": "schrift@wetzlar.example",
        },
    )
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    match = PASSWORD.search(created.text)
    assert match
    password = match[1]
    taken = api.client.post(
        "/wetzlar/verwaltung/zugaenge/neu",
        data={"csrf_token": token, "benutzername": "wetzlar-schrift-neu", "rolle": "admin"},
    )
    assert taken.status_code == 422
    assert 'id="fehler-benutzername"' in taken.text
    listing = api.client.get("/wetzlar/verwaltung/zugaenge")
    assert "wetzlar-schrift-neu" in listing.text
    assert password not in listing.text  # shown once, never again

    other = TestClient(api.client.app)  # the new user's own browser
    assert page_login(other, "wetzlar-schrift-neu", password).status_code == 303
    assert other.get("/wetzlar/").status_code == 200
    user_id = _user_id(api, "wetzlar-schrift-neu")
    reset = api.client.post(f"/wetzlar/verwaltung/zugaenge/{user_id}/passwort", data={"csrf_token": token})
    assert reset.status_code == 200
    assert reset.headers["cache-control"] == "no-store"
    match = PASSWORD.search(reset.text)
    assert match
    new_password = match[1]
    assert new_password != password
    assert other.get("/wetzlar/", follow_redirects=False).status_code == 303  # logged out
    assert page_login(other, "wetzlar-schrift-neu", password).status_code != 303
    assert page_login(other, "wetzlar-schrift-neu", new_password).status_code == 303

    locked = api.client.post(
        f"/wetzlar/verwaltung/zugaenge/{user_id}/sperren",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert locked.status_code == 303
    shown = api.client.get(locked.headers["location"])
    assert "ist gesperrt" in shown.text
    assert other.get("/wetzlar/", follow_redirects=False).status_code == 303
    assert page_login(other, "wetzlar-schrift-neu", new_password).status_code != 303
    unlocked = api.client.post(
        f"/wetzlar/verwaltung/zugaenge/{user_id}/entsperren", data={"csrf_token": token}
    )
    assert unlocked.status_code == 200
    assert "wieder freigegeben" in unlocked.text
    assert page_login(other, "wetzlar-schrift-neu", new_password).status_code == 303
    own = api.client.post(
        f"/wetzlar/verwaltung/zugaenge/{_user_id(api, 'wetzlar-admin')}/sperren", data={"csrf_token": token}
    )
    assert own.status_code == 422
    assert "eigenen Zugang" in own.text


def test_a_member_leaves_a_successor_joins_and_a_faction_changes_through_the_forms(api: Api) -> None:
    page_login(api.client, "wetzlar-admin")
    page = api.client.get("/wetzlar/verwaltung/personen")
    token = csrf_of(page)
    membership = _membership_id(api, "sjs", "hahn")
    field = f"ende-{membership}"
    bad = api.client.post(
        f"/wetzlar/verwaltung/personen/hahn/{field}", data={"csrf_token": token, field: "31.01.2014"}
    )
    assert bad.status_code == 422
    assert f'id="fehler-{field}"' in bad.text
    early = api.client.post(
        f"/wetzlar/verwaltung/personen/hahn/{field}", data={"csrf_token": token, field: "2001-01-01"}
    )
    assert early.status_code == 422
    assert "beginnt am 01.04.2011" in early.text
    left = api.client.post(
        f"/wetzlar/verwaltung/personen/hahn/{field}",
        data={"csrf_token": token, field: "2014-01-31", f"{field}-grund": "Mandat niedergelegt"},
        follow_redirects=False,
    )
    assert left.status_code == 303

    no_name = api.client.post(
        "/wetzlar/verwaltung/personen", data={"csrf_token": token, "schluessel": "nachfolgerin"}
    )
    assert no_name.status_code == 422
    assert 'id="fehler-vorname"' in no_name.text
    added = api.client.post(
        "/wetzlar/verwaltung/personen",
        data={"csrf_token": token, "schluessel": "nachfolgerin", "vorname": "Nora", "nachname": "Nachfolger"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert added.headers["location"] == "/wetzlar/verwaltung/personen/nachfolgerin"
    joined = api.client.post(
        "/wetzlar/verwaltung/personen/nachfolgerin/mitgliedschaft",
        data={
            "csrf_token": token,
            "neu-gremium": "sjs",
            "neu-rolle": "member",
            "neu-fraktion": "linke",
            "neu-ab": "2014-02-01",
        },
        follow_redirects=False,
    )
    assert joined.status_code == 303
    person_page = api.client.get("/wetzlar/verwaltung/personen/nachfolgerin").text
    assert "Sozial-, Jugend- und Sportausschuss" in person_page
    substitute = api.client.post(
        "/wetzlar/verwaltung/personen/nachfolgerin/mitgliedschaft",
        data={"csrf_token": token, "neu-gremium": "kfp", "neu-rolle": "substitute", "neu-ab": "2014-02-01"},
    )
    assert substitute.status_code == 422
    assert 'id="fehler-neu-vertritt"' in substitute.text

    api.clock.set("2014-02-10 10:00")  # the session of July has expired: log in again
    page_login(api.client, "wetzlar-admin")
    token = csrf_of(api.client.get("/wetzlar/verwaltung/personen/nachfolgerin"))
    changed = api.client.post(
        "/wetzlar/verwaltung/personen/nachfolgerin/fraktion",
        data={"csrf_token": token, "fraktion": "spd", "fraktion-ab": "2014-03-01"},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    again = api.client.post(
        "/wetzlar/verwaltung/personen/nachfolgerin/fraktion",
        data={"csrf_token": token, "fraktion": "spd", "fraktion-ab": "2014-03-02"},
    )
    assert again.status_code == 422
    assert 'id="fehler-fraktion-ab"' in again.text
    with api.db.sessions() as s:
        nora = Scenario(api.db.sessions).person_id("nachfolgerin")
        rows = s.scalars(select(Membership).where(Membership.person_id == nora).order_by(Membership.id)).all()
        spans = [(m.faction.key if m.faction else None, str(m.start_date), str(m.end_date)) for m in rows]
    assert spans == [("linke", "2014-02-01", "2014-02-28"), ("spd", "2014-03-01", "None")]
