"""The coordination office's deadline overview ("Fristen"): the meetings of the coming weeks with the latest
day their invitation may go out (the Ladungsfrist as ``workflow.notice`` computes it for the invitation), how
far their agenda is, and which documents are still missing; soonest deadline first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, joinedload

from workflow.models import AgendaItem, Consultation, Meeting, MeetingBody, StoredFile
from workflow.notice import invitation_deadline
from workflow.rules import BERLIN
from workflow.vocabulary import MeetingState

#: The overview looks this many weeks ahead unless told otherwise, and never more than ``MAX_WEEKS``.
DEFAULT_WEEKS = 6
MAX_WEEKS = 52
#: Meetings that still lie ahead or run today; cancelled and finished ones need no invitation.
OPEN_STATES = (MeetingState.planned, MeetingState.invited)


@dataclass(frozen=True)
class DeadlineRow:
    meeting: Meeting
    latest_dispatch: dt.datetime
    #: Calendar days (Europe/Berlin) from today to the deadline: negative when it has passed.
    days_left: int
    invited: bool
    agenda_items: int
    #: Papers on the agenda whose document (Beschlussvorlage) has not been generated yet.
    papers_without_document: int
    #: Invited, but the invitation document has not been generated yet.
    invitation_document_missing: bool

    @property
    def overdue(self) -> bool:
        """Not invited and the deadline has passed."""
        return not self.invited and self.days_left < 0


def deadline_overview(
    session: Session,
    municipality_id: int,
    now: dt.datetime,
    *,
    weeks: int = DEFAULT_WEEKS,
    body_ids: Sequence[int] | None = None,
) -> list[DeadlineRow]:
    """The planned and invited meetings from today until ``weeks`` weeks ahead (of the bodies ``body_ids``,
    or all), soonest invitation deadline first."""
    today = dt.datetime.combine(now.astimezone(BERLIN).date(), dt.time(), BERLIN)
    query = (
        select(Meeting)
        .options(
            joinedload(Meeting.bodies),
            # The notice period reads only the items with a matter (``notice.matters_on_agenda``): these
            # meetings' ``agenda_items`` hold just those; the counts below read the items' columns.
            joinedload(Meeting.agenda_items.and_(AgendaItem.matter.is_not(None))),
        )
        .where(
            Meeting.municipality_id == municipality_id,
            Meeting.state.in_([s.value for s in OPEN_STATES]),
            Meeting.start >= today,
            Meeting.start < today + dt.timedelta(weeks=min(weeks, MAX_WEEKS), days=1),
        )
    )
    if body_ids is not None:
        query = query.where(
            Meeting.id.in_(select(MeetingBody.meeting_id).where(MeetingBody.body_id.in_(body_ids)))
        )
    meetings = list(session.scalars(query.order_by(Meeting.start, Meeting.id)).unique())
    agendas = _agendas(session, [m.id for m in meetings])
    no_agenda = _Agenda(0, 0)
    invitations = _with_invitation_document(session, [m.id for m in meetings])
    rows = []
    for meeting in meetings:
        latest = invitation_deadline(session, meeting).latest_dispatch
        invited = meeting.state == MeetingState.invited
        agenda = agendas.get(meeting.id, no_agenda)
        rows.append(
            DeadlineRow(
                meeting=meeting,
                latest_dispatch=latest,
                days_left=(latest.astimezone(BERLIN).date() - today.date()).days,
                invited=invited,
                agenda_items=agenda.items,
                papers_without_document=agenda.papers_without_document,
                invitation_document_missing=invited and meeting.id not in invitations,
            )
        )
    return sorted(rows, key=lambda r: (r.latest_dispatch, r.meeting.start, r.meeting.id))


@dataclass(frozen=True)
class _Agenda:
    items: int
    #: Papers on it whose document (Beschlussvorlage) has not been generated yet.
    papers_without_document: int


def _agendas(session: Session, meeting_ids: list[int]) -> dict[int, _Agenda]:
    """Per meeting, its agenda items and the papers on it without a document: one row per item, its step's
    paper looked up by the step's id (an index lookup per item, not a join over all steps)."""
    if not meeting_ids:
        return {}
    has_document = exists().where(StoredFile.kind == "vorlage", StoredFile.paper_id == Consultation.paper_id)
    paper_without_document = (
        select(Consultation.paper_id)
        .where(Consultation.id == AgendaItem.consultation_id, ~has_document)
        .scalar_subquery()
    )
    items: dict[int, int] = {}
    papers: dict[int, set[int]] = {}
    for meeting_id, paper_id in session.execute(
        select(AgendaItem.meeting_id, paper_without_document).where(AgendaItem.meeting_id.in_(meeting_ids))
    ):
        items[meeting_id] = items.get(meeting_id, 0) + 1
        if paper_id is not None:
            papers.setdefault(meeting_id, set()).add(paper_id)
    return {
        meeting_id: _Agenda(count, len(papers.get(meeting_id, ()))) for meeting_id, count in items.items()
    }


def _with_invitation_document(session: Session, meeting_ids: list[int]) -> set[int]:
    if not meeting_ids:
        return set()
    return set(
        session.scalars(
            select(StoredFile.meeting_id).where(
                StoredFile.kind == "invitation", StoredFile.meeting_id.in_(meeting_ids)
            )
        )
    )
