"""A department drafts, edits and sends its paper for co-signing, the co-signing department signs, the
coordination office submits: through the forms of the pages, without JavaScript (plain form posts)."""

from __future__ import annotations

from sqlalchemy import select

from tests.e2e.conftest import Api
from tests.web.conftest import csrf_of, page_login
from workflow.access import Role, add_user
from workflow.models import Paper


def _paper(api: Api, subject: str) -> Paper:
    with api.db.sessions() as s:
        return s.scalars(select(Paper).where(Paper.subject == subject)).one()


def test_a_paper_from_draft_to_submission_through_the_forms(api: Api) -> None:
    add_user(
        api.db.sessions,
        municipality="wetzlar",
        username="wetzlar-kaemmerei",
        password="demo-passwort",
        role=Role.department,
        department="kaemmerei",
    )
    page_login(api.client, "wetzlar-fachamt")
    form = api.client.get("/wetzlar/vorlagen/neu")
    assert form.status_code == 200
    token = csrf_of(form)
    fields = {
        "csrf_token": token,
        "art": "beschlussvorlage",
        "fachamt": "kbs",
        "betreff": "",
        "datum": "12.07.2013",
        "beschlussvorschlag": "Die Stadtverordnetenversammlung beschließt das Konzept.",
        "begruendung": "Weil es gebraucht wird.",
        "aktenzeichen": "I/351",
        "anlagen": "Handlungskonzept\nKostenübersicht",
        "mitzeichnung": ["kaemmerei"],
        "finanziell": "ja",
        "oeffentlich": "ja",
    }
    refused = api.client.post("/wetzlar/vorlagen/neu", data=fields)
    assert refused.status_code == 422
    assert 'id="fehler-betreff"' in refused.text
    assert 'id="fehler-datum"' in refused.text
    assert "Weil es gebraucht wird." in refused.text  # nothing typed is lost
    created = api.client.post(
        "/wetzlar/vorlagen/neu",
        data={**fields, "betreff": "Integriertes Handlungskonzept", "datum": "2013-07-12"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    paper = _paper(api, "Integriertes Handlungskonzept")
    assert created.headers["location"] == f"/wetzlar/vorlagen/entwurf-{paper.id}"
    with api.db.sessions() as s:
        titles = [a.title for a in s.get_one(Paper, paper.id).attachments]
    assert titles == ["Handlungskonzept", "Kostenübersicht"]
    assert paper.financial_impact
    assert paper.file_reference == "I/351"

    page = api.client.get(created.headers["location"])
    assert "Zur Mitzeichnung geben" in page.text
    edit = api.client.get(f"/wetzlar/vorlagen/entwurf-{paper.id}/bearbeiten")
    edited = api.client.post(
        f"/wetzlar/vorlagen/entwurf-{paper.id}/bearbeiten",
        data={
            "csrf_token": csrf_of(edit),
            "version": str(paper.version),
            "betreff": "Integriertes Handlungskonzept zur Integration",
            "datum": "2013-07-12",
            "beschlussvorschlag": "Neu gefasst.",
            "begruendung": "Weil es gebraucht wird.",
            "oeffentlich": "ja",
        },
        follow_redirects=False,
    )
    assert edited.status_code == 303
    stale = api.client.post(
        f"/wetzlar/vorlagen/entwurf-{paper.id}/bearbeiten",
        data={
            "csrf_token": csrf_of(edit),
            "version": str(paper.version),
            "betreff": "Alt",
            "datum": "2013-07-12",
        },
    )
    assert stale.status_code == 412
    assert "inzwischen geändert" in stale.text

    api.client.post(
        f"/wetzlar/vorlagen/entwurf-{paper.id}/mitzeichnung-anfordern", data={"csrf_token": csrf_of(edit)}
    )
    assert _paper(api, "Integriertes Handlungskonzept zur Integration").state == "cosigning"

    api.client.cookies.clear()
    page_login(api.client, "wetzlar-kaemmerei")
    start = api.client.get("/wetzlar/")
    assert "Integriertes Handlungskonzept zur Integration" in start.text  # a co-signature asked
    page = api.client.get(f"/wetzlar/vorlagen/entwurf-{paper.id}")
    assert "Mitzeichnen für Kämmerei" in page.text
    signed = api.client.post(
        f"/wetzlar/vorlagen/entwurf-{paper.id}/mitzeichnen",
        data={"csrf_token": csrf_of(page), "fachamt": "kaemmerei"},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    forged = api.client.post(
        f"/wetzlar/vorlagen/entwurf-{paper.id}/mitzeichnen",
        data={"csrf_token": csrf_of(page), "fachamt": "kbs"},
    )
    assert forged.status_code == 403  # a department co-signs only for itself

    api.client.cookies.clear()
    page_login(api.client, "wetzlar-koordination")
    inbox = api.client.get("/wetzlar/")
    assert "Bereit zum Einreichen" in inbox.text
    assert f"/wetzlar/vorlagen/entwurf-{paper.id}" in inbox.text
    page = api.client.get(f"/wetzlar/vorlagen/entwurf-{paper.id}")
    submitted = api.client.post(
        f"/wetzlar/vorlagen/entwurf-{paper.id}/einreichen",
        data={"csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert submitted.status_code == 303
    reference = _paper(api, "Integriertes Handlungskonzept zur Integration").reference
    assert reference
    assert submitted.headers["location"] == f"/wetzlar/vorlagen/{reference.replace('/', '-')}"


def test_only_departments_and_the_office_draft_and_only_their_own(api: Api) -> None:
    page_login(api.client, "wetzlar-schrift-stvv")
    assert api.client.get("/wetzlar/vorlagen/neu").status_code == 403
    api.client.cookies.clear()
    page_login(api.client, "wetzlar-fachamt")
    form = api.client.get("/wetzlar/vorlagen/neu")
    assert '<option value="rechtsamt"' not in form.text  # only its own department to choose
    forged = api.client.post(
        "/wetzlar/vorlagen/neu",
        data={
            "csrf_token": csrf_of(form),
            "art": "beschlussvorlage",
            "fachamt": "rechtsamt",
            "betreff": "X",
            "datum": "2013-07-12",
        },
    )
    assert forged.status_code == 403
    assert api.client.post("/wetzlar/vorlagen/neu", data={"betreff": "X"}).status_code == 403  # no CSRF token
