"""OParl's wire formats: date-times, dates, URLs of objects and lists, the JSON response."""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from workflow.rules import BERLIN

SCHEMA = "https://schema.oparl.org/1.1/"
PREFIX = "/oparl/v1"
VENDOR = "gremienlauf:"


def type_url(name: str) -> str:
    return SCHEMA + name


@lru_cache(maxsize=65_536)  # a page repeats the same stamps many times (steps created with their paper)
def date_time(value: dt.datetime) -> str:
    """``2013-09-30T17:00:00+02:00``: Berlin offset, whole seconds, never ``Z`` nor fractions."""
    return value.astimezone(BERLIN).replace(microsecond=0).isoformat()


def date(value: dt.date) -> str:
    return value.isoformat()


class Urls:
    """Every OParl URL, from the public base URL (ids never depend on mutable data)."""

    def __init__(self, public_url: str) -> None:
        self.root = public_url.rstrip("/") + PREFIX

    def system(self) -> str:
        return f"{self.root}/system"

    def bodies(self) -> str:
        return f"{self.root}/bodies"

    def body(self, municipality_id: int) -> str:
        return f"{self.root}/body/{municipality_id}"

    def body_list(self, municipality_id: int, name: str) -> str:
        return f"{self.root}/body/{municipality_id}/{name}"

    def organization(self, body_id: int) -> str:
        return f"{self.root}/organization/{body_id}"

    def faction(self, faction_id: int) -> str:
        return f"{self.root}/faction/{faction_id}"

    def department(self, department_id: int) -> str:
        return f"{self.root}/department/{department_id}"

    def person(self, person_id: int) -> str:
        return f"{self.root}/person/{person_id}"

    def membership(self, membership_id: int) -> str:
        return f"{self.root}/membership/{membership_id}"

    def meeting(self, meeting_id: int) -> str:
        return f"{self.root}/meeting/{meeting_id}"

    def location(self, meeting_id: int) -> str:
        return f"{self.root}/location/{meeting_id}"

    def place(self, location_id: int) -> str:
        """A place recorded as such (imported); ``location`` is the place text of a meeting."""
        return f"{self.root}/place/{location_id}"

    def agenda_item(self, item_id: int) -> str:
        return f"{self.root}/agendaitem/{item_id}"

    def paper(self, paper_id: int) -> str:
        return f"{self.root}/paper/{paper_id}"

    def consultation(self, consultation_id: int) -> str:
        return f"{self.root}/consultation/{consultation_id}"

    def file(self, file_id: int) -> str:
        return f"{self.root}/file/{file_id}"

    def file_access(self, file_id: int) -> str:
        return f"{self.root}/file/{file_id}/access"

    def file_download(self, file_id: int) -> str:
        return f"{self.root}/file/{file_id}/download"

    def imported_file(self, file_id: int) -> str:
        return f"{self.root}/importedfile/{file_id}"

    def imported_file_access(self, file_id: int) -> str:
        return f"{self.root}/importedfile/{file_id}/access"

    def imported_file_download(self, file_id: int) -> str:
        return f"{self.root}/importedfile/{file_id}/download"

    def term(self, term_id: int) -> str:
        """A legislative term recorded as such (imported), not derived from the memberships."""
        return f"{self.root}/term/{term_id}"

    def legislative_term(self, municipality_id: int) -> str:
        return f"{self.root}/legislativeterm/{municipality_id}"

    @staticmethod
    def with_query(url: str, params: dict[str, str]) -> str:
        return f"{url}?{urlencode(params)}" if params else url


CORS_HEADERS = {"Access-Control-Allow-Origin": "*"}


class OparlJSON(Response):
    """UTF-8 JSON as the spec wants it (umlauts unescaped), with CORS."""

    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def error_response(status: int, message: str, debug: str) -> OparlJSON:
    """The OParl Error object (``message`` for the reader, in German; ``debug`` for the developer)."""
    return OparlJSON(
        {"type": type_url("Error"), "message": message, "debug": debug},
        status_code=status,
        headers=CORS_HEADERS,
    )
