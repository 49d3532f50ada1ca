"""``gremienlauf demo``: three papers through three municipal constitutions, narrated in German.

Runs on the embedded default (a fresh SQLite file) with a simulated clock, through the same use cases the
API and the workers use. The Wetzlar paper 1562/13 follows the real Vorlage of 2013 (its facts, our words).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gremienlauf.demo_users import create_demo_users, secretary_username
from workflow import meetings, notice, papers, planning, quorum, references, results
from workflow.access import Principal, principal_of_user
from workflow.db import make_engine, make_session_factory, upgrade
from workflow.errors import DomainError
from workflow.models import (
    AgendaItem,
    Body,
    Consultation,
    Faction,
    Meeting,
    Membership,
    Municipality,
    Paper,
    Person,
)
from workflow.municipality import example_path
from workflow.queries import paper_status
from workflow.rules import BERLIN, FactionCount, VoteInput, describe_counts, format_berlin
from workflow.setup import import_municipality
from workflow.vocabulary import (
    PAPER_STATE_LABELS,
    MembershipRole,
    Outcome,
    PaperKind,
    PaperState,
    VoteChoice,
)

DEMO_DATABASE = Path("var/demo.sqlite3")
Sessions = sessionmaker[Session]


def at(text: str) -> dt.datetime:
    """'30.09.2013 17:00' in Europe/Berlin."""
    return dt.datetime.strptime(text, "%d.%m.%Y %H:%M").replace(tzinfo=BERLIN)


def say(when: dt.datetime, text: str) -> None:
    typer.echo(f"  {when.astimezone(BERLIN):%d.%m.%Y}  {text}")


def heading(text: str) -> None:
    typer.echo("")
    typer.secho(text, bold=True)
    typer.echo("─" * len(text))


class Town:
    """Look-ups the demo needs in one municipality."""

    def __init__(self, sessions: Sessions, key: str) -> None:
        self.sessions = sessions
        self.key = key

    def _session(self) -> Session:
        return self.sessions()

    def body_id(self, key: str) -> int:
        with self._session() as s:
            town_id = s.scalars(select(Municipality.id).where(Municipality.key == self.key)).one()
            return s.scalars(select(Body.id).where(Body.municipality_id == town_id, Body.key == key)).one()

    def voting_members(self, body_key: str) -> list[int]:
        with self._session() as s:
            return list(
                s.scalars(
                    select(Membership.person_id)
                    .where(
                        Membership.body_id == self.body_id(body_key),
                        Membership.voting_right.is_(True),
                        Membership.role != MembershipRole.substitute.value,
                    )
                    .order_by(Membership.id)
                )
            )

    def faction_seats(self, body_key: str) -> dict[int, list[int]]:
        with self._session() as s:
            rows = s.execute(
                select(Membership.faction_id, Membership.person_id)
                .where(
                    Membership.body_id == self.body_id(body_key),
                    Membership.voting_right.is_(True),
                    Membership.role != MembershipRole.substitute.value,
                    Membership.faction_id.is_not(None),
                )
                .order_by(Membership.id)
            ).all()
        seats: dict[int, list[int]] = {}
        for faction_id, person_id in rows:
            if faction_id is not None:
                seats.setdefault(faction_id, []).append(person_id)
        return seats

    def faction_names(self) -> dict[int, str]:
        with self._session() as s:
            town_id = s.scalars(select(Municipality.id).where(Municipality.key == self.key)).one()
            return {
                f.id: f.short_name
                for f in s.scalars(select(Faction).where(Faction.municipality_id == town_id))
            }

    def person_name(self, person_id: int) -> str:
        with self._session() as s:
            person = s.get(Person, person_id)
            assert person is not None
            return person.name

    def steps(self, paper_id: int) -> dict[str, int]:
        """Body key → the paper's latest step at that body."""
        with self._session() as s:
            rows = s.execute(
                select(Body.key, Consultation.id)
                .join(Body)
                .where(Consultation.paper_id == paper_id)
                .order_by(Consultation.stage)
            ).all()
        return {key: cid for key, cid in rows}


def meeting_day(
    sessions: Sessions,
    town: Town,
    *,
    bodies: Sequence[str],
    start: dt.datetime,
    location: str,
    papers_on_agenda: Iterable[tuple[int, str]],
    invite_on: dt.datetime,
    urgent_reason: str | None = None,
) -> tuple[Meeting, dict[int, int]]:
    """Create a meeting, put the papers' steps on its agenda and invite; returns step id → agenda item id."""
    meeting = meetings.create_meeting(
        sessions,
        actor="Sitzungsdienst",
        municipality=town.key,
        bodies=bodies,
        start=start,
        location=location,
        now=invite_on - dt.timedelta(days=14),
    )
    items: dict[int, int] = {}
    meetings.add_agenda_item(
        sessions,
        actor="Sitzungsdienst",
        meeting_id=meeting.id,
        title="Eröffnung, Feststellung der Beschlussfähigkeit",
        now=invite_on - dt.timedelta(days=1),
    )
    for paper_id, body_key in papers_on_agenda:
        step_id = town.steps(paper_id)[body_key]
        scheduled = meetings.schedule_consultation(
            sessions,
            actor="Sitzungsdienst",
            consultation_id=step_id,
            meeting_id=meeting.id,
            now=invite_on - dt.timedelta(days=1),
        )
        items[step_id] = scheduled.agenda_item.id
    with sessions() as s:
        deadline = notice.invitation_deadline(s, s.get_one(Meeting, meeting.id))
    meeting = meetings.invite_meeting(
        sessions,
        actor="Sitzungsdienst",
        meeting_id=meeting.id,
        now=invite_on,
        urgent=urgent_reason is not None,
        urgent_reason=urgent_reason,
    )
    say(invite_on, f"Einladung zur {meeting.name} versandt (Ladungsfrist bis {deadline.describe()})")
    return meeting, items


def hold(sessions: Sessions, town: Town, meeting: Meeting, absent: int = 1) -> list[int]:
    """Record attendance: every voting member of the meeting's bodies but the last ``absent`` of each; then
    the chair establishes each body's quorum at the opening, without which no decision is recorded."""
    present: list[int] = []
    with sessions() as s:
        body_keys = [b.key for b in s.get_one(Meeting, meeting.id).bodies]
    for key in body_keys:
        members = town.voting_members(key)
        present.extend(members[: len(members) - absent])
    meetings.record_attendance(
        sessions,
        actor="Schriftführung",
        meeting_id=meeting.id,
        present=present,
        now=meeting.start + dt.timedelta(minutes=5),
    )
    for key in body_keys:
        quorum.establish_quorum(
            sessions,
            actor="Vorsitz",
            meeting_id=meeting.id,
            body=key,
            now=meeting.start + dt.timedelta(minutes=6),
        )
    return present


def secretary_of(sessions: Sessions, item_id: int) -> Principal:
    """The demo login of the secretary of the body whose step the TOP is: the demo records as that user."""
    with sessions() as s:
        town, body = s.execute(
            select(Municipality.key, Body.key)
            .select_from(AgendaItem)
            .join(Consultation, AgendaItem.consultation_id == Consultation.id)
            .join(Body, Consultation.body_id == Body.id)
            .join(Municipality, Body.municipality_id == Municipality.id)
            .where(AgendaItem.id == item_id)
        ).one()
        return principal_of_user(s, secretary_username(town, body))


def record(
    sessions: Sessions,
    meeting: Meeting,
    item_id: int,
    result: results.ResultInput,
    *,
    body: str,
    minutes_in: int = 30,
) -> None:
    row = results.record_result(
        sessions,
        who=secretary_of(sessions, item_id),
        agenda_item_id=item_id,
        result=result,
        now=meeting.start + dt.timedelta(minutes=minutes_in),
    )
    vote = next((v for v in row.votes if v.decisive), None)
    counts = f" – {describe_counts(vote.yes, vote.no, vote.abstain)}" if vote else ""
    say(meeting.start, f"{body}: {row.outcome_wording}{counts}")


def print_table(sessions: Sessions, paper_id: int) -> None:
    with sessions() as s:
        status = paper_status(s, paper_id)
        paper = s.get_one(Paper, paper_id)
        dept = paper.department.name
    typer.echo("")
    typer.echo(f"  Drucksachen-Nr. {status.reference} – {dept}")
    typer.echo(f"  Betreff: {status.subject}")
    typer.echo(f"  Stand: {status.state_label}")
    typer.echo("")
    rows = status.table()
    width = max(len(row[0]) for row in rows) + 2
    typer.echo(f"  {'Gremium':<{width}}{'Sitzungsdatum':<15}{'TOP':<6}Abst. Ergebnis")
    typer.echo(f"  {'─' * (width + 21 + 40)}")
    for body, date, number, result in rows:
        typer.echo(f"  {body:<{width}}{date:<15}{number:<6}{result}")


def refused(action: str, exc: DomainError) -> None:
    typer.echo(f"             ✗ {action} abgelehnt: {exc.german}")


# ----------------------------------------------------------------------------------------------- Wetzlar

WETZLAR_SUBJECT = (
    "Integriertes Handlungskonzept zur Integration von Menschen mit Migrationshintergrund "
    "in der Stadt Wetzlar"
)
WETZLAR_RESOLUTION = (
    "Die Integrationsarbeit der Stadt Wetzlar wird auf der Grundlage des beigefügten "
    "Handlungskonzepts weiterentwickelt."
)
WETZLAR_JUSTIFICATION = (
    "Wetzlar wurde 2009 gemeinsam mit anderen hessischen Kommunen als Standort der „Modellregion Integration“ "
    "ausgewählt. Der Magistrat hat daraufhin ein integriertes Handlungskonzept für ein Integrationsmanagement "
    "in Auftrag gegeben. Es ist in Workshops mit den beteiligten Ämtern, Institutionen, der Bürgergesellschaft "
    "und den Migrantenorganisationen entstanden und beschreibt für vier Handlungsfelder (Sprache und Bildung, "
    "berufliche Integration und Wirtschaft, soziale und kulturelle Integration, Sport und Engagement) Ziele, "
    "Modellprojekte und Handlungsempfehlungen.\n\n"
    "Integration wird als Querschnittsaufgabe der Verwaltung verstanden: Zugangsbarrieren werden abgebaut, "
    "die interkulturelle Kompetenz der Mitarbeiterinnen und Mitarbeiter gefördert und Vielfalt in der "
    "Personalentwicklung berücksichtigt. Das Konzept wird fortgeschrieben und regelmäßig überprüft."
)


def _wetzlar(sessions: Sessions) -> int:
    town = Town(sessions, "wetzlar")
    heading("Wetzlar (Hessen, HGO): Beschlussvorlage 1562/13")
    now = at("12.07.2013 10:00")
    paper = papers.draft_paper(
        sessions,
        actor="Koordinationsbüro",
        municipality="wetzlar",
        kind=PaperKind.beschlussvorlage,
        department="kbs",
        subject=WETZLAR_SUBJECT,
        paper_date=now.date(),
        file_reference="I/351",
        proposed_resolution=WETZLAR_RESOLUTION,
        justification=WETZLAR_JUSTIFICATION,
        financial_impact=True,
        attachments=[
            papers.AttachmentInput(
                title="Handlungskonzept", file_name="Handlungskonzept.pdf", media_type="application/pdf"
            )
        ],
        cosigners=["kaemmerei"],
        signatory="dette",
        signed_place="Wetzlar",
        now=now,
    )
    say(now, f"Koordinationsbüro legt den Entwurf an: „{WETZLAR_SUBJECT}“ (AZ I/351, 1 Anlage)")
    planning.plan_consultations(
        sessions, actor="Koordinationsbüro", paper_id=paper.id, committees=["sjs", "kfp"], now=now
    )
    say(
        now,
        "Beratungsfolge nach HGO geplant: Magistrat → Sozial- sowie Kulturausschuss (parallel) → "
        "Finanz- und Wirtschaftsausschuss → Stadtverordnetenversammlung",
    )
    now = at("15.07.2013 09:00")
    papers.request_cosignatures(sessions, actor="Koordinationsbüro", paper_id=paper.id, now=now)
    say(now, "Zur Mitzeichnung an die Kämmerei gegeben")
    try:
        papers.submit_paper(sessions, actor="Koordinationsbüro", paper_id=paper.id, now=now)
    except DomainError as exc:
        refused("Einreichen vor der Mitzeichnung", exc)
    now = at("18.07.2013 11:30")
    papers.cosign(sessions, actor="Kämmerei", paper_id=paper.id, department="kaemmerei", now=now)
    say(now, "Kämmerei zeichnet mit")
    references.set_reference_counter(
        sessions, actor="Administration", municipality="wetzlar", year=2013, last_number=1561, now=now
    )
    now = at("10.09.2013 14:00")
    paper = papers.submit_paper(sessions, actor="Koordinationsbüro", paper_id=paper.id, now=now)
    say(
        now,
        f"Oberbürgermeister Dette zeichnet, die Vorlage wird eingereicht: Drucksachen-Nr. {paper.reference}",
    )

    mag, mag_items = meeting_day(
        sessions,
        town,
        bodies=["magistrat"],
        start=at("30.09.2013 09:00"),
        location="Neues Rathaus, Magistratssaal",
        papers_on_agenda=[(paper.id, "magistrat")],
        invite_on=at("20.09.2013 10:00"),
    )
    present = hold(sessions, town, mag, absent=1)
    try:
        item_id = next(iter(mag_items.values()))
        results.record_result(
            sessions,
            who=secretary_of(sessions, item_id),
            agenda_item_id=item_id,
            result=results.ResultInput(Outcome.recommended, votes=[VoteInput(12, 0, 0)]),
            now=mag.start + dt.timedelta(minutes=20),
        )
    except DomainError as exc:
        refused("Abstimmungsergebnis", exc)
    record(
        sessions,
        mag,
        next(iter(mag_items.values())),
        results.ResultInput(Outcome.recommended, votes=[VoteInput(len(present), 0, 0)]),
        body="Magistrat",
    )

    committees, c_items = meeting_day(
        sessions,
        town,
        bodies=["sjs", "kfp"],
        start=at("28.10.2013 17:00"),
        location="Neues Rathaus, Sitzungssaal",
        papers_on_agenda=[(paper.id, "sjs"), (paper.id, "kfp")],
        invite_on=at("18.10.2013 10:00"),
    )
    present = hold(sessions, town, committees, absent=1)
    steps = town.steps(paper.id)
    record(
        sessions,
        committees,
        c_items[steps["sjs"]],
        results.ResultInput(Outcome.recommended, votes=[VoteInput(9, 2, 1)]),
        body="Sozial-, Jugend- und Sportausschuss",
    )
    record(
        sessions,
        committees,
        c_items[steps["kfp"]],
        results.ResultInput(Outcome.recommended, votes=[VoteInput(12, 0, 0)]),
        body="Kultur-, Freizeit- und Partnerschaftsausschuss",
        minutes_in=45,
    )

    late_start = at("12.11.2013 17:00")
    fwa = meetings.create_meeting(
        sessions,
        actor="Sitzungsdienst",
        municipality="wetzlar",
        bodies=["fwa"],
        start=late_start,
        location="Neues Rathaus, Sitzungssaal",
        now=at("25.10.2013 09:00"),
    )
    fwa_item = meetings.schedule_consultation(
        sessions,
        actor="Sitzungsdienst",
        consultation_id=steps["fwa"],
        meeting_id=fwa.id,
        now=at("04.11.2013 09:00"),
    ).agenda_item
    try:
        meetings.invite_meeting(
            sessions, actor="Sitzungsdienst", meeting_id=fwa.id, now=at("08.11.2013 09:00")
        )
    except DomainError as exc:
        refused("Einladung am 08.11.2013", exc)
    fwa = meetings.invite_meeting(
        sessions,
        actor="Sitzungsdienst",
        meeting_id=fwa.id,
        now=at("08.11.2013 09:00"),
        urgent=True,
        urgent_reason="Haushaltsrelevanz; Beschluss der StVV im November erforderlich",
    )
    say(
        at("08.11.2013 09:00"),
        f"Dringliche Einladung zur {fwa.name} (Frist verkürzt, § 58 Abs. 1 Satz 3 HGO)",
    )
    hold(sessions, town, fwa, absent=0)
    record(
        sessions,
        fwa,
        fwa_item.id,
        results.ResultInput(Outcome.recommended, votes=[VoteInput(8, 3, 2)]),
        body="Finanz- und Wirtschaftsausschuss",
    )

    stvv, s_items = meeting_day(
        sessions,
        town,
        bodies=["stvv"],
        start=at("27.11.2013 18:00"),
        location="Stadthalle Wetzlar",
        papers_on_agenda=[(paper.id, "stvv")],
        invite_on=at("15.11.2013 10:00"),
    )
    present = hold(sessions, town, stvv, absent=3)
    seats = town.faction_seats("stvv")
    recused_person = present[-1]
    factions = list(seats.items())
    # Per-faction counts: the largest two factions vote yes, the third no, the others abstain or split.
    counts: list[FactionCount] = []
    for index, (faction_id, members) in enumerate(factions):
        here = [m for m in members if m in present and m != recused_person]
        if index < 2:
            counts.append(FactionCount(faction_id, yes=len(here)))
        elif index == 2:
            counts.append(FactionCount(faction_id, no=len(here)))
        else:
            counts.append(FactionCount(faction_id, abstain=len(here)))
    yes, no, abstain = (sum(c.yes for c in counts), sum(c.no for c in counts), sum(c.abstain for c in counts))
    named_person = present[0]
    record(
        sessions,
        stvv,
        s_items[steps["stvv"]],
        results.ResultInput(
            Outcome.adopted,
            votes=[
                VoteInput(
                    yes, no, abstain, faction_counts=tuple(counts), named={named_person: VoteChoice.yes}
                )
            ],
            recused={recused_person: "§ 25 HGO: Vorstand eines geförderten Trägers"},
        ),
        body="Stadtverordnetenversammlung",
    )
    names = town.faction_names()
    by_choice = {
        label: ", ".join(names[c.faction_id] for c in counts if getattr(c, attr))
        for label, attr in (("dafür", "yes"), ("dagegen", "no"), ("Enthaltung", "abstain"))
    }
    say(stvv.start, "Fraktionen – " + "; ".join(f"{k}: {v}" for k, v in by_choice.items() if v))
    say(
        stvv.start,
        f"{town.person_name(named_person)} lässt die eigene Ja-Stimme in der Niederschrift vermerken (§ 61 HGO)",
    )
    say(stvv.start, f"{town.person_name(recused_person)} war befangen (§ 25 HGO) und hat den Raum verlassen")
    print_table(sessions, paper.id)
    return paper.id


# ---------------------------------------------------------------------------------------------- Duisburg


def _duisburg(sessions: Sessions) -> int:
    town = Town(sessions, "duisburg")
    heading("Duisburg (NRW, GO NRW): Leitlinien zur Integrationspolitik")
    now = at("08.01.2007 10:00")
    paper = papers.draft_paper(
        sessions,
        actor="Referat für Integration",
        municipality="duisburg",
        kind=PaperKind.beschlussvorlage,
        department="integration",
        subject="Leitlinien zur Integrationspolitik der Stadt Duisburg",
        paper_date=now.date(),
        proposed_resolution=(
            "Auf Grundlage der Integrationskonferenzen 2005/2006 gibt sich die Stadt Duisburg die "
            "beigefügten Leitlinien für ihre kommunale Integrationspolitik."
        ),
        justification=(
            "Integration ist eine Querschnittsaufgabe aller Bereiche der Stadtverwaltung und der "
            "stadtnahen Unternehmen; die Leitlinien fassen die Ergebnisse der Konferenzen zusammen."
        ),
        now=now,
    )
    planning.plan_consultations(
        sessions, actor="Referat für Integration", paper_id=paper.id, committees=["soziales"], now=now
    )
    paper = papers.submit_paper(sessions, actor="Referat für Integration", paper_id=paper.id, now=now)
    say(
        now,
        f"Vorlage {paper.reference} eingereicht; Beratungsfolge: Ausschuss → Haupt- und Finanzausschuss → Rat",
    )

    asig, items = meeting_day(
        sessions,
        town,
        bodies=["soziales"],
        start=at("22.01.2007 16:00"),
        location="Rathaus, Raum 100",
        papers_on_agenda=[(paper.id, "soziales")],
        invite_on=at("10.01.2007 10:00"),
    )
    hold(sessions, town, asig)
    step = town.steps(paper.id)["soziales"]
    record(
        sessions,
        asig,
        items[step],
        results.ResultInput(
            Outcome.referred, referred_to="schule", votes=[VoteInput(10, 4, 1, subject="Verweisung")]
        ),
        body="Ausschuss für Soziales, Integration und Gesundheit",
    )
    say(
        asig.start,
        "Die Verweisung fügt den Schulausschuss als eigene Stufe vor dem Haupt- und Finanzausschuss ein",
    )
    scha, items = meeting_day(
        sessions,
        town,
        bodies=["schule"],
        start=at("06.02.2007 16:00"),
        location="Rathaus, Raum 100",
        papers_on_agenda=[(paper.id, "schule")],
        invite_on=at("26.01.2007 10:00"),
    )
    hold(sessions, town, scha)
    record(
        sessions,
        scha,
        items[town.steps(paper.id)["schule"]],
        results.ResultInput(Outcome.recommended, votes=[VoteInput(13, 0, 1)]),
        body="Schulausschuss",
    )
    hfa, items = meeting_day(
        sessions,
        town,
        bodies=["hfa"],
        start=at("26.02.2007 15:00"),
        location="Rathaus, Ratssaal",
        papers_on_agenda=[(paper.id, "hfa")],
        invite_on=at("14.02.2007 10:00"),
    )
    hold(sessions, town, hfa)
    record(
        sessions,
        hfa,
        items[town.steps(paper.id)["hfa"]],
        results.ResultInput(Outcome.not_recommended, votes=[VoteInput(8, 9, 1)]),
        body="Haupt- und Finanzausschuss",
    )
    say(hfa.start, "„Ablehnung empfohlen“ – die Vorlage geht trotzdem an den Rat, der entscheidet")
    rat, items = meeting_day(
        sessions,
        town,
        bodies=["rat"],
        start=at("12.03.2007 15:00"),
        location="Rathaus, Ratssaal",
        papers_on_agenda=[(paper.id, "rat")],
        invite_on=at("01.03.2007 10:00"),
    )
    hold(sessions, town, rat, absent=4)
    record(
        sessions,
        rat,
        items[town.steps(paper.id)["rat"]],
        results.ResultInput(Outcome.adopted, votes=[VoteInput(52, 13, 6)]),
        body="Rat der Stadt Duisburg",
    )
    print_table(sessions, paper.id)
    return paper.id


# ----------------------------------------------------------------------------------------- Wilhelmshaven


def _wilhelmshaven(sessions: Sessions) -> int:
    town = Town(sessions, "wilhelmshaven")
    heading("Wilhelmshaven (Niedersachsen, NKomVG): Fortschreibung des Handlungskonzepts Integration")
    now = at("10.01.2022 10:00")
    paper = papers.draft_paper(
        sessions,
        actor="Migrationsbüro",
        municipality="wilhelmshaven",
        kind=PaperKind.beschlussvorlage,
        department="migration",
        subject="Handlungskonzept Integration 2020–2025: Leitlinien und Umsetzungskriterien",
        paper_date=now.date(),
        proposed_resolution=(
            "Der Rat der Stadt Wilhelmshaven bekräftigt die Leitlinien zur Integrationspolitik "
            "und beauftragt die Verwaltung, den kommunalen Handlungsplan Integration fortzuschreiben."
        ),
        justification=(
            "Das Handlungskonzept Integration verfolgt das Leitbild weiter, den Integrationsprozess "
            "von Zugewanderten aktiv zu gestalten, und bindet das Netzwerk Integration ein."
        ),
        now=now,
    )
    planning.plan_consultations(
        sessions, actor="Migrationsbüro", paper_id=paper.id, committees=["soziales"], now=now
    )
    paper = papers.submit_paper(sessions, actor="Migrationsbüro", paper_id=paper.id, now=now)
    say(
        now,
        f"Vorlage {paper.reference} eingereicht; Beratungsfolge: Fachausschuss → Verwaltungsausschuss → Rat",
    )
    asig, items = meeting_day(
        sessions,
        town,
        bodies=["soziales"],
        start=at("27.01.2022 16:00"),
        location="Rathaus, Sitzungssaal",
        papers_on_agenda=[(paper.id, "soziales")],
        invite_on=at("17.01.2022 10:00"),
    )
    hold(sessions, town, asig)
    record(
        sessions,
        asig,
        items[town.steps(paper.id)["soziales"]],
        results.ResultInput(Outcome.postponed, votes=[VoteInput(7, 4, 1, subject="Antrag auf Vertagung")]),
        body="Ausschuss für Soziales, Integration und Gesundheit",
    )
    asig2, items = meeting_day(
        sessions,
        town,
        bodies=["soziales"],
        start=at("24.02.2022 16:00"),
        location="Rathaus, Sitzungssaal",
        papers_on_agenda=[(paper.id, "soziales")],
        invite_on=at("14.02.2022 10:00"),
    )
    hold(sessions, town, asig2)
    record(
        sessions,
        asig2,
        items[town.steps(paper.id)["soziales"]],
        results.ResultInput(
            Outcome.recommended_amended,
            votes=[
                VoteInput(5, 7, 0, subject="Änderungsantrag: Evaluation jährlich"),
                VoteInput(12, 0, 0, subject="Änderungsantrag: Bericht an den Rat alle zwei Jahre"),
                VoteInput(11, 0, 1, subject="Beschlussvorschlag in geänderter Fassung", decisive=True),
            ],
            resolution_text=(
                "Der Rat bekräftigt die Leitlinien zur Integrationspolitik, beauftragt die Verwaltung, "
                "den Handlungsplan Integration fortzuschreiben, und lässt sich alle zwei Jahre "
                "berichten."
            ),
        ),
        body="Ausschuss für Soziales, Integration und Gesundheit",
    )
    va, items = meeting_day(
        sessions,
        town,
        bodies=["va"],
        start=at("08.03.2022 15:00"),
        location="Rathaus",
        papers_on_agenda=[(paper.id, "va")],
        invite_on=at("25.02.2022 10:00"),
    )
    hold(sessions, town, va, absent=0)
    record(
        sessions,
        va,
        items[town.steps(paper.id)["va"]],
        results.ResultInput(Outcome.recommended, votes=[VoteInput(10, 1, 0)]),
        body="Verwaltungsausschuss",
    )
    rat, items = meeting_day(
        sessions,
        town,
        bodies=["rat"],
        start=at("23.03.2022 16:00"),
        location="Gorch-Fock-Haus",
        papers_on_agenda=[(paper.id, "rat")],
        invite_on=at("10.03.2022 10:00"),
    )
    hold(sessions, town, rat, absent=2)
    record(
        sessions,
        rat,
        items[town.steps(paper.id)["rat"]],
        results.ResultInput(
            Outcome.adopted_amended,
            votes=[VoteInput(38, 3, 2)],
            resolution_text=(
                "Der Rat bekräftigt die Leitlinien zur Integrationspolitik, beauftragt "
                "die Verwaltung, den Handlungsplan Integration fortzuschreiben, und "
                "lässt sich alle zwei Jahre berichten."
            ),
        ),
        body="Rat der Stadt Wilhelmshaven",
    )
    print_table(sessions, paper.id)
    return paper.id


def run_demo(database_url: str | None = None, today: dt.date | None = None) -> None:
    """Set up a fresh database, load the three example municipalities and run the three papers; then add
    work due relative to ``today`` (default: today in Berlin) for every demo login's start page."""
    if database_url is None:
        DEMO_DATABASE.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DEMO_DATABASE}{suffix}").unlink(missing_ok=True)
        database_url = f"sqlite:///{DEMO_DATABASE}"
    upgrade(database_url)
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    typer.secho("gremienlauf – Demo: drei Vorlagen, drei Kommunalverfassungen", bold=True)
    for name in ("wetzlar", "duisburg", "wilhelmshaven"):
        town = import_municipality(sessions, example_path(name), actor="Demo")
        typer.echo(f"  Kommune eingerichtet: {town.name} (Profil {town.profile})")
    create_demo_users(sessions)  # the demo acts as these users: a result is recorded by the body's secretary
    paper_ids = [_wetzlar(sessions), _duisburg(sessions), _wilhelmshaven(sessions)]
    typer.echo("")
    with sessions() as s:
        for paper_id in paper_ids:
            paper = s.get_one(Paper, paper_id)
            typer.echo(
                f"  {paper.reference}: {PAPER_STATE_LABELS[PaperState(paper.state)]} "
                f"am {format_berlin(paper.decided_at) if paper.decided_at else '–'}"
            )
    from gremienlauf.demo_today import add_present

    add_present(sessions, today)
    _documents_and_mails(sessions)
    typer.echo(f"\n  Datenbank: {database_url}")
    engine.dispose()


DEMO_DOCUMENTS = Path("var/dokumente")


def _documents_and_mails(sessions: sessionmaker[Session]) -> None:
    """The embedded default's in-process worker runs the same jobs as the Celery workers: documents into
    the database (copied to var/dokumente/ for reading), mails to var/mail/ or the configured SMTP server."""
    import os
    import shutil

    from workers.context import Context
    from workers.delivery import transport_for
    from workers.inprocess import drain
    from workers.settings import WorkerSettings
    from workflow.models import MailDelivery, StoredFile

    # LibreOffice takes seconds per PDF; the demo makes them only when asked to (GREMIENLAUF_PDF_ENABLED=true).
    settings = WorkerSettings(pdf_enabled=os.environ.get("GREMIENLAUF_PDF_ENABLED", "").lower() == "true")
    typer.echo("\n  Hintergrundaufgaben: Dokumente und E-Mails werden erzeugt …")
    drain(Context(sessions=sessions, settings=settings, transport=transport_for(settings)), timeout=120)
    from workers.relay import pending_count

    left = pending_count(sessions)
    if left:
        # An SMTP server that is down: the events stay in the database and are done by the next worker.
        typer.secho(
            f"  Noch offen: {left} Ereignisse (E-Mail-Server nicht erreichbar?). Sie bleiben in der Datenbank "
            "und werden von „gremienlauf serve“ oder einem Worker nachgeholt.",
            fg=typer.colors.YELLOW,
        )
    shutil.rmtree(DEMO_DOCUMENTS, ignore_errors=True)
    with sessions() as s:
        files = s.scalars(select(StoredFile).order_by(StoredFile.id)).all()
        towns = {m.id: m.key for m in s.scalars(select(Municipality))}
        latest: dict[tuple[int, str], StoredFile] = {}
        for f in files:
            latest[(f.municipality_id, f.file_name)] = f  # the latest version of each document
        for (town_id, name), f in sorted(latest.items()):
            target = DEMO_DOCUMENTS / towns[town_id] / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(f.content)
        sent = s.scalars(select(MailDelivery).where(MailDelivery.state == "sent")).all()
    typer.echo(
        f"  Dokumente: {len(files)} gespeichert (jeweils neueste Fassung unter {DEMO_DOCUMENTS}/<Kommune>/)"
    )
    where = (
        f"über den SMTP-Server {settings.smtp_host}:{settings.smtp_port}"
        if settings.smtp_host
        else f"als .eml-Dateien in {settings.mail_dir}/"
    )
    typer.echo(f"  E-Mails: {len(sent)} versandt {where} (Einladungen, Absagen, Ergebnisse)")
