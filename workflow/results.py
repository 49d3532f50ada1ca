"""Recording the result of an agenda item, and correcting it with a reason.

Two use cases, each one function and one transaction through the ORM: ``record_result`` and
``correct_result``. Both check that the caller may record for the meeting, build the facts with one loader
(``workflow.result_facts.load_facts``), check them with the pure rules of ``workflow.result_rules``, and take what an outcome does
to the Beratungsfolge from the pure ``workflow.beratungsfolge.outcome_changes``; here they only load and
write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from workflow.access import Principal, require_record_for
from workflow.audit import audit_row, emit, insert_audit, json_snapshot, record_audit, snapshot
from workflow.beratungsfolge import (
    EFFECTS,
    Changes,
    PaperFacts,
    outcome_changes,
)
from workflow.db import transaction
from workflow.errors import Conflict, RuleViolation, TransitionNotAllowed
from workflow.machines import CONSULTATION_MACHINE
from workflow.meetings import fire_meeting
from workflow.models import (
    Consultation,
    ItemResult,
    Paper,
    table,
)
from workflow.papers import close_steps, fire_paper
from workflow.result_content import fill_result, insert_content
from workflow.result_facts import load_facts, lock_for_result, require_recordable
from workflow.result_rules import (
    Checked,
    ResultInput,
    check,
)
from workflow.store import clock
from workflow.vocabulary import (
    DECIDING_OUTCOMES,
    OUTCOME_WORDING,
    ConsultationRole,
    MeetingState,
    Outcome,
)

__all__ = ["ResultInput", "correct_result", "record_result", "result_snapshot"]

Sessions = sessionmaker[Session]


def record_result(
    sessions: Sessions,
    *,
    who: Principal | None,
    agenda_item_id: int,
    result: ResultInput,
    now: dt.datetime | None = None,
) -> ItemResult:
    """Record the result of an agenda item: attendance, votes, outcome; moves the Beratungsfolge on.

    Only a secretary of the step's body (or an administrator) may record it.
    """
    now = clock(now)
    with transaction(sessions) as session:
        paper, step, meeting, item = lock_for_result(session, agenda_item_id)
        actor = require_record_for(who, meeting, step.body_id).actor
        require_recordable(paper, step, meeting, item)
        if meeting.state == MeetingState.invited:
            fire_meeting(meeting, "hold", now)
        checked = check(load_facts(session, paper, step, meeting, item, result), result)
        changes = outcome_changes(
            PaperFacts.of(paper.kind, paper.state, paper.proposed_resolution, paper.consultations),
            step.id,
            checked.outcome,
            resolution_text=result.resolution_text,
            referral=checked.referred_to,
            wording=checked.wording,
        )
        row = ItemResult(
            agenda_item_id=item.id,
            recorded_by=actor,
            recorded_at=now,
            revision=1,
            created_at=now,
            modified_at=now,
        )
        fill_result(row, result, checked)
        session.add(row)
        item.modified_at = meeting.modified_at = now
        before = _apply(session, paper, step, changes, checked, result, now=now)
        # The events name nothing the flush assigns: written with the result, in its one flush.
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
        for event in changes.events:
            emit(session, event, now, paper_id=paper.id, state=paper.state, reference=paper.reference)
        session.flush()
        insert_content(session, row, result, checked)
        recorded = audit_row(
            actor=actor,
            action="result.recorded",
            entity=row,
            now=now,
            after=result_snapshot(row),
            paper_id=paper.id,
            meeting_id=meeting.id,
        )
        _audit_applied(session, paper, step, changes, checked, before, actor=actor, now=now, first=[recorded])
    return row


def correct_result(
    sessions: Sessions,
    *,
    who: Principal | None,
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
        raise RuleViolation(
            "A correction needs a reason",
            german="Bitte geben Sie den Grund der Berichtigung an; er wird im Verlauf festgehalten",
        )
    with transaction(sessions) as session:
        paper, step, meeting, item = lock_for_result(session, agenda_item_id)
        actor = require_record_for(who, meeting, step.body_id).actor
        row = item.result
        if row is None:
            raise RuleViolation(
                f"No result recorded for TOP {item.number} yet; record it first",
                german=f"Für TOP {item.number} ist noch kein Ergebnis erfasst; bitte zuerst erfassen",
            )
        if meeting.state == MeetingState.minutes_approved:
            raise TransitionNotAllowed(
                "The minutes of this meeting are approved; a result can no longer be corrected",
                german="Die Niederschrift ist genehmigt; das Ergebnis kann nicht mehr berichtigt werden",
                state=meeting.state,
            )
        if expected_revision is not None and row.revision != expected_revision:
            raise Conflict(
                f"The result was corrected in the meantime (revision {row.revision})",
                german=f"Das Ergebnis wurde inzwischen berichtigt (Fassung {row.revision}); bitte die Seite "
                "neu laden",
                revision=row.revision,
            )
        old, new = Outcome(row.outcome), Outcome(result.outcome)
        if EFFECTS.get(old) != EFFECTS.get(new):
            raise RuleViolation(
                f"A correction cannot turn '{old.value}' into '{new.value}': the effect on the Beratungsfolge "
                "differs. Withdraw or re-plan the paper instead.",
                german=f"Eine Berichtigung kann „{OUTCOME_WORDING[old]}“ nicht in „{OUTCOME_WORDING[new]}“ "
                "ändern: Das wirkt anders auf die Beratungsfolge. Bitte die Vorlage stattdessen zurückziehen "
                "oder neu planen.",
                rule="correction_changes_effect",
            )
        checked = check(load_facts(session, paper, step, meeting, item, result), result)
        if (
            old is Outcome.referred
            and checked.referred_to
            and checked.referred_to.body_id != row.referred_to_body_id
        ):
            raise RuleViolation(
                "A correction cannot change the body the paper was referred to",
                german="Eine Berichtigung kann das Gremium, an das verwiesen wurde, nicht ändern",
            )
        before = result_snapshot(row)
        fill_result(row, result, checked)
        row.present, row.recusals, row.votes = [], [], []  # deleted in the flush; the new ones follow it
        row.revision += 1
        row.modified_at = now
        if step.agenda_item_id == item.id:
            # Only the step's latest appearance speaks for the step; an earlier one (e.g. a postponement
            # before it was dealt with) is corrected in its result alone.
            changes = outcome_changes(
                PaperFacts.of(paper.kind, paper.state, paper.proposed_resolution, paper.consultations),
                step.id,
                new,
                resolution_text=result.resolution_text,
            )
            _carry_result(paper, step, changes, checked, result, now)
        paper.modified_at = item.modified_at = meeting.modified_at = now
        session.flush()
        insert_content(session, row, result, checked)
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


# ------------------------------------------------------------------------------------ writing


@dataclass(frozen=True)
class _Before:
    """The step and the paper as they were before the outcome, for the audit events written after the flush."""

    step: dict[str, Any] | None
    paper: dict[str, Any] | None


def _apply(
    session: Session,
    paper: Paper,
    step: Consultation,
    changes: Changes,
    checked: Checked,
    data: ResultInput,
    *,
    now: dt.datetime,
) -> _Before:
    """Write what the outcome changes: the step, the referred stages, the paper's transition. Flushed with
    the result by the caller (one flush for the usual outcome; a referral that adds steps flushes here)."""
    before_step = snapshot(step)
    CONSULTATION_MACHINE.fire(step, changes.step_trigger, what=f"step {step.id} ({step.body.name})")
    _carry_result(paper, step, changes, checked, data, now)
    steps = {s.id: s for s in paper.consultations}
    if changes.stages or changes.new_steps:
        for step_id, stage in changes.stages.items():
            steps[step_id].stage, steps[step_id].modified_at = stage, now
        if changes.moved_up is not None:
            steps[changes.moved_up].position, steps[changes.moved_up].referred_from_id = 0, step.id
        for new in changes.new_steps:
            session.add(
                Consultation(
                    paper_id=paper.id,
                    body_id=new.body_id,
                    stage=new.stage,
                    position=0,
                    role=new.role.value,
                    authoritative=new.role is ConsultationRole.decision,
                    state=CONSULTATION_MACHINE.initial.value,
                    referred_from_id=new.referred_from_id,
                    resolution_text=new.resolution_text,
                    created_at=now,
                    modified_at=now,
                )
            )
        session.flush()
        session.refresh(paper, ["consultations"])
    before_paper = None
    if changes.paper_trigger:
        if changes.closing_reason is not None:
            paper.closing_reason = changes.closing_reason
        before_paper = snapshot(paper)
        fire_paper(paper, changes.paper_trigger)
        if "PaperWithdrawn" not in changes.events:
            paper.decided_at = now
    paper.modified_at = now
    return _Before(before_step, before_paper)


def _audit_applied(
    session: Session,
    paper: Paper,
    step: Consultation,
    changes: Changes,
    checked: Checked,
    before: _Before,
    *,
    actor: str,
    now: dt.datetime,
    first: Sequence[dict[str, Any]] = (),
) -> None:
    """The audit events of what ``_apply`` wrote (after the flush: they show the rows as written), after the
    caller's ``first`` ones and in one statement with them, then the steps the outcome closes, each with
    its own."""
    rows = [
        *first,
        audit_row(
            actor=actor,
            action="consultation.dealt_with",
            entity=step,
            now=now,
            before=before.step,
            paper_id=paper.id,
            meeting_id=step.meeting_id,
        ),
    ]
    if changes.paper_trigger:
        rows.append(
            audit_row(
                actor=actor,
                action=f"paper.{changes.paper_trigger}",
                entity=paper,
                now=now,
                before=before.paper,
                reason=None if changes.paper_trigger == "note" else checked.wording,
                paper_id=paper.id,
            )
        )
    insert_audit(session, rows)
    if changes.paper_trigger and changes.closed_as is not None:
        steps = {s.id: s for s in paper.consultations}
        close_steps(
            session, paper, [steps[i] for i in changes.closes], changes.closed_as, actor=actor, now=now
        )


def _carry_result(
    paper: Paper, step: Consultation, changes: Changes, checked: Checked, data: ResultInput, now: dt.datetime
) -> None:
    """Write a result's outcome onto its step, and the texts it carries onto the later steps and the paper."""
    step.outcome, step.outcome_wording = checked.outcome.value, checked.wording
    step.quorum_failed = data.quorum_failed
    step.resolution_text = changes.step_text
    step.modified_at = now
    for later in paper.consultations:
        if later.id in changes.carried_text:
            later.resolution_text = changes.carried_text[later.id]
            later.modified_at = now
    if checked.outcome in DECIDING_OUTCOMES:
        paper.resolution_text = changes.decided_text
        paper.pending_approval = checked.pending_approval


def result_snapshot(result: ItemResult) -> dict[str, Any]:
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


def apply_outcome(
    session: Session,
    paper: Paper,
    step: Consultation,
    checked: Checked,
    data: ResultInput,
    *,
    actor: str,
    now: dt.datetime,
) -> Changes:
    """What a checked outcome does to the Beratungsfolge (``outcome_changes``), written by the same code as a
    meeting's result: for a decision without a meeting (``workflow.circulation``)."""
    changes = outcome_changes(
        PaperFacts.of(paper.kind, paper.state, paper.proposed_resolution, paper.consultations),
        step.id,
        checked.outcome,
        resolution_text=data.resolution_text,
        referral=checked.referred_to,
        wording=checked.wording,
    )
    before = _apply(session, paper, step, changes, checked, data, now=now)
    session.flush()
    _audit_applied(session, paper, step, changes, checked, before, actor=actor, now=now)
    return changes
