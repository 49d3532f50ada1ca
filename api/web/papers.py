"""The paper page (every field, the Beratungsfolge as a timeline, documents, history) and the search."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, defer, joinedload, load_only

from api.deps import ReadSession, Town
from api.paper_search import PaperOrder, search_papers
from api.routes.documents import visible_files
from api.web import links
from api.web.alerts import alert_form, remember_form
from api.web.context import PAPER_TONES, page, principal
from api.web.session import PageCaller, check_csrf
from api.web.templating import render
from workflow.access import (
    Principal,
    Role,
    can_read_draft,
    can_see_non_public_of_body,
    non_public_visible_meetings,
    require_cosign,
    require_edit_draft,
    require_manage_paper,
    require_read_paper,
    require_role,
    sees_as_public,
)
from workflow.errors import DomainError
from workflow.models import Body, Department, Meeting, Municipality, Paper, StoredFile
from workflow.papers import allowed_paper_triggers
from workflow.planning import plan_refusal
from workflow.publication import (
    DRAFT_STATES,
    WITHHELD_STATE_LABEL,
    Withheld,
    decided_in_private,
    imported_file_is_public,
    paper_public,
    public_ids,
    withheld,
)
from workflow.queries import StepStatus, paper_history, paper_status
from workflow.source_models import ImportedFile
from workflow.vocabulary import (
    AUDIT_ACTION_LABELS,
    PAPER_KIND_LABELS,
    PAPER_STATE_LABELS,
    PDF_MEDIA_TYPE,
    PaperKind,
    PaperState,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

#: Who may read a paper's history (as ``GET …/papers/{id}/history`` of the API): the municipality's people.
HISTORY_ROLES = (Role.coordination, Role.department, Role.secretary, Role.council_member, Role.admin)


def documents_of(
    session: Session, town: Municipality, who: Principal | None, **subject: int
) -> list[dict[str, Any]]:
    """The documents of a paper or meeting that ``who`` may see (the download API's rule), newest first."""
    [(column, value)] = subject.items()
    return documents_by(session, town, who, column, [value])[value]


def documents_by(
    session: Session, town: Municipality, who: Principal | None, column: str, ids: Collection[int]
) -> dict[int, list[dict[str, Any]]]:
    """``documents_of`` for the papers or meetings of a list (``column``: "paper_id" or "meeting_id"), in
    two queries for all of them: per id, the documents ``who`` may see, then those from the old system."""
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.scalars(
        select(StoredFile)
        .options(defer(StoredFile.content))
        .where(getattr(StoredFile, column).in_(list(ids)), StoredFile.municipality_id == town.id)
        .order_by(StoredFile.kind, StoredFile.version.desc(), StoredFile.id)
    ).all()
    for row in visible_files(session, who, rows):
        found[getattr(row, column)].append(
            {
                "url": links.document(town.key, row),
                "name": row.name,
                "format": "PDF" if row.media_type == PDF_MEDIA_TYPE else "Word",
                "version": row.version,
                "created": row.created_at,
                "size": row.size_bytes,
            }
        )
    for subject_id, imported in imported_documents(session, town, column, ids).items():
        found[subject_id] += imported
    return found


def imported_documents(
    session: Session, town: Municipality, column: str, ids: Collection[int]
) -> dict[int, list[dict[str, Any]]]:
    """The public file records the papers or meetings brought from the old system, per id: the content here
    once downloaded, else the link to the old system."""
    rows = session.scalars(
        select(ImportedFile)
        .options(defer(ImportedFile.content))
        .where(getattr(ImportedFile, column).in_(list(ids)), ImportedFile.municipality_id == town.id)
        .order_by(ImportedFile.id)
    ).all()
    # The publication rule is a query PostgreSQL takes milliseconds to plan: asked only when there are rows.
    public = public_ids(session, ImportedFile, imported_file_is_public(), (row.id for row in rows))
    found: dict[int, list[dict[str, Any]]] = {}
    for row in (row for row in rows if row.id in public):
        found.setdefault(getattr(row, column), []).append(
            {
                "url": f"/oparl/v1/importedfile/{row.id}/download" if row.sha256 else row.access_url,
                "name": row.name,
                "format": "PDF" if row.media_type == PDF_MEDIA_TYPE else (row.media_type or "Datei"),
                "version": None,  # the old system's record names no version
                "created": row.created_at,
                "size": row.size_bytes,
            }
        )
    return found


def _steps(
    session: Session, town: Municipality, who: Principal | None, paper: Paper, hidden: Withheld
) -> list[dict[str, Any]]:
    status = paper_status(session, paper.id)
    meeting_ids = {a.meeting_id for s in status.steps for a in s.appearances}
    meetings = (
        {m.id: m for m in session.scalars(select(Meeting).where(Meeting.id.in_(meeting_ids)))}
        if meeting_ids
        else {}
    )
    # whose non-public part this person may see, asked once, of the meetings where the paper's TOP was
    unpublished = {a.meeting_id for s in status.steps for a in s.appearances if not a.public}
    visible = non_public_visible_meetings(session, who, [meetings[i] for i in unpublished])
    bodies: dict[int, bool] = {}

    def may_see_body(body_id: int) -> bool:
        if body_id not in bodies:
            bodies[body_id] = can_see_non_public_of_body(session, who, town.id, body_id)
        return bodies[body_id]

    links.prefetch_meetings(session, meetings.values())
    by_stage: dict[int, list[str]] = {}
    for step in status.steps:
        by_stage.setdefault(step.stage, []).append(step.body)
    steps = []
    for full in status.steps:
        step = full.seen_by(lambda meeting_id: meeting_id in visible, may_see_body)
        appearances = [
            {
                "url": links.meeting(session, town.key, meetings[a.meeting_id]),
                "start": a.meeting_start,
                "number": a.agenda_number,
                "public": a.public,
                "result": a.result_text,
            }
            for a in step.appearances
        ]
        others = [body for body in by_stage[step.stage] if body != step.body]
        steps.append(
            {
                "body": step.body,
                "role": step.role,
                "state": step.state,
                "state_label": step.state_label,
                "tone": "success" if step.state == "dealt_with" else "info",
                "parallel": ", ".join(others),
                "appearances": appearances,
                "hidden": len(full.appearances) - len(appearances),  # on the agenda of a non-public part
                "outcome": None if step.consultation_id in hidden.steps else step.outcome_wording,
                "urgency_reason": step.urgency_reason,
                "without_meeting": _without_meeting(full, step),
            }
        )
    return steps


def _without_meeting(full: StepStatus, seen: StepStatus) -> str | None:
    """What a page says of an urgent decision taken without a meeting (by the mayor), as this person may see it."""
    if full.decided_on is None:
        return None
    if seen.decided_on is None:
        return "Ohne Sitzung entschieden (nichtöffentlich)."
    return f"Ohne Sitzung entschieden am {seen.decided_on:%d.%m.%Y} von {seen.decided_by}: {seen.outcome_wording}."


def _actions(
    session: Session, town: Municipality, who: Principal | None, paper: Paper
) -> list[dict[str, Any]]:
    """The buttons this person may press now: the API's permission rule and the paper machine decide."""
    if who is None:
        return []
    allowed = allowed_paper_triggers(paper)
    actions: list[dict[str, Any]] = []

    def permitted(check: Callable[[], object]) -> bool:
        try:
            check()
        except DomainError:
            return False
        return True

    if paper.state == PaperState.draft and permitted(lambda: require_edit_draft(who, paper)):
        actions.append(
            {"url": links.draft_edit(town.key, paper), "label": "Entwurf bearbeiten", "link": True}
        )
        if "request_cosignatures" in allowed:
            url = links.paper_action(town.key, paper, "mitzeichnung-anfordern")
            actions.append({"url": url, "label": "Zur Mitzeichnung geben"})
    if plan_refusal(paper) is None and permitted(lambda: require_manage_paper(who, paper)):
        actions.append(
            {"url": links.beratungsfolge(town.key, paper), "label": "Beratungsfolge planen", "link": True}
        )
    if paper.state == PaperState.cosigning and who.role is not Role.coordination:
        for c in paper.cosignatures:
            if c.signed_at is None and permitted(partial(require_cosign, who, paper, c.department_id)):
                url = links.paper_action(town.key, paper, "mitzeichnen")
                label = f"Mitzeichnen für {c.department.name}"
                actions.append({"url": url, "label": label, "fachamt": c.department.key})
    if PaperState(paper.state) in DRAFT_STATES and can_read_draft(who, paper):
        actions.append(
            {"url": links.draft_preview(town.key, paper), "label": "Vorschau (Word)", "link": True}
        )
    if "submit" in allowed and permitted(lambda: require_role(who, Role.coordination)):
        actions.append({"url": links.paper_action(town.key, paper, "einreichen"), "label": "Einreichen"})
    return actions


@router.get("/{municipality}/vorlagen/{slug}", response_class=HTMLResponse)
def paper_page(request: Request, town: Town, slug: str, me: PageCaller, session: ReadSession) -> Response:
    who = principal(me)
    paper = links.paper_from_slug(session, town.id, slug)
    require_read_paper(session, who, paper)
    hidden = withheld(session, paper) if sees_as_public(who, town.id) else Withheld()
    state = hidden.state(paper.state)
    signature = ", ".join(
        part
        for part in (
            paper.signatory.name if paper.signatory else None,
            paper.signed_place,
            paper.signed_on.strftime("%d.%m.%Y") if paper.signed_on else None,
        )
        if part
    )
    history = None
    if who is not None and who.role in HISTORY_ROLES and who.municipality_id == town.id:
        history = [
            {
                "occurred_at": e.occurred_at,
                "label": AUDIT_ACTION_LABELS.get(e.action, e.action),
                "actor": e.actor,
                "reason": e.reason,
            }
            for e in paper_history(session, paper.id)
        ]
    return render(
        request,
        "paper.html",
        page(
            me,
            town,
            paper=paper,
            kind_label=PAPER_KIND_LABELS[PaperKind(paper.kind)],
            state_label=PAPER_STATE_LABELS[PaperState(state)] if state else WITHHELD_STATE_LABEL,
            state_tone=PAPER_TONES[PaperState(state)] if state else "info",
            resolution_text=None if hidden.decision else paper.resolution_text,
            closing_reason=None if hidden.decision else paper.closing_reason,
            signature=signature,
            cosignatures=[
                {
                    "department": c.department.name,
                    "required": c.required,
                    "signed_at": c.signed_at,
                    "signed_by": c.signed_by,
                }
                for c in paper.cosignatures
            ],
            attachments=[a for a in paper.attachments if a.id not in hidden.attachments],
            steps=_steps(session, town, who, paper, hidden),
            documents=documents_of(session, town, who, paper_id=paper.id),
            history=history,
            open_data=request.app.state.oparl_urls.paper(paper.id) if paper_public(paper) else None,
            actions=_actions(session, town, who, paper) if who and who.municipality_id == town.id else [],
        ),
    )


# ------------------------------------------------------------------------------------------ search


#: What ``paper_entry`` reads of a paper (and ``public``): for a list, load only that, with the department's
#: name in the same query.
PAPER_ENTRY_LOAD = (
    load_only(
        Paper.municipality_id,
        Paper.reference,
        Paper.subject,
        Paper.kind,
        Paper.paper_date,
        Paper.state,
        Paper.public,
    ),
    joinedload(Paper.department).load_only(Department.name),
)


def paper_entry(town: Municipality, paper: Paper, hidden: Withheld) -> dict[str, Any]:
    """A paper in a list (search, start page): its state as ``hidden`` lets the reader see it."""
    state = hidden.state(paper.state)
    return {
        "url": links.paper(town.key, paper),
        "reference": paper.reference,
        "subject": paper.subject,
        "kind": PAPER_KIND_LABELS[PaperKind(paper.kind)],
        "department": paper.department.name,
        "date": paper.paper_date,
        "state": PAPER_STATE_LABELS[PaperState(state)] if state else WITHHELD_STATE_LABEL,
        "tone": PAPER_TONES[PaperState(state)] if state else "info",
    }


Text = Annotated[str, Query(max_length=200)]
Key = Annotated[str, Query(max_length=64)]


def _date(value: str, errors: dict[str, str], field: str, label: str) -> dt.date | None:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        errors[field] = f"{label}: bitte ein Datum wie 28.10.2013 angeben."
        return None
    if not dt.date(1900, 1, 1) <= day <= dt.date(2200, 12, 31):
        errors[field] = f"{label}: das Datum liegt außerhalb des möglichen Bereichs."
        return None
    return day


# The orders of the search page: the value in its address, the order, what the page calls it.
SEARCH_ORDERS = {
    "": (PaperOrder.newest, "Zuletzt eingestellt zuerst"),
    "datum": (PaperOrder.date_desc, "Datum, neueste zuerst"),
    "datum-alt": (PaperOrder.date_asc, "Datum, älteste zuerst"),
}


@router.get("/{municipality}/vorlagen", response_class=HTMLResponse)
def search_page(
    request: Request,
    town: Town,
    me: PageCaller,
    session: ReadSession,
    q: Text = "",
    status: Key = "",
    art: Key = "",
    gremium: Key = "",
    fachamt: Key = "",
    von: Annotated[str, Query(max_length=20)] = "",
    bis: Annotated[str, Query(max_length=20)] = "",
    sortierung: Key = "",
    weiter: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """Every filter and the order are query parameters: the address of a result list can be shared and
    bookmarked."""
    who = principal(me)
    filters = {
        "q": q,
        "status": status,
        "art": art,
        "gremium": gremium,
        "fachamt": fachamt,
        "von": von,
        "bis": bis,
    }
    if sortierung not in SEARCH_ORDERS:
        sortierung = ""  # an outdated link: the usual order rather than an error
    errors: dict[str, str] = {}
    date_from = _date(von, errors, "von", "Datum von")
    date_to = _date(bis, errors, "bis", "Datum bis")
    if date_from and date_to and date_from > date_to:
        errors["bis"] = "Datum bis: muss nach dem Datum von liegen."
    bodies = list(session.scalars(select(Body).where(Body.municipality_id == town.id).order_by(Body.name)))
    departments = list(
        session.scalars(
            select(Department).where(Department.municipality_id == town.id).order_by(Department.name)
        )
    )
    known = {
        "status": {s.value for s in PaperState},
        "art": {k.value for k in PaperKind},
        "gremium": {b.key for b in bodies},
        "fachamt": {d.key for d in departments},
    }
    for name, allowed in known.items():
        if filters[name] and filters[name] not in allowed:
            filters[name] = ""  # an outdated link: ignore the unknown value rather than fail
    papers: list[Paper] = []
    private: set[int] = set()
    next_url = None
    if not errors:
        try:
            papers, cursor = search_papers(
                session,
                town,
                who,
                states=[filters["status"]] if filters["status"] else [],
                kind=filters["art"] or None,
                body=filters["gremium"] or None,
                department=filters["fachamt"] or None,
                date_from=date_from,
                date_to=date_to,
                q=q or None,
                order=SEARCH_ORDERS[sortierung][0],
                limit=25,
                cursor=weiter or None,
            )
        except DomainError as exc:
            errors["q"] = exc.german
        else:
            next_url = (
                links.search(town.key, **filters, sortierung=sortierung, weiter=cursor) if cursor else None
            )
            if sees_as_public(who, town.id):
                private = decided_in_private(session, (p.id for p in papers))
    alert = alert_form(request, me, town, search=filters)
    response = render(
        request,
        "search.html",
        page(
            me,
            town,
            "search",
            action=links.search(town.key),
            atom_url=links.search_atom(town.key, **filters),
            filters=filters,
            sortierung=sortierung,
            order_options=[(value, label) for value, (_, label) in SEARCH_ORDERS.items() if value],
            newest_label=SEARCH_ORDERS[""][1],
            errors=errors,
            next_url=next_url,
            papers=[paper_entry(town, p, Withheld(decision=p.id in private)) for p in papers],
            state_options=[(s.value, PAPER_STATE_LABELS[s]) for s in PaperState],
            kind_options=[(k.value, PAPER_KIND_LABELS[k]) for k in PaperKind],
            body_options=[(b.key, b.name) for b in bodies],
            department_options=[(d.key, d.name) for d in departments],
            alert=alert,
        ),
        block="search",
        status=422 if errors else 200,
    )
    return remember_form(request, me, response, alert)
