"""The world of the public-surface tests: the OParl tests' world (``tests.oparl.world``: a non-public paper,
a non-public TOP, the non-public Magistrat deciding a public paper in private, a depublished paper, public
and non-public documents, a cancelled meeting) and, beside it, what is not public carrying a marker text
(``MARKER``) wherever a text can be:

* a public paper dealt with on a *non-public* TOP of a public meeting, its result worded and resolved with
  markers, and a non-public document named with a marker;
* a public paper with a non-public attachment titled with a marker;
* a plain non-public TOP of that meeting (no paper, so no result), titled with a marker, with a document
  marked public (the TOP is not, so the document is not either);
* a non-public paper whose subject, proposed resolution and justification carry markers, on a non-public
  TOP with a result resolved with a marker;
* a meeting of the non-public Magistrat named with a marker, with a document marked public (the meeting is
  not), where the Magistrat decides a public paper itself, resolved with a marker.

Everything public in it has no marker: a test that finds the marker anywhere a citizen can look has found a
leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from tests.oparl.world import World, add_document, build_world
from tests.scenario import Scenario, berlin
from workflow import meetings, papers, planning
from workflow.rules import VoteInput
from workflow.vocabulary import Outcome, PaperKind

MARKER = "Zq9"


@dataclass
class PortalWorld:
    oparl: World
    private_item_paper: int = 0  # public paper dealt with on a non-public TOP
    private_item: int = 0
    plain_item: int = 0
    secret_paper: int = 0
    secret_item: int = 0
    magistrat_meeting: int = 0
    magistrat_paper: int = 0
    sjs_meeting: int = 0
    coming_meeting: int = 0
    marker_files: list[int] = field(default_factory=list)


def build_portal_world(sessions: sessionmaker[Session]) -> PortalWorld:
    world = PortalWorld(build_world(sessions))
    sc = Scenario(sessions)
    when = "2014-04-01 10:00"
    open_paper = sc.submitted_paper(committees=["sjs"], subject="Radweg am Lahnufer", when=when)
    with_attachment = papers.draft_paper(
        sessions,
        actor="test",
        municipality="wetzlar",
        kind=PaperKind.beschlussvorlage,
        department="kbs",
        subject="Sanierung der Stadthalle",
        paper_date=berlin(when).date(),
        proposed_resolution="Die Stadthalle wird saniert.",
        attachments=[
            papers.AttachmentInput(title="Lageplan Stadthalle"),
            papers.AttachmentInput(title=f"{MARKER} Anlage Gutachten Kaufpreis", public=False),
        ],
        now=berlin(when),
    )
    planning.plan_consultations(
        sessions, actor="test", paper_id=with_attachment.id, committees=["sjs"], now=berlin(when)
    )
    papers.submit_paper(sessions, actor="test", paper_id=with_attachment.id, now=berlin(when))
    secret = sc.submitted_paper(
        committees=["sjs"], public=False, subject=f"{MARKER} Ankauf Flurstück", when=when
    )
    with sessions.begin() as s:
        row = s.get_one(type(secret), secret.id)
        row.proposed_resolution = f"{MARKER} Kaufpreis 1,2 Mio. Euro"
        row.justification = f"{MARKER} Begründung des Ankaufs"
    decided = sc.submitted_paper(decided_by="magistrat", subject="Neue Dienstwagenordnung", when=when)

    # In Hessen the Magistrat deliberates first, in private.
    magistrat = meetings.create_meeting(
        sessions,
        actor="test",
        municipality="wetzlar",
        bodies=["magistrat"],
        start=berlin("2014-04-14 09:00"),
        location="Rathaus",
        name=f"{MARKER} Klausur des Magistrats",
        now=berlin("2014-03-01 09:00"),
    )
    world.magistrat_meeting = magistrat.id
    first = [
        sc.schedule(p.id, "magistrat", magistrat.id, when="2014-03-20 10:00").id
        for p in (open_paper, with_attachment, secret)
    ]
    item = sc.schedule(decided.id, "magistrat", magistrat.id, when="2014-03-20 10:00")
    sc.invite(magistrat.id)
    sc.attend(magistrat.id)
    for item_id in first:
        sc.record(item_id, Outcome.recommended, VoteInput(9, 0, 0))
    sc.record(
        item.id, Outcome.adopted, VoteInput(9, 0, 0), resolution_text=f"{MARKER} Dienstwagen nur elektrisch"
    )
    world.marker_files += add_document(
        sessions,
        kind="invitation",
        name=f"{MARKER} Einladung Klausur",
        meeting_id=magistrat.id,
        public=True,
        now=berlin("2014-04-01 09:00"),
    )

    meeting = sc.new_meeting("sjs", "2014-05-12 17:00")
    world.sjs_meeting = meeting.id
    step = sc.steps(open_paper.id)["sjs"]
    world.private_item = meetings.schedule_consultation(
        sessions,
        actor="test",
        consultation_id=step.id,
        meeting_id=meeting.id,
        public=False,
        now=berlin("2014-04-20 10:00"),
    ).agenda_item.id
    world.secret_item = sc.schedule(secret.id, "sjs", meeting.id).id
    world.plain_item = meetings.add_agenda_item(
        sessions,
        actor="test",
        meeting_id=meeting.id,
        title=f"{MARKER} Personalangelegenheit Amtsleitung",
        public=False,
        now=berlin("2014-04-20 10:00"),
    ).id
    sc.schedule(with_attachment.id, "sjs", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    sc.record(
        world.private_item,
        Outcome.recommended,
        VoteInput(7, 4, 2),
        wording=f"{MARKER} mit Änderungen empfohlen",
        resolution_text=f"{MARKER} Radweg nur bis zur Brücke",
    )
    sc.record(
        world.secret_item,
        Outcome.recommended,
        VoteInput(11, 0, 0),
        resolution_text=f"{MARKER} Ankauf empfohlen",
    )
    at = berlin("2014-05-14 09:00")
    world.marker_files += add_document(
        sessions,
        kind="resolution_extract",
        name=f"{MARKER} Auszug Personalangelegenheit",
        meeting_id=meeting.id,
        agenda_item_id=world.plain_item,
        public=True,
        now=at,
    )
    world.marker_files += add_document(
        sessions,
        kind="vorlage",
        name=f"{MARKER} Interne Kalkulation Radweg",
        paper_id=open_paper.id,
        public=False,
        now=at,
    )

    coming = sc.new_meeting("sjs", "2014-06-16 17:00")
    meetings.add_agenda_item(
        sessions,
        actor="test",
        meeting_id=coming.id,
        title="Bericht der Verwaltung",
        public=True,
        now=berlin("2014-05-20 10:00"),
    )
    world.coming_meeting = coming.id
    world.private_item_paper, world.secret_paper, world.magistrat_paper = open_paper.id, secret.id, decided.id
    return world
