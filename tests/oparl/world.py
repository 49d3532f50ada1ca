"""Test data for the OParl tests: the three demo papers plus what the demo lacks.

The demo (Wetzlar 1562/13, Duisburg, Wilhelmshaven) gives results with votes, non-public bodies (the
Magistrat) and a non-public agenda item (Wilhelmshaven's Verwaltungsausschuss). Wetzlar gets beside it:

* a meeting of the Sozial-, Jugend- und Sportausschuss (``sjs``) with a public paper and a *non-public*
  paper on its agenda, both with results, with an invitation (DOCX master and PDF derivative), the public
  paper's Vorlage as DOCX and PDF, a resolution extract, and the non-public paper's Vorlage (never public);
* a cancelled meeting;
* a paper that was published with a document and then depublished.

Generated documents are ``StoredFile`` rows written here directly (their generator is another issue's work).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gremienlauf import demo
from gremienlauf.demo_users import create_demo_users
from tests.scenario import Scenario, berlin
from workflow import meetings
from workflow.models import (
    AgendaItem,
    Body,
    Consultation,
    Meeting,
    MeetingBody,
    Municipality,
    Paper,
    StoredFile,
)
from workflow.publication import depublish_paper
from workflow.rules import VoteInput
from workflow.vocabulary import Outcome

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"


def add_document(
    sessions: sessionmaker[Session],
    *,
    kind: str,
    name: str,
    now: dt.datetime,
    paper_id: int | None = None,
    meeting_id: int | None = None,
    agenda_item_id: int | None = None,
    public: bool = True,
    version: int = 1,
) -> tuple[int, int]:
    """A DOCX master and its PDF derivative (any bytes); returns their ids."""
    with sessions.begin() as session:
        town_id = _town_of(session, paper_id, meeting_id, agenda_item_id)
        ids: list[int] = []
        master_id: int | None = None
        for media_type, suffix in ((DOCX, "docx"), (PDF, "pdf")):
            content = f"{kind} {name} v{version} {suffix} – Prüfung".encode()
            row = StoredFile(
                municipality_id=town_id,
                kind=kind,
                paper_id=paper_id,
                meeting_id=meeting_id,
                agenda_item_id=agenda_item_id,
                version=version,
                output_key=f"{kind}:{paper_id}:{meeting_id}:{agenda_item_id}:{version}:{suffix}",
                name=name,
                file_name=f"{name}.{suffix}",
                media_type=media_type,
                size_bytes=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
                master_file_id=master_id,
                public=public,
                created_at=now,
                modified_at=now,
            )
            session.add(row)
            session.flush()
            master_id = master_id or row.id
            ids.append(row.id)
    return ids[0], ids[1]


def _town_of(session: Session, paper_id: int | None, meeting_id: int | None, item_id: int | None) -> int:
    if paper_id is not None:
        return session.get_one(Paper, paper_id).municipality_id
    if item_id is not None:
        meeting_id = session.get_one(AgendaItem, item_id).meeting_id
    assert meeting_id is not None
    return session.get_one(Meeting, meeting_id).municipality_id


@dataclass
class World:
    sessions: sessionmaker[Session]
    public_paper: int = 0
    private_decision: int = 0
    secret_paper: int = 0
    depublished_paper: int = 0
    meeting: int = 0
    cancelled_meeting: int = 0
    public_item: int = 0
    secret_item: int = 0
    depublished_item: int = 0
    public_files: list[int] = field(default_factory=list)
    secret_files: list[int] = field(default_factory=list)
    depublished_files: list[int] = field(default_factory=list)
    superseded_files: list[int] = field(default_factory=list)  # public, but an older version


def build_world(sessions: sessionmaker[Session]) -> World:
    create_demo_users(sessions)  # the demo records results as the bodies' secretaries
    demo._wetzlar(sessions)
    demo._duisburg(sessions)
    demo._wilhelmshaven(sessions)
    world = World(sessions)
    sc = Scenario(sessions)
    when = "2014-01-10 10:00"
    public = sc.submitted_paper(committees=["sjs"], subject="Spielplatz am Dom: Erneuerung", when=when)
    secret = sc.submitted_paper(
        committees=["sjs"], public=False, subject="Grundstücksankauf Flur 7 (vertraulich)", when=when
    )
    later = sc.submitted_paper(committees=["sjs"], subject="Versehentlich veröffentlichte Vorlage", when=when)
    # A public paper the Magistrat decides itself (in private): its decision is not published.
    private_decision = sc.submitted_paper(
        decided_by="magistrat", subject="Beschaffung eines Dienstfahrzeugs", when=when
    )
    # In Hessen the Magistrat deliberates first (in private).
    magistrat = sc.new_meeting("magistrat", "2014-01-20 09:00")
    magistrat_items = [sc.schedule(p.id, "magistrat", magistrat.id).id for p in (public, secret, later)]
    decided_item = sc.schedule(private_decision.id, "magistrat", magistrat.id).id
    sc.invite(magistrat.id)
    sc.attend(magistrat.id)
    for item_id in magistrat_items:
        sc.record(item_id, Outcome.recommended, VoteInput(12, 0, 0))
    sc.record(decided_item, Outcome.adopted, VoteInput(12, 0, 0))
    world.private_decision = private_decision.id
    meeting = sc.new_meeting("sjs", "2014-02-10 17:00")
    world.public_item = sc.schedule(public.id, "sjs", meeting.id).id
    world.secret_item = sc.schedule(secret.id, "sjs", meeting.id).id
    world.depublished_item = sc.schedule(later.id, "sjs", meeting.id).id
    at = berlin("2014-01-21 09:00")
    world.public_files += add_document(
        sessions, kind="vorlage", name="Vorlage Spielplatz", paper_id=public.id, now=at
    )
    # A second version supersedes the first: the paper embeds only the newest one.
    world.superseded_files = world.public_files[-2:]
    world.public_files += add_document(
        sessions, kind="vorlage", name="Vorlage Spielplatz", paper_id=public.id, version=2, now=at
    )
    world.secret_files += add_document(
        sessions, kind="vorlage", name="Vorlage Grundstück", paper_id=secret.id, public=False, now=at
    )
    world.depublished_files += add_document(
        sessions, kind="vorlage", name="Vorlage Versehen", paper_id=later.id, now=at
    )
    sc.invite(meeting.id)
    world.public_files += add_document(
        sessions,
        kind="invitation",
        name="Einladung SJS",
        meeting_id=meeting.id,
        now=berlin("2014-01-31 09:00"),
    )
    sc.attend(meeting.id)
    sc.record(world.public_item, Outcome.recommended, VoteInput(9, 2, 0))
    sc.record(world.secret_item, Outcome.recommended, VoteInput(11, 0, 0))
    world.public_files += add_document(
        sessions,
        kind="resolution_extract",
        name="Beschlussauszug Spielplatz",
        paper_id=public.id,
        agenda_item_id=world.public_item,
        now=berlin("2014-02-12 09:00"),
    )
    world.secret_files += add_document(
        sessions,
        kind="resolution_extract",
        name="Beschlussauszug Grundstück",
        paper_id=secret.id,
        agenda_item_id=world.secret_item,
        public=False,
        now=berlin("2014-02-12 09:00"),
    )
    cancelled = sc.new_meeting("sjs", "2014-03-10 17:00")
    meetings.cancel_meeting(
        sessions,
        actor="test",
        meeting_id=cancelled.id,
        reason="Keine Beratungsgegenstände",
        now=berlin("2014-03-01 09:00"),
    )
    depublish_paper(
        sessions,
        actor="test",
        paper_id=later.id,
        reason="Versehentlich veröffentlicht",
        now=berlin("2014-02-20 09:00"),
    )
    world.public_paper, world.secret_paper, world.depublished_paper = public.id, secret.id, later.id
    world.meeting, world.cancelled_meeting = meeting.id, cancelled.id
    return world


def hidden_paths(sessions: sessionmaker[Session]) -> dict[str, set[int]]:
    """Everything the database holds that must never be published, by OParl path segment."""
    from workflow.publication import DRAFT_STATES

    drafts = [s.value for s in DRAFT_STATES]
    with sessions() as s:
        papers = set(s.scalars(select(Paper.id).where((Paper.public.is_(False)) | (Paper.state.in_(drafts)))))
        public_bodies = select(MeetingBody.meeting_id).join(Body).where(Body.public.is_(True))
        meetings_ = set(s.scalars(select(Meeting.id).where(Meeting.id.notin_(public_bodies))))
        items = set(
            s.scalars(
                select(AgendaItem.id)
                .outerjoin(Consultation, Consultation.id == AgendaItem.consultation_id)
                .where(
                    (AgendaItem.public.is_(False))
                    | (AgendaItem.meeting_id.in_(meetings_ or {0}))
                    | (Consultation.paper_id.in_(papers or {0}))
                )
            )
        )
        steps = set(s.scalars(select(Consultation.id).where(Consultation.paper_id.in_(papers or {0}))))
        files = set(
            s.scalars(
                select(StoredFile.id).where(
                    (StoredFile.public.is_(False))
                    | StoredFile.paper_id.in_(papers or {0})
                    | StoredFile.agenda_item_id.in_(items or {0})
                    | StoredFile.meeting_id.in_(meetings_ or {0})
                )
            )
        )
        assert s.scalar(select(Municipality.id))  # the towns are there
    return {"paper": papers, "meeting": meetings_, "agendaitem": items, "consultation": steps, "file": files}
