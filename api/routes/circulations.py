"""Decisions without a meeting (Umlaufverfahren): start one on a step, read it, answer it."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import schemas, views
from api.deps import (
    Caller,
    CirculationMember,
    CirculationOr404,
    CirculationStarter,
    Now,
    ReadSession,
    Sessions,
    StepOr404,
    Town,
    refresh,
    release,
)
from workflow import circulation
from workflow.access import can_see_non_public_of_body
from workflow.errors import NotFound
from workflow.models import Circulation, Faction
from workflow.queries import awaiting_answer
from workflow.store import get

router = APIRouter(prefix="/api/v1/{municipality}", tags=["Umlaufverfahren (decisions without a meeting)"])


@router.post(
    "/consultations/{step_id}/circulation",
    status_code=201,
    response_model=schemas.CirculationOut,
    summary="Put a step to its body in writing (Umlaufverfahren), where the law allows it",
)
def start(
    starter: CirculationStarter,
    town: Town,
    step: StepOr404,
    data: schemas.CirculationIn,
    now: Now,
    sessions: Sessions,
    session: ReadSession,
) -> JSONResponse:
    release(session)
    started = circulation.start_circulation(
        sessions,
        who=starter,
        consultation_id=step.id,
        resolution_text=data.resolution_text,
        simple_matter=data.simple_matter,
        now=now,
    )
    return _answer(session, town.id, started.id, status=201)


@router.get(
    "/circulations/awaiting",
    response_model=list[schemas.CirculationOut],
    summary="The decisions without a meeting that wait for my answer (council members)",
)
def awaiting(member: CirculationMember, town: Town, session: ReadSession) -> JSONResponse:
    assert member.person_id is not None  # the dependency requires it
    factions = _faction_keys(session, town.id)
    found = [c for c in awaiting_answer(session, member.person_id) if c.municipality_id == town.id]
    return JSONResponse([views.circulation_out(c, factions).model_dump(mode="json") for c in found])


@router.get(
    "/circulations/{circulation_id}",
    response_model=schemas.CirculationOut,
    summary="A decision without a meeting: the text, every member's answer, the result",
)
def read(town: Town, found: CirculationOr404, session: ReadSession, who: Caller) -> JSONResponse:
    if not found.body.public and not can_see_non_public_of_body(session, who, town.id, found.body_id):
        raise NotFound(f"circulation {found.id} not found")
    return _answer(session, town.id, found.id)


@router.post(
    "/circulations/{circulation_id}/answers",
    response_model=schemas.CirculationOut,
    summary="A member's written answer: yes, no, abstain, or object (Widerspruch)",
)
def answer(
    member: CirculationMember,
    town: Town,
    found: CirculationOr404,
    data: schemas.CirculationAnswerIn,
    now: Now,
    sessions: Sessions,
    session: ReadSession,
) -> JSONResponse:
    release(session)
    circulation.answer_circulation(sessions, who=member, circulation_id=found.id, answer=data.answer, now=now)
    return _answer(session, town.id, found.id)


def _faction_keys(session: Session, town_id: int) -> dict[int, str]:
    rows = session.execute(select(Faction.id, Faction.key).where(Faction.municipality_id == town_id))
    return {row.id: row.key for row in rows}


def _answer(session: Session, town_id: int, circulation_id: int, *, status: int = 200) -> JSONResponse:
    refresh(session)
    body = views.circulation_out(get(session, Circulation, circulation_id), _faction_keys(session, town_id))
    return JSONResponse(body.model_dump(mode="json"), status_code=status)
