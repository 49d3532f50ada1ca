"""The invitation, the minutes and the resolution extract, read back field by field."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gremienlauf import demo
from tests.conftest import Database
from tests.documents.conftest import NOW, Wetzlar, header_text, read_docx, rows, texts
from tests.scenario import Scenario
from workers.documents import DocumentKind, generate_document
from workers.documents.contexts import SECOND_SESSION_ITEMS_NOTICE, SECOND_SESSION_NOTICE, body_genitive
from workflow import meetings, quorum
from workflow.models import Faction, Membership, Person, StoredFile
from workflow.rules import VoteInput
from workflow.vocabulary import MembershipRole, Outcome

AGENDA_HEADER = ["TOP", "Gegenstand", "Drucksache", "Hinweis"]
SUBJECT = "Integriertes Handlungskonzept zur Integration von Menschen mit Migrationshintergrund in der Stadt Wetzlar"


def generate(db: Database, kind: DocumentKind, subject_id: int, key: str) -> StoredFile:
    with db.session() as s:
        row = generate_document(s, kind=kind, subject_id=subject_id, output_key=key, now=NOW)
        s.commit()
        return row


def test_the_invitation_of_the_magistrat_lists_its_agenda_in_the_non_public_part_only(
    wetzlar: Wetzlar,
) -> None:
    stored = generate(wetzlar.db, DocumentKind.INVITATION, wetzlar.meetings["magistrat"], "inv:mag")
    doc = read_docx(stored.content)
    paragraphs = texts(doc)
    assert header_text(doc) == "Stadt Wetzlar"
    assert paragraphs[:4] == [
        "Einladung",
        "Magistrat",
        "Sitzung am Montag, 30.09.2013, um 09:00 Uhr",
        "Ort: Neues Rathaus, Magistratssaal",
    ]
    public_part = paragraphs.index("Öffentlicher Teil")
    assert paragraphs[public_part + 1] == "keine Tagesordnungspunkte"
    assert "Nichtöffentlicher Teil" in paragraphs
    assert rows(doc, 0) == [
        AGENDA_HEADER,
        ["N 1", "Eröffnung, Feststellung der Beschlussfähigkeit", "", ""],
        ["N 2", SUBJECT, "1562/13", ""],
    ]
    assert "Wetzlar, den 20.09.2013" in paragraphs  # the day it was sent
    assert paragraphs[-2:] == ["Wolfram Dette", "Vorsitz"]
    assert "Entwurf – die Einladung ist noch nicht versandt" not in paragraphs
    # Non-public agenda items are never published.
    assert stored.public is False
    assert stored.meeting_id == wetzlar.meetings["magistrat"]
    assert stored.name == "Einladung Magistrat 30.09.2013"
    assert stored.file_name == "Einladung Magistrat 30.09.2013.docx"


def test_an_urgent_invitation_says_the_notice_period_was_shortened_and_why(wetzlar: Wetzlar) -> None:
    stored = generate(wetzlar.db, DocumentKind.INVITATION, wetzlar.meetings["fwa"], "inv:fwa")
    doc = read_docx(stored.content)
    assert (
        "Die Ladungsfrist ist wegen Dringlichkeit abgekürzt. "
        "Grund: Haushaltsrelevanz; Beschluss der StVV im November erforderlich"
    ) in texts(doc)
    assert rows(doc, 0) == [AGENDA_HEADER, ["Ö 1", SUBJECT, "1562/13", ""]]
    assert "Nichtöffentlicher Teil" not in texts(doc)
    assert stored.public is True


def test_an_invitation_before_it_is_sent_is_a_draft_and_not_public(db: Database) -> None:
    run = Scenario(db.sessions)
    meeting = run.new_meeting("sjs", "2013-10-28 17:00")
    meetings.add_agenda_item(
        db.sessions,
        actor="test",
        meeting_id=meeting.id,
        title="Mitteilungen",
        now=meeting.start - dt.timedelta(days=20),
    )
    stored = generate(db, DocumentKind.INVITATION, meeting.id, "inv:draft")
    assert "Entwurf – die Einladung ist noch nicht versandt" in texts(read_docx(stored.content))
    assert stored.public is False


def test_a_second_session_after_a_failed_quorum_says_so_expressly(db: Database) -> None:
    run = Scenario(db.sessions)
    meeting = run.new_meeting("sjs", "2013-10-28 17:00", second_session=True)
    paper = run.submitted_paper(committees=["sjs"])
    run.schedule(paper.id, "sjs", meeting.id)
    run.invite(meeting.id)
    paragraphs = texts(read_docx(generate(db, DocumentKind.INVITATION, meeting.id, "inv:second").content))
    assert SECOND_SESSION_NOTICE in paragraphs
    assert SECOND_SESSION_ITEMS_NOTICE not in paragraphs


def test_items_deferred_for_lack_of_quorum_are_marked_on_the_next_invitation(db: Database) -> None:
    run = Scenario(db.sessions)
    paper = run.submitted_paper(committees=["sjs"])
    run.deal_with(paper.id, "magistrat", "2013-09-30 09:00", Outcome.recommended, VoteInput(7, 0, 0))
    first = run.new_meeting("sjs", "2013-10-28 17:00")
    item = run.schedule(paper.id, "sjs", first.id)
    run.invite(first.id)
    members = run.members("sjs")
    run.attend(first.id, present=members[:2])
    run.record(item.id, Outcome.deferred, quorum_failed=True)
    second = run.new_meeting("sjs", "2013-11-11 17:00")
    again = run.schedule(paper.id, "sjs", second.id)
    run.invite(second.id)
    doc = read_docx(generate(db, DocumentKind.INVITATION, second.id, "inv:items").content)
    assert SECOND_SESSION_ITEMS_NOTICE in texts(doc)
    assert rows(doc, 0)[1] == [run.item(again.id).number, "Testvorlage", run.paper(paper.id).reference, "*"]


def test_the_minutes_state_the_quorum_established_at_the_opening_and_its_lack(db: Database) -> None:
    """§ 53 Abs. 1 HGO: the minutes show when the quorum was established and when its lack was."""
    run = Scenario(db.sessions)
    meeting = run.new_meeting("magistrat", "2013-09-30 09:00")
    items = [run.schedule(run.submitted_paper(subject=s).id, "magistrat", meeting.id) for s in ("A", "B")]
    run.invite(meeting.id)
    run.attend(meeting.id, establish_quorum=False)
    start = run.meeting(meeting.id).start
    quorum.establish_quorum(db.sessions, actor="Vorsitz", meeting_id=meeting.id, body="magistrat", now=start)
    quorum.establish_lack_of_quorum(
        db.sessions,
        actor="Vorsitz",
        meeting_id=meeting.id,
        body="magistrat",
        from_item_id=items[1].id,
        now=start + dt.timedelta(hours=1, minutes=5),
    )
    paragraphs = texts(read_docx(generate(db, DocumentKind.MINUTES, meeting.id, "min:quorum").content))
    assert (
        "Um 09:00 Uhr wurde die Beschlussfähigkeit festgestellt (12 stimmberechtigte Mitglieder anwesend, nötig 6)."
        in paragraphs
    )
    assert f"Um 10:05 Uhr wurde die Beschlussunfähigkeit ab TOP {items[1].number} festgestellt." in paragraphs


def test_the_minutes_record_attendance_votes_recusals_and_the_resolution(wetzlar: Wetzlar) -> None:
    stored = generate(wetzlar.db, DocumentKind.MINUTES, wetzlar.meetings["stvv"], "min:stvv")
    doc = read_docx(stored.content)
    paragraphs = texts(doc)
    assert paragraphs[:5] == [
        "Niederschrift",
        "über die Sitzung der Stadtverordnetenversammlung am 27.11.2013",
        "Gremium: Stadtverordnetenversammlung",
        "Datum: 27.11.2013, Beginn: 18:00 Uhr",
        "Ort: Stadthalle Wetzlar",
    ]
    assert "Entwurf – die Niederschrift ist noch nicht genehmigt" in paragraphs
    present = paragraphs[paragraphs.index("Anwesend:") + 1 : paragraphs.index("Entschuldigt oder abwesend:")]
    absent = paragraphs[
        paragraphs.index("Entschuldigt oder abwesend:") + 1 : paragraphs.index("Öffentlicher Teil")
    ]
    assert "Martin Böhm (Vorsitz)" in present
    assert not any("Vertretung für" in line for line in absent)  # substitutes not needed are not missing
    assert len(absent) >= 3  # the demo leaves three members of the StVV away
    assert not set(present) & set(absent)
    top = paragraphs.index(f"TOP Ö 2: {SUBJECT}")
    block = paragraphs[top : top + 15]
    assert block[1] == "Drucksache 1562/13"
    assert block[2].startswith("Befangen, nicht an Beratung und Abstimmung beteiligt: ")
    assert block[3] == "Abstimmung (Beschlussvorschlag): 38 Ja / 10 Nein / 7 Enthaltungen"
    assert "SPD: 19 Ja / 0 Nein / 0 Enthaltungen" in block
    assert "Grüne: 0 Ja / 10 Nein / 0 Enthaltungen" in block
    assert "Namentlich vermerkt, Ja: Martin Böhm" in block
    result = block.index("Ergebnis: beschlossen")
    # Adopted as proposed: the proposed resolution is the resolution.
    assert block[result + 1 : result + 3] == ["Beschluss:", demo.WETZLAR_RESOLUTION]
    # The opening item has no paper and so no result line.
    opening = paragraphs.index("TOP Ö 1: Eröffnung, Feststellung der Beschlussfähigkeit")
    assert paragraphs[opening + 1] == f"TOP Ö 2: {SUBJECT}"
    assert rows(doc, 0) == [["Martin Böhm", ""], ["Vorsitz", "Schriftführung"]]
    assert stored.public is False  # not approved yet: the draft minutes are internal


def test_a_joint_committee_meeting_prints_a_recommendation_per_committee(wetzlar: Wetzlar) -> None:
    paragraphs = texts(
        read_docx(generate(wetzlar.db, DocumentKind.MINUTES, wetzlar.meetings["sjs"], "min:j").content)
    )
    assert paragraphs[1] == (
        "über die gemeinsame Sitzung des Sozial-, Jugend- und Sportausschusses und des Kultur-, Freizeit- "
        "und Partnerschaftsausschusses am 28.10.2013"
    )
    assert (
        paragraphs[2]
        == "Gremium: Sozial-, Jugend- und Sportausschuss und Kultur-, Freizeit- und Partnerschaftsausschuss"
    )
    assert paragraphs.count("Ergebnis: Zustimmung empfohlen") == 2
    assert paragraphs.count("Beschlussempfehlung:") == 2
    assert "Abstimmung (Beschlussvorschlag): 9 Ja / 2 Nein / 1 Enthaltung" in paragraphs
    assert "Abstimmung (Beschlussvorschlag): einstimmig" in paragraphs


def test_approved_minutes_are_no_longer_a_draft(db: Database) -> None:
    run = Scenario(db.sessions)
    paper = run.submitted_paper(committees=["sjs"])
    run.deal_with(paper.id, "magistrat", "2013-09-30 09:00", Outcome.recommended, VoteInput(7, 0, 0))
    item = run.deal_with(paper.id, "sjs", "2013-10-28 17:00", Outcome.recommended, VoteInput(5, 1, 0))
    meeting_id = run.item(item.id).meeting_id
    draft_row = generate(db, DocumentKind.MINUTES, meeting_id, "min:1")
    draft = texts(read_docx(draft_row.content))
    meetings.approve_minutes(db.sessions, actor="test", meeting_id=meeting_id, now=NOW)
    approved = generate(db, DocumentKind.MINUTES, meeting_id, "min:2")
    assert "Entwurf – die Niederschrift ist noch nicht genehmigt" in draft
    assert "Entwurf – die Niederschrift ist noch nicht genehmigt" not in texts(read_docx(approved.content))
    assert approved.version == 2
    # Published only once approved (every item of this meeting is public).
    assert run.item(item.id).public
    assert draft_row.public is False
    assert approved.public is True


def test_the_resolution_extract_goes_to_the_department_with_the_resolution(wetzlar: Wetzlar) -> None:
    stored = generate(wetzlar.db, DocumentKind.RESOLUTION_EXTRACT, wetzlar.items["stvv"], "ext:stvv")
    paragraphs = texts(read_docx(stored.content))
    assert paragraphs[:4] == [
        "Beschlussauszug",
        "aus der Niederschrift über die Sitzung der Stadtverordnetenversammlung am 27.11.2013",
        "Gremium: Stadtverordnetenversammlung",
        "An: Koordinationsbüro für Sozialplanung, Jugendförderung und Projektmanagement",
    ]
    assert paragraphs[4:8] == [
        f"TOP Ö 2: {SUBJECT}",
        f"Drucksache 1562/13: {SUBJECT}",
        "Abstimmung (Beschlussvorschlag): 38 Ja / 10 Nein / 7 Enthaltungen",
        "Ergebnis: beschlossen",
    ]
    assert paragraphs[8] == "Beschluss:"
    assert paragraphs[9].startswith("Die Integrationsarbeit der Stadt Wetzlar")
    assert "Wetzlar, den 02.12.2013" in paragraphs
    assert (stored.agenda_item_id, stored.meeting_id, stored.paper_id) == (
        wetzlar.items["stvv"],
        wetzlar.meetings["stvv"],
        wetzlar.paper_id,
    )
    assert stored.name == "Beschlussauszug 1562/13 Stadtverordnetenversammlung 27.11.2013 TOP Ö 2"
    assert stored.file_name == "Beschlussauszug 1562-13 Stadtverordnetenversammlung 27.11.2013 TOP Ö 2.docx"
    assert stored.public is True


def test_the_extract_of_a_non_public_item_is_not_public(wetzlar: Wetzlar) -> None:
    stored = generate(wetzlar.db, DocumentKind.RESOLUTION_EXTRACT, wetzlar.items["magistrat"], "ext:mag")
    assert texts(read_docx(stored.content))[4] == f"TOP N 2: {SUBJECT}"
    assert stored.public is False


TRICKY = "Änderung: „A“ & <B> \"C\" 'D'\nzweite Zeile\n\nZweiter Absatz > erster"


def test_user_text_in_agenda_titles_reasons_and_resolutions_comes_out_intact(db: Database) -> None:
    run = Scenario(db.sessions)
    paper = run.submitted_paper(committees=["sjs"], subject="Straße & Brücke <Süd>")
    meeting = run.new_meeting("magistrat", "2013-09-30 09:00")
    meetings.add_agenda_item(
        db.sessions,
        actor="test",
        meeting_id=meeting.id,
        title="Mitteilungen & Anfragen <kurz>",
        now=NOW - dt.timedelta(days=90),
    )
    item = run.schedule(paper.id, "magistrat", meeting.id)
    meetings.invite_meeting(
        db.sessions,
        actor="test",
        meeting_id=meeting.id,
        urgent=True,
        urgent_reason="Frist & Haushalt <2014>",
        now=meeting.start - dt.timedelta(days=2),
    )
    run.attend(meeting.id)
    run.record(item.id, Outcome.recommended_amended, VoteInput(7, 0, 0), resolution_text=TRICKY)

    invitation = read_docx(generate(db, DocumentKind.INVITATION, meeting.id, "inv").content)
    assert "Die Ladungsfrist ist wegen Dringlichkeit abgekürzt. Grund: Frist & Haushalt <2014>" in texts(
        invitation
    )
    titles = [row[1] for row in rows(invitation, 0)[1:]]
    assert titles == ["Mitteilungen & Anfragen <kurz>", "Straße & Brücke <Süd>"]

    minutes = texts(read_docx(generate(db, DocumentKind.MINUTES, meeting.id, "min").content))
    label = minutes.index("Beschlussempfehlung:")
    assert minutes[label + 1 : label + 3] == [
        "Änderung: „A“ & <B> \"C\" 'D'\nzweite Zeile",
        "Zweiter Absatz > erster",
    ]

    extract = texts(read_docx(generate(db, DocumentKind.RESOLUTION_EXTRACT, item.id, "ext").content))
    assert "Ergebnis: mit Änderungen empfohlen" in extract
    label = extract.index("Beschlussempfehlung:")
    assert extract[label + 1 : label + 3] == [
        "Änderung: „A“ & <B> \"C\" 'D'\nzweite Zeile",
        "Zweiter Absatz > erster",
    ]


def test_attendance_notes_follow_the_memberships_active_on_the_meeting_day(db: Database) -> None:
    """One member changed faction before the meeting, another was a substitute until then and is a member
    now: the minutes print today's faction, and list the absent new member as absent."""
    run = Scenario(db.sessions)
    paper = run.submitted_paper(committees=["sjs"])
    run.deal_with(paper.id, "magistrat", "2013-09-30 09:00", Outcome.recommended, VoteInput(7, 0, 0))
    switcher = run.members("sjs")[-1]
    former_substitute = run.substitutes("sjs")[0][0]
    with db.session() as s:
        old = s.scalars(
            select(Membership).where(
                Membership.person_id == switcher, Membership.body_id == run.body_id("sjs")
            )
        ).one()
        new_faction = s.scalars(
            select(Faction)
            .where(Faction.municipality_id == s.get_one(Person, switcher).municipality_id)
            .where(Faction.id != old.faction_id)
            .order_by(Faction.id)
        ).first()
        assert new_faction is not None
        substitute = s.scalars(
            select(Membership).where(
                Membership.person_id == former_substitute, Membership.body_id == run.body_id("sjs")
            )
        ).one()
        for ended in (old, substitute):
            ended.end_date = dt.date(2013, 9, 30)
        s.add_all(
            [
                Membership(
                    body_id=old.body_id,
                    person_id=switcher,
                    role=old.role,
                    voting_right=True,
                    faction_id=new_faction.id,
                    start_date=dt.date(2013, 10, 1),
                ),
                Membership(
                    body_id=substitute.body_id,
                    person_id=former_substitute,
                    role=MembershipRole.member.value,
                    voting_right=True,
                    faction_id=substitute.faction_id,
                    start_date=dt.date(2013, 10, 1),
                ),
            ]
        )
        s.commit()
        new_faction_name = new_faction.short_name
        substitute_name = s.get_one(Person, former_substitute).name
        switcher_name = s.get_one(Person, switcher).name
    meeting = run.new_meeting("sjs", "2013-10-28 17:00")
    item = run.schedule(paper.id, "sjs", meeting.id)
    run.invite(meeting.id)
    run.attend(meeting.id, present=[p for p in run.members("sjs") if p != former_substitute])
    run.record(item.id, Outcome.recommended, VoteInput(5, 1, 0))
    paragraphs = texts(read_docx(generate(db, DocumentKind.MINUTES, meeting.id, "min:dates").content))
    present = paragraphs[paragraphs.index("Anwesend:") + 1 : paragraphs.index("Entschuldigt oder abwesend:")]
    absent = paragraphs[
        paragraphs.index("Entschuldigt oder abwesend:") + 1 : paragraphs.index("Öffentlicher Teil")
    ]
    assert f"{switcher_name} ({new_faction_name})" in present
    mine = [line for line in absent if line == substitute_name or line.startswith(f"{substitute_name} (")]
    assert len(mine) == 1, absent
    assert "Vertretung für" not in mine[0]


def test_a_cancelled_invitation_does_not_invite(db: Database) -> None:
    run = Scenario(db.sessions)
    paper = run.submitted_paper(committees=["sjs"])
    meeting = run.new_meeting("magistrat", "2013-09-30 09:00")
    run.schedule(paper.id, "magistrat", meeting.id)
    run.invite(meeting.id)
    meetings.cancel_meeting(
        db.sessions, actor="test", meeting_id=meeting.id, reason="Erkrankung des Vorsitzes", now=NOW
    )
    paragraphs = texts(read_docx(generate(db, DocumentKind.INVITATION, meeting.id, "inv:cancel").content))
    assert "Die Sitzung ist abgesagt. Erkrankung des Vorsitzes" in paragraphs
    assert "zu der oben genannten Sitzung lade ich Sie ein." not in paragraphs
    assert "die oben genannte Sitzung findet nicht statt." in paragraphs


@pytest.mark.parametrize(
    ("name", "genitive"),
    [
        ("Stadtverordnetenversammlung", "der Stadtverordnetenversammlung"),
        ("Magistrat", "des Magistrats"),
        ("Sozial-, Jugend- und Sportausschuss", "des Sozial-, Jugend- und Sportausschusses"),
        ("Haupt- und Finanzausschuss", "des Haupt- und Finanzausschusses"),
        (
            "Ausschuss für Soziales, Integration und Gesundheit",
            "des Ausschusses für Soziales, Integration und Gesundheit",
        ),
        ("Rat der Stadt Duisburg", "des Rats der Stadt Duisburg"),
        ("Verwaltungsausschuss", "des Verwaltungsausschusses"),
        ("Ortsbeirat Nauborn", "des Ortsbeirats Nauborn"),
        ("Bezirksvertretung Mitte", "der Bezirksvertretung Mitte"),
        ("Jury", None),
    ],
)
def test_the_minutes_name_each_body_with_its_german_article_and_genitive(
    name: str, genitive: str | None
) -> None:
    assert body_genitive(name) == genitive
