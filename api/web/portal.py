"""The public portal (Bürgerinfo): the start page of a municipality, the meeting calendar, bodies, persons and
factions, the Atom feeds, and the pages a German public site must have (Impressum, Datenschutz, Leichte
Sprache, Gebärdensprache).

Every page reads ``workflow.portal`` (which asks ``workflow.publication`` what the public may see) and only
translates; the same page is shown to everyone, logged in or not.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import Now, ReadSession, Town
from api.oparl.format import Urls
from api.paper_search import search_papers
from api.web import links
from api.web.alerts import alert_form, alert_storage, remember_form
from api.web.context import MEETING_TONES, page
from api.web.papers import paper_entry
from api.web.session import PageCaller, check_csrf
from api.web.templating import render, templates
from workflow import portal
from workflow.errors import NotFound, RuleViolation
from workflow.feeds import feed_is_open
from workflow.models import Body, Faction, Meeting, Municipality, Person
from workflow.publication import Withheld
from workflow.rules import BERLIN
from workflow.store import by_key
from workflow.vocabulary import (
    MEETING_STATE_LABELS,
    BodyKind,
    MeetingState,
    MembershipRole,
    PaperKind,
    PaperState,
)
from workflow.web_sessions import ActiveSession

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

MONTHS = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)
ATOM = "application/atom+xml; charset=utf-8"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _urls(request: Request) -> Urls:
    urls: Urls = request.app.state.oparl_urls
    return urls


def month_name(day: dt.date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


def meeting_entry(session: Session, town: Municipality, meeting: Meeting) -> dict[str, Any]:
    state = MeetingState(meeting.state)
    return {
        "url": links.meeting(session, town.key, meeting),
        "name": meeting.name,
        "start": meeting.start,
        "location": meeting.location,
        "bodies": [{"name": b.name, "url": links.body(town.key, b)} for b in meeting.bodies],
        "state": MEETING_STATE_LABELS[state],
        "tone": MEETING_TONES[state],
        "cancelled": state is MeetingState.cancelled,
    }


def meeting_entries(
    session: Session, town: Municipality, meetings: Sequence[Meeting]
) -> list[dict[str, Any]]:
    links.prefetch_meetings(session, meetings)
    return [meeting_entry(session, town, m) for m in meetings]


def decision_entries(
    session: Session, town: Municipality, decisions: Sequence[portal.Decision]
) -> list[dict[str, Any]]:
    links.prefetch_meetings(session, [d.meeting for d in decisions])
    return [decision_entry(session, town, d) for d in decisions]


def decision_entry(session: Session, town: Municipality, d: portal.Decision) -> dict[str, Any]:
    return {
        "title": d.title,
        "number": d.number,
        "paper_url": links.paper_from_columns(town.key, d.paper_id, d.paper_reference)
        if d.paper_id is not None
        else None,
        "reference": d.paper_reference,
        "meeting_url": links.meeting(session, town.key, d.meeting),
        "meeting": d.meeting.name,
        "start": d.meeting.start,
        "text": d.text,
        "provisional": d.provisional,
        "recorded_at": d.recorded_at,
    }


def start_page(
    request: Request, session: Session, town: Municipality, me: ActiveSession | None, now: dt.datetime
) -> Response:
    """The municipality's public start page (``api.web.start`` shows it to everyone without a login)."""
    papers = portal.latest_papers(session, town.id)
    private = portal.papers_decided_in_private(session, papers)
    coming = portal.coming_meetings(session, town.id, now)
    decisions = portal.latest_decisions(session, town.id)
    links.prefetch_meetings(session, [*coming, *(d.meeting for d in decisions)])
    return render(
        request,
        "portal/start.html",
        page(
            me,
            town,
            "portal",
            now=now,
            meetings=meeting_entries(session, town, coming),
            papers=[paper_entry(town, p, Withheld(decision=p.id in private)) for p in papers],
            decisions=decision_entries(session, town, decisions),
            bodies=[
                {"name": b.name, "url": links.body(town.key, b)} for b in portal.town_bodies(session, town.id)
            ],
            open_data=_urls(request).body(town.id),
        ),
    )


# ---------------------------------------------------------------------------------------- calendar


def _month(value: str) -> dt.date | None:
    """The first day of the month ``2014-05`` names; None if it names none."""
    match = _MONTH.match(value)
    if match is None or not (1 <= int(match[2]) <= 12) or not (1900 <= int(match[1]) <= 2200):
        return None
    return dt.date(int(match[1]), int(match[2]), 1)


def _shift(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@router.get("/{municipality}/sitzungen", response_class=HTMLResponse)
def calendar(
    request: Request,
    town: Town,
    me: PageCaller,
    session: ReadSession,
    now: Now,
    monat: Annotated[str, Query(max_length=20)] = "",
    gremium: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The published meetings of one month, of all bodies or one; the months before and after as links
    (as far as there are meetings)."""
    errors: dict[str, str] = {}
    this_month = now.astimezone(BERLIN).date().replace(day=1)
    month = _month(monat) if monat else this_month
    if month is None:
        errors["monat"] = "Bitte den Monat als Jahr und Monat angeben, z. B. 2014-05."
        month = this_month
    bodies = portal.town_bodies(session, town.id)
    body = next((b for b in bodies if b.key == gremium), None)
    if gremium and body is None:
        raise NotFound(f"body {gremium} not found", german=f"Das Gremium „{gremium}“ gibt es nicht")
    body_id = body.id if body else None
    span = portal.meeting_months(session, town.id, body_id=body_id)
    key = body.key if body else None
    previous = _shift(month, -1)
    following = _shift(month, 1)
    return render(
        request,
        "portal/calendar.html",
        page(
            me,
            town,
            "calendar",
            month=month_name(month),
            body=body,
            meetings=meeting_entries(
                session, town, portal.meetings_in_month(session, town.id, month, body_id=body_id)
            ),
            previous=(
                {"url": links.calendar(town.key, previous, key), "label": month_name(previous)}
                if span and previous >= span[0]
                else None
            ),
            following=(
                {"url": links.calendar(town.key, following, key), "label": month_name(following)}
                if span and following <= span[1]
                else None
            ),
            this_month=links.calendar(town.key, now.astimezone(BERLIN).date(), key),
            body_options=[(b.key, b.name) for b in bodies],
            action=links.calendar(town.key),
            month_value=monat if errors else f"{month:%Y-%m}",
            errors=errors,
        ),
        status=422 if errors else 200,
    )


# ------------------------------------------------------------------------------ bodies and people


@router.get("/{municipality}/gremien", response_class=HTMLResponse)
def bodies_page(request: Request, town: Town, me: PageCaller, session: ReadSession) -> Response:
    return render(
        request,
        "portal/bodies.html",
        page(
            me,
            town,
            "bodies",
            bodies=[
                {
                    "name": b.name,
                    "url": links.body(town.key, b),
                    "kind": portal.BODY_KIND_LABELS.get(BodyKind(b.kind), ""),
                }
                for b in portal.town_bodies(session, town.id)
            ],
            factions=[
                {"name": f.name, "url": links.faction(town.key, f)}
                for f in portal.town_factions(session, town.id)
            ],
            open_data=_urls(request).body_list(town.id, "organization"),
        ),
    )


def _role(role: str) -> str:
    return portal.ROLE_LABELS.get(MembershipRole(role), role)


@router.get("/{municipality}/gremien/{key}", response_class=HTMLResponse)
def body_page(
    request: Request, town: Town, key: str, me: PageCaller, session: ReadSession, now: Now
) -> Response:
    body = by_key(session, Body, town.id, key)
    today = now.astimezone(BERLIN).date()
    groups = portal.members_by_faction(session, body, today)
    coming = portal.coming_meetings(session, town.id, now, body_id=body.id)
    past = portal.past_meetings(session, town.id, now, body_id=body.id)
    decisions = portal.latest_decisions(session, town.id, body_id=body.id, limit=5)
    links.prefetch_meetings(session, [*coming, *past, *(d.meeting for d in decisions)])
    alert = alert_form(request, me, town, body=body)
    response = render(
        request,
        "portal/body.html",
        page(
            me,
            town,
            "bodies",
            body=body,
            kind=portal.BODY_KIND_LABELS.get(BodyKind(body.kind), ""),
            groups=[
                {
                    "name": g.name,
                    "url": links.faction_by_key(town.key, g.faction_key) if g.faction_key else None,
                    "members": [
                        {"name": m.name, "url": links.person_by_key(town.key, m.key), "role": _role(m.role)}
                        for m in g.members
                    ],
                }
                for g in groups
            ],
            coming=meeting_entries(session, town, coming),
            past=meeting_entries(session, town, past),
            decisions=decision_entries(session, town, decisions),
            calendar_url=links.calendar(town.key, body=body.key),
            ical_url=links.body_ical(town.key, body) if feed_is_open(body) else None,
            atom_url=links.body_results_atom(town.key, body),
            open_data=_urls(request).organization(body.id),
            alert=alert,
        ),
    )
    return remember_form(request, me, response, alert)


@router.get("/{municipality}/personen/{key}", response_class=HTMLResponse)
def person_page(
    request: Request, town: Town, key: str, me: PageCaller, session: ReadSession, now: Now
) -> Response:
    person = by_key(session, Person, town.id, key)
    today = now.astimezone(BERLIN).date()
    return render(
        request,
        "portal/person.html",
        page(
            me,
            town,
            "bodies",
            person=person,
            memberships=[
                {
                    "body": m.body.name,
                    "body_url": links.body(town.key, m.body),
                    "role": _role(m.role),
                    "faction": m.faction.name if m.faction else None,
                    "faction_url": links.faction(town.key, m.faction) if m.faction else None,
                    "start": m.start_date,
                    "end": m.end_date,
                    "current": m.active_on(today),
                }
                for m in portal.person_memberships(session, person)
            ],
            open_data=_urls(request).person(person.id),
        ),
    )


@router.get("/{municipality}/fraktionen/{key}", response_class=HTMLResponse)
def faction_page(
    request: Request, town: Town, key: str, me: PageCaller, session: ReadSession, now: Now
) -> Response:
    faction = by_key(session, Faction, town.id, key)
    members = portal.faction_memberships(session, faction, now.astimezone(BERLIN).date())
    return render(
        request,
        "portal/faction.html",
        page(
            me,
            town,
            "bodies",
            faction=faction,
            members=[
                {
                    "name": person.name,
                    "url": links.person(town.key, person),
                    "bodies": [f"{m.body.name} ({_role(m.role)})" for m in memberships],
                }
                for person, memberships in members.items()
            ],
            open_data=_urls(request).faction(faction.id),
        ),
    )


# ------------------------------------------------------------------------------------------ feeds


def _absolute(request: Request, path: str) -> str:
    return str(request.app.state.public_url).rstrip("/") + path


def _atom(request: Request, context: dict[str, Any]) -> Response:
    body = templates.get_template("portal/feed.atom.xml").render(request=request, **context)
    return Response(body, media_type=ATOM)


@router.get("/{municipality}/feeds/vorlagen.atom")
def papers_feed(request: Request, town: Town, session: ReadSession, now: Now) -> Response:
    """New papers (Atom): the 50 most recently submitted published ones."""
    papers = portal.latest_papers(session, town.id, limit=50)
    private = portal.papers_decided_in_private(session, papers)
    entries: list[dict[str, Any]] = [
        {
            "id": _absolute(request, links.paper(town.key, p)),
            "title": f"{p.reference}: {p.subject}",
            "url": _absolute(request, links.paper(town.key, p)),
            "updated": p.submitted_at or p.modified_at,
            "summary": paper_entry(town, p, Withheld(decision=p.id in private))["kind"],
        }
        for p in papers
    ]
    return _atom(
        request,
        {
            "id": _absolute(request, links.papers_atom(town.key)),
            "title": f"Neue Vorlagen – {town.name}",
            "self_url": _absolute(request, links.papers_atom(town.key)),
            "alternate": _absolute(request, links.search(town.key)),
            "updated": max((e["updated"] for e in entries), default=now),
            "entries": entries,
        },
    )


@router.get("/{municipality}/gremien/{key}/ergebnisse.atom")
def results_feed(request: Request, town: Town, key: str, session: ReadSession, now: Now) -> Response:
    """Results of a body (Atom): its 50 latest published results, "vorläufig" until the minutes are approved."""
    body = by_key(session, Body, town.id, key)
    decisions = portal.latest_decisions(session, town.id, body_id=body.id, limit=50)
    links.prefetch_meetings(session, [d.meeting for d in decisions])
    entries: list[dict[str, Any]] = []
    for d in decisions:
        url = _absolute(request, links.meeting(session, town.key, d.meeting))
        entries.append(
            {
                "id": f"{url}#top-{d.item_id}",
                "title": f"{d.number} {d.title}: {d.text}",
                "url": _absolute(request, links.paper_from_columns(town.key, d.paper_id, d.paper_reference))
                if d.paper_id is not None
                else url,
                "updated": d.recorded_at,
                "summary": f"{d.meeting.name}, {d.meeting.start.astimezone(BERLIN):%d.%m.%Y}"
                + (" – vorläufig, die Niederschrift ist noch nicht genehmigt" if d.provisional else ""),
            }
        )
    return _atom(
        request,
        {
            "id": _absolute(request, links.body_results_atom(town.key, body)),
            "title": f"Ergebnisse: {body.name} – {town.name}",
            "self_url": _absolute(request, links.body_results_atom(town.key, body)),
            "alternate": _absolute(request, links.body(town.key, body)),
            "updated": max((e["updated"] for e in entries), default=now),
            "entries": entries,
        },
    )


Filter = Annotated[str, Query(max_length=64)]


def _day(value: str, label: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise RuleViolation(
            f"{label} is not a date", german=f"{label}: bitte ein Datum wie 2013-10-28 angeben."
        ) from None


@router.get("/{municipality}/feeds/suche.atom")
def search_feed(
    request: Request,
    town: Town,
    session: ReadSession,
    now: Now,
    q: Annotated[str, Query(max_length=200)] = "",
    status: Filter = "",
    art: Filter = "",
    gremium: Filter = "",
    fachamt: Filter = "",
    von: Annotated[str, Query(max_length=20)] = "",
    bis: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """A search of the paper search page as an Atom feed (the same filters; what the public sees)."""
    papers, _ = search_papers(
        session,
        town,
        None,
        states=[status] if status in {s.value for s in PaperState} else [],
        kind=art if art in {k.value for k in PaperKind} else None,
        body=gremium or None,
        department=fachamt or None,
        date_from=_day(von, "Datum von"),
        date_to=_day(bis, "Datum bis"),
        q=q or None,
        limit=50,
    )
    private = portal.papers_decided_in_private(session, papers)
    filters = {
        "q": q,
        "status": status,
        "art": art,
        "gremium": gremium,
        "fachamt": fachamt,
        "von": von,
        "bis": bis,
    }
    entries: list[dict[str, Any]] = []
    for p in papers:
        entry = paper_entry(town, p, Withheld(decision=p.id in private))
        entries.append(
            {
                "id": _absolute(request, entry["url"]),
                "title": f"{p.reference}: {p.subject}",
                "url": _absolute(request, entry["url"]),
                "updated": p.modified_at,
                "summary": f"{entry['kind']} · {entry['state']}",
            }
        )
    own = _absolute(request, links.search_atom(town.key, **filters))
    return _atom(
        request,
        {
            "id": own,
            "title": f"Vorlagensuche{': ' + q if q else ''} – {town.name}",
            "self_url": own,
            "alternate": _absolute(request, links.search(town.key, **filters)),
            "updated": max((e["updated"] for e in entries), default=now),
            "entries": entries,
        },
    )


# --------------------------------------------------------------------- pages a public site must have

TEXT_PAGES = {
    "impressum": ("Impressum", "impressum", "das Impressum"),
    "datenschutz": ("Datenschutz", "privacy", "die Datenschutzerklärung"),
}


def _text_page(request: Request, town: Municipality, me: ActiveSession | None, slug: str) -> Response:
    title, field, what = TEXT_PAGES[slug]
    return render(
        request,
        "portal/text.html",
        page(
            me,
            town,
            slug,
            title=title,
            text=(town.portal or {}).get(field),
            missing=what,
            alert_storage=alert_storage() if slug == "datenschutz" else None,
        ),
    )


@router.get("/{municipality}/impressum", response_class=HTMLResponse)
def impressum(request: Request, town: Town, me: PageCaller) -> Response:
    return _text_page(request, town, me, "impressum")


@router.get("/{municipality}/datenschutz", response_class=HTMLResponse)
def privacy(request: Request, town: Town, me: PageCaller) -> Response:
    return _text_page(request, town, me, "datenschutz")


@router.get("/{municipality}/leichte-sprache", response_class=HTMLResponse)
def easy_language(request: Request, town: Town, me: PageCaller) -> Response:
    return render(request, "portal/easy_language.html", page(me, town, "leichte-sprache"))


@router.get("/{municipality}/gebaerdensprache", response_class=HTMLResponse)
def sign_language(request: Request, town: Town, me: PageCaller) -> Response:
    texts = town.portal or {}
    return render(
        request,
        "portal/sign_language.html",
        page(
            me,
            town,
            "gebaerdensprache",
            video=texts.get("sign_language_url"),
            text=texts.get("sign_language_text"),
        ),
    )
