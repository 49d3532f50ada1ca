"""Database rows → OParl 1.1 objects (plain dicts, no nulls, no empty strings, no empty optional arrays).

A ``Publisher`` serves one request: it loads what a page of objects embeds in a few batched queries and
keeps the visibility rules of ``workflow.publication`` (nothing non-public is ever embedded or linked).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, defer, selectinload

from api.oparl.format import VENDOR, Urls, date, date_time, type_url
from workflow.models import (
    AgendaItem,
    Body,
    Consultation,
    Department,
    Depublication,
    Faction,
    ItemResult,
    Meeting,
    Membership,
    Municipality,
    Paper,
    Person,
    StoredFile,
    Vote,
)
from workflow.publication import (
    agenda_item_is_public,
    consultation_is_public,
    file_is_public,
    meeting_is_public,
)
from workflow.rules import BERLIN
from workflow.vocabulary import (
    CONSULTATION_ROLE_LABELS,
    MEETING_STATE_LABELS,
    PAPER_KIND_LABELS,
    PAPER_STATE_LABELS,
    ConsultationRole,
    MeetingState,
    PaperKind,
    PaperState,
)

BODY_KIND_LABELS = {
    "assembly": "Vertretungskörperschaft",
    "executive": "Verwaltungsorgan",
    "main_committee": "Hauptausschuss",
    "committee": "Ausschuss",
    "district": "Bezirksvertretung / Ortsbeirat",
    "advisory": "Beirat",
}
MEMBERSHIP_ROLE_LABELS = {
    "chair": "Vorsitz",
    "deputy_chair": "stellvertretender Vorsitz",
    "member": "Mitglied",
    "substitute": "stellvertretendes Mitglied",
    "advisory": "beratendes Mitglied",
}
FILE_KIND_LABELS = {
    "vorlage": "Vorlage",
    "invitation": "Einladung",
    "minutes": "Niederschrift",
    "resolution_extract": "Beschlussauszug",
}
PDF = "application/pdf"
# What a page of meetings or agenda items is loaded with (in one query per relationship, not per row).
MEETING_OPTIONS = (selectinload(Meeting.bodies), selectinload(Meeting.attendance))
ITEM_OPTIONS = (
    selectinload(AgendaItem.result).options(
        selectinload(ItemResult.recusals),
        selectinload(ItemResult.votes).options(selectinload(Vote.faction_counts), selectinload(Vote.named)),
    ),
)
# Paper states that tell the decision: not shown while the decision was taken in private.
DECISION_STATES = {
    PaperState.adopted,
    PaperState.adopted_amended,
    PaperState.rejected,
    PaperState.noted,
    PaperState.settled,
}
LEGISLATIVE_TERM_YEARS = 5  # Hessen, NRW and Niedersachsen all elect their councils for five years


def term_end(start: dt.date) -> dt.date:
    """The last day of a term of ``LEGISLATIVE_TERM_YEARS`` from ``start``: the day before its anniversary; a
    term from 29 February ends on 28 February (BGB § 188 (3): the missing day ends the period with the month)."""
    year = start.year + LEGISLATIVE_TERM_YEARS
    try:
        anniversary = start.replace(year=year)
    except ValueError:  # 29 February, and the final year is no leap year
        anniversary = dt.date(year, 3, 1)
    return anniversary - dt.timedelta(days=1)


class Step(Protocol):
    """What a Consultation is serialised from: the ORM object or a row of ``STEP_COLUMNS``."""

    @property
    def id(self) -> int: ...
    @property
    def paper_id(self) -> int: ...
    @property
    def body_id(self) -> int: ...
    @property
    def meeting_id(self) -> int | None: ...
    @property
    def agenda_item_id(self) -> int | None: ...
    @property
    def authoritative(self) -> bool: ...
    @property
    def role(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def stage(self) -> int: ...
    @property
    def outcome(self) -> str | None: ...
    @property
    def outcome_wording(self) -> str | None: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def modified_at(self) -> dt.datetime: ...


STEP_COLUMNS = (
    Consultation.id,
    Consultation.paper_id,
    Consultation.body_id,
    Consultation.meeting_id,
    Consultation.agenda_item_id,
    Consultation.authoritative,
    Consultation.role,
    Consultation.state,
    Consultation.stage,
    Consultation.outcome,
    Consultation.outcome_wording,
    Consultation.created_at,
    Consultation.modified_at,
)


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop what the spec forbids: null, empty strings and empty arrays."""
    return {k: v for k, v in obj.items() if v is not None and v != "" and v != []}


def stamps(created: dt.datetime, modified: dt.datetime) -> dict[str, str]:
    return {"created": date_time(created), "modified": date_time(max(created, modified))}


def deleted_object(urls: Urls, row: Depublication) -> dict[str, Any]:
    type_name, url = {
        "paper": ("Paper", urls.paper),
        "meeting": ("Meeting", urls.meeting),
        "consultation": ("Consultation", urls.consultation),
        "agenda_item": ("AgendaItem", urls.agenda_item),
        "file": ("File", urls.file),
    }[row.object_type]
    return {
        "id": url(row.object_id),
        "type": type_url(type_name),
        **stamps(row.created_at, row.depublished_at),
        "deleted": True,
    }


class Publisher:
    def __init__(self, session: Session, urls: Urls) -> None:
        self.session = session
        self.urls = urls

    # ------------------------------------------------------------------ system and body
    def system(self, towns: Sequence[Municipality]) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": self.urls.system(),
            "type": type_url("System"),
            "oparlVersion": "https://schema.oparl.org/1.1/",
            "body": self.urls.bodies(),
            "name": "gremienlauf",
        }
        if towns:
            obj.update(stamps(min(t.created_at for t in towns), max(t.modified_at for t in towns)))
        return obj

    def legislative_term(self, town: Municipality, start: dt.date | None) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": self.urls.legislative_term(town.id),
            "type": type_url("LegislativeTerm"),
            "body": self.urls.body(town.id),
        }
        if start is not None:
            end = term_end(start)
            obj.update(name=f"Wahlperiode {start.year}–{end.year}", startDate=date(start), endDate=date(end))
        obj.update(stamps(town.created_at, town.modified_at))
        return obj

    def term_start(self, town_id: int) -> dt.date | None:
        """The legislative term starts when the first membership of the term does."""
        return self.session.scalar(
            select(func.min(Membership.start_date))
            .join(Body, Body.id == Membership.body_id)
            .where(Body.municipality_id == town_id)
        )

    def body(self, town: Municipality, *, embed: bool = True) -> dict[str, Any]:
        lists = {
            name: self.urls.body_list(town.id, path)
            for name, path in (
                ("organization", "organizations"),
                ("person", "people"),
                ("meeting", "meetings"),
                ("paper", "papers"),
                ("agendaItem", "agendaitems"),
                ("consultation", "consultations"),
                ("file", "files"),
                ("membership", "memberships"),
                ("locationList", "locations"),
                ("legislativeTermList", "legislativeterms"),
            )
        }
        term = self.legislative_term(town, self.term_start(town.id))
        return _clean(
            {
                "id": self.urls.body(town.id),
                "type": type_url("Body"),
                "system": self.urls.system(),
                "name": town.name,
                "shortName": town.short_name,
                "website": town.website,
                **lists,
                "legislativeTerm": [term],
                **stamps(town.created_at, town.modified_at),
            }
        )

    # ------------------------------------------------------------------ organizations and people
    def organization(self, body: Body, membership_ids: Sequence[int]) -> dict[str, Any]:
        return _clean(
            {
                "id": self.urls.organization(body.id),
                "type": type_url("Organization"),
                "body": self.urls.body(body.municipality_id),
                "name": body.name,
                "shortName": body.short_name,
                "membership": [self.urls.membership(i) for i in membership_ids],
                "organizationType": "Gremium",
                "classification": BODY_KIND_LABELS.get(body.kind, body.kind),
                VENDOR + "public": body.public,
                VENDOR + "statutoryMembers": body.statutory_members,
                **stamps(body.created_at, body.modified_at),
            }
        )

    def faction(self, faction: Faction) -> dict[str, Any]:
        return _clean(
            {
                "id": self.urls.faction(faction.id),
                "type": type_url("Organization"),
                "body": self.urls.body(faction.municipality_id),
                "name": faction.name,
                "shortName": faction.short_name,
                "organizationType": "Fraktion",
                **stamps(faction.created_at, faction.modified_at),
            }
        )

    def department(self, department: Department) -> dict[str, Any]:
        """A Fachamt: the unit of the administration a paper comes from (``Paper.underDirectionOf``)."""
        return _clean(
            {
                "id": self.urls.department(department.id),
                "type": type_url("Organization"),
                "body": self.urls.body(department.municipality_id),
                "name": department.name,
                "shortName": department.short_name,
                "organizationType": "Verwaltung",
                "classification": "Fachamt",
                **stamps(department.created_at, department.modified_at),
            }
        )

    def membership(self, m: Membership) -> dict[str, Any]:
        return _clean(
            {
                "id": self.urls.membership(m.id),
                "type": type_url("Membership"),
                "person": self.urls.person(m.person_id),
                "organization": self.urls.organization(m.body_id),
                "role": MEMBERSHIP_ROLE_LABELS.get(m.role, m.role),
                "votingRight": m.voting_right,
                "startDate": date(m.start_date),
                "endDate": date(m.end_date) if m.end_date else None,
                "onBehalfOf": self.urls.faction(m.faction_id) if m.faction_id else None,
                VENDOR + "substituteFor": self.urls.person(m.substitute_of_id)
                if m.substitute_of_id
                else None,
                **stamps(m.created_at, m.modified_at),
            }
        )

    def person(self, p: Person, memberships: Sequence[Membership], *, embed: bool = True) -> dict[str, Any]:
        # E-mail addresses are not published: a contact address is not part of the council's record.
        return _clean(
            {
                "id": self.urls.person(p.id),
                "type": type_url("Person"),
                "body": self.urls.body(p.municipality_id),
                "name": p.name,
                "familyName": p.family_name,
                "givenName": p.given_name,
                "title": [p.title] if p.title else None,
                "status": [p.function] if p.function else None,
                "membership": [self.membership(m) for m in memberships] if embed else None,
                **stamps(p.created_at, p.modified_at),
            }
        )

    def memberships_of_people(self, person_ids: Iterable[int]) -> dict[int, list[Membership]]:
        ids = list(set(person_ids))
        found: dict[int, list[Membership]] = defaultdict(list)
        if ids:
            for m in self.session.scalars(
                select(Membership).where(Membership.person_id.in_(ids)).order_by(Membership.id)
            ):
                found[m.person_id].append(m)
        return found

    # ------------------------------------------------------------------ files
    def public_files(
        self,
        *,
        papers: Iterable[int] = (),
        meetings: Iterable[int] = (),
        items: Iterable[int] = (),
    ) -> list[StoredFile]:
        """The public documents of these papers, meetings and agenda items (content not loaded)."""
        conditions = []
        for column, ids in (
            (StoredFile.paper_id, list(papers)),
            (StoredFile.meeting_id, list(meetings)),
            (StoredFile.agenda_item_id, list(items)),
        ):
            if ids:
                conditions.append(column.in_(ids))
        if not conditions:
            return []
        return list(
            self.session.scalars(
                select(StoredFile)
                .options(defer(StoredFile.content))
                .where(or_(*conditions), file_is_public())
                .order_by(StoredFile.id)
            )
        )

    def derivatives_of(self, file_ids: Iterable[int]) -> dict[int, list[int]]:
        ids = list(file_ids)
        found: dict[int, list[int]] = defaultdict(list)
        if ids:
            for row in self.session.execute(
                select(StoredFile.id, StoredFile.master_file_id)
                .where(StoredFile.master_file_id.in_(ids), file_is_public())
                .order_by(StoredFile.id)
            ):
                found[row.master_file_id].append(row.id)
        return found

    def file(self, f: StoredFile, derivatives: Sequence[int], master_visible: bool) -> dict[str, Any]:
        return _clean(
            {
                "id": self.urls.file(f.id),
                "type": type_url("File"),
                "name": f.name,
                "fileName": f.file_name,
                "mimeType": f.media_type,
                "date": date(f.created_at.astimezone(BERLIN).date()),
                "size": f.size_bytes,
                "sha512Checksum": f.sha512,
                "accessUrl": self.urls.file_access(f.id),
                "downloadUrl": self.urls.file_download(f.id),
                "masterFile": self.urls.file(f.master_file_id)
                if f.master_file_id and master_visible
                else None,
                "derivativeFile": [self.urls.file(i) for i in derivatives],
                "paper": [self.urls.paper(f.paper_id)] if f.paper_id else None,
                "meeting": [self.urls.meeting(f.meeting_id)] if f.meeting_id else None,
                "agendaItem": [self.urls.agenda_item(f.agenda_item_id)] if f.agenda_item_id else None,
                VENDOR + "kind": FILE_KIND_LABELS.get(f.kind, f.kind),
                VENDOR + "version": f.version,
                **stamps(f.created_at, f.modified_at),
            }
        )

    def files(self, files: Sequence[StoredFile]) -> dict[int, dict[str, Any]]:
        """Each file serialised (with its public derivatives and its master if public), by id."""
        derivatives = self.derivatives_of(f.id for f in files)
        masters = self.visible_ids(
            StoredFile, file_is_public(), (f.master_file_id for f in files if f.master_file_id)
        )
        return {f.id: self.file(f, derivatives.get(f.id, []), f.master_file_id in masters) for f in files}

    @staticmethod
    def auxiliary_of(files: Sequence[StoredFile], *mains: StoredFile | None) -> list[StoredFile]:
        """The other documents worth embedding: the newest version of each document (both formats), not the
        superseded ones (they stay fetchable at their own URL and in the file list), and not the main files
        themselves."""

        def document(f: StoredFile) -> tuple[str, int | None, int | None, int | None]:
            return (f.kind, f.paper_id, f.meeting_id, f.agenda_item_id)

        newest: dict[tuple[str, int | None, int | None, int | None], int] = {}
        for f in files:
            newest[document(f)] = max(newest.get(document(f), 0), f.version)
        shown = {m.id for m in mains if m is not None}
        return [f for f in files if f.version == newest[document(f)] and f.id not in shown]

    @staticmethod
    def main_of(files: Sequence[StoredFile], kind: str) -> StoredFile | None:
        """The document of a kind a reader wants first: the newest version, as PDF where there is one."""
        of_kind = [f for f in files if f.kind == kind]
        if not of_kind:
            return None
        return max(of_kind, key=lambda f: (f.version, f.media_type == PDF, f.id))

    # ------------------------------------------------------------------ meetings and agenda items
    def visible_ids(
        self,
        model: type[Meeting] | type[Consultation] | type[StoredFile],
        rule: ColumnElement[bool],
        ids: Iterable[int],
    ) -> set[int]:
        """Those of ``ids`` whose row the public may see under ``rule`` (one query)."""
        wanted = list(set(ids))
        if not wanted:
            return set()
        return set(self.session.scalars(select(model.id).where(model.id.in_(wanted), rule)))

    def visible_item_positions(self, meeting_ids: Iterable[int]) -> dict[int, int]:
        """Agenda item id → its ``order`` in OParl: its index among the meeting's *public* items."""
        wanted = list(set(meeting_ids))
        positions: dict[int, int] = {}
        if not wanted:
            return positions
        counters: dict[int, int] = defaultdict(int)
        for row in self.session.execute(
            select(AgendaItem.id, AgendaItem.meeting_id)
            .where(AgendaItem.meeting_id.in_(wanted), agenda_item_is_public())
            .order_by(AgendaItem.meeting_id, AgendaItem.order)
        ):
            positions[row.id] = counters[row.meeting_id]
            counters[row.meeting_id] += 1
        return positions

    def _votes(self, result: ItemResult) -> list[dict[str, Any]]:
        votes = []
        for v in result.votes:
            votes.append(
                _clean(
                    {
                        "subject": v.subject,
                        "yes": v.yes,
                        "no": v.no,
                        "abstain": v.abstain,
                        "decisive": v.decisive,
                        "castingVote": v.casting_vote,
                        "factions": [
                            {
                                "organization": self.urls.faction(c.faction_id),
                                "yes": c.yes,
                                "no": c.no,
                                "abstain": c.abstain,
                            }
                            for c in v.faction_counts
                        ],
                        "named": [
                            {"person": self.urls.person(n.person_id), "choice": n.choice} for n in v.named
                        ],
                    }
                )
            )
        return votes

    def agenda_item(
        self,
        item: AgendaItem,
        *,
        order: int,
        consultation_visible: bool,
        files: Sequence[StoredFile],
        serialized_files: dict[int, dict[str, Any]],
    ) -> dict[str, Any]:
        result = item.result
        resolution = self.main_of(files, "resolution_extract")
        auxiliary = [serialized_files[f.id] for f in self.auxiliary_of(files, resolution)]
        obj: dict[str, Any] = {
            "id": self.urls.agenda_item(item.id),
            "type": type_url("AgendaItem"),
            "meeting": self.urls.meeting(item.meeting_id),
            "number": item.number,
            "order": order,
            "name": item.title,
            "public": True,
            "consultation": (
                self.urls.consultation(item.consultation_id)
                if item.consultation_id and consultation_visible
                else None
            ),
            "result": result.outcome_wording if result else None,
            "resolutionText": result.resolution_text if result else None,
            "resolutionFile": serialized_files[resolution.id] if resolution else None,
            "auxiliaryFile": auxiliary,
            **stamps(item.created_at, item.modified_at),
        }
        if result is not None:
            obj[VENDOR + "outcome"] = result.outcome
            obj[VENDOR + "votes"] = self._votes(result)
            obj[VENDOR + "recusals"] = [{"person": self.urls.person(r.person_id)} for r in result.recusals]
            obj[VENDOR + "quorumFailed"] = result.quorum_failed
            obj[VENDOR + "resultRevision"] = result.revision
        if item.late_addition:
            obj[VENDOR + "lateAddition"] = True
        return _clean(obj)

    def agenda_items(self, items: Sequence[AgendaItem]) -> list[dict[str, Any]]:
        """Public agenda items (the caller filtered them, loaded with ``ITEM_OPTIONS``) with their result,
        files and order."""
        positions = self.visible_item_positions(i.meeting_id for i in items)
        files = self.public_files(items=[i.id for i in items])
        serialized = self.files(files)
        by_item: dict[int, list[StoredFile]] = defaultdict(list)
        for f in files:
            if f.agenda_item_id is not None:
                by_item[f.agenda_item_id].append(f)
        consultations_ok = self.visible_ids(
            Consultation, consultation_is_public(), (i.consultation_id for i in items if i.consultation_id)
        )
        return [
            self.agenda_item(
                i,
                order=positions[i.id],
                consultation_visible=i.consultation_id in consultations_ok,
                files=by_item.get(i.id, []),
                serialized_files=serialized,
            )
            for i in items
        ]

    def location(self, meeting: Meeting) -> dict[str, Any]:
        return _clean(
            {
                "id": self.urls.location(meeting.id),
                "type": type_url("Location"),
                "description": meeting.location,
                "meetings": [self.urls.meeting(meeting.id)],
                **stamps(meeting.created_at, meeting.modified_at),
            }
        )

    def meetings(self, meetings: Sequence[Meeting], *, embed: bool = True) -> list[dict[str, Any]]:
        """Public meetings (the caller filtered them, loaded with ``MEETING_OPTIONS``) with their public part
        only."""
        ids = [m.id for m in meetings]
        items_by_meeting: dict[int, list[dict[str, Any]]] = defaultdict(list)
        files_by_meeting: dict[int, list[StoredFile]] = defaultdict(list)
        serialized: dict[int, dict[str, Any]] = {}
        if embed and ids:
            items = list(
                self.session.scalars(
                    select(AgendaItem)
                    .where(AgendaItem.meeting_id.in_(ids), agenda_item_is_public())
                    .options(*ITEM_OPTIONS)
                    .order_by(AgendaItem.meeting_id, AgendaItem.order)
                )
            )
            for item, obj in zip(items, self.agenda_items(items), strict=True):
                items_by_meeting[item.meeting_id].append(obj)
            files = [f for f in self.public_files(meetings=ids) if f.agenda_item_id is None]
            serialized = self.files(files)
            for f in files:
                if f.meeting_id is not None:
                    files_by_meeting[f.meeting_id].append(f)
        out = []
        for meeting in meetings:
            files = files_by_meeting.get(meeting.id, [])
            invitation = self.main_of(files, "invitation")
            minutes = self.main_of(files, "minutes")
            state = MeetingState(meeting.state)
            out.append(
                _clean(
                    {
                        "id": self.urls.meeting(meeting.id),
                        "type": type_url("Meeting"),
                        "name": meeting.name,
                        "meetingState": MEETING_STATE_LABELS[state],
                        "cancelled": True if state is MeetingState.cancelled else None,
                        "start": date_time(meeting.start),
                        "end": date_time(meeting.end) if meeting.end else None,
                        "location": self.location(meeting) if embed and meeting.location else None,
                        "organization": [self.urls.organization(b.id) for b in meeting.bodies],
                        "participant": [
                            self.urls.person(a.person_id) for a in meeting.attendance if a.status == "present"
                        ],
                        "invitation": serialized[invitation.id] if embed and invitation else None,
                        "resultsProtocol": serialized[minutes.id] if embed and minutes else None,
                        "auxiliaryFile": [
                            serialized[f.id] for f in self.auxiliary_of(files, invitation, minutes)
                        ],
                        "agendaItem": items_by_meeting.get(meeting.id, []) if embed else None,
                        VENDOR + "secondSession": meeting.second_session or None,
                        **stamps(meeting.created_at, meeting.modified_at),
                    }
                )
            )
        return out

    # ------------------------------------------------------------------ papers and consultations
    def consultation(
        self, step: Step, *, visible_meetings: set[int], visible_items: set[int]
    ) -> dict[str, Any]:
        # A step dealt with in private (a non-public agenda item, a meeting of non-public bodies only) shows
        # neither how far it got nor its outcome: both are the content of the non-public deliberation.
        private = (step.agenda_item_id is not None and step.agenda_item_id not in visible_items) or (
            step.meeting_id is not None and step.meeting_id not in visible_meetings
        )
        return _clean(
            {
                "id": self.urls.consultation(step.id),
                "type": type_url("Consultation"),
                "paper": self.urls.paper(step.paper_id),
                "agendaItem": (
                    self.urls.agenda_item(step.agenda_item_id)
                    if step.agenda_item_id in visible_items
                    else None
                ),
                "meeting": self.urls.meeting(step.meeting_id)
                if step.meeting_id in visible_meetings
                else None,
                "organization": [self.urls.organization(step.body_id)],
                "authoritative": step.authoritative,
                "role": CONSULTATION_ROLE_LABELS[ConsultationRole(step.role)],
                VENDOR + "state": None if private else step.state,
                VENDOR + "stage": step.stage,
                VENDOR + "outcome": None if private else step.outcome,
                VENDOR + "outcomeWording": None if private else step.outcome_wording,
                **stamps(step.created_at, step.modified_at),
            }
        )

    def consultations(self, steps: Sequence[Step]) -> list[dict[str, Any]]:
        visible_meetings = self.visible_ids(
            Meeting, meeting_is_public(), (s.meeting_id for s in steps if s.meeting_id)
        )
        item_ids = [s.agenda_item_id for s in steps if s.agenda_item_id]
        visible_items = (
            set(
                self.session.scalars(
                    select(AgendaItem.id).where(AgendaItem.id.in_(item_ids), agenda_item_is_public())
                )
            )
            if item_ids
            else set()
        )
        return [
            self.consultation(s, visible_meetings=visible_meetings, visible_items=visible_items)
            for s in steps
        ]

    def decided_in_private(self, paper_ids: Sequence[int]) -> set[int]:
        """Papers whose deciding step was (or is to be) dealt with on a non-public agenda item or in a
        meeting of non-public bodies only: their resolution and the decision are not published."""
        if not paper_ids:
            return set()
        rows = self.session.execute(
            select(Consultation.paper_id, Consultation.agenda_item_id, Consultation.meeting_id).where(
                Consultation.paper_id.in_(paper_ids),
                Consultation.authoritative.is_(True),
                or_(Consultation.agenda_item_id.is_not(None), Consultation.meeting_id.is_not(None)),
            )
        ).all()
        item_ids = [r.agenda_item_id for r in rows if r.agenda_item_id is not None]
        visible_items = (
            set(
                self.session.scalars(
                    select(AgendaItem.id).where(AgendaItem.id.in_(item_ids), agenda_item_is_public())
                )
            )
            if item_ids
            else set()
        )
        visible_meetings = self.visible_ids(
            Meeting, meeting_is_public(), (r.meeting_id for r in rows if r.meeting_id)
        )
        return {
            r.paper_id
            for r in rows
            if (r.agenda_item_id is not None and r.agenda_item_id not in visible_items)
            or (r.meeting_id is not None and r.meeting_id not in visible_meetings)
        }

    def papers(self, papers: Sequence[Paper], *, embed: bool = True) -> list[dict[str, Any]]:
        """Public papers (the caller filtered them) with their Beratungsfolge and documents."""
        ids = [p.id for p in papers]
        steps_by_paper: dict[int, list[dict[str, Any]]] = defaultdict(list)
        files_by_paper: dict[int, list[StoredFile]] = defaultdict(list)
        serialized: dict[int, dict[str, Any]] = {}
        if embed and ids:
            # Plain rows, not ORM objects: a page of 100 papers embeds a few hundred steps, and building
            # them as ORM instances was a fifth of the page's time.
            steps = list(
                self.session.execute(
                    select(*STEP_COLUMNS)
                    .where(Consultation.paper_id.in_(ids))
                    .order_by(
                        Consultation.paper_id, Consultation.stage, Consultation.position, Consultation.id
                    )
                )
            )
            for step, obj in zip(steps, self.consultations(steps), strict=True):
                steps_by_paper[step.paper_id].append(obj)
            files = [f for f in self.public_files(papers=ids) if f.agenda_item_id is None]
            serialized = self.files(files)
            for f in files:
                if f.paper_id is not None:
                    files_by_paper[f.paper_id].append(f)
        private = self.decided_in_private(ids)
        out = []
        for p in papers:
            files = files_by_paper.get(p.id, [])
            state = PaperState(p.state)
            hidden = p.id in private
            main = self.main_of(files, "vorlage")
            out.append(
                _clean(
                    {
                        "id": self.urls.paper(p.id),
                        "type": type_url("Paper"),
                        "body": self.urls.body(p.municipality_id),
                        "name": p.subject,
                        "reference": p.reference,
                        "date": date(p.paper_date),
                        "paperType": PAPER_KIND_LABELS[PaperKind(p.kind)],
                        "underDirectionOf": [self.urls.department(p.department_id)],
                        "mainFile": serialized[main.id] if main else None,
                        "auxiliaryFile": [serialized[f.id] for f in self.auxiliary_of(files, main)],
                        "consultation": steps_by_paper.get(p.id, []) if embed else None,
                        VENDOR + "state": None
                        if hidden and state in DECISION_STATES
                        else PAPER_STATE_LABELS[state],
                        VENDOR + "fileReference": p.file_reference,
                        VENDOR + "financialImpact": p.financial_impact,
                        VENDOR + "proposedResolution": p.proposed_resolution,
                        VENDOR + "resolutionText": None if hidden else p.resolution_text,
                        **stamps(p.created_at, p.modified_at),
                    }
                )
            )
        return out
