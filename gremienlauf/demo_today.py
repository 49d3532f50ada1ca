"""The demo's present: work due relative to ``today`` in each example municipality, so that every demo
login's start page ("Meine Aufgaben") has something to do.

After the three historic papers, each municipality gets papers in every state (a draft, one whose
co-signature the demo department is asked for, one ready to be submitted, one submitted and waiting for its
first body, three in deliberation; in Wetzlar one decided in the past weeks, elsewhere the historic paper is
the decided one), the meetings they went through, one meeting held last week whose results are not recorded
yet, one running today (invited, attendance not recorded, its TOPs waiting for results), one whose
invitation deadline is near (not yet invited), and a meeting to come for every other body. Everything is
done through the use cases, as the demo logins with the right roles (the coordination office plans, submits
and invites; the department drafts and co-signs; each body's secretary records attendance and results), at
times relative to ``today``, so the same ``today`` gives the same data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gremienlauf.demo_users import DEPARTMENTS, secretary_username
from workflow import meetings, papers, planning, quorum, results
from workflow.access import Principal, principal_of_user
from workflow.models import Body, Consultation, Meeting, MeetingBody, Membership, Municipality
from workflow.rules import BERLIN, VoteInput, latest_dispatch
from workflow.store import notice_rules, profile_of
from workflow.vocabulary import MembershipRole, Outcome, PaperKind

Sessions = sessionmaker[Session]

#: Per municipality: the committees its papers go through (the profile adds the others) and the department
#: that asks the demo department to co-sign.
COMMITTEES = {"wetzlar": ("sjs", "kfp"), "duisburg": ("soziales",), "wilhelmshaven": ("soziales",)}
OTHER_DEPARTMENT = "kaemmerei"
#: The municipality whose present has a paper decided in the past weeks.
RECENT_DECISION = "wetzlar"
#: How long before a meeting its invitation goes out (within every example municipality's notice period),
#: and how far apart the stages of a paper meet (its next meeting is prepared after the last one met).
INVITED_BEFORE = dt.timedelta(days=12)
STAGE_WEEKS = 2


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BERLIN)


def today_in_berlin() -> dt.date:
    return dt.datetime.now(BERLIN).date()


@dataclass
class Present:
    """One municipality's present: its logins and the days relative to today."""

    sessions: Sessions
    key: str  # the municipality
    today: dt.date

    def who(self, username: str) -> Principal:
        with self.sessions() as s:
            return principal_of_user(s, username)

    @property
    def office(self) -> str:
        return self.who(f"{self.key}-koordination").actor

    @property
    def department_user(self) -> str:
        return self.who(f"{self.key}-fachamt").actor

    def secretary(self, body: str) -> Principal:
        return self.who(secretary_username(self.key, body))

    def _body(self, session: Session, body: str) -> Body:
        town = session.scalars(select(Municipality.id).where(Municipality.key == self.key)).one()
        return session.scalars(select(Body).where(Body.municipality_id == town, Body.key == body)).one()

    def voting_members(self, body: str) -> list[int]:
        with self.sessions() as s:
            return list(
                s.scalars(
                    select(Membership.person_id)
                    .where(
                        Membership.body_id == self._body(s, body).id,
                        Membership.voting_right.is_(True),
                        Membership.role != MembershipRole.substitute.value,
                    )
                    .order_by(Membership.id)
                )
            )

    def step(self, paper_id: int, body: str) -> int:
        """The paper's step at this body."""
        with self.sessions() as s:
            return s.scalars(
                select(Consultation.id).where(
                    Consultation.paper_id == paper_id, Consultation.body_id == self._body(s, body).id
                )
            ).one()

    def day(self, offset: int) -> dt.date:
        return self.today + dt.timedelta(days=offset)


def _paper(
    p: Present,
    subject: str,
    *,
    drafted: dt.datetime,
    department: str | None = None,
    cosigners: Sequence[str] = (),
    plan: bool = True,
    submit: bool = False,
) -> int:
    """A Beschlussvorlage drafted by the demo department (or by the office for another department), its
    Beratungsfolge planned by the office, submitted by the office if asked."""
    own = department is None
    paper = papers.draft_paper(
        p.sessions,
        actor=p.department_user if own else p.office,
        municipality=p.key,
        kind=PaperKind.beschlussvorlage,
        department=department or DEPARTMENTS[p.key],
        subject=subject,
        paper_date=drafted.date(),
        proposed_resolution=f"{subject}: Der Beschlussvorschlag der Verwaltung wird angenommen.",
        justification="Die Verwaltung legt die Vorlage nach Abstimmung mit den beteiligten Ämtern vor.",
        cosigners=cosigners,
        now=drafted,
    )
    later = drafted + dt.timedelta(hours=1)
    if plan:
        planning.plan_consultations(
            p.sessions, actor=p.office, paper_id=paper.id, committees=list(COMMITTEES[p.key]), now=later
        )
    if submit:
        papers.submit_paper(p.sessions, actor=p.office, paper_id=paper.id, now=later)
    return paper.id


def _stages(p: Present, paper_id: int) -> list[list[str]]:
    """The body keys of the paper's Beratungsfolge, stage by stage."""
    with p.sessions() as s:
        rows = s.execute(
            select(Consultation.stage, Body.key)
            .join(Body, Consultation.body_id == Body.id)
            .where(Consultation.paper_id == paper_id)
            .order_by(Consultation.stage, Consultation.position)
        ).all()
    stages: dict[int, list[str]] = {}
    for stage, key in rows:
        stages.setdefault(stage, []).append(key)
    return list(stages.values())


def _meeting(
    p: Present,
    bodies: Sequence[str],
    start: dt.datetime,
    steps: Sequence[tuple[int, str]] = (),
    *,
    invite: bool = True,
    created: dt.datetime | None = None,
) -> tuple[Meeting, dict[tuple[int, str], int]]:
    """A meeting created by the office with the opening item and these steps (paper id, body key) on its
    agenda (the day before the invitation), invited ``INVITED_BEFORE``; returns it and (paper id, body
    key) → agenda item id."""
    invited = start - INVITED_BEFORE
    prepared = invited - dt.timedelta(days=1) if invite else (created or start - INVITED_BEFORE)
    meeting = meetings.create_meeting(
        p.sessions,
        actor=p.office,
        municipality=p.key,
        bodies=list(bodies),
        start=start,
        location="Rathaus, Sitzungssaal",
        now=prepared,
    )
    meetings.add_agenda_item(
        p.sessions,
        actor=p.office,
        meeting_id=meeting.id,
        title="Eröffnung, Feststellung der Beschlussfähigkeit",
        now=prepared,
    )
    items: dict[tuple[int, str], int] = {}
    for paper_id, body in steps:
        step_id = p.step(paper_id, body)
        scheduled = meetings.schedule_consultation(
            p.sessions, actor=p.office, consultation_id=step_id, meeting_id=meeting.id, now=prepared
        )
        items[(paper_id, body)] = scheduled.agenda_item.id
    if invite:
        meeting = meetings.invite_meeting(p.sessions, actor=p.office, meeting_id=meeting.id, now=invited)
    return meeting, items


def _attend(p: Present, meeting: Meeting, bodies: Sequence[str]) -> dict[str, int]:
    """The first body's secretary records attendance (every voting member but one per body) and each body's
    quorum; returns how many voting members of each body are present."""
    present: dict[str, list[int]] = {b: p.voting_members(b)[:-1] for b in bodies}
    meetings.record_attendance(
        p.sessions,
        actor=p.secretary(bodies[0]).actor,
        meeting_id=meeting.id,
        present=list(dict.fromkeys(person for members in present.values() for person in members)),
        now=meeting.start + dt.timedelta(minutes=5),
    )
    for body in bodies:
        quorum.establish_quorum(
            p.sessions,
            actor=p.secretary(body).actor,
            meeting_id=meeting.id,
            body=body,
            now=meeting.start + dt.timedelta(minutes=6),
        )
    return {b: len(members) for b, members in present.items()}


def _record(
    p: Present, meeting: Meeting, item_id: int, body: str, outcome: Outcome, present: int, minute: int
) -> None:
    """The body's secretary records the result: all present in favour but one against and one abstaining."""
    results.record_result(
        p.sessions,
        who=p.secretary(body),
        agenda_item_id=item_id,
        result=results.ResultInput(outcome, votes=[VoteInput(max(present - 2, 1), 1, 1)]),
        now=meeting.start + dt.timedelta(minutes=minute),
    )


def _deadline_soon(p: Present, body: str) -> dt.datetime:
    """A start for a meeting of ``body`` whose invitation must go out in two to three days."""
    with p.sessions() as s:
        row = p._body(s, body)
        rules = notice_rules(profile_of(s, row.municipality_id), row)
    rule = rules.regular
    lag = rules.receipt_lag_days.get(rules.channel, 0) if rule.reference == "receipt" else 0
    for days in range(3, 60):
        start = at(p.day(days), 17)
        if latest_dispatch(start, rule, lag).astimezone(BERLIN).date() >= p.day(2):
            return start
    raise AssertionError(
        f"no notice period of {body} fits"
    )  # pragma: no cover - the profiles' periods are short


def _present(sessions: Sessions, key: str, today: dt.date) -> None:
    p = Present(sessions, key, today)
    first_drafted = at(p.day(-7 * STAGE_WEEKS * 6), 10)
    moving = _paper(p, "Förderprogramm Dachbegrünung", drafted=first_drafted, submit=True)
    stages = _stages(p, moving)
    # Decided (one municipality: the invitations of every stage are the demo's dearest part): through every
    # stage in the past weeks, adopted by the assembly. The others have their historic decided paper.
    decided = (
        _paper(p, "Sanierung der Stadtbibliothek", drafted=first_drafted, submit=True)
        if key == RECENT_DECISION
        else None
    )
    n = len(stages)
    for index, bodies in enumerate(stages if decided else stages[:1]):
        start = at(p.day(-7 * STAGE_WEEKS * (n - index) - 7), 17)
        steps = [(decided, b) for b in bodies if decided] + [(moving, b) for b in bodies if index == 0]
        meeting, items = _meeting(p, bodies, start, steps)
        counts = _attend(p, meeting, bodies)
        last = index == n - 1
        for minute, ((_paper_id, body), item_id) in enumerate(items.items(), start=20):
            outcome = Outcome.adopted if last else Outcome.recommended
            _record(p, meeting, item_id, body, outcome, counts[body], minute)
    # In deliberation: its second stage met last week, the results are not recorded yet.
    second = stages[1]
    last_week, _ = _meeting(p, second, at(p.day(-6), 17), [(moving, b) for b in second])
    _attend(p, last_week, second)
    # In deliberation: on the agenda of today's meeting of the first body (invited, nothing recorded yet).
    first = stages[0]
    on_today = [
        _paper(p, subject, drafted=at(p.day(-25), 10), submit=True)
        for subject in ("Neufassung der Friedhofssatzung", "Zuschuss für den Sportverein")
    ]
    running, _ = _meeting(p, first, at(today, 9), [(paper, b) for paper in on_today for b in first])
    # Submitted: waits for its first body.
    _paper(p, "Erweiterung der Kita am Stadtpark", drafted=at(p.day(-3), 10), submit=True)
    # Ready to submit: the other department's paper, co-signed by the demo department.
    ready = _paper(
        p,
        "Gebührenkalkulation Straßenreinigung",
        drafted=at(p.day(-5), 10),
        department=OTHER_DEPARTMENT,
        cosigners=[DEPARTMENTS[key]],
    )
    papers.request_cosignatures(p.sessions, actor=p.office, paper_id=ready, now=at(p.day(-4), 9))
    papers.cosign(
        p.sessions,
        actor=p.department_user,
        paper_id=ready,
        department=DEPARTMENTS[key],
        now=at(p.day(-1), 11),
    )
    # Co-signature asked of the demo department.
    asked = _paper(
        p,
        "Beteiligungsbericht",
        drafted=at(p.day(-2), 10),
        department=OTHER_DEPARTMENT,
        cosigners=[DEPARTMENTS[key]],
    )
    papers.request_cosignatures(p.sessions, actor=p.office, paper_id=asked, now=at(p.day(-1), 9))
    # A draft the demo department is still writing.
    _paper(p, "Konzept Ehrenamtskarte", drafted=at(p.day(-1), 15), plan=False)
    # The assembly's next meeting: its invitation must go out within days.
    assembly = stages[-1][0]
    soon, _ = _meeting(p, [assembly], _deadline_soon(p, assembly), invite=False, created=at(p.day(-10), 9))
    # Every other body: its next meeting in the coming weeks.
    with sessions() as s:
        town_id = s.scalars(select(Municipality.id).where(Municipality.key == key)).one()
        busy = set(
            s.scalars(
                select(Body.key)
                .join(MeetingBody, MeetingBody.body_id == Body.id)
                .join(Meeting, Meeting.id == MeetingBody.meeting_id)
                .where(Body.municipality_id == town_id, Meeting.start >= at(p.day(-7), 0))
            )
        )
        idle = list(
            s.scalars(
                select(Body.key)
                .where(Body.municipality_id == town_id, Body.key.not_in(busy))
                .order_by(Body.id)
            )
        )
    for offset, body in enumerate(idle):
        _meeting(p, [body], at(p.day(21 + 2 * offset), 17), invite=False, created=at(p.day(-1), 9))
    typer.echo(
        f"  {today:%d.%m.%Y}  {key}: heute {running.name}; Ergebnisse offen: {last_week.name}; "
        f"Ladungsfrist läuft ab: {soon.name}"
    )


def add_present(sessions: Sessions, today: dt.date | None = None) -> dt.date:
    """Work due relative to ``today`` (default: today in Berlin) in each example municipality."""
    today = today or today_in_berlin()
    typer.echo("")
    typer.secho(f"Arbeit für die Startseiten, bezogen auf heute ({today:%d.%m.%Y})", bold=True)
    for key in COMMITTEES:
        _present(sessions, key, today)
    return today
