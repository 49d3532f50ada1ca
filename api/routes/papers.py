"""Papers (Vorlagen): draft, edit, co-sign, submit, plan, withdraw; where they stand; their history."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BeforeValidator

from api import schemas, views
from api.deps import (
    Caller,
    DepartmentOrOffice,
    DraftEditor,
    Now,
    Office,
    PaperManager,
    PaperOr404,
    ReadSession,
    Sessions,
    StaffOrMember,
    Town,
    refresh,
    release,
)
from api.errors import PreconditionRequired
from api.idempotency import run_idempotent
from api.paper_search import PaperOrder, search_papers
from workflow import approvals, papers, planning, urgent
from workflow.access import (
    Forbidden,
    Role,
    can_see_non_public_of,
    can_see_non_public_of_body,
    require_cosign,
    sees_as_public,
)
from workflow.errors import VersionConflict
from workflow.models import Department, Meeting, Paper, Person
from workflow.publication import (
    Withheld,
    decided_in_private,
    depublish_paper,
    withheld,
)
from workflow.queries import paper_history, paper_status
from workflow.store import by_key, get
from workflow.vocabulary import Outcome, PaperKind, PaperState

router = APIRouter(prefix="/api/v1/{municipality}/papers", tags=["Vorlagen (papers)"])

IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=200, description="Makes a retry safe")
]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=100, description='ETag, e.g. "v3"')]
Cursor = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_=-]+$")]
Limit = Annotated[int, Query(ge=1, le=200)]


def _iso_date(value: object) -> object:
    """Dates in the query are ISO dates (2013-10-28), not Unix timestamps."""
    if value is None or isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return value
    raise ValueError("must be a date like 2013-10-28")


SafeDateQuery = Annotated[
    dt.date | None,
    BeforeValidator(_iso_date),
    Query(ge=dt.date(1900, 1, 1), le=dt.date(2200, 12, 31), examples=["2013-10-28"]),
]
BodyKeyPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", examples=["stvv"])]


def _paper_response(session: ReadSession, paper_id: int, status: int = 200) -> JSONResponse:
    """The paper as the use case left it: end the read transaction first (its snapshot predates the write)."""
    refresh(session)
    paper = get(session, Paper, paper_id)
    body = views.paper_out(paper).model_dump(mode="json")
    return JSONResponse(body, status_code=status, headers={"ETag": views.etag(paper.version)})


@router.get("", response_model=schemas.Page[schemas.PaperSummary], summary="List and search papers")
def list_papers(
    town: Town,
    session: ReadSession,
    who: Caller,
    state: Annotated[list[PaperState] | None, Query(max_length=10)] = None,
    kind: PaperKind | None = None,
    body: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")] = None,
    department: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")] = None,
    date_from: SafeDateQuery = None,
    date_to: SafeDateQuery = None,
    q: Annotated[str | None, Query(max_length=200, description="Full-text search (German stemming)")] = None,
    order: Annotated[
        PaperOrder,
        Query(
            description="newest: the most recently entered first; date_desc / date_asc: by the paper's date"
        ),
    ] = PaperOrder.newest,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> schemas.Page[schemas.PaperSummary]:
    """Newest first (or by date), in a stable keyset order; filters combine. The public sees submitted
    public papers. A cursor belongs to the order it was given in."""
    rows, next_cursor = search_papers(
        session,
        town,
        who,
        states=[s.value for s in state or ()],
        kind=kind.value if kind else None,
        body=body,
        department=department,
        date_from=date_from,
        date_to=date_to,
        q=q,
        order=order,
        limit=limit,
        cursor=cursor,
    )
    public = sees_as_public(who, town.id)
    private = decided_in_private(session, (p.id for p in rows)) if public else set()
    return schemas.Page[schemas.PaperSummary](
        items=[views.paper_summary(p, Withheld(decision=p.id in private) if public else None) for p in rows],
        next_cursor=next_cursor,
    )


@router.post("", status_code=201, response_model=schemas.PaperOut, summary="Draft a paper (Entwurf anlegen)")
def create_paper(
    now: Now,
    town: Town,
    data: schemas.PaperCreate,
    request: Request,
    sessions: Sessions,
    session: ReadSession,
    caller: DepartmentOrOffice,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A department drafts for itself; the coordination office for any department."""
    if caller.role is Role.department:
        own = session.get(Department, caller.department_id) if caller.department_id else None
        if own is None or own.key != data.department:
            raise Forbidden(
                "A department drafts only its own papers", german="Ein Fachamt legt nur eigene Vorlagen an"
            )

    def compute() -> tuple[int, object]:
        release(session)
        paper = papers.draft_paper(
            sessions,
            actor=caller.actor,
            municipality=town.key,
            kind=data.kind,
            department=data.department,
            subject=data.subject,
            paper_date=data.paper_date,
            proposed_resolution=data.proposed_resolution,
            justification=data.justification,
            file_reference=data.file_reference,
            financial_impact=data.financial_impact,
            public=data.public,
            attachments=[papers.AttachmentInput(**a.model_dump()) for a in data.attachments],
            cosigners=data.cosigners,
            signatory=data.signatory,
            signed_place=data.signed_place,
            now=now,
        )
        with sessions() as fresh:
            return 201, views.paper_out(get(fresh, Paper, paper.id)).model_dump(mode="json")

    release(session)  # the idempotency record takes a connection of its own
    response = run_idempotent(
        sessions, caller, idempotency_key, "POST", request.url.path, data.model_dump(mode="json"), compute
    )
    response.headers["ETag"] = views.etag(json.loads(bytes(response.body))["version"])
    return response


@router.get("/{paper_id}", response_model=schemas.PaperOut, summary="One paper, with its ETag")
def read_paper(paper: PaperOr404, response: Response, session: ReadSession, who: Caller) -> schemas.PaperOut:
    response.headers["ETag"] = views.etag(paper.version)
    public = sees_as_public(who, paper.municipality_id)
    return views.paper_out(paper, withheld(session, paper) if public else None)


@router.patch("/{paper_id}", response_model=schemas.PaperOut, summary="Edit a draft (If-Match required)")
def edit_paper(
    now: Now,
    paper: PaperOr404,
    caller: DraftEditor,
    data: schemas.PaperPatch,
    sessions: Sessions,
    session: ReadSession,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Only while the paper is a draft. Send the ETag of your copy in ``If-Match``: a stale copy gets 412."""
    if if_match is None:
        raise PreconditionRequired(
            "Send the paper's ETag in If-Match to edit it",
            german="Zum Bearbeiten das ETag der Vorlage in If-Match mitsenden",
        )
    expected = _version_of(if_match)
    changes = data.model_dump(exclude_unset=True)
    release(session)
    papers.update_draft(
        sessions, actor=caller.actor, paper_id=paper.id, changes=changes, expected_version=expected, now=now
    )
    return _paper_response(session, paper.id)


def _version_of(if_match: str) -> int:
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.startswith("v") or not tag[1:].isdigit() or len(tag) > 12:
        raise VersionConflict(f"If-Match {if_match!r} is not an ETag of this paper; reload it")
    return int(tag[1:])


@router.post(
    "/{paper_id}/cosignature-request",
    response_model=schemas.PaperOut,
    summary="Send a draft for co-signing (Mitzeichnung)",
)
def request_cosignatures(
    now: Now, paper: PaperOr404, caller: DraftEditor, sessions: Sessions, session: ReadSession
) -> JSONResponse:
    release(session)
    papers.request_cosignatures(sessions, actor=caller.actor, paper_id=paper.id, now=now)
    return _paper_response(session, paper.id)


@router.post("/{paper_id}/cosignatures", response_model=schemas.PaperOut, summary="Co-sign (mitzeichnen)")
def cosign(
    now: Now,
    town: Town,
    paper: PaperOr404,
    data: schemas.CosignIn,
    sessions: Sessions,
    session: ReadSession,
    who: Caller,
) -> JSONResponse:
    department = by_key(session, Department, town.id, data.department)
    caller = require_cosign(who, paper, department.id)
    release(session)
    papers.cosign(
        sessions,
        actor=caller.actor,
        paper_id=paper.id,
        department=data.department,
        comment=data.comment,
        now=now,
    )
    return _paper_response(session, paper.id)


@router.post(
    "/{paper_id}/return-to-draft",
    response_model=schemas.PaperOut,
    summary="A co-signer refuses: back to draft",
)
def return_to_draft(
    now: Now,
    paper: PaperOr404,
    caller: DepartmentOrOffice,
    data: schemas.ReasonIn,
    sessions: Sessions,
    session: ReadSession,
) -> JSONResponse:
    release(session)
    papers.return_to_draft(sessions, actor=caller.actor, paper_id=paper.id, reason=data.reason, now=now)
    return _paper_response(session, paper.id)


@router.post(
    "/{paper_id}/submission",
    response_model=schemas.PaperOut,
    summary="Submit (einreichen): assigns the Drucksachen-Nr.",
)
def submit(
    now: Now, paper: PaperOr404, caller: Office, sessions: Sessions, session: ReadSession
) -> JSONResponse:
    release(session)
    papers.submit_paper(sessions, actor=caller.actor, paper_id=paper.id, now=now)
    return _paper_response(session, paper.id)


@router.put(
    "/{paper_id}/beratungsfolge",
    response_model=schemas.PaperOut,
    summary="Plan the Beratungsfolge (default from the profile, or explicit stages)",
)
def plan(
    now: Now,
    paper: PaperOr404,
    caller: PaperManager,
    data: schemas.PlanIn,
    sessions: Sessions,
    session: ReadSession,
) -> JSONResponse:
    """Editable until one of its steps is on an agenda."""
    stages = (
        None
        if data.stages is None
        else [[planning.StepInput(body=s.body, role=s.role) for s in stage] for stage in data.stages]
    )
    release(session)
    planning.plan_consultations(
        sessions,
        actor=caller.actor,
        paper_id=paper.id,
        committees=data.committees,
        decided_by=data.decided_by,
        stages=stages,
        urgent_reason=data.urgent_reason,
        now=now,
    )
    return _paper_response(session, paper.id)


@router.post("/{paper_id}/withdrawal", response_model=schemas.PaperOut, summary="Withdraw (zurückziehen)")
def withdraw(
    now: Now,
    paper: PaperOr404,
    caller: PaperManager,
    data: schemas.ReasonIn,
    sessions: Sessions,
    session: ReadSession,
) -> JSONResponse:
    release(session)
    papers.withdraw_paper(sessions, actor=caller.actor, paper_id=paper.id, reason=data.reason, now=now)
    return _paper_response(session, paper.id)


@router.post(
    "/{paper_id}/depublication",
    response_model=schemas.PaperOut,
    summary="Take a published paper out of the public record (depublizieren)",
)
def depublish(
    now: Now,
    paper: PaperOr404,
    caller: Office,
    data: schemas.ReasonIn,
    sessions: Sessions,
    session: ReadSession,
) -> JSONResponse:
    """For a paper published by mistake: it, its steps, agenda items and documents leave the public record
    (the API's public view and OParl, where they are answered as deleted from now on). Coordination office
    and administrators only; a reason is required and kept in the history."""
    release(session)
    depublish_paper(sessions, actor=caller.actor, paper_id=paper.id, reason=data.reason, now=now)
    return _paper_response(session, paper.id)


@router.post("/{paper_id}/settlement", response_model=schemas.PaperOut, summary="Declare settled (erledigt)")
def settle(
    now: Now,
    paper: PaperOr404,
    caller: Office,
    data: schemas.SettleIn,
    sessions: Sessions,
    session: ReadSession,
) -> JSONResponse:
    release(session)
    papers.settle_paper(
        sessions,
        actor=caller.actor,
        paper_id=paper.id,
        reason=data.reason,
        superseded_by=data.superseded_by,
        now=now,
    )
    return _paper_response(session, paper.id)


@router.post(
    "/{paper_id}/approval",
    response_model=schemas.PaperOut,
    summary="Record the approval a decision was waiting for (Genehmigung, e.g. § 65 Abs. 3 NKomVG)",
)
def record_approval(
    now: Now,
    paper: PaperOr404,
    caller: Office,
    data: schemas.ApprovalIn,
    sessions: Sessions,
    session: ReadSession,
) -> JSONResponse:
    release(session)
    approvals.record_approval(
        sessions, actor=caller.actor, paper_id=paper.id, reference=data.reference, now=now
    )
    return _paper_response(session, paper.id)


@router.post(
    "/{paper_id}/urgent-decision",
    response_model=schemas.PaperOut,
    summary="Record the mayor's urgent decision without a meeting (Dringlichkeits-/Eilentscheidung)",
)
def record_mayor_decision(
    now: Now,
    paper: PaperOr404,
    caller: Office,
    data: schemas.MayorDecisionIn,
    sessions: Sessions,
    session: ReadSession,
) -> JSONResponse:
    """The paper must be planned with the urgent procedure; its urgent step not yet on an agenda."""
    mayor = by_key(session, Person, paper.municipality_id, data.mayor).id
    member = by_key(session, Person, paper.municipality_id, data.member).id if data.member else None
    release(session)
    urgent.record_mayor_decision(
        sessions,
        actor=caller.actor,
        paper_id=paper.id,
        mayor=mayor,
        member=member,
        reason=data.reason,
        decided_on=data.decided_on,
        outcome=Outcome(data.outcome),
        resolution_text=data.resolution_text,
        wording=data.wording,
        now=now,
    )
    return _paper_response(session, paper.id)


@router.get("/{paper_id}/transitions", response_model=list[str], summary="What can be done with it now")
def transitions(paper: PaperOr404, session: ReadSession, who: Caller) -> list[str]:
    if sees_as_public(who, paper.municipality_id) and withheld(session, paper).decision:
        return []
    return papers.allowed_paper_triggers(paper)


@router.get(
    "/{paper_id}/status",
    response_model=schemas.PaperStatusOut,
    summary="Where does it stand: every step, its meeting, TOP and result",
)
def status(paper: PaperOr404, session: ReadSession, who: Caller) -> schemas.PaperStatusOut:
    visible: dict[int, bool] = {}

    def may_see(meeting_id: int) -> bool:
        if meeting_id not in visible:
            visible[meeting_id] = can_see_non_public_of(session, who, get(session, Meeting, meeting_id))
        return visible[meeting_id]

    def may_see_body(body_id: int) -> bool:
        return can_see_non_public_of_body(session, who, paper.municipality_id, body_id)

    public = sees_as_public(who, paper.municipality_id)
    return views.status_out(
        paper_status(session, paper.id),
        may_see_non_public_of=may_see,
        may_see_non_public_of_body=may_see_body,
        withheld=withheld(session, paper) if public else None,
    )


@router.get(
    "/{paper_id}/history",
    response_model=list[schemas.HistoryEventOut],
    summary="The complete history (audit trail) as a timeline",
)
def history(paper: PaperOr404, _reader: StaffOrMember, session: ReadSession) -> list[schemas.HistoryEventOut]:
    return [schemas.HistoryEventOut.model_validate(e) for e in paper_history(session, paper.id)]
