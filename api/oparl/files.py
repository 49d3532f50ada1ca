"""OParl Files: the public generated documents (``stored_file``), and which of them a paper, meeting or agenda
item shows first (``main_of``) and beside it (``auxiliary_of``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import defer

from api.oparl.format import VENDOR, date, type_url
from api.oparl.publisher import Publisher, clean, stamps
from workflow.models import StoredFile
from workflow.publication import file_is_public, imported_file_is_public
from workflow.rules import BERLIN
from workflow.source_models import ImportedFile

FILE_KIND_LABELS = {
    "vorlage": "Vorlage",
    "invitation": "Einladung",
    "minutes": "Niederschrift",
    "resolution_extract": "Beschlussauszug",
}
PDF = "application/pdf"


_FileRow = TypeVar("_FileRow", StoredFile, ImportedFile)


def _attached(
    pub: Publisher,
    model: type[_FileRow],
    is_public: ColumnElement[bool],
    *,
    papers: Iterable[int],
    meetings: Iterable[int],
    items: Iterable[int],
) -> list[_FileRow]:
    """The public rows of ``model`` attached to these papers, meetings and agenda items, in id order,
    without their content."""
    conditions = [
        column.in_(ids)
        for column, ids in (
            (model.paper_id, list(papers)),
            (model.meeting_id, list(meetings)),
            (model.agenda_item_id, list(items)),
        )
        if ids
    ]
    if not conditions:
        return []
    return list(
        pub.session.scalars(
            select(model).options(defer(model.content)).where(or_(*conditions), is_public).order_by(model.id)
        )
    )


def public_files(
    pub: Publisher,
    *,
    papers: Iterable[int] = (),
    meetings: Iterable[int] = (),
    items: Iterable[int] = (),
) -> list[StoredFile]:
    """The public documents of these papers, meetings and agenda items (content not loaded)."""
    return _attached(pub, StoredFile, file_is_public(), papers=papers, meetings=meetings, items=items)


def derivatives_of(pub: Publisher, file_ids: Iterable[int]) -> dict[int, list[int]]:
    ids = list(file_ids)
    found: dict[int, list[int]] = defaultdict(list)
    if ids:
        for row in pub.session.execute(
            select(StoredFile.id, StoredFile.master_file_id)
            .where(StoredFile.master_file_id.in_(ids), file_is_public())
            .order_by(StoredFile.id)
        ):
            found[row.master_file_id].append(row.id)
    return found


def file(pub: Publisher, f: StoredFile, derivatives: Sequence[int], master_visible: bool) -> dict[str, Any]:
    urls = pub.urls
    return clean(
        {
            "id": urls.file(f.id),
            "type": type_url("File"),
            "name": f.name,
            "fileName": f.file_name,
            "mimeType": f.media_type,
            "date": date(f.created_at.astimezone(BERLIN).date()),
            "size": f.size_bytes,
            "sha512Checksum": f.sha512,
            "accessUrl": urls.file_access(f.id),
            "downloadUrl": urls.file_download(f.id),
            "masterFile": urls.file(f.master_file_id) if f.master_file_id and master_visible else None,
            "derivativeFile": [urls.file(i) for i in derivatives],
            "paper": [urls.paper(f.paper_id)] if f.paper_id else None,
            "meeting": [urls.meeting(f.meeting_id)] if f.meeting_id else None,
            "agendaItem": [urls.agenda_item(f.agenda_item_id)] if f.agenda_item_id else None,
            VENDOR + "kind": FILE_KIND_LABELS.get(f.kind, f.kind),
            VENDOR + "version": f.version,
            **stamps(f.created_at, f.modified_at),
        }
    )


def files_by_id(pub: Publisher, files: Sequence[StoredFile]) -> dict[int, dict[str, Any]]:
    """Each file serialised (with its public derivatives and its master if public), by id, in the given order."""
    derivatives = derivatives_of(pub, (f.id for f in files))
    masters = pub.visible_ids(
        StoredFile, file_is_public(), (f.master_file_id for f in files if f.master_file_id)
    )
    return {f.id: file(pub, f, derivatives.get(f.id, []), f.master_file_id in masters) for f in files}


def auxiliary_of(files: Sequence[StoredFile], *mains: StoredFile | None) -> list[StoredFile]:
    """The other documents worth embedding: the newest version of each document (both formats), not the
    superseded ones (they stay fetchable at their own URL and in the file list), and not the main files
    themselves."""

    def document(f: StoredFile) -> tuple[str, int | None, int | None, int | None]:
        return (f.kind, f.paper_id, f.meeting_id, f.agenda_item_id)

    newest: dict[tuple[str, int | None, int | None, int | None], int] = {}
    for f in files:
        newest[document(f)] = max(newest.get(document(f), 0), f.version)
    shown = {m.id for m in mains if m is not None}
    return [f for f in files if f.version == newest[document(f)] and f.id not in shown]


def main_of(files: Sequence[StoredFile], kind: str) -> StoredFile | None:
    """The document of a kind a reader wants first: the newest version, as PDF where there is one."""
    of_kind = [f for f in files if f.kind == kind]
    if not of_kind:
        return None
    return max(of_kind, key=lambda f: (f.version, f.media_type == PDF, f.id))


# ------------------------------------------------------------------------- file records of imported objects

#: Where an imported file record is embedded, by the OParl field it came in (the others only in the list).
EMBEDDED_ROLES = {
    "paper": ("mainFile", "auxiliaryFile"),
    "meeting": ("invitation", "resultsProtocol", "verbatimProtocol", "auxiliaryFile"),
    "agenda_item": ("resolutionFile", "auxiliaryFile"),
}
IMPORTED_COLUMNS = (defer(ImportedFile.content),)


def public_imported_files(
    pub: Publisher,
    *,
    papers: Iterable[int] = (),
    meetings: Iterable[int] = (),
    items: Iterable[int] = (),
) -> list[ImportedFile]:
    """The public file records of these imported papers, meetings and agenda items, in id order."""
    return _attached(
        pub, ImportedFile, imported_file_is_public(), papers=papers, meetings=meetings, items=items
    )


def imported_file(pub: Publisher, f: ImportedFile) -> dict[str, Any]:
    """An imported file record: its contents here once downloaded, else the link to the old system."""
    urls = pub.urls
    here = f.sha256 is not None
    return clean(
        {
            "id": urls.imported_file(f.id),
            "type": type_url("File"),
            "name": f.name,
            "fileName": f.file_name,
            "mimeType": f.media_type,
            "date": date(f.file_date) if f.file_date else None,
            "size": f.size_bytes,
            "sha512Checksum": f.sha512,
            "accessUrl": urls.imported_file_access(f.id) if here else f.access_url,
            "downloadUrl": urls.imported_file_download(f.id) if here else f.download_url,
            "paper": [urls.paper(f.paper_id)] if f.paper_id else None,
            "meeting": [urls.meeting(f.meeting_id)] if f.meeting_id else None,
            "agendaItem": [urls.agenda_item(f.agenda_item_id)] if f.agenda_item_id else None,
            **stamps(f.created_at, f.modified_at),
        }
    )


def imported_by_role(
    pub: Publisher, files: Sequence[ImportedFile], owner: str
) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """Owner id (paper, meeting or agenda item) → OParl field → the serialised records embedded there."""
    column = {"paper": "paper_id", "meeting": "meeting_id", "agenda_item": "agenda_item_id"}[owner]
    out: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for f in files:
        owner_id = getattr(f, column)
        if owner != "agenda_item" and f.agenda_item_id is not None:
            continue  # embedded in its agenda item
        if owner_id is not None and f.role in EMBEDDED_ROLES[owner]:
            out[owner_id][f.role].append(imported_file(pub, f))
    return out
