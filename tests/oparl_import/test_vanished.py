"""Objects that vanish from their list without a ``deleted`` flag: a full run (``--full``) takes them out of
the public record and reports them as deleted; an incremental run, which sees only what changed, does not."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from tests.conftest import Database
from tests.oparl_import.test_karlsruhe import BODY, ROOT, client_for, source
from workers.oparl_import.importer import import_oparl
from workflow.models import AuditEvent, Depublication, Meeting, Paper
from workflow.source_models import SourceRecord


def _without_first(answers: dict[str, Any], list_url: str) -> tuple[dict[str, Any], str]:
    page = answers[list_url]
    dropped = page["data"][0]["id"]
    answers[list_url] = {**page, "data": page["data"][1:]}
    return answers, dropped


def _reference(answers: dict[str, Any], url: str) -> str:
    return str(next(p for p in answers[f"{BODY}/papers"]["data"] if p["id"] == url)["reference"])


def _local(db: Database, url: str) -> int:
    with db.sessions() as session:
        local_id = session.scalars(select(SourceRecord.local_id).where(SourceRecord.url == url)).one()
    assert local_id is not None
    return local_id


def test_a_full_run_takes_out_what_the_source_no_longer_lists(db: Database) -> None:
    system = f"{ROOT}/system"
    import_oparl(db.sessions, system, kommune="wetzlar", client=client_for(source()))
    answers, paper_url = _without_first(source(), f"{BODY}/papers")
    gone_reference = _reference(source(), paper_url)
    kept_reference = str(answers[f"{BODY}/papers"]["data"][0]["reference"])
    client = TestClient(create_app(db.url, public_url="http://testserver"))
    assert gone_reference in client.get("/wetzlar/vorlagen", params={"q": "", "von": "2000-01-01"}).text
    answers, meeting_url = _without_first(answers, f"{BODY}/meetings")

    incremental = import_oparl(db.sessions, system, client=client_for(answers)).as_json()
    assert incremental["counts"]["Paper"]["deleted"] == 0
    assert incremental["counts"]["Meeting"]["deleted"] == 0

    full = import_oparl(db.sessions, system, client=client_for(answers), full=True).as_json()
    assert full["counts"]["Paper"]["deleted"] == 1
    assert full["counts"]["Meeting"]["deleted"] == 1
    assert full["counts"]["Organization"]["deleted"] == 0
    for oparl_type in ("Paper", "Meeting"):
        counts = full["counts"][oparl_type]
        assert counts["seen"] == sum(counts[k] for k in counts if k != "seen")
    paper_id, meeting_id = _local(db, paper_url), _local(db, meeting_url)
    with db.sessions() as session:
        assert not session.get_one(Paper, paper_id).public
        gone = {(d.object_type, d.object_id) for d in session.scalars(select(Depublication))}
        assert {("paper", paper_id), ("meeting", meeting_id)} <= gone
        assert session.get_one(Meeting, meeting_id) is not None
        deleted = session.scalars(
            select(AuditEvent.entity_type).where(AuditEvent.action == "oparl.deleted")
        ).all()
        assert {"paper", "meeting"} <= set(deleted)
        records = session.scalars(select(SourceRecord).where(SourceRecord.url.in_([paper_url, meeting_url])))
        assert all(r.deleted_at is not None for r in records)
    assert client.get(f"/oparl/v1/paper/{paper_id}").json()["deleted"] is True
    assert client.get(f"/oparl/v1/meeting/{meeting_id}").json()["deleted"] is True
    listed = client.get("/wetzlar/vorlagen", params={"q": "", "von": "2000-01-01"}).text
    assert kept_reference in listed
    assert gone_reference not in listed

    again = import_oparl(db.sessions, system, client=client_for(answers), full=True).as_json()
    assert again["counts"]["Paper"]["deleted"] == 0  # once taken out is not taken out again
