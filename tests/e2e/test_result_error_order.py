"""Recording a result answers bad input in the order every route does: an unknown municipality (404), then
a bad token (401), before a malformed body or TOP id (422): the municipality, the caller and the TOP are the
route's dependencies, which FastAPI resolves before it validates the body."""

from __future__ import annotations

from tests.e2e.conftest import Api

BAD_BODY = {"outcome": "adopted", "votes": [{"yes": -1, "no": 0}]}  # schema-invalid, but valid JSON
GOOD_BODY = {"outcome": "adopted", "votes": [{"yes": 1, "no": 0}]}


def test_unknown_municipality_is_404_even_with_an_invalid_body(api: Api) -> None:
    r = api.post("/nirgendwo/agenda-items/1/result", json=BAD_BODY)
    assert r.status_code == 404, r.text


def test_unknown_municipality_is_404_even_with_an_invalid_item_id(api: Api) -> None:
    r = api.post("/nirgendwo/agenda-items/0/result", json=GOOD_BODY)
    assert r.status_code == 404, r.text


def test_a_bad_token_is_401_even_with_an_invalid_body(api: Api) -> None:
    r = api.post("/wetzlar/agenda-items/1/result", json=BAD_BODY, headers={"Authorization": "Bearer bogus"})
    assert r.status_code == 401, r.text


def test_the_same_for_correcting_a_result_unchanged_route(api: Api) -> None:
    """Control: PUT (still a sync route with dependencies) answers 401 before 422."""
    r = api.put("/wetzlar/agenda-items/1/result", json=BAD_BODY, headers={"Authorization": "Bearer bogus"})
    assert r.status_code == 401, r.text
