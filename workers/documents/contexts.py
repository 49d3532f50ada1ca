"""What each document shows, read from the database into plain frozen dataclasses.

The templates see only these objects (their field names are the placeholders the office can use, listed in
docs/documents.md). Dates and times are printed in Europe/Berlin, the German way.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from workers.documents.render import clean_text
from workflow.errors import NotFound
from workflow.models import (
    AgendaItem,
    Attendance,
    Department,
    Faction,
    ItemResult,
    Meeting,
    MeetingQuorum,
    Membership,
    Municipality,
    Paper,
    Person,
    Vote,
)
from workflow.publication import DRAFT_STATES
from workflow.queries import PaperStatus, paper_status
from workflow.rules import BERLIN, vote_summary
from workflow.source_models import ImportedFile
from workflow.vocabulary import (
    PAPER_KIND_LABELS,
    RECOMMENDING_OUTCOMES,
    VOTE_CHOICE_LABELS,
    AttendanceStatus,
    CirculationState,
    MembershipRole,
    Outcome,
    PaperKind,
    PaperState,
    VoteChoice,
)

T = TypeVar("T")
WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


def german_date(day: dt.date | dt.datetime | None) -> str:
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = day.astimezone(BERLIN).date()
    return f"{day:%d.%m.%Y}"


def german_time(moment: dt.datetime | None) -> str:
    return "" if moment is None else f"{moment.astimezone(BERLIN):%H:%M}"


def paragraphs(text: str | None) -> tuple[str, ...]:
    """Paragraphs of user text (separated by an empty line); single line breaks stay inside a paragraph."""
    if not text:
        return ()
    parts = re.split(r"\n[ \t]*\n", clean_text(text).strip("\n"))
    return tuple(part.strip("\n") for part in parts if part.strip())


def _get(session: Session, model: type[T], id_: int, what: str) -> T:
    row = session.get(model, id_)
    if row is None:
        raise NotFound(f"{what} {id_} not found", entity=what, id=id_)
    return row


def _municipality(session: Session, municipality_id: int) -> Municipality:
    return _get(session, Municipality, municipality_id, "municipality")


# ------------------------------------------------------------------------------------------------ Vorlage


@dataclass(frozen=True)
class BeratungsfolgeRow:
    """One line of the Beratungsfolge table: Gremium, Sitzungsdatum, TOP, Abst. Ergebnis."""

    body: str
    date: str
    item: str
    result: str


@dataclass(frozen=True)
class VorlageContext:
    municipality: str
    title: str  # "BESCHLUSSVORLAGE"
    kind: str  # "Beschlussvorlage"
    draft: bool
    public: bool
    department: str
    paper_date: str
    reference: str
    file_reference: str
    reference_line: str  # "1562/13 - I/351", as in the Wetzlar header
    consultations: tuple[BeratungsfolgeRow, ...]
    subject: str
    attachments: tuple[str, ...]
    resolution: tuple[str, ...]  # the proposed resolution, paragraph by paragraph
    signed: bool
    signed_place: str
    signed_on: str
    signatory: str
    signatory_function: str
    justification: tuple[str, ...]


def _beratungsfolge(status: PaperStatus, *, public_form: bool) -> tuple[BeratungsfolgeRow, ...]:
    """The table as ``PaperStatus.table()`` prints it; in the public form (the Vorlage of a public paper,
    which is published) an appearance on a non-public agenda item keeps Gremium and Sitzungsdatum but not its
    TOP and result, as the API hides them from the public; a non-public body's decision without a meeting
    (Umlaufverfahren, an urgent decision in place of a non-public body) likewise keeps only Gremium and date."""
    rows: list[BeratungsfolgeRow] = []
    for step in status.steps:
        decided = [c for c in step.circulations if c.state == CirculationState.decided]
        if not step.appearances and not decided:
            day = f"{step.decided_on:%d.%m.%Y}" if step.decided_on else ""
            hidden = public_form and step.private_body_id is not None
            rows.append(BeratungsfolgeRow(step.body, day, "", "" if hidden else step.outcome_wording or ""))
        for appearance in step.appearances:
            shown = appearance.public or not public_form
            rows.append(
                BeratungsfolgeRow(
                    step.body,
                    appearance.date_text,
                    appearance.agenda_number if shown else "",
                    appearance.result_text if shown else "",
                )
            )
        for circulation in decided:
            shown = circulation.body_public or not public_form
            rows.append(
                BeratungsfolgeRow(
                    step.body,
                    circulation.date_text,
                    "Umlauf" if shown else "",
                    circulation.result_text if shown else "",
                )
            )
    return tuple(rows)


def _imported_attachments(session: Session, paper_id: int) -> list[str]:
    """The Anlagen an imported paper brought from the old system (its auxiliary files still public there
    and here; the main file is the old system's Vorlage itself)."""
    return list(
        session.scalars(
            select(ImportedFile.name)
            .where(
                ImportedFile.paper_id == paper_id,
                ImportedFile.agenda_item_id.is_(None),
                ImportedFile.role == "auxiliaryFile",
                ImportedFile.public.is_(True),
            )
            .order_by(ImportedFile.id)
        )
    )


def vorlage_context(session: Session, paper_id: int) -> VorlageContext:
    """The Beschlussvorlage in the Wetzlar layout; its Beratungsfolge table filled as far as results go."""
    paper = _get(session, Paper, paper_id, "paper")
    town = _municipality(session, paper.municipality_id)
    department = _get(session, Department, paper.department_id, "department")
    status = paper_status(session, paper.id)
    signatory = paper.signatory
    kind = PAPER_KIND_LABELS[PaperKind(paper.kind)]
    reference = paper.reference or ""
    file_reference = paper.file_reference or ""
    return VorlageContext(
        municipality=town.name,
        title=kind.upper(),
        kind=kind,
        draft=PaperState(paper.state) in DRAFT_STATES,
        public=paper.public,
        department=department.name,
        paper_date=german_date(paper.paper_date),
        reference=reference,
        file_reference=file_reference,
        reference_line=" - ".join(part for part in (reference, file_reference) if part),
        consultations=_beratungsfolge(status, public_form=paper.public),
        subject=paper.subject,
        attachments=(*(a.title for a in paper.attachments), *_imported_attachments(session, paper.id)),
        resolution=paragraphs(paper.proposed_resolution),
        signed=signatory is not None or paper.signed_on is not None,
        signed_place=paper.signed_place or town.short_name,
        signed_on=german_date(paper.signed_on),
        signatory=signatory.name if signatory else "",
        signatory_function=(signatory.function or "") if signatory else "",
        justification=paragraphs(paper.justification),
    )


# ------------------------------------------------------------------------------------------ agenda items


@dataclass(frozen=True)
class VoteLine:
    """One vote of an item as the minutes print it."""

    subject: str
    summary: str  # "einstimmig", "12 Ja / 5 Nein / 3 Enthaltungen"
    details: tuple[str, ...]  # per faction, named votes, casting vote


@dataclass(frozen=True)
class ItemLine:
    """A TOP on an invitation or in the minutes."""

    id: int
    number: str
    title: str
    public: bool
    reference: str
    note: str  # "nachträglich aufgenommen", "*" for a second session after a failed quorum
    has_paper: bool  # a paper's step is dealt with here (an item like "Eröffnung" has no result)
    outcome: str
    votes: tuple[VoteLine, ...]
    recused: str
    resolution_label: str  # "Beschluss" or, for a recommending body, "Beschlussempfehlung"
    resolution: tuple[str, ...]


def _faction_names(session: Session, municipality_id: int) -> dict[int, str]:
    return {
        f.id: f.short_name
        for f in session.scalars(select(Faction).where(Faction.municipality_id == municipality_id))
    }


def _vote_line(vote: Vote, factions: dict[int, str]) -> VoteLine:
    details: list[str] = []
    for count in vote.faction_counts:
        name = factions.get(count.faction_id, "")
        abstentions = "Enthaltung" if count.abstain == 1 else "Enthaltungen"
        details.append(f"{name}: {count.yes} Ja / {count.no} Nein / {count.abstain} {abstentions}")
    by_choice: dict[str, list[str]] = {}
    for named in vote.named:
        by_choice.setdefault(named.choice, []).append(named.person.name)
    for choice in VoteChoice:
        if choice.value in by_choice:
            names = ", ".join(by_choice[choice.value])
            details.append(f"Namentlich vermerkt, {VOTE_CHOICE_LABELS[choice]}: {names}")
    if vote.casting_vote:
        details.append(
            f"Bei Stimmengleichheit gab die Stimme des Vorsitzes den Ausschlag: "
            f"{VOTE_CHOICE_LABELS[VoteChoice(vote.casting_vote)]}"
        )
    return VoteLine(vote.subject, vote_summary(vote.yes, vote.no, vote.abstain), tuple(details))


def _item_line(item: AgendaItem, factions: dict[int, str]) -> ItemLine:
    step = item.consultation
    paper = step.paper if step is not None else None
    result: ItemResult | None = item.result
    notes = []
    if item.second_session:
        notes.append("*")
    if item.late_addition:
        notes.append("nachträglich aufgenommen")
    resolution: tuple[str, ...] = ()
    if result is not None:
        resolution = paragraphs(result.resolution_text)
        if not resolution and paper is not None and result.outcome in ("adopted", "recommended"):
            resolution = paragraphs(paper.proposed_resolution)  # adopted as proposed
    else:  # an imported item: what the old system recorded
        resolution = paragraphs(item.resolution_text)
    return ItemLine(
        id=item.id,
        number=item.number,
        title=item.title,
        public=item.public,
        reference=(paper.reference or "") if paper is not None else "",
        note=", ".join(notes),
        has_paper=paper is not None,
        outcome=result.outcome_wording if result is not None else item.result_wording or "",
        votes=tuple(_vote_line(v, factions) for v in result.votes) if result is not None else (),
        recused=", ".join(r.person.name for r in result.recusals) if result is not None else "",
        resolution_label="Beschlussempfehlung"
        if result is not None and Outcome(result.outcome) in RECOMMENDING_OUTCOMES
        else "Beschluss",
        resolution=resolution,
    )


def _body_names(meeting: Meeting) -> str:
    return " und ".join(b.name for b in meeting.bodies)


# The head noun of a body's name decides its article and genitive ("des Ausschusses", "des Magistrats",
# "der Stadtverordnetenversammlung"); the suffixes of German body names.
_MASCULINE_ES = ("ausschuss",)
_MASCULINE_S = ("rat", "beirat", "magistrat", "vorstand", "kreistag", "tag")
_FEMININE = ("versammlung", "vertretung", "kommission", "konferenz", "runde", "vollversammlung")


def body_genitive(name: str) -> str | None:
    """ "der Stadtverordnetenversammlung", "des Sozial-, Jugend- und Sportausschusses", "des Rats der Stadt
    Duisburg"; None when the head noun is not known (then no article is guessed)."""
    words = name.split(" ")
    for index, word in enumerate(words):
        lower = word.lower()
        if lower.endswith(_MASCULINE_ES):
            words[index] = f"{word}es"
            return "des " + " ".join(words)
        if lower.endswith(_MASCULINE_S):
            words[index] = f"{word}s"
            return "des " + " ".join(words)
        if lower.endswith(_FEMININE):
            return "der " + name
    return None


def meeting_title(meeting: Meeting) -> str:
    """What the minutes are about, in the accusative after "über": "die Sitzung der
    Stadtverordnetenversammlung am 27.11.2013", "die gemeinsame Sitzung des … und des … am …"."""
    day = german_date(meeting.start)
    genitives = [body_genitive(b.name) for b in meeting.bodies]
    if not genitives or None in genitives:
        return f"die Sitzung „{_body_names(meeting)}“ am {day}"
    joint = "gemeinsame " if len(genitives) > 1 else ""
    return f"die {joint}Sitzung {' und '.join(g for g in genitives if g)} am {day}"


def _chair(session: Session, meeting: Meeting) -> Person | None:
    day = meeting.start.astimezone(BERLIN).date()
    for body in meeting.bodies:
        for membership in body.memberships:
            if membership.role == MembershipRole.chair and membership.active_on(day):
                return membership.person
    return None


# --------------------------------------------------------------------------------------------- invitation

SECOND_SESSION_NOTICE = (
    "Dies ist die zweite Sitzung zu denselben Gegenständen, nachdem die vorige Sitzung wegen "
    "Beschlussunfähigkeit nicht beschließen konnte. In dieser Sitzung ist das Gremium ohne Rücksicht auf "
    "die Zahl der anwesenden Mitglieder beschlussfähig; darauf wird hiermit ausdrücklich hingewiesen."
)
SECOND_SESSION_ITEMS_NOTICE = (
    "Die mit * gekennzeichneten Tagesordnungspunkte wurden in der vorigen Sitzung wegen "
    "Beschlussunfähigkeit zurückgestellt. Für diese Punkte ist das Gremium in dieser zweiten Sitzung ohne "
    "Rücksicht auf die Zahl der anwesenden Mitglieder beschlussfähig; darauf wird hiermit ausdrücklich "
    "hingewiesen."
)


@dataclass(frozen=True)
class InvitationContext:
    municipality: str
    meeting_name: str
    bodies: str
    weekday: str
    date: str
    time: str
    location: str
    draft: bool  # not sent yet
    cancelled: bool
    cancelled_reason: str
    urgent: bool
    urgent_reason: str
    second_session_notice: str
    public_items: tuple[ItemLine, ...]
    non_public_items: tuple[ItemLine, ...]
    place: str
    issued_on: str
    chair: str


def invitation_context(session: Session, meeting_id: int, now: dt.datetime) -> InvitationContext:
    """The invitation with its agenda, public part and non-public part."""
    meeting = _get(session, Meeting, meeting_id, "meeting")
    town = _municipality(session, meeting.municipality_id)
    factions = _faction_names(session, meeting.municipality_id)
    items = [_item_line(item, factions) for item in meeting.agenda_items]
    notice = ""
    if meeting.second_session:
        notice = SECOND_SESSION_NOTICE
    elif any(item.second_session for item in meeting.agenda_items):
        notice = SECOND_SESSION_ITEMS_NOTICE
    start = meeting.start.astimezone(BERLIN)
    chair = _chair(session, meeting)
    return InvitationContext(
        municipality=town.name,
        meeting_name=meeting.name,
        bodies=_body_names(meeting),
        weekday=WEEKDAYS[start.weekday()],
        date=german_date(start),
        time=german_time(start),
        location=meeting.location or "",
        draft=meeting.invitation_sent_at is None,
        cancelled=meeting.state == "cancelled",
        cancelled_reason=meeting.cancelled_reason or "",
        urgent=meeting.urgent,
        urgent_reason=meeting.urgent_reason or "",
        second_session_notice=notice,
        public_items=tuple(i for i in items if i.public),
        non_public_items=tuple(i for i in items if not i.public),
        place=town.short_name,
        issued_on=german_date(meeting.invitation_sent_at or now),
        chair=chair.name if chair else "",
    )


# ------------------------------------------------------------------------------------------------ minutes


@dataclass(frozen=True)
class PersonLine:
    name: str
    note: str  # faction, function or "Vertretung für …"


@dataclass(frozen=True)
class MinutesPart:
    title: str  # "Öffentlicher Teil" / "Nichtöffentlicher Teil"
    items: tuple[ItemLine, ...]


@dataclass(frozen=True)
class MinutesContext:
    municipality: str
    meeting_name: str
    meeting_title: str  # "die Sitzung der Stadtverordnetenversammlung am 27.11.2013"
    bodies: str
    date: str
    start_time: str
    end_time: str
    location: str
    approved: bool
    present: tuple[PersonLine, ...]
    absent: tuple[PersonLine, ...]
    parts: tuple[MinutesPart, ...]
    chair: str
    quorum: tuple[str, ...] = ()  # what the chair established about the quorum, per body


def _quorum_lines(session: Session, meeting: Meeting) -> tuple[str, ...]:
    """The quorum established at the opening and, if it happened, its lack (§ 53 Abs. 1 HGO, § 49 Abs. 1
    GO NRW, § 65 Abs. 1 NKomVG), as the minutes state them."""
    names = {b.id: b.name for b in meeting.bodies}
    joint = len(names) > 1
    lines = []
    for row in session.scalars(
        select(MeetingQuorum).where(MeetingQuorum.meeting_id == meeting.id).order_by(MeetingQuorum.id)
    ):
        who = f" {names.get(row.body_id, '')}" if joint else ""
        lines.append(
            f"Um {german_time(row.established_at)} Uhr wurde die Beschlussfähigkeit{who} festgestellt "
            f"({row.present} stimmberechtigte Mitglieder anwesend, nötig {row.needed})."
        )
        if row.lack_established_at is not None and row.lacking_from_item_id is not None:
            item = session.get(AgendaItem, row.lacking_from_item_id)
            top = f" ab TOP {item.number}" if item is not None else ""
            lines.append(
                f"Um {german_time(row.lack_established_at)} Uhr wurde die Beschlussunfähigkeit{who}{top} "
                "festgestellt."
            )
    return tuple(lines)


def _memberships_on_the_day(meeting: Meeting) -> dict[int, Membership]:
    """Per person the membership in the meeting's bodies active on the meeting day (a person who changed
    faction or role has several); the first body's and, within a body, the oldest active one first."""
    day = meeting.start.astimezone(BERLIN).date()
    memberships: dict[int, Membership] = {}
    for body in meeting.bodies:
        for m in sorted(body.memberships, key=lambda m: m.id):
            if m.active_on(day):
                memberships.setdefault(m.person_id, m)
    return memberships


def _person_lines(session: Session, meeting: Meeting, rows: list[Attendance]) -> tuple[PersonLine, ...]:
    memberships = _memberships_on_the_day(meeting)
    lines = []
    for row in rows:
        membership = memberships.get(row.person_id)
        note = ""
        if membership is not None:
            if membership.role == MembershipRole.chair:
                note = "Vorsitz"
            elif membership.faction is not None:
                note = membership.faction.short_name
            if membership.substitute_of_id is not None:
                stands_in = session.get(Person, membership.substitute_of_id)
                if stands_in is not None:
                    note = ", ".join(p for p in (note, f"Vertretung für {stands_in.name}") if p)
        if not note and row.person.function:
            note = row.person.function
        if row.status == AttendanceStatus.excused:
            note = ", ".join(p for p in (note, "entschuldigt") if p)
        lines.append(PersonLine(row.person.name, note))
    return tuple(lines)


def minutes_context(session: Session, meeting_id: int) -> MinutesContext:
    """The minutes: attendance, and per item the outcome, the votes and the resolution text."""
    meeting = _get(session, Meeting, meeting_id, "meeting")
    town = _municipality(session, meeting.municipality_id)
    factions = _faction_names(session, meeting.municipality_id)
    items = [_item_line(item, factions) for item in meeting.agenda_items]
    parts = [
        MinutesPart(title, tuple(i for i in items if i.public is public))
        for title, public in (("Öffentlicher Teil", True), ("Nichtöffentlicher Teil", False))
    ]
    chair = _chair(session, meeting)
    present = [a for a in meeting.attendance if a.status == AttendanceStatus.present]
    day = meeting.start.astimezone(BERLIN).date()
    active = [m for body in meeting.bodies for m in body.memberships if m.active_on(day)]
    regular = {m.person_id for m in active if m.role != MembershipRole.substitute}
    substitutes = {m.person_id for m in active if m.role == MembershipRole.substitute} - regular
    # A substitute who was not needed is not "absent": only members are listed as missing.
    absent = [
        a
        for a in meeting.attendance
        if a.status != AttendanceStatus.present and a.person_id not in substitutes
    ]
    return MinutesContext(
        municipality=town.name,
        meeting_name=meeting.name,
        meeting_title=meeting_title(meeting),
        bodies=_body_names(meeting),
        date=german_date(meeting.start),
        start_time=german_time(meeting.start),
        end_time=german_time(meeting.end),
        location=meeting.location or "",
        approved=meeting.state == "minutes_approved",
        present=_person_lines(session, meeting, present),
        absent=_person_lines(session, meeting, absent),
        parts=tuple(p for p in parts if p.items),
        chair=chair.name if chair else "",
        quorum=_quorum_lines(session, meeting),
    )


# ------------------------------------------------------------------------------------- resolution extract


@dataclass(frozen=True)
class ExtractContext:
    municipality: str
    meeting_name: str
    meeting_title: str  # "die Sitzung der Stadtverordnetenversammlung am 27.11.2013"
    bodies: str
    date: str
    department: str
    item: ItemLine
    subject: str
    place: str
    issued_on: str


def extract_context(session: Session, agenda_item_id: int, now: dt.datetime) -> ExtractContext:
    """The Beschlussauszug of one item, for the department that carries the resolution out."""
    item = _get(session, AgendaItem, agenda_item_id, "agenda item")
    meeting = item.meeting
    town = _municipality(session, meeting.municipality_id)
    line = _item_line(item, _faction_names(session, meeting.municipality_id))
    step = item.consultation
    department = ""
    subject = item.title
    if step is not None:
        paper = step.paper
        department = _get(session, Department, paper.department_id, "department").name
        subject = paper.subject
    return ExtractContext(
        municipality=town.name,
        meeting_name=meeting.name,
        meeting_title=meeting_title(meeting),
        bodies=_body_names(meeting),
        date=german_date(meeting.start),
        department=department,
        item=line,
        subject=subject,
        place=town.short_name,
        issued_on=german_date(now),
    )
