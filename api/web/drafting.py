"""The department's and the coordination office's work on a paper: draft, edit, ask for co-signatures,
co-sign, submit. Each form works without JavaScript; each route asks the API's permission rule and calls
the one use case."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from api.deps import Now, ReadSession, Sessions, Town, release
from api.web import links
from api.web.context import own_town, page
from api.web.session import LoggedIn, check_csrf
from api.web.templating import render
from workflow import papers
from workflow.access import Forbidden, Role, require_cosign, require_edit_draft, require_role
from workflow.errors import DomainError, VersionConflict
from workflow.models import Department, Municipality, Paper
from workflow.store import by_key
from workflow.vocabulary import PAPER_KIND_LABELS, PaperKind

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

LABELS = {
    "art": "Art",
    "fachamt": "Fachamt",
    "betreff": "Betreff",
    "datum": "Datum",
    "aktenzeichen": "Aktenzeichen",
    "beschlussvorschlag": "Beschlussvorschlag",
    "begruendung": "Begründung",
    "anlagen": "Anlagen",
    "ort": "Ort der Unterzeichnung",
}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _read(form: FormData, *, new: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's values (as typed, for showing again) and a German error per field."""
    values: dict[str, Any] = {name: _text(form, name) for name in LABELS}
    values["finanziell"] = form.get("finanziell") == "ja"
    values["oeffentlich"] = form.get("oeffentlich") == "ja"
    values["mitzeichnung"] = [v for v in form.getlist("mitzeichnung") if isinstance(v, str)]
    errors: dict[str, str] = {}
    if not values["betreff"]:
        errors["betreff"] = "Bitte geben Sie einen Betreff ein."
    elif len(values["betreff"]) > 2000:
        errors["betreff"] = "Der Betreff ist zu lang (höchstens 2000 Zeichen)."
    try:
        values["datum_wert"] = dt.date.fromisoformat(values["datum"])
    except ValueError:
        errors["datum"] = "Bitte geben Sie das Datum der Vorlage an, z. B. 12.07.2013."
    if len(values["aktenzeichen"]) > 100:
        errors["aktenzeichen"] = "Das Aktenzeichen ist zu lang (höchstens 100 Zeichen)."
    if len(values["ort"]) > 100:
        errors["ort"] = "Der Ort ist zu lang (höchstens 100 Zeichen)."
    if new and values["art"] not in {k.value for k in PaperKind}:
        errors["art"] = "Bitte wählen Sie die Art der Vorlage."
    if new and not values["fachamt"]:
        errors["fachamt"] = "Bitte wählen Sie das Fachamt."
    return values, errors


def _departments(session: Session, town: Municipality) -> list[Department]:
    return list(
        session.scalars(
            select(Department).where(Department.municipality_id == town.id).order_by(Department.name)
        )
    )


def _form_page(
    request: Request,
    session: Session,
    me: Any,
    town: Municipality,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    paper: Paper | None,
    status: int = 200,
) -> Response:
    departments = _departments(session, town)
    own = me.principal.department_id if me.principal.role is Role.department else None
    return render(
        request,
        "draft_form.html",
        page(
            me,
            town,
            paper=paper,
            action=links.draft_edit(town.key, paper) if paper else links.draft_new(town.key),
            values=values,
            errors=errors,
            kind_options=[(k.value, PAPER_KIND_LABELS[k]) for k in PaperKind],
            department_options=[(d.key, d.name) for d in departments if own is None or d.id == own],
            cosigner_options=[(d.key, d.name) for d in departments if d.id != own],
        ),
        status=status,
    )


@router.get("/{municipality}/vorlagen/neu")
def new_draft(request: Request, town: Town, me: LoggedIn, session: ReadSession, now: Now) -> Response:
    require_role(own_town(me, town), Role.department, Role.coordination)
    values: dict[str, Any] = {"datum": now.date().isoformat(), "oeffentlich": True, "art": "beschlussvorlage"}
    return _form_page(request, session, me, town, values=values, errors={}, paper=None)


@router.post("/{municipality}/vorlagen/neu")
async def create_draft(
    request: Request, town: Town, me: LoggedIn, session: ReadSession, sessions: Sessions, now: Now
) -> Response:
    who = require_role(own_town(me, town), Role.department, Role.coordination)
    values, errors = _read(await request.form(), new=True)
    if who.role is Role.department and not errors:
        own = session.get(Department, who.department_id) if who.department_id else None
        if own is None or own.key != values["fachamt"]:
            raise Forbidden(
                "A department drafts only its own papers", german="Ein Fachamt legt nur eigene Vorlagen an"
            )
    if errors:
        return _form_page(request, session, me, town, values=values, errors=errors, paper=None, status=422)
    release(session)
    try:
        paper = papers.draft_paper(
            sessions,
            actor=who.actor,
            municipality=town.key,
            kind=PaperKind(values["art"]),
            department=values["fachamt"],
            subject=values["betreff"],
            paper_date=values["datum_wert"],
            proposed_resolution=values["beschlussvorschlag"],
            justification=values["begruendung"],
            file_reference=values["aktenzeichen"] or None,
            financial_impact=values["finanziell"],
            public=values["oeffentlich"],
            attachments=[
                papers.AttachmentInput(title=line.strip())
                for line in values["anlagen"].splitlines()
                if line.strip()
            ],
            cosigners=values["mitzeichnung"],
            signed_place=values["ort"] or None,
            now=now,
        )
    except DomainError as exc:
        return _form_page(
            request, session, me, town, values=values, errors={"_form": exc.german}, paper=None, status=422
        )
    return RedirectResponse(links.paper(town.key, paper), status_code=303)


def _editable(session: Session, town: Municipality, me: Any, slug: str) -> Paper:
    paper = links.paper_from_slug(session, town.id, slug)
    require_edit_draft(me.principal, paper)
    return paper


@router.get("/{municipality}/vorlagen/{slug}/bearbeiten")
def edit_draft_page(request: Request, town: Town, slug: str, me: LoggedIn, session: ReadSession) -> Response:
    paper = _editable(session, town, me, slug)
    values = {
        "betreff": paper.subject,
        "datum": paper.paper_date.isoformat(),
        "aktenzeichen": paper.file_reference or "",
        "beschlussvorschlag": paper.proposed_resolution,
        "begruendung": paper.justification,
        "ort": paper.signed_place or "",
        "finanziell": paper.financial_impact,
        "oeffentlich": paper.public,
        "version": paper.version,
    }
    return _form_page(request, session, me, town, values=values, errors={}, paper=paper)


@router.post("/{municipality}/vorlagen/{slug}/bearbeiten")
async def edit_draft(
    request: Request, town: Town, slug: str, me: LoggedIn, session: ReadSession, sessions: Sessions, now: Now
) -> Response:
    paper = _editable(session, town, me, slug)
    form = await request.form()
    values, errors = _read(form, new=False)
    version = _text(form, "version")
    values["version"] = version
    if errors:
        return _form_page(request, session, me, town, values=values, errors=errors, paper=paper, status=422)
    release(session)
    try:
        papers.update_draft(
            sessions,
            actor=me.principal.actor,
            paper_id=paper.id,
            changes={
                "subject": values["betreff"],
                "paper_date": values["datum_wert"],
                "file_reference": values["aktenzeichen"] or None,
                "proposed_resolution": values["beschlussvorschlag"],
                "justification": values["begruendung"],
                "financial_impact": values["finanziell"],
                "public": values["oeffentlich"],
                "signed_place": values["ort"] or None,
            },
            expected_version=int(version) if version.isdigit() else None,
            now=now,
        )
    except VersionConflict:
        errors = {
            "_form": "Jemand anderes hat die Vorlage inzwischen geändert. Bitte laden Sie die Seite neu; Ihre Eingaben stehen unten noch."
        }
        return _form_page(request, session, me, town, values=values, errors=errors, paper=paper, status=412)
    except DomainError as exc:
        return _form_page(
            request, session, me, town, values=values, errors={"_form": exc.german}, paper=paper, status=422
        )
    return RedirectResponse(links.paper(town.key, paper), status_code=303)


# ---------------------------------------------------------------------------- one-button transitions


@router.post("/{municipality}/vorlagen/{slug}/mitzeichnung-anfordern")
def ask_for_cosignatures(
    town: Town, slug: str, me: LoggedIn, session: ReadSession, sessions: Sessions, now: Now
) -> Response:
    paper = _editable(session, town, me, slug)
    release(session)
    papers.request_cosignatures(sessions, actor=me.principal.actor, paper_id=paper.id, now=now)
    return RedirectResponse(links.paper(town.key, paper), status_code=303)


@router.post("/{municipality}/vorlagen/{slug}/mitzeichnen")
async def cosign(
    request: Request, town: Town, slug: str, me: LoggedIn, session: ReadSession, sessions: Sessions, now: Now
) -> Response:
    paper = links.paper_from_slug(session, town.id, slug)
    department = by_key(session, Department, town.id, _text(await request.form(), "fachamt"))
    who = require_cosign(me.principal, paper, department.id)
    release(session)
    papers.cosign(sessions, actor=who.actor, paper_id=paper.id, department=department.key, now=now)
    return RedirectResponse(links.paper(town.key, paper), status_code=303)


@router.post("/{municipality}/vorlagen/{slug}/einreichen")
def submit(
    town: Town, slug: str, me: LoggedIn, session: ReadSession, sessions: Sessions, now: Now
) -> Response:
    paper = links.paper_from_slug(session, town.id, slug)
    who = require_role(own_town(me, town), Role.coordination)
    release(session)
    submitted = papers.submit_paper(sessions, actor=who.actor, paper_id=paper.id, now=now)
    return RedirectResponse(links.paper(town.key, submitted), status_code=303)
