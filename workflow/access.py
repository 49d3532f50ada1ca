"""Who may do what: users, their roles, logins and bearer tokens, and the permission rules.

The rules are the domain's (a secretary records results only for the meetings of their bodies, a
department edits only its own drafts, a council member reads the non-public papers of their bodies); the
API only asks them.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Row, bindparam, delete, select
from sqlalchemy.orm import Session, sessionmaker

from workflow.audit import record_audit
from workflow.db import transaction
from workflow.errors import Conflict, DomainError, NotFound, RuleViolation
from workflow.models import (
    AgendaItem,
    ApiToken,
    Body,
    Consultation,
    Department,
    Meeting,
    MeetingBody,
    Membership,
    Municipality,
    Paper,
    Person,
    User,
    UserBody,
)
from workflow.publication import (
    DRAFT_STATES,
    paper_public,
    public_agenda_items,
    public_agenda_items_of,
    public_meetings,
)
from workflow.store import by_key, clock, municipality_by_key, profile_of
from workflow.vocabulary import BodyKind, PaperState


class Role(enum.StrEnum):
    coordination = "coordination"  # Koordinationsbüro / Sitzungsdienst
    department = "department"  # Fachamt
    secretary = "secretary"  # Schriftführung of named bodies
    council_member = "council_member"  # Mandatsträger:in
    admin = "admin"


ROLE_LABELS = {
    Role.coordination: "Koordinationsbüro / Sitzungsdienst",
    Role.department: "Fachamt",
    Role.secretary: "Schriftführung",
    Role.council_member: "Mandatsträger:in",
    Role.admin: "Administration",
}

STAFF = frozenset({Role.coordination, Role.department, Role.secretary, Role.admin})
TOKEN_LIFETIME = dt.timedelta(hours=8)


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    code = "forbidden"


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id with the library's current recommended parameters


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """The caller as the permission rules see them; ``None`` stands for the public."""

    user_id: int
    username: str
    role: Role
    municipality_id: int
    department_id: int | None
    person_id: int | None
    body_ids: frozenset[int]  # bodies a secretary keeps the minutes of

    @property
    def actor(self) -> str:
        return f"{self.username} ({ROLE_LABELS[self.role]})"


def add_user(
    sessions: sessionmaker[Session],
    *,
    municipality: str,
    username: str,
    password: str,
    role: Role,
    display_name: str | None = None,
    department: str | None = None,
    person: str | None = None,
    bodies: Sequence[str] = (),
    email: str | None = None,
    actor: str = "admin",
    now: dt.datetime | None = None,
) -> User:
    """Create a user; department users name their department, council members their person, secretaries
    their bodies."""
    now = clock(now)
    role = Role(role)
    if len(password) < 10:
        raise RuleViolation(
            "The password must have at least 10 characters",
            german="Das Passwort muss mindestens 10 Zeichen lang sein",
            field="password",
        )
    if not username.strip():
        raise RuleViolation(
            "The user name must not be empty",
            german="Der Benutzername darf nicht leer sein",
            field="username",
        )
    needs = {Role.department: department, Role.council_member: person}
    if role in needs and not needs[role]:
        raise RuleViolation(
            f"A user with the role '{role.value}' needs a "
            f"{'department' if role is Role.department else 'person'}",
            german=f"Die Rolle „{ROLE_LABELS[role]}“ braucht "
            f"{'ein Fachamt' if role is Role.department else 'eine Person'}",
            field="department" if role is Role.department else "person",
        )
    if role is Role.secretary and not bodies:
        raise RuleViolation(
            "A secretary needs at least one body (Gremium)",
            german="Die Schriftführung braucht mindestens ein Gremium",
            field="bodies",
        )
    with transaction(sessions) as session:
        town = municipality_by_key(session, municipality)
        if session.scalar(select(User.id).where(User.username == username.strip())):
            raise Conflict(
                f"The user name '{username}' is taken",
                german=f"Der Benutzername „{username}“ ist schon vergeben",
                field="username",
            )
        user = User(
            municipality_id=town.id,
            username=username.strip(),
            display_name=display_name or username.strip(),
            password_hash=hash_password(password),
            role=role.value,
            department_id=by_key(session, Department, town.id, department).id if department else None,
            person_id=by_key(session, Person, town.id, person).id if person else None,
            active=True,
            email=email.strip() if email and email.strip() else None,
            created_at=now,
            modified_at=now,
        )
        user.bodies = [by_key(session, Body, town.id, key) for key in bodies]
        session.add(user)
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="user.added",
            entity=user,
            now=now,
            after={"username": user.username, "role": user.role, "bodies": list(bodies)},
        )
    return user


def login(
    sessions: sessionmaker[Session], *, username: str, password: str, now: dt.datetime | None = None
) -> tuple[str, dt.datetime, User]:
    """Check the password and issue a bearer token that expires; the token itself is returned once."""
    now = clock(now)
    with transaction(sessions) as session:
        user = check_password(session, username=username, password=password)
        token = secrets.token_urlsafe(32)
        expires = now + TOKEN_LIFETIME
        session.execute(delete(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at < now))
        session.add(
            ApiToken(token_hash=_token_hash(token), user_id=user.id, created_at=now, expires_at=expires)
        )
    return token, expires, user


def check_password(session: Session, *, username: str, password: str) -> User:
    """The active user with this name and password (rehashed when the hash parameters changed), or
    Unauthenticated; for the API's tokens and the web pages' sessions alike. Runs inside the caller's
    transaction."""
    refused = Unauthenticated(
        "Unknown user name or wrong password", german="Benutzername oder Passwort ist falsch"
    )
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None or not user.active:
        _hasher().hash(password)  # same work either way: no user enumeration by timing
        raise refused
    try:
        _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise refused from None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def principal_for_user(session: Session, user: User) -> Principal:
    """The permission rules' view of a user (with the bodies they keep the minutes of)."""
    bodies = frozenset(session.scalars(select(UserBody.body_id).where(UserBody.user_id == user.id)))
    return _principal(user, bodies)


#: The caller behind a token (built once: every request with a login runs it).
_TOKEN = (
    select(
        ApiToken.expires_at,
        User.id,
        User.username,
        User.role,
        User.municipality_id,
        User.department_id,
        User.person_id,
        User.active,
        UserBody.body_id,
    )
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(UserBody, UserBody.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def principal_for_token(session: Session, token: str, now: dt.datetime | None = None) -> Principal:
    """The caller behind a bearer token, or Unauthenticated if it is unknown or expired.

    One round trip (token, user and the bodies the user is secretary of, outer-joined): every request
    with a login pays for this, so it is kept to a single statement.
    """
    rows: list[Row[Any]] = list(session.execute(_TOKEN, {"token_hash": _token_hash(token)}))
    if not rows or rows[0].expires_at <= clock(now):
        raise Unauthenticated(
            "The token is unknown or has expired; log in again",
            german="Die Anmeldung ist abgelaufen; bitte neu anmelden",
        )
    if not rows[0].active:
        raise Unauthenticated("The user is deactivated", german="Der Zugang ist gesperrt")
    return _principal(rows[0], frozenset(row.body_id for row in rows if row.body_id is not None))


def principal_of_user(session: Session, username: str) -> Principal:
    """The user of that name as the permission rules see them (for callers without a token: the demo,
    the command line)."""
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None or not user.active:
        raise Unauthenticated(f"No active user '{username}'", german=f"Kein aktiver Zugang „{username}“")
    return principal_for_user(session, user)


def _principal(user: User | Row[Any], body_ids: frozenset[int]) -> Principal:
    """From a ``User``, or a row with the same column names (``principal_for_token``)."""
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        municipality_id=user.municipality_id,
        department_id=user.department_id,
        person_id=user.person_id,
        body_ids=body_ids,
    )


# ------------------------------------------------------------------------------- permission rules


def member_body_ids(session: Session, person_id: int | None) -> frozenset[int]:
    if person_id is None:
        return frozenset()
    return frozenset(session.scalars(select(Membership.body_id).where(Membership.person_id == person_id)))


def non_public_body_ids(session: Session, who: Principal) -> frozenset[int]:
    """The bodies whose non-public papers and agenda items a council member may see: their own bodies, and,
    where the profile lets members of the assembly attend non-public meetings of other bodies (Niedersachsen:
    every committee, § 72 Abs. 2 Satz 1 NKomVG), all bodies of those kinds once they sit in the assembly."""
    own = member_body_ids(session, who.person_id)
    attendance = profile_of(session, who.municipality_id).non_public_attendance
    if attendance is None or not own:
        return own
    in_assembly = session.scalar(
        select(Body.id).where(Body.id.in_(own), Body.kind == BodyKind.assembly.value).limit(1)
    )
    if in_assembly is None:
        return own
    attended = session.scalars(
        select(Body.id).where(
            Body.municipality_id == who.municipality_id,
            Body.kind.in_([kind.value for kind in attendance.body_kinds]),
        )
    )
    return own | frozenset(attended)


def _deny(message: str, german: str) -> Forbidden:
    return Forbidden(message, german=german)


def require_role(who: Principal | None, *roles: Role) -> Principal:
    if who is None:
        raise Unauthenticated("Log in first", german="Bitte zuerst anmelden")
    if who.role not in roles and who.role is not Role.admin:
        raise _deny(
            f"The role '{who.role.value}' may not do this",
            f"Die Rolle „{ROLE_LABELS[who.role]}“ darf das nicht",
        )
    return who


def require_same_municipality(who: Principal, municipality_id: int) -> None:
    if who.municipality_id != municipality_id:
        raise _deny("This belongs to another municipality", "Das gehört zu einer anderen Kommune")


def can_read_paper(session: Session, who: Principal | None, paper: Paper) -> bool:
    """The public sees submitted public papers; staff of the municipality see everything but the drafts of
    other departments; council members also see the non-public papers of their bodies."""
    if who is not None and who.municipality_id == paper.municipality_id:
        if who.role in (Role.admin, Role.coordination):
            return True
        if PaperState(paper.state) in DRAFT_STATES:
            return can_read_draft(who, paper)
        if who.role in STAFF:
            return True
        if who.role is Role.council_member and not paper.public:
            bodies = non_public_body_ids(session, who)
            return any(step.body_id in bodies for step in paper.consultations)
    return paper_public(paper)


def can_read_draft(who: Principal | None, paper: Paper) -> bool:
    """A draft (and what was rendered from it, even after submission): the coordination office, the admin and
    the departments involved (the author's and the co-signing ones) of its municipality."""
    if who is None or who.municipality_id != paper.municipality_id:
        return False
    if who.role in (Role.admin, Role.coordination):
        return True
    return who.role is Role.department and who.department_id in _involved_departments(paper)


def _involved_departments(paper: Paper) -> set[int]:
    return {paper.department_id} | {c.department_id for c in paper.cosignatures}


def require_read_paper(session: Session, who: Principal | None, paper: Paper) -> None:
    if not can_read_paper(session, who, paper):
        # Not 403: the existence of a paper one may not see is not revealed.
        raise NotFound(
            f"paper {paper.id} not found (Vorlage {paper.id} gibt es nicht)", entity="paper", id=paper.id
        )


def require_edit_draft(who: Principal | None, paper: Paper) -> Principal:
    """The coordination office edits any draft; a department only its own."""
    who = require_role(who, Role.coordination, Role.department)
    require_same_municipality(who, paper.municipality_id)
    if who.role is Role.department and who.department_id != paper.department_id:
        raise _deny("A department edits only its own drafts", "Ein Fachamt bearbeitet nur eigene Entwürfe")
    return who


def require_manage_paper(who: Principal | None, paper: Paper) -> Principal:
    """Planning or withdrawing: a draft by those who may edit it, a submitted paper by the coordination
    office of its municipality."""
    if PaperState(paper.state) in DRAFT_STATES:
        return require_edit_draft(who, paper)
    caller = require_role(who, Role.coordination)
    require_same_municipality(caller, paper.municipality_id)
    return caller


def require_cosign(who: Principal | None, paper: Paper, department_id: int) -> Principal:
    who = require_role(who, Role.department, Role.coordination)
    require_same_municipality(who, paper.municipality_id)
    if who.role is Role.department and who.department_id != department_id:
        raise _deny("A department co-signs only for itself", "Ein Fachamt zeichnet nur für sich selbst mit")
    return who


def require_record_for(who: Principal | None, meeting: Meeting, body_id: int | None = None) -> Principal:
    """A secretary records only for meetings of their bodies (and, in a joint meeting, their body's items)."""
    bodies = {body_id} if body_id is not None else {b.id for b in meeting.bodies}
    return require_record_in(who, meeting.municipality_id, bodies)


@dataclass(frozen=True)
class RecordingScope:
    """Where a TOP's result is recorded: the meeting's municipality (id and key), and the bodies whose
    secretaries record it (the step's body; a TOP without a paper: the meeting's bodies)."""

    municipality_id: int
    municipality_key: str
    meeting_id: int
    body_ids: frozenset[int]


_SCOPE = (
    select(
        Meeting.municipality_id,
        Municipality.key,
        Meeting.id,
        Consultation.body_id,
        MeetingBody.body_id.label("of_meeting"),
    )
    .select_from(AgendaItem)
    .join(Meeting, Meeting.id == AgendaItem.meeting_id)
    .join(Municipality, Municipality.id == Meeting.municipality_id)
    .outerjoin(Consultation, Consultation.id == AgendaItem.consultation_id)
    .outerjoin(MeetingBody, MeetingBody.meeting_id == Meeting.id)
    .where(AgendaItem.id == bindparam("item_id"))
)


def recording_scope(session: Session, agenda_item_id: int) -> RecordingScope | None:
    """The ``RecordingScope`` of a TOP in one statement (None if there is no such TOP)."""
    rows = session.execute(_SCOPE, {"item_id": agenda_item_id}).all()
    if not rows:
        return None
    first = rows[0]
    if first.body_id is not None:
        bodies = frozenset({first.body_id})
    else:
        bodies = frozenset(row.of_meeting for row in rows if row.of_meeting is not None)
    return RecordingScope(first.municipality_id, first.key, first.id, bodies)


def require_record_in(who: Principal | None, municipality_id: int, bodies: set[int]) -> Principal:
    """``require_record_for`` on plain ids: the meeting's municipality and the bodies concerned (the step's
    body for a TOP, else the meeting's bodies)."""
    who = require_role(who, Role.secretary)
    require_same_municipality(who, municipality_id)
    if who.role is Role.admin:
        return who
    if not bodies & who.body_ids:
        raise _deny(
            "A secretary records only for the meetings of their own bodies",
            "Die Schriftführung erfasst nur Sitzungen der eigenen Gremien",
        )
    return who


def require_start_circulation(who: Principal | None, municipality_id: int, body_id: int) -> Principal:
    """Who starts a decision without a meeting (Umlaufverfahren): the coordination office of the
    municipality, or a secretary of the body (or an administrator)."""
    if who is not None and who.role is Role.coordination:
        require_same_municipality(who, municipality_id)
        return who
    return require_record_in(who, municipality_id, {body_id})


def require_council_member(who: Principal | None, municipality_id: int) -> Principal:
    """A council member of the municipality with a person (who they are as a member of the bodies)."""
    caller = require_role(who, Role.council_member)
    require_same_municipality(caller, municipality_id)
    if caller.person_id is None:
        raise _deny(
            "Only a member of the body answers, with their own login",
            "Antworten kann nur ein Mitglied des Gremiums mit eigenem Zugang",
        )
    return caller


def can_see_non_public_of_body(
    session: Session, who: Principal | None, municipality_id: int, body_id: int
) -> bool:
    """``can_see_non_public_of`` for what a body did without a meeting (Umlaufverfahren): staff of the
    municipality and the council members who may see the body's non-public matters."""
    if who is None or who.municipality_id != municipality_id:
        return False
    if who.role in STAFF:
        return True
    return body_id in non_public_body_ids(session, who)


def can_see_non_public_of(session: Session, who: Principal | None, meeting: Meeting) -> bool:
    """Staff of the municipality, council members of one of the meeting's bodies, and members of the
    assembly where the profile lets them attend the body's non-public meetings (``non_public_body_ids``)."""
    return meeting.id in non_public_visible_meetings(session, who, [meeting])


def non_public_visible_meetings(
    session: Session, who: Principal | None, meetings: Iterable[Meeting]
) -> set[int]:
    """``can_see_non_public_of`` for many meetings at once (a list's documents): the ids of those whose
    non-public part ``who`` may see."""
    if who is None:
        return set()
    own = [m for m in meetings if m.municipality_id == who.municipality_id]
    if who.role in STAFF or not own:
        return {m.id for m in own}
    bodies = non_public_body_ids(session, who)
    return {m.id for m in own if bodies & {b.id for b in m.bodies}}


def sees_as_public(who: Principal | None, municipality_id: int) -> bool:
    """Someone without a login, or of another municipality: they see what ``workflow.publication`` publishes."""
    return who is None or who.municipality_id != municipality_id


def can_see_meeting(session: Session, who: Principal | None, meeting: Meeting) -> bool:
    """The people of the municipality see every meeting; the public only the published ones (a meeting of
    non-public bodies only, e.g. the Magistrat, does not exist for them)."""
    if not sees_as_public(who, meeting.municipality_id):
        return True
    return meeting.id in public_meetings(session, [meeting.id])


def visible_agenda_items(session: Session, who: Principal | None, meeting: Meeting) -> list[AgendaItem]:
    """The agenda items of a meeting ``who`` may see: all for those who may see its non-public part,
    otherwise the published ones (``workflow.publication.agenda_item_is_public``)."""
    shown = visible_agenda_item_ids(session, who, meeting, [i.id for i in meeting.agenda_items])
    return [i for i in meeting.agenda_items if i.id in shown]


def visible_agenda_item_ids(
    session: Session, who: Principal | None, meeting: Meeting, item_ids: Iterable[int]
) -> set[int]:
    """``visible_agenda_items`` for the ids of agenda items of the meeting (read as columns)."""
    if can_see_non_public_of(session, who, meeting):
        return set(item_ids)
    return public_agenda_items_of(session, meeting.id).intersection(item_ids)


def can_see_agenda_item(session: Session, who: Principal | None, item: AgendaItem) -> bool:
    return can_see_non_public_of(session, who, item.meeting) or item.id in public_agenda_items(
        session, [item.id]
    )
