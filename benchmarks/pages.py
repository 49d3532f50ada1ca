"""Benchmark: the web pages (issue 12) and the public portal (issue 13) with 100,000 papers on PostgreSQL.

Targets:

- issue 13: every public page type p95 < 30 ms server time; a search of a rare, a medium and a frequent
  word, alone and with a filter (body, kind, date range), and a date range alone, p95 < 50 ms on the first
  and on a deep page;
- issue 12: every page type for logged-in staff p95 < 50 ms; the HTML of a page under 60 KB; JavaScript only
  htmx and at most 10 KB of our own; no request to another host; in Chromium the paper page, the meeting-day
  screen and the start page reach Largest Contentful Paint under 500 ms.

What it does:

1. The world of ``benchmarks.world`` in the database ``gl_bench_pages``, kept between runs (built when
   missing or made on another day or with other settings; ``--rebuild`` builds it anew, ``--drop`` drops it
   and ends). The migrations run on a kept one too.
2. One uvicorn process of the app as shipped (``api.main:app``, ``--workers 1``, 127.0.0.1, a free port).
3. Per page type a handful of real addresses (papers, meetings, bodies, persons, factions of the world),
   requested one after the other, round robin, by one client over HTTP: ``--warmup`` unmeasured requests,
   then ``--repeat`` measured ones (at most ``--max-seconds`` per page type). The time is from sending the
   request to the last byte of the answer, on 127.0.0.1: the server's time plus the loopback. Logged-in
   pages carry the session cookie of a session opened by the use case (``workflow.web_sessions``).
4. The search matrix on the search page ``/wetzlar/vorlagen`` as the public: three words by frequency,
   alone and with each filter, and a date range alone; each word and all papers sorted by date, a date
   range sorted earliest first; each on the first page and on a deep one (the ``weiter`` cursor of page
   ``--deep-page`` of 25, or of the last page when there are fewer).
5. ``--browser`` (default on; ``--no-browser``): Chromium (``/usr/bin/chromium``, Playwright) opens the
   paper page, the meeting-day screen and the start pages ``--lcp-runs`` times each with a fresh cache and
   reads Largest Contentful Paint from a ``PerformanceObserver``; every request's host and every script
   loaded are recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import re
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from api.web import links
from api.web.session import SESSION_COOKIE
from benchmarks import list_search, world
from benchmarks.common import (
    CpuMeter,
    HttpConnection,
    Server,
    busy_share,
    busy_warning,
    load_average,
    machine,
    percentile,
    postgres_version,
    wait_until_quiet,
    write_json,
)
from workflow.db import make_engine, make_session_factory
from workflow.models import (
    Body,
    Consultation,
    Department,
    Faction,
    Meeting,
    MeetingBody,
    Membership,
    Paper,
    Person,
)
from workflow.rules import BERLIN
from workflow.web_sessions import open_session

TOWN = list_search.TOWN
PUBLIC_TARGET_MS = 30.0
SEARCH_TARGET_MS = 50.0
STAFF_TARGET_MS = 50.0
HTML_LIMIT = 60 * 1024
OWN_JS_LIMIT = 10 * 1024
LCP_TARGET_MS = 500.0
SEARCH_PAGE = 25  # the search page's page size
WORDS = {"rare": "Städtepartnerschaft", "medium": "Kindertagesstätten", "frequent": "Magistrat"}
FILTERS: dict[str, dict[str, str]] = {
    "": {},
    "body": {"gremium": "stvv"},
    "kind": {"art": "beschlussvorlage"},
    "date range": {"von": "2015-01-01", "bis": "2019-12-31"},
    "kind + date range": {"art": "beschlussvorlage", "von": "2018-01-01", "bis": "2022-12-31"},
}


@dataclass
class PageType:
    name: str
    group: str  # "public", "search", "staff"
    paths: list[str]
    user: str | None = None  # key of list_search.USERS
    html: bool = True
    target_ms: float = PUBLIC_TARGET_MS


@dataclass
class Measured:
    page: PageType
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    sizes: list[int] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        p95 = percentile(self.latencies, 95)
        ok = set(self.statuses) == {200}
        return {
            "group": self.page.group,
            "user": self.page.user,
            "addresses": len(self.page.paths),
            "example": self.page.paths[0],
            "requests": len(self.latencies),
            "p50_ms": round(percentile(self.latencies, 50), 2),
            "p95_ms": round(p95, 2),
            "max_ms": round(max(self.latencies), 2),
            "max_kb": round(max(self.sizes) / 1024, 1),
            **self.cpu,
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "target_ms": self.page.target_ms,
            "time_met": ok and p95 < self.page.target_ms,
            "size_met": (max(self.sizes) < HTML_LIMIT) if self.page.html else None,
        }


# ------------------------------------------------------------------------------------- addresses


def _search(params: dict[str, str]) -> str:
    return f"/{TOWN}/vorlagen" + ("?" + urllib.parse.urlencode(params) if params else "")


def _deep_cursor(session: Any, params: dict[str, str], page: int) -> tuple[str | None, int]:
    """The ``weiter`` cursor of page ``page`` (or the last) of the public search, and that page's number."""
    from api.paper_search import cursor_after, search_papers
    from api.web.papers import SEARCH_ORDERS
    from workflow.models import Municipality

    town = session.scalars(select(Municipality).where(Municipality.key == TOWN)).one()
    order = SEARCH_ORDERS[params.get("sortierung", "")][0]
    found: list[Any] = []
    cursor: str | None = None
    wanted = (page - 1) * SEARCH_PAGE
    while len(found) < wanted:
        rows, cursor = search_papers(
            session,
            town,
            None,
            kind=params.get("art"),
            body=params.get("gremium"),
            date_from=dt.date.fromisoformat(params["von"]) if "von" in params else None,
            date_to=dt.date.fromisoformat(params["bis"]) if "bis" in params else None,
            q=params.get("q"),
            order=order,
            limit=200,
            cursor=cursor,
        )
        found += rows
        if cursor is None:
            break
    if len(found) <= SEARCH_PAGE:
        return None, 1
    reached = min(page, (len(found) - 1) // SEARCH_PAGE + 1)
    return cursor_after(found[(reached - 1) * SEARCH_PAGE - 1], order), reached


def page_types(url: str, deep_page: int) -> tuple[list[PageType], dict[str, str]]:
    """The page types with real addresses of the world; and the session cookie per user."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    cookies = {
        key: open_session(sessions, username=username, password=list_search.PASSWORD).token
        for key, (username, _role, _extra) in list_search.USERS.items()
    }
    today = dt.datetime.now(BERLIN).date()
    with sessions() as session:
        bodies = {b.key: b for b in session.scalars(select(Body))}

        def papers(where: Any, count: int = 10) -> list[str]:
            with_steps = select(Consultation.paper_id).where(Consultation.agenda_item_id.is_not(None))
            found = session.scalars(
                select(Paper).where(where, Paper.id.in_(with_steps)).order_by(Paper.id.desc()).limit(400)
            ).all()
            chosen = found[:: max(1, len(found) // count)][:count]
            return [links.paper(TOWN, p) for p in chosen]

        def meetings(body: str, *, before: dt.date, count: int = 6) -> list[str]:
            found = session.scalars(
                select(Meeting)
                .join(MeetingBody, MeetingBody.meeting_id == Meeting.id)
                .where(
                    MeetingBody.body_id == bodies[body].id,
                    Meeting.start < dt.datetime.combine(before, dt.time(), BERLIN),
                    Meeting.state != "cancelled",
                )
                .order_by(Meeting.start.desc())
                .limit(count * 20)
            ).all()
            return [links.meeting(session, TOWN, m) for m in found[::20][:count]]

        public_papers = papers(Paper.public.is_(True) & Paper.state.in_(["adopted", "rejected", "noted"]))
        private_papers = papers(Paper.public.is_(False) & (Paper.state == "adopted"), 5)
        recent_stvv = meetings("stvv", before=today, count=6)
        magistrat = meetings("magistrat", before=today, count=4)
        today_meeting = session.scalars(
            select(Meeting)
            .join(MeetingBody, MeetingBody.meeting_id == Meeting.id)
            .where(
                MeetingBody.body_id == bodies[world.TODAY_BODY].id,
                Meeting.start >= dt.datetime.combine(today, dt.time(), BERLIN),
            )
            .order_by(Meeting.start)
            .limit(1)
        ).one()
        meeting_day = links.meeting(session, TOWN, today_meeting) + "/sitzungsdienst"
        persons = [
            f"/{TOWN}/personen/{key}"
            for key in session.scalars(
                select(Person.key)
                .join(Membership, Membership.person_id == Person.id)
                .where(Membership.body_id == bodies["stvv"].id)
                .group_by(Person.key)
                .order_by(func.min(Membership.id))
                .limit(6)
            )
        ]
        factions = [
            f"/{TOWN}/fraktionen/{key}" for key in session.scalars(select(Faction.key).order_by(Faction.id))
        ]
        kbs_drafts = session.scalars(
            select(Paper)
            .join(Department, Department.id == Paper.department_id)
            .where(
                Paper.state == "draft", Department.key == "kbs"
            )  # the department user's (list_search.USERS)
            .order_by(Paper.id.desc())
            .limit(1)
        ).all()
        month = today.replace(day=1)
        months = [f"/{TOWN}/sitzungen"] + [
            f"/{TOWN}/sitzungen?monat={(month - dt.timedelta(days=400 * n)).strftime('%Y-%m')}"
            for n in (1, 5, 12)
        ]
        types = [
            PageType("portal start page", "public", [f"/{TOWN}/"]),
            PageType("meeting calendar (month)", "public", months),
            PageType("meeting calendar of one body", "public", [f"/{TOWN}/sitzungen?gremium=stvv"]),
            PageType("meeting page (StVV, with results)", "public", recent_stvv),
            PageType("paper page", "public", public_papers),
            PageType("body list", "public", [f"/{TOWN}/gremien"]),
            PageType(
                "body page",
                "public",
                [f"/{TOWN}/gremien/{k}" for k in ("stvv", "magistrat", "sjs", "kfp", "fwa")],
            ),
            PageType("person page", "public", persons),
            PageType("faction page", "public", factions),
            PageType("Atom: new papers", "public", [f"/{TOWN}/feeds/vorlagen.atom"], html=False),
            PageType(
                "Atom: results of a body",
                "public",
                [f"/{TOWN}/gremien/{k}/ergebnisse.atom" for k in ("stvv", "sjs", "kfp")],
                html=False,
            ),
            PageType(
                "Atom: a search",
                "public",
                [f"/{TOWN}/feeds/suche.atom?q={urllib.parse.quote(w)}" for w in WORDS.values()],
                html=False,
            ),
            PageType("search page (empty form, newest papers)", "public", [_search({})]),
            PageType("live page of a meeting", "public", [u + "/live" for u in recent_stvv]),
            PageType(
                "information pages (Impressum, Datenschutz, Leichte Sprache, Gebärdensprache, Barrierefreiheit)",
                "public",
                [
                    f"/{TOWN}/impressum",
                    f"/{TOWN}/datenschutz",
                    f"/{TOWN}/leichte-sprache",
                    f"/{TOWN}/gebaerdensprache",
                    links.ACCESSIBILITY,
                ],
            ),
            PageType(
                "e-mail alert form",
                "public",
                [
                    f"/{TOWN}/benachrichtigungen?abo=gremium&gremium=stvv",
                    f"/{TOWN}/benachrichtigungen?abo=suche&q=Kita",
                ],
            ),
        ]
        for key in ("coordination", "department", "secretary", "council_member"):
            types.append(
                PageType(f"start page, {key}", "staff", [f"/{TOWN}/"], key, target_ms=STAFF_TARGET_MS)
            )
        types += [
            PageType("paper page, coordination", "staff", public_papers + private_papers, "coordination",
                     target_ms=STAFF_TARGET_MS),
            PageType("paper page, council member", "staff", public_papers + private_papers, "council_member",
                     target_ms=STAFF_TARGET_MS),
            PageType("meeting page, coordination", "staff", recent_stvv + magistrat, "coordination",
                     target_ms=STAFF_TARGET_MS),
            PageType("meeting-day page, secretary", "staff", [meeting_day], "secretary", target_ms=STAFF_TARGET_MS),
            PageType("search, coordination", "staff",
                     [_search({"q": w}) for w in WORDS.values()] + [_search({})], "coordination",
                     target_ms=STAFF_TARGET_MS),
            PageType("draft form (new)", "staff", [f"/{TOWN}/vorlagen/neu"], "department",
                     target_ms=STAFF_TARGET_MS),
        ]  # fmt: skip
        coming = session.scalars(
            select(Meeting)
            .join(MeetingBody, MeetingBody.meeting_id == Meeting.id)
            .where(
                MeetingBody.body_id == bodies["stvv"].id,
                Meeting.start >= dt.datetime.combine(today, dt.time(), BERLIN),
                Meeting.state.in_(["planned", "invited"]),
            )
            .order_by(Meeting.start)
            .limit(3)
        ).all()
        coming_urls = [links.meeting(session, TOWN, m) for m in coming]
        members = session.scalars(select(Person).order_by(Person.id).limit(5)).all()
        office_types = [
            ("submission inbox", [links.inbox(TOWN)], "coordination"),
            (
                "deadline overview",
                [links.deadlines(TOWN), links.deadlines(TOWN, gremium="stvv")],
                "coordination",
            ),
            ("meeting planning", [links.planning(TOWN), links.planning(TOWN, "stvv")], "coordination"),
            ("agenda builder", [u + "/tagesordnung" for u in coming_urls], "coordination"),
            ("invitation page", [u + "/einladung" for u in coming_urls], "coordination"),
            ("Beratungsfolge editor", [u + "/beratungsfolge" for u in public_papers], "coordination"),
            ("my meetings, council member", [links.my_meetings(TOWN)], "council_member"),
            ("papers of my bodies, council member", [links.my_papers(TOWN)], "council_member"),
            ("logins, admin", [links.admin_users(TOWN)], "admin"),
            ("persons, admin", [links.admin_persons(TOWN)], "admin"),
            ("a person's memberships, admin", [links.admin_person(TOWN, p) for p in members], "admin"),
        ]
        types += [
            PageType(name, "staff", urls, user, target_ms=STAFF_TARGET_MS)
            for name, urls, user in office_types
            if urls
        ]
        if kbs_drafts:
            types.append(
                PageType(
                    "draft form (edit)",
                    "staff",
                    [links.paper(TOWN, kbs_drafts[0]) + "/bearbeiten"],
                    "department",
                    target_ms=STAFF_TARGET_MS,
                )
            )
        searches: list[PageType] = []
        for frequency, word in WORDS.items():
            for label, extra in FILTERS.items():
                params = {"q": word, **extra}
                searches += _search_pair(session, f"'{word}' ({frequency})" + (f" + {label}" if label else ""),
                                         params, deep_page)  # fmt: skip
        for label in ("date range", "kind + date range"):
            searches += _search_pair(session, f"{label} alone", FILTERS[label], deep_page)
        for frequency, word in WORDS.items():
            params = {"q": word, "sortierung": "datum"}
            searches += _search_pair(session, f"'{word}' ({frequency}) by date", params, deep_page)
        searches += _search_pair(session, "date range alone, earliest first",
                                 {**FILTERS["date range"], "sortierung": "datum-alt"}, deep_page)  # fmt: skip
        searches += _search_pair(session, "everything by date", {"sortierung": "datum"}, deep_page)
        types += searches
    engine.dispose()
    return types, cookies


def _search_pair(session: Any, name: str, params: dict[str, str], deep_page: int) -> list[PageType]:
    first = PageType(f"search {name}, first page", "search", [_search(params)], target_ms=SEARCH_TARGET_MS)
    cursor, reached = _deep_cursor(session, params, deep_page)
    if cursor is None:
        return [first]
    deep = PageType(
        f"search {name}, page {reached}",
        "search",
        [_search({**params, "weiter": cursor})],
        target_ms=SEARCH_TARGET_MS,
    )
    return [first, deep]


# ----------------------------------------------------------------------------------------- measure


async def measure(
    server: Server,
    database: str,
    types: list[PageType],
    cookies: dict[str, str],
    repeat: int,
    warmup: int,
    limit: float,
    save_html: Path | None = None,
) -> list[Measured]:
    connection = HttpConnection(server.host, server.port)
    results = []
    for page in types:
        headers = {"Cookie": f"{SESSION_COOKIE}={cookies[page.user]}"} if page.user else {}
        measured = Measured(page)
        for n in range(warmup):
            await connection.request("GET", page.paths[n % len(page.paths)], headers=headers)
        began = time.perf_counter()
        n = 0
        meter = CpuMeter(server.pid, database).__enter__()
        while len(measured.latencies) < repeat:
            path = page.paths[n % len(page.paths)]
            n += 1
            started = time.perf_counter()
            response = await connection.request("GET", path, headers=headers)
            measured.latencies.append((time.perf_counter() - started) * 1000)
            measured.statuses[response.status] = measured.statuses.get(response.status, 0) + 1
            measured.sizes.append(len(response.body))
            if save_html is not None and n == 1:
                save_html.mkdir(parents=True, exist_ok=True)
                (
                    save_html / (re.sub(r"[^a-z0-9]+", "-", page.name.lower()).strip("-") + ".html")
                ).write_bytes(response.body)
            if response.status != 200 and measured.statuses[response.status] == 1:
                print(f"    {response.status} for {path}: {response.body[:300]!r}")
            if time.perf_counter() - began > limit and len(measured.latencies) >= 10:
                break
        meter.__exit__()
        measured.cpu = meter.per_request_ms(len(measured.latencies))
        del measured.cpu["load_generator_cpu_ms"]
        results.append(measured)
        s = measured.summary()
        flags = ("" if s["time_met"] else "  TIME NOT MET") + (
            "  SIZE NOT MET" if s["size_met"] is False else ""
        )
        print(
            f"  {page.name:<58} p50 {s['p50_ms']:6.1f}  p95 {s['p95_ms']:6.1f}  max {s['max_ms']:6.1f} ms"
            f"  {s['max_kb']:6.1f} KB  CPU {s['server_cpu_ms']:5.1f} + {s['postgres_cpu_ms']:5.1f} ms{flags}"
        )
    await connection.close()
    return results


# ----------------------------------------------------------------------------------------- browser


LCP_SCRIPT = """
window.__lcp = null;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) { window.__lcp = entry.startTime; }
}).observe({type: 'largest-contentful-paint', buffered: true});
"""


def browser_figures(base: str, types: list[PageType], cookies: dict[str, str], runs: int) -> dict[str, Any]:
    """LCP of the paper page, the meeting-day screen and the start pages; hosts and scripts requested."""
    from playwright.sync_api import sync_playwright

    wanted = {
        "paper page, public": next(t for t in types if t.name == "paper page").paths[0],
        "paper page, coordination": next(t for t in types if t.name == "paper page, coordination").paths[0],
        "meeting-day page, secretary": next(t for t in types if t.name.startswith("meeting-day")).paths[0],
        "start page, coordination": f"/{TOWN}/",
        "start page, secretary": f"/{TOWN}/",
        "portal start page, public": f"/{TOWN}/",
    }
    users = {name: name.split(", ")[-1] for name in wanted}
    host = urllib.parse.urlsplit(base).hostname
    figures: dict[str, Any] = {"lcp": {}, "hosts": set(), "scripts": {}}

    def watch(page: Any) -> None:
        def seen(request: Any) -> None:
            figures["hosts"].add(urllib.parse.urlsplit(request.url).hostname)

        def loaded(response: Any) -> None:
            if response.request.resource_type == "script":
                figures["scripts"][urllib.parse.urlsplit(response.url).path] = len(response.body())

        page.on("request", seen)
        page.on("response", loaded)
        page.add_init_script(LCP_SCRIPT)

    def lcp_of(page: Any, url: str) -> float:
        page.goto(url, wait_until="load")
        page.wait_for_timeout(200)  # a later, larger element would replace the candidate
        for _ in range(50):  # polled from here, not by wait_for_function: the CSP forbids eval
            lcp = page.evaluate("() => window.__lcp")
            if lcp is not None:
                return float(lcp)
            page.wait_for_timeout(100)
        raise RuntimeError(f"no largest-contentful-paint entry for {url}")

    def summary(samples: list[float]) -> dict[str, Any]:
        return {
            "runs": [round(s, 1) for s in samples],
            "median_ms": round(percentile(samples, 50), 1),
            "max_ms": round(max(samples), 1),
            "met": max(samples) < LCP_TARGET_MS,
        }

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium")
        for name, path in wanted.items():
            user = users[name]
            cold, warm = [], []
            for run in range(runs + 1):
                # cold: a fresh context each time (nothing cached: CSS, fonts, scripts all fetched)
                context = browser.new_context()
                if user in cookies:
                    context.add_cookies([{"name": SESSION_COOKIE, "value": cookies[user], "url": base}])
                page = context.new_page()
                watch(page)
                if run < runs:
                    cold.append(lcp_of(page, base + path))
                    context.close()
            # warm: the last context again and again, as someone working with the pages all day
            for _ in range(runs):
                warm.append(lcp_of(page, base + path))
            context.close()
            figures["lcp"][name] = {"path": path, "cold": summary(cold), "warm": summary(warm)}
            print(
                f"  LCP {name:<32} cold: median {percentile(cold, 50):6.1f} max {max(cold):6.1f} ms;"
                f"  warm: median {percentile(warm, 50):6.1f} max {max(warm):6.1f} ms"
            )
        browser.close()
    figures["other_hosts"] = sorted(h for h in figures["hosts"] if h != host)
    figures["hosts"] = sorted(figures["hosts"])
    own = {p: n for p, n in figures["scripts"].items() if "htmx" not in p}
    figures["own_js_bytes"] = sum(own.values())
    figures["only_htmx_and_own"] = all(p.startswith("/static/") for p in figures["scripts"])
    return figures


# -------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--papers", type=int, default=100_000, help="papers in the world (default 100000)")
    parser.add_argument("--seed", type=int, default=3, help="seed of the generated world (default 3)")
    parser.add_argument(
        "--with-steps",
        type=float,
        default=0.35,
        help="share of submitted papers with a Beratungsfolge (0.35)",
    )
    parser.add_argument("--database", default=world.NAME, help=f"the kept database (default {world.NAME})")
    parser.add_argument("--rebuild", action="store_true", help="build the world anew even if it is current")
    parser.add_argument("--drop", action="store_true", help="drop the kept database and end")
    parser.add_argument(
        "--repeat", type=int, default=100, help="measured requests per page type (default 100)"
    )
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured requests first (default 5)")
    parser.add_argument("--max-seconds", type=float, default=8.0, help="per page type at most (default 8 s)")
    parser.add_argument(
        "--deep-page", type=int, default=200, help="the deep search page (default 200, of 25)"
    )
    parser.add_argument("--only", default="", help="only page types whose name contains this text")
    parser.add_argument(
        "--browser", action=argparse.BooleanOptionalAction, default=True, help="LCP in Chromium"
    )
    parser.add_argument("--lcp-runs", type=int, default=5, help="page loads per LCP figure (default 5)")
    parser.add_argument("--app", default="api.main:app", help="the ASGI app (default api.main:app)")
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS", help="wait for idle CPUs")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--save-html", type=Path, metavar="DIR", help="write each page type's first answer here"
    )
    args = parser.parse_args(argv)
    if args.drop:
        world.drop_world(args.database)
        print(f"dropped {args.database}")
        return 0

    print(f"pages: the web pages over HTTP to one uvicorn process ({args.app}), one request at a time")
    wait_until_quiet(args.wait_quiet)
    load_before = load_average()
    busy_before = busy_share()
    if warning := busy_warning(busy_before):
        print(warning)
    started = time.perf_counter()
    url, built = world.ensure_world(
        args.papers, args.seed, args.with_steps, rebuild=args.rebuild, name=args.database
    )
    print(
        f"world in {args.database} (PostgreSQL {postgres_version(url)}): "
        + ("built" if built else "kept from an earlier run")
        + f", {time.perf_counter() - started:.1f} s"
    )
    every_type, cookies = page_types(url, args.deep_page)
    types = [t for t in every_type if args.only in t.name]
    print(
        f"measure: {args.warmup} unmeasured + up to {args.repeat} measured requests per page type; "
        "p50/p95/max of the time to the last byte, the largest answer, and the CPU per request of the "
        "API process + PostgreSQL (less sensitive to other load than the times)"
    )
    browser: dict[str, Any] = {}
    with Server(args.app, env={"GREMIENLAUF_DATABASE_URL": url}) as app:
        results = asyncio.run(
            measure(
                app, args.database, types, cookies, args.repeat, args.warmup, args.max_seconds, args.save_html
            )
        )
        if args.browser:
            print(f"browser: Chromium, {args.lcp_runs} loads per page, fresh context each")
            browser = browser_figures(f"http://{app.host}:{app.port}", every_type, cookies, args.lcp_runs)

    print("verdicts:")
    for group, target in (
        ("public", PUBLIC_TARGET_MS),
        ("search", SEARCH_TARGET_MS),
        ("staff", STAFF_TARGET_MS),
    ):
        judged = [m for m in results if m.page.group == group]
        missed = [m for m in judged if not m.summary()["time_met"]]
        print(
            f"  {group}: p95 < {target:g} ms met in {len(judged) - len(missed)} of {len(judged)} page types"
        )
        for m in missed:
            print(f"    NOT met: {m.page.name} (p95 {m.summary()['p95_ms']:.1f} ms)")
    oversized = [m for m in results if m.summary()["size_met"] is False]
    print(f"  HTML < 60 KB: met in {sum(1 for m in results if m.page.html) - len(oversized)} page types")
    for m in oversized:
        print(f"    NOT met: {m.page.name} ({m.summary()['max_kb']} KB)")
    if browser:
        print(
            f"  hosts requested: {browser['hosts']} (others: {browser['other_hosts'] or 'none'}); scripts: "
            f"{browser['scripts']}; own JavaScript {browser['own_js_bytes']} bytes "
            f"({'met' if browser['own_js_bytes'] <= OWN_JS_LIMIT else 'NOT met'})"
        )
        for name, lcp in browser["lcp"].items():
            verdicts = ", ".join(
                f"{cache} cache {'met' if lcp[cache]['met'] else 'NOT met'} (max {lcp[cache]['max_ms']} ms)"
                for cache in ("cold", "warm")
            )
            print(f"  LCP < 500 ms, {name}: {verdicts}")
    write_json(
        args.json,
        {
            "benchmark": "pages",
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "cpu_busy_before": round(busy_before, 3),
            "load_average_before": load_before,
            "load_average_after": load_average(),
            "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "world_built_now": built,
            "pages": {m.page.name: m.summary() for m in results},
            "browser": browser,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
