"""From domain objects to response bodies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy.orm import Session

from api import schemas
from workflow.access import Principal, visible_agenda_items
from workflow.models import Body, Circulation, Department, ItemResult, Meeting, Paper
from workflow.notice import invitation_deadline
from workflow.papers import allowed_paper_triggers
from workflow.publication import WITHHELD_STATE_LABEL, Withheld
from workflow.queries import PaperStatus, StepStatus, meeting_allowed_triggers
from workflow.quorum import quorum_status
from workflow.rules import unanimous, vote_summary
from workflow.vocabulary import CIRCULATION_STATE_LABELS, PAPER_STATE_LABELS, CirculationState, PaperState


def ref(obj: Body | Department) -> schemas.NamedRef:
    return schemas.NamedRef(key=obj.key, name=obj.name)


def paper_summary(paper: Paper, withheld: Withheld | None = None) -> schemas.PaperSummary:
    """``withheld``: what the public does not see of it (``workflow.publication``); None for its people."""
    return schemas.PaperSummary(
        id=paper.id,
        reference=paper.reference,
        kind=paper.kind,
        state=withheld.state(paper.state) if withheld else paper.state,
        subject=paper.subject,
        department=ref(paper.department),
        paper_date=paper.paper_date,
        public=paper.public,
        modified_at=paper.modified_at,
    )


def paper_out(paper: Paper, withheld: Withheld | None = None) -> schemas.PaperOut:
    summary = paper_summary(paper, withheld)
    hidden = withheld or Withheld()
    return schemas.PaperOut(
        **summary.model_dump(),
        version=paper.version,
        state_label=PAPER_STATE_LABELS[PaperState(summary.state)] if summary.state else WITHHELD_STATE_LABEL,
        file_reference=paper.file_reference,
        proposed_resolution=paper.proposed_resolution,
        justification=paper.justification,
        financial_impact=paper.financial_impact,
        signed_place=paper.signed_place,
        signed_on=paper.signed_on,
        submitted_at=paper.submitted_at,
        decided_at=None if hidden.decision else paper.decided_at,
        resolution_text=None if hidden.decision else paper.resolution_text,
        closing_reason=None if hidden.decision else paper.closing_reason,
        pending_approval=None if hidden.decision else paper.pending_approval,
        attachments=[
            schemas.AttachmentOut.model_validate(a)
            for a in paper.attachments
            if a.id not in hidden.attachments
        ],
        cosignatures=[
            schemas.CosignatureOut(
                department=ref(c.department),
                required=c.required,
                signed_at=c.signed_at,
                signed_by=c.signed_by,
            )
            for c in paper.cosignatures
        ],
        consultations=[
            schemas.StepOut(
                id=s.id,
                stage=s.stage,
                body=ref(s.body),
                role=s.role,
                authoritative=s.authoritative,
                state=s.state,
                meeting_id=None if s.id in hidden.steps else s.meeting_id,
                agenda_item_id=None if s.id in hidden.steps else s.agenda_item_id,
                outcome=None if s.id in hidden.steps else s.outcome,
                outcome_wording=None if s.id in hidden.steps else s.outcome_wording,
                resolution_text=None if s.id in hidden.steps else s.resolution_text,
                urgency=s.urgency,
                urgency_reason=None if s.id in hidden.steps else s.urgency_reason,
            )
            for s in paper.consultations
        ],
        allowed_transitions=[] if hidden.decision else allowed_paper_triggers(paper),
        created_at=paper.created_at,
    )


def etag(version: int) -> str:
    return f'"v{version}"'


def status_out(
    status: PaperStatus,
    *,
    may_see_non_public_of: Callable[[int], bool],
    may_see_non_public_of_body: Callable[[int], bool] = lambda _body_id: False,
    withheld: Withheld | None = None,
) -> schemas.PaperStatusOut:
    """Where the paper stands; a non-public agenda item only for those who may see that meeting's, a
    non-public body's decision without a meeting (Umlaufverfahren, an urgent decision) only for those who may
    see that body's, and the decision only if it was not taken in private (``withheld`` for the public)."""

    def step(s: StepStatus) -> schemas.StepStatusOut:
        seen = s.seen_by(may_see_non_public_of, may_see_non_public_of_body)
        out = schemas.StepStatusOut.model_validate(seen)
        out.appearances = [schemas.AppearanceOut.model_validate(a) for a in seen.appearances]
        out.circulations = [schemas.CirculationStatusOut.model_validate(c) for c in seen.circulations]
        return out

    return schemas.PaperStatusOut(
        paper_id=status.paper_id,
        reference=status.reference,
        subject=status.subject,
        state=withheld.state(status.state) if withheld else status.state,
        state_label=status.state_label
        if not withheld or withheld.state(status.state)
        else WITHHELD_STATE_LABEL,
        allowed=[] if withheld and withheld.decision else status.allowed,
        current=[step(s) for s in status.current],
        steps=[step(s) for s in status.steps],
    )


def meeting_summary(meeting: Meeting) -> schemas.MeetingSummary:
    return schemas.MeetingSummary(
        id=meeting.id,
        name=meeting.name,
        state=meeting.state,
        start=meeting.start,
        end=meeting.end,
        location=meeting.location,
        bodies=[ref(b) for b in meeting.bodies],
    )


def meeting_out(
    session: Session, meeting: Meeting, who: Principal | None, now: dt.datetime | None = None
) -> schemas.MeetingOut:
    """The meeting with its agenda; the non-public part only for those who may see it."""
    items = [
        schemas.AgendaItemOut(
            id=i.id,
            number=i.number,
            order=i.order,
            public=i.public,
            title=i.title,
            consultation_id=i.consultation_id,
            matter=i.matter,
            late_addition=i.late_addition,
            second_session=i.second_session,
            has_result=i.result is not None,
        )
        for i in visible_agenda_items(session, who, meeting)
    ]
    return schemas.MeetingOut(
        **meeting_summary(meeting).model_dump(),
        version=meeting.version,
        second_session=meeting.second_session,
        invitation_sent_at=meeting.invitation_sent_at,
        invitation_deadline=invitation_deadline(session, meeting).latest_dispatch,
        urgent=meeting.urgent,
        urgent_reason=meeting.urgent_reason,
        cancelled_reason=meeting.cancelled_reason,
        agenda_items=items,
        allowed_transitions=meeting_allowed_triggers(meeting, now),
        quorum=[
            schemas.QuorumOut(
                body=q.body_key,
                present=q.present,
                needed=q.needed,
                established_at=q.established_at,
                established_present=q.established_present,
                lack_established_at=q.lack_established_at,
                warning=q.warning,
            )
            for q in quorum_status(session, meeting)
        ],
    )


def result_out(result: ItemResult, faction_keys: dict[int, str]) -> schemas.ResultOut:
    return schemas.ResultOut(
        agenda_item_id=result.agenda_item_id,
        circulation_id=result.circulation_id,
        outcome=result.outcome,
        outcome_wording=result.outcome_wording,
        resolution_text=result.resolution_text,
        referred_to_body_id=result.referred_to_body_id,
        quorum_failed=result.quorum_failed,
        late_item_approval=result.late_item_approval,
        urgency_decided=result.urgency_decided,
        presided_by=result.presided_by_id,
        revision=result.revision,
        recorded_by=result.recorded_by,
        recorded_at=result.recorded_at,
        present=[p.person_id for p in result.present],
        recused=[r.person_id for r in result.recusals],
        votes=[
            schemas.VoteOut(
                position=v.position,
                subject=v.subject,
                yes=v.yes,
                no=v.no,
                abstain=v.abstain,
                decisive=v.decisive,
                casting_vote=v.casting_vote,
                unanimous=unanimous(v.yes, v.no, v.abstain),
                summary=vote_summary(v.yes, v.no, v.abstain),
                factions={
                    faction_keys.get(f.faction_id, str(f.faction_id)): [f.yes, f.no, f.abstain]
                    for f in v.faction_counts
                },
                named={str(n.person_id): n.choice for n in v.named},
            )
            for v in result.votes
        ],
    )


def circulation_out(circulation: Circulation, faction_keys: dict[int, str]) -> schemas.CirculationOut:
    return schemas.CirculationOut(
        id=circulation.id,
        paper_id=circulation.paper_id,
        consultation_id=circulation.consultation_id,
        body_id=circulation.body_id,
        state=circulation.state,
        state_label=CIRCULATION_STATE_LABELS[CirculationState(circulation.state)],
        resolution_text=circulation.resolution_text,
        simple_matter=circulation.simple_matter,
        started_by=circulation.started_by,
        started_at=circulation.started_at,
        ended_at=circulation.ended_at,
        objected_by=circulation.objected_by_id,
        answers=[schemas.CirculationAnswerOut.model_validate(a) for a in circulation.answers],
        result=result_out(circulation.result, faction_keys) if circulation.result is not None else None,
    )
