"""The Beratungsfolge editor of a paper: stages in order, each with one or more parallel steps (body and role),
prefilled with the planned steps or the profile's default; saved through ``workflow.planning``.

Without JavaScript every button sends the whole form: the editing buttons (add or remove a stage or a parallel
step, move a stage up or down, start again from the profile's default) only answer the changed form; "Speichern"
plans. With htmx the same form answers only the editor block. Once a step is on an agenda the plan is shown
read-only with the reason (``workflow.planning.plan_refusal``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from api.deps import Now, ReadSession, Sessions, Town, release
from api.web import links
from api.web.context import own_town, page
from api.web.session import LoggedIn, check_csrf
from api.web.templating import render
from workflow import planning
from workflow.access import Principal, require_manage_paper, require_read_paper
from workflow.errors import PlanInvalid, TransitionNotAllowed
from workflow.models import Body, Municipality, Paper
from workflow.vocabulary import (
    CONSULTATION_ROLE_LABELS,
    CONSULTATION_STATE_LABELS,
    PAPER_KIND_LABELS,
    ConsultationRole,
    ConsultationState,
    PaperKind,
)
from workflow.web_sessions import ActiveSession

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

#: A plan on the page has at most this many stages and parallel steps per stage (the API's limit too).
MAX_STAGES = 50
MAX_STEPS = 50
_FIELD = re.compile(r"^stufe-(\d{1,2})-(gremium|rolle)$")
_ACTION = re.compile(
    r"^(speichern|standard|stufe-neu|stufe-weg|schritt-neu|schritt-weg|hoch|runter)(?:-(\d{1,2}))?(?:-(\d{1,2}))?$"
)


@dataclass
class Step:
    body: str = ""
    role: str = ConsultationRole.preliminary.value


@dataclass
class Editor:
    """The plan as the form shows it; ``focus`` is the stage (from 1) to move the focus to after an edit."""

    stages: list[list[Step]] = field(default_factory=list)
    focus: int | None = None
    notice: str = ""


def _from_plan(plan: list[list[planning.StepInput]]) -> Editor:
    return Editor([[Step(s.body, s.role.value) for s in stage] for stage in plan])


def _from_form(form: FormData) -> Editor:
    """The stages as sent: ``stufe-N-gremium`` and ``stufe-N-rolle`` once per parallel step, in order."""
    numbers = sorted({int(m[1]) for key in form if (m := _FIELD.match(key))})[:MAX_STAGES]
    stages = []
    for number in numbers:
        bodies = [v for v in form.getlist(f"stufe-{number}-gremium") if isinstance(v, str)]
        roles = [v for v in form.getlist(f"stufe-{number}-rolle") if isinstance(v, str)]
        roles += [ConsultationRole.preliminary.value] * (len(bodies) - len(roles))
        stages.append([Step(b.strip(), r) for b, r in zip(bodies, roles, strict=False)][:MAX_STEPS])
    return Editor(stages)


def _edit(editor: Editor, action: str, first: int | None, second: int | None) -> None:
    """Apply an editing button (stages and steps counted from 1); out-of-range numbers change nothing."""
    stages = editor.stages
    index = (first or 0) - 1
    valid = 0 <= index < len(stages)
    if action == "stufe-neu" and len(stages) < MAX_STAGES:
        # A new stage goes before the last one (the deciding body usually stays last).
        at = max(len(stages) - 1, 0)
        stages.insert(at, [Step()])
        editor.focus, editor.notice = at + 1, f"Neue Stufe {at + 1} eingefügt."
    elif action == "stufe-weg" and valid:
        stages.pop(index)
        editor.focus = min(index + 1, len(stages)) or None
        editor.notice = f"Stufe {index + 1} entfernt."
    elif action == "schritt-neu" and valid and len(stages[index]) < MAX_STEPS:
        stages[index].append(Step())
        editor.focus, editor.notice = index + 1, f"Paralleles Gremium in Stufe {index + 1} hinzugefügt."
    elif action == "schritt-weg" and valid and second is not None and 0 < second <= len(stages[index]):
        stages[index].pop(second - 1)
        if not stages[index]:
            stages.pop(index)
        editor.focus = min(index + 1, len(stages)) or None
        editor.notice = f"Gremium aus Stufe {index + 1} entfernt."
    elif action == "hoch" and valid and index > 0:
        stages[index - 1], stages[index] = stages[index], stages[index - 1]
        editor.focus, editor.notice = index, f"Stufe {index + 1} ist jetzt Stufe {index}."
    elif action == "runter" and valid and index < len(stages) - 1:
        stages[index + 1], stages[index] = stages[index], stages[index + 1]
        editor.focus, editor.notice = index + 2, f"Stufe {index + 1} ist jetzt Stufe {index + 2}."


def _manageable(
    session: Session, town: Municipality, me: ActiveSession, slug: str
) -> tuple[Paper, Principal]:
    """The paper, if this person may see it (else 404) and may plan it (the API's rule, else 403)."""
    paper = links.paper_from_slug(session, town.id, slug)
    require_read_paper(session, me.principal, paper)
    who = require_manage_paper(own_town(me, town), paper)
    return paper, who


def _bodies(session: Session, town: Municipality) -> list[Body]:
    return list(session.scalars(select(Body).where(Body.municipality_id == town.id).order_by(Body.name)))


def _render(
    request: Request,
    session: Session,
    town: Municipality,
    me: ActiveSession,
    paper: Paper,
    editor: Editor | None,
    *,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    status: int = 200,
) -> Response:
    refusal = planning.plan_refusal(paper)
    names = {b.key: b.name for b in _bodies(session, town)}
    planned = [
        {
            "stage": c.stage,
            "body": c.body.name,
            "role": CONSULTATION_ROLE_LABELS[ConsultationRole(c.role)],
            "state": CONSULTATION_STATE_LABELS[ConsultationState(c.state)],
            "scheduled": c.state != ConsultationState.planned,
        }
        for c in sorted(paper.consultations, key=lambda c: (c.stage, c.position, c.id))
    ]
    return render(
        request,
        "beratungsfolge.html",
        page(
            me,
            town,
            paper=paper,
            paper_url=links.paper(town.key, paper),
            action=links.beratungsfolge(town.key, paper),
            kind_label=PAPER_KIND_LABELS[PaperKind(paper.kind)],
            refusal=refusal.german if refusal is not None else None,
            planned=planned,
            editor=editor if refusal is None else None,
            errors=errors or {},
            saved=saved,
            body_options=sorted(names.items(), key=lambda kv: kv[1]),
            role_options=[(r.value, CONSULTATION_ROLE_LABELS[r]) for r in ConsultationRole],
        ),
        block="editor",
        status=status,
    )


@router.get("/{municipality}/vorlagen/{slug}/beratungsfolge", response_class=HTMLResponse)
def editor_page(
    request: Request, town: Town, slug: str, me: LoggedIn, session: ReadSession, gespeichert: str = ""
) -> Response:
    paper, _ = _manageable(session, town, me, slug)
    editor = _from_plan(planning.proposed_plan(session, paper))
    return _render(request, session, town, me, paper, editor, saved=gespeichert == "1")


def _input_errors(editor: Editor, known: set[str], roles: set[str]) -> dict[str, str]:
    """What the form itself lacks (a body not chosen); the rules of a plan are the use case's."""
    errors: dict[str, str] = {}
    if not editor.stages:
        errors["_form"] = "Die Beratungsfolge braucht mindestens eine Stufe mit einem Gremium."
    for number, stage in enumerate(editor.stages, start=1):
        for position, step in enumerate(stage, start=1):
            if step.body not in known:
                errors[f"stufe-{number}-schritt-{position}"] = (
                    f"Bitte wählen Sie das Gremium (Stufe {number}, Gremium {position})."
                )
            if step.role not in roles:
                errors[f"stufe-{number}-schritt-{position}-rolle"] = (
                    f"Bitte wählen Sie die Rolle (Stufe {number}, Gremium {position})."
                )
    return errors


@router.post("/{municipality}/vorlagen/{slug}/beratungsfolge", response_class=HTMLResponse)
async def editor_post(
    request: Request, town: Town, slug: str, me: LoggedIn, session: ReadSession, sessions: Sessions, now: Now
) -> Response:
    paper, who = _manageable(session, town, me, slug)
    form = await request.form()
    pressed = form.get("aktion")
    match = _ACTION.match(pressed) if isinstance(pressed, str) else None
    editor = _from_form(form)
    if match is None:
        return _render(request, session, town, me, paper, editor)
    action = match[1]
    if action == "standard":
        editor = _from_plan(planning.profile_default(session, paper))
        editor.notice = "Der Vorschlag des Profils ist eingesetzt; er ist noch nicht gespeichert."
        return _render(request, session, town, me, paper, editor)
    if action != "speichern":
        _edit(editor, action, int(match[2]) if match[2] else None, int(match[3]) if match[3] else None)
        return _render(request, session, town, me, paper, editor)
    errors = _input_errors(
        editor, {b.key for b in _bodies(session, town)}, {r.value for r in ConsultationRole}
    )
    if errors:
        return _render(request, session, town, me, paper, editor, errors=errors, status=422)
    stages = [
        [planning.StepInput(s.body, ConsultationRole(s.role)) for s in stage] for stage in editor.stages
    ]
    url = links.beratungsfolge(town.key, paper)
    release(session)
    try:
        planning.plan_consultations(sessions, actor=who.actor, paper_id=paper.id, stages=stages, now=now)
    except PlanInvalid as exc:
        stage = exc.details.get("stage")
        key = f"stufe-{stage}" if isinstance(stage, int) and 0 < stage <= len(editor.stages) else "_form"
        return _render(request, session, town, me, paper, editor, errors={key: exc.german}, status=422)
    except TransitionNotAllowed as exc:
        session.expire_all()
        return _render(request, session, town, me, paper, editor, errors={"_form": exc.german}, status=422)
    return RedirectResponse(url + "?gespeichert=1", status_code=303)
