"""The OParl 1.1 endpoints under ``/oparl/v1``: the System, the bodies, their lists and every object.

OParl is the public's view: it reads no login, and the same request gives the same answer to everyone.
Objects answer 200 (or 200 with ``deleted: true`` once depublished), 404 with the Error object when they
never were public. The routes stay out of the OpenAPI schema of the internal API (they speak OParl's
own error format, not the API's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.interfaces import ORMOption
from starlette.responses import Response

from api.files import content_disposition, etag_matches
from api.oparl.format import CORS_HEADERS, OparlJSON, Urls
from api.oparl.lists import ListQuery, OparlError, memory_page, positive_int, sql_page
from api.oparl.serialize import ITEM_OPTIONS, MEETING_OPTIONS, Publisher, deleted_object
from workflow.models import (
    AgendaItem,
    Body,
    Consultation,
    Department,
    Depublication,
    Faction,
    Meeting,
    Membership,
    Municipality,
    Paper,
    Person,
    StoredFile,
)
from workflow.publication import (
    agenda_item_is_public,
    consultation_is_public,
    file_is_public,
    meeting_is_public,
    paper_is_public,
)

router = APIRouter(prefix="/oparl/v1", include_in_schema=False)


def _urls(request: Request) -> Urls:
    urls: Urls = request.app.state.oparl_urls
    return urls


def _answer(content: Any) -> OparlJSON:
    return OparlJSON(content, headers=CORS_HEADERS)


def _id(raw: str, what: str) -> int:
    object_id = positive_int(raw)
    if object_id is None:
        raise _not_found(what, raw)
    return object_id


def _not_found(what: str, raw: str | int) -> OparlError:
    return OparlError(404, f"{what} {raw} gibt es nicht", f"{what} {raw} not found")


def _town(session: Session, raw: str) -> Municipality:
    town = session.get(Municipality, _id(raw, "Körperschaft"))
    if town is None:
        raise _not_found("Körperschaft", raw)
    return town


def _deleted(session: Session, urls: Urls, object_type: str, object_id: int) -> dict[str, Any] | None:
    row = session.scalar(
        select(Depublication).where(
            Depublication.object_type == object_type, Depublication.object_id == object_id
        )
    )
    return deleted_object(urls, row) if row is not None else None


@dataclass(frozen=True)
class _Kind:
    """An object type answered at ``/<path>/{id}``: which rows, which of them are public, how they read."""

    path: str
    model: Any
    what: str  # German name in the 404
    serialize: Callable[[Publisher, Session, list[Any]], list[dict[str, Any]]]
    visible: ColumnElement[bool] | None = None  # None: every row is public
    object_type: str | None = None  # depublished objects of this type answer as deleted
    options: Sequence[ORMOption] = ()


def _one(request: Request, raw: str, kind: _Kind) -> OparlJSON:
    urls = _urls(request)
    object_id = _id(raw, kind.what)
    statement = select(kind.model).where(kind.model.id == object_id).options(*kind.options)
    if kind.visible is not None:
        statement = statement.where(kind.visible)
    if kind.model is StoredFile:
        statement = statement.options(defer(StoredFile.content))
    with request.app.state.sessions() as session:
        obj = session.scalar(statement)
        if obj is not None:
            return _answer(kind.serialize(Publisher(session, urls), session, [obj])[0])
        if kind.object_type is not None:
            gone = _deleted(session, urls, kind.object_type, object_id)
            if gone is not None:
                return _answer(gone)
    raise _not_found(kind.what, raw)


# ---------------------------------------------------------------------------------------- system, bodies


@router.get("/system")
def system(request: Request) -> OparlJSON:
    urls = _urls(request)
    with request.app.state.sessions() as session:
        towns = list(session.scalars(select(Municipality).order_by(Municipality.id)))
        return _answer(Publisher(session, urls).system(towns))


@router.get("/bodies")
def bodies(request: Request) -> OparlJSON:
    urls = _urls(request)
    query = ListQuery.parse(request.query_params)
    with request.app.state.sessions() as session:
        publisher = Publisher(session, urls)
        return _answer(
            sql_page(
                session,
                urls,
                urls.bodies(),
                query,
                model=Municipality,
                where=[],
                serialize=lambda towns: [publisher.body(t) for t in towns],
            )
        )


@router.get("/body/{body_id}")
def body(request: Request, body_id: str) -> OparlJSON:
    urls = _urls(request)
    with request.app.state.sessions() as session:
        return _answer(Publisher(session, urls).body(_town(session, body_id)))


@router.get("/body/{body_id}/organizations")
def organizations(request: Request, body_id: str) -> OparlJSON:
    urls = _urls(request)
    query = ListQuery.parse(request.query_params)
    with request.app.state.sessions() as session:
        town = _town(session, body_id)
        publisher = Publisher(session, urls)
        members = _membership_ids_by_body(session, town.id)
        entries = (
            [
                (
                    f"0-{b.id:010d}",
                    b.created_at,
                    b.modified_at,
                    publisher.organization(b, members.get(b.id, [])),
                )
                for b in session.scalars(
                    select(Body).where(Body.municipality_id == town.id).order_by(Body.id)
                )
            ]
            + [
                (f"1-{f.id:010d}", f.created_at, f.modified_at, publisher.faction(f))
                for f in session.scalars(
                    select(Faction).where(Faction.municipality_id == town.id).order_by(Faction.id)
                )
            ]
            + [
                (f"2-{d.id:010d}", d.created_at, d.modified_at, publisher.department(d))
                for d in session.scalars(
                    select(Department).where(Department.municipality_id == town.id).order_by(Department.id)
                )
            ]
        )
        return _answer(memory_page(urls, urls.body_list(town.id, "organizations"), query, entries))


def _membership_ids_by_body(
    session: Session, town_id: int, body_id: int | None = None
) -> dict[int, list[int]]:
    statement = (
        select(Membership.id, Membership.body_id)
        .join(Body, Body.id == Membership.body_id)
        .where(Body.municipality_id == town_id)
        .order_by(Membership.id)
    )
    if body_id is not None:
        statement = statement.where(Membership.body_id == body_id)
    found: dict[int, list[int]] = {}
    for row in session.execute(statement):
        found.setdefault(row.body_id, []).append(row.id)
    return found


@router.get("/body/{body_id}/people")
def people(request: Request, body_id: str) -> OparlJSON:
    urls = _urls(request)
    query = ListQuery.parse(request.query_params)
    with request.app.state.sessions() as session:
        town = _town(session, body_id)
        publisher = Publisher(session, urls)

        def serialize(persons: list[Person]) -> list[dict[str, Any]]:
            memberships = publisher.memberships_of_people(p.id for p in persons)
            return [
                publisher.person(p, memberships.get(p.id, []), embed=not query.omit_internal) for p in persons
            ]

        return _answer(
            sql_page(
                session,
                urls,
                urls.body_list(town.id, "people"),
                query,
                model=Person,
                where=[Person.municipality_id == town.id],
                serialize=serialize,
            )
        )


@router.get("/body/{body_id}/memberships")
def memberships(request: Request, body_id: str) -> OparlJSON:
    urls = _urls(request)
    query = ListQuery.parse(request.query_params)
    with request.app.state.sessions() as session:
        town = _town(session, body_id)
        publisher = Publisher(session, urls)
        of_town = exists(
            select(Body.id).where(Body.id == Membership.body_id, Body.municipality_id == town.id)
        )
        return _answer(
            sql_page(
                session,
                urls,
                urls.body_list(town.id, "memberships"),
                query,
                model=Membership,
                where=[of_town],
                serialize=lambda rows: [publisher.membership(m) for m in rows],
            )
        )


@router.get("/body/{body_id}/meetings")
def meetings(request: Request, body_id: str) -> OparlJSON:
    urls = _urls(request)
    query = ListQuery.parse(request.query_params)
    with request.app.state.sessions() as session:
        town = _town(session, body_id)
        publisher = Publisher(session, urls)
        return _answer(
            sql_page(
                session,
                urls,
                urls.body_list(town.id, "meetings"),
                query,
                model=Meeting,
                where=[Meeting.municipality_id == town.id, meeting_is_public()],
                serialize=lambda rows: publisher.meetings(rows, embed=not query.omit_internal),
                options=MEETING_OPTIONS,
                deleted=(town.id, "meeting"),
            )
        )


@router.get("/body/{body_id}/locations")
def locations(request: Request, body_id: str) -> OparlJSON:
    urls = _urls(request)
    query = ListQuery.parse(request.query_params)
    with request.app.state.sessions() as session:
        town = _town(session, body_id)
        publisher = Publisher(session, urls)
        return _answer(
            sql_page(
                session,
                urls,
                urls.body_list(town.id, "locations"),
                query,
                model=Meeting,
                where=[
                    Meeting.municipality_id == town.id,
                    Meeting.location.is_not(None),
                    meeting_is_public(),
                ],
                serialize=lambda rows: [publisher.location(m) for m in rows],
            )
        )


@router.get("/body/{body_id}/legislativeterms")
def legislative_terms(request: Request, body_id: str) -> OparlJSON:
    urls = _urls(request)
    query = ListQuery.parse(request.query_params)
    with request.app.state.sessions() as session:
        town = _town(session, body_id)
        publisher = Publisher(session, urls)
        term = publisher.legislative_term(town, publisher.term_start(town.id))
        entries = [(f"{town.id:010d}", town.created_at, town.modified_at, term)]
        return _answer(memory_page(urls, urls.body_list(town.id, "legislativeterms"), query, entries))


@router.get("/body/{body_id}/agendaitems")
def agenda_items(request: Request, body_id: str) -> OparlJSON:
    urls = _urls(request)
    query = ListQuery.parse(request.query_params)
    with request.app.state.sessions() as session:
        town = _town(session, body_id)
        publisher = Publisher(session, urls)
        of_town = exists(
            select(Meeting.id).where(Meeting.id == AgendaItem.meeting_id, Meeting.municipality_id == town.id)
        )
        return _answer(
            sql_page(
                session,
                urls,
                urls.body_list(town.id, "agendaitems"),
                query,
                model=AgendaItem,
                where=[of_town, agenda_item_is_public()],
                serialize=publisher.agenda_items,
                deleted=(town.id, "agenda_item"),
                options=ITEM_OPTIONS,
            )
        )


@router.get("/body/{body_id}/papers")
def papers(request: Request, body_id: str) -> OparlJSON:
    urls = _urls(request)
    query = ListQuery.parse(request.query_params)
    with request.app.state.sessions() as session:
        town = _town(session, body_id)
        publisher = Publisher(session, urls)
        return _answer(
            sql_page(
                session,
                urls,
                urls.body_list(town.id, "papers"),
                query,
                model=Paper,
                where=[Paper.municipality_id == town.id, paper_is_public()],
                serialize=lambda rows: publisher.papers(rows, embed=not query.omit_internal),
                deleted=(town.id, "paper"),
            )
        )


@router.get("/body/{body_id}/consultations")
def consultations(request: Request, body_id: str) -> OparlJSON:
    urls = _urls(request)
    query = ListQuery.parse(request.query_params)
    with request.app.state.sessions() as session:
        town = _town(session, body_id)
        publisher = Publisher(session, urls)
        of_town = exists(
            select(Paper.id).where(Paper.id == Consultation.paper_id, Paper.municipality_id == town.id)
        )
        return _answer(
            sql_page(
                session,
                urls,
                urls.body_list(town.id, "consultations"),
                query,
                model=Consultation,
                where=[of_town, consultation_is_public()],
                serialize=publisher.consultations,
                deleted=(town.id, "consultation"),
            )
        )


@router.get("/body/{body_id}/files")
def files(request: Request, body_id: str) -> OparlJSON:
    urls = _urls(request)
    query = ListQuery.parse(request.query_params)
    with request.app.state.sessions() as session:
        town = _town(session, body_id)
        publisher = Publisher(session, urls)

        def serialize(rows: list[StoredFile]) -> list[dict[str, Any]]:
            serialized = publisher.files(rows)
            return [serialized[f.id] for f in rows]

        return _answer(
            sql_page(
                session,
                urls,
                urls.body_list(town.id, "files"),
                query,
                model=StoredFile,
                where=[StoredFile.municipality_id == town.id, file_is_public()],
                serialize=serialize,
                deleted=(town.id, "file"),
            )
        )


# ------------------------------------------------------------------------------------------- objects


def _organizations(publisher: Publisher, session: Session, rows: list[Body]) -> list[dict[str, Any]]:
    b = rows[0]
    members = _membership_ids_by_body(session, b.municipality_id, b.id)
    return [publisher.organization(b, members.get(b.id, []))]


def _people(publisher: Publisher, _session: Session, rows: list[Person]) -> list[dict[str, Any]]:
    memberships = publisher.memberships_of_people(p.id for p in rows)
    return [publisher.person(p, memberships.get(p.id, [])) for p in rows]


OBJECTS = (
    _Kind("organization", Body, "Gremium", _organizations),
    _Kind("faction", Faction, "Fraktion", lambda p, _s, rows: [p.faction(f) for f in rows]),
    _Kind("department", Department, "Fachamt", lambda p, _s, rows: [p.department(d) for d in rows]),
    _Kind("person", Person, "Person", _people),
    _Kind("membership", Membership, "Mitgliedschaft", lambda p, _s, rows: [p.membership(m) for m in rows]),
    _Kind(
        "meeting",
        Meeting,
        "Sitzung",
        lambda p, _s, rows: p.meetings(rows),
        visible=meeting_is_public(),
        object_type="meeting",
        options=MEETING_OPTIONS,
    ),
    _Kind(
        "location",
        Meeting,
        "Ort",
        lambda p, _s, rows: [p.location(m) for m in rows],
        visible=meeting_is_public() & Meeting.location.is_not(None),
    ),
    _Kind(
        "agendaitem",
        AgendaItem,
        "Tagesordnungspunkt",
        lambda p, _s, rows: p.agenda_items(rows),
        visible=agenda_item_is_public(),
        object_type="agenda_item",
        options=ITEM_OPTIONS,
    ),
    _Kind(
        "paper",
        Paper,
        "Vorlage",
        lambda p, _s, rows: p.papers(rows),
        visible=paper_is_public(),
        object_type="paper",
    ),
    _Kind(
        "consultation",
        Consultation,
        "Beratung",
        lambda p, _s, rows: p.consultations(rows),
        visible=consultation_is_public(),
        object_type="consultation",
    ),
    _Kind(
        "file",
        StoredFile,
        "Datei",
        lambda p, _s, rows: list(p.files(rows).values()),
        visible=file_is_public(),
        object_type="file",
    ),
)


def _object_route(kind: _Kind) -> Callable[[Request, str], OparlJSON]:
    def route(request: Request, object_id: str) -> OparlJSON:
        return _one(request, object_id, kind)

    route.__name__ = f"oparl_{kind.path}"
    return route


for _kind in OBJECTS:
    router.add_api_route(f"/{_kind.path}/{{object_id}}", _object_route(_kind), methods=["GET"])


@router.get("/legislativeterm/{object_id}")
def legislative_term(request: Request, object_id: str) -> OparlJSON:
    urls = _urls(request)
    with request.app.state.sessions() as session:
        publisher = Publisher(session, urls)
        town = _town(session, object_id)
        return _answer(publisher.legislative_term(town, publisher.term_start(town.id)))


def _send_file(request: Request, object_id: str, disposition: str) -> Response:
    file_id = _id(object_id, "Datei")
    with request.app.state.sessions() as session:
        row = session.scalar(select(StoredFile).where(StoredFile.id == file_id, file_is_public()))
        if row is None:
            raise _not_found("Datei", object_id)
        etag = f'"{row.sha256}"'
        last_modified = row.modified_at.astimezone(dt.UTC).replace(microsecond=0)
        headers = {
            **CORS_HEADERS,
            "ETag": etag,
            "Last-Modified": format_datetime(last_modified, usegmt=True),
            "Cache-Control": "public, max-age=0, must-revalidate",
        }
        if _not_modified(request, etag, last_modified):
            return Response(status_code=304, headers=headers)
        headers["Content-Disposition"] = content_disposition(row.file_name, disposition)
        return Response(row.content, media_type=row.media_type, headers=headers)


def _not_modified(request: Request, etag: str, last_modified: dt.datetime) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return etag_matches(if_none_match, etag)
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        return last_modified <= since
    return False


@router.get("/file/{object_id}/access")
def file_access(request: Request, object_id: str) -> Response:
    """The file itself, to be shown in the browser (no ``attachment``)."""
    return _send_file(request, object_id, "inline")


@router.get("/file/{object_id}/download")
def file_download(request: Request, object_id: str) -> Response:
    """The file itself, to be saved."""
    return _send_file(request, object_id, "attachment")


@router.get("/{rest:path}")
def unknown(rest: str) -> OparlJSON:
    raise OparlError(
        404, "Diese Adresse gibt es in der OParl-Schnittstelle nicht", f"no such path: /oparl/v1/{rest}"
    )
