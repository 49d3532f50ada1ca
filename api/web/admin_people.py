"""The administrator's pages for persons and memberships: add a person; on a person's page, a membership
ends (the member leaves), a new one begins (a successor joins), the faction changes. Each form calls one use
case of ``workflow.memberships``; the memberships are never edited, only ended and begun, so what was
recorded before stays as it was."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.datastructures import FormData

from api.deps import MAX_ID, Now, ReadSession, Sessions, Town, release
from api.web import links
from api.web.admin_users import admin
from api.web.context import page
from api.web.session import LoggedIn, check_csrf
from api.web.templating import render
from workflow import memberships
from workflow.errors import DomainError
from workflow.member_meetings import ROLE_WORDS
from workflow.models import Body, Faction, Membership, Municipality, Person
from workflow.rules import BERLIN
from workflow.store import by_key
from workflow.vocabulary import MembershipRole

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
MembershipId = Annotated[int, Path(ge=1, le=MAX_ID)]
PersonKey = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _date(value: str, errors: dict[str, str], field: str, label: str) -> dt.date | None:
    if not value:
        errors[field] = f"{label}: bitte ein Datum angeben, z. B. 31.01.2014."
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        errors[field] = f"{label}: bitte ein Datum wie 31.01.2014 angeben."
        return None
    if not dt.date(1900, 1, 1) <= day <= dt.date(2200, 12, 31):
        errors[field] = f"{label}: das Datum liegt außerhalb des möglichen Bereichs."
        return None
    return day


# ---------------------------------------------------------------------------------------------- persons


def _persons_page(
    request: Request,
    session: Session,
    me: LoggedIn,
    town: Municipality,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    today: dt.date,
    status: int = 200,
) -> Response:
    persons = session.scalars(
        select(Person)
        .where(Person.municipality_id == town.id)
        .order_by(Person.family_name, Person.given_name, Person.id)
    ).all()
    seats: dict[int, list[str]] = {}
    for m in session.scalars(
        select(Membership)
        .join(Body)
        .where(Body.municipality_id == town.id)
        .options(selectinload(Membership.body))
    ):
        if m.active_on(today):
            seats.setdefault(m.person_id, []).append(m.body.short_name)
    entries = [
        {
            "url": links.admin_person(town.key, p),
            "name": p.name,
            "function": p.function,
            "bodies": seats.get(p.id, []),
        }
        for p in persons
    ]
    return render(
        request,
        "admin_persons.html",
        page(me, town, "admin_persons", persons=entries, values=values, errors=errors),
        status=status,
    )


@router.get("/{municipality}/verwaltung/personen")
def persons_page(request: Request, town: Town, me: LoggedIn, session: ReadSession, now: Now) -> Response:
    admin(me, town)
    today = now.astimezone(BERLIN).date()
    return _persons_page(request, session, me, town, values={}, errors={}, today=today)


@router.post("/{municipality}/verwaltung/personen")
async def add_person(
    request: Request, town: Town, me: LoggedIn, session: ReadSession, sessions: Sessions, now: Now
) -> Response:
    who = admin(me, town)
    form = await request.form()
    values = {name: _text(form, name) for name in ("schluessel", "vorname", "nachname", "titel", "email")}
    errors: dict[str, str] = {}
    if not values["vorname"]:
        errors["vorname"] = "Bitte geben Sie den Vornamen ein."
    if not values["nachname"]:
        errors["nachname"] = "Bitte geben Sie den Nachnamen ein."
    if not values["schluessel"]:
        errors["schluessel"] = "Bitte geben Sie einen Schlüssel ein, z. B. mueller-petra."
    today = now.astimezone(BERLIN).date()
    if not errors:
        release(session)
        try:
            person = memberships.add_person(
                sessions,
                actor=who.actor,
                municipality_id=town.id,
                key=values["schluessel"],
                given_name=values["vorname"],
                family_name=values["nachname"],
                title=values["titel"] or None,
                email=values["email"] or None,
                now=now,
            )
        except DomainError as exc:
            errors["schluessel" if exc.code in ("conflict", "rule_violation") else "_form"] = exc.german
        else:
            return RedirectResponse(links.admin_person(town.key, person), status_code=303)
    return _persons_page(request, session, me, town, values=values, errors=errors, today=today, status=422)


# ---------------------------------------------------------------------------------- one person's memberships


def _person_page(
    request: Request,
    session: Session,
    me: LoggedIn,
    town: Municipality,
    person: Person,
    *,
    today: dt.date,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    rows = session.scalars(
        select(Membership)
        .where(Membership.person_id == person.id)
        .options(selectinload(Membership.body), selectinload(Membership.faction))
        .order_by(Membership.start_date.desc(), Membership.id)
    ).all()
    names = {p.id: p.name for p in session.scalars(select(Person).where(Person.municipality_id == town.id))}
    entries = [
        {
            "id": m.id,
            "body": m.body.name,
            "role": ROLE_WORDS[MembershipRole(m.role)]
            + (f" für {names.get(m.substitute_of_id, '')}" if m.substitute_of_id else ""),
            "faction": m.faction.short_name if m.faction else "keine Fraktion",
            "start": m.start_date,
            "end": m.end_date,
            "current": m.end_date is None or m.end_date >= today,
            "action": links.admin_person_action(town.key, person, f"ende-{m.id}"),
        }
        for m in rows
    ]
    bodies = session.scalars(select(Body).where(Body.municipality_id == town.id).order_by(Body.name))
    factions = session.scalars(
        select(Faction).where(Faction.municipality_id == town.id).order_by(Faction.name)
    )
    others = session.scalars(
        select(Person)
        .where(Person.municipality_id == town.id, Person.id != person.id)
        .order_by(Person.family_name, Person.given_name)
    )
    return render(
        request,
        "admin_person.html",
        page(
            me,
            town,
            "admin_persons",
            person=person,
            memberships=entries,
            values=values or {},
            errors=errors or {},
            body_options=[(b.key, b.name) for b in bodies],
            faction_options=[(f.key, f.name) for f in factions],
            role_options=[(r.value, ROLE_WORDS[r]) for r in MembershipRole],
            person_options=[(p.key, f"{p.family_name}, {p.given_name}") for p in others],
            join_action=links.admin_person_action(town.key, person, "mitgliedschaft"),
            faction_action=links.admin_person_action(town.key, person, "fraktion"),
        ),
        status=status,
    )


@router.get("/{municipality}/verwaltung/personen/{key}")
def person_page(
    request: Request, town: Town, key: PersonKey, me: LoggedIn, session: ReadSession, now: Now
) -> Response:
    admin(me, town)
    person = by_key(session, Person, town.id, key)
    return _person_page(request, session, me, town, person, today=now.astimezone(BERLIN).date())


@router.post("/{municipality}/verwaltung/personen/{key}/ende-{membership_id}")
async def end_membership(
    request: Request,
    town: Town,
    key: PersonKey,
    membership_id: MembershipId,
    me: LoggedIn,
    session: ReadSession,
    sessions: Sessions,
    now: Now,
) -> Response:
    who = admin(me, town)
    person = by_key(session, Person, town.id, key)
    form = await request.form()
    field = f"ende-{membership_id}"
    values = {field: _text(form, field), f"{field}-grund": _text(form, f"{field}-grund")}
    errors: dict[str, str] = {}
    until = _date(values[field], errors, field, "Letzter Tag")
    membership = session.get(Membership, membership_id)
    if membership is None or membership.person_id != person.id:
        errors["_form"] = "Diese Mitgliedschaft gehört nicht zu dieser Person."
    if until is not None and not errors:
        release(session)
        try:
            memberships.end_membership(
                sessions,
                actor=who.actor,
                municipality_id=town.id,
                membership_id=membership_id,
                until=until,
                reason=values[f"{field}-grund"] or None,
                now=now,
            )
        except DomainError as exc:
            errors[field] = exc.german
        else:
            return RedirectResponse(links.admin_person(town.key, person), status_code=303)
    today = now.astimezone(BERLIN).date()
    return _person_page(
        request, session, me, town, person, today=today, values=values, errors=errors, status=422
    )


@router.post("/{municipality}/verwaltung/personen/{key}/mitgliedschaft")
async def join(
    request: Request,
    town: Town,
    key: PersonKey,
    me: LoggedIn,
    session: ReadSession,
    sessions: Sessions,
    now: Now,
) -> Response:
    who = admin(me, town)
    person = by_key(session, Person, town.id, key)
    form = await request.form()
    names = ("neu-gremium", "neu-rolle", "neu-fraktion", "neu-ab", "neu-vertritt")
    values = {name: _text(form, name) for name in names}
    errors: dict[str, str] = {}
    start = _date(values["neu-ab"], errors, "neu-ab", "Erster Tag")
    lookups: dict[str, Any] = {}
    for name, model, label in (
        ("neu-gremium", Body, "Gremium"),
        ("neu-fraktion", Faction, "Fraktion"),
        ("neu-vertritt", Person, "Vertretene Person"),
    ):
        if values[name]:
            found = session.scalars(
                select(model).where(model.municipality_id == town.id, model.key == values[name])
            ).one_or_none()
            if found is None:
                errors[name] = f"{label}: bitte aus der Liste wählen."
            lookups[name] = found
    if not values["neu-gremium"]:
        errors["neu-gremium"] = "Bitte wählen Sie das Gremium."
    if values["neu-rolle"] not in {r.value for r in MembershipRole}:
        errors["neu-rolle"] = "Bitte wählen Sie die Rolle."
    if start is not None and not errors:
        new = memberships.NewMembership(
            body_id=lookups["neu-gremium"].id,
            person_id=person.id,
            start=start,
            role=MembershipRole(values["neu-rolle"]),
            faction_id=lookups["neu-fraktion"].id if lookups.get("neu-fraktion") else None,
            substitute_of_id=lookups["neu-vertritt"].id if lookups.get("neu-vertritt") else None,
        )
        release(session)
        try:
            memberships.add_membership(sessions, actor=who.actor, municipality_id=town.id, new=new, now=now)
        except DomainError as exc:
            errors["neu-vertritt" if exc.details.get("field") == "substitute_of" else "neu-ab"] = exc.german
        else:
            return RedirectResponse(links.admin_person(town.key, person), status_code=303)
    today = now.astimezone(BERLIN).date()
    return _person_page(
        request, session, me, town, person, today=today, values=values, errors=errors, status=422
    )


@router.post("/{municipality}/verwaltung/personen/{key}/fraktion")
async def change_faction(
    request: Request,
    town: Town,
    key: PersonKey,
    me: LoggedIn,
    session: ReadSession,
    sessions: Sessions,
    now: Now,
) -> Response:
    who = admin(me, town)
    person = by_key(session, Person, town.id, key)
    form = await request.form()
    values = {name: _text(form, name) for name in ("fraktion", "fraktion-ab")}
    errors: dict[str, str] = {}
    start = _date(values["fraktion-ab"], errors, "fraktion-ab", "Erster Tag in der neuen Fraktion")
    faction = None
    if values["fraktion"]:
        faction = session.scalars(
            select(Faction).where(Faction.municipality_id == town.id, Faction.key == values["fraktion"])
        ).one_or_none()
        if faction is None:
            errors["fraktion"] = "Bitte wählen Sie die Fraktion aus der Liste."
    if start is not None and not errors:
        release(session)
        try:
            memberships.change_faction(
                sessions,
                actor=who.actor,
                municipality_id=town.id,
                person_id=person.id,
                faction_id=faction.id if faction else None,
                on=start,
                now=now,
            )
        except DomainError as exc:
            errors["fraktion-ab"] = exc.german
        else:
            return RedirectResponse(links.admin_person(town.key, person), status_code=303)
    today = now.astimezone(BERLIN).date()
    return _person_page(
        request, session, me, town, person, today=today, values=values, errors=errors, status=422
    )
