"""Listing and downloading stored documents over HTTP: media type, ETag and 304, the German file name,
and the subject's permissions (non-public documents only for those who may read the non-public part)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from api.routes.documents import visible_files
from tests.documents.conftest import NOW, Wetzlar, read_docx, rows, texts
from tests.e2e.conftest import Api, FakeClock, add_logins, cheap_password_hashing, running_api
from tests.scenario import Scenario, berlin
from workers.documents import DocumentKind, generate_document
from workflow import papers, planning
from workflow.access import principal_of_user
from workflow.models import StoredFile
from workflow.vocabulary import DOCX_MEDIA_TYPE, PaperKind

ERROR_KEYS = {"error", "message", "details"}


@dataclass
class World:
    api: Api
    wetzlar: Wetzlar
    vorlage: int  # the public Vorlage 1562/13
    invitation: int  # the Magistrat's invitation (non-public agenda)
    extract: int  # the StVV's resolution extract
    hidden_paper: int  # a non-public paper the Magistrat decides alone
    hidden_vorlage: int
    drafted_paper: int  # a public paper, submitted after a Vorlage was rendered from its draft
    draft_vorlage: int  # rendered from the draft
    submitted_vorlage: int  # rendered after submission


@pytest.fixture(scope="module")
def world(wetzlar: Wetzlar) -> Iterator[World]:
    db = wetzlar.db
    add_logins(db.url)
    hidden = Scenario(db.sessions).submitted_paper(
        public=False, decided_by="magistrat", subject="Grundstücksangelegenheit „Am Hang“"
    )
    draft = papers.draft_paper(
        db.sessions,
        actor="test",
        municipality="wetzlar",
        kind=PaperKind.beschlussvorlage,
        department="kbs",
        subject="Entwurf mit vorläufigem Text",
        paper_date=dt.date(2013, 7, 12),
        proposed_resolution="Vorläufiger Beschlussvorschlag.",
        public=True,
        now=berlin("2013-07-12 10:00"),
    )
    with db.session() as s:
        draft_vorlage = generate_document(
            s, kind=DocumentKind.VORLAGE, subject_id=draft.id, output_key="api:draft", now=NOW
        ).id
        s.commit()
    planning.plan_consultations(
        db.sessions,
        actor="test",
        paper_id=draft.id,
        committees=(),
        decided_by=None,
        now=berlin("2013-07-13 10:00"),
    )
    papers.submit_paper(db.sessions, actor="test", paper_id=draft.id, now=berlin("2013-07-13 10:00"))
    ids: list[int] = []
    with db.session() as s:
        for kind, subject, key in (
            (DocumentKind.VORLAGE, wetzlar.paper_id, "api:vorlage"),
            (DocumentKind.INVITATION, wetzlar.meetings["magistrat"], "api:invitation"),
            (DocumentKind.RESOLUTION_EXTRACT, wetzlar.items["stvv"], "api:extract"),
            (DocumentKind.VORLAGE, hidden.id, "api:hidden"),
            (DocumentKind.VORLAGE, draft.id, "api:submitted"),
        ):
            ids.append(generate_document(s, kind=kind, subject_id=subject, output_key=key, now=NOW).id)
        s.commit()
    with cheap_password_hashing(), running_api(db, FakeClock(NOW)) as api:
        yield World(api, wetzlar, ids[0], ids[1], ids[2], hidden.id, ids[3], draft.id, draft_vorlage, ids[4])


def content(world: World, document_id: int, as_: str | None = None, **kwargs: Any) -> Any:
    return world.api.get(f"/wetzlar/documents/{document_id}/content", as_=as_, **kwargs)


def test_the_public_lists_a_papers_documents_and_downloads_the_vorlage(world: World) -> None:
    listing = world.api.get(f"/wetzlar/papers/{world.wetzlar.paper_id}/documents")
    assert listing.status_code == 200, listing.text
    by_id = {d["id"]: d for d in listing.json()}
    assert set(by_id) == {world.vorlage, world.extract}  # the extract belongs to the paper too
    entry = by_id[world.vorlage]
    assert entry["kind"] == "vorlage"
    assert entry["kind_label"] == "Beschlussvorlage"
    assert entry["name"] == "Beschlussvorlage 1562/13"
    assert entry["version"] == 1
    assert entry["content_url"] == f"/api/v1/wetzlar/documents/{world.vorlage}/content"

    response = content(world, world.vorlage)
    assert response.status_code == 200
    assert response.headers["content-type"] == DOCX_MEDIA_TYPE
    assert hashlib.sha256(response.content).hexdigest() == entry["sha256"]
    assert len(response.content) == entry["size_bytes"]
    assert response.headers["etag"] == f'"{entry["sha256"]}"'
    assert response.headers["content-disposition"] == (
        'attachment; filename="Beschlussvorlage 1562-13.docx"; '
        "filename*=UTF-8''Beschlussvorlage%201562-13.docx"
    )
    assert texts(read_docx(response.content))[0] == "BESCHLUSSVORLAGE"


def test_a_matching_if_none_match_gives_304_without_a_body(world: World) -> None:
    etag = content(world, world.vorlage).headers["etag"]
    unchanged = content(world, world.vorlage, headers={"If-None-Match": f'"other", {etag}'})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    assert content(world, world.vorlage, headers={"If-None-Match": '"other"'}).status_code == 200
    assert content(world, world.vorlage, headers={"If-None-Match": f"W/{etag}"}).status_code == 304


def test_a_german_file_name_is_encoded_per_rfc_5987_with_an_ascii_fallback(world: World) -> None:
    response = content(world, world.extract)
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="Beschlussauszug 1562-13 Stadtverordnetenversammlung 27.11.2013 TOP Oe 2.docx"; '
        "filename*=UTF-8''Beschlussauszug%201562-13%20Stadtverordnetenversammlung%2027.11.2013%20TOP%20%C3%96%202.docx"
    )


def test_non_public_documents_are_for_the_members_of_the_body_and_the_staff_only(world: World) -> None:
    meeting = world.wetzlar.meetings["magistrat"]
    for caller in (None, "wetzlar-mitglied", "duisburg-koordination"):
        listing = world.api.get(f"/wetzlar/meetings/{meeting}/documents", as_=caller)
        if (
            caller == "wetzlar-mitglied"
        ):  # a member of the town sees the meeting, not its non-public documents
            assert listing.status_code == 200
            assert world.invitation not in [d["id"] for d in listing.json()], caller
        else:  # for the public (another town's staff included) the Magistrat's meeting does not exist
            assert listing.status_code == 404, caller
        refused = content(world, world.invitation, as_=caller)
        assert refused.status_code == 404, caller
        assert set(refused.json()) == ERROR_KEYS
    for caller in ("wetzlar-mitglied-magistrat", "wetzlar-koordination", "wetzlar-fachamt"):
        listing = world.api.get(f"/wetzlar/meetings/{meeting}/documents", as_=caller)
        assert [d["id"] for d in listing.json()] == [world.invitation], caller
        assert content(world, world.invitation, as_=caller).status_code == 200, caller
    assert (
        content(world, world.invitation, as_="wetzlar-koordination")
        .headers["cache-control"]
        .startswith("private")
    )


def test_a_non_public_paper_and_its_documents_do_not_exist_for_the_public(world: World) -> None:
    listing = world.api.get(f"/wetzlar/papers/{world.hidden_paper}/documents")
    assert listing.status_code == 404
    assert set(listing.json()) == ERROR_KEYS
    assert content(world, world.hidden_vorlage).status_code == 404
    assert world.api.get(f"/wetzlar/documents/{world.hidden_vorlage}").status_code == 404
    member = world.api.get(f"/wetzlar/documents/{world.hidden_vorlage}", as_="wetzlar-mitglied-magistrat")
    assert member.status_code == 200
    assert member.json()["public"] is False


def test_a_vorlage_rendered_from_the_draft_stays_with_the_drafts_readers_after_submission(
    world: World,
) -> None:
    for caller in (None, "wetzlar-mitglied", "wetzlar-schrift-stvv-2", "wetzlar-mitglied-magistrat"):
        assert content(world, world.draft_vorlage, as_=caller).status_code == 404, caller
        assert world.api.get(f"/wetzlar/documents/{world.draft_vorlage}", as_=caller).status_code == 404
        listing = world.api.get(f"/wetzlar/papers/{world.drafted_paper}/documents", as_=caller)
        assert [d["id"] for d in listing.json()] == [world.submitted_vorlage], caller
        assert content(world, world.submitted_vorlage, as_=caller).status_code == 200, caller
    for caller in ("wetzlar-fachamt", "wetzlar-koordination", "wetzlar-admin"):
        response = content(world, world.draft_vorlage, as_=caller)
        assert response.status_code == 200, caller
        assert "Entwurf – noch nicht eingereicht" in texts(read_docx(response.content))
        listing = world.api.get(f"/wetzlar/papers/{world.drafted_paper}/documents", as_=caller).json()
        assert [(d["id"], d["draft"]) for d in listing] == [
            (world.draft_vorlage, True),
            (world.submitted_vorlage, False),
        ], caller


def test_a_council_member_of_another_body_does_not_see_a_non_public_paper_of_the_magistrat(
    world: World,
) -> None:
    assert content(world, world.hidden_vorlage, as_="wetzlar-mitglied").status_code == 404
    assert (
        world.api.get(f"/wetzlar/papers/{world.hidden_paper}/documents", as_="wetzlar-mitglied").status_code
        == 404
    )
    assert content(world, world.hidden_vorlage, as_="wetzlar-mitglied-magistrat").status_code == 200


def test_the_public_download_of_the_vorlage_does_not_show_the_magistrats_non_public_top_and_result(
    world: World,
) -> None:
    table = rows(read_docx(content(world, world.vorlage).content), 1)
    assert table[1] == ["Magistrat", "30.09.2013", "", ""]
    assert not any("N 2" in cell for row in table for cell in row)


def test_unknown_documents_and_other_municipalities_answer_404_in_the_error_shape(world: World) -> None:
    for path in (
        "/wetzlar/documents/2147483647/content",
        f"/duisburg/documents/{world.vorlage}/content",
        f"/duisburg/documents/{world.vorlage}",
        f"/duisburg/papers/{world.wetzlar.paper_id}/documents",
        "/nirgendwo/documents/1",
    ):
        response = world.api.get(path)
        assert response.status_code == 404, path
        assert set(response.json()) == ERROR_KEYS
    assert world.api.get("/wetzlar/documents/0/content").status_code == 422
    assert world.api.get("/wetzlar/documents/99999999999/content").status_code == 422


def test_a_list_of_documents_shows_each_caller_what_the_download_of_each_one_gives(world: World) -> None:
    """``visible_files`` asks each paper and meeting once for a whole list: every row keeps the verdict the
    download of that one document gets, for every kind of caller."""
    with world.wetzlar.db.session() as s:
        stored = s.scalars(select(StoredFile).order_by(StoredFile.id)).all()
        assert len(stored) >= 6
        callers: list[str | None] = [
            None,
            "wetzlar-mitglied",
            "wetzlar-mitglied-magistrat",
            "wetzlar-koordination",
            "wetzlar-fachamt",
            "wetzlar-schrift-stvv",
            "duisburg-koordination",
        ]
        seen: dict[str | None, list[int]] = {}
        for caller in callers:
            who = principal_of_user(s, caller) if caller else None
            seen[caller] = [row.id for row in visible_files(s, who, stored)]
            one_by_one = [row.id for row in stored if visible_files(s, who, [row])]
            assert seen[caller] == one_by_one, caller
            downloadable = [row.id for row in stored if content(world, row.id, as_=caller).status_code == 200]
            assert seen[caller] == downloadable, caller
    assert world.invitation in seen["wetzlar-mitglied-magistrat"]
    assert world.invitation not in seen["wetzlar-mitglied"]
    assert world.hidden_vorlage not in seen[None]
    assert world.hidden_vorlage not in seen["wetzlar-mitglied"]
    assert world.hidden_vorlage in seen["wetzlar-mitglied-magistrat"]
    assert world.draft_vorlage not in seen["wetzlar-mitglied"]
    assert set(seen["duisburg-koordination"]) <= set(seen[None])
