"""Results per TOP: read, record (attendance, votes, outcome) and correct with a reason."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api import schemas, views
from api.deps import (
    AgendaItemOr404,
    Caller,
    ItemId,
    Now,
    ReadSession,
    RecordingThreads,
    ResultRecorder,
    Sessions,
    Town,
    release,
)
from api.idempotency import run_idempotent
from api.routes.papers import IdempotencyKey
from workflow import results
from workflow.access import can_see_agenda_item
from workflow.errors import NotFound
from workflow.models import Faction, ItemResult
from workflow.rules import FactionCount, VoteInput
from workflow.store import not_found
from workflow.vocabulary import VoteChoice

router = APIRouter(prefix="/api/v1/{municipality}", tags=["Sitzungen (meetings)"])


@router.get("/agenda-items/{item_id}/result", response_model=schemas.ResultOut, summary="The result of a TOP")
def read_result(town: Town, item: AgendaItemOr404, session: ReadSession, who: Caller) -> JSONResponse:
    if not can_see_agenda_item(session, who, item):
        raise NotFound(f"agenda item {item.id} not found")
    if item.result is None:
        raise NotFound(f"No result recorded for TOP {item.number} yet")
    return JSONResponse(_result_json(item.result, faction_keys(session, town.id)))


@router.post(
    "/agenda-items/{item_id}/result",
    status_code=201,
    response_model=schemas.ResultOut,
    summary="Record the result: attendance, votes, outcome",
)
async def record_result(
    recorder: ResultRecorder,
    item_id: ItemId,
    data: schemas.ResultIn,
    request: Request,
    now: Now,
    sessions: Sessions,
    threads: RecordingThreads,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """``async`` only to run the work in one of ``threads`` (a plain ``def`` route runs in any thread)."""
    path = request.url.path

    def record_in_thread() -> JSONResponse:
        factions = faction_keys_for(sessions, recorder.municipality_id, data)
        given = result_input(factions, data)

        def record() -> tuple[int, object]:
            row = results.record_result(
                sessions, who=recorder.who, agenda_item_id=item_id, result=given, now=now
            )
            return 201, _result_json(row, factions)

        payload = data.model_dump(mode="json") if idempotency_key is not None else None
        return run_idempotent(sessions, recorder.who, idempotency_key, "POST", path, payload, record)

    return await anyio.to_thread.run_sync(record_in_thread, limiter=threads)


@router.put(
    "/agenda-items/{item_id}/result",
    response_model=schemas.ResultOut,
    summary="Correct a recorded result (reason required; the earlier one stays in the history)",
)
def correct_result(
    recorder: ResultRecorder,
    item_id: ItemId,
    data: schemas.CorrectionIn,
    now: Now,
    sessions: Sessions,
) -> JSONResponse:
    factions = faction_keys_for(sessions, recorder.municipality_id, data)
    given = result_input(factions, data)
    row = results.correct_result(
        sessions,
        who=recorder.who,
        agenda_item_id=item_id,
        result=given,
        reason=data.reason,
        expected_revision=data.expected_revision,
        now=now,
    )
    return JSONResponse(_result_json(row, factions))


def faction_keys_for(sessions: sessionmaker[Session], town_id: int, data: schemas.ResultIn) -> dict[str, int]:
    """``faction_keys`` for a result's input, in a session of its own, only if its votes name a faction."""
    if not any(vote.factions for vote in data.votes):
        return {}
    with sessions() as session:
        keys = faction_keys(session, town_id)
        release(session)
    return keys


def faction_keys(session: Session, town_id: int, data: schemas.ResultIn | None = None) -> dict[str, int]:
    """Key → id of the municipality's factions (votes name them by key); none are needed for a result whose
    votes name no faction (it has no faction counts to show either)."""
    if data is not None and not any(vote.factions for vote in data.votes):
        return {}
    rows = session.execute(select(Faction.key, Faction.id).where(Faction.municipality_id == town_id))
    return {row.key: row.id for row in rows}


def _result_json(row: ItemResult, factions: dict[str, int]) -> dict[str, object]:
    return views.result_out(row, {id_: key for key, id_ in factions.items()}).model_dump(mode="json")


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
        urgency_decided=data.urgency_decided,
        presided_by=data.presided_by,
    )
