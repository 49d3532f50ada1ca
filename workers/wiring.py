"""Which outbox event calls for which job: one literal table, read by the Celery worker and the in-process
worker alike. Nothing registers itself on import."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workers import alert_jobs, document_jobs, jobs
from workers.context import Context, Job
from workers.documents import documents_for_event
from workflow.models import OutboxMessage

#: Job name → job. The names are what the Celery tasks carry.
JOBS: dict[str, Job] = {
    "invitation_mail": jobs.invitation_mail,
    "invitation_update_mail": jobs.invitation_update_mail,
    "cancellation_mail": jobs.cancellation_mail,
    "result_mail": jobs.result_mail,
    "reminders": jobs.plan_reminders,
    "documents": document_jobs.documents,
    "pdfs": document_jobs.pdfs,
    "alert_confirmation_mail": alert_jobs.confirmation,
}

#: Event type → its jobs. ``documents`` and ``pdfs`` run only when the event calls for a document
#: (``workers.documents.documents_for_event`` decides that from the payload).
EVENT_JOBS: dict[str, tuple[str, ...]] = {
    "PaperDrafted": ("documents", "pdfs"),
    "PaperChanged": ("documents", "pdfs"),
    "PaperReturnedToDraft": ("documents", "pdfs"),
    "PaperSubmitted": ("documents", "pdfs"),
    "BeratungsfolgePlanned": ("documents", "pdfs"),
    "PaperWithdrawn": ("documents", "pdfs"),
    "PaperSettled": ("documents", "pdfs"),
    "UrgentDecisionRecorded": ("documents", "pdfs"),
    "MeetingCreated": ("reminders",),
    "MeetingInvited": ("invitation_mail", "reminders", "documents", "pdfs"),
    "AgendaChanged": ("invitation_update_mail", "documents", "pdfs"),
    "ConsultationScheduled": ("invitation_update_mail", "documents", "pdfs"),
    "MeetingMoved": ("invitation_update_mail", "reminders", "documents", "pdfs"),
    "MeetingCancelled": ("cancellation_mail", "reminders", "documents", "pdfs"),
    "AttendanceRecorded": ("reminders", "documents", "pdfs"),
    "MinutesApproved": ("reminders", "documents", "pdfs"),
    "QuorumRecorded": ("documents", "pdfs"),
    "ResultRecorded": ("result_mail", "documents", "pdfs"),
    "ResultCorrected": ("result_mail", "documents", "pdfs"),
    "CirculationDecided": ("documents", "pdfs"),
    "AlertSubscriptionRequested": ("alert_confirmation_mail",),
}

DOCUMENT_JOBS = frozenset({"documents", "pdfs"})


def jobs_for(event_type: str, payload: Mapping[str, Any], *, pdf: bool = True) -> list[str]:
    """The jobs an event calls for, in order; without ``pdf`` the PDF job is left out."""
    names = list(EVENT_JOBS.get(event_type, ()))
    if not documents_for_event(event_type, payload):
        names = [n for n in names if n not in DOCUMENT_JOBS]
    return names if pdf else [n for n in names if n != "pdfs"]


def run(ctx: Context, name: str, outbox_id: int) -> None:
    """Run one job for one outbox event (the task body in every mode)."""
    with ctx.sessions() as session:
        message = session.get_one(OutboxMessage, outbox_id)
        payload = dict(message.payload)
    JOBS[name](ctx, outbox_id, payload)
