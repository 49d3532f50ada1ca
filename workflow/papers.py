"""Use cases of a paper: draft, edit, co-sign, submit, plan the Beratungsfolge, withdraw, settle.

Each is one function and one transaction: it locks what it changes, fires the state machine, writes its
audit event and its outbox event, and commits once (``workflow.db.transaction``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, not_, select
from sqlalchemy.orm import Session, sessionmaker

from workflow import validate
from workflow.audit import emit, record_audit, snapshot
from workflow.beratungsfolge import open_steps
from workflow.db import transaction
from workflow.errors import RuleViolation, TransitionNotAllowed, VersionConflict
from workflow.machines import CONSULTATION_MACHINE, PAPER_MACHINE
from workflow.models import (
    Attachment,
    Circulation,
    Consultation,
    Cosignature,
    Department,
    Paper,
    Person,
)
from workflow.references import next_reference
from workflow.rules import BERLIN
from workflow.search import refresh_search_text
from workflow.store import by_key, clock, get, municipality_by_key
from workflow.vocabulary import (
    OUTCOME_WORDING,
    PAPER_STATE_LABELS,
    CirculationState,
    ConsultationRole,
    ConsultationState,
    Outcome,
    PaperKind,
    PaperState,
    Urgency,
)

Sessions = sessionmaker[Session]


@dataclass(frozen=True)
class AttachmentInput:
    title: str
    file_name: str | None = None
    media_type: str | None = None
    size_bytes: int | None = None
    public: bool = True


#: Fields of a draft that may be edited, with the check each value must pass.
def _is_text(
    value: Any, *, required: bool = False, optional: bool = False, max_length: int = 200_000
) -> bool:
    if optional and value is None:
        return True
    return (
        isinstance(value, str)
        and "\x00" not in value
        and len(value) <= max_length
        and (bool(value.strip()) or not required)
    )


def _is_day(value: Any, *, optional: bool = False) -> bool:
    return (optional and value is None) or (isinstance(value, dt.date) and not isinstance(value, dt.datetime))


EDITABLE_FIELDS: dict[str, Callable[[Any], bool]] = {
    "subject": lambda v: _is_text(v, required=True, max_length=2000),
    "proposed_resolution": lambda v: _is_text(v),
    "justification": lambda v: _is_text(v),
    "file_reference": lambda v: _is_text(v, optional=True, max_length=100),
    "paper_date": lambda v: _is_day(v),
    "financial_impact": lambda v: isinstance(v, bool),
    "public": lambda v: isinstance(v, bool),
    "signed_place": lambda v: _is_text(v, optional=True, max_length=100),
    "signed_on": lambda v: _is_day(v, optional=True),
}


def paper_guards(paper: Paper) -> dict[str, Callable[[], bool]]:
    """The guards of the paper machine, evaluated on this paper."""
    return {
        "has_required_cosigners": lambda: any(c.required for c in paper.cosignatures),
        "all_cosigned": lambda: all(c.signed_at is not None for c in paper.cosignatures if c.required),
        # Only the Rat's step that approves an urgent decision may revoke it (§ 60 Abs. 1 Satz 4 GO NRW).
        "urgently_decided": lambda: any(
            c.urgency == Urgency.follow_up and c.role == ConsultationRole.approval
            for c in paper.consultations
        ),
    }


def cosignature_missing() -> ColumnElement[bool]:
    """A WHERE clause: a required co-signature of the paper is not given yet (the guard ``all_cosigned``,
    negated, for a list of papers in SQL)."""
    return exists().where(
        Cosignature.paper_id == Paper.id, Cosignature.required.is_(True), Cosignature.signed_at.is_(None)
    )


def submittable() -> ColumnElement[bool]:
    """A WHERE clause: the paper machine allows ``submit`` now (the paper list's form of
    ``"submit" in allowed_paper_triggers(paper)``)."""
    (submit,) = [t for t in PAPER_MACHINE.table if t.trigger == "submit"]
    assert submit.condition == "all_cosigned"
    return and_(Paper.state.in_([str(state) for state in submit.source]), not_(cosignature_missing()))


def fire_paper(paper: Paper, trigger: str) -> None:
    PAPER_MACHINE.fire(paper, trigger, paper_guards(paper), what=f"paper {paper.reference or paper.id}")


def allowed_paper_triggers(paper: Paper) -> list[str]:
    return PAPER_MACHINE.allowed_triggers(paper, paper_guards(paper))


def _require_text(value: str, what: str, german: str) -> str:
    if not value or not value.strip():
        raise RuleViolation(f"{what} must not be empty", german=f"Bitte geben Sie {german} an")
    return value.strip()


def draft_paper(
    sessions: Sessions,
    *,
    actor: str,
    municipality: str,
    kind: PaperKind,
    department: str,
    subject: str,
    paper_date: dt.date,
    proposed_resolution: str = "",
    justification: str = "",
    file_reference: str | None = None,
    financial_impact: bool = False,
    public: bool = True,
    attachments: Sequence[AttachmentInput] = (),
    cosigners: Sequence[str] = (),
    signatory: str | None = None,
    signed_place: str | None = None,
    signed_on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Paper:
    """Create a paper in the state ``draft`` for the originating department."""
    now = clock(now)
    subject = validate.text(subject, "The subject (Betreff)", max_length=2000).strip()
    kind = validate.choice(PaperKind, kind, "paper kind")
    validate.day(paper_date, "The date of the paper")
    validate.text(proposed_resolution, "The proposed resolution", required=False)
    validate.text(justification, "The justification", required=False)
    for attachment in attachments:
        validate.text(attachment.title, "An attachment's title", max_length=300)
        if attachment.size_bytes is not None:
            validate.whole_number(attachment.size_bytes, "An attachment's size", high=validate.MAX_ID)
    with transaction(sessions) as session:
        town = municipality_by_key(session, municipality)
        dept = by_key(session, Department, town.id, department)
        paper = Paper(
            municipality_id=town.id,
            kind=PaperKind(kind).value,
            state=PAPER_MACHINE.initial.value,
            department_id=dept.id,
            paper_date=paper_date,
            subject=subject,
            proposed_resolution=proposed_resolution,
            justification=justification,
            file_reference=file_reference,
            financial_impact=financial_impact,
            public=public,
            signed_place=signed_place,
            signed_on=signed_on,
            signatory_id=by_key(session, Person, town.id, signatory).id if signatory else None,
            created_at=now,
            modified_at=now,
        )
        for position, attachment in enumerate(attachments):
            paper.attachments.append(
                Attachment(
                    position=position,
                    title=_require_text(attachment.title, "An attachment's title", "den Titel der Anlage"),
                    file_name=attachment.file_name,
                    media_type=attachment.media_type,
                    size_bytes=attachment.size_bytes,
                    public=attachment.public and public,
                    created_at=now,
                    modified_at=now,
                )
            )
        seen: set[str] = set()
        for key in cosigners:
            if key in seen or key == dept.key:
                raise RuleViolation(
                    f"Co-signer (Mitzeichnung) '{key}' is named twice or is the originator",
                    german=f"Das Amt „{key}“ ist zur Mitzeichnung doppelt genannt oder ist das federführende Amt",
                )
            seen.add(key)
            paper.cosignatures.append(
                Cosignature(
                    department_id=by_key(session, Department, town.id, key).id,
                    required=True,
                    created_at=now,
                    modified_at=now,
                )
            )
        refresh_search_text(paper)
        session.add(paper)
        session.flush()
        record_audit(session, actor=actor, action="paper.drafted", entity=paper, now=now, paper_id=paper.id)
        emit(session, "PaperDrafted", now, paper_id=paper.id)
    return paper


def update_draft(
    sessions: Sessions,
    *,
    actor: str,
    paper_id: int,
    changes: dict[str, Any],
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> Paper:
    """Edit a paper while it is a draft; ``expected_version`` guards against lost updates (ETag)."""
    now = clock(now)
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise RuleViolation(
            f"These fields cannot be edited: {', '.join(unknown)}",
            german=f"Diese Felder können nicht geändert werden: {', '.join(unknown)}",
            fields=unknown,
        )
    for field, value in changes.items():
        if not EDITABLE_FIELDS[field](value):
            raise RuleViolation(
                f"Invalid value for '{field}'", german=f"Ungültiger Wert für „{field}“", field=field
            )
    with transaction(sessions) as session:
        paper = get(session, Paper, paper_id, lock=True)
        if expected_version is not None and paper.version != expected_version:
            raise VersionConflict(
                f"The paper was changed in the meantime (version {paper.version}, yours {expected_version})",
                german="Die Vorlage wurde inzwischen von jemand anderem geändert. Bitte laden Sie sie neu und "
                "tragen Sie Ihre Änderungen erneut ein.",
                current_version=paper.version,
            )
        if paper.state != PaperState.draft:
            raise TransitionNotAllowed(
                f"Only a draft can be edited; the paper is in state '{paper.state}'",
                german="Nur ein Entwurf kann bearbeitet werden; diese Vorlage ist "
                f"„{PAPER_STATE_LABELS[PaperState(paper.state)]}“",
                state=paper.state,
                allowed=allowed_paper_triggers(paper),
            )
        before = snapshot(paper)
        for field, value in changes.items():
            setattr(paper, field, value.strip() if field == "subject" else value)
        refresh_search_text(paper)
        paper.modified_at = now
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="paper.edited",
            entity=paper,
            now=now,
            before=before,
            paper_id=paper.id,
        )
        emit(session, "PaperChanged", now, paper_id=paper.id)
    return paper


def _paper_transition(
    sessions: Sessions,
    *,
    actor: str,
    paper_id: int,
    trigger: str,
    action: str,
    now: dt.datetime | None,
    reason: str | None = None,
    before_fire: Callable[[Session, Paper, dt.datetime], None] | None = None,
    after_fire: Callable[[Session, Paper, dt.datetime], None] | None = None,
    event: str | None = None,
) -> Paper:
    """The common shape of a paper use case: lock, fire, audit, outbox, commit once."""
    now = clock(now)
    with transaction(sessions) as session:
        paper = get(session, Paper, paper_id, lock=True)
        before = snapshot(paper)
        if before_fire:
            before_fire(session, paper, now)
        fire_paper(paper, trigger)
        if after_fire:
            after_fire(session, paper, now)
        paper.modified_at = now
        session.flush()
        record_audit(
            session,
            actor=actor,
            action=action,
            entity=paper,
            now=now,
            before=before,
            reason=reason,
            paper_id=paper.id,
        )
        emit(session, event or action, now, paper_id=paper.id, state=paper.state, reference=paper.reference)
    return paper


def request_cosignatures(
    sessions: Sessions, *, actor: str, paper_id: int, now: dt.datetime | None = None
) -> Paper:
    """Send a draft to the departments that must co-sign it (Mitzeichnung)."""
    return _paper_transition(
        sessions,
        actor=actor,
        paper_id=paper_id,
        trigger="request_cosignatures",
        action="paper.cosigning_requested",
        event="CosigningRequested",
        now=now,
    )


def cosign(
    sessions: Sessions,
    *,
    actor: str,
    paper_id: int,
    department: str,
    comment: str | None = None,
    now: dt.datetime | None = None,
) -> Paper:
    """A department co-signs a paper that is in co-signing."""
    now = clock(now)
    with transaction(sessions) as session:
        paper = get(session, Paper, paper_id, lock=True)
        if paper.state != PaperState.cosigning:
            raise TransitionNotAllowed(
                f"Co-signing (Mitzeichnung) is only possible while the paper is in co-signing; it is in state "
                f"'{paper.state}'",
                german="Mitzeichnen ist nur möglich, solange die Vorlage in der Mitzeichnung ist; sie ist "
                f"„{PAPER_STATE_LABELS[PaperState(paper.state)]}“",
                state=paper.state,
                allowed=allowed_paper_triggers(paper),
            )
        dept = by_key(session, Department, paper.municipality_id, department)
        entry = next((c for c in paper.cosignatures if c.department_id == dept.id), None)
        if entry is None:
            raise RuleViolation(
                f"'{dept.name}' is not asked to co-sign this paper",
                german=f"{dept.name} ist nicht um Mitzeichnung dieser Vorlage gebeten",
            )
        if entry.signed_at is not None:
            raise RuleViolation(
                f"'{dept.name}' has already co-signed this paper",
                german=f"{dept.name} hat diese Vorlage schon mitgezeichnet",
            )
        before = snapshot(entry)
        entry.signed_at, entry.signed_by, entry.comment, entry.modified_at = now, actor, comment, now
        paper.modified_at = now
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="paper.cosigned",
            entity=entry,
            now=now,
            before=before,
            paper_id=paper.id,
        )
        emit(session, "PaperCosigned", now, paper_id=paper.id, department=dept.key)
    return paper


def return_to_draft(
    sessions: Sessions, *, actor: str, paper_id: int, reason: str, now: dt.datetime | None = None
) -> Paper:
    """A co-signer refuses: the paper goes back to draft and every co-signature given so far lapses."""
    reason = _require_text(reason, "A reason", "den Grund")

    def clear_signatures(_session: Session, paper: Paper, now: dt.datetime) -> None:
        for entry in paper.cosignatures:
            entry.signed_at = entry.signed_by = None
            entry.modified_at = now

    return _paper_transition(
        sessions,
        actor=actor,
        paper_id=paper_id,
        trigger="return_to_draft",
        action="paper.returned_to_draft",
        event="PaperReturnedToDraft",
        now=now,
        reason=reason,
        after_fire=clear_signatures,
    )


def submit_paper(sessions: Sessions, *, actor: str, paper_id: int, now: dt.datetime | None = None) -> Paper:
    """Submit a paper: it gets its Drucksachen-Nr. (running number per year) and, if none was planned yet,
    the profile's default Beratungsfolge is *not* guessed: plan it with ``workflow.planning.plan_consultations``."""

    def assign(session: Session, paper: Paper, now: dt.datetime) -> None:
        paper.reference = next_reference(session, paper.municipality_id, now.astimezone(BERLIN).year)
        paper.submitted_at = now
        if paper.signatory_id is not None and paper.signed_on is None:
            paper.signed_on = now.astimezone(BERLIN).date()  # released (gezeichnet) with the submission

    return _paper_transition(
        sessions,
        actor=actor,
        paper_id=paper_id,
        trigger="submit",
        action="paper.submitted",
        event="PaperSubmitted",
        now=now,
        after_fire=assign,
    )


def close_open_steps(
    session: Session,
    paper: Paper,
    outcome: Outcome,
    *,
    actor: str,
    now: dt.datetime,
    reason: str | None = None,
) -> list[Consultation]:
    """Close every open step of the paper (withdrawal, settlement, or a decision made elsewhere), each
    with its own audit event."""
    return close_steps(
        session, paper, open_steps(paper.consultations), outcome, actor=actor, now=now, reason=reason
    )


def close_steps(
    session: Session,
    paper: Paper,
    steps: Sequence[Consultation],
    outcome: Outcome,
    *,
    actor: str,
    now: dt.datetime,
    reason: str | None = None,
) -> list[Consultation]:
    """Close the given steps of the paper with ``outcome``, each with its own audit event."""
    closed = []
    for step in steps:
        before = snapshot(step)
        if step.state == ConsultationState.circulating:
            _cancel_circulation(
                session, paper, step, actor=actor, now=now, reason=reason or OUTCOME_WORDING[outcome]
            )
        CONSULTATION_MACHINE.fire(step, "close", what=f"step {step.id}")
        step.outcome = outcome.value
        step.outcome_wording = OUTCOME_WORDING[outcome]
        step.modified_at = now
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="consultation.closed",
            entity=step,
            now=now,
            before=before,
            reason=reason or OUTCOME_WORDING[outcome],
            paper_id=paper.id,
            meeting_id=step.meeting_id,
        )
        closed.append(step)
    return closed


def _cancel_circulation(
    session: Session, paper: Paper, step: Consultation, *, actor: str, now: dt.datetime, reason: str
) -> None:
    """A step closed while its body decides it in writing: the circulation ends without a decision."""
    for running in session.scalars(
        select(Circulation).where(
            Circulation.consultation_id == step.id, Circulation.state == CirculationState.running.value
        )
    ):
        before = snapshot(running)
        running.state = CirculationState.cancelled.value
        running.ended_at = running.modified_at = now
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="circulation.cancelled",
            entity=running,
            now=now,
            before=before,
            reason=reason,
            paper_id=paper.id,
        )


def fire_paper_audited(
    session: Session, paper: Paper, trigger: str, *, actor: str, now: dt.datetime, reason: str | None = None
) -> None:
    """A paper transition inside another use case (e.g. adopted by a result), with its own audit event."""
    before = snapshot(paper)
    fire_paper(paper, trigger)
    paper.modified_at = now
    session.flush()
    record_audit(
        session,
        actor=actor,
        action=f"paper.{trigger}",
        entity=paper,
        now=now,
        before=before,
        reason=reason,
        paper_id=paper.id,
    )


def withdraw_paper(
    sessions: Sessions, *, actor: str, paper_id: int, reason: str, now: dt.datetime | None = None
) -> Paper:
    """Withdraw a paper (Zurückziehung): final for every open step."""
    reason = _require_text(reason, "A reason", "den Grund")

    def close(session: Session, paper: Paper, now: dt.datetime) -> None:
        paper.closing_reason = reason
        close_open_steps(session, paper, Outcome.withdrawn, actor=actor, now=now, reason=reason)

    return _paper_transition(
        sessions,
        actor=actor,
        paper_id=paper_id,
        trigger="withdraw",
        action="paper.withdrawn",
        event="PaperWithdrawn",
        now=now,
        reason=reason,
        after_fire=close,
    )


def settle_paper(
    sessions: Sessions,
    *,
    actor: str,
    paper_id: int,
    reason: str,
    superseded_by: int | None = None,
    now: dt.datetime | None = None,
) -> Paper:
    """Declare a paper settled (erledigt), e.g. superseded by another paper."""
    reason = _require_text(reason, "A reason", "den Grund")

    def close(session: Session, paper: Paper, now: dt.datetime) -> None:
        if superseded_by is not None:
            other = get(session, Paper, superseded_by)
            if other.id == paper.id or other.municipality_id != paper.municipality_id:
                raise RuleViolation(
                    "A paper can only be superseded by another paper of the same municipality",
                    german="Eine Vorlage kann nur durch eine andere Vorlage derselben Kommune ersetzt werden",
                )
            paper.superseded_by_id = other.id
        paper.closing_reason = reason
        close_open_steps(session, paper, Outcome.settled, actor=actor, now=now, reason=reason)

    return _paper_transition(
        sessions,
        actor=actor,
        paper_id=paper_id,
        trigger="settle",
        action="paper.settled",
        event="PaperSettled",
        now=now,
        reason=reason,
        after_fire=close,
    )
