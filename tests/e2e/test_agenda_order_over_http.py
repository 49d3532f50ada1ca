"""Ordering the agenda and taking a TOP off over HTTP: only the coordination office, the engine's numbers in
the answer, the refusal after the invitation with its German wording."""

from __future__ import annotations

from typing import Any

from httpx import Response

from tests.e2e.conftest import Api

OFFICE = "wetzlar-koordination"


def expect(response: Response, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _titles(meeting: Any) -> list[tuple[str, str]]:
    return [(i["number"], i["title"]) for i in meeting["agenda_items"]]


def test_the_office_orders_the_agenda_and_takes_a_top_off(api: Api) -> None:
    api.clock.set("2013-09-10 10:00")
    meeting = expect(
        api.post(
            "/wetzlar/meetings", as_=OFFICE, json={"bodies": ["stvv"], "start": "2013-09-30T18:00:00+02:00"}
        ),
        201,
    )
    base = f"/wetzlar/meetings/{meeting['id']}"
    for title in ("Eröffnung", "Mitteilungen", "Anfragen"):
        meeting = expect(api.post(base + "/agenda-items", as_=OFFICE, json={"title": title}), 201)
    first, second, third = (i["id"] for i in meeting["agenda_items"])

    for who in (None, "wetzlar-fachamt", "wetzlar-schrift-stvv", "wetzlar-mitglied-magistrat"):
        status = 401 if who is None else 403
        expect(api.put(f"{base}/agenda-items/{third}/position", as_=who, json={"position": 0}), status)
        expect(api.request("DELETE", f"{base}/agenda-items/{third}", as_=who), status)

    moved = expect(api.put(f"{base}/agenda-items/{third}/position", as_=OFFICE, json={"position": 0}), 200)
    assert _titles(moved) == [("Ö 1", "Anfragen"), ("Ö 2", "Eröffnung"), ("Ö 3", "Mitteilungen")]
    outside = expect(api.put(f"{base}/agenda-items/{third}/position", as_=OFFICE, json={"position": 3}), 422)
    assert "öffentlichen Teil" in outside["details"]["german"]
    expect(api.put(f"{base}/agenda-items/{third}/position", as_=OFFICE, json={"position": -1}), 422)
    expect(api.put(f"{base}/agenda-items/999999/position", as_=OFFICE, json={"position": 0}), 404)

    removed = expect(api.request("DELETE", f"{base}/agenda-items/{first}", as_=OFFICE), 200)
    assert _titles(removed) == [("Ö 1", "Anfragen"), ("Ö 2", "Mitteilungen")]
    expect(api.request("DELETE", f"{base}/agenda-items/{first}", as_=OFFICE), 404)

    expect(api.post(base + "/invitation", as_=OFFICE, json={}), 200)
    refused = expect(api.request("DELETE", f"{base}/agenda-items/{second}", as_=OFFICE), 409)
    assert "abgesetzt" in refused["details"]["german"]
    after = expect(api.put(f"{base}/agenda-items/{second}/position", as_=OFFICE, json={"position": 0}), 200)
    assert _titles(after) == [("Ö 1", "Mitteilungen"), ("Ö 2", "Anfragen")]
