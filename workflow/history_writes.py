"""The use cases that write one page of imported history each: organizations, persons with their
memberships, meetings with their agenda items, papers with their Beratungsfolge, and their file records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow.history import (
    Deleted,
    ListedFileIn,
    LocationIn,
    MeetingIn,
    MembershipIn,
    OrganizationIn,
    PersonIn,
    Tally,
    TermIn,
)
from workflow.history_import import FileEntry, Run, Writer, write
from workflow.models import (
    AgendaItem,
    Attendance,
    Body,
    Department,
    Faction,
    LegislativeTerm,
    Location,
    Meeting,
    Membership,
    Person,
)
from workflow.vocabulary import AttendanceStatus, MeetingState

GONE = "An der Quelle gelöscht"
UNKNOWN_DEPARTMENT = "import-unbekannt"
NO_START = dt.date(1900, 1, 1)
_ORG_MODELS: dict[str, type[Body] | type[Faction] | type[Department]] = {
    "body": Body,
    "faction": Faction,
    "department": Department,
}


def _unique_key(
    session: Session, model: type[Body] | type[Faction] | type[Department], town: int, key: str
) -> str:
    candidate, n = key, 1
    while session.scalar(select(model.id).where(model.municipality_id == town, model.key == candidate)):
        n += 1
        candidate = f"{key[:58]}-{n}"
    return candidate


def write_organizations(
    sessions: sessionmaker[Session],
    run: Run,
    items: Sequence[OrganizationIn],
    deleted: Sequence[Deleted] = (),
    now: dt.datetime | None = None,
) -> Tally:
    """Organizations become bodies (Gremien), factions or departments (Dienststellen)."""

    def step(w: Writer) -> None:
        w.load([*(o.source.url for o in items), *(d.url for d in deleted)])
        for org in items:
            state = w.state(org.source)
            w.counted("Organization", state)
            if state == "unchanged":
                w.touch(org.source)
                continue
            model = _ORG_MODELS[org.kind]
            record = w.records.get(org.source.url)
            found = (
                w.session.get(model, record.local_id)
                if record is not None and record.local_id is not None and record.local_type == org.kind
                else None
            )
            row: Body | Faction | Department
            if isinstance(found, Body | Faction | Department):
                row = found
            else:
                stamp = org.source.created or w.now
                key = _unique_key(w.session, model, run.municipality_id, org.key)
                if model is Body:
                    row = Body(
                        municipality_id=run.municipality_id,
                        key=key,
                        kind=org.body_kind,
                        statutory_members=org.statutory_members,
                        tags=[],
                        settings_override={},
                        created_at=stamp,
                    )
                elif model is Faction:
                    row = Faction(municipality_id=run.municipality_id, key=key, created_at=stamp)
                else:
                    row = Department(municipality_id=run.municipality_id, key=key, created_at=stamp)
                w.session.add(row)
            if isinstance(row, Body):
                row.name, row.short_name, row.public = org.name[:200], org.short_name[:60], org.public
                row.kind = org.body_kind or row.kind
                row.statutory_members = org.statutory_members or row.statutory_members
            elif isinstance(row, Faction):
                row.name, row.short_name = org.name[:200], org.short_name[:60]
            else:
                row.name, row.short_name = org.name[:300], org.short_name[:100]
            row.modified_at = w.now
            w.session.flush()
            w.remember(org.source, "Organization", org.kind, row.id)
            w.audited("oparl.imported" if state == "new" else "oparl.updated", row, org.source.url)
        for gone in deleted:
            w.mark_deleted(gone)

    return write(sessions, run, now, step)


def _membership(
    w: Writer, person: Person, m: MembershipIn, parent: str | None, state: str
) -> tuple[str, int] | None:
    """Write one membership; returns what it is a membership in (kind, local id)."""
    for kind in ("body", "faction", "department"):
        target = w.local(m.organization_url, kind)
        if target is not None:
            break
    else:
        w.tally.quarantine("Membership", m.source.url, f"Organisation {m.organization_url} nicht importiert")
        return None
    if kind != "body":
        # A membership in a faction or department has no row of its own: it gives the person's body
        # memberships their faction (see below) and is kept as the source's identity.
        w.remember(m.source, "Membership", f"{kind}_membership", target, parent)
        return kind, target
    if m.start_date is None:
        w.inconsistent("Membership", m.source.url, "Mitgliedschaft ohne Beginn: 01.01.1900 angenommen")
    record = w.records.get(m.source.url)
    row = (
        w.session.get(Membership, record.local_id)
        if record is not None and record.local_id is not None and record.local_type == "membership"
        else None
    )
    if row is None:
        row = Membership(person_id=person.id, created_at=m.source.created or w.now)
        w.session.add(row)
    row.body_id, row.role, row.voting_right = target, m.role, m.voting_right
    row.substitute_of_id = w.local(m.substitute_for_url, "person")
    row.start_date, row.end_date = m.start_date or NO_START, m.end_date
    row.modified_at = w.now
    w.session.flush()
    if m.substitute_for_url and row.substitute_of_id is None:
        w.tally.pending_substitutes.append((row.id, m.substitute_for_url))
    w.remember(m.source, "Membership", "membership", row.id, parent)
    w.audited("oparl.imported" if state == "new" else "oparl.updated", row, m.source.url)
    return "body", row.id


def write_persons(
    sessions: sessionmaker[Session],
    run: Run,
    items: Sequence[PersonIn],
    deleted: Sequence[Deleted] = (),
    now: dt.datetime | None = None,
) -> Tally:
    """Persons with their memberships (in bodies; in factions as the faction of their body memberships)."""

    def step(w: Writer) -> None:
        w.load(
            [
                *(p.source.url for p in items),
                *(m.source.url for p in items for m in p.memberships),
                *(m.organization_url for p in items for m in p.memberships),
                *(d.url for d in deleted),
            ]
        )
        for p in items:
            state = w.state(p.source)
            w.counted("Person", state)
            if state == "unchanged":
                w.touch(p.source)
                for m in p.memberships:
                    w.counted("Membership", "unchanged")
                    w.touch(m.source)
                continue
            record = w.records.get(p.source.url)
            person = w.session.get(Person, record.local_id) if record and record.local_id else None
            if person is None:
                key = p.key
                while w.session.scalar(
                    select(Person.id).where(Person.municipality_id == run.municipality_id, Person.key == key)
                ):
                    key = f"{p.key[:58]}-x"
                person = Person(
                    municipality_id=run.municipality_id, key=key, created_at=p.source.created or w.now
                )
                w.session.add(person)
            person.given_name, person.family_name = p.given_name[:100], p.family_name[:100]
            person.title = p.title[:60] if p.title else None
            person.email = p.email[:200] if p.email else None
            person.function = p.function[:120] if p.function else None
            person.modified_at = w.now
            w.session.flush()
            w.remember(p.source, "Person", "person", person.id)
            w.audited("oparl.imported" if state == "new" else "oparl.updated", person, p.source.url)
            in_body: list[tuple[MembershipIn, int]] = []
            factions: list[tuple[MembershipIn, int]] = []
            for m in p.memberships:
                m_state = w.state(m.source)
                w.counted("Membership", m_state)
                written = _membership(w, person, m, p.source.url, m_state)
                if written is None:  # quarantined: counted as seen and quarantined only
                    w.tally.add("Membership", _COUNT_KEY[m_state], -1)
                elif written[0] == "body":
                    in_body.append((m, written[1]))
                elif written[0] == "faction":
                    factions.append((m, written[1]))
            _link_factions(w, in_body, factions)
            named = {m.source.url for m in p.memberships} | set(p.membership_refs)
            for old in w.vanished_children(p.source.url, named):
                _remove_membership(w, old.local_type, old.local_id, old.url)
        for gone in deleted:
            had = w.mark_deleted(gone)
            if had is not None and had.local_id is not None:
                for child in w.vanished_children(gone.url, set()):
                    _remove_membership(w, child.local_type, child.local_id, child.url)

    return write(sessions, run, now, step)


_COUNT_KEY = {"new": "created", "changed": "updated", "unchanged": "unchanged"}


def _link_factions(
    w: Writer, in_body: Sequence[tuple[MembershipIn, int]], factions: Sequence[tuple[MembershipIn, int]]
) -> None:
    """A body membership sits for the faction it names (``onBehalfOf``), else for the faction the person
    belonged to when it began."""
    for m, membership_id in in_body:
        row = w.session.get_one(Membership, membership_id)
        day = row.start_date
        covering = [
            faction_id
            for f, faction_id in factions
            if (f.start_date or NO_START) <= day and (f.end_date is None or day <= f.end_date)
        ]
        row.faction_id = w.local(m.on_behalf_of_url, "faction") or (covering[0] if covering else None)


def write_memberships(
    sessions: sessionmaker[Session],
    run: Run,
    items: Sequence[MembershipIn],
    deleted: Sequence[Deleted] = (),
    now: dt.datetime | None = None,
) -> Tally:
    """Memberships of the Body's membership list. One that came embedded in its person in this run is
    not written (nor counted) again; one only listed here is written for the person it names."""

    def step(w: Writer) -> None:
        w.load(
            [
                *(m.source.url for m in items),
                *(m.person_url for m in items if m.person_url),
                *(m.organization_url for m in items),
                *(d.url for d in deleted),
            ]
        )
        by_person: dict[int, tuple[list[tuple[MembershipIn, int]], list[tuple[MembershipIn, int]]]] = {}
        for m in items:
            if w.seen_in_run(m.source.url):
                continue  # came with its person
            person_id = w.local(m.person_url, "person")
            if person_id is None:
                w.tally.add("Membership", "seen")
                w.tally.quarantine("Membership", m.source.url, f"Person {m.person_url} nicht importiert")
                continue
            state = w.state(m.source)
            w.counted("Membership", state)
            if state == "unchanged":
                w.touch(m.source)
                continue
            record = w.records.get(m.source.url)
            parent = record.parent_url if record is not None else None  # embedded before: stays its person's
            written = _membership(w, w.session.get_one(Person, person_id), m, parent, state)
            in_body, factions = by_person.setdefault(person_id, ([], []))
            if written is None:
                w.tally.add("Membership", _COUNT_KEY[state], -1)
            elif written[0] == "body":
                in_body.append((m, written[1]))
            elif written[0] == "faction":
                factions.append((m, written[1]))
        for in_body, factions in by_person.values():
            _link_factions(w, in_body, factions)
        for gone in deleted:
            had = w.mark_deleted(gone)
            if had is not None:
                _remove_membership(w, had.local_type, had.local_id, gone.url)

    return write(sessions, run, now, step)


def _remove_membership(w: Writer, local_type: str, local_id: int | None, url: str) -> None:
    """A membership the source no longer has is removed (it was a correction of the record there)."""
    if local_type != "membership" or local_id is None:
        return
    row = w.session.get(Membership, local_id)
    if row is not None:
        w.audited("oparl.removed", row, url)
        w.session.delete(row)
        w.session.flush()


def _meeting_state(meeting: MeetingIn, now: dt.datetime) -> str:
    if meeting.cancelled:
        return MeetingState.cancelled.value
    return MeetingState.held.value if meeting.start <= now else MeetingState.planned.value


def write_meetings(
    sessions: sessionmaker[Session],
    run: Run,
    items: Sequence[MeetingIn],
    deleted: Sequence[Deleted] = (),
    now: dt.datetime | None = None,
) -> Tally:
    """Meetings with their bodies, agenda items (with the result wording) and file records."""

    def step(w: Writer) -> None:
        w.load(
            [
                *(m.source.url for m in items),
                *(i.source.url for m in items for i in m.agenda_items),
                *(f.source.url for m in items for i in m.agenda_items for f in i.files),
                *(f.source.url for m in items for f in m.files),
                *(u for m in items for u in m.organization_urls),
                *(u for m in items for u in m.participant_urls),
                *(m.place.source.url for m in items if m.place),
                *(m.place_url for m in items if m.place_url),
                *(d.url for d in deleted),
            ]
        )
        for m in items:
            state = w.state(m.source)
            w.counted("Meeting", state)
            if state == "unchanged":
                w.touch(m.source)
                if m.place:
                    _place(w, m.place)  # counted once per run (unchanged)
                for item in m.agenda_items:
                    w.counted("AgendaItem", "unchanged")
                    w.touch(item.source)
                    for f in item.files:
                        w.counted("File", "unchanged")
                        w.touch(f.source)
                for f in m.files:
                    w.counted("File", "unchanged")
                    w.touch(f.source)
                continue
            record = w.records.get(m.source.url)
            meeting = w.session.get(Meeting, record.local_id) if record and record.local_id else None
            if meeting is None:
                meeting = Meeting(
                    municipality_id=run.municipality_id, created_at=m.source.created or w.now, sequence=0
                )
                w.session.add(meeting)
            meeting.name, meeting.start, meeting.end = m.name[:300], m.start, m.end
            meeting.state = _meeting_state(m, w.now)
            meeting.location = m.location[:300] if m.location else None
            meeting.location_id = _place(w, m.place) if m.place else w.local(m.place_url, "location")
            if meeting.location_id is not None and m.place is None and not meeting.location:
                meeting.location = _place_text(w.session.get_one(Location, meeting.location_id))
            bodies = [w.local(u, "body") for u in m.organization_urls]
            meeting.bodies = [w.session.get_one(Body, b) for b in dict.fromkeys(bodies) if b is not None]
            if not meeting.bodies:
                w.inconsistent("Meeting", m.source.url, "Sitzung ohne bekanntes Gremium")
            meeting.modified_at = w.now
            w.session.flush()
            _participants(w, meeting, m.participant_urls)
            w.remember(m.source, "Meeting", "meeting", meeting.id)
            w.audited(
                "oparl.imported" if state == "new" else "oparl.updated",
                meeting,
                m.source.url,
                meeting_id=meeting.id,
            )
            if state != "new":
                existing = w.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id))
                for old_item in existing:  # make room for the new order (unique per meeting)
                    old_item.order = -old_item.id
                w.session.flush()
            rows: list[tuple[str, AgendaItem]] = []
            for order, item in enumerate(m.agenda_items):
                i_state = w.state(item.source)
                w.counted("AgendaItem", i_state)
                i_record = w.records.get(item.source.url)
                found = (
                    w.session.get(AgendaItem, i_record.local_id) if i_record and i_record.local_id else None
                )
                row = found or AgendaItem(meeting_id=meeting.id, created_at=item.source.created or w.now)
                if found is None:
                    w.session.add(row)
                row.order = order
                if i_state != "unchanged":
                    row.number, row.title, row.public = item.number[:20], item.title, item.public
                    row.result_wording = item.result_wording
                    row.resolution_text = item.resolution_text
                    row.modified_at = w.now
                rows.append((i_state, row))
            w.session.flush()
            entries = [FileEntry(f, m.source.url, meeting_id=meeting.id) for f in m.files]
            for item, (i_state, row) in zip(m.agenda_items, rows, strict=True):
                if item.consultation_url and i_state != "unchanged":
                    w.tally.pending_items.append((row.id, item.consultation_url))
                if i_state == "unchanged":
                    w.touch(item.source)
                else:
                    w.remember(item.source, "AgendaItem", "agenda_item", row.id, m.source.url)
                    w.audited(
                        "oparl.imported" if i_state == "new" else "oparl.updated",
                        row,
                        item.source.url,
                        meeting_id=meeting.id,
                    )
                entries.extend(
                    FileEntry(f, item.source.url, meeting_id=meeting.id, agenda_item_id=row.id)
                    for f in item.files
                )
            kept = w.files(entries)
            for item in m.agenda_items:
                w.hide_files(w.vanished_children(item.source.url, kept), GONE)
            kept |= {i.source.url for i in m.agenda_items}
            vanished = w.vanished_children(m.source.url, kept)
            _hide_items(w, [r.local_id for r in vanished if r.local_type == "agenda_item" and r.local_id])
            w.hide_files(vanished, GONE)
        for gone in deleted:
            had = w.mark_deleted(gone)
            if had is not None and had.local_id is not None:
                meeting = w.session.get(Meeting, had.local_id)
                if meeting is not None:
                    w.tombstone("meeting", meeting, GONE)
                    w.audited("oparl.deleted", meeting, gone.url, meeting_id=meeting.id)
                    children = w.vanished_children(gone.url, set())
                    _hide_items(
                        w, [r.local_id for r in children if r.local_type == "agenda_item" and r.local_id]
                    )
                    w.hide_files(children, GONE)

    return write(sessions, run, now, step)


def write_terms(
    sessions: sessionmaker[Session],
    run: Run,
    items: Sequence[TermIn],
    deleted: Sequence[Deleted] = (),
    now: dt.datetime | None = None,
) -> Tally:
    """The Body's legislative terms."""

    def step(w: Writer) -> None:
        w.load([*(t.source.url for t in items), *(d.url for d in deleted)])
        for t in items:
            if w.seen_in_run(t.source.url):
                continue  # embedded in the Body and in its term list: once
            state = w.state(t.source)
            w.counted("LegislativeTerm", state)
            if state == "unchanged":
                w.touch(t.source)
                continue
            record = w.records.get(t.source.url)
            row = w.session.get(LegislativeTerm, record.local_id) if record and record.local_id else None
            if row is None:
                row = LegislativeTerm(
                    municipality_id=run.municipality_id, created_at=t.source.created or w.now
                )
                w.session.add(row)
            row.name, row.start_date, row.end_date = t.name[:200], t.start_date, t.end_date
            row.modified_at = w.now
            w.session.flush()
            w.remember(t.source, "LegislativeTerm", "legislative_term", row.id)
            w.audited("oparl.imported" if state == "new" else "oparl.updated", row, t.source.url)
        for gone in deleted:
            had = w.mark_deleted(gone)
            if had is not None and had.local_id is not None:
                row = w.session.get(LegislativeTerm, had.local_id)
                if row is not None:
                    w.audited("oparl.removed", row, gone.url)
                    w.session.delete(row)

    return write(sessions, run, now, step)


def write_listed_files(
    sessions: sessionmaker[Session],
    run: Run,
    items: Sequence[ListedFileIn],
    deleted: Sequence[Deleted] = (),
    now: dt.datetime | None = None,
) -> Tally:
    """The records of the Body's file list that no object embedded in this run (older versions, derivatives),
    with the paper, meeting or agenda item they name."""

    def step(w: Writer) -> None:
        w.load(
            [
                *(i.file.source.url for i in items),
                *(u for i in items for u in (i.paper_url, i.meeting_url, i.agenda_item_url) if u),
                *(d.url for d in deleted),
            ]
        )
        entries = []
        for i in items:
            record = w.records.get(i.file.source.url)
            if record is not None and record.parent_url and record.deleted_at is None:
                continue  # embedded in its object: it came (and is counted) with it
            entries.append(
                FileEntry(
                    i.file,
                    None,
                    paper_id=w.local(i.paper_url, "paper"),
                    meeting_id=w.local(i.meeting_url, "meeting"),
                    agenda_item_id=w.local(i.agenda_item_url, "agenda_item"),
                )
            )
        w.files(entries)
        for gone in deleted:
            had = w.mark_deleted(gone)
            if had is not None and had.local_id is not None:
                w.hide_files([had], GONE)

    return write(sessions, run, now, step)


def write_locations(
    sessions: sessionmaker[Session],
    run: Run,
    items: Sequence[LocationIn],
    deleted: Sequence[Deleted] = (),
    now: dt.datetime | None = None,
) -> Tally:
    """Locations of the Body's location list and the Body's own (its administration's address). A
    location deleted at the source is marked deleted; its row stays while meetings refer to it."""

    def step(w: Writer) -> None:
        w.load([*(p.source.url for p in items), *(d.url for d in deleted)])
        for place in items:
            _place(w, place)
        for gone in deleted:
            w.mark_deleted(gone)

    return write(sessions, run, now, step)


def _place(w: Writer, place: LocationIn) -> int:
    """The location row of a Location (shared by the meetings held there; written once per change). A
    location is counted once per run, however many meetings name it."""
    record = w.records.get(place.source.url)
    row = w.session.get(Location, record.local_id) if record and record.local_id else None
    if row is not None and record is not None and w.seen_in_run(place.source.url):
        return row.id
    state = w.state(place.source)
    if row is None and state == "unchanged":
        state = "changed"  # the row is gone: written again
    w.counted("Location", state)
    if row is not None and record is not None and state == "unchanged":
        record.last_run_id = w.run.id
        return row.id
    if row is None:
        row = Location(municipality_id=w.run.municipality_id, created_at=place.source.created or w.now)
        w.session.add(row)
    row.description = place.description
    row.street_address = place.street_address[:300] if place.street_address else None
    row.room = place.room[:200] if place.room else None
    row.postal_code = place.postal_code[:20] if place.postal_code else None
    row.locality = place.locality[:200] if place.locality else None
    row.modified_at = w.now
    w.session.flush()
    w.remember(place.source, "Location", "location", row.id)
    w.audited("oparl.imported" if state == "new" else "oparl.updated", row, place.source.url)
    return row.id


def _place_text(row: Location) -> str | None:
    """A recorded place as text (for a meeting that names its Location by URL only)."""
    if row.description:
        return row.description[:300]
    place = " ".join(filter(None, (row.postal_code, row.locality)))
    return ", ".join(filter(None, (row.street_address, row.room, place)))[:300] or None


def _participants(w: Writer, meeting: Meeting, urls: Sequence[str]) -> None:
    """The persons the source names as present: the meeting's attendance (present)."""
    wanted = [p for p in dict.fromkeys(w.local(u, "person") for u in urls) if p is not None]
    have = {
        a.person_id: a
        for a in w.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))
    }
    for person_id, row in have.items():
        if person_id not in wanted and row.status == AttendanceStatus.present.value:
            w.session.delete(row)
    for person_id in wanted:
        if person_id not in have:
            w.session.add(
                Attendance(
                    meeting_id=meeting.id,
                    person_id=person_id,
                    status=AttendanceStatus.present.value,
                    created_at=w.now,
                    modified_at=w.now,
                )
            )
        else:
            have[person_id].status = AttendanceStatus.present.value
    w.session.flush()


def _hide_items(w: Writer, ids: list[int]) -> None:
    for item_id in ids:
        found = w.session.get(AgendaItem, item_id)
        if found is not None and found.public:
            row = found
            w.tombstone("agenda_item", row, GONE)
            row.public = False
            row.modified_at = w.now
            w.audited("oparl.deleted", row, f"agenda_item:{item_id}", meeting_id=row.meeting_id)
    w.session.flush()


def _unknown_department(w: Writer) -> int:
    found = w.session.scalar(
        select(Department.id).where(
            Department.municipality_id == w.run.municipality_id, Department.key == UNKNOWN_DEPARTMENT
        )
    )
    if found is not None:
        return found
    row = Department(
        municipality_id=w.run.municipality_id,
        key=UNKNOWN_DEPARTMENT,
        name="Federführung nicht angegeben (Import)",
        created_at=w.now,
        modified_at=w.now,
    )
    w.session.add(row)
    w.session.flush()
    return row.id
