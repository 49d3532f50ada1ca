"""The submission inbox's lists in SQL agree with the paper machine: ready is exactly what may be submitted now,
waiting is what is in co-signing with a required co-signature missing; counted and paged in SQL."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import Database
from tests.scenario import berlin
from workflow import papers
from workflow.models import Municipality, Paper
from workflow.papers import allowed_paper_triggers
from workflow.submission_inbox import submission_inbox
from workflow.vocabulary import PaperKind

NOW = berlin("2013-07-10 10:00")


def _draft(db: Database, subject: str, cosigners: tuple[str, ...] = ()) -> int:
    paper = papers.draft_paper(
        db.sessions,
        actor="Fachamt",
        municipality="wetzlar",
        kind=PaperKind.beschlussvorlage,
        department="kbs",
        subject=subject,
        paper_date=NOW.date(),
        cosigners=list(cosigners),
        now=NOW,
    )
    return paper.id


def test_ready_and_waiting_in_sql_are_what_the_paper_machine_allows(db: Database) -> None:
    plain = _draft(db, "Entwurf ohne Mitzeichnung")
    not_asked = _draft(db, "Entwurf, Mitzeichnung noch nicht angefordert", ("kaemmerei",))
    asked = _draft(db, "In Mitzeichnung", ("kaemmerei", "rechtsamt"))
    papers.request_cosignatures(db.sessions, actor="Fachamt", paper_id=asked, now=NOW)
    half = _draft(db, "Halb mitgezeichnet", ("kaemmerei", "rechtsamt"))
    papers.request_cosignatures(db.sessions, actor="Fachamt", paper_id=half, now=NOW)
    papers.cosign(db.sessions, actor="Kämmerei", paper_id=half, department="kaemmerei", now=NOW)
    signed = _draft(db, "Fertig mitgezeichnet", ("kaemmerei",))
    papers.request_cosignatures(db.sessions, actor="Fachamt", paper_id=signed, now=NOW)
    papers.cosign(db.sessions, actor="Kämmerei", paper_id=signed, department="kaemmerei", now=NOW)
    submitted = _draft(db, "Schon eingereicht")
    papers.submit_paper(db.sessions, actor="Büro", paper_id=submitted, now=NOW)

    with db.sessions() as session:
        town = session.scalars(select(Municipality).where(Municipality.key == "wetzlar")).one()
        inbox = submission_inbox(session, town.id)
        everything = session.scalars(select(Paper).where(Paper.municipality_id == town.id)).all()
        may_submit = {p.id for p in everything if "submit" in allowed_paper_triggers(p)}
        assert {p.id for p in inbox.ready.items} == may_submit == {plain, signed}
        assert {w.paper.id for w in inbox.waiting.items} == {asked, half}
        missing = {w.paper.id: w.missing for w in inbox.waiting.items}
        assert missing[half] == ["Rechtsamt"]
        assert not_asked not in may_submit | set(missing)
        assert (inbox.ready.total, inbox.waiting.total) == (2, 2)


def test_pages_count_and_words_in_sql(db: Database) -> None:
    ids = [_draft(db, f"Spielplatz Nummer {n:02}") for n in range(1, 6)]
    _draft(db, "Gebührensatzung Friedhof")
    with db.sessions() as session:
        town_id = session.scalars(select(Municipality.id).where(Municipality.key == "wetzlar")).one()
        first = submission_inbox(session, town_id, size=2).ready
        assert (first.total, first.pages, first.number, first.first, first.last) == (6, 3, 1, 1, 2)
        assert [p.id for p in first.items] == ids[:2]  # oldest change first
        third = submission_inbox(session, town_id, ready_page=3, size=2).ready
        assert [p.subject for p in third.items] == ["Spielplatz Nummer 05", "Gebührensatzung Friedhof"]
        past = submission_inbox(session, town_id, ready_page=99, size=2).ready
        assert (past.number, past.first, past.last) == (3, 5, 6)  # past the last page: the last page
        words = submission_inbox(session, town_id, text="nummer SPIELPLATZ 0", size=2).ready
        assert words.total == 5
        assert submission_inbox(session, town_id, text="friedhof satzung").ready.total == 1
        assert submission_inbox(session, town_id, text="100%_").ready.total == 0  # no LIKE wildcards
        assert submission_inbox(session, town_id, text="Spielplatz", size=2).waiting.total == 0
