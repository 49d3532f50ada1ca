"""Fetching OParl from a real server: page by page (never the whole source in memory), with retries and
backoff for HTTP 5xx and timeouts, a per-host rate limit, ``next`` links that lose their filter or loop,
servers that reject a percent-encoded query, and JSON with raw control characters.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from workers.oparl_import.repairs import keep_filters, loads_lenient, unencoded_query

USER_AGENT = "gremienlauf-oparl-import/1"


class FetchError(Exception):
    """A URL that could not be fetched after the retries (or answered with something that is not JSON)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


@dataclass
class RateLimit:
    """At most one request per ``interval`` seconds to each host."""

    interval: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    last: dict[str, float] = field(default_factory=dict)

    def wait(self, url: str) -> None:
        host = urlsplit(url).netloc
        now = self.clock()
        previous = self.last.get(host)
        if previous is not None and now - previous < self.interval:
            self.sleep(self.interval - (now - previous))
            now = self.clock()
        self.last[host] = now


@dataclass
class Page:
    url: str
    objects: list[dict[str, Any]]
    total: int | None


class OParlClient:
    """One importer's connection to one OParl server."""

    def __init__(
        self,
        http: httpx.Client | None = None,
        *,
        retries: int = 4,
        backoff: float = 0.5,
        rate_limit: float = 0.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http or httpx.Client(
            timeout=timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=True
        )
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.limit = RateLimit(rate_limit, sleep=sleep)
        self.requests = 0

    def close(self) -> None:
        self.http.close()

    def _get(self, url: str) -> httpx.Response:
        """GET with retries: 5xx, 429 and timeouts/connection errors are retried with exponential backoff."""
        last_error = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            self.limit.wait(url)
            self.requests += 1
            try:
                response = self.http.get(url)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                continue
            if response.status_code >= 500 or response.status_code == 429:
                last_error = f"HTTP {response.status_code}"
                continue
            return response
        raise FetchError(url, f"nach {self.retries + 1} Versuchen: {last_error}")

    def get_json(self, url: str) -> Any | None:
        """The JSON at ``url``; ``None`` when the server answers 404/410 (a dangling reference)."""
        response = self._get(url)
        if response.status_code == 400 and "%" in urlsplit(url).query:
            # Some servers reject a percent-encoded query (e.g. modified_since=2024-01-01T00%3A00%3A00).
            response = self._get(unencoded_query(url))
        if response.status_code in (404, 410):
            return None
        if response.status_code >= 400:
            raise FetchError(url, f"HTTP {response.status_code}")
        try:
            return loads_lenient(response.text)
        except ValueError as exc:
            raise FetchError(url, f"kein JSON ({exc})") from exc

    def get_bytes(self, url: str) -> tuple[bytes, str | None] | None:
        """A file's bytes and its Content-Type; ``None`` when the server answers 404/410."""
        response = self._get(url)
        if response.status_code in (404, 410):
            return None
        if response.status_code >= 400:
            raise FetchError(url, f"HTTP {response.status_code}")
        return response.content, response.headers.get("content-type")

    def pages(self, url: str, filters: dict[str, str] | None = None) -> Iterator[Page]:
        """The pages of an OParl list, one at a time. A ``next`` link that dropped the filters gets them back;
        one that leads to a page already read ends the list (a loop) instead of running forever."""
        filters = filters or {}
        next_url: str | None = f"{url}{'&' if '?' in url else '?'}{urlencode(filters)}" if filters else url
        seen: set[str] = set()
        while next_url:
            if next_url in seen:
                raise FetchError(next_url, "next-Link führt im Kreis")
            seen.add(next_url)
            data = self.get_json(next_url)
            if data is None:  # some servers answer an empty filtered list with 404
                return
            if isinstance(data, list):  # or with a bare array
                yield Page(next_url, [o for o in data if isinstance(o, dict)], None)
                return
            if not isinstance(data, dict):
                raise FetchError(next_url, "keine OParl-Liste")
            objects = data.get("data") or []
            if isinstance(objects, dict):
                objects = [objects]
            pagination = data.get("pagination") or {}
            total = pagination.get("totalElements") if isinstance(pagination, dict) else None
            yield Page(
                next_url,
                [o for o in objects if isinstance(o, dict)],
                total if isinstance(total, int) else None,
            )
            links = data.get("links") or {}
            link = links.get("next") if isinstance(links, dict) else None
            next_url = keep_filters(link, filters) if isinstance(link, str) and link else None
