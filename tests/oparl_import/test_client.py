"""The OParl client against a server that misbehaves the way real ones do (httpx's mock transport)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from workers.oparl_import.client import FetchError, OParlClient, RateLimit

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "https://oparl.example.org/v1.0/body/1"


def client(
    handler: Callable[[httpx.Request], httpx.Response], **kwargs: float
) -> tuple[OParlClient, list[float]]:
    slept: list[float] = []
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return OParlClient(http, sleep=slept.append, **kwargs), slept  # type: ignore[arg-type]


def page(objects: list[dict[str, str]], next_url: str | None = None) -> httpx.Response:
    links = {"next": next_url} if next_url else {}
    return httpx.Response(200, json={"data": objects, "pagination": {}, "links": links})


def test_http_500_and_timeouts_are_retried_with_growing_pauses() -> None:
    answers: list[str | int] = ["timeout", 500, 503, 200]

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, str):
            raise httpx.ReadTimeout("zu langsam", request=request)
        return httpx.Response(answer, json={"id": str(request.url)})

    c, slept = client(handler, backoff=0.5)
    assert c.get_json(f"{BASE}/paper/1") == {"id": f"{BASE}/paper/1"}
    assert slept == [0.5, 1.0, 2.0]


def test_a_server_that_keeps_failing_gives_up_with_a_reason() -> None:
    c, slept = client(lambda request: httpx.Response(500), retries=2, backoff=0.1)
    with pytest.raises(FetchError, match="HTTP 500"):
        c.get_json(f"{BASE}/paper/1")
    assert len(slept) == 2


def test_a_reference_that_answers_404_is_none() -> None:
    c, _ = client(lambda request: httpx.Response(404, json={"error": "not found"}))
    assert c.get_json(f"{BASE}/organization/1-2/meeting") is None


def test_requests_to_one_host_keep_the_rate_limit() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limit = RateLimit(1.0, clock=lambda: now[0], sleep=sleep)
    limit.wait(f"{BASE}/paper")
    now[0] += 0.25
    limit.wait(f"{BASE}/meeting")
    limit.wait("https://other.example.org/system")
    assert slept == [0.75]


def test_a_next_link_that_loops_ends_the_list_with_an_error_after_its_pages() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":
            return page([{"id": "b"}], f"{BASE}/paper?page=1")
        return page([{"id": "a"}], f"{BASE}/paper?page=2")

    c, _ = client(handler)
    seen: list[str] = []

    def read_all() -> None:
        for p in c.pages(f"{BASE}/paper?page=1"):
            seen.extend(o["id"] for o in p.objects)

    with pytest.raises(FetchError, match="im Kreis"):
        read_all()
    assert seen == ["a", "b"]


def test_a_next_link_that_drops_the_filter_is_followed_with_it() -> None:
    fixture = json.loads((FIXTURES / "next_link_drops_filter.json").read_text(encoding="utf-8"))
    asked: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url)
        if request.url.params.get("page") == "2":
            return page([{"id": "b"}])
        return httpx.Response(200, json=fixture)

    c, _ = client(handler)
    list(
        c.pages(
            "https://oparl.example.org/v1.0/body/1/paper", {"modified_since": "2024-01-01T00:00:00+01:00"}
        )
    )
    assert [u.params.get("modified_since") for u in asked] == ["2024-01-01T00:00:00+01:00"] * 2


def test_a_server_that_rejects_a_percent_encoded_query_is_asked_unencoded() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "%3A" in request.url.query.decode():
            return httpx.Response(400, json={"error": "bad date"})
        return page([{"id": "a"}])

    c, _ = client(handler)
    pages = list(c.pages(f"{BASE}/paper", {"modified_since": "2024-01-01T00:00:00"}))
    assert [o["id"] for p in pages for o in p.objects] == ["a"]


def test_json_with_raw_control_characters_is_read() -> None:
    raw = (FIXTURES / "control_characters.json").read_bytes()
    c, _ = client(lambda request: httpx.Response(200, content=raw))
    assert c.get_json(f"{BASE}/paper/63") == {
        "id": f"{BASE}/paper/63",
        "type": "https://schema.oparl.org/1.0/Paper",
        "name": "Zeile eins\nZeile\tzwei",
    }


def test_an_answer_that_is_not_json_is_an_error() -> None:
    c, _ = client(lambda request: httpx.Response(200, text="<html>Wartung</html>"))
    with pytest.raises(FetchError, match="kein JSON"):
        c.get_json(f"{BASE}/paper/63")
