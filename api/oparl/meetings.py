"""OParl Meetings (the public ones), their Location and their public AgendaItems with the results."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.oparl.files import (
    auxiliary_of,
    files_by_id,
    imported_by_role,
    main_of,
    public_files,
    public_imported_files,
)
from api.oparl.format import VENDOR, date_time, type_url
from api.oparl.publisher import Publisher, clean, stamps
from workflow.models import AgendaItem, Consultation, ItemResult, Location, Meeting, StoredFile, Vote
from workflow.publication import agenda_item_is_public, consultation_is_public, meeting_is_public
from workflow.vocabulary import MEETING_STATE_LABELS, MeetingState

# What a page of meetings or agenda items is loaded with (in one query per relationship, not per row).
MEETING_OPTIONS = (selectinload(Meeting.bodies), selectinload(Meeting.attendance))
ITEM_OPTIONS = (
    selectinload(AgendaItem.result).options(
        selectinload(ItemResult.recusals),
        selectinload(ItemResult.votes).options(selectinload(Vote.faction_counts), selectinload(Vote.named)),
    ),
)


def visible_item_positions(pub: Publisher, meeting_ids: Iterable[int]) -> dict[int, int]:
    """Agenda item id → its ``order`` in OParl: its index among the meeting's *public* items."""
    wanted = list(set(meeting_ids))
    positions: dict[int, int] = {}
    if not wanted:
        return positions
    counters: dict[int, int] = defaultdict(int)
    for row in pub.session.execute(
        select(AgendaItem.id, AgendaItem.meeting_id)
        .where(AgendaItem.meeting_id.in_(wanted), agenda_item_is_public())
        .order_by(AgendaItem.meeting_id, AgendaItem.order)
    ):
        positions[row.id] = counters[row.meeting_id]
        counters[row.meeting_id] += 1
    return positions


def _votes(pub: Publisher, result: ItemResult) -> list[dict[str, Any]]:
    votes = []
    for v in result.votes:
        votes.append(
            clean(
                {
                    "subject": v.subject,
                    "yes": v.yes,
                    "no": v.no,
                    "abstain": v.abstain,
                    "decisive": v.decisive,
                    "castingVote": v.casting_vote,
                    "factions": [
                        {
                            "organization": pub.urls.faction(c.faction_id),
                            "yes": c.yes,
                            "no": c.no,
                            "abstain": c.abstain,
                        }
                        for c in v.faction_counts
                    ],
                    "named": [{"person": pub.urls.person(n.person_id), "choice": n.choice} for n in v.named],
                }
            )
        )
    return votes


def agenda_item(
    pub: Publisher,
    item: AgendaItem,
    *,
    order: int,
    consultation_visible: bool,
    files: Sequence[StoredFile],
    serialized_files: dict[int, dict[str, Any]],
    imported: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    urls = pub.urls
    result = item.result
    resolution = main_of(files, "resolution_extract")
    resolutions = imported.get("resolutionFile", [])
    auxiliary = (
        [serialized_files[f.id] for f in auxiliary_of(files, resolution)]
        + resolutions[0 if resolution else 1 :]
        + imported.get("auxiliaryFile", [])
    )
    obj: dict[str, Any] = {
        "id": urls.agenda_item(item.id),
        "type": type_url("AgendaItem"),
        "meeting": urls.meeting(item.meeting_id),
        "number": item.number,
        "order": order,
        "name": item.title,
        "public": True,
        "consultation": (
            urls.consultation(item.consultation_id) if item.consultation_id and consultation_visible else None
        ),
        "result": result.outcome_wording if result else item.result_wording,
        "resolutionText": result.resolution_text if result else item.resolution_text,
        "resolutionFile": (
            serialized_files[resolution.id] if resolution else (resolutions[0] if resolutions else None)
        ),
        "auxiliaryFile": auxiliary,
        **stamps(item.created_at, item.modified_at),
    }
    if result is not None:
        obj[VENDOR + "outcome"] = result.outcome
        obj[VENDOR + "votes"] = _votes(pub, result)
        obj[VENDOR + "recusals"] = [{"person": urls.person(r.person_id)} for r in result.recusals]
        obj[VENDOR + "quorumFailed"] = result.quorum_failed
        obj[VENDOR + "resultRevision"] = result.revision
    if item.late_addition:
        obj[VENDOR + "lateAddition"] = True
    return clean(obj)


def agenda_items(pub: Publisher, items: Sequence[AgendaItem]) -> list[dict[str, Any]]:
    """Public agenda items (the caller filtered them, loaded with ``ITEM_OPTIONS``) with their result,
    files and order."""
    positions = visible_item_positions(pub, (i.meeting_id for i in items))
    files = public_files(pub, items=[i.id for i in items])
    serialized = files_by_id(pub, files)
    by_item: dict[int, list[StoredFile]] = defaultdict(list)
    for f in files:
        if f.agenda_item_id is not None:
            by_item[f.agenda_item_id].append(f)
    imported = imported_by_role(pub, public_imported_files(pub, items=[i.id for i in items]), "agenda_item")
    consultations_ok = pub.visible_ids(
        Consultation, consultation_is_public(), (i.consultation_id for i in items if i.consultation_id)
    )
    return [
        agenda_item(
            pub,
            i,
            order=positions[i.id],
            consultation_visible=i.consultation_id in consultations_ok,
            files=by_item.get(i.id, []),
            serialized_files=serialized,
            imported=imported.get(i.id, {}),
        )
        for i in items
    ]


def location(pub: Publisher, meeting: Meeting) -> dict[str, Any]:
    return clean(
        {
            "id": pub.urls.location(meeting.id),
            "type": type_url("Location"),
            "description": meeting.location,
            "meetings": [pub.urls.meeting(meeting.id)],
            **stamps(meeting.created_at, meeting.modified_at),
        }
    )


def places(pub: Publisher, rows: Sequence[Location]) -> list[dict[str, Any]]:
    """Recorded places with the public meetings held there."""
    held: dict[int, list[int]] = defaultdict(list)
    ids = [r.id for r in rows]
    if ids:
        for row in pub.session.execute(
            select(Meeting.id, Meeting.location_id)
            .where(Meeting.location_id.in_(ids), meeting_is_public())
            .order_by(Meeting.id)
        ):
            held[row.location_id].append(row.id)
    return [
        clean(
            {
                "id": pub.urls.place(r.id),
                "type": type_url("Location"),
                "description": r.description,
                "streetAddress": r.street_address,
                "room": r.room,
                "postalCode": r.postal_code,
                "locality": r.locality,
                "meetings": [pub.urls.meeting(i) for i in held.get(r.id, [])],
                **stamps(r.created_at, r.modified_at),
            }
        )
        for r in rows
    ]


def meetings(pub: Publisher, meetings: Sequence[Meeting], *, embed: bool = True) -> list[dict[str, Any]]:
    """Public meetings (the caller filtered them, loaded with ``MEETING_OPTIONS``) with their public part
    only."""
    urls = pub.urls
    ids = [m.id for m in meetings]
    items_by_meeting: dict[int, list[dict[str, Any]]] = defaultdict(list)
    files_by_meeting: dict[int, list[StoredFile]] = defaultdict(list)
    serialized: dict[int, dict[str, Any]] = {}
    imported: dict[int, dict[str, list[dict[str, Any]]]] = {}
    recorded: dict[int, dict[str, Any]] = {}
    if embed and ids:
        imported = imported_by_role(pub, public_imported_files(pub, meetings=ids), "meeting")
        wanted = sorted({m.location_id for m in meetings if m.location_id is not None})
        if wanted:
            rows = list(pub.session.scalars(select(Location).where(Location.id.in_(wanted))))
            recorded = {r.id: obj for r, obj in zip(rows, places(pub, rows), strict=True)}
        items = list(
            pub.session.scalars(
                select(AgendaItem)
                .where(AgendaItem.meeting_id.in_(ids), agenda_item_is_public())
                .options(*ITEM_OPTIONS)
                .order_by(AgendaItem.meeting_id, AgendaItem.order)
            )
        )
        for item, obj in zip(items, agenda_items(pub, items), strict=True):
            items_by_meeting[item.meeting_id].append(obj)
        files = [f for f in public_files(pub, meetings=ids) if f.agenda_item_id is None]
        serialized = files_by_id(pub, files)
        for f in files:
            if f.meeting_id is not None:
                files_by_meeting[f.meeting_id].append(f)
    out = []
    for meeting in meetings:
        files = files_by_meeting.get(meeting.id, [])
        invitation = main_of(files, "invitation")
        minutes = main_of(files, "minutes")
        records = imported.get(meeting.id, {})
        invitations, protocols = records.get("invitation", []), records.get("resultsProtocol", [])
        state = MeetingState(meeting.state)
        out.append(
            clean(
                {
                    "id": urls.meeting(meeting.id),
                    "type": type_url("Meeting"),
                    "name": meeting.name,
                    "meetingState": MEETING_STATE_LABELS[state],
                    "cancelled": True if state is MeetingState.cancelled else None,
                    "start": date_time(meeting.start),
                    "end": date_time(meeting.end) if meeting.end else None,
                    "location": recorded.get(meeting.location_id)
                    if meeting.location_id is not None
                    else (location(pub, meeting) if embed and meeting.location else None),
                    "organization": [urls.organization(b.id) for b in meeting.bodies],
                    "participant": [
                        urls.person(a.person_id) for a in meeting.attendance if a.status == "present"
                    ],
                    "invitation": serialized[invitation.id]
                    if embed and invitation
                    else (invitations[0] if invitations else None),
                    "resultsProtocol": serialized[minutes.id]
                    if embed and minutes
                    else (protocols[0] if protocols else None),
                    "verbatimProtocol": next(iter(records.get("verbatimProtocol", [])), None),
                    "auxiliaryFile": [serialized[f.id] for f in auxiliary_of(files, invitation, minutes)]
                    + invitations[0 if invitation else 1 :]
                    + protocols[0 if minutes else 1 :]
                    + records.get("verbatimProtocol", [])[1:]
                    + records.get("auxiliaryFile", []),
                    "agendaItem": items_by_meeting.get(meeting.id, []) if embed else None,
                    VENDOR + "secondSession": meeting.second_session or None,
                    **stamps(meeting.created_at, meeting.modified_at),
                }
            )
        )
    return out
