"""The whole matrix of roles × actions over HTTP, on SQLite and PostgreSQL (issue 3, "People and rights").

The rules, from the issue and ``workflow.access``:

* without login only public data is visible: submitted public papers, meetings, public results;
* the coordination office drafts for any department, edits any draft, submits, plans, withdraws, creates
  meetings, builds agendas, invites; it does not record attendance or results (the secretaries do);
* a department drafts and edits only its own papers; it reads its own drafts and those it must co-sign, and
  co-signs only for itself;
* a secretary records attendance and results only for meetings of their own bodies;
* a council member reads the non-public papers and agenda items of their bodies, nothing non-public of
  other bodies;
* staff (coordination, departments, secretaries, administration) read every paper of their municipality
  that is no longer a draft, and the non-public part of its meetings;
* the administrator may do everything in their own municipality;
* nobody acts in another municipality; what one may not see is a 404 (its existence is not revealed), what
  one sees but may not do is a 403, and a write without a login is a 401.

"The body" below is the Stadtverordnetenversammlung (stvv): the secretary of the body is its secretary, the
member of the body the demo council member (its first member); the secretary of another body keeps the
minutes of the SJS, and the council member not of the body sits in the Magistrat only. The other
municipality is Duisburg.

Every cell is its own test on one shared world per backend; a cell that changes something works on a fresh
paper, meeting or agenda item of its own, so the cells do not depend on one another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import Response

from tests.e2e.conftest import Api
from tests.scenario import Scenario, berlin, open_meeting, recorder
from workflow import meetings, papers, planning, results
from workflow.models import Paper
from workflow.planning import StepInput
from workflow.rules import VoteInput
from workflow.vocabulary import ConsultationRole, Outcome, PaperKind

ROLES: dict[str, str | None] = {
    "public": None,
    "coordination": "wetzlar-koordination",
    "department": "wetzlar-fachamt",
    "secretary_of_the_body": "wetzlar-schrift-stvv",
    "secretary_of_another_body": "wetzlar-schrift-sjs",
    "member_of_the_body": "wetzlar-mitglied",
    "member_not_of_the_body": "wetzlar-mitglied-magistrat",
    "admin": "wetzlar-admin",
    "office_of_another_town": "duisburg-koordination",
    "admin_of_another_town": "duisburg-admin",
}

# The expected status of every cell. For the list and "see … in …" rows, 200 means "it is shown" and
# 404 "it is left out" (the list itself answers 200).
#
# pub: public (no token), off: coordination office, dep: department (kbs), sec: secretary of the body,
# sec2: secretary of another body, mem: council member of the body, mem2: council member not of the body,
# adm: administrator, oOff / oAdm: coordination office / administrator of another municipality.
# fmt: off
#                                                          pub  off  dep  sec  sec2 mem  mem2 adm  oOff oAdm
MATRIX: dict[str, tuple[int, ...]] = {
    "find a public paper in the list":                    (200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "read a public paper":                                (200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "find a non-public paper in the list":                (404, 200, 200, 200, 200, 200, 404, 200, 404, 404),
    "read a non-public paper":                            (404, 200, 200, 200, 200, 200, 404, 200, 404, 404),
    "find a draft of the department in the list":         (404, 200, 200, 404, 404, 404, 404, 200, 404, 404),
    "read a draft of the department":                     (404, 200, 200, 404, 404, 404, 404, 200, 404, 404),
    "read a draft of another department":                 (404, 200, 404, 404, 404, 404, 404, 200, 404, 404),
    "find a draft the department co-signs in the list":   (404, 200, 200, 404, 404, 404, 404, 200, 404, 404),
    "read a draft the department co-signs":               (404, 200, 200, 404, 404, 404, 404, 200, 404, 404),
    "create a draft for the department":                  (401, 201, 201, 403, 403, 403, 403, 201, 403, 403),
    "create a draft for another department":              (401, 201, 403, 403, 403, 403, 403, 201, 403, 403),
    "edit a draft of the department":                     (404, 200, 200, 404, 404, 404, 404, 200, 404, 404),
    "edit a draft of another department":                 (404, 200, 404, 404, 404, 404, 404, 200, 404, 404),
    "edit a draft the department co-signs":               (404, 200, 403, 404, 404, 404, 404, 200, 404, 404),
    "co-sign for the department":                         (404, 200, 200, 404, 404, 404, 404, 200, 404, 404),
    "co-sign for another department":                     (404, 200, 403, 404, 404, 404, 404, 200, 404, 404),
    "submit a draft":                                     (404, 200, 403, 404, 404, 404, 404, 200, 404, 404),
    "plan the Beratungsfolge of a draft":                 (404, 200, 200, 404, 404, 404, 404, 200, 404, 404),
    "plan the Beratungsfolge of a submitted paper":       (401, 200, 403, 403, 403, 403, 403, 200, 403, 403),
    "withdraw a submitted paper":                         (401, 200, 403, 403, 403, 403, 403, 200, 403, 403),
    "depublish a published paper":                        (401, 200, 403, 403, 403, 403, 403, 200, 403, 403),
    "create a meeting":                                   (401, 201, 403, 403, 403, 403, 403, 201, 403, 403),
    "invite to a meeting":                                (401, 200, 403, 403, 403, 403, 403, 200, 403, 403),
    "order the agenda of a meeting":                      (401, 200, 403, 403, 403, 403, 403, 200, 403, 403),
    "take a TOP off the agenda":                          (401, 200, 403, 403, 403, 403, 403, 200, 403, 403),
    "move a meeting":                                     (401, 200, 403, 403, 403, 403, 403, 200, 403, 403),
    "cancel a meeting":                                   (401, 200, 403, 403, 403, 403, 403, 200, 403, 403),
    "record the attendance of a meeting of the body":     (401, 403, 403, 200, 403, 403, 403, 200, 403, 403),
    "record a result of the body":                        (401, 403, 403, 201, 403, 403, 403, 201, 403, 403),
    "correct a result of the body":                       (401, 403, 403, 200, 403, 403, 403, 200, 403, 403),
    "read a public result":                               (200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "see a non-public agenda item on the agenda":         (404, 200, 200, 200, 200, 200, 404, 200, 404, 404),
    "read the result of a non-public agenda item":        (404, 200, 200, 200, 200, 200, 404, 200, 404, 404),
    "see a non-public agenda item in the paper's status": (404, 200, 200, 200, 200, 200, 404, 200, 404, 404),
    "read the history of a public paper":                 (401, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    "read the history of a non-public paper":             (404, 200, 200, 200, 200, 200, 404, 200, 404, 404),
    "see the papers waiting for the body":                (401, 200, 403, 403, 403, 403, 403, 200, 403, 403),
}
# fmt: on

# Rows where the code once disagreed with the rules; the bugs are fixed and the rows now hold as written.
BUGS: dict[tuple[str, str], str] = {}

NOW = "2013-11-04 10:00"  # the world's clock: a Monday after the meetings below started
LIST_DATE = "2013-01-15"  # the paper date of the world's shared papers: a list filtered to it stays short
ACTOR = "Rollenmatrix"


def _at(offset: dt.timedelta) -> dt.datetime:
    return berlin(NOW) + offset


DAYS = dt.timedelta(days=1)
HOURS = dt.timedelta(hours=1)


@dataclass(repr=False)
class World:
    """Shared papers, meetings and items, and factories for fresh ones (through the use cases)."""

    api: Api
    sc: Scenario
    public_paper: int = 0
    non_public_paper: int = 0
    mixed_paper: int = 0  # public paper whose step stands on a non-public agenda item
    department_draft: int = 0
    other_draft: int = 0
    cosigned_draft: int = 0
    attendance_meeting: int = 0
    recorded_item: int = 0
    non_public_meeting: int = 0
    non_public_item: int = 0

    # ---------------------------------------------------------------- factories
    def draft(
        self,
        department: str = "kbs",
        *,
        cosigners: tuple[str, ...] = (),
        public: bool = True,
        paper_date: dt.date | None = None,
        when: dt.datetime | None = None,
    ) -> int:
        now = when or _at(-DAYS)
        paper = papers.draft_paper(
            self.sc.sessions,
            actor=ACTOR,
            municipality="wetzlar",
            kind=PaperKind.beschlussvorlage,
            department=department,
            subject=f"Vorlage des Fachamts {department}",
            paper_date=paper_date or now.date(),
            proposed_resolution="Der Beschlussvorschlag.",
            public=public,
            cosigners=cosigners,
            now=now,
        )
        return paper.id

    def in_cosigning(self, department: str, cosigner: str) -> int:
        paper_id = self.draft(department, cosigners=(cosigner,))
        papers.request_cosignatures(self.sc.sessions, actor=ACTOR, paper_id=paper_id, now=_at(-DAYS))
        return paper_id

    def submitted(
        self, *, public: bool = True, paper_date: dt.date | None = None, when: dt.datetime | None = None
    ) -> int:
        """Submitted, to be decided by the Stadtverordnetenversammlung alone."""
        now = when or _at(-DAYS)
        paper_id = self.draft(public=public, paper_date=paper_date, when=now)
        planning.plan_consultations(
            self.sc.sessions,
            actor=ACTOR,
            paper_id=paper_id,
            stages=[[StepInput("stvv", ConsultationRole.decision)]],
            now=now,
        )
        papers.submit_paper(self.sc.sessions, actor=ACTOR, paper_id=paper_id, now=now)
        return paper_id

    def planned_meeting(self) -> int:
        return meetings.create_meeting(
            self.sc.sessions,
            actor=ACTOR,
            municipality="wetzlar",
            bodies=["stvv"],
            start=_at(30 * DAYS),
            now=_at(-DAYS),
        ).id

    def planned_items(self) -> tuple[int, int]:
        """A planned meeting with two plain TOPs: (meeting id, id of the second TOP)."""
        meeting = self.planned_meeting()
        for title in ("Mitteilungen", "Anfragen"):
            item = meetings.add_agenda_item(
                self.sc.sessions, actor=ACTOR, meeting_id=meeting, title=title, now=_at(-DAYS)
            )
        return meeting, item.id

    def planned_paths(self) -> tuple[str, int]:
        meeting, item = self.planned_items()
        return f"/meetings/{meeting}", item

    def held_meeting(self, *paper_ids: int, public: bool | None = None) -> tuple[int, list[int]]:
        """A meeting of the body that began an hour ago, with the papers on its agenda, everyone there."""
        meeting = meetings.create_meeting(
            self.sc.sessions,
            actor=ACTOR,
            municipality="wetzlar",
            bodies=["stvv"],
            start=_at(-HOURS),
            now=_at(-30 * DAYS),
        )
        items = []
        for paper_id in paper_ids:
            step = self.sc.steps(paper_id)["stvv"]
            scheduled = meetings.schedule_consultation(
                self.sc.sessions,
                actor=ACTOR,
                consultation_id=step.id,
                meeting_id=meeting.id,
                public=public,
                now=_at(-20 * DAYS),
            )
            items.append(scheduled.agenda_item.id)
        meetings.invite_meeting(self.sc.sessions, actor=ACTOR, meeting_id=meeting.id, now=_at(-10 * DAYS))
        meetings.record_attendance(
            self.sc.sessions,
            actor=ACTOR,
            meeting_id=meeting.id,
            present=self.sc.members("stvv"),
            now=_at(-HOURS + dt.timedelta(minutes=5)),
        )
        open_meeting(self.sc.sessions, meeting.id)
        return meeting.id, items

    def item_to_record(self) -> int:
        paper_id = self.submitted(when=_at(-40 * DAYS))
        _, (item,) = self.held_meeting(paper_id)
        return item

    def record(self, item_id: int) -> None:
        results.record_result(
            self.sc.sessions,
            who=recorder(self.sc.sessions, ACTOR),
            agenda_item_id=item_id,
            result=results.ResultInput(Outcome.adopted, votes=[VoteInput(40, 12, 3)]),
            now=_at(-dt.timedelta(minutes=10)),
        )

    def version(self, paper_id: int) -> int:
        with self.sc.sessions() as session:
            return session.get_one(Paper, paper_id).version

    # ---------------------------------------------------------------- HTTP
    def call(self, method: str, path: str, role: str, **kwargs: Any) -> Response:
        return self.api.request(method, f"/wetzlar{path}", as_=ROLES[role], **kwargs)

    def listed(self, role: str, paper_id: int) -> int:
        """200 if the paper list (filtered to the world's shared papers) shows the paper, else 404."""
        response = self.call("GET", f"/papers?date_from={LIST_DATE}&date_to={LIST_DATE}&limit=200", role)
        assert response.status_code == 200, response.text
        return 200 if paper_id in {p["id"] for p in response.json()["items"]} else 404

    def shown(self, response: Response, item_id: int, items: Callable[[Any], list[Any]]) -> int:
        """200 if the answer shows the agenda item, 404 if it leaves it out (or is itself a 404)."""
        if response.status_code != 200:
            return response.status_code
        return 200 if item_id in items(response.json()) else 404


def build_world(api: Api) -> World:
    world = World(api, Scenario(api.db.sessions, actor=ACTOR))
    listed_on = dt.date.fromisoformat(LIST_DATE)
    world.public_paper = world.submitted(paper_date=listed_on, when=_at(-60 * DAYS))
    world.non_public_paper = world.submitted(public=False, paper_date=listed_on, when=_at(-60 * DAYS))
    world.department_draft = world.draft("kbs", paper_date=listed_on)
    world.other_draft = world.draft("hauptamt", paper_date=listed_on)
    world.cosigned_draft = world.draft("hauptamt", cosigners=("kbs",), paper_date=listed_on)
    world.mixed_paper = world.submitted(when=_at(-60 * DAYS))
    world.attendance_meeting, _ = world.held_meeting()
    world.recorded_item = world.item_to_record()
    world.record(world.recorded_item)
    world.non_public_meeting, (world.non_public_item,) = world.held_meeting(world.mixed_paper, public=False)
    world.record(world.non_public_item)
    return world


@pytest.fixture(scope="module")
def world(module_api: Api) -> World:
    module_api.clock.set(NOW)
    return build_world(module_api)


RESULT = {"outcome": "adopted", "votes": [{"yes": 40, "no": 12, "abstain": 3}]}


def _create_draft(department: str) -> Callable[[World, str], int]:
    def act(w: World, role: str) -> int:
        body = {"department": department, "subject": "Neue Vorlage", "paper_date": "2013-11-04"}
        return w.call("POST", "/papers", role, json=body).status_code

    return act


def _edit(w: World, role: str, paper_id: int) -> int:
    headers = {"If-Match": f'"v{w.version(paper_id)}"'}
    body = {"justification": "Ergänzte Begründung."}
    return w.call("PATCH", f"/papers/{paper_id}", role, json=body, headers=headers).status_code


def _agenda_ids(meeting: Any) -> list[int]:
    return [i["id"] for i in meeting["agenda_items"]]


def _status_item_ids(status: Any) -> list[int]:
    return [a["agenda_item_id"] for step in status["steps"] for a in step["appearances"]]


ACTIONS: dict[str, Callable[[World, str], int]] = {
    "find a public paper in the list": lambda w, r: w.listed(r, w.public_paper),
    "read a public paper": lambda w, r: w.call("GET", f"/papers/{w.public_paper}", r).status_code,
    "find a non-public paper in the list": lambda w, r: w.listed(r, w.non_public_paper),
    "read a non-public paper": lambda w, r: w.call("GET", f"/papers/{w.non_public_paper}", r).status_code,
    "find a draft of the department in the list": lambda w, r: w.listed(r, w.department_draft),
    "read a draft of the department": lambda w, r: (
        w.call("GET", f"/papers/{w.department_draft}", r).status_code
    ),
    "read a draft of another department": lambda w, r: (
        w.call("GET", f"/papers/{w.other_draft}", r).status_code
    ),
    "find a draft the department co-signs in the list": lambda w, r: w.listed(r, w.cosigned_draft),
    "read a draft the department co-signs": lambda w, r: (
        w.call("GET", f"/papers/{w.cosigned_draft}", r).status_code
    ),
    "create a draft for the department": _create_draft("kbs"),
    "create a draft for another department": _create_draft("hauptamt"),
    "edit a draft of the department": lambda w, r: _edit(w, r, w.draft("kbs")),
    "edit a draft of another department": lambda w, r: _edit(w, r, w.draft("hauptamt")),
    "edit a draft the department co-signs": lambda w, r: _edit(w, r, w.draft("hauptamt", cosigners=("kbs",))),
    "co-sign for the department": lambda w, r: (
        w.call(
            "POST", f"/papers/{w.in_cosigning('hauptamt', 'kbs')}/cosignatures", r, json={"department": "kbs"}
        ).status_code
    ),
    "co-sign for another department": lambda w, r: (
        w.call(
            "POST",
            f"/papers/{w.in_cosigning('kbs', 'kaemmerei')}/cosignatures",
            r,
            json={"department": "kaemmerei"},
        ).status_code
    ),
    "submit a draft": lambda w, r: w.call("POST", f"/papers/{w.draft('kbs')}/submission", r).status_code,
    "plan the Beratungsfolge of a draft": lambda w, r: (
        w.call("PUT", f"/papers/{w.draft('kbs')}/beratungsfolge", r, json={"committees": ["sjs"]}).status_code
    ),
    "plan the Beratungsfolge of a submitted paper": lambda w, r: (
        w.call("PUT", f"/papers/{w.submitted()}/beratungsfolge", r, json={"committees": ["sjs"]}).status_code
    ),
    "withdraw a submitted paper": lambda w, r: (
        w.call(
            "POST",
            f"/papers/{w.submitted()}/withdrawal",
            r,
            json={"reason": "Durch Vorlage 1601/13 überholt"},
        ).status_code
    ),
    "depublish a published paper": lambda w, r: (
        w.call(
            "POST",
            f"/papers/{w.submitted()}/depublication",
            r,
            json={"reason": "Versehentlich veröffentlicht"},
        ).status_code
    ),
    "create a meeting": lambda w, r: (
        w.call(
            "POST", "/meetings", r, json={"bodies": ["stvv"], "start": "2013-12-18T18:00:00+01:00"}
        ).status_code
    ),
    "invite to a meeting": lambda w, r: (
        w.call("POST", f"/meetings/{w.planned_meeting()}/invitation", r, json={}).status_code
    ),
    "order the agenda of a meeting": lambda w, r: (
        w.call(
            "PUT", "{}/agenda-items/{}/position".format(*w.planned_paths()), r, json={"position": 0}
        ).status_code
    ),
    "take a TOP off the agenda": lambda w, r: (
        w.call("DELETE", "{}/agenda-items/{}".format(*w.planned_paths()), r).status_code
    ),
    "move a meeting": lambda w, r: (
        w.call(
            "POST", f"/meetings/{w.planned_meeting()}/move", r, json={"location": "Altes Rathaus"}
        ).status_code
    ),
    "cancel a meeting": lambda w, r: (
        w.call(
            "POST", f"/meetings/{w.planned_meeting()}/cancellation", r, json={"reason": "Keine Vorlagen"}
        ).status_code
    ),
    "record the attendance of a meeting of the body": lambda w, r: (
        w.call(
            "PUT", f"/meetings/{w.attendance_meeting}/attendance", r, json={"present": w.sc.members("stvv")}
        ).status_code
    ),
    "record a result of the body": lambda w, r: (
        w.call("POST", f"/agenda-items/{w.item_to_record()}/result", r, json=RESULT).status_code
    ),
    "correct a result of the body": lambda w, r: (
        w.call(
            "PUT",
            f"/agenda-items/{w.recorded_item}/result",
            r,
            json={
                **RESULT,
                "votes": [{"yes": 41, "no": 11, "abstain": 3}],
                "reason": "Zählfehler berichtigt",
            },
        ).status_code
    ),
    "read a public result": lambda w, r: (
        w.call("GET", f"/agenda-items/{w.recorded_item}/result", r).status_code
    ),
    "see a non-public agenda item on the agenda": lambda w, r: w.shown(
        w.call("GET", f"/meetings/{w.non_public_meeting}", r), w.non_public_item, _agenda_ids
    ),
    "read the result of a non-public agenda item": lambda w, r: (
        w.call("GET", f"/agenda-items/{w.non_public_item}/result", r).status_code
    ),
    "see a non-public agenda item in the paper's status": lambda w, r: w.shown(
        w.call("GET", f"/papers/{w.mixed_paper}/status", r), w.non_public_item, _status_item_ids
    ),
    "read the history of a public paper": lambda w, r: (
        w.call("GET", f"/papers/{w.public_paper}/history", r).status_code
    ),
    "read the history of a non-public paper": lambda w, r: (
        w.call("GET", f"/papers/{w.non_public_paper}/history", r).status_code
    ),
    "see the papers waiting for the body": lambda w, r: w.call("GET", "/bodies/stvv/waiting", r).status_code,
}


def _cells() -> list[Any]:
    assert set(ACTIONS) == set(MATRIX)
    assert {action for action, _ in BUGS} <= set(MATRIX)
    cells = []
    for action, row in MATRIX.items():
        assert len(row) == len(ROLES), action
        for role, status in zip(ROLES, row, strict=True):
            bug = BUGS.get((action, role))
            marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
            cells.append(pytest.param(action, role, status, id=f"{action} as {role}", marks=marks))
    return cells


@pytest.mark.parametrize(("action", "role", "expected"), _cells())
def test_each_role_gets_the_status_the_rules_give_for_each_action(
    world: World, action: str, role: str, expected: int
) -> None:
    got = ACTIONS[action](world, role)
    assert got == expected, f"{action} as {role}: {got}, expected {expected}"
