"""Benchmark: listing and searching papers with 100,000 papers in the database.

Target (issue 3, "Speed"): p95 under 50 ms for the first page and for a page 900 pages deep.

What it does:

1. A scratch PostgreSQL database ``gl_bench_list_<pid>``: the migrations, the Wetzlar municipality and four
   users (coordination office, a department, a council member, a secretary).
2. ``--papers`` papers (default 100,000) of Wetzlar bulk-loaded with ``COPY``: German subjects, proposed
   resolutions and justifications from a fixed vocabulary (seeded, so every run loads the same data), the
   SQLite search text exactly as ``workflow.search`` computes it, states by age (recent papers are drafts
   or in deliberation, older ones decided), four departments, five kinds, 8 % non-public, and a
   Beratungsfolge (Magistrat → a committee → Stadtverordnetenversammlung) for 70 % of the submitted ones.
   The full-text index is dropped for the load and rebuilt with its own definition; then VACUUM ANALYZE.
3. One uvicorn process of the app as shipped (``api.main:app``, ``--workers 1``, 127.0.0.1, a free port).
4. Measured over HTTP against that process by one client in this process, one request after the other
   (latency of a single request, not throughput): each scenario ``--repeat`` times after ``--warmup``
   unmeasured requests. "Page 900" is ``?cursor=…`` for the 900th page of 50: the cursor is found by
   following ``next_cursor`` (with ``limit=200`` to get there faster; for the coordination office's list
   also page by page, which is measured as its own scenario and must end at the same cursor).
5. ``--explain``: the PostgreSQL plan (EXPLAIN ANALYZE) of each scenario's paper query, captured in-process.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import re
import sys
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine

from api.paper_search import encode_cursor
from benchmarks.common import (
    HttpConnection,
    Server,
    busy_share,
    busy_warning,
    load_average,
    machine,
    percentile,
    postgres_version,
    scratch_database,
    wait_until_quiet,
    write_json,
)
from workflow.access import Role, add_user
from workflow.db import make_engine, make_session_factory, upgrade
from workflow.models import Base, Body, Department, Municipality
from workflow.municipality import example_path
from workflow.rules import BERLIN
from workflow.search import search_document, stems
from workflow.setup import import_municipality
from workflow.vocabulary import OUTCOME_WORDING, Outcome, PaperKind, PaperState

TOWN = "wetzlar"
PASSWORD = "benchmark-passwort"
SETUP_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
PAGE = 50  # the API's default page size
DEEP_PAGE = 900
USERS = {
    "coordination": ("bench-koordination", Role.coordination, {}),
    "department": ("bench-fachamt", Role.department, {"department": "kbs"}),
    "council_member": ("bench-mitglied", Role.council_member, {"person": "baumann"}),
    "secretary": ("bench-schrift", Role.secretary, {"bodies": ["sjs"]}),
    "admin": ("bench-admin", Role.admin, {}),
}

# ------------------------------------------------------------------------------------ the papers

DISTRICTS = [
    "Altstadt", "Büblingshausen", "Dalheim", "Dutenhofen", "Garbenheim", "Hermannstein", "Hohl",
    "Münchholzhausen", "Nauborn", "Naunheim", "Niedergirmes", "Steindorf", "Blasbach", "Westend",
]  # fmt: skip
SCHOOLS = [
    "Grundschule", "Kindertagesstätte", "Gesamtschule", "Förderschule", "Sporthalle", "Jugendzentrum",
    "Stadtteilbibliothek", "Kinderkrippe",
]  # fmt: skip
CLUBS = [
    "Turnverein 1861 Wetzlar e. V.", "Förderverein der Musikschule", "Kinderschutzbund Wetzlar",
    "Tafel Wetzlar e. V.", "Sportgemeinschaft Dutenhofen", "Heimatverein Naunheim", "Seniorenbeirat",
    "Jugendfeuerwehr Hermannstein", "Kulturverein Franzis", "Lahn-Dill-Akademie",
]  # fmt: skip
STREETS = [
    "Bahnhofstraße", "Karl-Kellner-Ring", "Hauser Gasse", "Langgasse", "Frankfurter Straße", "Schanzenfeld",
    "Brühlsbachstraße", "Magdalenenhäuser Weg", "Garbenheimer Straße", "Wöllbacher Straße",
]  # fmt: skip
FIELDS = [
    "Am Stoppelberg",
    "Auf der Lahnaue",
    "Im Langen Feld",
    "Magdalenenhausen",
    "Hinter dem Dom",
    "Blankenfeld",
]
FACTIONS = [
    "SPD-Fraktion",
    "CDU-Fraktion",
    "Fraktion Bündnis 90/Die Grünen",
    "Fraktion Freie Wähler",
    "FDP-Fraktion",
]
TOPICS = [
    "Ausbau der Ganztagsbetreuung", "Sanierung der Radwege", "Beleuchtung der Fußgängerunterführung",
    "Öffnungszeiten des Bürgerbüros", "Parkraumbewirtschaftung in der Altstadt", "Barrierefreiheit der Bushaltestellen",
    "Starkregenvorsorge", "Photovoltaik auf städtischen Dächern", "Schulwegsicherung", "Hundekotbeutelspender",
]  # fmt: skip
SUBJECTS = [
    "Sanierung der {school} {district}",
    "Neubau einer {school} in {district}",
    "Bebauungsplan Nr. {n} „{field}“ – Aufstellungsbeschluss",
    "Bebauungsplan Nr. {n} „{field}“ – Satzungsbeschluss",
    "Zuschuss an den Verein {club} für das Jahr {year}",
    "Ausbau der {street} im Stadtteil {district}",
    "Haushaltssatzung und Haushaltsplan für das Haushaltsjahr {year}",
    "Jahresabschluss {year} der Stadtwerke Wetzlar GmbH",
    "Beschaffung eines Löschgruppenfahrzeugs für die Freiwillige Feuerwehr {district}",
    "Gebührenkalkulation für die Abwasserbeseitigung {year}",
    "Neufassung der Satzung über die Benutzung der Kindertagesstätten",
    "Radverkehrskonzept für den Stadtteil {district}",
    "Unterbringung von Geflüchteten in {district}",
    "Förderprogramm Lebendige Zentren: Maßnahmen in {district}",
    "Antrag der {faction}: {topic}",
    "Anfrage der {faction} zur {topic}",
    "Bericht über die Ferienspiele {year}",
    "Vergabe der Bauleistungen für die {school} {district}",
    "Widmung der {street} als Gemeindestraße",
    "Benennung eines Platzes in {district}",
]
RARE_SUBJECT = "Städtepartnerschaft mit Avignon: Jubiläumsbesuch {year}"  # about 1 paper in 500
RESOLUTIONS = [
    "Die Stadtverordnetenversammlung beschließt die Vorlage. Der Magistrat wird beauftragt, die erforderlichen "
    "Maßnahmen einzuleiten und die Mittel im Haushalt bereitzustellen.",
    "Die Stadtverordnetenversammlung stimmt dem Vorschlag zu und beauftragt den Magistrat mit der Umsetzung.",
    "Der Bericht wird zur Kenntnis genommen.",
    "Die Stadtverordnetenversammlung beschließt die Satzung in der vorliegenden Fassung.",
    "Der Magistrat wird beauftragt, bis zum Jahresende ein Konzept vorzulegen.",
]
SENTENCES = [
    "Die Kosten betragen voraussichtlich {amount} Euro und sind im Haushalt {year} veranschlagt.",
    "Der Ortsbeirat {district} wurde beteiligt und hat der Maßnahme zugestimmt.",
    "Die Maßnahme ist Teil des Integrierten Stadtentwicklungskonzepts.",
    "Fördermittel des Landes Hessen wurden beantragt.",
    "Die Verwaltung empfiehlt, dem Beschlussvorschlag zu folgen.",
    "Die Bauarbeiten sollen im Frühjahr beginnen und im Herbst abgeschlossen sein.",
    "Die Elternbeiräte der Kindertagesstätten wurden angehört.",
    "Eine Bürgerversammlung fand am {day}. {month} statt.",
    "Der Kinder- und Jugendbeirat unterstützt das Vorhaben.",
    "Die Folgekosten für Unterhaltung und Betrieb betragen jährlich {amount} Euro.",
    "Die Stellungnahme der Kämmerei liegt bei.",
    "Das Rechtsamt hat die Satzung geprüft.",
]
OPENING = "Der Magistrat hat die Vorlage in seiner Sitzung am {day}. {month} {year} beraten."
DEPARTMENTS = ["kbs", "kaemmerei", "rechtsamt", "hauptamt"]
COMMITTEES = ["sjs", "kfp", "fwa"]
KINDS = [
    (PaperKind.beschlussvorlage, 0.6),
    (PaperKind.mitteilungsvorlage, 0.2),
    (PaperKind.antrag, 0.1),
    (PaperKind.anfrage, 0.07),
    (PaperKind.aenderungsantrag, 0.03),
]
DECIDED_STATES = [
    (PaperState.adopted, 0.70),
    (PaperState.adopted_amended, 0.08),
    (PaperState.rejected, 0.10),
    (PaperState.withdrawn, 0.05),
    (PaperState.settled, 0.07),
]
OPEN_STATES = [
    (PaperState.draft, 0.25),
    (PaperState.cosigning, 0.05),
    (PaperState.submitted, 0.25),
    (PaperState.in_deliberation, 0.45),
]
FIRST_DAY = dt.date(2011, 4, 1)
DRAFT_STATES = {PaperState.draft, PaperState.cosigning}
PAPER_COLUMNS = [
    "id", "version", "municipality_id", "kind", "state", "reference", "file_reference", "department_id",
    "paper_date", "subject", "proposed_resolution", "justification", "financial_impact", "public",
    "signed_place", "signed_on", "signatory_id", "submitted_at", "decided_at", "resolution_text",
    "superseded_by_id", "closing_reason", "pending_approval", "search_text", "created_at", "modified_at",
]  # fmt: skip
STEP_COLUMNS = [
    "id", "version", "paper_id", "body_id", "stage", "position", "role", "authoritative", "state",
    "meeting_id", "agenda_item_id", "outcome", "outcome_wording", "resolution_text", "referred_from_id",
    "quorum_failed", "urgency", "urgency_reason", "state_withheld", "created_at", "modified_at",
]  # fmt: skip


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


_WORD = re.compile(r"\w+", re.UNICODE)  # the word boundaries of workflow.search


class Stemmer:
    """``workflow.search.search_document`` with a cache per word (the vocabulary is small)."""

    def __init__(self) -> None:
        self._cache: dict[str, str] = {}

    def _stem(self, word: str) -> str:
        stem = self._cache.get(word)
        if stem is None:
            stem = self._cache[word] = stems(word)[0]
        return stem

    def document(self, *texts: str) -> str:
        seen = dict.fromkeys(self._stem(word.lower()) for text in texts for word in _WORD.findall(text))
        return " " + " ".join(seen) + " "


@dataclass
class Generated:
    papers: list[tuple[Any, ...]] = field(default_factory=list)
    steps: list[tuple[Any, ...]] = field(default_factory=list)
    counters: dict[int, int] = field(default_factory=dict)  # year → last Drucksachen-Nr.


def generate(
    count: int,
    town_id: int,
    departments: dict[str, int],
    bodies: dict[str, int],
    seed: int,
    *,
    first_day: dt.date = FIRST_DAY,
    with_steps: float = 0.7,
) -> Generated:
    """``count`` papers from ``first_day`` to today, oldest first (so ids grow with time), with their steps
    (a Beratungsfolge for the share ``with_steps`` of the submitted papers)."""
    rng = random.Random(seed)
    stemmer = Stemmer()
    out = Generated()
    today = dt.datetime.now(BERLIN).date()
    span = (today - first_day).days
    step_id = 0
    for number in range(1, count + 1):
        day = first_day + dt.timedelta(days=span * (number - 1) // count)
        age = (today - day).days
        kind: PaperKind = _pick(rng, KINDS)
        words = {
            "school": rng.choice(SCHOOLS),
            "district": rng.choice(DISTRICTS),
            "n": rng.randint(1, 450),
            "field": rng.choice(FIELDS),
            "club": rng.choice(CLUBS),
            "year": day.year + rng.choice((0, 0, 1)),
            "street": rng.choice(STREETS),
            "faction": rng.choice(FACTIONS),
            "topic": rng.choice(TOPICS),
            "amount": f"{rng.randint(5, 2500) * 1000:,}".replace(",", "."),
            "day": rng.randint(1, 28),
            "month": rng.choice(["Januar", "März", "Mai", "Juni", "September", "November"]),
        }
        template = RARE_SUBJECT if rng.random() < 0.002 else rng.choice(SUBJECTS)
        subject = template.format(**words)
        resolution = (
            RESOLUTIONS[2]
            if kind in (PaperKind.mitteilungsvorlage, PaperKind.anfrage)
            else rng.choice(RESOLUTIONS)
        )
        sentences = [s.format(**words) for s in rng.sample(SENTENCES, rng.randint(3, 6))]
        if kind != PaperKind.anfrage and rng.random() < 0.9:
            sentences.insert(0, OPENING.format(**words))
        justification = " ".join(sentences)
        if age > 240:
            state: PaperState = (
                PaperState.noted
                if kind in (PaperKind.mitteilungsvorlage, PaperKind.anfrage)
                else _pick(rng, DECIDED_STATES)
            )
        else:
            state = _pick(rng, OPEN_STATES)
        created = dt.datetime.combine(day, dt.time(9, 0), tzinfo=BERLIN)
        submitted = None if state in DRAFT_STATES else created + dt.timedelta(days=2)
        decided = submitted + dt.timedelta(days=60) if submitted and age > 240 else None
        reference = None
        if submitted is not None:
            year = submitted.year
            out.counters[year] = out.counters.get(year, 0) + 1
            reference = f"{out.counters[year]:04d}/{year % 100:02d}"
        modified = decided or submitted or created
        department = rng.choice(DEPARTMENTS)
        closing = "Durch Zeitablauf erledigt." if state == PaperState.settled else None
        if state == PaperState.withdrawn:
            closing = "Die Vorlage wird von der Verwaltung zurückgezogen."
        out.papers.append(
            (
                number, 1, town_id, kind.value, state.value, reference,
                f"{department.upper()}-{rng.randint(10, 99)}.{rng.randint(100, 999)}", departments[department],
                day, subject, resolution, justification, rng.random() < 0.3, rng.random() >= 0.08,
                "Wetzlar" if submitted else None, submitted.date() if submitted else None, None,
                submitted, decided, resolution if state == PaperState.adopted else None, None, closing, None,
                stemmer.document(subject, resolution, justification), created, modified,
            )
        )  # fmt: skip
        if submitted is None or rng.random() >= with_steps:
            continue
        plan = [("magistrat", 1, "preliminary"), (rng.choice(COMMITTEES), 2, "preliminary")]
        plan.append(("stvv", 3, "notice" if kind == PaperKind.mitteilungsvorlage else "decision"))
        for body, stage, role in plan:
            if state in (PaperState.submitted,) or (state == PaperState.in_deliberation and stage > 1):
                step_state, outcome = "planned", None
            elif state == PaperState.in_deliberation or role != "decision":
                step_state, outcome = "dealt_with", Outcome.noted if role == "notice" else Outcome.recommended
            elif state in (PaperState.withdrawn, PaperState.settled):
                step_state, outcome = (
                    "closed",
                    Outcome.withdrawn if state == PaperState.withdrawn else Outcome.settled,
                )
            else:
                step_state = "dealt_with"
                outcome = {
                    PaperState.adopted: Outcome.adopted,
                    PaperState.adopted_amended: Outcome.adopted_amended,
                    PaperState.rejected: Outcome.rejected,
                }.get(state, Outcome.noted)
            step_id += 1
            out.steps.append(
                (
                    step_id, 1, number, bodies[body], stage, 0, role, role == "decision",
                    step_state, None, None, outcome.value if outcome else None,
                    OUTCOME_WORDING[outcome] if outcome else None, None, None, False, None, None, False, created,
                    modified,
                )
            )  # fmt: skip
    return out


def load_papers(url: str, count: int, seed: int) -> dict[str, int]:
    """Bulk-load the papers with COPY; returns how many of each state."""
    engine = make_engine(url)
    with engine.connect() as conn:
        town_id = conn.execute(select(Municipality.id).where(Municipality.key == TOWN)).scalar_one()
        departments = {k: i for k, i in conn.execute(select(Department.key, Department.id))}
        bodies = {
            k: i for k, i in conn.execute(select(Body.key, Body.id).where(Body.municipality_id == town_id))
        }
        index = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_paper_search_vector'")
        ).scalar_one()
    for table, columns in (("paper", PAPER_COLUMNS), ("consultation", STEP_COLUMNS)):
        missing = {c.name for c in Base.metadata.tables[table].columns} ^ set(columns)
        if missing:
            raise RuntimeError(
                f"the model of {table} changed; update the benchmark's columns: {sorted(missing)}"
            )
    started = time.perf_counter()
    data = generate(count, town_id, departments, bodies, seed)
    for row in data.papers[:: max(1, count // 200)]:  # the cached stemming gives what the app computes
        assert row[23] == search_document(row[9], row[10], row[11]), row[0]
    print(
        f"  generated {len(data.papers)} papers and {len(data.steps)} steps: {time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as pg:
        pg.execute("DROP INDEX ix_paper_search_vector")
        for table, columns, rows in (
            ("paper", PAPER_COLUMNS, data.papers),
            ("consultation", STEP_COLUMNS, data.steps),
        ):
            quoted = ", ".join(f'"{c}"' for c in columns)
            with pg.cursor().copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            pg.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        for year, last in data.counters.items():
            pg.execute(
                "INSERT INTO reference_counter (municipality_id, year, last_number) VALUES (%s, %s, %s)",
                (town_id, year, last),
            )
        print(f"  COPY: {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        pg.execute(index)  # the full-text index exactly as the migration defined it
        pg.commit()
    print(f"  full-text index rebuilt: {time.perf_counter() - started:.1f} s")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        counted = conn.execute(text("SELECT state, count(*) FROM paper GROUP BY state ORDER BY 2 DESC")).all()
    engine.dispose()
    return {str(state): int(n) for state, n in counted}


def set_up_town(url: str) -> None:
    """Migrations, Wetzlar from its example file, the benchmark's users."""
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    import_municipality(sessions, example_path(TOWN), actor="Benchmark", now=SETUP_TIME)
    for username, role, extra in USERS.values():
        add_user(
            sessions,
            municipality=TOWN,
            username=username,
            password=PASSWORD,
            role=role,
            actor="Benchmark",
            now=SETUP_TIME,
            **extra,  # type: ignore[arg-type]
        )
    engine.dispose()


def build_database(url: str, papers: int, seed: int) -> dict[str, int]:
    started = time.perf_counter()
    set_up_town(url)
    by_state = load_papers(url, papers, seed)
    print(f"  {sum(by_state.values())} papers in the database: {time.perf_counter() - started:.1f} s")
    return by_state


# ------------------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class Scenario:
    name: str
    user: str | None  # key of USERS, None for the public
    params: dict[str, str | list[str]] = field(default_factory=dict)
    deep: bool = False  # page 900 instead of the first page
    target: bool = True  # judged against p95 < 50 ms

    def query(self, cursor: str | None = None, limit: int | None = None) -> str:
        params: list[tuple[str, str]] = []
        for key, value in self.params.items():
            params += [(key, v) for v in value] if isinstance(value, list) else [(key, value)]
        if limit is not None:
            params.append(("limit", str(limit)))
        if cursor is not None:
            params.append(("cursor", cursor))
        encoded = urllib.parse.urlencode(params)
        return f"/api/v1/{TOWN}/papers" + (f"?{encoded}" if encoded else "")


COMMON_WORD = "Magistrat"
SCENARIOS = [
    Scenario("list, public, first page", None),
    Scenario("list, public, page 900", None, deep=True),
    Scenario("list, coordination office, first page", "coordination"),
    Scenario("list, coordination office, page 900", "coordination", deep=True),
    Scenario("list, department, first page", "department"),
    Scenario("list, department, page 900", "department", deep=True),
    Scenario("list, council member, first page", "council_member"),
    Scenario("list, council member, page 900", "council_member", deep=True),
    Scenario(f"search '{COMMON_WORD}' (most papers), public, first page", None, {"q": COMMON_WORD}),
    Scenario(f"search '{COMMON_WORD}' (most papers), public, page 900", None, {"q": COMMON_WORD}, deep=True),
    Scenario(
        f"search '{COMMON_WORD}', coordination office, page 900", "coordination", {"q": COMMON_WORD}, deep=True
    ),
    Scenario("search 'Kindertagesstätten' (some), public, first page", None, {"q": "Kindertagesstätten"}),
    Scenario("search 'Städtepartnerschaft' (rare), public, first page", None, {"q": "Städtepartnerschaft"}),
    Scenario("search 'Sanierung Grundschule', coordination, first page", "coordination", {"q": "Sanierung Grundschule"}),
    Scenario("search 'Bebauungsplan Satzungsbeschluss', public, first page", None, {"q": "Bebauungsplan Satzungsbeschluss"}),
    Scenario("filter state=in_deliberation, coordination", "coordination", {"state": "in_deliberation"}),
    Scenario("filter state=withdrawn (rare), coordination", "coordination", {"state": "withdrawn"}),
    Scenario("filter state=adopted+rejected, public", None, {"state": ["adopted", "rejected"]}),
    Scenario("filter department=kaemmerei, coordination", "coordination", {"department": "kaemmerei"}),
    Scenario("filter body=sjs, public", None, {"body": "sjs"}),
    Scenario("filter kind=anfrage, public", None, {"kind": "anfrage"}),
    Scenario("filter date 2015, public", None, {"date_from": "2015-01-01", "date_to": "2015-12-31"}),
    Scenario(
        "filter state+body+date, coordination",
        "coordination",
        {"state": "adopted", "body": "kfp", "date_from": "2016-01-01", "date_to": "2019-12-31"},
    ),
    Scenario(
        "search + filter (q, kind, date), public",
        None,
        {"q": "Zuschuss", "kind": "beschlussvorlage", "date_from": "2018-01-01"},
    ),
]  # fmt: skip
WALK = "walk pages 2…900 by next_cursor, coordination office"


@dataclass
class Measured:
    name: str
    latencies: list[float]
    statuses: dict[int, int]
    items: int  # items on the page (from the last response)
    target: bool

    def summary(self) -> dict[str, Any]:
        return {
            "requests": len(self.latencies),
            "p50_ms": round(percentile(self.latencies, 50), 2),
            "p95_ms": round(percentile(self.latencies, 95), 2),
            "p99_ms": round(percentile(self.latencies, 99), 2),
            "max_ms": round(max(self.latencies), 2),
            "items_on_page": self.items,
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "target_p95_under_50_ms": (percentile(self.latencies, 95) < 50 and set(self.statuses) == {200})
            if self.target
            else None,
        }


async def _get(connection: HttpConnection, path: str, headers: dict[str, str]) -> tuple[float, int, Any]:
    started = time.perf_counter()
    response = await connection.request("GET", path, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed, response.status, response.json() if response.status == 200 else response.body


async def _deep_cursor(connection: HttpConnection, scenario: Scenario, headers: dict[str, str]) -> str:
    """The cursor of page 900 (of 50), by following next_cursor with pages of 200."""
    ids: list[int] = []
    cursor: str | None = None
    wanted = (DEEP_PAGE - 1) * PAGE
    while len(ids) < wanted:
        _, status, body = await _get(connection, scenario.query(cursor, limit=200), headers)
        if status != 200:
            raise RuntimeError(f"{scenario.name}: {status} {body!r}")
        ids += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            raise RuntimeError(f"{scenario.name}: only {len(ids)} papers, fewer than {DEEP_PAGE} pages")
    return encode_cursor(ids[wanted - 1])


async def run_scenarios(
    host: str, port: int, repeat: int, warmup: int, max_seconds: float
) -> tuple[list[Measured], dict[str, str]]:
    connection = HttpConnection(host, port)
    tokens: dict[str, str] = {}
    for key, (username, _role, _extra) in USERS.items():
        body = json.dumps({"username": username, "password": PASSWORD}).encode()
        response = await connection.request("POST", "/api/v1/auth/token", body)
        tokens[key] = response.json()["access_token"]
    results: list[Measured] = []
    cursors: dict[str, str] = {}

    # Page by page to page 900 as the coordination office: the walk itself is measured.
    headers = {"Authorization": f"Bearer {tokens['coordination']}"}
    walk = Measured(WALK, [], {}, 0, target=False)
    _, _, body = await _get(connection, SCENARIOS[2].query(), headers)
    cursor = body["next_cursor"]
    for _page in range(2, DEEP_PAGE):
        elapsed, status, body = await _get(connection, SCENARIOS[2].query(cursor), headers)
        walk.latencies.append(elapsed)
        walk.statuses[status] = walk.statuses.get(status, 0) + 1
        cursor = body["next_cursor"]
    walk.items = len(body["items"])
    results.append(walk)
    walked_cursor = cursor

    for scenario in SCENARIOS:
        headers = {"Authorization": f"Bearer {tokens[scenario.user]}"} if scenario.user else {}
        cursor = None
        if scenario.deep:
            try:
                cursor = await _deep_cursor(connection, scenario, headers)
            except RuntimeError as exc:
                print(f"  {scenario.name:<62} skipped: {exc}")
                continue
            cursors[scenario.name] = cursor
            if scenario.name == SCENARIOS[3].name and cursor != walked_cursor:
                raise RuntimeError(
                    "page 900 by pages of 200 and page by page differ: the keyset order is unstable"
                )
        path = scenario.query(cursor)
        measured = Measured(scenario.name, [], {}, 0, scenario.target)
        began = time.perf_counter()
        for _ in range(warmup):  # at most a few seconds: a slow scenario is slow enough measured
            elapsed, status, body = await _get(connection, path, headers)
            if time.perf_counter() - began > 3:
                break
        began = time.perf_counter()
        while len(measured.latencies) < repeat:
            elapsed, status, body = await _get(connection, path, headers)
            measured.latencies.append(elapsed)
            measured.statuses[status] = measured.statuses.get(status, 0) + 1
            if time.perf_counter() - began > max_seconds and len(measured.latencies) >= 5:
                break
        measured.items = len(body["items"]) if isinstance(body, dict) else 0
        results.append(measured)
        summary = measured.summary()
        verdict = {True: "met", False: "NOT met", None: ""}[summary["target_p95_under_50_ms"]]
        print(
            f"  {scenario.name:<62} p50 {summary['p50_ms']:7.1f} ms  p95 {summary['p95_ms']:7.1f} ms  "
            f"max {summary['max_ms']:7.1f} ms  {measured.items:>3} items  {verdict}"
            + (
                f"  (only {len(measured.latencies)} requests in {max_seconds:g} s)"
                if len(measured.latencies) < repeat
                else ""
            )
        )
    await connection.close()
    return results, cursors


# --------------------------------------------------------------------------------------- explain


@dataclass
class _Capture:
    statements: list[tuple[str, Any]] = field(default_factory=list)


def explain(url: str, cursors: dict[str, str], app_ref: str) -> dict[str, str]:
    """EXPLAIN ANALYZE of each scenario's paper query, captured in-process with the TestClient."""
    import importlib
    import os

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    os.environ["GREMIENLAUF_DATABASE_URL"] = url
    module, _, name = app_ref.partition(":")
    app: FastAPI = getattr(importlib.import_module(module), name)
    engine: Engine = app.state.engine
    capture = _Capture()

    @event.listens_for(engine, "before_cursor_execute")
    def _record(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        if statement.lstrip().startswith("SELECT paper.id"):
            capture.statements.append((statement, parameters))

    plans: dict[str, str] = {}
    with TestClient(app) as client:
        tokens = {
            key: client.post("/api/v1/auth/token", json={"username": u, "password": PASSWORD}).json()[
                "access_token"
            ]
            for key, (u, _r, _e) in USERS.items()
        }
        for scenario in SCENARIOS:
            headers = {"Authorization": f"Bearer {tokens[scenario.user]}"} if scenario.user else {}
            capture.statements.clear()
            client.get(scenario.query(cursors.get(scenario.name)), headers=headers)
            if not capture.statements:
                continue
            statement, parameters = capture.statements[-1]
            raw = engine.raw_connection()
            try:
                cur = raw.cursor()
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                plans[scenario.name] = "\n".join(row[0] for row in cur.fetchall())
            finally:
                raw.close()
    engine.dispose()
    return plans


# ------------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--papers", type=int, default=100_000, help="papers to load (default 100000)")
    parser.add_argument(
        "--repeat", type=int, default=200, help="measured requests per scenario (default 200)"
    )
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured requests first (default 10)")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=15.0,
        help="per scenario at most (default 15 s; at least 5 requests)",
    )
    parser.add_argument("--seed", type=int, default=3, help="seed of the generated papers (default 3)")
    parser.add_argument(
        "--app",
        default="api.main:app",
        help="the ASGI app to measure (default api.main:app, the app as shipped; another app to compare)",
    )
    parser.add_argument("--explain", type=Path, help="write EXPLAIN ANALYZE of every scenario to this file")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="on a shared machine: first wait up to SECONDS for the CPUs to be idle (default 0)",
    )
    parser.add_argument("--keep-database", action="store_true", help="do not drop the scratch database")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.papers < DEEP_PAGE * PAGE:
        parser.error(f"--papers must be at least {DEEP_PAGE * PAGE} for page {DEEP_PAGE}")

    print(
        f"list_search: GET /api/v1/wetzlar/papers, one request at a time, over HTTP to uvicorn ({args.app})"
    )
    wait_until_quiet(args.wait_quiet)
    load_before = load_average()
    busy_before = busy_share()
    warning = busy_warning(busy_before)
    if warning:
        print(warning)
    with scratch_database("list", keep=args.keep_database) as url:
        print(f"setup (PostgreSQL {postgres_version(url)}):")
        by_state = build_database(url, args.papers, args.seed)
        print(f"  by state: {by_state}")
        print(f"measure: {args.warmup} unmeasured + {args.repeat} measured requests per scenario")
        with Server(args.app, env={"GREMIENLAUF_DATABASE_URL": url}) as app:
            results, cursors = asyncio.run(
                run_scenarios(app.host, app.port, args.repeat, args.warmup, args.max_seconds)
            )
        walk = results[0].summary()
        print(
            f"  {WALK:<62} p50 {walk['p50_ms']:7.1f} ms  p95 {walk['p95_ms']:7.1f} ms  "
            f"max {walk['max_ms']:7.1f} ms  (every page once)"
        )
        plans = explain(url, cursors, args.app) if args.explain else {}
        if args.explain:
            args.explain.write_text(
                "".join(f"== {name}\n{plan}\n\n" for name, plan in plans.items()), encoding="utf-8"
            )
            print(f"plans written to {args.explain}")

    judged = [m for m in results if m.target]
    met = [m for m in judged if m.summary()["target_p95_under_50_ms"]]
    print(f"target p95 < 50 ms: met in {len(met)} of {len(judged)} scenarios")
    for m in judged:
        if m not in met:
            print(f"  NOT met: {m.name} (p95 {m.summary()['p95_ms']:.0f} ms)")
    write_json(
        args.json,
        {
            "benchmark": "list_search",
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "cpu_busy_before": round(busy_before, 3),
            "load_average_before": load_before,
            "load_average_after": load_average(),
            "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "app": args.app,
            "papers_by_state": by_state,
            "scenarios": {m.name: m.summary() for m in results},
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
