"""Request and response bodies of the administration: users and roles, persons and memberships."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, StringConstraints

from api.schemas import Key, Model, Name100, Out, SafeDate, Secret200, Text100, Text300
from workflow.access import Role
from workflow.vocabulary import MembershipRole

#: An address as far as it can be checked without sending a mail: something@somewhere.tld
Email = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class UserIn(Model):
    username: Name100
    password: Secret200 = Field(description="At least 10 characters")
    role: Role
    display_name: Text300 | None = None
    department: Key | None = Field(None, description="Key of the department (role department)")
    person: Key | None = Field(None, description="Key of the person (role council_member)")
    bodies: list[Key] = Field(default_factory=list, max_length=100, description="Bodies (role secretary)")
    email: Email | None = None


class UserOut(Out):
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    department: str | None
    person: str | None
    bodies: list[str]
    email: str | None


class PasswordResetOut(Model):
    username: str
    password: str = Field(description="The new password, shown this once; only its hash is stored")


class PersonIn(Model):
    key: Key
    given_name: Name100
    family_name: Name100
    title: Text100 | None = None
    email: Email | None = None


class PersonOut(Out):
    id: int
    key: str
    name: str
    email: str | None


class MembershipIn(Model):
    body: Key
    person: Key
    start_date: SafeDate = Field(description="First day of the membership")
    role: MembershipRole = MembershipRole.member
    faction: Key | None = None
    voting_right: bool | None = Field(None, description="Default: members, chairs and substitutes vote")
    substitute_of: Key | None = Field(None, description="Key of the person a substitute stands in for")


class MembershipEndIn(Model):
    end_date: SafeDate = Field(description="Last day of the membership")
    reason: Text300 | None = None


class FactionChangeIn(Model):
    faction: Key | None = Field(description="Key of the new faction; null: no faction any more")
    start_date: SafeDate = Field(description="First day in the new faction")


class MembershipOut(Out):
    id: int
    body: str
    person: str
    role: str
    voting_right: bool
    faction: str | None
    start_date: dt.date
    end_date: dt.date | None
    substitute_of: str | None
