"""Reminders live in the database with their due time; a scan sends each once, right across DST changes."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import select

from tests.conftest import Database
from tests.scenario import Scenario, berlin
from tests.workers.conftest import SmtpSink, make_context, worker_settings
from tests.workers.helpers import expected_invitees
from workers import reminders
from workers.inprocess import drain, drain_once
from workflow import access
from workflow.models import Reminder
from workflow.rules import VoteInput
from workflow.vocabulary import Outcome


def _due(db: Database, meeting_id: int) -> dict[tuple[str, str], tuple[dt.datetime, str]]:
    with db.session() as s:
        rows = s.scalars(select(Reminder).where(Reminder.meeting_id == meeting_id))
        return {(r.kind, r.offset_key): (r.due_at, r.state) for r in rows}


def test_member_reminders_keep_the_wall_clock_time_across_the_spring_change() -> None:
    # 30 March 2026 18:00 CEST; a week earlier (23 March) is still CET: 18:00 local = 17:00 UTC, not 16:00.
    start = berlin("2026-03-30 18:00")
    assert reminders.days_before(start, 7) == dt.datetime(2026, 3, 23, 17, 0, tzinfo=dt.UTC)
    assert reminders.days_before(start, 1) == dt.datetime(2026, 3, 29, 16, 0, tzinfo=dt.UTC)
    # And in autumn: 26 October 2026 18:00 CET; a day earlier 25 October is CET too, a week earlier CEST.
    autumn = berlin("2026-10-26 18:00")
    assert reminders.days_before(autumn, 7) == dt.datetime(2026, 10, 19, 16, 0, tzinfo=dt.UTC)
    assert reminders.days_before(autumn, 1) == dt.datetime(2026, 10, 25, 17, 0, tzinfo=dt.UTC)


def test_a_meeting_gets_its_reminders_planned_and_moved_to_the_next_state(
    db: Database, smtp: SmtpSink
) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(when="2026-02-10 10:00")
    meeting = sc.new_meeting("magistrat", "2026-03-30 18:00")  # created 30 days before
    sc.schedule(paper.id, "magistrat", meeting.id)
    ctx = make_context(db, worker_settings(smtp.port), clock=lambda: berlin("2026-03-01 10:00"))
    drain(ctx)
    due = _due(db, meeting.id)
    assert due[("meeting", "7d")] == (dt.datetime(2026, 3, 23, 17, 0, tzinfo=dt.UTC), "pending")
    assert due[("meeting", "1d")] == (dt.datetime(2026, 3, 29, 16, 0, tzinfo=dt.UTC), "pending")
    assert due[("invitation_deadline", "48h")][1] == "pending"
    assert due[("results_overdue", "3d")] == (dt.datetime(2026, 4, 2, 16, 0, tzinfo=dt.UTC), "pending")

    sc.invite(meeting.id, days_before=10)
    drain(ctx)
    assert _due(db, meeting.id)[("invitation_deadline", "48h")][1] == "cancelled"


def test_each_reminder_reaches_its_people_once(db: Database, smtp: SmtpSink) -> None:
    sc = Scenario(db.sessions)
    access.add_user(
        db.sessions,
        municipality="wetzlar",
        username="sitzungsdienst",
        password="geheim-genug",
        role=access.Role.coordination,
        email="sitzungsdienst@wetzlar.example",
    )
    access.add_user(
        db.sessions,
        municipality="wetzlar",
        username="schrift-mag",
        password="geheim-genug",
        role=access.Role.secretary,
        bodies=["magistrat"],
        email="schrift-mag@wetzlar.example",
    )
    paper = sc.submitted_paper(when="2026-02-10 10:00")
    meeting = sc.new_meeting("magistrat", "2026-03-30 18:00")
    sc.schedule(paper.id, "magistrat", meeting.id)
    now = [berlin("2026-03-01 10:00")]
    ctx = make_context(db, worker_settings(smtp.port), clock=lambda: now[0])
    drain(ctx)
    assert smtp.messages == []

    now[0] = berlin("2026-03-24 12:00")  # 48 h before the Ladungsfrist passed, not yet invited
    drain_once(ctx)
    assert [m.recipients for m in smtp.messages] == [["sitzungsdienst@wetzlar.example"]]
    assert "Ladungsfrist" in smtp.subjects()[0]

    sc.invite(meeting.id, days_before=6)  # in time (the Ladungsfrist ends on 25 March)
    now[0] = berlin("2026-03-29 18:00")  # after the 7-day and the 1-day reminder
    drain(ctx)
    drain_once(ctx)
    members = expected_invitees(db, meeting.id)
    reminded = [m for m in smtp.messages if str(m.message["Subject"]).startswith("Erinnerung: Sitzung")]
    # The 7-day reminder was due while the meeting was not yet invited: it is not sent late.
    assert sorted(r for m in reminded for r in m.recipients) == sorted(members)

    sc.attend(meeting.id)
    now[0] = berlin("2026-04-03 09:00")  # three days after, no result recorded
    drain(ctx)
    overdue = [m for m in smtp.messages if "Ergebnisse" in str(m.message["Subject"])]
    assert [m.recipients for m in overdue] == [["schrift-mag@wetzlar.example"]]
    drain_once(ctx)
    assert len([m for m in smtp.messages if "Ergebnisse" in str(m.message["Subject"])]) == 1
    assert {state for _, state in _due(db, meeting.id).values()} <= {"sent", "cancelled"}


def test_no_reminder_about_results_once_they_are_recorded(db: Database, smtp: SmtpSink) -> None:
    sc = Scenario(db.sessions)
    access.add_user(
        db.sessions,
        municipality="wetzlar",
        username="schrift-mag",
        password="geheim-genug",
        role=access.Role.secretary,
        bodies=["magistrat"],
        email="schrift-mag@wetzlar.example",
    )
    paper = sc.submitted_paper(when="2026-02-10 10:00")
    now = [berlin("2026-03-01 10:00")]
    ctx = make_context(db, worker_settings(smtp.port), clock=lambda: now[0])
    item = sc.deal_with(paper.id, "magistrat", "2026-03-30 18:00", Outcome.recommended, VoteInput(12, 0, 0))
    drain(ctx)
    now[0] = berlin("2026-04-03 09:00")
    drain(ctx)
    assert not [m for m in smtp.messages if "Ergebnisse" in str(m.message["Subject"])]
    assert _due(db, sc.item(item.id).meeting_id)[("results_overdue", "3d")][1] in ("cancelled", "sent")


def test_two_scanners_at_the_same_moment_queue_a_reminder_once(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(when="2026-02-10 10:00")
    meetings_ = [sc.new_meeting("magistrat", f"2026-03-{day} 18:00") for day in (16, 23, 30)]
    for m in meetings_:
        sc.schedule(paper.id, "magistrat", m.id) if m is meetings_[0] else None
    ctx = make_context(db, worker_settings(0), clock=lambda: berlin("2026-03-01 10:00"))
    from workers.jobs import plan_reminders

    for m in meetings_:
        plan_reminders(ctx, 0, {"meeting_id": m.id})
    later = berlin("2026-04-30 10:00")
    queued: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)

    def scan() -> None:
        barrier.wait()
        for _ in range(5):
            ids = reminders.claim_due(db.sessions, later, lambda rid: None, limit=2)
            with lock:
                queued.extend(ids)

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.session() as s:
        total = len(s.scalars(select(Reminder)).all())
    assert total > 4
    assert sorted(queued) == sorted(set(queued))
    assert len(queued) == total


def test_a_reminder_whose_task_is_still_retrying_is_not_queued_a_second_time(
    db: Database, smtp: SmtpSink
) -> None:
    import pytest

    from workers import jobs
    from workers.delivery import MailNotDelivered

    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(when="2026-02-10 10:00")
    meeting = sc.new_meeting("magistrat", "2026-03-30 18:00")
    sc.schedule(paper.id, "magistrat", meeting.id)
    sc.invite(meeting.id, days_before=10)
    now = [berlin("2026-03-01 10:00")]
    ctx = make_context(db, worker_settings(smtp.port), clock=lambda: now[0])
    drain(ctx)  # plans the reminders
    now[0] = berlin("2026-03-29 18:00")  # the 1-day reminder is due
    queued = reminders.claim_due(db.sessions, now[0], lambda rid: None)
    assert queued
    smtp.stop()  # the mail server is down: the task retries for hours
    for minutes in (20, 40, 60):
        now[0] = berlin("2026-03-29 18:00") + dt.timedelta(minutes=minutes)
        with pytest.raises(MailNotDelivered):
            jobs.send_reminder(ctx, queued[0])
        # A scan now and then must not queue the same reminder again beside the retrying task.
        assert queued[0] not in reminders.claim_due(
            db.sessions, now[0] + dt.timedelta(minutes=5), lambda rid: None
        )
    # A task that stopped trying (lost) is replaced after REQUEUE_AFTER.
    later = now[0] + reminders.REQUEUE_AFTER + dt.timedelta(minutes=1)
    assert queued[0] in reminders.claim_due(db.sessions, later, lambda rid: None)
