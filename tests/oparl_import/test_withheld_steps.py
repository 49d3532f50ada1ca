"""A step its source published without its state (gremienlauf withholds the state of a step dealt with in
private): kept as such, published again without state and meeting, and not work to schedule here; the
steps after it continue (fixture ``body_lists.json`` with a paper still open at the source)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.oparl.format import Urls
from tests.conftest import Database
from tests.oparl_import.test_body_lists import SYSTEM, B, _local, answers
from tests.oparl_import.test_karlsruhe import client_for
from workers.oparl_import.importer import import_oparl
from workflow.models import Consultation, Paper
from workflow.queries import WITHHELD_AT_SOURCE_LABEL, paper_status, waiting_for

T = "https://schema.oparl.org/1.1/"
STAMP = {"created": "2020-01-10T09:00:00+01:00", "modified": "2020-01-10T09:00:00+01:00"}


def _source() -> dict[str, Any]:
    source = answers()
    source[f"{B}/organizations"]["data"].append(
        {
            "id": f"{B}/organization/3",
            "type": T + "Organization",
            "name": "Haupt- und Finanzausschuss",
            "organizationType": "Gremium",
            **STAMP,
        }
    )
    source[f"{B}/papers"]["data"].append(
        {
            "id": f"{B}/paper/2",
            "type": T + "Paper",
            "name": "Neubau Feuerwehrhaus",
            "reference": "13/2021",
            "date": "2021-02-01",
            "paperType": "Beschlussvorlage",
            "consultation": [
                {  # dealt with in private at the source: stage, no state, no meeting
                    "id": f"{B}/consultation/20",
                    "type": T + "Consultation",
                    "paper": f"{B}/paper/2",
                    "organization": [f"{B}/organization/3"],
                    "authoritative": False,
                    "role": "Vorberatung",
                    "gremienlauf:stage": 1,
                    **STAMP,
                },
                {
                    "id": f"{B}/consultation/21",
                    "type": T + "Consultation",
                    "paper": f"{B}/paper/2",
                    "organization": [f"{B}/organization/1"],
                    "authoritative": True,
                    "role": "Entscheidung",
                    "gremienlauf:stage": 2,
                    "gremienlauf:state": "planned",
                    **STAMP,
                },
            ],
            **STAMP,
        }
    )
    source[f"{B}/papers"]["pagination"]["totalElements"] = 2
    return source


def test_a_withheld_step_is_history_and_the_next_step_waits_for_its_body(db: Database) -> None:
    report = import_oparl(db.sessions, SYSTEM, client=client_for(_source())).as_json()
    assert report["quarantined"] == []
    with db.session() as session:
        paper = session.get_one(Paper, _local(session, f"{B}/paper/2"))
        assert paper.state == "in_deliberation"
        withheld = session.get_one(Consultation, _local(session, f"{B}/consultation/20"))
        decision = session.get_one(Consultation, _local(session, f"{B}/consultation/21"))
        assert (withheld.state, withheld.state_withheld, withheld.meeting_id) == ("dealt_with", True, None)
        assert (decision.state, decision.state_withheld) == ("planned", False)
        assert waiting_for(session, withheld.body_id) == []
        assert [s.id for s in waiting_for(session, decision.body_id)] == [decision.id]
        labels = [s.state_label for s in paper_status(session, paper.id).steps]
        assert labels == [WITHHELD_AT_SOURCE_LABEL, "geplant"]
        paper_id, withheld_id, decision_id = paper.id, withheld.id, decision.id
    urls = Urls("http://testserver")
    with TestClient(create_app(db.url, public_url="http://testserver")) as client:
        steps = {s["id"]: s for s in client.get(urls.paper(paper_id)).json()["consultation"]}
    assert "gremienlauf:state" not in steps[urls.consultation(withheld_id)]
    assert "meeting" not in steps[urls.consultation(withheld_id)]
    assert steps[urls.consultation(decision_id)]["gremienlauf:state"] == "planned"

    again = import_oparl(db.sessions, SYSTEM, full=True, client=client_for(_source())).as_json()
    assert again["counts"]["Consultation"]["unchanged"] == again["counts"]["Consultation"]["seen"]
