"""Details of the OParl publication: term dates, modified stamps that follow changes, and file checksums."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, update

from tests.conftest import Database, _sqlite_copy
from tests.oparl.conftest import BASE, oparl_client
from tests.oparl.test_sync import everything
from tests.oparl.world import add_document
from tests.scenario import Scenario, berlin
from workflow import meetings
from workflow.db import downgrade, upgrade
from workflow.models import (
    AgendaItem,
    Consultation,
    ItemResult,
    Meeting,
    Membership,
    Paper,
    StoredFile,
)
from workflow.publication import depublish_paper
from workflow.rules import VoteInput
from workflow.vocabulary import Outcome


def test_a_legislative_term_starting_on_29_february_ends_on_28_february_five_years_on(
    sqlite_db: Database,
) -> None:
    sc = Scenario(sqlite_db.sessions)
    town_id = sc.town_id()
    leap_day = dt.date(2012, 2, 29)
    with sqlite_db.sessions.begin() as session:  # the term starts with its first membership
        session.execute(
            update(Membership).where(Membership.start_date < leap_day).values(start_date=leap_day)
        )
    with oparl_client(sqlite_db) as client:
        term = client.get(f"{BASE}/legislativeterm/{town_id}")
        body = client.get(f"{BASE}/body/{town_id}")
    assert term.status_code == 200, term.text
    assert term.json()["startDate"] == "2012-02-29"
    assert term.json()["endDate"] == "2017-02-28"
    assert body.status_code == 200
    assert body.json()["legislativeTerm"][0]["endDate"] == "2017-02-28"


def _agenda_of_three(db: Database) -> tuple[Scenario, list[int], list[int], int]:
    """Three public papers on one planned SJS agenda (after the Magistrat): paper ids, item ids, meeting."""
    sc = Scenario(db.sessions)
    papers = [
        sc.submitted_paper(committees=["sjs"], subject=f"Vorlage {n}", when="2014-01-10 10:00").id
        for n in (1, 2, 3)
    ]
    magistrat = sc.new_meeting("magistrat", "2014-01-20 09:00")
    for paper_id in papers:
        sc.schedule(paper_id, "magistrat", magistrat.id)
    sc.invite(magistrat.id)
    meeting = sc.new_meeting("sjs", "2014-02-10 17:00")
    items = [sc.schedule(paper_id, "sjs", meeting.id).id for paper_id in papers]
    return sc, papers, items, meeting.id


def test_withdrawing_the_first_item_raises_modified_of_the_items_whose_order_moves_up(
    db: Database,
) -> None:
    sc, papers, items, meeting_id = _agenda_of_three(db)
    town_id = sc.town_id()
    stamp = berlin("2014-01-25 12:00")
    with oparl_client(db) as client:
        before = everything(client, town_id)
        depublish_paper(db.sessions, actor="test", paper_id=papers[0], reason="Versehen", now=stamp)
        after = everything(client, town_id)
        since = everything(client, town_id, "&modified_since=" + quote(stamp.isoformat()))
    later = [f"{BASE}/agendaitem/{i}" for i in items[1:]]
    assert [before[url]["order"] for url in later] == [1, 2]
    assert [after[url]["order"] for url in later] == [0, 1]
    changed = {key for key in after if before.get(key) != after[key]}
    assert set(later) | {f"{BASE}/meeting/{meeting_id}"} <= changed
    assert changed <= set(since)
    assert all(since[key] == after[key] for key in changed)


def test_withdrawing_a_paper_leaves_the_internal_agenda_and_its_numbering_alone(db: Database) -> None:
    _, papers, items, meeting_id = _agenda_of_three(db)
    depublish_paper(
        db.sessions, actor="test", paper_id=papers[0], reason="Versehen", now=berlin("2014-01-25 12:00")
    )
    meetings.add_agenda_item(
        db.sessions, actor="test", meeting_id=meeting_id, title="Mitteilungen", now=berlin("2014-01-26 12:00")
    )
    with db.sessions() as s:
        agenda = list(
            s.scalars(
                select(AgendaItem).where(AgendaItem.meeting_id == meeting_id).order_by(AgendaItem.order)
            )
        )
    assert [(i.id, i.number, i.public) for i in agenda] == [
        (items[0], "Ö 1", True),
        (items[1], "Ö 2", True),
        (items[2], "Ö 3", True),
        (agenda[3].id, "Ö 4", True),
    ]


def test_a_new_pdf_raises_modified_of_its_docx_master_which_lists_it(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"], subject="Radweg", when="2014-01-10 10:00")
    master_id, _ = add_document(
        db.sessions, kind="vorlage", name="Vorlage Radweg", paper_id=paper.id, now=berlin("2014-01-11 09:00")
    )
    stamp = berlin("2014-01-15 09:00")
    with db.sessions.begin() as session:
        master = session.get_one(StoredFile, master_id)
        content = b"%PDF-1.7 neu gerendert"
        session.add(
            StoredFile(
                municipality_id=master.municipality_id,
                kind="vorlage",
                paper_id=paper.id,
                version=1,
                output_key="vorlage:neu:pdf",
                name="Vorlage Radweg",
                file_name="Vorlage Radweg (neu).pdf",
                media_type="application/pdf",
                size_bytes=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
                master_file_id=master_id,
                public=True,
                created_at=stamp,
                modified_at=stamp,
            )
        )
    with oparl_client(db) as client:
        answer = client.get(f"{BASE}/file/{master_id}").json()
        since = everything(client, sc.town_id(), "&modified_since=" + quote(stamp.isoformat()))
    assert len(answer["derivativeFile"]) == 2
    assert answer["modified"] == "2014-01-15T09:00:00+01:00"
    assert since[answer["id"]] == answer


def _wall_clock_stamps(db: Database) -> list[str]:
    late = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)  # every use case below runs in 2014/2015
    found = []
    with db.sessions() as s:
        for model in (Paper, Consultation, Meeting, AgendaItem, ItemResult):
            rows = s.execute(select(model.id, model.modified_at).where(model.modified_at > late))
            found += [f"{model.__name__} {row.id}: {row.modified_at}" for row in rows]
    return found


def test_under_an_injected_clock_no_wall_clock_stamp_lands_on_any_published_row(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"], subject="Vorlage", when="2014-12-01 10:00")
    assert _wall_clock_stamps(db) == []
    magistrat = sc.new_meeting("magistrat", "2015-01-05 09:00")
    sc.schedule(paper.id, "magistrat", magistrat.id)  # the paper goes into deliberation
    assert _wall_clock_stamps(db) == []
    sc.invite(magistrat.id)
    sc.attend(magistrat.id)
    item = sc.steps(paper.id)["magistrat"].agenda_item_id
    assert item is not None
    sc.record(item, Outcome.recommended, VoteInput(12, 0, 0))
    assert _wall_clock_stamps(db) == []
    sjs = sc.new_meeting("sjs", "2015-02-10 17:00")
    scheduled = berlin("2015-01-21 10:00")
    on_agenda = sc.schedule(paper.id, "sjs", sjs.id, when="2015-01-21 10:00")
    assert _wall_clock_stamps(db) == []
    with db.sessions() as s:
        assert s.get_one(Paper, paper.id).modified_at == scheduled
        assert s.get_one(Meeting, sjs.id).modified_at == scheduled
        assert s.get_one(AgendaItem, on_agenda.id).modified_at == scheduled
    sc.invite(sjs.id)
    sc.attend(sjs.id)
    sc.record(on_agenda.id, Outcome.recommended, VoteInput(9, 2, 0))
    assert _wall_clock_stamps(db) == []


def test_each_database_gives_the_checksum_of_its_own_file_under_the_same_id(
    sqlite_template: Path, tmp_path: Path
) -> None:
    checksums = []
    for n in (1, 2):
        (tmp_path / str(n)).mkdir()
        for db in _sqlite_copy(sqlite_template, tmp_path / str(n)):
            sc = Scenario(db.sessions)
            paper = sc.submitted_paper(subject=f"Vorlage {n}", when="2014-01-10 10:00")
            _, pdf_id = add_document(
                db.sessions,
                kind="vorlage",
                name=f"Datei {n}",
                paper_id=paper.id,
                now=berlin("2014-01-11 09:00"),
            )
            with oparl_client(db) as client:
                shown = client.get(f"{BASE}/file/{pdf_id}").json()["sha512Checksum"]
                content = client.get(f"{BASE}/file/{pdf_id}/access").content
            client.app.state.engine.dispose()  # type: ignore[attr-defined]
            with db.sessions() as s:
                stored = s.get_one(StoredFile, pdf_id).sha512
            assert shown == stored == hashlib.sha512(content).hexdigest()
            checksums.append((pdf_id, shown))
    assert checksums[0][0] == checksums[1][0]  # the same id in both databases
    assert checksums[0][1] != checksums[1][1]


def test_the_migration_fills_in_the_sha512_of_files_stored_before_it(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(subject="Vorlage", when="2014-01-10 10:00")
    ids = add_document(
        db.sessions, kind="vorlage", name="Alt", paper_id=paper.id, now=berlin("2014-01-11 09:00")
    )
    db.engine.dispose()
    downgrade(db.url, "0007")  # the revision before the sha512 column
    with db.engine.connect() as conn:
        assert "sha512" not in {c["name"] for c in sa_inspect(conn).get_columns("stored_file")}
    db.engine.dispose()
    upgrade(db.url)
    with db.sessions() as s:
        for file_id in ids:
            row = s.get_one(StoredFile, file_id)
            assert row.sha512 == hashlib.sha512(row.content).hexdigest()
