"""Who may record which result: the checks a request for ``POST …/agenda-items/{id}/result`` passes before
its result is recorded, made for many requests at once.

The result writer (``api.result_writer``) checks the requests of a whole batch with a handful of
statements (the callers' tokens, the municipalities, the TOPs with their bodies, the factions), instead of
each request doing so on its own beforehand. The checks and their order are those of every other route:
the municipality (404), the token (401), the TOP (404), the right to record for its body (401/403), the
factions named by the votes (404). Correcting a result (``PUT``) runs the same functions for one request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import schemas
from workflow import results
from workflow.access import Principal, principals_for_tokens, require_record_in
from workflow.errors import DomainError
from workflow.models import AgendaItem, Consultation, Faction, Meeting, MeetingBody
from workflow.rules import FactionCount, VoteInput
from workflow.store import municipality_ids, municipality_not_found, not_found
from workflow.vocabulary import VoteChoice


@dataclass(frozen=True, slots=True)
class Submission:
    """A result as its request brought it, not yet checked: the bearer token (None for the public), the
    municipality's key from the path, the TOP and the body."""

    token: str | None
    municipality: str
    item_id: int
    data: schemas.ResultIn
    now: dt.datetime


@dataclass(frozen=True, slots=True)
class Admitted:
    """A submission that passed: what the use case records, and the factions for the answer."""

    recording: results.Recording
    factions: dict[str, int]  # key → id of the municipality's factions (those the votes name)
    caller: Principal


@dataclass(frozen=True, slots=True)
class Answer:
    """A recorded result and the factions its answer names."""

    result: results.RecordedResult
    factions: dict[str, int]


def admit(session: Session, submissions: Sequence[Submission]) -> list[Admitted | DomainError]:
    """Check every submission; five statements at most, whatever their number."""
    asked = [(index, s.token, s.now) for index, s in enumerate(submissions) if s.token is not None]
    checked = principals_for_tokens(session, [(token, now) for _, token, now in asked]) if asked else []
    callers = {
        index: caller for (index, _, _), caller in zip(asked, checked, strict=True)
    }  # each at its time
    towns = municipality_ids(session, {s.municipality for s in submissions})
    asks: list[tuple[int, int, Principal | None]] = []
    admitted: list[Admitted | DomainError | None] = []
    for index, submission in enumerate(submissions):
        caller = callers.get(index)
        town_id = towns.get(submission.municipality)
        if town_id is None:
            admitted.append(municipality_not_found(submission.municipality))
        elif isinstance(caller, DomainError):
            admitted.append(caller)
        else:
            asks.append((town_id, submission.item_id, caller))
            admitted.append(None)
    allowed = iter(recorders(session, asks))
    named = factions_of(
        session,
        {
            towns[s.municipality]
            for s, a in zip(submissions, admitted, strict=True)
            if a is None and _names(s.data)
        },
    )
    answers: list[Admitted | DomainError] = []
    for submission, outcome in zip(submissions, admitted, strict=True):
        if outcome is not None:
            answers.append(outcome)
            continue
        who = next(allowed)
        if isinstance(who, DomainError):
            answers.append(who)
            continue
        factions = named.get(towns[submission.municipality], {}) if _names(submission.data) else {}
        try:
            given = result_input(factions, submission.data)
        except DomainError as exc:
            answers.append(exc)
            continue
        recording = results.Recording(submission.item_id, given, who.actor, submission.now)
        answers.append(Admitted(recording, factions, who))
    return answers


def recorders(
    session: Session, asks: Sequence[tuple[int, int, Principal | None]]
) -> list[Principal | DomainError]:
    """May each caller record (or correct) the result of the TOP? ``asks`` are (municipality id from the
    path, TOP id, caller). One statement: each TOP's meeting, its municipality and the step's body; a second
    one only for TOPs without a paper (their meeting's bodies)."""
    if not asks:
        return []
    found = {
        row.id: row
        for row in session.execute(
            select(
                AgendaItem.id, Meeting.id.label("meeting_id"), Meeting.municipality_id, Consultation.body_id
            )
            .select_from(AgendaItem)
            .join(Meeting, AgendaItem.meeting_id == Meeting.id)
            .outerjoin(Consultation, AgendaItem.consultation_id == Consultation.id)
            .where(AgendaItem.id.in_(sorted({item_id for _, item_id, _ in asks})))
        )
    }
    without_paper = sorted({row.meeting_id for row in found.values() if row.body_id is None})
    meeting_bodies: dict[int, set[int]] = {}
    if without_paper:
        for meeting_id, body_id in session.execute(
            select(MeetingBody.meeting_id, MeetingBody.body_id).where(
                MeetingBody.meeting_id.in_(without_paper)
            )
        ):
            meeting_bodies.setdefault(meeting_id, set()).add(body_id)
    answers: list[Principal | DomainError] = []
    for town_id, item_id, who in asks:
        row = found.get(item_id)
        if row is None:
            answers.append(not_found("agenda_item", item_id, entity="agenda_item", id=item_id))
        elif row.municipality_id != town_id:
            answers.append(not_found("meeting", row.meeting_id))
        else:
            bodies = {row.body_id} if row.body_id is not None else meeting_bodies.get(row.meeting_id, set())
            try:
                answers.append(require_record_in(who, row.municipality_id, bodies))
            except DomainError as exc:
                answers.append(exc)
    return answers


def recorder(session: Session, town_id: int, item_id: int, who: Principal | None) -> Principal:
    """``recorders`` for one request: the caller, or its error raised."""
    [answer] = recorders(session, [(town_id, item_id, who)])
    if isinstance(answer, DomainError):
        raise answer
    return answer


def _names(data: schemas.ResultIn) -> bool:
    return any(vote.factions for vote in data.votes)


def factions_of(session: Session, town_ids: set[int]) -> dict[int, dict[str, int]]:
    """Municipality id → (faction key → id), read only for the municipalities asked for."""
    if not town_ids:
        return {}
    found: dict[int, dict[str, int]] = {town_id: {} for town_id in town_ids}
    for town_id, key, id_ in session.execute(
        select(Faction.municipality_id, Faction.key, Faction.id).where(
            Faction.municipality_id.in_(sorted(town_ids))
        )
    ):
        found[town_id][key] = id_
    return found


def named_factions(session: Session, town_id: int, data: schemas.ResultIn) -> dict[str, int]:
    """The factions of the municipality, read only when the result counts votes by faction."""
    return factions_of(session, {town_id})[town_id] if _names(data) else {}


def result_input(factions: dict[str, int], data: schemas.ResultIn) -> results.ResultInput:
    """The request's result in the use case's terms (factions by id); an unknown faction is a 404."""
    votes = []
    for vote in data.votes:
        unknown = [f.faction for f in vote.factions if f.faction not in factions]
        if unknown:
            raise not_found("faction", f"'{unknown[0]}'")
        votes.append(
            VoteInput(
                yes=vote.yes,
                no=vote.no,
                abstain=vote.abstain,
                subject=vote.subject,
                decisive=vote.decisive,
                casting_vote=vote.casting_vote,
                faction_counts=tuple(
                    FactionCount(factions[f.faction], f.yes, f.no, f.abstain) for f in vote.factions
                ),
                named={int(person): VoteChoice(choice) for person, choice in vote.named.items()},
            )
        )
    return results.ResultInput(
        outcome=data.outcome,
        votes=votes,
        present=data.present,
        recused={r.person_id: r.reason for r in data.recused},
        wording=data.wording,
        resolution_text=data.resolution_text,
        referred_to=data.referred_to,
        quorum_failed=data.quorum_failed,
        late_item_approval=data.late_item_approval,
    )
