"""The Beschlussvorlage: the Wetzlar seed's layout, filled from the database, read back field by field."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import select

from gremienlauf import demo
from tests.conftest import Database
from tests.documents.conftest import NOW, Wetzlar, header_text, read_docx, rows, texts
from tests.scenario import Scenario, berlin
from workers.documents import DocumentKind, generate_document
from workflow import papers, planning
from workflow.models import Paper, StoredFile
from workflow.rules import VoteInput
from workflow.vocabulary import DOCX_MEDIA_TYPE, Outcome, PaperKind

WETZLAR_BERATUNGSFOLGE = [
    ["Gremium", "Sitzungsdatum", "TOP", "Abst. Ergebnis"],
    # The Magistrat dealt with it in a non-public item: the published Vorlage keeps body and date only.
    ["Magistrat", "30.09.2013", "", ""],
    [
        "Sozial-, Jugend- und Sportausschuss",
        "28.10.2013",
        "Ö 2",
        "Zustimmung empfohlen (9 Ja / 2 Nein / 1 Enthaltung)",
    ],
    [
        "Kultur-, Freizeit- und Partnerschaftsausschuss",
        "28.10.2013",
        "Ö 3",
        "Zustimmung empfohlen (einstimmig)",
    ],
    [
        "Finanz- und Wirtschaftsausschuss",
        "12.11.2013",
        "Ö 1",
        "Zustimmung empfohlen (8 Ja / 3 Nein / 2 Enthaltungen)",
    ],
    ["Stadtverordnetenversammlung", "27.11.2013", "Ö 2", "beschlossen (38 Ja / 10 Nein / 7 Enthaltungen)"],
]


def test_wetzlar_vorlage_has_the_seed_header_beratungsfolge_and_blocks(wetzlar: Wetzlar) -> None:
    with wetzlar.db.session() as s:
        stored = generate_document(
            s, kind=DocumentKind.VORLAGE, subject_id=wetzlar.paper_id, output_key="vorlage:seed", now=NOW
        )
        s.commit()
    doc = read_docx(stored.content)
    paragraphs = texts(doc)
    assert header_text(doc) == "Stadt Wetzlar"
    assert paragraphs[0] == "BESCHLUSSVORLAGE"
    assert rows(doc, 0) == [
        ["Fachamt/Antragsteller/in", "Datum", "Drucksachen-Nr.: - AZ:"],
        [
            "Koordinationsbüro für Sozialplanung, Jugendförderung und Projektmanagement",
            "12.07.2013",
            "1562/13 - I/351",
        ],
    ]
    assert rows(doc, 1) == WETZLAR_BERATUNGSFOLGE
    # The blocks of the seed, in its order: Betreff, Anlage/n, Beschluss, place and signature, Begründung.
    betreff = paragraphs.index("Betreff:")
    assert paragraphs[betreff + 1].startswith(
        "Integriertes Handlungskonzept zur Integration von Menschen mit"
    )
    assert doc.paragraphs[betreff + 1].runs[0].bold
    assert paragraphs[paragraphs.index("Anlage/n:") + 1] == "Handlungskonzept"
    beschluss = paragraphs.index("Beschluss:")
    assert paragraphs[beschluss + 1 : beschluss + 3] == [demo.WETZLAR_RESOLUTION, ""]
    assert paragraphs[paragraphs.index("Betreff:") + 1] == demo.WETZLAR_SUBJECT
    signed = paragraphs.index("Wetzlar, den 10.09.2013")
    assert paragraphs[signed + 2 : signed + 4] == ["Wolfram Dette", "Oberbürgermeister"]
    begruendung = paragraphs.index("Begründung:")
    assert betreff < paragraphs.index("Anlage/n:") < beschluss < signed < begruendung
    # The justification keeps its paragraphs, and nothing follows it.
    assert paragraphs[begruendung + 1 :] == demo.WETZLAR_JUSTIFICATION.split("\n\n")
    assert "Entwurf – noch nicht eingereicht" not in paragraphs
    assert "Nicht öffentlich" not in paragraphs
    assert stored.file_name == "Beschlussvorlage 1562-13.docx"
    assert stored.name == "Beschlussvorlage 1562/13"
    assert stored.media_type == DOCX_MEDIA_TYPE
    assert stored.public is True
    assert stored.paper_id == wetzlar.paper_id
    assert stored.meeting_id is None


def test_the_same_output_key_returns_the_stored_row_unchanged(wetzlar: Wetzlar) -> None:
    with wetzlar.db.session() as s:
        first = generate_document(
            s, kind=DocumentKind.VORLAGE, subject_id=wetzlar.paper_id, output_key="vorlage:twice", now=NOW
        )
        s.commit()
        again = generate_document(
            s,
            kind=DocumentKind.VORLAGE,
            subject_id=wetzlar.paper_id,
            output_key="vorlage:twice",
            now=NOW + dt.timedelta(days=1),
        )
        s.commit()
        count = len(s.scalars(select(StoredFile).where(StoredFile.output_key == "vorlage:twice")).all())
    assert again.id == first.id
    assert again.created_at == first.created_at
    assert count == 1


def test_the_beratungsfolge_table_fills_as_results_arrive_and_each_rendering_is_a_new_version(
    db: Database,
) -> None:
    run = Scenario(db.sessions)
    # Non-public: its Vorlage is internal and shows the Magistrat's non-public TOP and result too.
    paper = run.submitted_paper(committees=["sjs"], subject="Spielplatz Am Stoppelberg", public=False)

    def vorlage(key: str) -> StoredFile:
        with db.session() as s:
            row = generate_document(
                s, kind=DocumentKind.VORLAGE, subject_id=paper.id, output_key=key, now=NOW
            )
            s.commit()
            return row

    before = vorlage("before")
    table = rows(read_docx(before.content), 1)
    assert [r[0] for r in table[1:]] == [
        "Magistrat",
        "Sozial-, Jugend- und Sportausschuss",
        "Stadtverordnetenversammlung",
    ]
    assert all(r[1:] == ["", "", ""] for r in table[1:])

    item = run.deal_with(paper.id, "magistrat", "2013-09-30 09:00", Outcome.recommended, VoteInput(7, 0, 0))
    after = vorlage("after")
    table = rows(read_docx(after.content), 1)
    assert table[1] == [
        "Magistrat",
        "30.09.2013",
        run.item(item.id).number,
        "Zustimmung empfohlen (einstimmig)",
    ]
    assert table[2][1:] == ["", "", ""]
    assert (before.version, after.version) == (1, 2)
    assert before.sha256 != after.sha256
    assert after.size_bytes == len(after.content)


def test_a_public_vorlage_hides_top_and_result_of_a_non_public_item_and_shows_those_of_a_public_one(
    db: Database,
) -> None:
    run = Scenario(db.sessions)
    paper = run.submitted_paper(committees=["sjs"], subject="Bolzplatz")
    magistrat = run.deal_with(
        paper.id, "magistrat", "2013-09-30 09:00", Outcome.recommended, VoteInput(7, 0, 0)
    )
    sjs = run.deal_with(paper.id, "sjs", "2013-10-28 17:00", Outcome.recommended, VoteInput(5, 1, 0))
    assert not run.item(magistrat.id).public
    assert run.item(sjs.id).public
    with db.session() as s:
        stored = generate_document(
            s, kind=DocumentKind.VORLAGE, subject_id=paper.id, output_key="pub", now=NOW
        )
        s.commit()
    table = rows(read_docx(stored.content), 1)
    assert table[1] == ["Magistrat", "30.09.2013", "", ""]
    assert table[2] == [
        "Sozial-, Jugend- und Sportausschuss",
        "28.10.2013",
        run.item(sjs.id).number,
        "Zustimmung empfohlen (5 Ja / 1 Nein / 0 Enthaltungen)",
    ]
    assert stored.public is True


def test_rendering_the_same_data_twice_gives_the_same_bytes(wetzlar: Wetzlar) -> None:
    with wetzlar.db.session() as s:
        one = generate_document(
            s, kind=DocumentKind.VORLAGE, subject_id=wetzlar.paper_id, output_key="same:1", now=NOW
        )
        two = generate_document(
            s, kind=DocumentKind.VORLAGE, subject_id=wetzlar.paper_id, output_key="same:2", now=NOW
        )
        s.rollback()
    assert one.sha256 == two.sha256
    assert one.content == two.content


USER_SUBJECT = "Kita „Sonnenschein“ & Jugendhaus <Nord> – \"Dach\" 'neu' – Äpfel, Öl, Übermut, Straße"
USER_RESOLUTION = (
    "Erste Zeile & mehr\nZweite Zeile <b>nicht fett</b>\n\nZweiter Absatz: 5 > 3 \u0007\u000b\u0000"
)
USER_JUSTIFICATION = (
    "Satz mit ]]> und &amp; und {{ keine_variable }} und {% if %}.\r\n\r\nNoch ein Absatz\tmit Tab."
)


def test_user_text_with_ampersands_brackets_quotes_umlauts_and_newlines_comes_out_intact(
    db: Database,
) -> None:
    paper = papers.draft_paper(
        db.sessions,
        actor="test",
        municipality="wetzlar",
        kind=PaperKind.beschlussvorlage,
        department="kbs",
        subject=USER_SUBJECT,
        paper_date=dt.date(2013, 7, 12),
        file_reference="I/351 & <2>",
        proposed_resolution=USER_RESOLUTION.replace("\u0000", ""),  # NUL is refused at input already
        justification=USER_JUSTIFICATION,
        attachments=[papers.AttachmentInput(title="Plan „A“ & <B>")],
        public=False,
        now=berlin("2013-07-12 10:00"),
    )
    with db.session() as s:
        stored = generate_document(s, kind=DocumentKind.VORLAGE, subject_id=paper.id, output_key="k", now=NOW)
        s.commit()
    doc = read_docx(stored.content)
    paragraphs = texts(doc)
    assert paragraphs[paragraphs.index("Betreff:") + 1] == USER_SUBJECT
    assert paragraphs[paragraphs.index("Anlage/n:") + 1] == "Plan „A“ & <B>"
    beschluss = paragraphs.index("Beschluss:")
    # A single line break stays a line break inside the paragraph; an empty line starts a new paragraph;
    # control characters XML cannot carry are dropped.
    assert paragraphs[beschluss + 1] == "Erste Zeile & mehr\nZweite Zeile <b>nicht fett</b>"
    assert paragraphs[beschluss + 2] == "Zweiter Absatz: 5 > 3 "
    begruendung = paragraphs.index("Begründung:")
    assert paragraphs[begruendung + 1] == "Satz mit ]]> und &amp; und {{ keine_variable }} und {% if %}."
    assert paragraphs[begruendung + 2] == "Noch ein Absatz\tmit Tab."
    assert rows(doc, 0)[1][2] == "I/351 & <2>"  # no reference yet: a draft has no Drucksachen-Nr.
    # A draft of a non-public paper says so, and its document is not public.
    assert "Entwurf – noch nicht eingereicht" in paragraphs
    assert "Nicht öffentlich" in paragraphs
    assert stored.public is False
    assert stored.name == f"Beschlussvorlage (Entwurf {paper.id})"
    assert stored.file_name == f"Beschlussvorlage (Entwurf {paper.id}).docx"


def test_a_public_paper_in_draft_is_not_published_until_submitted(db: Database) -> None:
    paper = papers.draft_paper(
        db.sessions,
        actor="test",
        municipality="wetzlar",
        kind=PaperKind.beschlussvorlage,
        department="kbs",
        subject="Öffentlich, sobald eingereicht",
        paper_date=dt.date(2013, 9, 10),
        proposed_resolution="Der Beschlussvorschlag.",
        public=True,
        now=berlin("2013-09-10 10:00"),
    )

    def vorlage(key: str) -> StoredFile:
        with db.session() as s:
            row = generate_document(
                s, kind=DocumentKind.VORLAGE, subject_id=paper.id, output_key=key, now=NOW
            )
            s.commit()
            return row

    draft = vorlage("p:draft")
    assert (draft.public, draft.draft) == (False, True)
    assert "Entwurf – noch nicht eingereicht" in texts(read_docx(draft.content))
    planning.plan_consultations(
        db.sessions,
        actor="test",
        paper_id=paper.id,
        committees=(),
        decided_by=None,
        now=berlin("2013-09-10 11:00"),
    )
    submitted = papers.submit_paper(
        db.sessions, actor="test", paper_id=paper.id, now=berlin("2013-09-10 11:00")
    )
    published = vorlage("p:submitted")
    assert (published.public, published.draft, published.version) == (True, False, 2)
    assert "Entwurf – noch nicht eingereicht" not in texts(read_docx(published.content))
    assert submitted.reference is not None
    assert published.file_name == f"Beschlussvorlage {submitted.reference.replace('/', '-')}.docx"


def test_an_output_key_too_long_for_its_pdf_key_is_refused(db: Database) -> None:
    run = Scenario(db.sessions)
    paper = run.submitted_paper()
    with db.session() as s, pytest.raises(ValueError, match="output_key must have 1 to 196 characters"):
        generate_document(s, kind=DocumentKind.VORLAGE, subject_id=paper.id, output_key="k" * 197, now=NOW)


@pytest.mark.postgres
def test_two_workers_on_one_paper_take_turns_and_a_redelivered_task_gets_the_first_row(pg: Database) -> None:
    """Worker A renders and holds its transaction open; B, with the same output_key, waits for A's commit and
    then returns A's row; C, with another key, waits too and takes the next version."""
    run = Scenario(pg.sessions)
    paper = run.submitted_paper()
    results: dict[str, tuple[int, int]] = {}

    def worker(name: str, key: str) -> None:
        with pg.session() as s:
            row = generate_document(
                s, kind=DocumentKind.VORLAGE, subject_id=paper.id, output_key=key, now=NOW
            )
            s.commit()
            results[name] = (row.id, row.version)

    with pg.session() as a:
        first = generate_document(
            a, kind=DocumentKind.VORLAGE, subject_id=paper.id, output_key="same", now=NOW
        )
        others = [
            threading.Thread(target=worker, args=("B", "same")),
            threading.Thread(target=worker, args=("C", "other")),
        ]
        for thread in others:
            thread.start()
        time.sleep(0.5)
        assert results == {}  # both wait for A: the paper row is locked until A commits
        a.commit()
        for thread in others:
            thread.join(timeout=30)
    assert results["B"] == (first.id, 1)
    assert results["C"][1] == 2
    with pg.session() as s:
        assert len(s.scalars(select(StoredFile).where(StoredFile.paper_id == paper.id)).all()) == 2


@pytest.mark.postgres
def test_a_worker_waiting_for_the_lock_renders_what_the_holder_committed_not_what_it_saw_before(
    pg: Database,
) -> None:
    """A renders version 1 and changes the subject in the same open transaction; B starts meanwhile and
    must, once A commits, render version 2 from the committed subject (not from what it could read before)."""
    run = Scenario(pg.sessions)
    paper = run.submitted_paper(subject="Alter Betreff")
    results: dict[str, StoredFile] = {}

    def worker() -> None:
        with pg.session() as s:
            seen = s.get_one(Paper, paper.id)  # loaded before the lock, and kept in the session
            assert seen.subject == "Alter Betreff"
            results["B"] = generate_document(
                s, kind=DocumentKind.VORLAGE, subject_id=paper.id, output_key="b", now=NOW
            )
            s.commit()

    with pg.session() as a:
        generate_document(a, kind=DocumentKind.VORLAGE, subject_id=paper.id, output_key="a", now=NOW)
        row = a.get(Paper, paper.id)
        assert row is not None
        row.subject = "Neuer Betreff"
        a.flush()
        other = threading.Thread(target=worker)
        other.start()
        time.sleep(0.5)
        assert results == {}
        a.commit()
        other.join(timeout=30)
    paragraphs = texts(read_docx(results["B"].content))
    assert results["B"].version == 2
    assert paragraphs[paragraphs.index("Betreff:") + 1] == "Neuer Betreff"


def test_a_signatory_without_a_signing_date_gives_the_place_without_a_dangling_den(db: Database) -> None:
    paper = papers.draft_paper(
        db.sessions,
        actor="test",
        municipality="wetzlar",
        kind=PaperKind.beschlussvorlage,
        department="kbs",
        subject="Noch nicht gezeichnet",
        paper_date=dt.date(2013, 7, 12),
        signatory="dette",
        public=True,
        now=berlin("2013-07-12 10:00"),
    )
    with db.session() as s:
        stored = generate_document(s, kind=DocumentKind.VORLAGE, subject_id=paper.id, output_key="s", now=NOW)
        s.commit()
    paragraphs = texts(read_docx(stored.content))
    signed = paragraphs.index("Wetzlar")
    assert paragraphs[signed + 2 : signed + 4] == ["Wolfram Dette", "Oberbürgermeister"]
    assert not any(p.endswith(", den ") or p.endswith(", den") for p in paragraphs)
