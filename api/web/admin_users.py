"""The administrator's pages for logins: the list, a new login, deactivating one, a new password.

A new login and a reset password get a random password drawn by ``workflow.users.new_password``, shown once
on the answer page (``Cache-Control: no-store``, never in a URL, a log or the audit trail) for the
administrator to hand over. The administrator does not choose one: no weak, reused or guessable password
enters the system, and nobody but the handover ever sees it. Its reset also ends the user's open sessions and
tokens, so whoever knew the old password is logged out.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from api.deps import MAX_ID, Now, ReadSession, Sessions, Town, release
from api.web import links
from api.web.context import own_town, page
from api.web.session import LoggedIn, check_csrf
from api.web.templating import render
from workflow import users
from workflow.access import ROLE_LABELS, Principal, Role, add_user, require_role
from workflow.errors import DomainError
from workflow.models import Body, Department, Municipality, Person, User

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]

NO_STORE = {"Cache-Control": "no-store"}
#: The use case's field names (``DomainError.details["field"]``) → the form's.
FIELDS = {
    "username": "benutzername",
    "department": "fachamt",
    "person": "person",
    "bodies": "gremien",
}


def admin(me: LoggedIn, town: Municipality) -> Principal:
    """The administrator of this municipality (everyone else: 403, as from the API)."""
    return require_role(own_town(me, town), Role.admin)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _names(session: Session, town_id: int) -> tuple[dict[int, str], dict[int, str]]:
    """The names of the municipality's departments and persons, by id."""
    departments = session.scalars(select(Department).where(Department.municipality_id == town_id))
    persons = session.scalars(select(Person).where(Person.municipality_id == town_id))
    return {d.id: d.name for d in departments}, {p.id: p.name for p in persons}


def _list_page(
    request: Request,
    session: Session,
    me: LoggedIn,
    town: Municipality,
    *,
    message: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    departments, persons = _names(session, town.id)
    entries = []
    for user in users.users_of(session, town.id):
        scope = [
            departments.get(user.department_id or 0, ""),
            persons.get(user.person_id or 0, ""),
            ", ".join(b.short_name for b in user.bodies),
        ]
        entries.append(
            {
                "id": user.id,
                "username": user.username,
                "display_name": user.display_name,
                "role": ROLE_LABELS[Role(user.role)],
                "scope": " · ".join(part for part in scope if part),
                "email": user.email,
                "active": user.active,
                "own": user.id == me.principal.user_id,
            }
        )
    return render(
        request,
        "admin_users.html",
        page(me, town, "admin_users", users=entries, message=message, error=error),
        status=status,
    )


@router.get("/{municipality}/verwaltung/zugaenge")
def users_page(
    request: Request,
    town: Town,
    me: LoggedIn,
    session: ReadSession,
    gesperrt: int | None = Query(None, ge=1, le=MAX_ID),
) -> Response:
    admin(me, town)
    message = None
    if gesperrt is not None:
        locked = session.get(User, gesperrt)
        if locked is not None and locked.municipality_id == town.id and not locked.active:
            message = f"Der Zugang „{locked.username}“ ist gesperrt; seine Anmeldungen sind beendet."
    return _list_page(request, session, me, town, message=message)


@router.post("/{municipality}/verwaltung/zugaenge/{user_id}/sperren")
def deactivate(
    request: Request,
    town: Town,
    user_id: UserId,
    me: LoggedIn,
    session: ReadSession,
    sessions: Sessions,
    now: Now,
) -> Response:
    who = admin(me, town)
    release(session)
    try:
        users.deactivate_user(
            sessions,
            actor=who.actor,
            municipality_id=town.id,
            user_id=user_id,
            acting_user_id=who.user_id,
            now=now,
        )
    except DomainError as exc:
        if exc.code == "not_found":
            raise
        return _list_page(request, session, me, town, error=exc.german, status=422)
    return RedirectResponse(f"{links.admin_users(town.key)}?gesperrt={user_id}", status_code=303)


@router.post("/{municipality}/verwaltung/zugaenge/{user_id}/entsperren")
def reactivate(
    request: Request,
    town: Town,
    user_id: UserId,
    me: LoggedIn,
    session: ReadSession,
    sessions: Sessions,
    now: Now,
) -> Response:
    who = admin(me, town)
    release(session)
    try:
        user = users.reactivate_user(
            sessions, actor=who.actor, municipality_id=town.id, user_id=user_id, now=now
        )
    except DomainError as exc:
        if exc.code == "not_found":
            raise
        return _list_page(request, session, me, town, error=exc.german, status=422)
    message = f"Der Zugang „{user.username}“ ist wieder freigegeben."
    return _list_page(request, session, me, town, message=message)


def _secret_page(
    request: Request, me: LoggedIn, town: Municipality, user: User, password: str, *, new: bool
) -> Response:
    response = render(
        request,
        "admin_password.html",
        page(me, town, "admin_users", user=user, password=password, new=new),
        status=201 if new else 200,
    )
    response.headers.update(NO_STORE)
    return response


@router.post("/{municipality}/verwaltung/zugaenge/{user_id}/passwort")
def reset_password(
    request: Request,
    town: Town,
    user_id: UserId,
    me: LoggedIn,
    session: ReadSession,
    sessions: Sessions,
    now: Now,
) -> Response:
    who = admin(me, town)
    release(session)
    reset = users.reset_password(sessions, actor=who.actor, municipality_id=town.id, user_id=user_id, now=now)
    return _secret_page(request, me, town, reset.user, reset.password, new=False)


# ------------------------------------------------------------------------------------------ a new login


def _form_page(
    request: Request,
    session: Session,
    me: LoggedIn,
    town: Municipality,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    departments = session.scalars(
        select(Department).where(Department.municipality_id == town.id).order_by(Department.name)
    )
    persons = session.scalars(
        select(Person)
        .where(Person.municipality_id == town.id)
        .order_by(Person.family_name, Person.given_name)
    )
    bodies = session.scalars(select(Body).where(Body.municipality_id == town.id).order_by(Body.name))
    return render(
        request,
        "admin_user_form.html",
        page(
            me,
            town,
            "admin_users",
            action=links.admin_user_new(town.key),
            values=values,
            errors=errors,
            role_options=[(r.value, ROLE_LABELS[r]) for r in Role],
            department_options=[(d.key, d.name) for d in departments],
            person_options=[(p.key, f"{p.family_name}, {p.given_name}") for p in persons],
            body_options=[(b.key, b.name) for b in bodies],
        ),
        status=status,
    )


@router.get("/{municipality}/verwaltung/zugaenge/neu")
def new_user_page(request: Request, town: Town, me: LoggedIn, session: ReadSession) -> Response:
    admin(me, town)
    values: dict[str, Any] = {"rolle": Role.council_member.value, "gremien": []}
    return _form_page(request, session, me, town, values=values, errors={})


def _read(form: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {
        name: _text(form, name)
        for name in ("benutzername", "anzeigename", "rolle", "fachamt", "person", "email")
    }
    values["gremien"] = [v for v in form.getlist("gremien") if isinstance(v, str)]
    errors: dict[str, str] = {}
    if not values["benutzername"]:
        errors["benutzername"] = "Bitte geben Sie einen Benutzernamen ein."
    elif len(values["benutzername"]) > 100:
        errors["benutzername"] = "Der Benutzername ist zu lang (höchstens 100 Zeichen)."
    if len(values["anzeigename"]) > 200:
        errors["anzeigename"] = "Der Name ist zu lang (höchstens 200 Zeichen)."
    if values["rolle"] not in {r.value for r in Role}:
        errors["rolle"] = "Bitte wählen Sie eine Rolle."
    email = values["email"]
    if email and (len(email) > 200 or "@" not in email.strip("@") or " " in email):
        errors["email"] = "Bitte geben Sie eine E-Mail-Adresse wie name@stadt.de an."
    return values, errors


@router.post("/{municipality}/verwaltung/zugaenge/neu")
async def create_user(
    request: Request, town: Town, me: LoggedIn, session: ReadSession, sessions: Sessions, now: Now
) -> Response:
    who = admin(me, town)
    values, errors = _read(await request.form())
    if errors:
        return _form_page(request, session, me, town, values=values, errors=errors, status=422)
    role = Role(values["rolle"])
    password = users.new_password()
    release(session)
    try:
        # Only what the role needs is passed on; the use case says what is missing.
        user = add_user(
            sessions,
            municipality=town.key,
            username=values["benutzername"],
            password=password,
            role=role,
            display_name=values["anzeigename"] or None,
            department=values["fachamt"] or None if role is Role.department else None,
            person=values["person"] or None if role is Role.council_member else None,
            bodies=values["gremien"] if role is Role.secretary else [],
            email=values["email"] or None,
            actor=who.actor,
            now=now,
        )
    except DomainError as exc:
        field = FIELDS.get(str(exc.details.get("field", "")), "_form")
        return _form_page(request, session, me, town, values=values, errors={field: exc.german}, status=422)
    return _secret_page(request, me, town, user, password, new=True)
