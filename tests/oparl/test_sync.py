"""Incremental sync: after a change, ``modified_since`` gives a client exactly the objects that changed."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import Database
from tests.oparl.conftest import BASE, oparl_client
from tests.oparl.world import add_document
from tests.scenario import Scenario, berlin
from workflow.errors import RuleViolation
from workflow.models import Depublication, Membership, OutboxMessage
from workflow.publication import depublish_paper
from workflow.rules import VoteInput
from workflow.vocabulary import Outcome

LISTS = (
    "organizations",
    "people",
    "meetings",
    "papers",
    "agendaitems",
    "consultations",
    "files",
    "memberships",
    "locations",
    "legislativeterms",
)


def everything(client: TestClient, town_id: int, query: str = "") -> dict[str, dict[str, Any]]:
    """Every object of every list of the town (following ``next``), by id."""
    found: dict[str, dict[str, Any]] = {}
    for name in LISTS:
        url: str | None = f"{BASE}/body/{town_id}/{name}?limit=50{query}"
        while url:
            page = client.get(url).json()
            for obj in page["data"]:
                assert obj["id"] not in found
                found[obj["id"]] = obj
            url = page["links"].get("next")
    return found


def _prepared(db: Database) -> tuple[Scenario, int, int]:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"], subject="Radweg an der Lahn", when="2014-01-10 10:00")
    sc.deal_with(paper.id, "magistrat", "2014-01-20 09:00", Outcome.recommended, VoteInput(12, 0, 0))
    meeting = sc.new_meeting("sjs", "2014-02-10 17:00")
    item = sc.schedule(paper.id, "sjs", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    return sc, paper.id, item.id


def test_modified_since_after_a_result_returns_exactly_the_changed_objects(db: Database) -> None:
    sc, paper_id, item_id = _prepared(db)
    town_id = sc.town_id()
    with oparl_client(db) as client:
        before = everything(client, town_id)
        sc.record(item_id, Outcome.recommended, VoteInput(9, 3, 1))
        recorded_at = berlin("2014-02-10 17:30")
        after = everything(client, town_id)
        since = everything(client, town_id, "&modified_since=" + quote(recorded_at.isoformat()))
    changed = {key for key in after if before.get(key) != after[key]}
    assert {f"{BASE}/paper/{paper_id}", f"{BASE}/agendaitem/{item_id}"} <= changed
    assert any(key.startswith(f"{BASE}/meeting/") for key in changed)
    assert any(key.startswith(f"{BASE}/consultation/") for key in changed)
    assert set(since) == changed
    assert all(since[key] == after[key] for key in since)


def test_a_new_document_raises_modified_of_its_paper_item_and_meeting(db: Database) -> None:
    sc, paper_id, item_id = _prepared(db)
    sc.record(item_id, Outcome.recommended, VoteInput(9, 3, 1))
    town_id = sc.town_id()
    with oparl_client(db) as client:
        before = everything(client, town_id)
        stamp = berlin("2014-02-12 08:00")
        add_document(
            db.sessions,
            kind="resolution_extract",
            name="Beschlussauszug Radweg",
            paper_id=paper_id,
            agenda_item_id=item_id,
            now=stamp,
        )
        after = everything(client, town_id)
        since = everything(client, town_id, "&modified_since=" + quote(stamp.isoformat()))
    changed = {key for key in after if before.get(key) != after[key]}
    meeting_id = sc.item(item_id).meeting_id
    assert changed == set(since)
    assert {
        f"{BASE}/paper/{paper_id}",
        f"{BASE}/agendaitem/{item_id}",
        f"{BASE}/meeting/{meeting_id}",
    } <= changed
    assert sum(1 for key in changed if key.startswith(f"{BASE}/file/")) == 2  # the DOCX and its PDF
    assert after[f"{BASE}/paper/{paper_id}"]["modified"] == "2014-02-12T08:00:00+01:00"


def test_a_depublished_paper_is_answered_as_deleted_and_takes_its_steps_items_and_files_along(
    db: Database,
) -> None:
    sc, paper_id, item_id = _prepared(db)
    files = add_document(
        db.sessions, kind="vorlage", name="Vorlage Radweg", paper_id=paper_id, now=berlin("2014-01-11 09:00")
    )
    town_id = sc.town_id()
    with oparl_client(db) as client:
        before = everything(client, town_id)
        depublish_paper(
            db.sessions,
            actor="test",
            paper_id=paper_id,
            reason="Personenbezogene Daten",
            now=berlin("2014-02-01 12:00"),
        )
        after = everything(client, town_id)
        since = everything(client, town_id, "&modified_since=2014-02-01T12:00:00%2B01:00")
        gone = [
            f"{BASE}/paper/{paper_id}",
            f"{BASE}/agendaitem/{item_id}",
            *(f"{BASE}/file/{f}" for f in files),
        ]
        for url in gone:
            assert url in before
            assert url not in after
            assert since[url]["deleted"] is True
            answer = client.get(url)
            assert answer.status_code == 200
            assert answer.json() == since[url]
        steps = [
            key
            for key in before
            if key.startswith(f"{BASE}/consultation/") and before[key]["paper"] == gone[0]
        ]
        assert steps
        assert all(since[step]["deleted"] for step in steps)
        for f in files:
            assert client.get(f"{BASE}/file/{f}/access").status_code == 404
        meeting = client.get(before[gone[1]]["meeting"]).json()
        assert gone[1] not in {i["id"] for i in meeting.get("agendaItem", [])}


def test_modified_since_after_an_invitation_includes_the_paper_whose_step_was_invited(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"], subject="Radweg an der Lahn", when="2014-01-10 10:00")
    sc.deal_with(paper.id, "magistrat", "2014-01-20 09:00", Outcome.recommended, VoteInput(12, 0, 0))
    meeting = sc.new_meeting("sjs", "2014-02-10 17:00")
    sc.schedule(paper.id, "sjs", meeting.id)
    town_id = sc.town_id()
    with oparl_client(db) as client:
        before = everything(client, town_id)
        sc.invite(meeting.id, days_before=10)
        invited_at = berlin("2014-01-31 17:00")
        after = everything(client, town_id)
        since = everything(client, town_id, "&modified_since=" + quote(invited_at.isoformat()))
    changed = {key for key in after if before.get(key) != after[key]}
    assert f"{BASE}/paper/{paper.id}" in changed  # its embedded step is now 'invited'
    assert set(since) == changed


def test_only_a_published_paper_can_be_depublished_and_only_with_a_reason(db: Database) -> None:
    sc = Scenario(db.sessions)
    secret = sc.submitted_paper(
        committees=["sjs"], public=False, subject="Vertraulich", when="2014-01-10 10:00"
    )
    public = sc.submitted_paper(committees=["sjs"], subject="Öffentlich", when="2014-01-10 10:00")
    with pytest.raises(RuleViolation, match="not published"):
        depublish_paper(db.sessions, actor="test", paper_id=secret.id, reason="Versehen")
    with pytest.raises(RuleViolation, match="reason"):
        depublish_paper(db.sessions, actor="test", paper_id=public.id, reason="  ")
    depublish_paper(
        db.sessions, actor="test", paper_id=public.id, reason="Versehen", now=berlin("2014-01-11 10:00")
    )
    with pytest.raises(RuleViolation, match="not published"):
        depublish_paper(db.sessions, actor="test", paper_id=public.id, reason="noch einmal")
    with db.session() as s:
        events = s.scalars(
            select(OutboxMessage.event_type).where(OutboxMessage.event_type == "PaperDepublished")
        )
        assert list(events) == ["PaperDepublished"]
        assert s.scalar(select(func.count()).select_from(Depublication)) == 1 + len(sc.steps(public.id))


def test_a_new_membership_raises_modified_of_its_person_and_its_body(db: Database) -> None:
    sc = Scenario(db.sessions)
    town_id = sc.town_id()
    person_id, body_id = sc.person_id("baumann"), sc.body_id("kfp")
    stamp = berlin("2014-03-01 10:00")
    with oparl_client(db) as client:
        before = everything(client, town_id)
        with db.sessions.begin() as session:
            session.add(
                Membership(
                    body_id=body_id,
                    person_id=person_id,
                    role="member",
                    voting_right=True,
                    start_date=stamp.date(),
                    created_at=stamp,
                    modified_at=stamp,
                )
            )
        after = everything(client, town_id)
        since = everything(client, town_id, "&modified_since=" + quote(stamp.isoformat()))
    changed = {key for key in after if before.get(key) != after[key]}
    assert {f"{BASE}/person/{person_id}", f"{BASE}/organization/{body_id}"} < changed
    assert set(since) == changed
