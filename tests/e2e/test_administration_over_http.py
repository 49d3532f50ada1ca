"""The administrator's work over JSON, on SQLite and PostgreSQL: users and roles (create, deactivate, reset a
password), persons and memberships (a member leaves, a successor joins, a faction changes) — and what was
recorded before a change stays as it was."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.e2e.conftest import Api
from tests.scenario import Scenario
from tests.web.conftest import page_login
from workflow.models import AgendaItem, AuditEvent, Faction, Membership, Municipality, User
from workflow.rules import FactionCount, VoteInput
from workflow.store import seats
from workflow.vocabulary import Outcome

ADMIN = "wetzlar-admin"


def _user_id(api: Api, username: str) -> int:
    with api.db.sessions() as s:
        return s.scalars(select(User.id).where(User.username == username)).one()


def _new_clerk(api: Api, username: str = "wetzlar-neu") -> dict[str, object]:
    created = api.post(
        "/wetzlar/users",
        as_=ADMIN,
        json={
            "username": username,
            "password": "demo-passwort",
            "role": "department",
            "department": "kbs",
            "display_name": "Neue Sachbearbeiterin",
            "email": "neu@wetzlar.example",
        },
    )
    assert created.status_code == 201, created.text
    body: dict[str, object] = created.json()
    return body


def test_the_administrator_creates_a_user_who_can_then_log_in(api: Api) -> None:
    body = _new_clerk(api)
    assert body["role"] == "department"
    assert body["department"] == "kbs"
    assert body["active"] is True
    token = api.client.post(
        "/api/v1/auth/token", json={"username": "wetzlar-neu", "password": "demo-passwort"}
    )
    assert token.status_code == 200
    listed = api.get("/wetzlar/users", as_=ADMIN).json()
    assert "wetzlar-neu" in [u["username"] for u in listed]
    assert {u["username"] for u in listed} <= {u.username for u in _users(api, "wetzlar")}


def _users(api: Api, town: str) -> list[User]:
    with api.db.sessions() as s:
        town_id = s.scalars(select(Municipality.id).where(Municipality.key == town)).one()
        return list(s.scalars(select(User).where(User.municipality_id == town_id)))


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"role": "department"}, 422),  # a department user without a department
        ({"role": "secretary"}, 422),  # a secretary without a body
        ({"role": "council_member", "person": "niemand"}, 404),
        ({"role": "admin", "password": "kurz"}, 422),
        ({"role": "admin", "username": "wetzlar-koordination"}, 409),
        ({"role": "chef"}, 422),
    ],
)
def test_bad_users_are_refused_with_a_message(api: Api, payload: dict[str, str], status: int) -> None:
    data = {"username": "wetzlar-x", "password": "demo-passwort", **payload}
    refused = api.post("/wetzlar/users", as_=ADMIN, json=data)
    assert refused.status_code == status, refused.text
    assert refused.json()["message"]


def test_a_deactivated_user_cannot_log_in_and_their_sessions_and_tokens_end(api: Api) -> None:
    _new_clerk(api)
    token = api.token("wetzlar-neu")
    assert api.get("/me", as_="wetzlar-neu").status_code == 200
    assert page_login(api.client, "wetzlar-neu", "demo-passwort").status_code == 303
    assert api.client.get("/wetzlar/vorlagen/neu").status_code == 200  # the page session works

    user_id = _user_id(api, "wetzlar-neu")
    done = api.post(f"/wetzlar/users/{user_id}/deactivation", as_=ADMIN)
    assert done.status_code == 200, done.text
    assert done.json()["active"] is False

    assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    page = api.client.get("/wetzlar/vorlagen/neu", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/anmelden")
    again = api.client.post(
        "/api/v1/auth/token", json={"username": "wetzlar-neu", "password": "demo-passwort"}
    )
    assert again.status_code == 401
    assert api.post(f"/wetzlar/users/{user_id}/deactivation", as_=ADMIN).status_code == 422  # already
    own = api.post(f"/wetzlar/users/{_user_id(api, ADMIN)}/deactivation", as_=ADMIN)
    assert own.status_code == 422
    assert "eigenen Zugang" in own.json()["details"]["german"]
    back = api.post(f"/wetzlar/users/{user_id}/reactivation", as_=ADMIN)
    assert back.status_code == 200, back.text
    assert back.json()["active"] is True
    assert api.post(f"/wetzlar/users/{user_id}/reactivation", as_=ADMIN).status_code == 422  # not deactivated
    relogin = api.client.post(
        "/api/v1/auth/token", json={"username": "wetzlar-neu", "password": "demo-passwort"}
    )
    assert relogin.status_code == 200
    with api.db.sessions() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "app_user")).all()
    assert {"user.deactivated", "user.reactivated"} <= set(actions)


def test_a_password_reset_gives_a_new_password_once_and_ends_the_old_logins(api: Api) -> None:
    _new_clerk(api)
    old_token = api.token("wetzlar-neu")
    user_id = _user_id(api, "wetzlar-neu")
    reset = api.post(f"/wetzlar/users/{user_id}/password-reset", as_=ADMIN)
    assert reset.status_code == 200, reset.text
    assert reset.headers["cache-control"] == "no-store"
    password = reset.json()["password"]
    assert len(password.replace("-", "")) == 16
    assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {old_token}"}).status_code == 401
    old = api.client.post("/api/v1/auth/token", json={"username": "wetzlar-neu", "password": "demo-passwort"})
    assert old.status_code == 401
    new = api.client.post("/api/v1/auth/token", json={"username": "wetzlar-neu", "password": password})
    assert new.status_code == 200
    with api.db.sessions() as s:
        stored = s.get_one(User, user_id).password_hash
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "user.password_reset")).one()
    assert password not in stored
    assert stored.startswith("$argon2id$")
    assert password not in str(audit.after)
    assert stored not in str(audit.after)


@pytest.mark.parametrize(
    ("caller", "status"),
    [
        (None, 401),
        ("wetzlar-koordination", 403),
        ("wetzlar-fachamt", 403),
        ("wetzlar-schrift-stvv", 403),
        ("wetzlar-mitglied", 403),
        ("duisburg-admin", 403),
    ],
)
def test_only_the_municipalitys_administrator_administers(api: Api, caller: str | None, status: int) -> None:
    target = _user_id(api, "wetzlar-fachamt")
    membership = _membership_id(api, "stvv", "boehm")
    attempts = [
        api.get("/wetzlar/users", as_=caller),
        api.post(
            "/wetzlar/users",
            as_=caller,
            json={"username": "x", "password": "demo-passwort", "role": "admin"},
        ),
        api.post(f"/wetzlar/users/{target}/deactivation", as_=caller),
        api.post(f"/wetzlar/users/{target}/password-reset", as_=caller),
        api.post(f"/wetzlar/users/{target}/reactivation", as_=caller),
        api.post("/wetzlar/persons", as_=caller, json={"key": "neu", "given_name": "A", "family_name": "B"}),
        api.post(f"/wetzlar/memberships/{membership}/end", as_=caller, json={"end_date": "2014-01-31"}),
        api.post(
            "/wetzlar/memberships",
            as_=caller,
            json={"body": "stvv", "person": "herget", "start_date": "2014-02-01"},
        ),
        api.post(
            "/wetzlar/persons/boehm/faction-change",
            as_=caller,
            json={"faction": "cdu", "start_date": "2014-02-01"},
        ),
    ]
    assert [a.status_code for a in attempts] == [status] * len(attempts)
    with api.db.sessions() as s:
        assert s.get_one(User, target).active
        assert s.get_one(Membership, membership).end_date is None


def _membership_id(api: Api, body: str, person: str) -> int:
    sc = Scenario(api.db.sessions)
    with api.db.sessions() as s:
        return s.scalars(
            select(Membership.id).where(
                Membership.body_id == sc.body_id(body), Membership.person_id == sc.person_id(person)
            )
        ).one()


def test_a_member_leaves_and_a_successor_joins(api: Api) -> None:
    leaving = _membership_id(api, "sjs", "hahn")
    ended = api.post(
        f"/wetzlar/memberships/{leaving}/end",
        as_=ADMIN,
        json={"end_date": "2014-01-31", "reason": "Mandat niedergelegt"},
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["end_date"] == "2014-01-31"
    person = api.post(
        "/wetzlar/persons",
        as_=ADMIN,
        json={
            "key": "nachfolgerin",
            "given_name": "Nora",
            "family_name": "Nachfolger",
            "email": "n@wetzlar.example",
        },
    )
    assert person.status_code == 201, person.text
    joined = api.post(
        "/wetzlar/memberships",
        as_=ADMIN,
        json={"body": "sjs", "person": "nachfolgerin", "faction": "linke", "start_date": "2014-02-01"},
    )
    assert joined.status_code == 201, joined.text
    assert joined.json() | {"id": 0} == {
        "id": 0,
        "body": "sjs",
        "person": "nachfolgerin",
        "role": "member",
        "voting_right": True,
        "faction": "linke",
        "start_date": "2014-02-01",
        "end_date": None,
        "substitute_of": None,
    }
    sc = Scenario(api.db.sessions)
    with api.db.sessions() as s:
        before = {seat.person_id for seat in seats(s, sc.body_id("sjs"), dt.date(2014, 1, 31))}
        after = {seat.person_id for seat in seats(s, sc.body_id("sjs"), dt.date(2014, 2, 1))}
    assert sc.person_id("hahn") in before
    assert sc.person_id("nachfolgerin") not in before
    assert sc.person_id("nachfolgerin") in after
    assert sc.person_id("hahn") not in after

    # Bad input is refused with a message and changes nothing.
    assert (
        api.post(
            f"/wetzlar/memberships/{leaving}/end", as_=ADMIN, json={"end_date": "2014-03-01"}
        ).status_code
        == 422
    )
    early = api.post(
        f"/wetzlar/memberships/{joined.json()['id']}/end", as_=ADMIN, json={"end_date": "2014-01-01"}
    )
    assert early.status_code == 422
    assert "beginnt am 01.02.2014" in early.json()["details"]["german"]
    twice = api.post(
        "/wetzlar/memberships",
        as_=ADMIN,
        json={"body": "sjs", "person": "nachfolgerin", "start_date": "2014-03-01"},
    )
    assert twice.status_code == 409
    assert (
        api.post(
            "/wetzlar/persons", as_=ADMIN, json={"key": "hahn", "given_name": "A", "family_name": "B"}
        ).status_code
        == 409
    )
    assert (
        api.post("/wetzlar/memberships/999999/end", as_=ADMIN, json={"end_date": "2014-01-01"}).status_code
        == 404
    )
    duisburg = api.post(
        f"/duisburg/memberships/{leaving}/end", as_="duisburg-admin", json={"end_date": "2014-01-01"}
    )
    assert duisburg.status_code == 404


def test_a_faction_change_leaves_earlier_results_as_they_were(api: Api) -> None:
    sc = Scenario(api.db.sessions)
    with api.db.sessions() as s:
        factions = dict(
            s.execute(select(Faction.key, Faction.id).where(Faction.municipality_id == sc.town_id())).all()
        )
    paper = sc.submitted_paper(committees=["sjs"])
    sc.deal_with(paper.id, "magistrat", "2013-10-07 09:00", Outcome.recommended, VoteInput(12, 0, 0))
    meeting = sc.new_meeting("sjs", "2013-10-28 17:00")
    item = sc.schedule(paper.id, "sjs", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    counts = (
        FactionCount(factions["spd"], yes=4),
        FactionCount(factions["cdu"], no=4),
        FactionCount(factions["gruene"], yes=2),
        FactionCount(factions["fw"], yes=1),
        FactionCount(factions["fdp"], yes=1),
        FactionCount(factions["linke"], yes=1),
    )
    sc.record(item.id, Outcome.recommended, VoteInput(9, 4, 0, faction_counts=counts))
    api.clock.set("2013-11-15 10:00")
    before = api.get(f"/wetzlar/agenda-items/{item.id}/result", as_="wetzlar-koordination").json()
    live_before = api.client.get(_live_url(api, meeting.id)).text

    changed = api.post(
        "/wetzlar/persons/hahn/faction-change", as_=ADMIN, json={"faction": "spd", "start_date": "2013-11-01"}
    )
    assert changed.status_code == 200, changed.text
    assert sorted((m["body"], m["faction"], m["start_date"]) for m in changed.json()) == [
        ("sjs", "spd", "2013-11-01"),
        ("stvv", "spd", "2013-11-01"),
    ]

    after = api.get(f"/wetzlar/agenda-items/{item.id}/result", as_="wetzlar-koordination").json()
    assert after == before
    assert after["votes"][0]["factions"]["linke"] == [1, 0, 0]
    assert api.client.get(_live_url(api, meeting.id)).text == live_before
    hahn = sc.person_id("hahn")
    with api.db.sessions() as s:
        on_the_day = {
            seat.person_id: seat.faction_id for seat in seats(s, sc.body_id("sjs"), dt.date(2013, 10, 28))
        }
        today = {
            seat.person_id: seat.faction_id for seat in seats(s, sc.body_id("sjs"), dt.date(2013, 11, 15))
        }
        result_item = s.get_one(AgendaItem, item.id)
        assert result_item.result is not None
    assert on_the_day[hahn] == factions["linke"]
    assert today[hahn] == factions["spd"]
    secretary = "wetzlar-schrift-sjs"
    page_login(api.client, secretary)
    day_page = api.client.get(_live_url(api, meeting.id).removesuffix("/live") + "/sitzungsdienst")
    assert day_page.status_code == 200
    assert "Linke" in day_page.text  # hahn's seat on that day is still the Linke's
    again = api.post(
        "/wetzlar/persons/hahn/faction-change", as_=ADMIN, json={"faction": "spd", "start_date": "2013-12-01"}
    )
    assert again.status_code == 422  # no membership whose faction would change


def _live_url(api: Api, meeting_id: int) -> str:
    from api.web import links
    from workflow.models import Meeting

    with api.db.sessions() as s:
        return links.meeting(s, "wetzlar", s.get_one(Meeting, meeting_id)) + "/live"
