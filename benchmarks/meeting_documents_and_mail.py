"""Benchmark: a meeting with 40 agenda items and the Stadtverordnetenversammlung Wetzlar (63 members and 4
substitutes): every document and mail of its invitation and its 40 results, done by two Celery worker
processes on the real Redis and PostgreSQL, mails delivered to an SMTP server (aiosmtpd) in this process.

Target (issue 5): everything done within 30 seconds. Measured from the moment the outbox relay hands the
invitation, attendance and result events to Redis until the last mail is delivered and the last document
(and, with ``--pdf``, its PDF) is stored. Run from the repository root on an otherwise idle machine:

    .venv/bin/python -m benchmarks.meeting_documents_and_mail [--pdf] [--json FILE]

Needs PostgreSQL (``GREMIENLAUF_BENCH_POSTGRES_URL``, default the machine's) and Redis
(``GREMIENLAUF_BENCH_REDIS_URL``, default ``redis://127.0.0.1:6379/12``); uses its own scratch database and
queue names and removes both afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from benchmarks.common import ROOT, free_port, scratch_database
from workers import relay
from workers.celery_app import create_celery, publisher
from workers.documents import documents_for_event
from workers.people import invitees
from workers.settings import WorkerSettings
from workflow import meetings, papers, planning, quorum, results
from workflow.access import Principal, Role
from workflow.db import make_engine, make_session_factory, upgrade
from workflow.models import Body, Consultation, MailDelivery, Meeting, Membership, OutboxMessage, StoredFile
from workflow.municipality import example_path
from workflow.rules import BERLIN, VoteInput
from workflow.setup import import_municipality
from workflow.store import by_key, municipality_by_key
from workflow.vocabulary import ConsultationRole, Outcome, PaperKind

REDIS_URL = os.environ.get("GREMIENLAUF_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
ITEMS = 40
START = dt.datetime(2013, 11, 27, 18, 0, tzinfo=BERLIN)


class Sink:
    def __init__(self) -> None:
        self.count = 0
        self.last = 0.0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
            self.last = time.monotonic()
        return "250 OK"


def build_meeting(url: str) -> int:
    """The meeting with the real use cases: 40 papers on the agenda, invited, attended, 40 results."""
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    import_municipality(sessions, example_path("wetzlar"), actor="Benchmark")
    now = START - dt.timedelta(days=30)
    meeting = meetings.create_meeting(
        sessions,
        actor="Benchmark",
        municipality="wetzlar",
        bodies=["stvv"],
        start=START,
        location="Rathaus",
        now=now,
    )
    for number in range(ITEMS):
        paper = papers.draft_paper(
            sessions,
            actor="Benchmark",
            municipality="wetzlar",
            kind=PaperKind.beschlussvorlage,
            department="kbs",
            subject=f"Vorlage Nr. {number + 1}: Förderung des Ehrenamts in den Stadtteilen",
            paper_date=now.date(),
            proposed_resolution="Die Stadtverordnetenversammlung beschließt die Förderung.",
            now=now,
        )
        planning.plan_consultations(
            sessions,
            actor="Benchmark",
            paper_id=paper.id,
            stages=[[planning.StepInput("stvv", ConsultationRole.decision)]],
            now=now,
        )
        papers.submit_paper(sessions, actor="Benchmark", paper_id=paper.id, now=now)
        with sessions() as s:
            step = s.scalars(select(Consultation).where(Consultation.paper_id == paper.id)).one()
        meetings.schedule_consultation(
            sessions, actor="Benchmark", consultation_id=step.id, meeting_id=meeting.id, now=now
        )
    with sessions.begin() as s:  # the setup's events are not what is measured
        for row in s.scalars(select(OutboxMessage)):
            row.published_at = row.created_at
    meetings.invite_meeting(
        sessions, actor="Benchmark", meeting_id=meeting.id, now=START - dt.timedelta(days=10)
    )
    with sessions() as s:
        town = municipality_by_key(s, "wetzlar")
        body = by_key(s, Body, town.id, "stvv")
        present = list(
            s.scalars(
                select(Membership.person_id).where(Membership.body_id == body.id, Membership.voting_right)
            )
        )
        items = [i.id for i in s.get_one(Meeting, meeting.id).agenda_items]
    meetings.record_attendance(
        sessions,
        actor="Benchmark",
        meeting_id=meeting.id,
        present=present,
        now=START + dt.timedelta(minutes=1),
    )
    quorum.establish_quorum(  # the chair at the opening: without it no decision is recorded
        sessions, actor="Benchmark", meeting_id=meeting.id, body="stvv", now=START + dt.timedelta(minutes=2)
    )
    secretary = Principal(  # the secretary of the assembly records the results
        user_id=0,
        username="Benchmark",
        role=Role.secretary,
        municipality_id=town.id,
        department_id=None,
        person_id=None,
        body_ids=frozenset({body.id}),
    )
    for item_id in items:
        results.record_result(
            sessions,
            who=secretary,
            agenda_item_id=item_id,
            result=results.ResultInput(Outcome.adopted, votes=(VoteInput(40, 12, 7),)),
            now=START + dt.timedelta(minutes=30),
        )
    engine.dispose()
    return meeting.id


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pdf", action="store_true", help="also make the PDFs with LibreOffice")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--json", type=Path, help="write the figures to this file as well")
    args = parser.parse_args()

    with scratch_database("workers") as url:
        print(f"setup: {ITEMS} papers on one meeting of the Stadtverordnetenversammlung …", flush=True)
        meeting_id = build_meeting(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        with sessions() as s:
            people = len(invitees(s, s.get_one(Meeting, meeting_id)))
            events = s.execute(
                select(OutboxMessage.event_type, OutboxMessage.payload).where(
                    OutboxMessage.published_at.is_(None)
                )
            ).all()
        expected_documents = sum(len(documents_for_event(t, p)) for t, p in events)
        results_count = sum(1 for t, _ in events if t == "ResultRecorded")
        expected_mails = people + results_count
        sink = Sink()
        smtp_port = free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        settings = WorkerSettings(
            redis_url=REDIS_URL,
            queue_prefix=f"gl-bench-{uuid.uuid4().hex[:8]}",
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            pdf_enabled=args.pdf,
            pdf_profile_root=f"/tmp/gl-bench-lo-{os.getpid()}",
        )
        env = {
            **os.environ,
            "GREMIENLAUF_DATABASE_URL": url,
            **{f"GREMIENLAUF_{k.upper()}": str(v) for k, v in settings.model_dump().items() if v is not None},
        }
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gremienlauf.cli",
                "worker",
                f"--concurrency={args.concurrency}",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        ready = threading.Event()

        def watch() -> None:
            assert worker.stderr is not None
            for line in worker.stderr:
                if " ready." in line:
                    ready.set()

        threading.Thread(target=watch, daemon=True).start()
        if not ready.wait(60):
            raise SystemExit("the worker did not start")
        app = create_celery(settings, url)
        load = os.getloadavg()
        print(
            f"measuring: {len(events)} events, {expected_mails} mails ({people} invitations, {results_count} "
            f"results), {expected_documents} documents{' + PDFs' if args.pdf else ''}; "
            f"{args.concurrency} worker processes; load before {load[0]:.2f}",
            flush=True,
        )
        t0 = time.monotonic()
        while relay.publish_pending(sessions, publisher(app)):
            pass
        handed_over = time.monotonic() - t0
        documents_done = mails_done = None
        deadline = t0 + 600
        try:
            while time.monotonic() < deadline and (documents_done is None or mails_done is None):
                with sessions() as s:
                    rows = s.execute(
                        select(
                            StoredFile.id,
                            StoredFile.kind,
                            StoredFile.paper_id,
                            StoredFile.meeting_id,
                            StoredFile.agenda_item_id,
                            StoredFile.version,
                            StoredFile.master_file_id,
                        )
                    ).all()
                    sent = (
                        s.scalar(
                            select(func.count()).select_from(MailDelivery).where(MailDelivery.state == "sent")
                        )
                        or 0
                    )
                masters = [r for r in rows if r.master_file_id is None]
                with_pdf = {r.master_file_id for r in rows if r.master_file_id is not None}
                newest: dict[tuple[Any, ...], Any] = {}
                for r in masters:
                    key = (r.kind, r.paper_id, r.meeting_id, r.agenda_item_id)
                    if key not in newest or newest[key].version < r.version:
                        newest[key] = r
                # With --pdf: the newest version of every document has its PDF (a version superseded before
                # its PDF was made keeps only its DOCX, see workers/document_jobs.py).
                pdfs_missing = sum(1 for r in newest.values() if r.id not in with_pdf)
                now = time.monotonic()
                if (
                    documents_done is None
                    and len(masters) >= expected_documents
                    and (not args.pdf or pdfs_missing == 0)
                ):
                    documents_done = now - t0
                if mails_done is None and sent >= expected_mails and sink.count >= expected_mails:
                    mails_done = now - t0
                time.sleep(0.1)
        finally:
            worker.terminate()
            worker.wait(30)
            controller.stop()
            with app.connection_for_write() as conn:
                conn.default_channel.client.delete(
                    f"{settings.queue_prefix}.tasks", f"{settings.queue_prefix}.pdf"
                )
            engine.dispose()
        total = max(documents_done or float("inf"), mails_done or float("inf"))
        figures = {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.node()} {os.cpu_count()} CPUs, load before {load[0]:.2f}",
            "pdf": args.pdf,
            "worker_processes": args.concurrency,
            "events": len(events),
            "mails": expected_mails,
            "mails_delivered": sink.count,
            "documents": expected_documents,
            "pdfs": len(with_pdf),
            "handed_over_s": round(handed_over, 2),
            "mails_done_s": None if mails_done is None else round(mails_done, 2),
            "documents_done_s": None if documents_done is None else round(documents_done, 2),
            "all_done_s": round(total, 2),
            "target_s": 30,
        }
        print(json.dumps(figures, indent=2))
        print(f"verdict: {'within' if total <= 30 else 'NOT within'} 30 s ({total:.1f} s)")
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
