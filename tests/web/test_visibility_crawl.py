"""One visibility rule, checked from outside: everything a citizen can reach without a login (the web pages
from the start pages on, the JSON API without a token, OParl from its System, the calendar feeds, every
document download) is crawled through every link, and no non-public id or marker text may appear anywhere;
each non-public object asked for directly answers 404.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from httpx import Response
from sqlalchemy import select

from api.web import links
from tests.oparl.crawler import Crawl
from tests.oparl.world import hidden_paths
from tests.web.portal import PUBLIC_URL, PageCrawl, Portal, _readable
from tests.web.portal_world import MARKER
from workflow.models import AgendaItem, Body, Meeting, Municipality, Paper, StoredFile

TOWNS = ("wetzlar", "duisburg", "wilhelmshaven")
OPARL = PUBLIC_URL + "/oparl/v1"

#: Keys of the JSON API's answers that name an object of another kind (OParl's path segments).
ID_KEYS = {
    "paper_id": "paper",
    "meeting_id": "meeting",
    "agenda_item_id": "agendaitem",
    "consultation_id": "consultation",
    "master_file_id": "file",
}
#: Lists whose elements' ``id`` is of that kind.
LIST_KINDS = {"consultations": "consultation", "agenda_items": "agendaitem"}


def named_ids(node: Any, kind: str | None) -> Iterator[tuple[str, int]]:
    """Every (kind, id) an answer of the JSON API names."""
    if isinstance(node, dict):
        if kind and isinstance(node.get("id"), int):
            yield kind, node["id"]
        for key, value in node.items():
            if key in ID_KEYS and isinstance(value, int):
                yield ID_KEYS[key], value
            elif isinstance(value, dict | list):
                yield from named_ids(value, LIST_KINDS.get(key, kind if key == "items" else None))
    elif isinstance(node, list):
        for value in node:
            yield from named_ids(value, kind)


@dataclass
class ApiCrawl:
    """The JSON API without a token: the lists, and every paper, meeting, TOP result and document in them."""

    portal: Portal
    answers: dict[str, Response] = field(default_factory=dict)
    named: set[tuple[str, int]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def get(self, url: str, kind: str | None, *, may_be_missing: bool = False) -> Any:
        response = self.portal.client.get(url)
        self.answers[url] = response
        if response.status_code == 404 and may_be_missing:
            return None
        if response.status_code != 200:
            self.problems.append(f"{url}: {response.status_code}")
            return None
        if not response.headers["content-type"].startswith("application/json"):
            return None
        body = response.json()
        self.named |= set(named_ids(body, kind))
        return body

    def pages(self, url: str, kind: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.get(url + "?limit=200" + (f"&cursor={cursor}" if cursor else ""), kind)
            if page is None:
                return items
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items

    def run(self, town: str) -> ApiCrawl:
        base = f"/api/v1/{town}"
        documents: set[int] = set()
        for paper in self.pages(f"{base}/papers", "paper"):
            self.get(f"{base}/papers/{paper['id']}", "paper")
            self.get(f"{base}/papers/{paper['id']}/status", None)
            self.get(f"{base}/papers/{paper['id']}/transitions", None)
            documents |= {d["id"] for d in self.get(f"{base}/papers/{paper['id']}/documents", "file") or []}
        for listed in self.pages(f"{base}/meetings", "meeting"):
            meeting = self.get(f"{base}/meetings/{listed['id']}", "meeting") or {"agenda_items": []}
            for item in meeting["agenda_items"]:
                self.get(f"{base}/agenda-items/{item['id']}/result", None, may_be_missing=True)
            documents |= {
                d["id"] for d in self.get(f"{base}/meetings/{listed['id']}/documents", "file") or []
            }
        for document in sorted(documents):
            self.get(f"{base}/documents/{document}", "file")
            self.get(f"{base}/documents/{document}/content", None)
        with self.portal.db.sessions() as s:
            town_id = s.scalars(select(Municipality.id).where(Municipality.key == town)).one()
            bodies = s.scalars(select(Body).where(Body.municipality_id == town_id)).all()
            for body in bodies:
                self.get(f"{base}/bodies/{body.key}/calendar.ics", None, may_be_missing=not body.public)
        return self


@dataclass
class Surfaces:
    pages: PageCrawl
    api: ApiCrawl
    oparl: Crawl
    downloads: dict[str, Response]

    def everything(self) -> str:
        return "\n".join(
            [
                self.pages.text(),
                *(_readable(r) for r in self.api.answers.values()),
                *self.oparl.texts,
                *(_readable(r) for r in self.downloads.values()),
            ]
        )


@pytest.fixture(scope="module")
def surfaces(portal: Portal) -> Surfaces:
    starts = ["/", *(links.start(t) for t in TOWNS), *(links.search(t) for t in TOWNS)]
    pages = PageCrawl(portal.client).run(*starts)
    api = ApiCrawl(portal)
    for town in TOWNS:
        api.run(town)
    oparl = Crawl(portal.client, None, OPARL).run(f"{OPARL}/system")
    downloads = {url: portal.client.get(url) for url in sorted(oparl.file_urls)}
    return Surfaces(pages, api, oparl, downloads)


def test_the_crawl_reaches_every_public_surface_and_every_answer_is_fine(
    portal: Portal,
    surfaces: Surfaces,
) -> None:
    assert surfaces.pages.problems == []
    assert surfaces.api.problems == []
    assert surfaces.oparl.problems == []
    assert all(r.status_code == 200 for r in surfaces.downloads.values())
    world = portal.world
    with portal.db.sessions() as s:
        open_paper = links.paper("wetzlar", s.get_one(Paper, world.private_item_paper))
        sjs = links.meeting(s, "wetzlar", s.get_one(Meeting, world.sjs_meeting))
    # the public side of the world is there: its paper and meeting pages, their documents, the feeds
    assert open_paper in surfaces.pages.pages
    assert sjs in surfaces.pages.pages
    assert any("/dokumente/" in url for url in surfaces.pages.pages)
    for page_type in (
        "/wetzlar/sitzungen?",
        "/wetzlar/gremien/",
        "/wetzlar/personen/",
        "/wetzlar/fraktionen/",
        "/wetzlar/feeds/vorlagen.atom",
        "/wetzlar/feeds/suche.atom",
        "/ergebnisse.atom",
        "/calendar.ics",
        "/wetzlar/impressum",
        "/wetzlar/leichte-sprache",
    ):
        assert any(page_type in url for url in surfaces.pages.pages), page_type
    assert any(url.endswith("calendar.ics") for url in surfaces.api.answers)
    assert ("paper", world.private_item_paper) in surfaces.api.named
    assert ("meeting", world.sjs_meeting) in surfaces.api.named
    assert surfaces.downloads, "OParl links public files"


def test_no_marker_text_appears_on_any_public_surface(surfaces: Surfaces) -> None:
    everything = surfaces.everything()
    found = [everything[max(0, m.start() - 80) : m.end() + 40] for m in re.finditer(MARKER, everything)]
    assert found == []


def _hidden(portal: Portal) -> dict[str, set[int]]:
    hidden = hidden_paths(portal.db.sessions)
    world = portal.world
    assert {world.secret_paper, world.oparl.secret_paper} <= hidden["paper"]
    assert {world.private_item, world.plain_item, world.secret_item} <= hidden["agendaitem"]
    assert world.magistrat_meeting in hidden["meeting"]
    assert set(world.marker_files) <= hidden["file"]
    return hidden


def test_no_non_public_id_is_named_by_the_json_api(portal: Portal, surfaces: Surfaces) -> None:
    hidden = _hidden(portal)
    leaks = sorted((kind, i) for kind, i in surfaces.api.named if i in hidden.get(kind, set()))
    assert leaks == []


def test_no_non_public_object_is_linked_by_oparl(portal: Portal, surfaces: Surfaces) -> None:
    hidden = _hidden(portal)
    everything = "\n".join(surfaces.oparl.texts)
    leaks = [
        f"{segment}/{object_id}"
        for segment, ids in hidden.items()
        for object_id in ids
        if object_id != portal.world.oparl.depublished_paper or segment != "paper"
        if re.search(re.escape(f'"{OPARL}/{segment}/{object_id}') + r'["/]', everything)
    ]
    assert leaks == []


def _hidden_addresses(portal: Portal) -> dict[str, str]:
    """The web address of each non-public paper, meeting and document → what it is."""
    hidden = _hidden(portal)
    addresses: dict[str, str] = {}
    with portal.db.sessions() as s:
        towns = {t.id: t.key for t in s.scalars(select(Municipality))}
        for paper in s.scalars(select(Paper).where(Paper.id.in_(hidden["paper"]))):
            addresses[links.paper(towns[paper.municipality_id], paper)] = f"paper {paper.id}"
        for meeting in s.scalars(select(Meeting).where(Meeting.id.in_(hidden["meeting"]))):
            addresses[links.meeting(s, towns[meeting.municipality_id], meeting)] = f"meeting {meeting.id}"
        for row in s.scalars(select(StoredFile).where(StoredFile.id.in_(hidden["file"]))):
            addresses[f"/{towns[row.municipality_id]}/dokumente/{row.id}/"] = f"file {row.id}"
    return addresses


def test_no_page_links_or_names_a_non_public_object(portal: Portal, surfaces: Surfaces) -> None:
    addresses = _hidden_addresses(portal)
    texts = surfaces.pages.text()
    leaks = sorted(
        what for address, what in addresses.items() if re.search(re.escape(address) + r'["/?]', texts)
    )
    assert leaks == []
    assert not set(addresses) & set(surfaces.pages.pages)
    hidden = _hidden(portal)
    open_data = [
        f"{segment}/{i}"
        for segment, ids in hidden.items()
        for i in ids
        if re.search(re.escape(f"{OPARL}/{segment}/{i}") + r'["/]', texts)
    ]
    assert open_data == []


def test_each_non_public_object_asked_for_directly_answers_404(portal: Portal) -> None:
    hidden = _hidden(portal)
    client = portal.client
    with portal.db.sessions() as s:
        towns = {t.id: t.key for t in s.scalars(select(Municipality))}
        paper_town = dict(s.execute(select(Paper.id, Paper.municipality_id)).tuples().all())
        meeting_town = dict(s.execute(select(Meeting.id, Meeting.municipality_id)).tuples().all())
        item_meeting = dict(s.execute(select(AgendaItem.id, AgendaItem.meeting_id)).tuples().all())
        file_town = dict(s.execute(select(StoredFile.id, StoredFile.municipality_id)).tuples().all())
    urls = []
    for i in hidden["paper"]:
        base = f"/api/v1/{towns[paper_town[i]]}/papers/{i}"
        urls += [base, f"{base}/status", f"{base}/documents", f"{base}/transitions"]
    for i in hidden["meeting"]:
        base = f"/api/v1/{towns[meeting_town[i]]}/meetings/{i}"
        urls += [base, f"{base}/documents"]
    for i in hidden["agendaitem"]:
        urls.append(f"/api/v1/{towns[meeting_town[item_meeting[i]]]}/agenda-items/{i}/result")
    for i in hidden["file"]:
        town = towns[file_town[i]]
        urls += [f"/api/v1/{town}/documents/{i}", f"/api/v1/{town}/documents/{i}/content"]
        urls.append(f"/{town}/dokumente/{i}/datei.pdf")
    urls += list(_hidden_addresses(portal))
    answered = {url: client.get(url).status_code for url in urls}
    assert {url: status for url, status in answered.items() if status != 404} == {}


def test_a_decision_taken_in_private_is_not_told_by_state_or_filter(portal: Portal) -> None:
    paper_id = portal.world.magistrat_paper
    body = portal.client.get(f"/api/v1/wetzlar/papers/{paper_id}").json()
    assert body["state"] is None
    assert body["resolution_text"] is None
    assert body["decided_at"] is None
    status = portal.client.get(f"/api/v1/wetzlar/papers/{paper_id}/status").json()
    assert status["state"] is None
    assert all(step["outcome"] is None for step in status["steps"] if step["body"] == "Magistrat")
    adopted = portal.client.get("/api/v1/wetzlar/papers?state=adopted&limit=200").json()["items"]
    assert paper_id not in {p["id"] for p in adopted}
    listed = portal.client.get("/api/v1/wetzlar/papers?limit=200").json()["items"]
    assert {p["id"]: p["state"] for p in listed}[paper_id] is None
    page = portal.client.get("/wetzlar/vorlagen?status=adopted")
    assert "Neue Dienstwagenordnung" not in page.text
    # the coordination office sees what it is
    with portal.db.sessions() as s:
        assert s.get_one(Paper, paper_id).state == "adopted"
    assert json.dumps(body).count("adopted") == 0
