"""The OParl 1.1 endpoints under ``/oparl/v1``: the System, the bodies, their lists and every object.

OParl is the public's view: it reads no login, and the same request gives the same answer to everyone.
Objects answer 200 (or 200 with ``deleted: true`` once depublished), 404 with the Error object when they
never were public. The routes stay out of the OpenAPI schema of the internal API (they speak OParl's
own error format, not the API's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.interfaces import ORMOption
from starlette.responses import Response

from api.files import content_disposition, etag_matches
from api.oparl import bodies, files, meetings, organizations, papers
from api.oparl.format import CORS_HEADERS, OparlJSON, Urls
from api.oparl.lists import ListQuery, OparlError, list_page, memory_page, positive_int, sql_page
from api.oparl.publisher import Publisher, deleted_object
from workflow.history_files import content_of
from workflow.models import (
    AgendaItem,
    Body,
    Consultation,
    Department,
    Depublication,
    Faction,
    LegislativeTerm,
    Location,
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
    imported_file_is_public,
    location_is_public,
    meeting_is_public,
    paper_is_public,
)
from workflow.source_models import ImportedFile

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


Serializer = Callable[[Publisher, list[Any], bool], list[dict[str, Any]]]


@dataclass(frozen=True)
class _Kind:
    """An object type answered at ``/<path>/{id}``: which rows, which of them are public, how they read
    (``serialize(publisher, rows, embed)``; ``embed`` is false only in a list asked for ``omit_internal``)."""

    path: str
    model: Any
    what: str  # German name in the 404
    serialize: Serializer
    visible: ColumnElement[bool] | None = None  # None: every row is public
    object_type: str | None = None  # depublished objects of this type answer as deleted
    options: Sequence[ORMOption] = ()


def _one(request: Request, raw: str, kind: _Kind) -> OparlJSON:
    urls = _urls(request)
    object_id = _id(raw, kind.what)
    statement = select(kind.model).where(kind.model.id == object_id).options(*kind.options)
    if kind.visible is not None:
        statement = statement.where(kind.visible)
    with request.app.state.sessions() as session:
        obj = session.scalar(statement)
        if obj is not None:
            return _answer(kind.serialize(Publisher(session, urls), [obj], True)[0])
        if kind.object_type is not None:
            gone = _deleted(session, urls, kind.object_type, object_id)
            if gone is not None:
                return _answer(gone)
    raise _not_found(kind.what, raw)


Entry = tuple[str, dt.datetime, dt.datetime, dict[str, Any]]  # sort key, created, modified, object


@dataclass(frozen=True)
class _RowList:
    """A list at ``/body/{id}/<path>``: keyset pages of the public objects of ``kind`` that belong to the
    municipality (``of_town(municipality id)``), its depublished ones merged in when ``modified_since`` is
    given."""

    path: str
    kind: _Kind
    of_town: Callable[[int], ColumnElement[bool]]

    def page(self, publisher: Publisher, town: Municipality, query: ListQuery) -> dict[str, Any]:
        kind = self.kind
        return sql_page(
            publisher.session,
            publisher.urls,
            publisher.urls.body_list(town.id, self.path),
            query,
            model=kind.model,
            where=[self.of_town(town.id), *([kind.visible] if kind.visible is not None else [])],
            serialize=lambda rows: kind.serialize(publisher, rows, not query.omit_internal),
            deleted=(town.id, kind.object_type) if kind.object_type is not None else None,
            options=kind.options,
        )


@dataclass(frozen=True)
class _MemoryList:
    """A small list at ``/body/{id}/<path>`` built in memory: ``entries(publisher, municipality)`` in key
    order (for a list of rows of several tables, or of an object that has no table)."""

    path: str
    entries: Callable[[Publisher, Municipality], list[Entry]]

    def page(self, publisher: Publisher, town: Municipality, query: ListQuery) -> dict[str, Any]:
        url = publisher.urls.body_list(town.id, self.path)
        return memory_page(publisher.urls, url, query, self.entries(publisher, town))


# ---------------------------------------------------------------------------------------- system, bodies


@router.get("/system")
def oparl_system(request: Request) -> OparlJSON:
    urls = _urls(request)
    with request.app.state.sessions() as session:
        towns = list(session.scalars(select(Municipality).order_by(Municipality.id)))
        return _answer(bodies.system(Publisher(session, urls), towns))


@router.get("/bodies")
def oparl_bodies(request: Request) -> OparlJSON:
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
                serialize=lambda towns: [bodies.body(publisher, t) for t in towns],
            )
        )


@router.get("/body/{body_id}")
def oparl_body(request: Request, body_id: str) -> OparlJSON:
    urls = _urls(request)
    with request.app.state.sessions() as session:
        return _answer(bodies.body(Publisher(session, urls), _town(session, body_id)))


# ------------------------------------------------------------------------------------------- objects


def _organizations(publisher: Publisher, rows: list[Body], _embed: bool) -> list[dict[str, Any]]:
    b = rows[0]
    members = organizations.membership_ids_by_body(publisher, b.municipality_id, b.id)
    return [organizations.organization(publisher, b, members.get(b.id, []))]


ORGANIZATION = _Kind("organization", Body, "Gremium", _organizations)
FACTION = _Kind(
    "faction", Faction, "Fraktion", lambda p, rows, _embed: [organizations.faction(p, f) for f in rows]
)
DEPARTMENT = _Kind(
    "department",
    Department,
    "Fachamt",
    lambda p, rows, _embed: [organizations.department(p, d) for d in rows],
)
PERSON = _Kind("person", Person, "Person", lambda p, rows, embed: organizations.people(p, rows, embed=embed))
MEMBERSHIP = _Kind(
    "membership",
    Membership,
    "Mitgliedschaft",
    lambda p, rows, _embed: [organizations.membership(p, m) for m in rows],
)
MEETING = _Kind(
    "meeting",
    Meeting,
    "Sitzung",
    lambda p, rows, embed: meetings.meetings(p, rows, embed=embed),
    visible=meeting_is_public(),
    object_type="meeting",
    options=meetings.MEETING_OPTIONS,
)
LOCATION = _Kind(
    "location",
    Meeting,
    "Ort",
    lambda p, rows, _embed: [meetings.location(p, m) for m in rows],
    visible=meeting_is_public() & Meeting.location.is_not(None) & Meeting.location_id.is_(None),
)
PLACE = _Kind(
    "place",
    Location,
    "Ort",
    lambda p, rows, _embed: meetings.places(p, rows),
    visible=location_is_public(),
)
AGENDA_ITEM = _Kind(
    "agendaitem",
    AgendaItem,
    "Tagesordnungspunkt",
    lambda p, rows, _embed: meetings.agenda_items(p, rows),
    visible=agenda_item_is_public(),
    object_type="agenda_item",
    options=meetings.ITEM_OPTIONS,
)
PAPER = _Kind(
    "paper",
    Paper,
    "Vorlage",
    lambda p, rows, embed: papers.papers(p, rows, embed=embed),
    visible=paper_is_public(),
    object_type="paper",
)
CONSULTATION = _Kind(
    "consultation",
    Consultation,
    "Beratung",
    lambda p, rows, _embed: papers.consultations(p, rows),
    visible=consultation_is_public(),
    object_type="consultation",
)
FILE = _Kind(
    "file",
    StoredFile,
    "Datei",
    lambda p, rows, _embed: list(files.files_by_id(p, rows).values()),
    visible=file_is_public(),
    object_type="file",
    options=(defer(StoredFile.content),),  # the bytes are sent at .../access, never in the JSON
)
IMPORTED_FILE = _Kind(
    "importedfile",
    ImportedFile,
    "Datei",
    lambda p, rows, _embed: [files.imported_file(p, f) for f in rows],
    visible=imported_file_is_public(),
    object_type="imported_file",
    options=files.IMPORTED_COLUMNS,
)
OBJECTS = (
    ORGANIZATION,
    FACTION,
    DEPARTMENT,
    PERSON,
    MEMBERSHIP,
    MEETING,
    LOCATION,
    PLACE,
    AGENDA_ITEM,
    PAPER,
    CONSULTATION,
    FILE,
    IMPORTED_FILE,
)


def _object_route(kind: _Kind) -> Callable[[Request, str], OparlJSON]:
    def route(request: Request, object_id: str) -> OparlJSON:
        return _one(request, object_id, kind)

    route.__name__ = f"oparl_{kind.path}"
    return route


for _kind in OBJECTS:
    router.add_api_route(f"/{_kind.path}/{{object_id}}", _object_route(_kind), methods=["GET"])


# ------------------------------------------------------------------------------------ lists of a body


def _organization_entries(publisher: Publisher, town: Municipality) -> list[Entry]:
    """Gremien, Fraktionen and Fachämter in one list, keyed by table and id."""
    session = publisher.session
    members = organizations.membership_ids_by_body(publisher, town.id)
    return (
        [
            (
                f"0-{b.id:010d}",
                b.created_at,
                b.modified_at,
                organizations.organization(publisher, b, members.get(b.id, [])),
            )
            for b in session.scalars(select(Body).where(Body.municipality_id == town.id).order_by(Body.id))
        ]
        + [
            (f"1-{f.id:010d}", f.created_at, f.modified_at, organizations.faction(publisher, f))
            for f in session.scalars(
                select(Faction).where(Faction.municipality_id == town.id).order_by(Faction.id)
            )
        ]
        + [
            (f"2-{d.id:010d}", d.created_at, d.modified_at, organizations.department(publisher, d))
            for d in session.scalars(
                select(Department).where(Department.municipality_id == town.id).order_by(Department.id)
            )
        ]
    )


def _legislative_term_entries(publisher: Publisher, town: Municipality) -> list[Entry]:
    return [
        (f"{n:010d}", created, modified, term)
        for n, (created, modified, term) in enumerate(bodies.legislative_terms(publisher, town))
    ]


def _membership_of_town(town_id: int) -> ColumnElement[bool]:
    return exists(select(Body.id).where(Body.id == Membership.body_id, Body.municipality_id == town_id))


def _item_of_town(town_id: int) -> ColumnElement[bool]:
    return exists(
        select(Meeting.id).where(Meeting.id == AgendaItem.meeting_id, Meeting.municipality_id == town_id)
    )


def _step_of_town(town_id: int) -> ColumnElement[bool]:
    return exists(select(Paper.id).where(Paper.id == Consultation.paper_id, Paper.municipality_id == town_id))


@dataclass(frozen=True)
class _ChainedList:
    """A list of two tables, one after the other: the files (the generated documents, then the file records
    of imported objects) and the locations (the meetings' place texts, then the recorded places). The
    cursor of the second table is ``prefix`` and the row's id."""

    path: str
    first: _RowList
    second: _RowList
    prefix: str

    def page(self, publisher: Publisher, town: Municipality, query: ListQuery) -> dict[str, Any]:
        url = publisher.urls.body_list(town.id, self.path)
        if query.after is not None and query.after.startswith(self.prefix):
            after = query.after[len(self.prefix) :].lstrip("0") or None
            page = self.second.page(publisher, town, replace(query, after=after))
            return self._relinked(publisher, url, query, page["data"], page)
        first = self.first.page(publisher, town, query)
        if "next" in first["links"]:
            return first
        room = query.limit - len(first["data"])
        if room <= 0:
            more = self.second.page(publisher, town, replace(query, after=None, limit=1))
            return self._relinked(publisher, url, query, first["data"], more, cursor_only=True)
        rest = self.second.page(publisher, town, replace(query, after=None, limit=room))
        return self._relinked(publisher, url, query, first["data"] + rest["data"], rest)

    def _relinked(
        self,
        publisher: Publisher,
        url: str,
        query: ListQuery,
        data: list[dict[str, Any]],
        second: dict[str, Any],
        *,
        cursor_only: bool = False,
    ) -> dict[str, Any]:
        """A page whose next link (if any) goes on in the second table."""
        following = second["links"].get("next")
        next_after: str | None = None
        if cursor_only:
            next_after = self.prefix + "0" if second["data"] else None
        elif following is not None:
            next_after = self.prefix + parse_qs(urlsplit(following).query)["after"][0]
        return list_page(publisher.urls, url, query, data, next_after)


LISTS: tuple[_RowList | _MemoryList | _ChainedList, ...] = (
    _MemoryList("organizations", _organization_entries),
    _RowList("people", PERSON, lambda town_id: Person.municipality_id == town_id),
    _RowList("memberships", MEMBERSHIP, _membership_of_town),
    _RowList("meetings", MEETING, lambda town_id: Meeting.municipality_id == town_id),
    _ChainedList(
        "locations",
        _RowList("locations", LOCATION, lambda town_id: Meeting.municipality_id == town_id),
        _RowList("locations", PLACE, lambda town_id: Location.municipality_id == town_id),
        "p",
    ),
    _MemoryList("legislativeterms", _legislative_term_entries),
    _RowList("agendaitems", AGENDA_ITEM, _item_of_town),
    _RowList("papers", PAPER, lambda town_id: Paper.municipality_id == town_id),
    _RowList("consultations", CONSULTATION, _step_of_town),
    _ChainedList(
        "files",
        _RowList("files", FILE, lambda town_id: StoredFile.municipality_id == town_id),
        _RowList("files", IMPORTED_FILE, lambda town_id: ImportedFile.municipality_id == town_id),
        "i",
    ),
)


def _list_route(kind: _RowList | _MemoryList | _ChainedList) -> Callable[[Request, str], OparlJSON]:
    def route(request: Request, body_id: str) -> OparlJSON:
        urls = _urls(request)
        query = ListQuery.parse(request.query_params)
        with request.app.state.sessions() as session:
            town = _town(session, body_id)
            return _answer(kind.page(Publisher(session, urls), town, query))

    route.__name__ = f"oparl_{kind.path}"
    return route


for _list in LISTS:
    router.add_api_route(f"/body/{{body_id}}/{_list.path}", _list_route(_list), methods=["GET"])


# ------------------------------------------------------------- the legislative term, the files' content


@router.get("/legislativeterm/{object_id}")
def oparl_legislativeterm(request: Request, object_id: str) -> OparlJSON:
    urls = _urls(request)
    with request.app.state.sessions() as session:
        return _answer(bodies.legislative_term(Publisher(session, urls), _town(session, object_id)))


@router.get("/term/{object_id}")
def oparl_term(request: Request, object_id: str) -> OparlJSON:
    urls = _urls(request)
    term_id = _id(object_id, "Wahlperiode")
    with request.app.state.sessions() as session:
        term = session.get(LegislativeTerm, term_id)
        if term is None:
            raise _not_found("Wahlperiode", object_id)
        return _answer(bodies.recorded_term(Publisher(session, urls), term))


def _send_file(request: Request, object_id: str, disposition: str) -> Response:
    file_id = _id(object_id, "Datei")
    with request.app.state.sessions() as session:
        row = session.scalar(select(StoredFile).where(StoredFile.id == file_id, file_is_public()))
        if row is None:
            raise _not_found("Datei", object_id)
        return _file_answer(
            request,
            sha256=row.sha256,
            modified_at=row.modified_at,
            file_name=row.file_name,
            disposition=disposition,
            media_type=row.media_type,
            content=lambda: row.content,
        )


def _file_answer(
    request: Request,
    *,
    sha256: str,
    modified_at: dt.datetime,
    file_name: str,
    disposition: str,
    media_type: str,
    content: Callable[[], bytes | None],
) -> Response:
    """A file's bytes with its validators; 304 (and no content read) when the client's copy is current."""
    etag = f'"{sha256}"'
    last_modified = modified_at.astimezone(dt.UTC).replace(microsecond=0)
    headers = {
        **CORS_HEADERS,
        "ETag": etag,
        "Last-Modified": format_datetime(last_modified, usegmt=True),
        "Cache-Control": "public, max-age=0, must-revalidate",
    }
    if _not_modified(request, etag, last_modified):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = content_disposition(file_name, disposition)
    return Response(content(), media_type=media_type, headers=headers)


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


def _send_imported(request: Request, object_id: str, disposition: str) -> Response:
    """The downloaded content of an imported file record; one not downloaded is found at its source."""
    file_id = _id(object_id, "Datei")
    with request.app.state.sessions() as session:
        row = session.scalar(
            select(ImportedFile)
            .options(*files.IMPORTED_COLUMNS)
            .where(ImportedFile.id == file_id, imported_file_is_public())
        )
        if row is None:
            raise _not_found("Datei", object_id)
        if row.sha256 is None:
            raise OparlError(
                404,
                f"Der Inhalt der Datei {object_id} ist noch nicht übernommen; er liegt unter {row.access_url}",
                f"file {object_id}: content not downloaded yet, see accessUrl",
            )
        return _file_answer(
            request,
            sha256=row.sha256,
            modified_at=row.modified_at,
            file_name=row.file_name or "datei",
            disposition=disposition,
            media_type=row.media_type or "application/octet-stream",
            content=lambda: content_of(session, row.id),
        )


@router.get("/importedfile/{object_id}/access")
def imported_file_access(request: Request, object_id: str) -> Response:
    return _send_imported(request, object_id, "inline")


@router.get("/importedfile/{object_id}/download")
def imported_file_download(request: Request, object_id: str) -> Response:
    return _send_imported(request, object_id, "attachment")


@router.get("/{rest:path}")
def unknown(rest: str) -> OparlJSON:
    raise OparlError(
        404, "Diese Adresse gibt es in der OParl-Schnittstelle nicht", f"no such path: /oparl/v1/{rest}"
    )
