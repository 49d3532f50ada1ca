"""The mail and reminder jobs: invitations, their updates, cancellations, results to the departments.

A job takes ids, reloads state, builds its output with pure functions and writes under a deterministic
key, so it may run twice (a redelivered task) without doing anything twice. The same job functions run in
the Celery worker and in the embedded in-process worker; which event calls for which job is the table in
``workers.wiring``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from workers import mail, people, reminders
from workers.context import Context
from workers.delivery import deliver
from workers.document_jobs import resolution_extract
from workers.settings import WorkerSettings
from workflow import ical
from workflow.db import transaction
from workflow.feeds import meeting_entry
from workflow.models import AgendaItem, Meeting, Municipality, OutboxMessage, Paper, Reminder, Vote
from workflow.rules import BERLIN, format_berlin, vote_summary

Sessions = sessionmaker[Session]


def meeting_info(meeting: Meeting) -> mail.MeetingInfo:
    agenda = [
        mail.AgendaLine(
            number=i.number,
            title=i.title,
            reference=i.consultation.paper.reference if i.consultation is not None else None,
            public=i.public,
        )
        for i in meeting.agenda_items
    ]
    return mail.MeetingInfo(
        name=meeting.name,
        bodies=", ".join(b.name for b in meeting.bodies),
        start=meeting.start,
        location=meeting.location,
        urgent_reason=meeting.urgent_reason if meeting.urgent else None,
        cancelled_reason=meeting.cancelled_reason,
        agenda=agenda,
    )


def _organizer(settings: WorkerSettings) -> str:
    from email.utils import parseaddr

    return parseaddr(settings.mail_sender)[1]


def _send_invitations(ctx: Context, meeting_id: int, *, changed: bool, moved_from: str | None = None) -> None:
    with ctx.sessions() as session:
        meeting = session.get_one(Meeting, meeting_id)
        if meeting.invitation_sent_at is None or meeting.state == "cancelled":
            # Not invited, or cancelled meanwhile (the cancellation mail says so). A meeting held before a
            # delayed worker got here still gets its invitation mailed: nothing the office issued is lost.
            return
        town = session.get_one(Municipality, meeting.municipality_id).key
        entry, info = meeting_entry(meeting, ctx.settings.public_url, town), meeting_info(meeting)
        recipients = people.invitees(session, meeting)
        # The key holds the SEQUENCE: two changes that end in the same state send one update.
        key = f"invitation:{meeting.id}:{meeting.sequence}"
    _deliver_with_calendar(
        ctx,
        key,
        entry,
        recipients,
        lambda r, calendar: mail.invitation_mail(
            key=key,
            recipient=r.email,
            name=r.name,
            meeting=info,
            changed=changed,
            calendar=calendar,
            moved_from=moved_from,
        ),
    )


def _deliver_with_calendar(
    ctx: Context,
    key: str,
    entry: ical.MeetingEntry,
    recipients: Sequence[people.Recipient],
    compose: Callable[[people.Recipient, bytes], mail.Mail],
) -> None:
    """One mail per recipient, each with the meeting's calendar entry made out to them, sent at most once."""
    stamp, organizer = ctx.clock(), _organizer(ctx.settings)
    mails = [
        compose(
            r,
            ical.invitation(entry, organizer=organizer, attendee=r.email, attendee_name=r.name, stamp=stamp),
        )
        for r in recipients
    ]
    deliver(
        ctx.sessions,
        dedupe_key=key,
        mails=mails,
        settings=ctx.settings,
        transport=ctx.transport,
        clock=ctx.clock,
    )


def invitation_mail(ctx: Context, outbox_id: int, payload: Mapping[str, Any]) -> None:
    """The invitation with agenda and .ics to every voting member and substitute of the meeting's bodies."""
    _send_invitations(ctx, int(payload["meeting_id"]), changed=False)


def invitation_update_mail(ctx: Context, outbox_id: int, payload: Mapping[str, Any]) -> None:
    """An agenda change or a move after the invitation: the changed invitation with the raised SEQUENCE."""
    if "late_addition" in payload and not payload["late_addition"]:
        return  # scheduled before the invitation: the invitation itself carries it
    with ctx.sessions() as session:
        changed_at = session.get_one(OutboxMessage, outbox_id).created_at
        invited_at = session.get_one(Meeting, int(payload["meeting_id"])).invitation_sent_at
    if invited_at is None or changed_at <= invited_at:
        return  # a change before the invitation: the invitation itself carries it
    _send_invitations(ctx, int(payload["meeting_id"]), changed=True, moved_from=_moved_from(payload))


def _moved_from(payload: Mapping[str, Any]) -> str | None:
    """When and where a moved meeting (MeetingMoved) was to be before, in German; None for other changes."""
    previous = payload.get("previous_start")
    if not isinstance(previous, str):
        return None
    place = payload.get("previous_location")
    return mail.german_datetime(dt.datetime.fromisoformat(previous)) + (f", {place}" if place else "")


def cancellation_mail(ctx: Context, outbox_id: int, payload: Mapping[str, Any]) -> None:
    """METHOD:CANCEL to everyone who was invited (a meeting cancelled before its invitation sends nothing)."""
    with ctx.sessions() as session:
        meeting = session.get_one(Meeting, int(payload["meeting_id"]))
        if meeting.invitation_sent_at is None:
            return
        town = session.get_one(Municipality, meeting.municipality_id).key
        entry, info = meeting_entry(meeting, ctx.settings.public_url, town), meeting_info(meeting)
        recipients = people.invited(session, meeting)
        key = f"cancellation:{meeting.id}"
    _deliver_with_calendar(
        ctx,
        key,
        entry,
        recipients,
        lambda r, calendar: mail.cancellation_mail(
            key=key, recipient=r.email, name=r.name, meeting=info, calendar=calendar
        ),
    )


def result_mail(ctx: Context, outbox_id: int, payload: Mapping[str, Any]) -> None:
    """The result (and the resolution extract) to the department the paper came from."""
    item_id = int(payload["agenda_item_id"])
    with ctx.sessions() as session:
        item = session.get_one(AgendaItem, item_id)
        result = item.result
        if result is None or item.consultation is None:
            return
        paper: Paper = item.consultation.paper
        department = paper.department
        if not department.email:
            return
        meeting = item.meeting
        info = mail.ResultInfo(
            reference=paper.reference,
            subject=paper.subject,
            body=item.consultation.body.name,
            meeting_start=meeting.start,
            item_number=item.number,
            outcome_wording=_with_votes(result.outcome_wording, result.votes),
            resolution_text=result.resolution_text,
        )
        recipient = people.Recipient(department.email, department.name)
    attachments = resolution_extract(ctx, outbox_id, item_id)
    key = f"result:outbox:{outbox_id}"
    message = mail.result_mail(
        key=key, recipient=recipient.email, name=recipient.name, result=info, attachments=attachments
    )
    deliver(
        ctx.sessions,
        dedupe_key=key,
        mails=[message],
        settings=ctx.settings,
        transport=ctx.transport,
        clock=ctx.clock,
    )


def _agenda_size(count: int) -> str:
    if count == 0:
        return "Die Tagesordnung hat noch keine Punkte."
    return "Die Tagesordnung hat einen Punkt." if count == 1 else f"Die Tagesordnung hat {count} Punkte."


def _with_votes(wording: str, votes: Sequence[Vote]) -> str:
    """'Zustimmung empfohlen (9 Ja / 2 Nein / 2 Enthaltungen)', as the Beratungsfolge table prints it."""
    decisive = next((v for v in votes if v.decisive), None)
    if decisive is None:
        return wording
    return f"{wording} ({vote_summary(decisive.yes, decisive.no, decisive.abstain)})"


# --------------------------------------------------------------------------- reminders


def plan_reminders(ctx: Context, outbox_id: int, payload: Mapping[str, Any]) -> None:
    """(Re)plan the reminders of the event's meeting."""
    with transaction(ctx.sessions) as session:
        meeting = session.get_one(Meeting, int(payload["meeting_id"]), with_for_update=True)
        reminders.plan(session, meeting, ctx.settings, ctx.clock())


def send_reminder(ctx: Context, reminder_id: int) -> None:
    """Send one due reminder if it is still needed, then mark it sent (or cancelled)."""
    with transaction(ctx.sessions) as session:
        row = session.get_one(Reminder, reminder_id, with_for_update=True)
        if row.state == "queued":
            # A sign of life: the scan queues a reminder again only when no task has tried it for
            # reminders.REQUEUE_AFTER (its task was lost), not while one is retrying (SMTP down for hours).
            row.queued_at = ctx.clock()
    with ctx.sessions() as session:
        reminder = session.get_one(Reminder, reminder_id)
        if reminder.state in ("sent", "cancelled"):
            return
        meeting = session.get_one(Meeting, reminder.meeting_id)
        key = f"reminder:{reminder.id}"
        when = format_berlin(meeting.start)
        built: list[mail.Mail] = []
        if reminder.kind == reminders.INVITATION_DEADLINE and meeting.state == "planned":
            from workflow.notice import invitation_deadline

            deadline = invitation_deadline(session, meeting)
            for r in people.coordination_office(session, meeting.municipality_id):
                built.append(
                    mail.reminder_mail(
                        key=key,
                        recipient=r.email,
                        name=r.name,
                        subject=f"Erinnerung: Ladungsfrist endet am "
                        f"{deadline.latest_dispatch.astimezone(BERLIN):%d.%m.%Y} – {meeting.name}",
                        paragraphs=[
                            f"die Einladung zu folgender Sitzung ist noch nicht versandt: {meeting.name} "
                            f"({when}).",
                            f"Sie muss spätestens bis {format_berlin(deadline.latest_dispatch)} hinausgehen "
                            f"({deadline.rule.describe()}).",
                        ],
                    )
                )
        elif reminder.kind == reminders.MEETING and meeting.state == "invited":
            info = meeting_info(meeting)
            for r in people.invitees(session, meeting):
                built.append(
                    mail.reminder_mail(
                        key=key,
                        recipient=r.email,
                        name=r.name,
                        subject=f"Erinnerung: {mail.titled(meeting.name, meeting.start)}",
                        paragraphs=[
                            f"wir erinnern an folgende Sitzung: {meeting.name}, "
                            f"{mail.german_datetime(meeting.start)}, "
                            f"Ort: {meeting.location or 'wird noch mitgeteilt'}.",
                            _agenda_size(len(info.agenda)),
                        ],
                    )
                )
        elif reminder.kind == reminders.RESULTS_OVERDUE and meeting.state in ("invited", "held"):
            missing = [
                i.number
                for i in meeting.agenda_items
                if i.consultation is not None and i.result is None and i.consultation.agenda_item_id == i.id
            ]
            if missing:
                for r in people.secretaries(session, meeting):
                    built.append(
                        mail.reminder_mail(
                            key=key,
                            recipient=r.email,
                            name=r.name,
                            subject=f"Erinnerung: Ergebnisse fehlen – {meeting.name}",
                            paragraphs=[
                                f"für folgende Sitzung sind noch nicht alle Ergebnisse erfasst: "
                                f"{meeting.name} ({when}), TOP {', '.join(missing)}.",
                                "Bitte tragen Sie die Ergebnisse ein, damit die Fachämter ihre "
                                "Beschlussauszüge erhalten.",
                            ],
                        )
                    )
    if built:
        deliver(
            ctx.sessions,
            dedupe_key=key,
            mails=built,
            settings=ctx.settings,
            transport=ctx.transport,
            clock=ctx.clock,
        )
    with transaction(ctx.sessions) as session:
        row = session.get_one(Reminder, reminder_id, with_for_update=True)
        if row.state not in ("sent", "cancelled"):
            row.state = "sent" if built else "cancelled"
            row.sent_at = ctx.clock() if built else None
