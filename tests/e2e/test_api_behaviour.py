"""How the API behaves beyond the rights, over HTTP: ETag and If-Match, idempotent retries, two secretaries
recording the same item at once, keyset pagination and filters, full-text search with German stemming, the
one error shape with the right status for every kind of failure, and input that never gives a 500.

The papers and meetings the tests work on are made through the use cases (``workflow``) where making them is
not what the test is about; everything under test goes over HTTP.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from tests.e2e.conftest import Api, login, running_api
from tests.scenario import Scenario, berlin, open_meeting
from workflow import meetings, papers, planning
from workflow.models import (
    AgendaItem,
    AuditEvent,
    Consultation,
    ItemResult,
    Meeting,
    OutboxMessage,
    Paper,
    Vote,
)
from workflow.planning import StepInput
from workflow.vocabulary import ConsultationRole, PaperKind

OFFICE = "wetzlar-koordination"
DEPARTMENT = "wetzlar-fachamt"
SECRETARY = "wetzlar-schrift-stvv"
SECOND_SECRETARY = "wetzlar-schrift-stvv-2"
NOW = "2013-11-04 10:00"
ERROR_KEYS = {"error", "message", "details"}
RESULT: dict[str, Any] = {"outcome": "adopted", "votes": [{"yes": 40, "no": 12, "abstain": 3}]}


def error_of(response: Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The error body, after checking the status and the one error shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_KEYS, body
    assert isinstance(body["error"], str)
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["details"], dict)
    if code is not None:
        assert body["error"] == code, body
    return body


def ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def cursor_of(value: int | str) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode()


@dataclass
class Town:
    """Wetzlar, with papers and meetings made through the use cases; the clock stands at ``NOW``."""

    api: Api
    sc: Scenario = field(init=False)
    now: dt.datetime = field(init=False)

    def __post_init__(self) -> None:
        self.sc = Scenario(self.api.db.sessions, actor="Testvorbereitung")
        self.now = self.api.clock.set(NOW)

    def paper(
        self,
        subject: str = "Testvorlage",
        *,
        department: str = "kbs",
        kind: PaperKind = PaperKind.beschlussvorlage,
        public: bool = True,
        paper_date: dt.date = dt.date(2013, 11, 1),
        committees: Sequence[str] = (),
        stvv_only: bool = False,
        submit: bool = True,
        proposed_resolution: str = "",
        justification: str = "",
    ) -> int:
        when = self.now - dt.timedelta(days=60)
        paper_id = papers.draft_paper(
            self.sc.sessions,
            actor=self.sc.actor,
            municipality="wetzlar",
            kind=kind,
            department=department,
            subject=subject,
            paper_date=paper_date,
            proposed_resolution=proposed_resolution,
            justification=justification,
            public=public,
            now=when,
        ).id
        if submit:
            stages = [[StepInput("stvv", ConsultationRole.decision)]] if stvv_only else None
            planning.plan_consultations(
                self.sc.sessions,
                actor=self.sc.actor,
                paper_id=paper_id,
                committees=committees,
                stages=stages,
                now=when,
            )
            papers.submit_paper(self.sc.sessions, actor=self.sc.actor, paper_id=paper_id, now=when)
        return paper_id

    def meeting(self, bodies: Sequence[str], start: str, *, invite: bool = False) -> int:
        meeting = meetings.create_meeting(
            self.sc.sessions,
            actor=self.sc.actor,
            municipality="wetzlar",
            bodies=list(bodies),
            start=berlin(start),
            now=berlin(start) - dt.timedelta(days=30),
        )
        if invite:
            meetings.invite_meeting(
                self.sc.sessions,
                actor=self.sc.actor,
                meeting_id=meeting.id,
                now=berlin(start) - dt.timedelta(days=10),
            )
        return meeting.id

    def held_item(self, *, attendance: bool = True) -> int:
        """An agenda item of the Stadtverordnetenversammlung, whose meeting began an hour ago."""
        paper_id = self.paper(stvv_only=True)
        start = self.now - dt.timedelta(hours=1)
        meeting = meetings.create_meeting(
            self.sc.sessions,
            actor=self.sc.actor,
            municipality="wetzlar",
            bodies=["stvv"],
            start=start,
            now=start - dt.timedelta(days=30),
        )
        item = meetings.schedule_consultation(
            self.sc.sessions,
            actor=self.sc.actor,
            consultation_id=self.sc.steps(paper_id)["stvv"].id,
            meeting_id=meeting.id,
            now=start - dt.timedelta(days=20),
        ).agenda_item
        meetings.invite_meeting(
            self.sc.sessions, actor=self.sc.actor, meeting_id=meeting.id, now=start - dt.timedelta(days=10)
        )
        if attendance:
            meetings.record_attendance(
                self.sc.sessions,
                actor=self.sc.actor,
                meeting_id=meeting.id,
                present=self.sc.members("stvv"),
                now=start + dt.timedelta(minutes=5),
            )
            open_meeting(self.sc.sessions, meeting.id)
        return item.id

    def count(self, model: type[Any], *where: Any) -> int:
        with self.sc.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    def tally(self) -> dict[str, int]:
        """How many papers, meetings, results … there are: compare before and after a request."""
        return {
            "papers": self.count(Paper),
            "meetings": self.count(Meeting),
            "results": self.count(ItemResult),
            "votes": self.count(Vote),
            "result audits": self.count(AuditEvent, AuditEvent.action == "result.recorded"),
            "result events": self.count(OutboxMessage, OutboxMessage.event_type == "ResultRecorded"),
        }

    def added_since(self, before: dict[str, int]) -> dict[str, int]:
        """What is new since ``before`` (only what changed)."""
        return {name: n - before[name] for name, n in self.tally().items() if n != before[name]}


def draft_body(subject: str = "Sanierung der Sporthalle Büblingshausen", **fields: Any) -> dict[str, Any]:
    return {"department": "kbs", "subject": subject, "paper_date": "2013-11-01", **fields}


def draft_over_http(api: Api, **fields: Any) -> Response:
    return api.post("/wetzlar/papers", as_=OFFICE, json=draft_body(**fields))


def listed(
    api: Api, query: str = "", *, as_: str | None = OFFICE, path: str = "/wetzlar/papers"
) -> list[int]:
    """The ids of every page of a list, following ``next_cursor``."""
    ids: list[int] = []
    cursor = None
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        page = ok(api.get(f"{path}?{query}{suffix}", as_=as_))
        ids.extend(p["id"] for p in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


@pytest.fixture
def shared(module_api: Api) -> Api:
    """The app on the module's database (one per backend), for tests that look only at what they made."""
    module_api.clock.set(NOW)
    return module_api


# ============================================================================================ ETag, If-Match


def test_a_draft_comes_with_its_etag_and_an_edit_with_it_returns_the_next_one(shared: Api) -> None:
    api = shared
    created = draft_over_http(api)
    assert created.status_code == 201, created.text
    paper_id = created.json()["id"]
    assert created.headers["ETag"] == '"v1"'
    read = api.get(f"/wetzlar/papers/{paper_id}", as_=OFFICE)
    assert read.headers["ETag"] == '"v1"'

    edited = api.patch(
        f"/wetzlar/papers/{paper_id}",
        as_=OFFICE,
        headers={"If-Match": read.headers["ETag"]},
        json={"justification": "Die Halle ist seit 1974 nicht saniert worden."},
    )
    assert ok(edited)["justification"] == "Die Halle ist seit 1974 nicht saniert worden."
    assert edited.headers["ETag"] == '"v2"'
    assert api.get(f"/wetzlar/papers/{paper_id}", as_=OFFICE).headers["ETag"] == '"v2"'


def test_a_stale_edit_gets_412_and_changes_nothing(shared: Api) -> None:
    api = shared
    paper_id = ok(draft_over_http(api), 201)["id"]
    first = api.patch(
        f"/wetzlar/papers/{paper_id}",
        as_=OFFICE,
        headers={"If-Match": '"v1"'},
        json={"subject": "Erste Fassung"},
    )
    ok(first)
    # The department edits with the copy it loaded before the office's edit.
    stale = api.patch(
        f"/wetzlar/papers/{paper_id}",
        as_=DEPARTMENT,
        headers={"If-Match": '"v1"'},
        json={"subject": "Zweite Fassung"},
    )
    body = error_of(stale, 412, "version_conflict")
    assert body["details"]["current_version"] == 2
    paper = ok(api.get(f"/wetzlar/papers/{paper_id}", as_=OFFICE))
    assert (paper["subject"], paper["version"]) == ("Erste Fassung", 2)


def test_an_edit_without_if_match_gets_428(shared: Api) -> None:
    api = shared
    paper_id = ok(draft_over_http(api), 201)["id"]
    missing = api.patch(f"/wetzlar/papers/{paper_id}", as_=OFFICE, json={"subject": "Ohne ETag"})
    error_of(missing, 428, "precondition_required")
    assert ok(api.get(f"/wetzlar/papers/{paper_id}", as_=OFFICE))["version"] == 1


def test_a_weak_etag_is_accepted_in_if_match(shared: Api) -> None:
    api = shared
    paper_id = ok(draft_over_http(api), 201)["id"]
    weak = api.patch(
        f"/wetzlar/papers/{paper_id}", as_=OFFICE, headers={"If-Match": 'W/"v1"'}, json={"subject": "Schwach"}
    )
    assert ok(weak)["subject"] == "Schwach"
    assert weak.headers["ETag"] == '"v2"'


def test_an_if_match_that_is_no_etag_of_the_paper_gets_412(shared: Api) -> None:
    api = shared
    paper_id = ok(draft_over_http(api), 201)["id"]
    for if_match in ["*", '"x1"', "v", '"v99999999999999999"', '"v1", "v2"', '"v0"']:
        answer = api.patch(f"/wetzlar/papers/{paper_id}", as_=OFFICE, headers={"If-Match": if_match}, json={})
        error_of(answer, 412, "version_conflict")
    assert ok(api.get(f"/wetzlar/papers/{paper_id}", as_=OFFICE))["version"] == 1


# ====================================================================================== idempotent retries


def test_a_retried_draft_gets_the_first_answer_and_only_one_paper_is_created(shared: Api) -> None:
    api = shared
    town = Town(api)
    before = town.tally()
    key = {"Idempotency-Key": "entwurf-1562-13"}
    body = draft_body("Integriertes Handlungskonzept")
    first = api.post("/wetzlar/papers", as_=OFFICE, headers=key, json=body)
    again = api.post("/wetzlar/papers", as_=OFFICE, headers=key, json=body)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["ETag"] == first.headers["ETag"] == '"v1"'
    assert town.added_since(before) == {"papers": 1}


def test_a_retried_meeting_gets_the_first_answer_and_only_one_meeting_is_created(shared: Api) -> None:
    api = shared
    town = Town(api)
    before = town.tally()
    body = {"bodies": ["sjs", "kfp"], "start": "2013-12-02T17:00:00+01:00", "location": "Neues Rathaus"}
    key = {"Idempotency-Key": "gemeinsame-sitzung-dezember"}
    first = api.post("/wetzlar/meetings", as_=OFFICE, headers=key, json=body)
    again = api.post("/wetzlar/meetings", as_=OFFICE, headers=key, json=body)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert town.added_since(before) == {"meetings": 1}


def test_a_retried_result_gets_the_first_answer_and_only_one_result_is_recorded(shared: Api) -> None:
    api = shared
    town = Town(api)
    item = town.held_item()
    before = town.tally()
    key = {"Idempotency-Key": "ergebnis-top-1"}
    first = api.post(f"/wetzlar/agenda-items/{item}/result", as_=SECRETARY, headers=key, json=RESULT)
    again = api.post(f"/wetzlar/agenda-items/{item}/result", as_=SECRETARY, headers=key, json=RESULT)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    once = {"results": 1, "votes": 1, "result audits": 1, "result events": 1}
    assert town.added_since(before) == once
    # Without the key, a second recording is a conflict, not a second result.
    error_of(api.post(f"/wetzlar/agenda-items/{item}/result", as_=SECRETARY, json=RESULT), 409, "conflict")
    assert town.added_since(before) == once


def test_the_answer_to_recording_a_result_is_what_reading_it_back_gives(shared: Api) -> None:
    # The answer is built from memory, not read back: it must still say exactly what was stored.
    api = shared
    item = Town(api).held_item()
    result = {
        "outcome": "adopted",
        "votes": [
            {
                "yes": 40,
                "no": 12,
                "abstain": 3,
                "factions": [{"faction": "cdu", "no": 2}, {"faction": "spd", "yes": 3}],
            }
        ],
    }
    recorded = ok(api.post(f"/wetzlar/agenda-items/{item}/result", as_=SECRETARY, json=result), 201)
    read_back = ok(api.get(f"/wetzlar/agenda-items/{item}/result", as_=SECRETARY))
    assert recorded == read_back
    assert list(recorded["votes"][0]["factions"]) == ["spd", "cdu"]  # stored order: by faction
    assert recorded["votes"][0]["factions"]["cdu"] == [0, 2, 0]


def test_the_same_key_with_another_body_or_on_another_path_gets_422(shared: Api) -> None:
    api = shared
    town = Town(api)
    key = {"Idempotency-Key": "einmal-benutzt"}
    ok(draft_over_http(api, subject="Erste Vorlage"), 201)  # no key: not remembered
    ok(api.post("/wetzlar/papers", as_=OFFICE, headers=key, json=draft_body("Erste Vorlage")), 201)
    before = town.tally()
    other_body = api.post("/wetzlar/papers", as_=OFFICE, headers=key, json=draft_body("Zweite Vorlage"))
    error_of(other_body, 422, "idempotency_key_reused")
    other_path = api.post(
        "/wetzlar/meetings",
        as_=OFFICE,
        headers=key,
        json={"bodies": ["stvv"], "start": "2013-12-18T18:00:00+01:00"},
    )
    error_of(other_path, 422, "idempotency_key_reused")
    assert town.added_since(before) == {}


def test_a_failed_first_attempt_can_be_retried_with_the_same_key(shared: Api) -> None:
    api = shared
    town = Town(api)
    item = town.held_item(attendance=False)
    before = town.tally()
    key = {"Idempotency-Key": "ergebnis-vor-der-anwesenheit"}
    too_early = api.post(f"/wetzlar/agenda-items/{item}/result", as_=SECRETARY, headers=key, json=RESULT)
    body = error_of(too_early, 422, "rule_violation")
    assert "attendance" in body["message"]
    assert town.added_since(before) == {}
    with town.sc.sessions() as session:
        meeting_id = session.get_one(AgendaItem, item).meeting_id
    ok(
        api.put(
            f"/wetzlar/meetings/{meeting_id}/attendance",
            as_=SECRETARY,
            json={"present": town.sc.members("stvv")},
        )
    )
    ok(api.post(f"/wetzlar/meetings/{meeting_id}/quorum", as_=SECRETARY, json={"body": "stvv"}))
    retried = api.post(f"/wetzlar/agenda-items/{item}/result", as_=SECRETARY, headers=key, json=RESULT)
    assert ok(retried, 201)["outcome"] == "adopted"
    assert "Idempotent-Replayed" not in retried.headers
    assert town.added_since(before) == {"results": 1, "votes": 1, "result audits": 1, "result events": 1}


def test_an_idempotency_key_belongs_to_the_user_who_sent_it(shared: Api) -> None:
    api = shared
    town = Town(api)
    before = town.tally()
    key = {"Idempotency-Key": "gleicher-schluessel"}
    body = draft_body("Vorlage des Koordinationsbüros")
    office = api.post("/wetzlar/papers", as_=OFFICE, headers=key, json=body)
    department = api.post("/wetzlar/papers", as_=DEPARTMENT, headers=key, json=body)
    assert (office.status_code, department.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in department.headers
    assert office.json()["id"] != department.json()["id"]
    assert town.added_since(before) == {"papers": 2}


# ======================================================== two secretaries record the same item at once


def race(**calls: Callable[[], Response]) -> dict[str, Response]:
    """Run the calls in threads released together by a barrier; every answer (an exception fails the test)."""
    barrier = threading.Barrier(len(calls))
    answers: dict[str, Response | BaseException] = {}

    def run(name: str, call: Callable[[], Response]) -> None:
        barrier.wait(timeout=30)
        try:
            answers[name] = call()
        except BaseException as exc:  # reported below
            answers[name] = exc

    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request hangs"
    failed = {name: answer for name, answer in answers.items() if not isinstance(answer, Response)}
    assert not failed, failed
    return {name: answer for name, answer in answers.items() if isinstance(answer, Response)}


def test_two_secretaries_recording_the_same_item_at_once_one_wins_and_the_other_gets_409(api_pg: Api) -> None:
    town = Town(api_pg)
    items = [town.held_item() for _ in range(3)]
    votes = {SECRETARY: (40, 12, 3), SECOND_SECRETARY: (41, 11, 3)}
    with running_api(api_pg.db, api_pg.clock) as second:  # a TestClient and an app of its own
        clients = {SECRETARY: api_pg, SECOND_SECRETARY: second}
        for username, client in clients.items():
            client.token(username)  # both log in before the race

        def recording(username: str, item: int) -> Callable[[], Response]:
            yes, no, abstain = votes[username]
            result = {"outcome": "adopted", "votes": [{"yes": yes, "no": no, "abstain": abstain}]}
            return lambda: clients[username].post(
                f"/wetzlar/agenda-items/{item}/result", as_=username, json=result
            )

        for item in items:
            answers = race(**{name: recording(name, item) for name in clients})
            statuses = {name: answer.status_code for name, answer in answers.items()}
            assert sorted(statuses.values()) == [201, 409], {n: a.text for n, a in answers.items()}
            winner = next(name for name, status in statuses.items() if status == 201)
            loser = next(name for name, status in statuses.items() if status == 409)
            lost = error_of(answers[loser], 409, "conflict")
            assert "already recorded" in lost["message"]
            assert lost["details"]["agenda_item_id"] == item
            won = answers[winner].json()
            assert won["recorded_by"].startswith(winner)

            # Nothing lost, nothing doubled: the winner's result, once, with its votes and its audit event.
            stored = ok(api_pg.get(f"/wetzlar/agenda-items/{item}/result"))
            assert stored == won
            assert [(v["yes"], v["no"], v["abstain"]) for v in stored["votes"]] == [votes[winner]]
            with town.sc.sessions() as session:
                result_id = session.scalars(
                    select(ItemResult.id).where(ItemResult.agenda_item_id == item)
                ).one()
                step_id = session.get_one(AgendaItem, item).consultation_id
                paper_id = session.scalars(
                    select(Consultation.paper_id).where(Consultation.id == step_id)
                ).one()
            assert town.count(Vote, Vote.result_id == result_id) == 1
            recorded = (AuditEvent.action == "result.recorded", AuditEvent.paper_id == paper_id)
            assert town.count(AuditEvent, *recorded) == 1
            assert ok(api_pg.get(f"/wetzlar/papers/{paper_id}"))["state"] == "adopted"
    assert town.count(ItemResult) == len(items)
    assert town.count(OutboxMessage, OutboxMessage.event_type == "PaperDecided") == len(items)


# ================================================================================ keyset pagination, filters


def test_keyset_pages_stay_stable_without_duplicates_or_gaps_while_papers_are_added(api: Api) -> None:
    town = Town(api)
    before = [town.paper(f"Vorlage {n}") for n in range(7)]
    pages: list[list[int]] = []
    cursors: list[str | None] = [None]
    added: list[int] = []
    while True:
        suffix = f"&cursor={cursors[-1]}" if cursors[-1] else ""
        page = ok(api.get(f"/wetzlar/papers?limit=3{suffix}", as_=OFFICE))
        pages.append([p["id"] for p in page["items"]])
        # Someone drafts a new paper between two pages.
        added.append(ok(draft_over_http(api, subject=f"Neu nach Seite {len(pages)}"), 201)["id"])
        if page["next_cursor"] is None:
            break
        cursors.append(page["next_cursor"])

    walked = [paper_id for page in pages for paper_id in page]
    assert walked == sorted(before, reverse=True)  # every paper once, newest first, none of the new ones
    assert [len(page) for page in pages] == [3, 3, 1]
    # The same cursor gives the same page again, however many papers were added meanwhile.
    again = ok(api.get(f"/wetzlar/papers?limit=3&cursor={cursors[1]}", as_=OFFICE))
    assert [p["id"] for p in again["items"]] == pages[1]
    # The new papers come first on a fresh first page.
    first = ok(api.get("/wetzlar/papers?limit=3", as_=OFFICE))
    assert [p["id"] for p in first["items"]] == sorted(added, reverse=True)


def test_the_paper_list_filters_by_state_kind_department_body_and_date_range(api: Api) -> None:
    town = Town(api)
    draft = town.paper("Entwurf", paper_date=dt.date(2013, 3, 1), submit=False)
    notice = town.paper(
        "Mitteilung",
        department="hauptamt",
        kind=PaperKind.mitteilungsvorlage,
        paper_date=dt.date(2013, 5, 10),
    )
    resolution = town.paper("Beschlussvorlage", committees=["sjs"], paper_date=dt.date(2013, 6, 20))

    def found(query: str) -> set[int]:
        ids = listed(api, query)
        assert len(ids) == len(set(ids))
        return set(ids)

    assert found("state=draft") == {draft}
    assert found("state=submitted") == {notice, resolution}
    assert found("state=draft&state=submitted") == {draft, notice, resolution}
    assert found("state=adopted") == set()
    assert found("kind=mitteilungsvorlage") == {notice}
    assert found("kind=beschlussvorlage") == {draft, resolution}
    assert found("department=hauptamt") == {notice}
    assert found("department=kbs") == {draft, resolution}
    assert found("body=sjs") == {resolution}
    assert found("body=magistrat") == {notice, resolution}
    assert found("date_from=2013-04-01&date_to=2013-05-31") == {notice}
    assert found("date_from=2013-05-10&date_to=2013-05-10") == {notice}  # both ends included
    assert found("date_from=2013-05-11") == {resolution}
    assert found("department=kbs&state=submitted&body=stvv&date_to=2013-12-31") == {resolution}
    assert listed(api, "department=kbs&limit=1") == [resolution, draft]  # filtered pages, one by one
    error_of(api.get("/wetzlar/papers?department=standesamt", as_=OFFICE), 404, "not_found")
    error_of(api.get("/wetzlar/papers?state=beschlossen", as_=OFFICE), 422, "validation_error")
    error_of(api.get("/wetzlar/papers?kind=vorlage", as_=OFFICE), 422, "validation_error")


def test_the_paper_list_sorted_by_date_pages_through_every_paper_once_also_on_equal_dates(api: Api) -> None:
    town = Town(api)
    days = ["2013-06-20", "2013-03-01", "2013-06-20", "2014-01-15", "2013-06-20", "2012-12-31"]
    made = [(dt.date.fromisoformat(day), town.paper(f"Vorlage vom {day}", paper_date=dt.date.fromisoformat(day)))
            for day in days]  # fmt: skip
    latest_first = [paper_id for _, paper_id in sorted(made, reverse=True)]
    earliest_first = [paper_id for _, paper_id in sorted(made)]
    assert latest_first != sorted(latest_first, reverse=True)  # the date order is not the order of entry
    for limit in (1, 2, 4, 50):
        assert listed(api, f"order=date_desc&limit={limit}") == latest_first
        assert listed(api, f"order=date_asc&limit={limit}") == earliest_first
    assert listed(api, "order=date_asc&date_from=2013-06-20&date_to=2013-06-20&limit=1") == [
        paper_id for day, paper_id in sorted(made) if day == dt.date(2013, 6, 20)
    ]
    assert listed(api, "order=newest&limit=2") == sorted(latest_first, reverse=True)
    # A cursor belongs to its order: one of another order is refused, not read as something else.
    newest_cursor = ok(api.get("/wetzlar/papers?limit=1", as_=OFFICE))["next_cursor"]
    dated_cursor = ok(api.get("/wetzlar/papers?limit=1&order=date_desc", as_=OFFICE))["next_cursor"]
    error_of(api.get(f"/wetzlar/papers?order=date_desc&cursor={newest_cursor}", as_=OFFICE), 422)
    error_of(api.get(f"/wetzlar/papers?cursor={dated_cursor}", as_=OFFICE), 422)
    error_of(api.get(f"/wetzlar/papers?order=date_asc&cursor={dated_cursor}", as_=OFFICE), 422)
    for bad in (
        cursor_of("date_asc/2013-13-01/5"),
        cursor_of("date_asc/2013-06-20/0"),
        cursor_of("date_asc/2013-06-20"),
        cursor_of("2013-06-20/5"),
        "a",
    ):
        error_of(api.get(f"/wetzlar/papers?order=date_asc&cursor={bad}", as_=OFFICE), 422, "rule_violation")
    ok(api.get(f"/wetzlar/papers?order=date_asc&cursor={cursor_of('date_asc/2013-06-20/5')}", as_=OFFICE))
    error_of(api.get("/wetzlar/papers?order=datum", as_=OFFICE), 422, "validation_error")


def test_the_meeting_list_filters_by_body_state_and_date_range_and_pages(api: Api) -> None:
    town = Town(api)
    stvv = town.meeting(["stvv"], "2013-09-05 18:00")
    sjs = town.meeting(["sjs"], "2013-10-01 17:00")
    joint = town.meeting(["sjs", "kfp"], "2013-10-28 17:00")
    invited = town.meeting(["stvv"], "2013-11-27 18:00", invite=True)

    def found(query: str) -> list[int]:
        return listed(api, query, as_=None, path="/wetzlar/meetings")

    assert found("") == [invited, joint, sjs, stvv]
    assert found("limit=1") == [invited, joint, sjs, stvv]
    assert found("body=sjs") == [joint, sjs]
    assert found("body=kfp") == [joint]
    assert found("state=invited") == [invited]
    assert found("date_from=2013-10-01&date_to=2013-10-31") == [joint, sjs]
    assert found("body=stvv&state=planned") == [stvv]


def test_the_meeting_list_filters_by_the_calendar_day_in_berlin(api: Api) -> None:
    town = Town(api)
    late = town.meeting(["stvv"], "2013-10-28 00:30")  # 27.10.2013, 23:30 UTC
    assert listed(api, "date_from=2013-10-28&date_to=2013-10-28", as_=None, path="/wetzlar/meetings") == [
        late
    ]


def test_an_invalid_cursor_gets_422(shared: Api) -> None:
    api = shared
    bad = [
        "kein-cursor!",  # not base64 at all
        "a",  # broken base64
        cursor_of("nope"),  # not a number
        cursor_of(0),
        cursor_of(-5),
        cursor_of(10**20),
        "A" * 41,  # too long
    ]
    for path in ("/wetzlar/papers", "/wetzlar/meetings"):
        for cursor in bad:
            body = error_of(api.get(f"{path}?cursor={cursor}", as_=OFFICE), 422)
            assert body["error"] in {"validation_error", "rule_violation"}, (path, cursor, body)
        ok(api.get(f"{path}?cursor={cursor_of(2_147_483_647)}", as_=OFFICE))


# ================================================================================================ search


def test_a_search_with_words_and_an_end_date_pages_through_exactly_the_papers_that_match(api: Api) -> None:
    town = Town(api)
    made = []  # (date, kind, subject, id), in the order of entry
    for n in range(14):
        day = dt.date(2012, 1, 1) + dt.timedelta(days=97 * ((n * 5) % 14))
        kind = PaperKind.mitteilungsvorlage if n % 3 == 0 else PaperKind.beschlussvorlage
        subject = "Sanierung der Turnhalle" if n % 2 else "Neubau des Kindergartens"
        made.append((day, kind, subject, town.paper(f"{subject} {n}", kind=kind, paper_date=day)))

    def expected(word: str, until: dt.date, kind: PaperKind | None = None) -> list[int]:
        return sorted(
            (p for d, k, s, p in made if word in s and d <= until and kind in (None, k)), reverse=True
        )

    days = sorted({d for d, _, _, _ in made})
    for until in (days[0], days[3], days[7], days[-1], dt.date(2011, 12, 31)):
        for limit in (1, 2, 50):
            query = f"q=Turnhalle&date_to={until}&limit={limit}"
            assert listed(api, query, as_=None) == expected("Turnhalle", until), (until, limit)
            assert listed(api, query + "&kind=mitteilungsvorlage", as_=None) == expected(
                "Turnhalle", until, PaperKind.mitteilungsvorlage
            )
    # The newest paper of the other filters need not carry the word: each paper carries one of two.
    for until in days:
        assert listed(api, f"q=Kindergarten&date_to={until}&limit=2", as_=None) == expected(
            "Kindergarten", until
        )


def test_full_text_search_finds_german_words_in_every_form(api: Api) -> None:
    town = Town(api)
    integration = town.paper(
        "Integriertes Handlungskonzept zur Integration von Menschen mit Migrationshintergrund",
        proposed_resolution="Die Integrationsarbeit wird auf Grundlage des Handlungskonzepts weiterentwickelt.",
    )
    gym = town.paper(
        "Sanierung der Sporthalle Büblingshausen",
        justification="Die Turnhalle wird energetisch saniert; die Duschräume werden erneuert.",
    )

    def search(q: str, as_: str | None = OFFICE) -> set[int]:
        return set(listed(api, f"q={q}", as_=as_))

    assert search("Integrationen") == {integration}  # another form of "Integration"
    assert search("integration") == {integration}
    assert search("Migrationshintergrund Integration") == {integration}  # every word must match
    assert search("Turnhallen") == {gym}  # in the justification
    assert search("Duschraum") == {gym}
    assert search("Handlungskonzepte") == {integration}
    assert search("Integration Turnhalle") == set()
    assert search("Hallenbad") == set()
    assert search("!!!") == set()  # no word at all


def test_the_public_finds_only_submitted_public_papers_in_the_search(api: Api) -> None:
    town = Town(api)
    public = town.paper("Integration im Stadtteil Niedergirmes")
    town.paper("Integration: vertrauliche Personalangelegenheit", public=False)
    town.paper("Integration: Entwurf", submit=False)
    assert set(listed(api, "q=Integrationen", as_=None)) == {public}
    assert len(listed(api, "q=Integrationen", as_=OFFICE)) == 3


# ================================================================================== one error shape, status


def test_a_bad_token_gets_401_in_the_error_shape(shared: Api) -> None:
    api = shared
    answer = api.get("/me", headers={"Authorization": "Bearer kein-gueltiges-token"})
    error_of(answer, 401, "unauthenticated")
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    # A bad token is refused, not treated as the public.
    error_of(api.get("/wetzlar/papers", headers={"Authorization": "Bearer kein-gueltiges-token"}), 401)
    error_of(api.get("/me"), 401, "unauthenticated")


def test_a_token_expires_eight_hours_after_login_on_the_clock(shared: Api) -> None:
    api = shared
    token, expires = login(api.client, OFFICE)
    assert expires == api.clock.now + dt.timedelta(hours=8)
    bearer = {"Authorization": f"Bearer {token}"}
    assert ok(api.get("/me", headers=bearer))["username"] == OFFICE
    api.clock.advance(dt.timedelta(hours=8) - dt.timedelta(seconds=1))
    assert ok(api.get("/me", headers=bearer))["role"] == "coordination"
    api.clock.advance(dt.timedelta(seconds=1))
    body = error_of(api.get("/me", headers=bearer), 401, "unauthenticated")
    assert "expired" in body["message"]
    error_of(api.post("/wetzlar/papers", headers=bearer, json=draft_body()), 401, "unauthenticated")


def test_a_wrong_password_gets_401(shared: Api) -> None:
    api = shared
    wrong = api.post("/auth/token", json={"username": OFFICE, "password": "falsches-passwort"})
    error_of(wrong, 401, "unauthenticated")
    unknown = api.post("/auth/token", json={"username": "niemand", "password": "demo-passwort"})
    assert error_of(unknown, 401)["message"] == wrong.json()["message"]  # no hint which one was wrong


def test_a_forbidden_action_gets_403_in_the_error_shape(shared: Api) -> None:
    api = shared
    answer = api.post("/wetzlar/papers", as_=DEPARTMENT, json=draft_body(department="hauptamt"))
    body = error_of(answer, 403, "forbidden")
    assert body["details"]["german"] == "Ein Fachamt legt nur eigene Vorlagen an"
    error_of(
        api.post(
            "/wetzlar/meetings",
            as_=SECRETARY,
            json={"bodies": ["stvv"], "start": "2013-12-18T18:00:00+01:00"},
        ),
        403,
    )


def test_what_does_not_exist_gets_404_in_the_error_shape(shared: Api) -> None:
    api = shared
    error_of(api.get("/wetzlar/papers/4711", as_=OFFICE), 404, "not_found")
    error_of(api.get("/wetzlar/meetings/4711"), 404, "not_found")
    error_of(api.get("/wetzlar/agenda-items/4711/result"), 404, "not_found")
    error_of(api.get("/giessen/papers"), 404, "not_found")
    error_of(api.get("/wetzlar/bodies/ortsbeirat/waiting", as_=OFFICE), 404, "not_found")
    error_of(api.get("/gibt/es/nicht"), 404, "not_found")


def test_an_illegal_transition_gets_409_naming_the_state_and_what_is_allowed(shared: Api) -> None:
    api = shared
    town = Town(api)
    paper_id = town.paper()
    body = error_of(
        api.post(f"/wetzlar/papers/{paper_id}/submission", as_=OFFICE), 409, "transition_not_allowed"
    )
    assert body["details"]["state"] == "submitted"
    assert "submit" not in body["details"]["allowed"]
    # A result before the meeting has begun.
    item = town.held_item(attendance=False)
    api.clock.set("2013-11-04 08:00")  # the meeting begins at 09:00
    early = api.post(f"/wetzlar/agenda-items/{item}/result", as_=SECRETARY, json=RESULT)
    error_of(early, 409, "transition_not_allowed")


IMPOSSIBLE_VOTES: list[tuple[dict[str, Any], str, str]] = [
    # (result, error code, the rule named in details.rule or in the message)
    (
        {"outcome": "adopted", "votes": [{"yes": 50, "no": 9, "abstain": 1}]},
        "vote_inconsistent",
        "votes_exceed_present",
    ),
    (
        {"outcome": "adopted", "votes": [{"yes": 10, "no": 20}]},
        "vote_inconsistent",
        "outcome_contradicts_votes",
    ),
    (
        {"outcome": "adopted", "votes": [{"yes": 20, "no": 20}]},
        "vote_inconsistent",
        "outcome_contradicts_votes",
    ),
    (
        {"outcome": "rejected", "votes": [{"yes": 30, "no": 20}]},
        "vote_inconsistent",
        "outcome_contradicts_votes",
    ),
    (
        {"outcome": "recommended", "votes": [{"yes": 30, "no": 20}]},
        "rule_violation",
        "outcome_not_allowed_for_role",
    ),
    ({"outcome": "adopted", "votes": []}, "vote_inconsistent", "needs a recorded vote"),
    (
        {"outcome": "adopted", "votes": [{"yes": 30, "no": 20, "casting_vote": "yes"}]},
        "vote_inconsistent",
        "no casting vote",
    ),
    (
        {"outcome": "adopted", "votes": [{"yes": 30, "no": 2, "factions": [{"faction": "fdp", "yes": 4}]}]},
        "vote_inconsistent",
        "voting members of the faction",
    ),
    (
        {"outcome": "adopted", "votes": [{"yes": 3, "no": 2, "factions": [{"faction": "spd", "yes": 5}]}]},
        "vote_inconsistent",
        "factions add up",
    ),
    (
        {
            "outcome": "adopted",
            "votes": [{"yes": 30, "no": 2}, {"yes": 30, "no": 2, "decisive": True}],
            "quorum_failed": True,
        },
        "rule_violation",
        "deferred",
    ),
    (
        # Established at the opening, the quorum is presumed while members leave (§ 53 Abs. 1 Satz 2 HGO).
        {"outcome": "deferred", "present": [1, 2, 3], "quorum_failed": True},
        "rule_violation",
        "quorum_presumed",
    ),
]


def test_impossible_votes_get_422_naming_the_broken_rule(shared: Api) -> None:
    api = shared
    town = Town(api)
    item = town.held_item()
    stvv = town.sc.members("stvv")
    recused = {
        "outcome": "adopted",
        "recused": [{"person_id": stvv[5]}],
        "votes": [{"yes": 30, "no": 2, "named": {str(stvv[5]): "yes"}}],
    }
    cases = [*IMPOSSIBLE_VOTES, (recused, "vote_inconsistent", "recused")]
    for result, code, rule in cases:
        if "present" in result:
            result = {**result, "present": stvv[:3]}
        body = error_of(
            api.post(f"/wetzlar/agenda-items/{item}/result", as_=SECRETARY, json=result), 422, code
        )
        assert rule == body["details"].get("rule") or rule in body["message"], (result, body)
    assert town.count(ItemResult, ItemResult.agenda_item_id == item) == 0  # none of them was recorded
    ok(api.post(f"/wetzlar/agenda-items/{item}/result", as_=SECRETARY, json=RESULT), 201)


def test_a_body_that_breaks_the_schema_gets_422_listing_every_error(shared: Api) -> None:
    api = shared
    answer = api.post(
        "/wetzlar/papers", as_=OFFICE, json={"department": "KBS!", "paper_date": "gestern", "farbe": "blau"}
    )
    body = error_of(answer, 422, "validation_error")
    locations = {tuple(e["location"]) for e in body["details"]["errors"]}
    assert {
        ("body", "department"),
        ("body", "subject"),
        ("body", "paper_date"),
        ("body", "farbe"),
    } <= locations
    negative = api.post(
        "/wetzlar/agenda-items/1/result",
        as_=SECRETARY,
        json={"outcome": "adopted", "votes": [{"yes": -1, "no": 0}]},
    )
    error_of(negative, 422, "validation_error")
    error_of(
        api.post(
            "/wetzlar/papers", as_=OFFICE, content=b"{kein json", headers={"Content-Type": "application/json"}
        ),
        422,
    )


# ============================================================================= input that never gives a 500

BIG = 10**20


@dataclass(frozen=True)
class Hostile:
    """A request with bad input, the statuses that are right for it, and where a known bug makes it a 500."""

    method: str
    path: str  # below /api/v1; {paper}, {meeting} and {item} are filled in
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    as_: str | None = OFFICE
    expected: frozenset[int] = frozenset({422})
    bug_on: frozenset[str] = frozenset()  # database kinds
    bug: str = ""


BOTH = frozenset({"sqlite", "postgresql"})
HOSTILE: dict[str, Hostile] = {
    "NUL in the subject of a new paper": Hostile("POST", "/wetzlar/papers", draft_body("Integration\x00")),
    "NUL in an edit": Hostile(
        "PATCH", "/wetzlar/papers/{paper}", {"justification": "\x00"}, {"If-Match": '"v1"'}
    ),
    "NUL in the search text": Hostile("GET", "/wetzlar/papers?q=Integration%00"),
    "NUL in a filter": Hostile("GET", "/wetzlar/papers?department=kbs%00"),
    "NUL in a user name": Hostile("POST", "/auth/token", {"username": "a\x00", "password": "demo-passwort"}),
    "NUL in the municipality": Hostile("GET", "/wetz%00lar/papers", expected=frozenset({404, 422})),
    "NUL in the body of the waiting list": Hostile(
        "GET",
        "/wetzlar/bodies/st%00vv/waiting",
        expected=frozenset({404, 422}),
    ),
    "NUL in the location of a meeting": Hostile(
        "POST",
        "/wetzlar/meetings",
        {"bodies": ["stvv"], "start": "2013-12-18T18:00:00+01:00", "location": "\x00"},
    ),
    "NUL in a reason": Hostile("POST", "/wetzlar/papers/{paper}/withdrawal", {"reason": "überholt\x00"}),
    "NUL in an agenda item": Hostile("POST", "/wetzlar/meetings/{meeting}/agenda-items", {"title": "\x00"}),
    "NUL in a co-signer's comment": Hostile(
        "POST", "/wetzlar/papers/{paper}/cosignatures", {"department": "kaemmerei", "comment": "\x00"}
    ),
    "a 10**20 paper id": Hostile("GET", f"/wetzlar/papers/{BIG}"),
    "a 10**20 paper id in its status": Hostile("GET", f"/wetzlar/papers/{BIG}/status"),
    "a 10**20 meeting id": Hostile("GET", f"/wetzlar/meetings/{BIG}"),
    "a 10**20 agenda item id": Hostile("POST", f"/wetzlar/agenda-items/{BIG}/result", RESULT, as_=SECRETARY),
    "a 10**20 step on an agenda": Hostile(
        "POST", "/wetzlar/meetings/{meeting}/agenda-items", {"consultation_id": BIG}
    ),
    "a 10**20 person in the attendance": Hostile(
        "PUT", "/wetzlar/meetings/{meeting}/attendance", {"present": [BIG]}, as_=SECRETARY
    ),
    "a 10**20 person in a named vote": Hostile(
        "POST",
        "/wetzlar/agenda-items/{item}/result",
        {"outcome": "adopted", "votes": [{"yes": 30, "no": 0, "named": {str(BIG): "yes"}}]},
        as_=SECRETARY,
    ),
    "a 10-digit person in a named vote": Hostile(
        "POST",
        "/wetzlar/agenda-items/{item}/result",
        {"outcome": "adopted", "votes": [{"yes": 30, "no": 0, "named": {"9999999999": "yes"}}]},
        as_=SECRETARY,
    ),
    "a 10**20 recused person": Hostile(
        "POST",
        "/wetzlar/agenda-items/{item}/result",
        {"outcome": "adopted", "recused": [{"person_id": BIG}], "votes": [{"yes": 30, "no": 0}]},
        as_=SECRETARY,
    ),
    "a 10**20 vote count": Hostile(
        "POST",
        "/wetzlar/agenda-items/{item}/result",
        {"outcome": "adopted", "votes": [{"yes": BIG, "no": 0}]},
        as_=SECRETARY,
    ),
    "a 10**20 page size": Hostile("GET", f"/wetzlar/papers?limit={BIG}"),
    "a 10**20 superseding paper": Hostile(
        "POST", "/wetzlar/papers/{paper}/settlement", {"reason": "überholt", "superseded_by": BIG}
    ),
    "a naive meeting start": Hostile(
        "POST", "/wetzlar/meetings", {"bodies": ["stvv"], "start": "2013-12-18T18:00:00"}
    ),
    "a naive meeting end": Hostile(
        "POST",
        "/wetzlar/meetings",
        {"bodies": ["stvv"], "start": "2013-12-18T18:00:00+01:00", "end": "2013-12-18T21:00:00"},
    ),
    "a time of day as the paper date": Hostile(
        "POST", "/wetzlar/papers", draft_body(paper_date="2013-07-12T10:00:00")
    ),
    "a meeting in the year 9999": Hostile(
        "POST", "/wetzlar/meetings", {"bodies": ["stvv"], "start": "9999-12-31T23:59:59+14:00"}
    ),
    "a paper list up to the year 9999": Hostile(
        "GET", "/wetzlar/papers?date_from=0001-01-01&date_to=9999-12-31", expected=frozenset({200, 422})
    ),
    "a meeting list from the year 1": Hostile(
        "GET", "/wetzlar/meetings?date_from=0001-01-01", expected=frozenset({200, 422})
    ),
    "a meeting list up to the year 9999": Hostile(
        "GET",
        "/wetzlar/meetings?date_to=9999-12-31",
        expected=frozenset({200, 422}),
    ),
    "an Idempotency-Key of 201 characters": Hostile(
        "POST", "/wetzlar/papers", draft_body(), {"Idempotency-Key": "k" * 201}
    ),
    "a blank Idempotency-Key": Hostile("POST", "/wetzlar/papers", draft_body(), {"Idempotency-Key": "   "}),
    "an If-Match of 101 characters": Hostile(
        "PATCH",
        "/wetzlar/papers/{paper}",
        {},
        {"If-Match": '"v' + "1" * 99 + '"'},
        expected=frozenset({412, 422}),
    ),
    "a search text of 201 characters": Hostile("GET", "/wetzlar/papers?q=" + "Integration" * 19),
    "search syntax in the search text": Hostile(
        "GET", "/wetzlar/papers?q=%27%20%26%20%7C%20%21%20%3A*%20(%20)%20%3C-%3E", expected=frozenset({200})
    ),
    "a list where an object belongs": Hostile("POST", "/wetzlar/papers", []),
    "text where an id belongs": Hostile("GET", "/wetzlar/papers/eins"),
    "a fraction where an id belongs": Hostile("GET", "/wetzlar/meetings/1.5"),
    "an unknown field": Hostile(
        "PATCH", "/wetzlar/papers/{paper}", {"state": "adopted"}, {"If-Match": '"v1"'}
    ),
}


@pytest.fixture(scope="module")
def targets(module_api: Api) -> dict[str, int]:
    """A draft, a planned meeting and a held agenda item for the hostile requests to aim at."""
    town = Town(module_api)
    paper = town.paper("Zielscheibe", submit=False)
    meeting = town.meeting(["stvv"], "2013-12-18 18:00")
    return {"paper": paper, "meeting": meeting, "item": town.held_item()}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_never_gives_a_500(
    shared: Api, targets: dict[str, int], name: str, request: pytest.FixtureRequest
) -> None:
    case = HOSTILE[name]
    if shared.db.kind in case.bug_on:
        request.applymarker(pytest.mark.xfail(strict=True, reason=case.bug))
    lenient = TestClient(shared.client.app, raise_server_exceptions=False)
    answer = lenient.request(
        case.method,
        "/api/v1" + case.path.format(**targets),
        json=case.json,
        headers={**shared.headers(case.as_), **case.headers},
    )
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        error_of(answer, answer.status_code)
    assert answer.status_code in case.expected, answer.text


def test_the_openapi_schema_documents_the_etag_and_the_replay_headers(shared: Api) -> None:
    paths = shared.client.get("/openapi.json").json()["paths"]
    papers, one_paper = (
        paths["/api/v1/{municipality}/papers"],
        paths["/api/v1/{municipality}/papers/{paper_id}"],
    )
    assert set(papers["post"]["responses"]["201"]["headers"]) == {"ETag", "Idempotent-Replayed"}
    assert set(one_paper["get"]["responses"]["200"]["headers"]) == {"ETag"}
    assert set(one_paper["patch"]["responses"]["200"]["headers"]) == {"ETag"}
    result = paths["/api/v1/{municipality}/agenda-items/{item_id}/result"]["post"]
    assert set(result["responses"]["201"]["headers"]) == {"Idempotent-Replayed"}
    assert "headers" not in paths["/api/v1/{municipality}/meetings"]["get"]["responses"]["200"]


def test_a_paper_published_by_mistake_is_depublished_with_a_reason_and_oparl_answers_it_as_deleted(
    api: Api,
) -> None:
    town = Town(api)
    paper = town.paper("Versehentlich veröffentlicht", stvv_only=True)
    assert ok(api.get(f"/wetzlar/papers/{paper}"))["public"] is True
    oparl = f"/oparl/v1/paper/{paper}"
    assert "deleted" not in api.client.get(oparl).json()

    error_of(api.post(f"/wetzlar/papers/{paper}/depublication", as_=OFFICE, json={"reason": " "}), 422)
    error_of(api.post(f"/wetzlar/papers/{paper}/depublication", as_=DEPARTMENT, json={"reason": "x"}), 403)
    done = ok(api.post(f"/wetzlar/papers/{paper}/depublication", as_=OFFICE, json={"reason": "Datenschutz"}))
    assert done["public"] is False

    error_of(api.get(f"/wetzlar/papers/{paper}"), 404)  # the public no longer sees it
    assert ok(api.get(f"/wetzlar/papers/{paper}", as_=OFFICE))["public"] is False
    gone = api.client.get(oparl)
    assert gone.status_code == 200
    assert gone.json()["deleted"] is True
    history = ok(api.get(f"/wetzlar/papers/{paper}/history", as_=OFFICE))
    assert any(e["action"] == "paper.depublished" and e["reason"] == "Datenschutz" for e in history)
    # Once out of the public record, a second depublication is refused, and nothing changes.
    error_of(api.post(f"/wetzlar/papers/{paper}/depublication", as_=OFFICE, json={"reason": "nochmal"}), 422)
