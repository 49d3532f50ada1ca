"""OParl lists: keyset pages, the filters on every list and in every link, deleted objects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.oparl.conftest import BASE, Published

LISTS = (
    "organizations",
    "people",
    "meetings",
    "papers",
    "agendaitems",
    "consultations",
    "files",
    "memberships",
    "locations",
    "legislativeterms",
)


def walk(published: Published, url: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Every element of a list, following ``next``; and every page URL visited."""
    elements: list[dict[str, Any]] = []
    pages = []
    next_url: str | None = url
    while next_url:
        pages.append(next_url)
        response = published.client.get(next_url)
        assert response.status_code == 200, response.text
        page = response.json()
        elements.extend(page["data"])
        next_url = page["links"].get("next")
        assert len(pages) < 500
    return elements, pages


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize("name", LISTS)
def test_small_pages_walk_the_whole_list_in_a_stable_order(published: Published, name: str) -> None:
    whole, _ = walk(published, f"{BASE}/body/1/{name}")
    paged, pages = walk(published, f"{BASE}/body/1/{name}?limit=2")
    assert [e["id"] for e in paged] == [e["id"] for e in whole]
    assert len({e["id"] for e in whole}) == len(whole)
    assert len(pages) == max(1, (len(whole) + 1) // 2)
    for page in pages:
        assert parse_qs(urlsplit(page).query)["limit"] == ["2"]


@pytest.mark.parametrize("name", LISTS)
def test_every_filter_selects_by_the_values_shown_and_is_carried_into_every_link(
    published: Published, name: str
) -> None:
    whole, _ = walk(published, f"{BASE}/body/1/{name}")
    stamps = sorted({e["modified"] for e in whole} | {e["created"] for e in whole})
    middle = stamps[len(stamps) // 2]
    cases: list[tuple[dict[str, str], Callable[[dict[str, Any]], bool]]] = [
        ({"modified_since": middle}, lambda e: when(e["modified"]) >= when(middle)),
        ({"modified_until": middle}, lambda e: when(e["modified"]) <= when(middle)),
        ({"created_since": middle}, lambda e: when(e["created"]) >= when(middle)),
        ({"created_until": middle}, lambda e: when(e["created"]) <= when(middle)),
        (
            {"created_until": middle, "modified_since": stamps[0]},
            lambda e: when(e["created"]) <= when(middle),
        ),
    ]
    for filters, keep in cases:
        query = "&".join(f"{k}={quote(v)}" for k, v in filters.items())
        found, pages = walk(published, f"{BASE}/body/1/{name}?limit=3&{query}")
        live = [e for e in found if not e.get("deleted")]
        assert [e["id"] for e in live] == [e["id"] for e in whole if keep(e)], filters
        for page in pages:
            carried = parse_qs(urlsplit(page).query)
            for key, value in filters.items():
                assert when(carried[key][0]) == when(value)
            assert carried["limit"] == ["3"]


def test_an_empty_filtered_list_is_an_empty_page(published: Published) -> None:
    response = published.client.get(f"{BASE}/body/1/papers?created_since=2099-01-01T00:00:00%2B01:00")
    assert response.status_code == 200
    page = response.json()
    assert page["data"] == []
    assert "next" not in page["links"]


def test_a_filter_value_works_percent_encoded_or_with_a_raw_plus(published: Published) -> None:
    encoded = published.client.get(f"{BASE}/body/1/papers?modified_since=2013-01-01T00%3A00%3A00%2B01%3A00")
    raw = published.client.get(f"{BASE}/body/1/papers?modified_since=2013-01-01T00:00:00+01:00")
    assert encoded.status_code == raw.status_code == 200
    assert encoded.json()["data"] == raw.json()["data"]
    assert encoded.json()["data"]


def test_omit_internal_leaves_out_the_embedded_objects(published: Published) -> None:
    full = published.client.get(f"{BASE}/body/1/papers").json()["data"]
    lean = published.client.get(f"{BASE}/body/1/papers?omit_internal=true")
    assert lean.status_code == 200
    page = lean.json()
    assert [p["id"] for p in page["data"]] == [p["id"] for p in full]
    assert all("consultation" not in p and "mainFile" not in p for p in page["data"])
    assert any("consultation" in p for p in full)
    assert "omit_internal=true" in page["links"]["self"]


def test_deleted_objects_appear_only_when_modified_since_is_given(published: Published) -> None:
    gone = f"{BASE}/paper/{published.world.depublished_paper}"
    plain, _ = walk(published, f"{BASE}/body/1/papers")
    assert gone not in {p["id"] for p in plain}
    since, _ = walk(published, f"{BASE}/body/1/papers?modified_since=2014-02-01T00:00:00%2B01:00")
    deleted = [p for p in since if p.get("deleted")]
    assert deleted == [
        {
            "id": gone,
            "type": "https://schema.oparl.org/1.1/Paper",
            "created": deleted[0]["created"],
            "modified": "2014-02-20T09:00:00+01:00",
            "deleted": True,
        }
    ]
    own = published.client.get(gone)
    assert own.status_code == 200
    assert own.json() == deleted[0]
    for name, segment in (
        ("consultations", "consultation"),
        ("agendaitems", "agendaitem"),
        ("files", "file"),
    ):
        since, _ = walk(published, f"{BASE}/body/1/{name}?modified_since=2014-02-01T00:00:00%2B01:00")
        assert any(e.get("deleted") for e in since), name
        assert all(e["id"].startswith(f"{BASE}/{segment}/") for e in since)
        plain, _ = walk(published, f"{BASE}/body/1/{name}")
        assert not any(e.get("deleted") for e in plain)
