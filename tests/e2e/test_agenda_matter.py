"""The agenda item's matter over HTTP: it is stored and shown, an unknown one is a 422, and in Hessen an
election on the agenda refuses the urgent shortening of the notice period with the rule's paragraph."""

from __future__ import annotations

from typing import Any

from httpx import Response

from tests.e2e.conftest import Api

OFFICE = "wetzlar-koordination"


def expect(response: Response, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_the_matter_of_an_agenda_item_is_stored_and_ties_the_notice_period(api: Api) -> None:
    api.clock.set("2013-09-20 10:00")
    meeting = expect(
        api.post(
            "/wetzlar/meetings",
            as_=OFFICE,
            json={"bodies": ["stvv"], "start": "2013-09-30T18:00:00+02:00"},
        ),
        201,
    )
    path = f"/wetzlar/meetings/{meeting['id']}/agenda-items"
    agenda = expect(
        api.post(path, as_=OFFICE, json={"title": "Wahl der Schiedsperson", "matter": "wahl"}), 201
    )
    assert [(i["title"], i["matter"]) for i in agenda["agenda_items"]] == [("Wahl der Schiedsperson", "wahl")]

    unknown = expect(
        api.post(path, as_=OFFICE, json={"title": "Bebauungsplan", "matter": "bebauungsplan"}), 422
    )
    assert "matter" in str(unknown)

    api.clock.set("2013-09-27 10:00")
    refused = expect(
        api.post(
            f"/wetzlar/meetings/{meeting['id']}/invitation",
            as_=OFFICE,
            json={"urgent": True, "urgent_reason": "Eilige Vergabe"},
        ),
        422,
    )
    assert refused["error"] == "notice_period_violation"
    assert "§ 58 Abs. 3 HGO" in refused["details"]["german"]
    assert "TOP Ö 1 (Wahl)" in refused["details"]["german"]
    still = expect(api.get(f"/wetzlar/meetings/{meeting['id']}", as_=OFFICE), 200)
    assert still["state"] == "planned"
