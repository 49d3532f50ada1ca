"""A crawler that reads OParl the way a client does: from the System, every link, every page.

It checks each answer as it goes (status, CORS, JSON, ``id`` equal to the URL fetched, the rules of the
spec's prose) and keeps every object and every raw answer for the tests to look at afterwards.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from tests.oparl.schemas import OparlSchemas

SCHEMA = "https://schema.oparl.org/1.1/"
BODY_LISTS = (
    "organization",
    "person",
    "meeting",
    "paper",
    "legislativeTerm",
    "agendaItem",
    "consultation",
    "file",
    "membership",
    "locationList",
    "legislativeTermList",
)
DELETED_KEYS = {"id", "type", "created", "modified", "deleted"}


def type_name(obj: dict[str, Any]) -> str:
    return str(obj.get("type", "")).removeprefix(SCHEMA)


@dataclass
class Crawl:
    client: TestClient
    schemas: OparlSchemas | None
    base: str
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # fetched at their own URL
    listed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # list URL → all elements
    embedded: list[dict[str, Any]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    file_urls: set[str] = field(default_factory=set)

    def fail(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    def get(self, url: str) -> Any:
        response = self.client.get(url)
        if response.status_code != 200:
            self.fail(url, f"status {response.status_code}: {response.text[:200]}")
            return None
        if response.headers.get("access-control-allow-origin") != "*":
            self.fail(url, "no CORS header")
        if not response.headers.get("content-type", "").startswith("application/json"):
            self.fail(url, f"content type {response.headers.get('content-type')}")
        self.texts.append(response.text)
        return response.json()

    def run(self, start: str) -> Crawl:
        queue: deque[str] = deque([start])
        seen = {start}
        while queue:
            url = queue.popleft()
            answer = self.get(url)
            if answer is None:
                continue
            if "data" in answer:
                elements = self.check_list(url, answer)
                nxt = answer.get("links", {}).get("next")
                if nxt and nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
                found = _urls(elements)
            else:
                self.check_object(url, answer, top=True)
                self.objects[url] = answer
                found = _urls(answer)
            for link in sorted(found):
                if link.endswith(("/access", "/download")):
                    self.file_urls.add(link)
                elif link.startswith(self.base) and "?" not in link and link not in seen:
                    seen.add(link)
                    queue.append(link)
        self.compare_copies()
        return self

    # ------------------------------------------------------------------ lists
    def check_list(self, url: str, page: dict[str, Any]) -> list[dict[str, Any]]:
        if set(page) != {"data", "pagination", "links"}:
            self.fail(url, f"list keys {sorted(page)}")
        data = page.get("data")
        if not isinstance(data, list):
            self.fail(url, "data is not a list")
            return []
        list_url = url.split("?")[0]
        links = page.get("links", {})
        for name, link in links.items():
            if not str(link).startswith(list_url):
                self.fail(url, f"link {name} {link} leaves the list")
        for element in data:
            if element.get("deleted"):
                self.fail(url, f"deleted object {element.get('id')} in a list without modified_since")
            self.check_object(url, element, top=True, own_url=False)
        self.listed.setdefault(list_url, []).extend(data)
        return data

    # ------------------------------------------------------------------ objects
    def check_object(self, url: str, obj: dict[str, Any], *, top: bool, own_url: bool = True) -> None:
        where = f"{url} → {obj.get('id')}"
        if own_url and obj.get("id") != url:
            self.fail(where, f"id {obj.get('id')} differs from the URL it was fetched at")
        if self.schemas is not None and top:
            for error in self.schemas.errors(obj):
                self.fail(where, f"schema: {error}")
        self.check_values(where, obj)
        self.check_rules(where, obj)

    def check_values(self, where: str, node: Any, key: str = "") -> None:
        if node is None or node == "" or (node == [] and key != "data"):
            self.fail(where, f"{key}: empty value {node!r} (the spec wants it left out)")
        elif isinstance(node, dict):
            if str(node.get("type", "")).startswith(SCHEMA):
                for stamp in ("created", "modified"):
                    if stamp not in node:
                        self.fail(where, f"{node.get('id')} has no {stamp}")
                if node.get("deleted") and set(node) != DELETED_KEYS:
                    self.fail(where, f"deleted object with keys {sorted(node)}")
            for k, v in node.items():
                self.check_values(where, v, k)
        elif isinstance(node, list):
            for v in node:
                self.check_values(where, v, key)

    def check_rules(self, where: str, obj: dict[str, Any]) -> None:
        kind = type_name(obj)
        if obj.get("deleted"):
            return
        if kind == "System" and not str(obj.get("body", "")).endswith("/bodies"):
            self.fail(where, "System.body must be the URL of a list of bodies")
        if kind == "Body":
            missing = [name for name in BODY_LISTS if name not in obj]
            if missing:
                self.fail(where, f"Body lacks {missing}")
        if kind == "Meeting":
            orders = [item.get("order") for item in obj.get("agendaItem", [])]
            if orders != list(range(len(orders))):
                self.fail(where, f"agenda item orders {orders} are not 0, 1, 2, …")
            for item in obj.get("agendaItem", []):
                if item.get("meeting") != obj["id"]:
                    self.fail(where, f"agenda item {item.get('id')} names another meeting")
        if kind == "AgendaItem" and "consultation" in obj and not isinstance(obj["consultation"], str):
            self.fail(where, "AgendaItem.consultation must be one URL")
        if kind == "Consultation":
            for key in ("paper", "organization", "authoritative", "role"):
                if key not in obj:
                    self.fail(where, f"Consultation without {key}")
        if kind == "File" and "accessUrl" not in obj:
            self.fail(where, "File without accessUrl")
        if kind == "Paper":
            for step in obj.get("consultation", []):
                if step.get("paper") != obj["id"]:
                    self.fail(where, f"consultation {step.get('id')} names another paper")
        for key, value in obj.items():
            if isinstance(value, dict):
                self.check_rules(f"{where}.{key}", value)
                self.embedded.append(value)
            elif isinstance(value, list):
                for element in value:
                    if isinstance(element, dict) and "type" in element:
                        self.check_rules(f"{where}.{key}", element)
                        self.embedded.append(element)

    def compare_copies(self) -> None:
        """An object in a list, or embedded in another, is the same as the object at its own URL."""
        copies = [e for elements in self.listed.values() for e in elements] + self.embedded
        for copy in copies:
            own = self.objects.get(copy.get("id", ""))
            if own is None:
                self.fail(str(copy.get("id")), "listed or embedded, but never fetched at its own URL")
            elif own != copy:
                differing = sorted(k for k in set(own) | set(copy) if own.get(k) != copy.get(k))
                self.fail(str(copy.get("id")), f"copy differs from the object at its URL in {differing}")


def _urls(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, str) and node.startswith("http"):
        found.add(node)
    elif isinstance(node, dict):
        for value in node.values():
            found |= _urls(value)
    elif isinstance(node, list):
        for value in node:
            found |= _urls(value)
    return found
