"""Decisions without a meeting (Umlaufverfahren): a step of a paper decided in writing by its body.

Two use cases, each one function and one transaction: ``start_circulation`` (the coordination office or the
body's secretary puts the step and its proposed resolution to every member) and ``answer_circulation`` (a
member answers: yes, no, abstain, or objects to the procedure). One objection ends the circulation and the step
waits for a meeting again; once every member answered without objection, the result is recorded with the
answers (the votes counted from them) and applied to the paper by the same write as a meeting's result
(``workflow.results.apply_outcome``). The rules are in ``workflow.circulation_rules``; where the law allows
it is the profile's ``circulation`` (§ 67 Abs. 1 Satz 3 HGO, § 78 Abs. 3 NKomVG; none in the GO NRW).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow import validate
from workflow.access import Forbidden, Principal, require_council_member, require_start_circulation
from workflow.audit import emit, record_audit, snapshot
from workflow.beratungsfolge import earlier_unfinished
from workflow.circulation_rules import allowed_rule, check_answer, check_role, tally
from workflow.db import transaction
from workflow.errors import Conflict, RuleViolation, TransitionNotAllowed
from workflow.machines import CONSULTATION_MACHINE
from workflow.models import (
    Circulation,
    CirculationAnswer,
    Consultation,
    ItemPresence,
    ItemResult,
    NamedVote,
    Paper,
    Person,
    Vote,
)
from workflow.papers import fire_paper_audited
from workflow.result_rules import Checked
from workflow.results import ResultInput, apply_outcome, result_snapshot
from workflow.rules import BERLIN
from workflow.store import body_settings, clock, get, profile_of, seats
from workflow.vocabulary import (
    CIRCULATION_CHOICE_LABELS,
    CIRCULATION_STATE_LABELS,
    OUTCOME_WORDING,
    CirculationChoice,
    CirculationState,
    ConsultationState,
    MembershipRole,
    PaperState,
    TieRule,
)

__all__ = ["answer_circulation", "circulation_snapshot", "start_circulation"]

Sessions = sessionmaker[Session]
OPEN_PAPER_STATES = frozenset({PaperState.submitted, PaperState.in_deliberation})


def start_circulation(
    sessions: Sessions,
    *,
    who: Principal | None,
    consultation_id: int,
    resolution_text: str | None = None,
    simple_matter: bool = False,
    now: dt.datetime | None = None,
) -> Circulation:
    """Put a step to its body's members in writing, with the proposed resolution (default: the text the step
    carries, else the paper's proposal). Where the profile allows it only in simple matters (§ 67 Abs. 1 Satz 3
    HGO), ``simple_matter`` confirms that it is one. A step on a meeting's agenda cannot be circulated."""
    now = clock(now)
    validate.ident(consultation_id, "step")
    if resolution_text is not None:
        validate.text(resolution_text, "The resolution text", required=False)
    if not isinstance(simple_matter, bool):
        raise RuleViolation("simple_matter is true or false")
    with transaction(sessions) as session:
        paper_id = session.scalar(select(Consultation.paper_id).where(Consultation.id == consultation_id))
        if paper_id is None:
            get(session, Consultation, consultation_id)  # raises NotFound
        paper = get(session, Paper, paper_id, lock=True)  # type: ignore[arg-type]
        step = get(session, Consultation, consultation_id, lock=True)
        body = step.body
        actor = require_start_circulation(who, paper.municipality_id, body.id).actor
        rule = allowed_rule(
            profile_of(session, paper.municipality_id), body.kind, body.name, simple_matter=simple_matter
        )
        check_role(step.role, body.name)
        if PaperState(paper.state) not in OPEN_PAPER_STATES:
            raise TransitionNotAllowed(
                f"The paper is '{paper.state}'; only a paper in deliberation can be decided",
                german=f"Die Vorlage ist nicht in Beratung ({paper.state}); kein Umlaufverfahren möglich",
                state=paper.state,
            )
        if step.state in (ConsultationState.scheduled, ConsultationState.invited):
            raise TransitionNotAllowed(
                f"The step of {body.name} is on the agenda of a meeting; take it off the agenda before "
                "deciding it without a meeting",
                german=f"Der Beratungsschritt von {body.name} steht auf der Tagesordnung einer Sitzung; "
                "erst von der Tagesordnung nehmen, dann ins Umlaufverfahren geben",
                state=step.state,
                rule="circulation_step_on_agenda",
            )
        blocking = earlier_unfinished(paper.consultations, step)
        if blocking:
            raise RuleViolation(
                "The Beratungsfolge has not reached this body yet: "
                + ", ".join(f"{b.body.name} ({b.state})" for b in blocking)
                + " must deliberate first",
                rule="stage_not_joined",
            )
        text = (resolution_text or "").strip() or step.resolution_text or paper.proposed_resolution
        if not (text or "").strip():
            raise RuleViolation(
                "A circulation needs the proposed resolution (Beschlussvorschlag) the members answer on",
                german="Für das Umlaufverfahren fehlt der Beschlussvorschlag",
            )
        day = now.astimezone(BERLIN).date()
        members = [s for s in seats(session, body.id, day) if s.role is not MembershipRole.substitute]
        if not members:
            raise RuleViolation(
                f"{body.name} has no members on {day:%d.%m.%Y}",
                german=f"{body.name} hat am {day:%d.%m.%Y} keine Mitglieder",
            )
        before = snapshot(step)
        CONSULTATION_MACHINE.fire(step, "circulate", what=f"step {step.id} ({body.name})")
        step.modified_at = now
        circulation = Circulation(
            municipality_id=paper.municipality_id,
            paper_id=paper.id,
            consultation_id=step.id,
            body_id=body.id,
            state=CirculationState.running.value,
            resolution_text=text,
            simple_matter=simple_matter,
            started_by=actor,
            started_at=now,
            created_at=now,
            modified_at=now,
            answers=[
                CirculationAnswer(person_id=seat.person_id, voting_right=seat.voting_right)
                for seat in sorted({s.person_id: s for s in members}.values(), key=lambda s: s.person_id)
            ],
        )
        session.add(circulation)
        paper.modified_at = now
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="consultation.circulated",
            entity=step,
            now=now,
            before=before,
            paper_id=paper.id,
        )
        record_audit(
            session,
            actor=actor,
            action="circulation.started",
            entity=circulation,
            now=now,
            after=circulation_snapshot(circulation),
            reason=rule.cite(),
            paper_id=paper.id,
        )
        if paper.state == PaperState.submitted:
            fire_paper_audited(session, paper, "begin_deliberation", actor=actor, now=now)
        emit(
            session,
            "CirculationStarted",
            now,
            paper_id=paper.id,
            consultation_id=step.id,
            circulation_id=circulation.id,
            body_id=body.id,
        )
    return circulation


def answer_circulation(
    sessions: Sessions,
    *,
    who: Principal | None,
    circulation_id: int,
    answer: CirculationChoice | str,
    now: dt.datetime | None = None,
) -> Circulation:
    """A member's written answer, once. An objection ends the circulation (the step waits for a meeting);
    the last answer without one records the result and applies it to the paper like a meeting's result."""
    now = clock(now)
    validate.ident(circulation_id, "circulation")
    given = validate.choice(CirculationChoice, answer, "answer")
    with transaction(sessions) as session:
        found = session.execute(
            select(Circulation.paper_id, Circulation.consultation_id).where(Circulation.id == circulation_id)
        ).one_or_none()
        if found is None:
            get(session, Circulation, circulation_id)  # raises NotFound
        paper_id, step_id = found  # type: ignore[misc]
        paper = get(session, Paper, paper_id, lock=True)
        step = get(session, Consultation, step_id, lock=True)
        circulation = get(session, Circulation, circulation_id, lock=True)
        member = require_council_member(who, circulation.municipality_id)
        body = circulation.body
        row = next((a for a in circulation.answers if a.person_id == member.person_id), None)
        if row is None:
            raise Forbidden(
                f"Only the members of {body.name} answer in this circulation (Umlaufverfahren)",
                german=f"Im Umlaufverfahren antworten nur die Mitglieder von {body.name}",
            )
        if circulation.state != CirculationState.running or step.state != ConsultationState.circulating:
            ended = CIRCULATION_STATE_LABELS.get(CirculationState(circulation.state), circulation.state)
            if circulation.state == CirculationState.running:
                ended = f"der Beratungsschritt ist {step.state}"
            raise TransitionNotAllowed(
                f"The circulation (Umlaufverfahren) has ended ({circulation.state}); no more answers are taken",
                german=f"Das Umlaufverfahren ist beendet ({ended}); Antworten werden nicht mehr angenommen",
                state=circulation.state,
                rule="circulation_ended",
            )
        if row.answer is not None:
            assert row.answered_at is not None
            given_before = CIRCULATION_CHOICE_LABELS[CirculationChoice(row.answer)]
            raise Conflict(
                f"You already answered this circulation ({row.answer}) at {row.answered_at.isoformat()}",
                german=f"Sie haben im Umlaufverfahren bereits geantwortet („{given_before}“, "
                f"{row.answered_at.astimezone(BERLIN):%d.%m.%Y %H:%M} Uhr)",
                rule="circulation_answered_twice",
            )
        name = session.get_one(Person, row.person_id).name
        check_answer(given, voting_right=row.voting_right, name=name)
        row.answer, row.answered_at, row.answered_by = given.value, now, member.actor
        circulation.modified_at = now
        session.flush()
        record_audit(
            session,
            actor=member.actor,
            action="circulation.answered",
            entity=circulation,
            now=now,
            after={"person_id": row.person_id, "answer": given.value},
            paper_id=paper.id,
        )
        if given is CirculationChoice.object:
            _end_by_objection(session, paper, step, circulation, row.person_id, actor=member.actor, now=now)
        elif all(a.answer is not None for a in circulation.answers):
            _decide(session, paper, step, circulation, actor=member.actor, now=now)
    return circulation


def _end_by_objection(
    session: Session,
    paper: Paper,
    step: Consultation,
    circulation: Circulation,
    person_id: int,
    *,
    actor: str,
    now: dt.datetime,
) -> None:
    """One member objected: no decision in writing; the step waits for a meeting of its body again."""
    before = snapshot(circulation)
    circulation.state = CirculationState.objected.value
    circulation.ended_at, circulation.objected_by_id = now, person_id
    before_step = snapshot(step)
    CONSULTATION_MACHINE.fire(step, "end_circulation", what=f"step {step.id}")
    step.modified_at = paper.modified_at = now
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="circulation.objected",
        entity=circulation,
        now=now,
        before=before,
        after=circulation_snapshot(circulation),
        paper_id=paper.id,
    )
    record_audit(
        session,
        actor=actor,
        action="consultation.circulation_ended",
        entity=step,
        now=now,
        before=before_step,
        paper_id=paper.id,
    )
    emit(
        session,
        "CirculationObjected",
        now,
        paper_id=paper.id,
        consultation_id=step.id,
        circulation_id=circulation.id,
    )


def _decide(
    session: Session,
    paper: Paper,
    step: Consultation,
    circulation: Circulation,
    *,
    actor: str,
    now: dt.datetime,
) -> None:
    """Every member answered and nobody objected: record the result with the answers and apply it."""
    profile = profile_of(session, paper.municipality_id)
    body = circulation.body
    tie_rule = TieRule(body_settings(profile, body).tie_rule)
    day = circulation.started_at.astimezone(BERLIN).date()
    chair = next((s.person_id for s in seats(session, body.id, day) if s.role is MembershipRole.chair), None)
    answers = {
        a.person_id: (CirculationChoice(a.answer), a.voting_right) for a in circulation.answers if a.answer
    }
    carried_text = step.resolution_text or paper.proposed_resolution
    amended = circulation.resolution_text.strip() != (carried_text or "").strip()
    counted = tally(
        answers, role=check_role(step.role, body.name), tie_rule=tie_rule, presiding=chair, amended=amended
    )
    wording = OUTCOME_WORDING[counted.outcome]
    row = ItemResult(
        circulation_id=circulation.id,
        outcome=counted.outcome.value,
        outcome_wording=wording,
        resolution_text=circulation.resolution_text,
        presided_by_id=chair,
        recorded_by=actor,
        recorded_at=now,
        revision=1,
        created_at=now,
        modified_at=now,
        present=[ItemPresence(person_id=person) for person in sorted(answers)],
        votes=[
            Vote(
                position=0,
                subject="Beschlussvorschlag im Umlaufverfahren",
                yes=counted.yes,
                no=counted.no,
                abstain=counted.abstain,
                decisive=True,
                casting_vote=counted.casting_vote.value if counted.casting_vote else None,
                named=[
                    NamedVote(person_id=person, choice=answer.value)
                    for person, (answer, vote) in sorted(answers.items())
                    if vote
                ],
            )
        ],
    )
    session.add(row)
    before = snapshot(circulation)
    circulation.state = CirculationState.decided.value
    circulation.ended_at = circulation.modified_at = now
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="result.recorded",
        entity=row,
        now=now,
        after=result_snapshot(row),
        paper_id=paper.id,
    )
    record_audit(
        session,
        actor=actor,
        action="circulation.decided",
        entity=circulation,
        now=now,
        before=before,
        after=circulation_snapshot(circulation),
        paper_id=paper.id,
    )
    checked = Checked(counted.outcome, wording, sorted(answers), None, chair)
    changes = apply_outcome(
        session,
        paper,
        step,
        checked,
        ResultInput(counted.outcome, resolution_text=circulation.resolution_text),
        actor=actor,
        now=now,
    )
    emit(
        session,
        "CirculationDecided",
        now,
        paper_id=paper.id,
        consultation_id=step.id,
        circulation_id=circulation.id,
        outcome=counted.outcome.value,
    )
    for event in changes.events:
        emit(session, event, now, paper_id=paper.id, state=paper.state, reference=paper.reference)


def circulation_snapshot(circulation: Circulation) -> dict[str, Any]:
    """The circulation with every member's answer, for the audit trail."""
    data = snapshot(circulation) or {}
    data["answers"] = {
        str(a.person_id): {"answer": a.answer, "voting_right": a.voting_right} for a in circulation.answers
    }
    return data
