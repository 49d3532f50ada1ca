"""Administration over JSON: users and roles, persons and memberships (only the municipality's admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import schemas_admin as schemas
from api.deps import MAX_ID, Administrator, Now, ReadSession, Sessions, Town, release
from workflow import memberships, users
from workflow.access import add_user
from workflow.models import Body, Department, Faction, Membership, Person, User
from workflow.store import by_key

router = APIRouter(prefix="/api/v1/{municipality}", tags=["Verwaltung (administration)"])

UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id of the user")]
MembershipId = Annotated[int, Path(ge=1, le=MAX_ID, description="Id of the membership")]
PersonKey = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Key of the person")]
NO_STORE = {"Cache-Control": "no-store"}


def user_out(session: Session, user: User) -> schemas.UserOut:
    department = session.get(Department, user.department_id) if user.department_id else None
    person = session.get(Person, user.person_id) if user.person_id else None
    return schemas.UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        active=user.active,
        department=department.key if department else None,
        person=person.key if person else None,
        bodies=[b.key for b in user.bodies],
        email=user.email,
    )


def membership_out(session: Session, m: Membership) -> schemas.MembershipOut:
    body = session.get_one(Body, m.body_id)
    faction = session.get(Faction, m.faction_id) if m.faction_id else None
    substitute_of = session.get(Person, m.substitute_of_id) if m.substitute_of_id else None
    return schemas.MembershipOut(
        id=m.id,
        body=body.key,
        person=session.get_one(Person, m.person_id).key,
        role=m.role,
        voting_right=m.voting_right,
        faction=faction.key if faction else None,
        start_date=m.start_date,
        end_date=m.end_date,
        substitute_of=substitute_of.key if substitute_of else None,
    )


# ------------------------------------------------------------------------------------------- users


@router.get("/users", response_model=list[schemas.UserOut], summary="The municipality's users")
def list_users(town: Town, admin: Administrator, session: ReadSession) -> list[schemas.UserOut]:
    return [user_out(session, u) for u in users.users_of(session, town.id)]


@router.post("/users", status_code=201, response_model=schemas.UserOut, summary="Create a user")
def create_user(
    data: schemas.UserIn, town: Town, admin: Administrator, session: ReadSession, sessions: Sessions, now: Now
) -> schemas.UserOut:
    release(session)
    user = add_user(
        sessions,
        municipality=town.key,
        username=data.username,
        password=data.password,
        role=data.role,
        display_name=data.display_name,
        department=data.department,
        person=data.person,
        bodies=data.bodies,
        email=data.email,
        actor=admin.actor,
        now=now,
    )
    return user_out(session, session.get_one(User, user.id))


@router.post(
    "/users/{user_id}/deactivation",
    response_model=schemas.UserOut,
    summary="Deactivate a user: no more logins; open sessions and tokens end",
)
def deactivate(
    user_id: UserId, town: Town, admin: Administrator, session: ReadSession, sessions: Sessions, now: Now
) -> schemas.UserOut:
    release(session)
    user = users.deactivate_user(
        sessions,
        actor=admin.actor,
        municipality_id=town.id,
        user_id=user_id,
        acting_user_id=admin.user_id,
        now=now,
    )
    return user_out(session, session.get_one(User, user.id))


@router.post(
    "/users/{user_id}/reactivation",
    response_model=schemas.UserOut,
    summary="Let a deactivated user log in again",
)
def reactivate(
    user_id: UserId, town: Town, admin: Administrator, session: ReadSession, sessions: Sessions, now: Now
) -> schemas.UserOut:
    release(session)
    user = users.reactivate_user(
        sessions, actor=admin.actor, municipality_id=town.id, user_id=user_id, now=now
    )
    return user_out(session, session.get_one(User, user.id))


@router.post(
    "/users/{user_id}/password-reset",
    response_model=schemas.PasswordResetOut,
    summary="Give a user a new random password (returned this once); open sessions and tokens end",
)
def password_reset(
    user_id: UserId, town: Town, admin: Administrator, session: ReadSession, sessions: Sessions, now: Now
) -> JSONResponse:
    release(session)
    reset = users.reset_password(
        sessions, actor=admin.actor, municipality_id=town.id, user_id=user_id, now=now
    )
    body = schemas.PasswordResetOut(username=reset.user.username, password=reset.password)
    return JSONResponse(body.model_dump(), headers=NO_STORE)


# ------------------------------------------------------------------------------ persons and memberships


@router.post("/persons", status_code=201, response_model=schemas.PersonOut, summary="Add a person")
def create_person(
    data: schemas.PersonIn,
    town: Town,
    admin: Administrator,
    session: ReadSession,
    sessions: Sessions,
    now: Now,
) -> schemas.PersonOut:
    release(session)
    person = memberships.add_person(
        sessions,
        actor=admin.actor,
        municipality_id=town.id,
        key=data.key,
        given_name=data.given_name,
        family_name=data.family_name,
        title=data.title,
        email=data.email,
        now=now,
    )
    return schemas.PersonOut(id=person.id, key=person.key, name=person.name, email=person.email)


@router.get(
    "/persons/{person}/memberships",
    response_model=list[schemas.MembershipOut],
    summary="A person's memberships, current and past",
)
def person_memberships(
    person: PersonKey, town: Town, admin: Administrator, session: ReadSession
) -> list[schemas.MembershipOut]:
    found = by_key(session, Person, town.id, person)
    rows = session.scalars(select(Membership).where(Membership.person_id == found.id).order_by(Membership.id))
    return [membership_out(session, m) for m in rows]


@router.post(
    "/memberships", status_code=201, response_model=schemas.MembershipOut, summary="A person joins a body"
)
def join(
    data: schemas.MembershipIn,
    town: Town,
    admin: Administrator,
    session: ReadSession,
    sessions: Sessions,
    now: Now,
) -> schemas.MembershipOut:
    new = memberships.NewMembership(
        body_id=by_key(session, Body, town.id, data.body).id,
        person_id=by_key(session, Person, town.id, data.person).id,
        start=data.start_date,
        role=data.role,
        faction_id=by_key(session, Faction, town.id, data.faction).id if data.faction else None,
        voting_right=data.voting_right,
        substitute_of_id=by_key(session, Person, town.id, data.substitute_of).id
        if data.substitute_of
        else None,
    )
    release(session)
    membership = memberships.add_membership(
        sessions, actor=admin.actor, municipality_id=town.id, new=new, now=now
    )
    return membership_out(session, membership)


@router.post(
    "/memberships/{membership_id}/end",
    response_model=schemas.MembershipOut,
    summary="A member leaves the body: the membership ends on end_date",
)
def leave(
    membership_id: MembershipId,
    data: schemas.MembershipEndIn,
    town: Town,
    admin: Administrator,
    session: ReadSession,
    sessions: Sessions,
    now: Now,
) -> schemas.MembershipOut:
    release(session)
    membership = memberships.end_membership(
        sessions,
        actor=admin.actor,
        municipality_id=town.id,
        membership_id=membership_id,
        until=data.end_date,
        reason=data.reason,
        now=now,
    )
    return membership_out(session, membership)


@router.post(
    "/persons/{person}/faction-change",
    response_model=list[schemas.MembershipOut],
    summary="A member changes faction: memberships of the old faction end, new ones begin",
)
def faction_change(
    person: PersonKey,
    data: schemas.FactionChangeIn,
    town: Town,
    admin: Administrator,
    session: ReadSession,
    sessions: Sessions,
    now: Now,
) -> list[schemas.MembershipOut]:
    person_id = by_key(session, Person, town.id, person).id
    faction_id = by_key(session, Faction, town.id, data.faction).id if data.faction else None
    release(session)
    started = memberships.change_faction(
        sessions,
        actor=admin.actor,
        municipality_id=town.id,
        person_id=person_id,
        faction_id=faction_id,
        on=data.start_date,
        now=now,
    )
    return [membership_out(session, m) for m in started]
