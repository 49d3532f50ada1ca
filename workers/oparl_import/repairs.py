"""Repairs for what real OParl servers get wrong: small pure functions, each for one known fault.

``repair`` applies the ones the data shows a need for and returns the notes of what it changed; the
vendor-specific ones are chosen by ``repairs_for_vendor``. Nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
BLANKS = frozenset({"n/a", "na", "-", "--", "k.a.", "k. a."})

#: Fields that the spec types as arrays, per OParl type (a server that sends a single object or URL there is
#: repaired by ``wrap_single``).
ARRAY_FIELDS: dict[str, tuple[str, ...]] = {
    "Body": ("legislativeTerm", "equivalent"),
    "Organization": ("membership", "post", "meeting"),
    "Person": ("membership", "affix", "phone", "email", "title", "status"),
    "Meeting": ("organization", "participant", "agendaItem", "auxiliaryFile"),
    "AgendaItem": ("auxiliaryFile",),
    "Paper": ("consultation", "auxiliaryFile", "relatedPaper", "underDirectionOf", "originatorPerson"),
    "Consultation": ("organization",),
    "File": ("paper", "meeting", "agendaItem", "derivativeFile"),
}
#: Embedded objects, per parent type: field → embedded type.
EMBEDDED: dict[str, dict[str, str]] = {
    "Person": {"membership": "Membership"},
    "Meeting": {
        "agendaItem": "AgendaItem",
        "invitation": "File",
        "resultsProtocol": "File",
        "verbatimProtocol": "File",
        "auxiliaryFile": "File",
        "location": "Location",
    },
    "AgendaItem": {"resolutionFile": "File", "auxiliaryFile": "File"},
    "Paper": {
        "consultation": "Consultation",
        "mainFile": "File",
        "auxiliaryFile": "File",
        "location": "Location",
    },
}


def loads_lenient(text: str) -> Any:
    """JSON that may carry raw control characters inside strings (the standard parser refuses them)."""
    return json.loads(text, strict=False)


def type_name(value: Any) -> str | None:
    """``https://schema.oparl.org/1.0/Paper`` → ``Paper``."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.rstrip("/").rsplit("/", 1)[-1]


def is_deleted(obj: dict[str, Any]) -> bool:
    return obj.get("deleted") is True


def add_missing_type(obj: dict[str, Any], expected: str, version: str) -> dict[str, Any]:
    """An object without ``type`` (e.g. Sternberg's deleted stubs) gets the type of the list it came in."""
    if obj.get("type"):
        return obj
    return {**obj, "type": f"https://schema.oparl.org/{version}/{expected}"}


def is_blank(value: Any) -> bool:
    return isinstance(value, str) and (not value.strip() or value.strip().lower() in BLANKS)


def drop_blanks(value: Any) -> Any:
    """Remove ``""``, whitespace-only and ``"N/A"``-like strings (and the empty containers they leave) from
    nested objects and arrays; other strings lose surrounding whitespace (incl. no-break spaces)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            cleaned = drop_blanks(item)
            if cleaned is None or cleaned == [] or cleaned == {}:
                continue
            out[key] = cleaned
        return out
    if isinstance(value, list):
        return [c for c in (drop_blanks(v) for v in value) if c is not None and c != {}]
    if isinstance(value, str):
        return None if is_blank(value) else value.strip()
    return value


def wrap_single(obj: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """A single object or URL where the spec wants an array becomes a one-element array."""
    changed = {f: [obj[f]] for f in fields if f in obj and not isinstance(obj[f], list)}
    return {**obj, **changed} if changed else obj


def dedupe_by_id(items: list[Any]) -> list[Any]:
    """The same embedded object (or URL) twice in one parent: keep the first."""
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.get("id") if isinstance(item, dict) else item
        if isinstance(key, str):
            if key in seen:
                continue
            seen.add(key)
        out.append(item)
    return out


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_datetime(value: Any) -> dt.datetime | None:
    """A date-time, also when the server sent a date (midnight in Berlin), a ``Z`` or fractions; timezone-less
    values are Berlin time. Anything unreadable is ``None``."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if _DATE.match(text):
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), BERLIN)
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BERLIN)


def parse_date(value: Any) -> dt.date | None:
    """A date, also when the server sent a date-time (its day in Berlin)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _DATE.match(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return None
    moment = parse_datetime(text)
    return moment.astimezone(BERLIN).date() if moment else None


def repair_meeting_times(meeting: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """A meeting whose end lies before its start loses its end (the start is what the record rests on)."""
    start, end = parse_datetime(meeting.get("start")), parse_datetime(meeting.get("end"))
    if start and end and end < start:
        return {k: v for k, v in meeting.items() if k != "end"}, "Ende vor Beginn: Ende verworfen"
    return meeting, None


def normalise_ags(ags: Any) -> str | None:
    """The Amtlicher Gemeindeschlüssel has 8 digits; some servers drop the leading zero (``5358016``)."""
    if not isinstance(ags, str) or not ags.strip().isdigit():
        return None
    digits = ags.strip()
    return digits.zfill(8) if len(digits) in (7, 8) else digits


def identity(obj: dict[str, Any], fetched_url: str | None) -> tuple[str | None, str | None]:
    """The id to keep an object by, and the other URL it is known by: its own ``id`` when it has one (the
    URL others refer to it by), the fetched URL as an alias when it differs; without an ``id``, the URL it
    was fetched at."""
    own = obj.get("id") if isinstance(obj.get("id"), str) else None
    if own is None:
        return fetched_url, None
    return own, fetched_url if fetched_url and fetched_url != own else None


def keep_filters(next_url: str, filters: dict[str, str]) -> str:
    """A ``next`` link that dropped the list's filters (``modified_since``, …) gets them back."""
    if not filters:
        return next_url
    parts = urlsplit(next_url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    missing = {k: v for k, v in filters.items() if k not in query}
    if not missing:
        return next_url
    return urlunsplit(parts._replace(query=urlencode({**query, **missing}, safe=":")))


def unencoded_query(url: str) -> str:
    """The same URL with its query not percent-encoded, for servers that reject ``%3A`` and ``%2B``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=unquote(parts.query)))


def without_fractions(moment: dt.datetime) -> str:
    """A filter value without microseconds (some servers reject them)."""
    return moment.replace(microsecond=0).isoformat()


def repair(obj: dict[str, Any], oparl_type: str, version: str = "1.0") -> tuple[dict[str, Any], list[str]]:
    """Apply the repairs the data shows a need for; returns the repaired object and German notes."""
    notes: list[str] = []
    if not obj.get("type"):
        obj = add_missing_type(obj, oparl_type, version)
        notes.append("ohne type")
    cleaned = drop_blanks(obj)
    if cleaned != obj:
        notes.append("leere oder N/A-Werte entfernt")
    obj = cleaned
    wrapped = wrap_single(obj, ARRAY_FIELDS.get(oparl_type, ()))
    if wrapped is not obj:
        notes.append("Einzelwert statt Liste")
    obj = wrapped
    for field, child_type in EMBEDDED.get(oparl_type, {}).items():
        value = obj.get(field)
        if isinstance(value, list):
            unique = dedupe_by_id(value)
            if len(unique) != len(value):
                notes.append(f"{field} doppelt")
            obj = {
                **obj,
                field: [repair(c, child_type, version)[0] if isinstance(c, dict) else c for c in unique],
            }
        elif isinstance(value, dict):
            obj = {**obj, field: repair(value, child_type, version)[0]}
    if oparl_type == "Meeting":
        obj, note = repair_meeting_times(obj)
        if note:
            notes.append(note)
    return obj, notes
