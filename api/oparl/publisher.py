"""Database rows → OParl 1.1 objects: what every object shares.

The objects are built family by family, each in the module of its name: ``bodies`` (System, Body,
LegislativeTerm), ``organizations`` (Organization, Person, Membership), ``meetings`` (Meeting, Location,
AgendaItem), ``papers`` (Paper, Consultation) and ``files`` (File). Each function takes the request's
``Publisher`` and a page of rows, loads what they embed in a few batched queries and keeps the visibility
rules of ``workflow.publication``: nothing non-public is ever embedded or linked. Objects are plain dicts
with no nulls, no empty strings and no empty optional arrays (``clean``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from api.oparl.format import Urls, date_time, type_url
from workflow.models import Consultation, Depublication, Meeting, StoredFile


@dataclass(frozen=True)
class Publisher:
    """What serialising the objects of one request needs: its session and the URLs."""

    session: Session
    urls: Urls

    def visible_ids(
        self,
        model: type[Meeting] | type[Consultation] | type[StoredFile],
        rule: ColumnElement[bool],
        ids: Iterable[int],
    ) -> set[int]:
        """Those of ``ids`` whose row the public may see under ``rule`` (one query)."""
        wanted = list(set(ids))
        if not wanted:
            return set()
        return set(self.session.scalars(select(model.id).where(model.id.in_(wanted), rule)))


def clean(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop what the spec forbids: null, empty strings and empty arrays."""
    return {k: v for k, v in obj.items() if v is not None and v != "" and v != []}


def stamps(created: dt.datetime, modified: dt.datetime) -> dict[str, str]:
    return {"created": date_time(created), "modified": date_time(max(created, modified))}


def deleted_object(urls: Urls, row: Depublication) -> dict[str, Any]:
    type_name, url = {
        "paper": ("Paper", urls.paper),
        "meeting": ("Meeting", urls.meeting),
        "consultation": ("Consultation", urls.consultation),
        "agenda_item": ("AgendaItem", urls.agenda_item),
        "file": ("File", urls.file),
        "imported_file": ("File", urls.imported_file),
    }[row.object_type]
    return {
        "id": url(row.object_id),
        "type": type_url(type_name),
        **stamps(row.created_at, row.depublished_at),
        "deleted": True,
    }
