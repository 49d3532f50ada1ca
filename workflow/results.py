"""Recording the result of an agenda item, and correcting it with a reason.

The outcome's effect on the Beratungsfolge is a table (``EFFECTS``), not an if-ladder: which trigger the step
gets, which the paper gets, and whether a new step is inserted.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow import validate
from workflow.audit import emit, record_audit, snapshot
from workflow.beratungsfolge import DECIDED_KINDS, OPEN_STEP_STATES, all_finished, earlier_unfinished
from workflow.db import transaction
from workflow.errors import Conflict, RuleViolation, TransitionNotAllowed, VoteInconsistent
from workflow.machines import CONSULTATION_MACHINE
from workflow.meetings import fire_meeting
from workflow.models import (
    AgendaItem,
    Body,
    Consultation,
    Faction,
    ItemPresence,
    ItemResult,
    Meeting,
    Municipality,
    NamedVote,
    Paper,
    Person,
    Recusal,
    Vote,
    VoteFactionCount,
    full_name,
)
from workflow.papers import close_open_steps, fire_paper_audited
from workflow.profile import Profile
from workflow.rules import (
    BERLIN,
    VoteInput,
    check_outcome_against_votes,
    check_quorum,
    check_votes,
    voters,
)
from workflow.store import body_settings, by_key, clock, get, profile_of, seats
from workflow.vocabulary import (
    DECIDING_OUTCOMES,
    OUTCOME_WORDING,
    RECOMMENDING_OUTCOMES,
    RECORDABLE_OUTCOMES,
    AttendanceStatus,
    ConsultationRole,
    ConsultationState,
    MembershipRole,
    Outcome,
    PaperKind,
    TieRule,
    VoteChoice,
)

Sessions = sessionmaker[Session]


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

#: Which roles may end with which outcomes (beyond the procedural ones every role may have).
PROCEDURAL = frozenset(
    {Outcome.postponed, Outcome.deferred, Outcome.removed, Outcome.referred, Outcome.withdrawn}
)
ROLE_OUTCOMES: dict[ConsultationRole, frozenset[Outcome]] = {
    ConsultationRole.decision: DECIDING_OUTCOMES | PROCEDURAL,
    ConsultationRole.preliminary: RECOMMENDING_OUTCOMES | PROCEDURAL | {Outcome.noted},
    ConsultationRole.hearing: PROCEDURAL | {Outcome.statement, Outcome.noted},
    ConsultationRole.notice: PROCEDURAL | {Outcome.noted},
}
NEEDS_TEXT = frozenset({Outcome.adopted_amended, Outcome.recommended_amended})


@dataclass(frozen=True)
class ResultInput:
    """A result as the secretary records it. Persons are given by id."""

    outcome: Outcome
    votes: Sequence[VoteInput] = ()
    present: Sequence[int] | None = None  # default: who the attendance lists as present
    recused: Mapping[int, str | None] = field(default_factory=dict)  # person id → reason
    wording: str | None = None  # printed wording; default from the outcome code
    resolution_text: str | None = None
    referred_to: str | None = None  # body key, for 'referred'
    quorum_failed: bool = False  # with 'deferred': the body was not quorate
    late_item_approval: int | None = None  # yes votes for taking up an item added after the invitation


@dataclass(frozen=True)
class _Checked:
    outcome: Outcome
    wording: str
    present: list[int]
    referred_to: Body | None


def _validated(data: ResultInput) -> ResultInput:
    """Types and ranges of everything a caller may pass; bad input is a RuleViolation, never a crash."""
    validate.choice(Outcome, data.outcome, "outcome")
    for vote in data.votes:
        for what, value in (("Ja", vote.yes), ("Nein", vote.no), ("Enthaltungen", vote.abstain)):
            validate.whole_number(value, f"The count '{what}'")
        validate.text(vote.subject, "The subject of a vote", max_length=2000)
        if vote.casting_vote is not None:
            cast = validate.choice(VoteChoice, vote.casting_vote, "casting vote")
            if cast is VoteChoice.abstain:
                raise VoteInconsistent("A casting vote is yes or no")
        for person, named_choice in vote.named.items():
            validate.ident(person, "person")
            validate.choice(VoteChoice, named_choice, "named vote")
        for fc in vote.faction_counts:
            validate.ident(fc.faction_id, "faction")
            for value in (fc.yes, fc.no, fc.abstain):
                validate.whole_number(value, "A faction's count")
    if data.present is not None:
        validate.idents(data.present, "person")
    validate.idents(data.recused, "person")
    for recusal_reason in data.recused.values():
        if recusal_reason is not None:
            validate.text(recusal_reason, "The reason of a recusal", required=False, max_length=2000)
    for label, given in (
        ("The wording", data.wording),
        ("The resolution text", data.resolution_text),
        ("The body referred to", data.referred_to),
    ):
        if given is not None:
            validate.text(given, label, required=False)
    if data.late_item_approval is not None:
        validate.whole_number(data.late_item_approval, "The approval of a late item")
    return data


def _foreign(
    session: Session, model: type[Person] | type[Faction], ids: set[int], municipality_id: int
) -> set[int]:
    """The ids that are not of this municipality."""
    if not ids:
        return set()
    known = set(
        session.scalars(select(model.id).where(model.id.in_(ids), model.municipality_id == municipality_id))
    )
    return ids - known


def _check(
    session: Session, meeting: Meeting, item: AgendaItem, step: Consultation, paper: Paper, data: ResultInput
) -> _Checked:
    """Every rule a result must satisfy; raises a domain error naming the broken rule."""
    outcome = Outcome(_validated(data).outcome)
    if outcome not in RECORDABLE_OUTCOMES:
        raise RuleViolation(f"The outcome '{outcome.value}' cannot be recorded at a meeting")
    role = ConsultationRole(step.role)
    allowed = ROLE_OUTCOMES[role]
    if outcome not in allowed:
        raise RuleViolation(
            f"A step with the role '{role.value}' ({step.body.name}) cannot end with '{outcome.value}' "
            f"({OUTCOME_WORDING[outcome]}); allowed: {', '.join(sorted(o.value for o in allowed))}",
            rule="outcome_not_allowed_for_role",
        )
    if outcome in NEEDS_TEXT and not (data.resolution_text or "").strip():
        raise RuleViolation(f"'{OUTCOME_WORDING[outcome]}' needs the amended resolution text")
    if data.quorum_failed and outcome is not Outcome.deferred:
        raise RuleViolation("Lack of quorum is recorded with the outcome 'deferred' (zurückgestellt)")
    if data.quorum_failed and data.votes:
        raise VoteInconsistent("A body that is not quorate cannot vote")
    referred_to = None
    if outcome is Outcome.referred:
        if not data.referred_to:
            raise RuleViolation("'verwiesen an …' needs the body (Gremium) the paper is referred to")
        referred_to = by_key(session, Body, paper.municipality_id, data.referred_to)
        if referred_to.id == step.body_id:
            raise RuleViolation("A body cannot refer a paper to itself")
    elif data.referred_to:
        raise RuleViolation("A body to refer to is only given with the outcome 'referred'")

    present = (
        list(data.present)
        if data.present is not None
        else [a.person_id for a in meeting.attendance if a.status == AttendanceStatus.present]
    )
    if not present:
        raise RuleViolation("Record the attendance of the meeting (or who was present for this item) first")
    named = {p for vote in data.votes for p in vote.named}
    day = meeting.start.astimezone(BERLIN).date()
    body_seats = seats(session, step.body_id, day)
    member_ids = {s.person_id for s in body_seats}
    given = set(present) | set(data.recused) | named
    # One read for both: are the persons given of this municipality, and the members' names for messages.
    people = {
        row.id: row
        for row in session.execute(
            select(
                Person.id, Person.municipality_id, Person.title, Person.given_name, Person.family_name
            ).where(Person.id.in_(given | member_ids))
        )
    }
    unknown = {i for i in given if i not in people or people[i].municipality_id != paper.municipality_id}
    if unknown:
        raise RuleViolation(f"Persons not of this municipality: {sorted(unknown)}", persons=sorted(unknown))
    unknown = _foreign(
        session,
        Faction,
        {fc.faction_id for v in data.votes for fc in v.faction_counts},
        paper.municipality_id,
    )
    if unknown:
        raise RuleViolation(f"Factions not of this municipality: {sorted(unknown)}", factions=sorted(unknown))
    if outcome is Outcome.withdrawn:
        if data.votes:
            raise VoteInconsistent("A withdrawal (Zurückziehung) is declared, not voted on")
        return _Checked(outcome, (data.wording or "").strip() or OUTCOME_WORDING[outcome], present, None)
    recused = set(data.recused)
    strangers = recused - member_ids
    if strangers:
        raise VoteInconsistent(f"Recused persons must be members of {step.body.name}: {sorted(strangers)}")
    eligible = voters(body_seats, set(present), recused)
    profile = profile_of(session, paper.municipality_id)
    settings = body_settings(profile, step.body)
    quorum = profile.quorum_for(settings)
    if data.quorum_failed:
        needed = quorum.minimum_present(step.body.statutory_members)
        if len(eligible) >= needed:
            raise RuleViolation(
                f"The body was quorate ({len(eligible)} voting members present, {needed} needed)"
            )
    else:
        check_quorum(
            quorum,
            step.body.statutory_members,
            len(eligible),
            second_session=item.second_session or meeting.second_session,
        )
    _check_late_item(profile, step.body, item, data, len(eligible))
    names = {
        i: full_name(people[i].title, people[i].given_name, people[i].family_name)
        for i in member_ids
        if i in people
    }
    counted = {fc.faction_id for vote in data.votes for fc in vote.faction_counts}
    factions = (  # only named in messages about faction counts: not read when there are none
        {f.id: f.short_name for f in session.scalars(select(Faction).where(Faction.id.in_(counted)))}
        if counted
        else {}
    )
    tie_rule = TieRule(settings.tie_rule)
    chairs = {s.person_id for s in body_seats if s.role is MembershipRole.chair}
    check_votes(
        data.votes, eligible, recused, tie_rule, factions, names, chair_votes=bool(chairs & set(eligible))
    )
    check_outcome_against_votes(outcome, data.votes, tie_rule)
    wording = (data.wording or "").strip() or (
        f"{OUTCOME_WORDING[outcome]} {referred_to.name}" if referred_to else OUTCOME_WORDING[outcome]
    )
    return _Checked(outcome, wording, present, referred_to)


def _check_late_item(
    profile: Profile, body: Body, item: AgendaItem, data: ResultInput, n_voters: int
) -> None:
    """An item added after the invitation may only be dealt with if the body agrees by the profile's majority
    of the statutory members (Hessen § 58 Abs. 2 HGO, Niedersachsen § 59 Abs. 3 NKomVG: two thirds)."""
    fraction = profile.late_item_fraction_of_statutory
    if data.late_item_approval is not None and data.late_item_approval > n_voters:
        raise VoteInconsistent(
            f"{data.late_item_approval} votes for taking up the item > {n_voters} anwesende Stimmberechtigte"
        )
    if not item.late_addition or fraction is None or data.outcome in (Outcome.removed, Outcome.postponed):
        return
    needed = math.ceil(fraction * body.statutory_members)
    if data.late_item_approval is None or data.late_item_approval < needed:
        got = "no vote recorded" if data.late_item_approval is None else f"{data.late_item_approval} votes"
        raise RuleViolation(
            f"TOP {item.number} was added after the invitation: taking it up needs {needed} votes ({fraction} of "
            f"{body.statutory_members} statutory members); {got}",
            german=f"TOP {item.number} wurde nach der Einladung aufgenommen: Die Behandlung braucht die Zustimmung "
            f"von {needed} Mitgliedern ({fraction} von {body.statutory_members}); "
            + (
                "keine Abstimmung erfasst"
                if data.late_item_approval is None
                else f"erfasst: {data.late_item_approval}"
            ),
            rule="late_item_needs_approval",
        )


def _fill(result: ItemResult, data: ResultInput, checked: _Checked) -> None:
    result.outcome = checked.outcome.value
    result.outcome_wording = checked.wording
    result.resolution_text = (data.resolution_text or "").strip() or None
    result.referred_to_body_id = checked.referred_to.id if checked.referred_to else None
    result.quorum_failed = data.quorum_failed
    result.late_item_approval = data.late_item_approval
    recused = set(data.recused)
    result.present = [ItemPresence(person_id=pid) for pid in sorted(set(checked.present) - recused)]
    result.recusals = [Recusal(person_id=pid, reason=reason) for pid, reason in sorted(data.recused.items())]
    result.votes = [
        Vote(
            position=position,
            subject=vote.subject,
            yes=vote.yes,
            no=vote.no,
            abstain=vote.abstain,
            decisive=vote.decisive
            or (position == len(data.votes) - 1 and not any(v.decisive for v in data.votes)),
            casting_vote=vote.casting_vote.value if vote.casting_vote else None,
            faction_counts=[
                VoteFactionCount(faction_id=fc.faction_id, yes=fc.yes, no=fc.no, abstain=fc.abstain)
                for fc in sorted(vote.faction_counts, key=lambda fc: fc.faction_id)
            ],
            named=[
                NamedVote(person_id=pid, choice=choice.value) for pid, choice in sorted(vote.named.items())
            ],
        )
        for position, vote in enumerate(data.votes)
    ]


def result_snapshot(result: ItemResult) -> dict[str, Any]:
    """The whole result, votes included, for the audit trail."""
    data = snapshot(result) or {}
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
    paper: Paper, step: Consultation, outcome: Outcome, data: ResultInput, checked: _Checked, now: dt.datetime
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


def _apply(
    session: Session,
    paper: Paper,
    step: Consultation,
    outcome: Outcome,
    data: ResultInput,
    checked: _Checked,
    now: dt.datetime,
    actor: str,
) -> list[str]:
    """Apply the outcome's effect to the step, the paper and the rest of the Beratungsfolge."""
    effect = EFFECTS[outcome]
    events: list[str] = []
    before_step = snapshot(step)
    CONSULTATION_MACHINE.fire(step, effect.step_trigger, what=f"step {step.id} ({step.body.name})")
    _carry_result(paper, step, outcome, data, checked, now)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="consultation.dealt_with",
        entity=step,
        now=now,
        before=before_step,
        paper_id=paper.id,
        meeting_id=step.meeting_id,
    )
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
    return events


def record_result(
    sessions: Sessions,
    *,
    actor: str,
    agenda_item_id: int,
    result: ResultInput,
    now: dt.datetime | None = None,
) -> ItemResult:
    """Record the result of an agenda item: attendance, votes, outcome; moves the Beratungsfolge on."""
    now = clock(now)
    with transaction(sessions) as session:
        paper, step, meeting, item = _locked(session, agenda_item_id)
        if item.result is not None:
            raise Conflict(
                f"A result for TOP {item.number} was already recorded by {item.result.recorded_by}; "
                "correct it with a reason instead",
                agenda_item_id=item.id,
                revision=item.result.revision,
            )
        if step.agenda_item_id != item.id:
            raise TransitionNotAllowed(
                f"TOP {item.number} is no longer where this paper's step stands (the step is '{step.state}')",
                state=step.state,
            )
        if meeting.state == "invited":
            fire_meeting(meeting, "hold", now)
        elif meeting.state != "held":
            raise TransitionNotAllowed(
                f"Results can only be recorded for a held meeting; it is '{meeting.state}'",
                state=meeting.state,
            )
        if step.state != ConsultationState.invited:
            raise TransitionNotAllowed(
                f"The step of {step.body.name} is '{step.state}'; no result can be recorded", state=step.state
            )
        blocking = earlier_unfinished(paper.consultations, step)
        if blocking:
            raise RuleViolation(
                "The Beratungsfolge has not reached this body yet: "
                + ", ".join(f"{b.body.name} ({b.state})" for b in blocking)
                + " must deliberate first",
                rule="stage_not_joined",
            )
        checked = _check(session, meeting, item, step, paper, result)
        row = ItemResult(
            agenda_item_id=item.id,
            recorded_by=actor,
            recorded_at=now,
            revision=1,
            created_at=now,
            modified_at=now,
        )
        _fill(row, result, checked)
        session.add(row)
        item.modified_at = meeting.modified_at = now
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="result.recorded",
            entity=row,
            now=now,
            after=result_snapshot(row),
            paper_id=paper.id,
            meeting_id=meeting.id,
        )
        events = _apply(session, paper, step, checked.outcome, result, checked, now, actor)
        emit(
            session,
            "ResultRecorded",
            now,
            paper_id=paper.id,
            meeting_id=meeting.id,
            agenda_item_id=item.id,
            consultation_id=step.id,
            outcome=checked.outcome.value,
        )
        for event in events:
            emit(session, event, now, paper_id=paper.id, state=paper.state, reference=paper.reference)
    return row


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
        checked = _check(session, meeting, item, step, paper, result)
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
