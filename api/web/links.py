"""Every readable URL of the web pages, built from its object in one place (and read back here too).

``/wetzlar/vorlagen/1562-13`` (any other Drucksachen-Nr. likewise with hyphens for its slashes, e.g. an
imported ``45-2016``; a draft, which has no Drucksachen-Nr. yet: ``/wetzlar/vorlagen/entwurf-7``),
``/wetzlar/sitzungen/2013-10-28-kfp+sjs`` (date in Berlin and the sorted keys of the bodies; a second meeting of
the same bodies on the same day gets ``-2``), ``/wetzlar/dokumente/12/Beschlussvorlage-1562-13.pdf``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from urllib.parse import quote, urlencode

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from workflow.errors import NotFound
from workflow.models import Body, Faction, Meeting, MeetingBody, Paper, Person, StoredFile
from workflow.rules import BERLIN

LOGIN = "/anmelden"
LOGOUT = "/abmelden"
ACCESSIBILITY = "/barrierefreiheit"
STATIC = "/static"


def static(path: str) -> str:
    return f"{STATIC}/{path}"


def start(town_key: str) -> str:
    return f"/{town_key}/"


def search(town_key: str, **filters: str | None) -> str:
    """The paper search with its filters as query parameters (only those given), in a stable order."""
    given = [(name, value) for name, value in sorted(filters.items()) if value]
    return f"/{town_key}/vorlagen" + (f"?{urlencode(given)}" if given else "")


def login(next_path: str | None = None) -> str:
    return LOGIN + (f"?{urlencode({'weiter': next_path})}" if next_path else "")


# ------------------------------------------------------------------------------------------ papers


def paper_slug(paper: Paper) -> str:
    return _paper_slug(paper.id, paper.reference)


def _paper_slug(paper_id: int, reference: str | None) -> str:
    return reference.replace("/", "-") if reference else f"entwurf-{paper_id}"


def paper(town_key: str, paper: Paper) -> str:
    return paper_from_columns(town_key, paper.id, paper.reference)


def paper_from_columns(town_key: str, paper_id: int, reference: str | None) -> str:
    """The paper's address from its id and Drucksachen-Nr. alone (a read model of columns, no row)."""
    return f"/{town_key}/vorlagen/{quote(_paper_slug(paper_id, reference), safe='-._~')}"


_REFERENCE = re.compile(r"^(\d{1,6})-(\d{2})$")
_DRAFT = re.compile(r"^entwurf-(\d{1,10})$")


def paper_from_slug(session: Session, town_id: int, slug: str) -> Paper:
    """The paper a slug names in this municipality, or NotFound."""
    found: Paper | None = None
    if match := _REFERENCE.match(slug):
        found = session.scalars(
            select(Paper).where(Paper.municipality_id == town_id, Paper.reference == f"{match[1]}/{match[2]}")
        ).one_or_none()
    elif match := _DRAFT.match(slug):
        candidate = session.get(Paper, int(match[1]))
        if candidate is not None and candidate.municipality_id == town_id and candidate.reference is None:
            found = candidate
    if found is None and not _DRAFT.match(slug):
        # A Drucksachen-Nr. of another form (imported: "45/2016", "2026/0222/1", "IV/123"): its slash
        # became a hyphen (the first such paper, should two numbers differ only there).
        found = session.scalars(
            select(Paper)
            .where(Paper.municipality_id == town_id, func.replace(Paper.reference, "/", "-") == slug)
            .order_by(Paper.id)
            .limit(1)
        ).first()
    if found is None:
        raise NotFound(f"paper {slug} not found", german=f"Die Vorlage „{slug}“ gibt es nicht")
    return found


# ---------------------------------------------------------------------------------------- meetings


def _day(meeting: Meeting) -> dt.date:
    return meeting.start.astimezone(BERLIN).date()


def _bodies_slug(meeting: Meeting) -> str:
    return "+".join(sorted(body.key for body in meeting.bodies))


_SLUGS = "links.meeting_slugs"


def _known_slugs(session: Session) -> dict[int, str]:
    """The meeting slugs worked out in the session's current transaction (a new one starts afresh)."""
    transaction = session.get_transaction()
    cached = session.info.get(_SLUGS)
    if cached is None or cached[0] is not transaction:
        cached = session.info[_SLUGS] = (transaction, {})
    slugs: dict[int, str] = cached[1]
    return slugs


def prefetch_meetings(session: Session, meetings: Iterable[Meeting]) -> None:
    """Work out the slugs of many meetings (a list page) in one query instead of one per meeting: every
    meeting of the same municipalities on those days, with its bodies."""
    slugs = _known_slugs(session)
    wanted = [m for m in meetings if m.id not in slugs]
    if not wanted:
        return
    days = {(m.municipality_id, _day(m)) for m in wanted}
    same_days = or_(
        *(
            and_(
                Meeting.municipality_id == town_id,
                Meeting.start >= dt.datetime.combine(day, dt.time(), BERLIN),
                Meeting.start < dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), BERLIN),
            )
            for town_id, day in days
        )
    )
    rows = session.execute(
        select(Meeting.id, Meeting.municipality_id, Meeting.start, Body.key)
        .outerjoin(MeetingBody, MeetingBody.meeting_id == Meeting.id)
        .outerjoin(Body, Body.id == MeetingBody.body_id)
        .where(same_days)
        .order_by(Meeting.start, Meeting.id)
    )
    candidates: dict[int, tuple[int, dt.datetime, list[str]]] = {}
    for meeting_id, town_id, start, key in rows:
        bodies = candidates.setdefault(meeting_id, (town_id, start, []))[2]
        if key is not None:
            bodies.append(key)
    _remember(
        slugs, ((i, town, start, "+".join(sorted(keys))) for i, (town, start, keys) in candidates.items())
    )


def _remember(slugs: dict[int, str], meetings: Iterable[tuple[int, int, dt.datetime, str]]) -> None:
    """The slugs of ``meetings`` (id, municipality, start, bodies' slug): all meetings of their
    municipalities on their days, in their order."""
    seen: dict[tuple[int, str], int] = {}
    for meeting_id, town_id, start, bodies in meetings:
        slug = f"{start.astimezone(BERLIN).date():%Y-%m-%d}-{bodies}"
        position = seen[(town_id, slug)] = seen.get((town_id, slug), 0) + 1
        slugs[meeting_id] = slug + (f"-{position}" if position > 1 else "")


def meeting(session: Session, town_key: str, meeting: Meeting) -> str:
    slugs = _known_slugs(session)
    if meeting.id not in slugs:
        prefetch_meetings(session, [meeting])
    slug = slugs.get(meeting.id) or f"{_day(meeting):%Y-%m-%d}-{_bodies_slug(meeting)}"
    return f"/{town_key}/sitzungen/{slug}"


def meeting_agenda(session: Session, town_key: str, row: Meeting) -> str:
    """The coordination office's agenda builder of the meeting."""
    return meeting(session, town_key, row) + "/tagesordnung"


def meeting_invitation(session: Session, town_key: str, row: Meeting) -> str:
    """The coordination office's invitation page of the meeting (deadline, preview, issuing)."""
    return meeting(session, town_key, row) + "/einladung"


_MEETING = re.compile(r"^(\d{4}-\d{2}-\d{2})-([a-z0-9_+-]{1,300})$")
_NTH = re.compile(r"^(.+)-(\d{1,3})$")


def meeting_from_slug(session: Session, town_id: int, slug: str) -> Meeting:
    """The meeting a slug names in this municipality, or NotFound. A trailing ``-N`` is the N-th meeting
    of those bodies that day, unless the bodies' keys themselves end that way."""
    match = _MEETING.match(slug)
    missing = NotFound(f"meeting {slug} not found", german=f"Die Sitzung „{slug}“ gibt es nicht")
    if match is None:
        raise missing
    try:
        day = dt.date.fromisoformat(match[1])
    except ValueError:
        raise missing from None
    first = dt.datetime.combine(day, dt.time(), BERLIN)
    that_day = list(
        session.scalars(
            select(Meeting)
            .where(
                Meeting.municipality_id == town_id,
                Meeting.start >= first,
                Meeting.start < first + dt.timedelta(days=1),
                Meeting.id.in_(select(MeetingBody.meeting_id)),
            )
            .options(selectinload(Meeting.bodies))
            .order_by(Meeting.start, Meeting.id)
        )
    )
    # Those of the day without a body are left out: their slugs end in "-" and never share one with these.
    _remember(_known_slugs(session), ((m.id, m.municipality_id, m.start, _bodies_slug(m)) for m in that_day))
    readings = [(match[2], 0)]
    if nth := _NTH.match(match[2]):
        readings.append((nth[1], int(nth[2]) - 1))
    for bodies, index in readings:
        meetings = [m for m in that_day if _bodies_slug(m) == bodies]
        if 0 <= index < len(meetings):
            return meetings[index]
    raise missing


# --------------------------------------------------------------------------------------- documents


def document(town_key: str, row: StoredFile) -> str:
    return f"/{town_key}/dokumente/{row.id}/{quote(row.file_name.replace(' ', '-'))}"


# ------------------------------------------------------------------------------- drafting forms


def draft_new(town_key: str) -> str:
    return f"/{town_key}/vorlagen/neu"


def draft_edit(town_key: str, paper: Paper) -> str:
    return f"{paper_url(town_key, paper)}/bearbeiten"


def paper_action(town_key: str, paper: Paper, action: str) -> str:
    """``mitzeichnung-anfordern``, ``mitzeichnen`` or ``einreichen``."""
    return f"{paper_url(town_key, paper)}/{action}"


paper_url = paper


# ------------------------------------------------------------------------------- the public portal


def calendar(town_key: str, month: dt.date | None = None, body: str | None = None) -> str:
    """The meeting calendar: ``/wetzlar/sitzungen?monat=2013-11&gremium=stvv`` (this month and all bodies
    without them)."""
    given = [("gremium", body)] if body else []
    if month is not None:
        given.append(("monat", f"{month:%Y-%m}"))
    return f"/{town_key}/sitzungen" + (f"?{urlencode(sorted(given))}" if given else "")


def bodies(town_key: str) -> str:
    return f"/{town_key}/gremien"


def body(town_key: str, body: Body) -> str:
    return f"/{town_key}/gremien/{body.key}"


def person(town_key: str, person: Person) -> str:
    return person_by_key(town_key, person.key)


def person_by_key(town_key: str, key: str) -> str:
    return f"/{town_key}/personen/{key}"


def faction(town_key: str, faction: Faction) -> str:
    return faction_by_key(town_key, faction.key)


def faction_by_key(town_key: str, key: str) -> str:
    return f"/{town_key}/fraktionen/{key}"


def body_ical(town_key: str, body: Body) -> str:
    return f"/api/v1/{town_key}/bodies/{body.key}/calendar.ics"


def body_results_atom(town_key: str, body: Body) -> str:
    return f"/{town_key}/gremien/{body.key}/ergebnisse.atom"


def search_atom(town_key: str, **filters: str | None) -> str:
    """The paper search with these filters as an Atom feed."""
    given = [(name, value) for name, value in sorted(filters.items()) if value]
    return f"/{town_key}/feeds/suche.atom" + (f"?{urlencode(given)}" if given else "")


def papers_atom(town_key: str) -> str:
    return f"/{town_key}/feeds/vorlagen.atom"


def impressum(town_key: str) -> str:
    return f"/{town_key}/impressum"


def privacy(town_key: str) -> str:
    return f"/{town_key}/datenschutz"


def easy_language(town_key: str) -> str:
    return f"/{town_key}/leichte-sprache"


def sign_language(town_key: str) -> str:
    return f"/{town_key}/gebaerdensprache"


def alerts(town_key: str, **filters: str | None) -> str:
    """The form of an e-mail alert: ``?gremium=stvv`` for a body; the search page's filters for a search."""
    given = [(name, value) for name, value in sorted(filters.items()) if value]
    return f"/{town_key}/benachrichtigungen" + (f"?{urlencode(given)}" if given else "")


def alert_confirm(town_key: str, token: str) -> str:
    return f"/{town_key}/benachrichtigungen/bestaetigen/{token}"


def alert_unsubscribe(town_key: str, token: str) -> str:
    return f"/{town_key}/benachrichtigungen/abmelden/{token}"


# ------------------------------------------------------------------- the office's meeting planning


def planning(town_key: str, body: str | None = None) -> str:
    """The office's meetings per body: ``/wetzlar/sitzungsplanung?gremium=sjs`` (all bodies without it)."""
    return f"/{town_key}/sitzungsplanung" + (f"?{urlencode({'gremium': body})}" if body else "")


def meeting_move(meeting_url: str) -> str:
    """Moving the meeting at ``meeting_url`` (from ``meeting``)."""
    return f"{meeting_url}/verlegen"


def meeting_cancel(meeting_url: str) -> str:
    """Cancelling the meeting at ``meeting_url`` (from ``meeting``)."""
    return f"{meeting_url}/absagen"


# ---------------------------------------------------------------------------- the coordination office


def inbox(town_key: str, **filters: str | None) -> str:
    """The submission inbox: ``/wetzlar/eingang?fachamt=kbs``."""
    given = [(name, value) for name, value in sorted(filters.items()) if value]
    return f"/{town_key}/eingang" + (f"?{urlencode(given)}" if given else "")


def inbox_submit(town_key: str) -> str:
    return f"/{town_key}/eingang/einreichen"


def deadlines(town_key: str, **filters: str | None) -> str:
    """The deadline overview: ``/wetzlar/fristen?gremium=stvv&wochen=8`` (six weeks and all bodies without)."""
    given = [(name, value) for name, value in sorted(filters.items()) if value]
    return f"/{town_key}/fristen" + (f"?{urlencode(given)}" if given else "")


def beratungsfolge(town_key: str, paper: Paper) -> str:
    """The Beratungsfolge editor of a paper."""
    return f"{paper_url(town_key, paper)}/beratungsfolge"


# ------------------------------------------------------------------------------- council members


def my_meetings(town_key: str, **pages: str | None) -> str:
    """``/wetzlar/meine-sitzungen?kommende=2&vergangene=3``: the page of each list (the first without)."""
    given = [(name, value) for name, value in sorted(pages.items()) if value]
    return f"/{town_key}/meine-sitzungen" + (f"?{urlencode(given)}" if given else "")


def my_papers(town_key: str, **filters: str | None) -> str:
    """``/wetzlar/meine-vorlagen?gremium=sjs``: the papers of my bodies (filtered to one of them)."""
    given = [(name, value) for name, value in sorted(filters.items()) if value]
    return f"/{town_key}/meine-vorlagen" + (f"?{urlencode(given)}" if given else "")


# ------------------------------------------------------------------------------- administration


def admin_users(town_key: str) -> str:
    return f"/{town_key}/verwaltung/zugaenge"


def admin_user_new(town_key: str) -> str:
    return f"/{town_key}/verwaltung/zugaenge/neu"


def admin_user_action(town_key: str, user_id: int, action: str) -> str:
    """``sperren``, ``entsperren`` or ``passwort``."""
    return f"/{town_key}/verwaltung/zugaenge/{user_id}/{action}"


def admin_persons(town_key: str) -> str:
    return f"/{town_key}/verwaltung/personen"


def admin_person(town_key: str, person: Person) -> str:
    return f"/{town_key}/verwaltung/personen/{person.key}"


def admin_person_action(town_key: str, person: Person, action: str) -> str:
    """``mitgliedschaft`` (join), ``fraktion`` (faction change) or ``ende-{membership id}`` (leave)."""
    return f"{admin_person(town_key, person)}/{action}"


# ------------------------------------------------------------------------------- drafting preview


def draft_preview(town_key: str, paper: Paper) -> str:
    """The Word document of a draft as it would be rendered now (not stored)."""
    return f"{paper_url(town_key, paper)}/vorschau.docx"
