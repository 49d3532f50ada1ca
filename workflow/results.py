"""Recording the result of an agenda item, and correcting it with a reason.

The outcome's effect on the Beratungsfolge is a table (``EFFECTS``), not an if-ladder: which trigger the step
gets, which the paper gets, and whether a new step is inserted. The rules a result must satisfy are in
``workflow.result_rules``.

Recording is the hot path of a meeting day (every TOP of every body), so ``record_results`` writes without
the ORM, set-based: one transaction reads and locks what several results need with a handful of
statements, checks each against the rules, and writes all of them with one statement per table. A single
result (``record_result``) is a batch of one; the API gathers the results that arrive at the same moment
into one batch (``api.result_writer``). Only the rarer effects on the paper itself (adopted, rejected,
withdrawn, referred, noted as a whole) go through the ORM and the paper machinery every other use case
shares, inside the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.orm import Session, sessionmaker

from workflow import validate
from workflow.audit import emit, insert_audit, insert_outbox, json_snapshot, record_audit
from workflow.beratungsfolge import DECIDED_KINDS, FINISHED_STEP_STATES, OPEN_STEP_STATES, all_finished
from workflow.bulk import insert_many, insert_many_with_ids, update_many
from workflow.db import transaction
from workflow.errors import Conflict, DomainError, RuleViolation, TransitionNotAllowed
from workflow.machines import CONSULTATION_MACHINE
from workflow.meetings import fire_meeting
from workflow.models import (
    AgendaItem,
    Attendance,
    Body,
    Consultation,
    ItemPresence,
    ItemResult,
    Meeting,
    Membership,
    Municipality,
    NamedVote,
    Paper,
    Person,
    Recusal,
    Vote,
    VoteFactionCount,
    table,
    utcnow,
)
from workflow.papers import close_open_steps, fire_paper_audited
from workflow.result_rules import BodyFacts, Checked, Facts, Member, ResultInput, check, people_of
from workflow.rules import BERLIN, Seat
from workflow.store import clock, get, not_found, profile_named, seats, seats_on
from workflow.vocabulary import (
    DECIDING_OUTCOMES,
    AttendanceStatus,
    ConsultationRole,
    ConsultationState,
    Outcome,
    PaperKind,
)

__all__ = [
    "EFFECTS",
    "Effect",
    "Later",
    "RecordedResult",
    "Recording",
    "ResultInput",
    "correct_result",
    "record_result",
    "record_results",
]

Sessions = sessionmaker[Session]

#: How long recording waits for a row lock another transaction holds (PostgreSQL), see ``_record_batch``.
LOCK_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Effect:
    """What an outcome does: the step's trigger, the paper's trigger (if any), and a referral."""

    step_trigger: str
    paper_trigger: str | None = None
    inserts_referral: bool = False
    closes_paper: bool = False
    carries_text: bool = False  # the next steps deliberate the amended text


EFFECTS: dict[Outcome, Effect] = {
    Outcome.recommended: Effect("conclude"),
    Outcome.recommended_amended: Effect("conclude", carries_text=True),
    Outcome.not_recommended: Effect("conclude"),  # still goes on to the deciding body
    Outcome.noted: Effect("conclude"),
    Outcome.statement: Effect("conclude"),
    Outcome.adopted: Effect("conclude", "adopt"),
    Outcome.adopted_amended: Effect("conclude", "adopt_amended"),
    Outcome.rejected: Effect("conclude", "reject"),
    Outcome.referred: Effect("conclude", inserts_referral=True),
    Outcome.postponed: Effect("postpone"),
    Outcome.deferred: Effect("defer"),
    Outcome.removed: Effect("remove"),
    Outcome.withdrawn: Effect("close", "withdraw", closes_paper=True),
}


@dataclass(frozen=True)
class Presence:
    person_id: int


@dataclass(frozen=True)
class Recused:
    person_id: int
    reason: str | None


@dataclass(frozen=True)
class FactionVotes:
    faction_id: int
    yes: int
    no: int
    abstain: int


@dataclass(frozen=True)
class NamedChoice:
    person_id: int
    choice: str


@dataclass
class VoteRecord:
    position: int
    subject: str
    yes: int
    no: int
    abstain: int
    decisive: bool
    casting_vote: str | None
    faction_counts: list[FactionVotes]
    named: list[NamedChoice]
    id: int = 0
    result_id: int = 0


@dataclass
class Content:
    """What a result says, as the rows store it (the same for recording and correcting)."""

    outcome: str
    outcome_wording: str
    resolution_text: str | None
    referred_to_body_id: int | None
    quorum_failed: bool
    late_item_approval: int | None
    present: list[Presence]
    recusals: list[Recused]
    votes: list[VoteRecord]


@dataclass
class RecordedResult(Content):
    """A result as ``record_result`` wrote it: the columns of ``ItemResult`` and its rows, without the ORM."""

    agenda_item_id: int = 0
    recorded_by: str = ""
    recorded_at: dt.datetime = field(default_factory=utcnow)
    created_at: dt.datetime = field(default_factory=utcnow)
    modified_at: dt.datetime = field(default_factory=utcnow)
    revision: int = 1
    version: int = 1
    id: int = 0


def _content(data: ResultInput, checked: Checked) -> Content:
    recused = set(data.recused)
    decisive_given = any(v.decisive for v in data.votes)
    return Content(
        outcome=checked.outcome.value,
        outcome_wording=checked.wording,
        resolution_text=(data.resolution_text or "").strip() or None,
        referred_to_body_id=checked.referred_to.id if checked.referred_to else None,
        quorum_failed=data.quorum_failed,
        late_item_approval=data.late_item_approval,
        present=[Presence(pid) for pid in sorted(set(checked.present) - recused)],
        recusals=[Recused(pid, reason) for pid, reason in sorted(data.recused.items())],
        votes=[
            VoteRecord(
                position=position,
                subject=vote.subject,
                yes=vote.yes,
                no=vote.no,
                abstain=vote.abstain,
                decisive=vote.decisive or (position == len(data.votes) - 1 and not decisive_given),
                casting_vote=vote.casting_vote.value if vote.casting_vote else None,
                faction_counts=[
                    FactionVotes(fc.faction_id, fc.yes, fc.no, fc.abstain)
                    for fc in sorted(vote.faction_counts, key=lambda fc: fc.faction_id)
                ],
                named=[NamedChoice(pid, choice.value) for pid, choice in sorted(vote.named.items())],
            )
            for position, vote in enumerate(data.votes)
        ],
    )


def _fill(result: ItemResult, data: ResultInput, checked: Checked) -> None:
    """Put a result's content onto a loaded ``ItemResult`` (a correction)."""
    content = _content(data, checked)
    result.outcome = content.outcome
    result.outcome_wording = content.outcome_wording
    result.resolution_text = content.resolution_text
    result.referred_to_body_id = content.referred_to_body_id
    result.quorum_failed = content.quorum_failed
    result.late_item_approval = content.late_item_approval
    result.present = [ItemPresence(person_id=p.person_id) for p in content.present]
    result.recusals = [Recusal(person_id=r.person_id, reason=r.reason) for r in content.recusals]
    result.votes = [
        Vote(
            position=v.position,
            subject=v.subject,
            yes=v.yes,
            no=v.no,
            abstain=v.abstain,
            decisive=v.decisive,
            casting_vote=v.casting_vote,
            faction_counts=[
                VoteFactionCount(faction_id=c.faction_id, yes=c.yes, no=c.no, abstain=c.abstain)
                for c in v.faction_counts
            ],
            named=[NamedVote(person_id=n.person_id, choice=n.choice) for n in v.named],
        )
        for v in content.votes
    ]


def result_snapshot(result: ItemResult | RecordedResult) -> dict[str, Any]:
    """The whole result, votes included, for the audit trail (the columns of ``item_result`` by name)."""
    data = json_snapshot({column.name: getattr(result, column.name) for column in table(ItemResult).c})
    data["present"] = [p.person_id for p in result.present]
    data["recused"] = {str(r.person_id): r.reason for r in result.recusals}
    data["votes"] = [
        {
            "subject": v.subject,
            "yes": v.yes,
            "no": v.no,
            "abstain": v.abstain,
            "decisive": v.decisive,
            "casting_vote": v.casting_vote,
            "factions": {str(f.faction_id): [f.yes, f.no, f.abstain] for f in v.faction_counts},
            "named": {str(n.person_id): n.choice for n in v.named},
        }
        for v in result.votes
    ]
    return data


# ------------------------------------------------------------------------------------ recording, set-based

_item_t = table(AgendaItem)
_step_t = table(Consultation)
_paper_t = table(Paper)
_meeting_t = table(Meeting)
_result_t = table(ItemResult)
_body_t = table(Body)
_membership_t = table(Membership)
_person_t = table(Person)

#: Where each TOP is: its meeting, step, paper and municipality (no locks yet).
_WHERE = (
    select(
        _item_t.c.id,
        _item_t.c.number,
        _item_t.c.meeting_id,
        _item_t.c.consultation_id,
        _step_t.c.paper_id,
        table(Municipality).c.id.label("municipality_id"),
        table(Municipality).c.profile,
    )
    .select_from(
        _item_t.outerjoin(_step_t, _item_t.c.consultation_id == _step_t.c.id)
        .join(_meeting_t, _item_t.c.meeting_id == _meeting_t.c.id)
        .join(table(Municipality), _meeting_t.c.municipality_id == table(Municipality).c.id)
    )
    .where(_item_t.c.id.in_(bindparam("ids", expanding=True)))
)
# Locks in the fixed order paper → consultation → meeting → agenda item (see store.lock_all), each by id.
_LOCK_PAPERS = (
    select(_paper_t.c.id, _paper_t.c.kind, _paper_t.c.resolution_text, _paper_t.c.proposed_resolution)
    .where(_paper_t.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_paper_t.c.id)
).with_for_update()
#: Every step of the papers (the join of stages needs the others), with what the rules need of its body.
_LOCK_STEPS = (
    select(
        _step_t,
        _body_t.c.name.label("body_name"),
        _body_t.c.kind.label("body_kind"),
        _body_t.c.settings_override.label("body_settings_override"),
        _body_t.c.statutory_members.label("body_statutory_members"),
    )
    .join(_body_t, _step_t.c.body_id == _body_t.c.id)
    .where(_step_t.c.paper_id.in_(bindparam("ids", expanding=True)))
    .order_by(_step_t.c.id)
    .with_for_update(of=_step_t)
)
_LOCK_MEETINGS = (
    select(
        _meeting_t.c.id,
        _meeting_t.c.state,
        _meeting_t.c.name,
        _meeting_t.c.start,
        _meeting_t.c.second_session,
    )
    .where(_meeting_t.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_meeting_t.c.id)
).with_for_update()
_LOCK_ITEMS = (
    select(
        _item_t.c.id,
        _item_t.c.number,
        _item_t.c.late_addition,
        _item_t.c.second_session,
        _result_t.c.recorded_by.label("result_recorded_by"),
        _result_t.c.revision.label("result_revision"),
    )
    .outerjoin(_result_t, _result_t.c.agenda_item_id == _item_t.c.id)
    .where(_item_t.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_item_t.c.id)
    .with_for_update(of=_item_t)
)
#: Who the attendance lists as present, with municipality and name (the checks need both).
_PRESENT = (
    select(
        Attendance.meeting_id,
        Attendance.person_id,
        _person_t.c.municipality_id,
        _person_t.c.title,
        _person_t.c.given_name,
        _person_t.c.family_name,
    )
    .join(_person_t, Attendance.person_id == _person_t.c.id)
    .where(
        Attendance.meeting_id.in_(bindparam("ids", expanding=True)),
        Attendance.status == AttendanceStatus.present.value,
    )
    .order_by(Attendance.id)
)
#: The bodies' memberships with the members' names (seats are those active on the meeting's day).
_MEMBERS = (
    select(
        _membership_t.c.body_id,
        _membership_t.c.person_id,
        _membership_t.c.role,
        _membership_t.c.voting_right,
        _membership_t.c.faction_id,
        _membership_t.c.substitute_of_id,
        _membership_t.c.start_date,
        _membership_t.c.end_date,
        _person_t.c.municipality_id,
        _person_t.c.title,
        _person_t.c.given_name,
        _person_t.c.family_name,
    )
    .join(_person_t, _membership_t.c.person_id == _person_t.c.id)
    .where(_membership_t.c.body_id.in_(bindparam("ids", expanding=True)))
    .order_by(_membership_t.c.id)
)
# On PostgreSQL the first read also sets the transaction's lock timeout (``SET LOCAL``, without a round
# trip of its own: every statement of a batch costs the writer its fixed share of CPU).
_WHERE_WITH_LOCK_TIMEOUT = _WHERE.add_columns(
    func.set_config("lock_timeout", f"{LOCK_TIMEOUT_SECONDS * 1000:.0f}ms", True).label("lock_timeout")
)


@dataclass(frozen=True)
class Recording:
    """One result to record: which TOP, what, by whom, and when."""

    agenda_item_id: int
    result: ResultInput
    actor: str
    now: dt.datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "now", clock(self.now))  # aware, in UTC, like every use case's clock


class Later:
    """The recording shares its paper or meeting with an earlier one of the same batch: record it in the
    next batch (its checks must see what the earlier one changed)."""

    def __repr__(self) -> str:
        return "Later"


LATER = Later()

Outcomes = list[RecordedResult | Exception | Later]


@dataclass
class _State:
    """A step's state for its machine (``HasState``)."""

    state: str


@dataclass
class _MeetingState:
    """A meeting as its machine sees it (``meetings.MeetingState``)."""

    state: str
    id: int
    name: str
    start: dt.datetime


@dataclass
class _Plan:
    """What one checked recording writes."""

    index: int
    recording: Recording
    row: RecordedResult
    checked: Checked
    paper_id: int
    step: Mapping[str, Any]
    step_after: dict[str, Any]
    meeting_id: int
    meeting_state: str
    later_steps: list[int] = field(default_factory=list)  # open later steps that take over the amended text
    paper_resolution_text: str | None = None
    paper_phase: bool = False  # an effect on the paper itself (ORM, paper machinery)


def record_result(
    sessions: Sessions,
    *,
    actor: str,
    agenda_item_id: int,
    result: ResultInput,
    now: dt.datetime | None = None,
) -> RecordedResult:
    """Record the result of an agenda item: attendance, votes, outcome; moves the Beratungsfolge on.

    Returns the result as written (the columns of ``ItemResult``, its presence, recusals and votes).
    """
    outcome = record_results(sessions, [Recording(agenda_item_id, result, actor, clock(now))])[0]
    if isinstance(outcome, Exception):
        raise outcome
    assert isinstance(outcome, RecordedResult)  # a batch of one is never told to wait
    return outcome


def record_results(sessions: Sessions, recordings: Sequence[Recording]) -> Outcomes:
    """Record several results in one transaction; per recording its result, its error, or ``LATER``.

    One recording's broken rule does not stop the others. If the transaction fails as a whole (a race
    another writer won, e.g. a result recorded through another API process), each recording is tried
    again on its own, so that the failure reaches only the one it belongs to.
    """
    if len(recordings) == 1:
        return _record_batch(sessions, recordings)
    try:
        return _record_batch(sessions, recordings)
    except Exception:
        return [_alone(sessions, recording) for recording in recordings]


def _alone(sessions: Sessions, recording: Recording) -> RecordedResult | Exception | Later:
    try:
        return _record_batch(sessions, [recording])[0]
    except Exception as exc:
        return exc


def _record_batch(sessions: Sessions, recordings: Sequence[Recording]) -> Outcomes:
    outcomes: Outcomes = [LATER] * len(recordings)
    with transaction(sessions) as session:
        conn = session.connection()
        # On PostgreSQL, a row another transaction keeps locked must not hold up the other results of the
        # batch (nor those queued behind it): after ``LOCK_TIMEOUT_SECONDS`` the batch gives up;
        # ``record_results`` then tries each alone, and only the one whose rows are locked ends with a
        # Conflict (409, try again).
        first = _WHERE_WITH_LOCK_TIMEOUT if conn.dialect.name == "postgresql" else _WHERE
        where = {row.id: row for row in conn.execute(first, {"ids": [r.agenda_item_id for r in recordings]})}
        chosen: list[int] = []
        taken: set[tuple[str, int]] = set()
        for index, recording in enumerate(recordings):
            found = where.get(recording.agenda_item_id)
            if found is None:
                item_id = recording.agenda_item_id
                outcomes[index] = not_found("agenda_item", item_id, entity="agenda_item", id=item_id)
                continue
            if found.consultation_id is None:
                outcomes[index] = RuleViolation(
                    f"TOP {found.number} has no paper; there is no result to record"
                )
                continue
            keys = {("paper", found.paper_id), ("meeting", found.meeting_id), ("item", found.id)}
            if keys & taken:
                continue  # LATER
            taken |= keys
            chosen.append(index)
        if not chosen:
            return outcomes
        rows = [where[recordings[i].agenda_item_id] for i in chosen]

        def by_id(statement: Any, ids: set[int]) -> dict[int, Row[Any]]:
            return {row.id: row for row in conn.execute(statement, {"ids": sorted(ids)})}

        papers = by_id(_LOCK_PAPERS, {row.paper_id for row in rows})
        steps_of: dict[int, list[Row[Any]]] = {}
        steps: dict[int, Row[Any]] = {}
        for step in conn.execute(_LOCK_STEPS, {"ids": sorted(papers)}):
            steps_of.setdefault(step.paper_id, []).append(step)
            steps[step.id] = step
        meetings = by_id(_LOCK_MEETINGS, {row.meeting_id for row in rows})
        items = by_id(_LOCK_ITEMS, {row.id for row in rows})
        present: dict[int, list[Any]] = {}
        for attendee in conn.execute(_PRESENT, {"ids": sorted(meetings)}):
            present.setdefault(attendee.meeting_id, []).append(attendee)
        members: dict[int, list[Any]] = {}
        for member in conn.execute(
            _MEMBERS, {"ids": sorted({steps[r.consultation_id].body_id for r in rows})}
        ):
            members.setdefault(member.body_id, []).append(member)

        plans: list[_Plan] = []
        known = _Known()
        for index, where_row in zip(chosen, rows, strict=True):
            recording = recordings[index]
            try:
                plans.append(
                    _plan(
                        session,
                        index,
                        recording,
                        where_row,
                        papers[where_row.paper_id],
                        steps[where_row.consultation_id],
                        steps_of[where_row.paper_id],
                        meetings[where_row.meeting_id],
                        items[where_row.id],
                        present.get(where_row.meeting_id, []),
                        members.get(steps[where_row.consultation_id].body_id, []),
                        known,
                    )
                )
            except DomainError as exc:
                outcomes[index] = exc
        if plans:
            _write(session, plans)
        for plan in plans:
            outcomes[plan.index] = plan.row
    return outcomes


class _Known:
    """What the results of one batch share, worked out once: the seats of a body on a day, and each
    person's facts (the results of a meeting's TOPs have the same attendance and the same seats)."""

    def __init__(self) -> None:
        self._seats: dict[tuple[int, dt.date], tuple[list[Seat], set[int]]] = {}
        self._people: dict[int, Member] = {}

    def seats(self, body_id: int, day: dt.date, members: list[Any]) -> tuple[list[Seat], set[int]]:
        """The body's seats on ``day`` and the persons holding them."""
        found = self._seats.get((body_id, day))
        if found is None:
            body_seats = seats_on(members, day)
            found = self._seats[body_id, day] = (body_seats, {s.person_id for s in body_seats})
        return found

    def member(self, row: Any) -> Member:
        found = self._people.get(row.person_id)
        if found is None:
            found = self._people[row.person_id] = Member.of(row)
        return found


def _plan(
    session: Session,
    index: int,
    recording: Recording,
    where: Any,
    paper: Any,
    step: Any,
    paper_steps: list[Any],
    meeting: Any,
    item: Any,
    present: list[Any],
    members: list[Any],
    known: _Known,
) -> _Plan:
    """The checks of ``record_result``, in its order, on what the batch read; what the result will write."""
    now, data = recording.now, recording.result
    if item.result_recorded_by is not None:
        raise Conflict(
            f"A result for TOP {item.number} was already recorded by {item.result_recorded_by}; "
            "correct it with a reason instead",
            agenda_item_id=item.id,
            revision=item.result_revision,
        )
    if step.agenda_item_id != item.id:
        raise TransitionNotAllowed(
            f"TOP {item.number} is no longer where this paper's step stands (the step is '{step.state}')",
            state=step.state,
        )
    meeting_state = _MeetingState(meeting.state, meeting.id, meeting.name, meeting.start)
    if meeting.state == "invited":
        fire_meeting(meeting_state, "hold", now)
    elif meeting.state != "held":
        raise TransitionNotAllowed(
            f"Results can only be recorded for a held meeting; it is '{meeting.state}'", state=meeting.state
        )
    if step.state != ConsultationState.invited:
        raise TransitionNotAllowed(
            f"The step of {step.body_name} is '{step.state}'; no result can be recorded", state=step.state
        )
    in_order = sorted(paper_steps, key=lambda s: (s.stage, s.position))
    blocking = [s for s in in_order if s.stage < step.stage and s.state not in FINISHED_STEP_STATES]
    if blocking:
        raise RuleViolation(
            "The Beratungsfolge has not reached this body yet: "
            + ", ".join(f"{b.body_name} ({b.state})" for b in blocking)
            + " must deliberate first",
            rule="stage_not_joined",
        )
    day = meeting.start.astimezone(BERLIN).date()
    body_seats, seated = known.seats(step.body_id, day, members)
    facts = Facts(
        municipality_id=where.municipality_id,
        profile=profile_named(where.profile),
        role=step.role,
        body=BodyFacts(
            step.body_id,
            step.body_name,
            step.body_kind,
            step.body_settings_override,
            step.body_statutory_members,
        ),
        item_number=item.number,
        late_addition=item.late_addition,
        second_session=item.second_session or meeting.second_session,
        day=day,
        attendance=[a.person_id for a in present],
        seats=body_seats,
        people={
            p.person_id: known.member(p) for p in (*present, *(m for m in members if m.person_id in seated))
        },
    )
    checked = check(session, facts, data)
    actor = validate.actor(recording.actor)  # after the rules, as when the audit event checked it
    outcome = checked.outcome
    effect = EFFECTS[outcome]

    content = _content(data, checked)
    row = RecordedResult(
        **vars(content),
        agenda_item_id=item.id,
        recorded_by=actor,
        recorded_at=now,
        created_at=now,
        modified_at=now,
    )

    step_state = _State(step.state)
    CONSULTATION_MACHINE.fire(step_state, effect.step_trigger, what=f"step {step.id} ({step.body_name})")
    resolution_text = (data.resolution_text or "").strip() or step.resolution_text
    before = {column.name: step._mapping[column.name] for column in _step_t.c}
    after = dict(before)
    after.update(
        state=step_state.state,
        outcome=outcome.value,
        outcome_wording=checked.wording,
        quorum_failed=data.quorum_failed,
        resolution_text=resolution_text,
        modified_at=now,
        version=step.version + 1,
    )
    plan = _Plan(
        index=index,
        recording=recording,
        row=row,
        checked=checked,
        paper_id=paper.id,
        step=before,
        step_after=after,
        meeting_id=meeting.id,
        meeting_state=meeting_state.state,
        paper_resolution_text=paper.resolution_text,
    )
    if outcome is Outcome.recommended_amended:  # the next steps deliberate the amended text
        plan.later_steps = [s.id for s in paper_steps if s.stage > step.stage and s.state in OPEN_STEP_STATES]
    if outcome in DECIDING_OUTCOMES:
        plan.paper_resolution_text = (
            None if outcome is Outcome.rejected else resolution_text or paper.proposed_resolution
        )
    states_after = [step_state.state if s.id == step.id else s.state for s in paper_steps]
    plan.paper_phase = bool(
        effect.paper_trigger
        or (effect.inserts_referral and checked.referred_to is not None)
        or (
            effect.step_trigger == "conclude"
            and all(state in FINISHED_STEP_STATES for state in states_after)
            and PaperKind(paper.kind) not in DECIDED_KINDS
        )
    )
    return plan


def _write(session: Session, plans: list[_Plan]) -> None:
    """Every row the checked recordings write, one statement per table; then the effects on papers."""
    conn = session.connection()
    result_ids = insert_many_with_ids(
        conn,
        _result_t,
        [
            {column.name: getattr(plan.row, column.name) for column in _result_t.c if column.name != "id"}
            for plan in plans
        ],
    )
    votes: list[VoteRecord] = []
    for plan, result_id in zip(plans, result_ids, strict=True):
        plan.row.id = result_id
        for vote in plan.row.votes:
            vote.result_id = result_id
        votes.extend(plan.row.votes)
    presence = [
        {"result_id": plan.row.id, "person_id": p.person_id} for plan in plans for p in plan.row.present
    ]
    insert_many(conn, table(ItemPresence), presence)
    recusals = [
        {"result_id": plan.row.id, "person_id": r.person_id, "reason": r.reason}
        for plan in plans
        for r in plan.row.recusals
    ]
    insert_many(conn, table(Recusal), recusals)
    if votes:
        vote_ids = insert_many_with_ids(
            conn,
            table(Vote),
            [
                {
                    "result_id": v.result_id,
                    "position": v.position,
                    "subject": v.subject,
                    "yes": v.yes,
                    "no": v.no,
                    "abstain": v.abstain,
                    "decisive": v.decisive,
                    "casting_vote": v.casting_vote,
                }
                for v in votes
            ],
        )
        for vote, vote_id in zip(votes, vote_ids, strict=True):
            vote.id = vote_id
        counts = [
            {"vote_id": v.id, "faction_id": c.faction_id, "yes": c.yes, "no": c.no, "abstain": c.abstain}
            for v in votes
            for c in v.faction_counts
        ]
        insert_many(conn, table(VoteFactionCount), counts)
        named = [
            {"vote_id": v.id, "person_id": n.person_id, "choice": n.choice} for v in votes for n in v.named
        ]
        insert_many(conn, table(NamedVote), named)

    update_many(
        conn,
        _step_t,
        [
            {
                "id": plan.step_after["id"],
                "state": plan.step_after["state"],
                "outcome": plan.step_after["outcome"],
                "outcome_wording": plan.step_after["outcome_wording"],
                "quorum_failed": plan.step_after["quorum_failed"],
                "resolution_text": plan.step_after["resolution_text"],
                "modified_at": plan.recording.now,
            }
            for plan in plans
        ],
        bump_version=True,
    )
    update_many(
        conn,
        _step_t,
        [
            {
                "id": later,
                "resolution_text": plan.step_after["resolution_text"],
                "modified_at": plan.recording.now,
            }
            for plan in plans
            for later in plan.later_steps
        ],
        bump_version=True,
    )
    update_many(
        conn,
        _paper_t,
        [
            {
                "id": plan.paper_id,
                "resolution_text": plan.paper_resolution_text,
                "modified_at": plan.recording.now,
            }
            for plan in plans
            if not plan.paper_phase  # those are written once, through the ORM (_apply_to_paper)
        ],
        bump_version=True,
    )
    update_many(
        conn,
        _meeting_t,
        [
            {"id": plan.meeting_id, "state": plan.meeting_state, "modified_at": plan.recording.now}
            for plan in plans
        ],
        bump_version=True,
    )
    update_many(
        conn,
        _item_t,
        [{"id": plan.row.agenda_item_id, "modified_at": plan.recording.now} for plan in plans],
        bump_version=True,
    )
    audit: list[dict[str, Any]] = []
    outbox: list[dict[str, Any]] = []
    for plan in plans:
        now, actor, paper_id = plan.recording.now, plan.row.recorded_by, plan.paper_id
        audit.append(
            {
                "occurred_at": now,
                "actor": actor,
                "action": "result.recorded",
                "entity_type": "item_result",
                "entity_id": plan.row.id,
                "paper_id": paper_id,
                "meeting_id": plan.meeting_id,
                "before": None,
                "after": result_snapshot(plan.row),
                "reason": None,
            }
        )
        audit.append(
            {
                "occurred_at": now,
                "actor": actor,
                "action": "consultation.dealt_with",
                "entity_type": "consultation",
                "entity_id": plan.step["id"],
                "paper_id": paper_id,
                "meeting_id": plan.step["meeting_id"],
                "before": json_snapshot(plan.step),
                "after": json_snapshot(plan.step_after),
                "reason": None,
            }
        )
        outbox.append(
            {
                "created_at": now,
                "event_type": "ResultRecorded",
                "payload": {
                    "paper_id": paper_id,
                    "meeting_id": plan.meeting_id,
                    "agenda_item_id": plan.row.agenda_item_id,
                    "consultation_id": plan.step["id"],
                    "outcome": plan.checked.outcome.value,
                },
            }
        )
    insert_audit(session, audit)
    insert_outbox(session, outbox)
    for plan in plans:
        if plan.paper_phase:
            _apply_to_paper(session, plan)


def _apply_to_paper(session: Session, plan: _Plan) -> None:
    """The outcome's effect on the paper itself: a referral, the paper's own transition (adopted, rejected,
    withdrawn), or noted once every step is finished. Through the ORM and the paper machinery, after the
    result's rows are written (the objects load what the statements above changed)."""
    now, actor, checked = plan.recording.now, plan.row.recorded_by, plan.checked
    outcome, effect = checked.outcome, EFFECTS[checked.outcome]
    paper = get(session, Paper, plan.paper_id)
    step = get(session, Consultation, plan.step["id"])
    events: list[str] = []
    if paper.resolution_text != plan.paper_resolution_text:  # a decision: the text decided on
        paper.resolution_text = plan.paper_resolution_text
        paper.modified_at = now
        session.flush()
    if effect.inserts_referral and checked.referred_to is not None:
        _insert_referral(session, paper, step, checked.referred_to, now)
        session.flush()
        session.refresh(paper, ["consultations"])
    if effect.paper_trigger:
        if effect.closes_paper:
            paper.closing_reason = checked.wording
        fire_paper_audited(session, paper, effect.paper_trigger, actor=actor, now=now, reason=checked.wording)
        close_open_steps(
            session, paper, outcome if effect.closes_paper else Outcome.settled, actor=actor, now=now
        )
        if outcome in DECIDING_OUTCOMES:
            paper.decided_at = now
            events.append("PaperDecided")
        else:
            events.append("PaperWithdrawn")
    elif (
        effect.step_trigger == "conclude"
        and all_finished(paper.consultations)
        and PaperKind(paper.kind) not in DECIDED_KINDS
    ):
        fire_paper_audited(session, paper, "note", actor=actor, now=now)
        paper.decided_at = now
        events.append("PaperNoted")
    paper.modified_at = now
    session.flush()
    for event in events:
        emit(session, event, now, paper_id=paper.id, state=paper.state, reference=paper.reference)


# ------------------------------------------------------------------------------------ correcting


def _locked(session: Session, agenda_item_id: int) -> tuple[Paper, Consultation, Meeting, AgendaItem]:
    """Lock in the fixed order paper → step → meeting → item, so concurrent use cases cannot deadlock.

    The ids are read as plain columns first: a versioned object already in the session would make the
    locking load fail on a concurrent change instead of showing it.
    """
    # The municipality comes along so that the rules find it in the session (its profile) without
    # another round trip.
    found = session.execute(
        select(
            AgendaItem.number,
            AgendaItem.meeting_id,
            AgendaItem.consultation_id,
            Consultation.paper_id,
            Municipality,
        )
        .outerjoin(Consultation, AgendaItem.consultation_id == Consultation.id)
        .join(Meeting, AgendaItem.meeting_id == Meeting.id)
        .join(Municipality, Meeting.municipality_id == Municipality.id)
        .where(AgendaItem.id == agenda_item_id)
    ).one_or_none()
    if found is None:
        get(session, AgendaItem, agenda_item_id)  # raises NotFound
    number, meeting_id, step_id, paper_id, _ = found  # type: ignore[misc]
    if step_id is None:
        raise RuleViolation(f"TOP {number} has no paper; there is no result to record")
    paper = get(session, Paper, paper_id, lock=True)
    step = get(session, Consultation, step_id, lock=True)
    meeting = get(session, Meeting, meeting_id, lock=True)
    item = get(session, AgendaItem, agenda_item_id, lock=True)
    return paper, step, meeting, item


def _facts(session: Session, paper: Paper, step: Consultation, meeting: Meeting, item: AgendaItem) -> Facts:
    """The facts the rules look at, from loaded objects (``correct_result``)."""
    day = meeting.start.astimezone(BERLIN).date()
    body = step.body
    body_seats = seats(session, body.id, day)
    return Facts(
        municipality_id=paper.municipality_id,
        profile=profile_named(get(session, Municipality, paper.municipality_id).profile),
        role=step.role,
        body=BodyFacts(body.id, body.name, body.kind, body.settings_override, body.statutory_members),
        item_number=item.number,
        late_addition=item.late_addition,
        second_session=item.second_session or meeting.second_session,
        day=day,
        attendance=[a.person_id for a in meeting.attendance if a.status == AttendanceStatus.present],
        seats=body_seats,
        people=people_of(session, {s.person_id for s in body_seats}),
    )


def _insert_referral(
    session: Session, paper: Paper, step: Consultation, body: Body, now: dt.datetime
) -> Consultation:
    """'verwiesen an …': the named body deliberates in a new stage right after this one; later stages move
    back. If that body already has an open step later in the plan, that step moves up instead of a second
    one appearing. When the deciding body refers the paper, it comes back to it afterwards.
    """
    waiting = [
        s
        for s in paper.consultations
        if s.body_id == body.id and s.stage > step.stage and s.state in OPEN_STEP_STATES
    ]
    if any(s.authoritative for s in waiting):
        raise RuleViolation(
            f"{body.name} decides this paper anyway; refer it to a body that is not already its deciding step",
            german=f"{body.name} entscheidet ohnehin über die Vorlage; eine Verweisung dorthin ist nicht möglich",
        )
    moved = waiting[0] if waiting else None
    others = [s for s in paper.consultations if s is not moved]
    if moved is not None and not any(s.stage == moved.stage for s in others):
        for other in others:  # its stage empties: close the gap
            if other.stage > moved.stage:
                other.stage -= 1
    returns = step.authoritative
    for other in others:
        if other.stage > step.stage:
            other.stage += 2 if returns else 1
            other.modified_at = now
    if moved is not None:
        moved.stage, moved.position, moved.referred_from_id, moved.modified_at = (
            step.stage + 1,
            0,
            step.id,
            now,
        )
        target = moved
    else:
        target = _new_step(paper, step, body, ConsultationRole.preliminary, step.stage + 1, now)
        session.add(target)
    if returns:
        session.add(_new_step(paper, step, step.body, ConsultationRole(step.role), step.stage + 2, now))
    return target


def _new_step(
    paper: Paper, origin: Consultation, body: Body, role: ConsultationRole, stage: int, now: dt.datetime
) -> Consultation:
    return Consultation(
        paper_id=paper.id,
        body_id=body.id,
        stage=stage,
        position=0,
        role=role.value,
        authoritative=role is ConsultationRole.decision,
        state=CONSULTATION_MACHINE.initial.value,
        referred_from_id=origin.id,
        resolution_text=origin.resolution_text,
        created_at=now,
        modified_at=now,
    )


def _carry_result(
    paper: Paper, step: Consultation, outcome: Outcome, data: ResultInput, checked: Checked, now: dt.datetime
) -> None:
    """Write a result's outcome onto its step, and the texts it carries onto the later steps and the paper."""
    step.outcome, step.outcome_wording = outcome.value, checked.wording
    step.quorum_failed = data.quorum_failed
    # A step keeps the text it carries (an earlier amended recommendation) unless the result gives one.
    step.resolution_text = (data.resolution_text or "").strip() or step.resolution_text
    step.modified_at = now
    if outcome is Outcome.recommended_amended:  # the next steps deliberate the amended text
        for later in paper.consultations:
            if later.stage > step.stage and later.state in OPEN_STEP_STATES:
                later.resolution_text = step.resolution_text
                later.modified_at = now
    if outcome in DECIDING_OUTCOMES:
        paper.resolution_text = (
            None if outcome is Outcome.rejected else step.resolution_text or paper.proposed_resolution
        )


def correct_result(
    sessions: Sessions,
    *,
    actor: str,
    agenda_item_id: int,
    result: ResultInput,
    reason: str,
    expected_revision: int | None = None,
    now: dt.datetime | None = None,
) -> ItemResult:
    """Correct a recorded result; the reason is required and the earlier result stays in the history.

    A correction may change counts, attendance, recusals, wording and texts, and the outcome code only to
    one with the same effect: what already happened to the Beratungsfolge is not undone silently.
    """
    now = clock(now)
    if not reason or not reason.strip():
        raise RuleViolation("A correction needs a reason")
    with transaction(sessions) as session:
        paper, step, meeting, item = _locked(session, agenda_item_id)
        row = item.result
        if row is None:
            raise RuleViolation(f"No result recorded for TOP {item.number} yet; record it first")
        if meeting.state == "minutes_approved":
            raise TransitionNotAllowed(
                "The minutes of this meeting are approved; a result can no longer be corrected",
                german="Die Niederschrift ist genehmigt; das Ergebnis kann nicht mehr berichtigt werden",
                state=meeting.state,
            )
        if expected_revision is not None and row.revision != expected_revision:
            raise Conflict(
                f"The result was corrected in the meantime (revision {row.revision})", revision=row.revision
            )
        old, new = Outcome(row.outcome), Outcome(result.outcome)
        old_body = row.referred_to_body_id
        if EFFECTS.get(old) != EFFECTS.get(new):
            raise RuleViolation(
                f"A correction cannot turn '{old.value}' into '{new.value}': the effect on the Beratungsfolge "
                "differs. Withdraw or re-plan the paper instead.",
                rule="correction_changes_effect",
            )
        checked = check(session, _facts(session, paper, step, meeting, item), result)
        if old is Outcome.referred and checked.referred_to and checked.referred_to.id != old_body:
            raise RuleViolation("A correction cannot change the body the paper was referred to")
        before = result_snapshot(row)
        _fill(row, result, checked)
        row.revision += 1
        row.modified_at = now
        if step.agenda_item_id == item.id:
            # Only the step's latest appearance speaks for the step; an earlier one (e.g. a postponement
            # before it was dealt with) is corrected in its result alone.
            _carry_result(paper, step, new, result, checked, now)
        paper.modified_at = item.modified_at = meeting.modified_at = now
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="result.corrected",
            entity=row,
            now=now,
            before=before,
            after=result_snapshot(row),
            reason=reason.strip(),
            paper_id=paper.id,
            meeting_id=meeting.id,
        )
        emit(
            session,
            "ResultCorrected",
            now,
            paper_id=paper.id,
            meeting_id=meeting.id,
            agenda_item_id=item.id,
            revision=row.revision,
        )
    return row
