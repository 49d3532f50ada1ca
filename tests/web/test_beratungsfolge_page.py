"""The Beratungsfolge editor of a paper: prefilled with the profile's default, edited by buttons without
JavaScript, saved through the planning use case with its refusals next to the stage they concern, read-only once
a step is on an agenda; the role matrix of the JSON API (``PUT …/beratungsfolge``) and CSRF."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.e2e.conftest import Api
from tests.scenario import Scenario, berlin
from tests.web.conftest import csrf_of, page_login
from workflow import papers
from workflow.models import Consultation, Paper
from workflow.vocabulary import PaperKind


def _draft(api: Api, *, department: str = "kbs", financial_impact: bool = True) -> Paper:
    return papers.draft_paper(
        api.db.sessions,
        actor="Fachamt",
        municipality="wetzlar",
        kind=PaperKind.beschlussvorlage,
        department=department,
        subject="Neubau der Kindertagesstätte",
        paper_date=berlin("2013-07-12 10:00").date(),
        financial_impact=financial_impact,
        now=berlin("2013-07-12 10:00"),
    )


def _selected(html: str, name: str) -> list[str]:
    """The chosen option of each select called ``name``, in order."""
    found = []
    for select_html in re.findall(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', select_html)
        found.append(chosen[1] if chosen else "")
    return found


def _plan(api: Api, paper_id: int) -> list[tuple[int, str, str]]:
    with api.db.sessions() as s:
        steps = s.scalars(
            select(Consultation)
            .where(Consultation.paper_id == paper_id)
            .order_by(Consultation.stage, Consultation.position)
        )
        return [(c.stage, c.body.key, c.role) for c in steps]


def test_the_office_plans_a_beratungsfolge_with_buttons_and_no_javascript(api: Api) -> None:
    paper = _draft(api)
    url = f"/wetzlar/vorlagen/entwurf-{paper.id}/beratungsfolge"
    page_login(api.client, "wetzlar-koordination")
    form = api.client.get(url)
    assert form.status_code == 200
    # The profile's default (Hessen: Magistrat, the finance committee with a financial impact, the StVV).
    assert _selected(form.text, "stufe-1-gremium") == ["magistrat"]
    assert _selected(form.text, "stufe-2-gremium") == ["fwa"]
    assert _selected(form.text, "stufe-3-gremium") == ["stvv"]
    assert _selected(form.text, "stufe-3-rolle") == ["decision"]
    token = csrf_of(form)
    default = {
        "csrf_token": token,
        "stufe-1-gremium": "magistrat",
        "stufe-1-rolle": "preliminary",
        "stufe-2-gremium": "stvv",
        "stufe-2-rolle": "decision",
    }
    added = api.client.post(url, data={**default, "aktion": "stufe-neu"})
    assert added.status_code == 200
    assert "Neue Stufe 2 eingefügt." in added.text
    assert _selected(added.text, "stufe-2-gremium") == [""]
    assert _selected(added.text, "stufe-3-gremium") == ["stvv"]
    assert _plan(api, paper.id) == []  # editing is not saving
    swapped = api.client.post(url, data={**default, "aktion": "stufe-neu"}, headers={"HX-Request": "true"})
    assert swapped.status_code == 200
    assert swapped.text.lstrip().startswith('<div id="beratungsfolge"')  # htmx gets the editor block only
    assert "Neue Stufe 2 eingefügt." in swapped.text

    parallel = api.client.post(
        url,
        data={
            **default,
            "stufe-2-gremium": ["sjs", "kfp"],
            "stufe-2-rolle": ["preliminary", "preliminary"],
            "stufe-3-gremium": "stvv",
            "stufe-3-rolle": "decision",
            "aktion": "hoch-2",
        },
    )
    assert _selected(parallel.text, "stufe-1-gremium") == ["sjs", "kfp"]  # the stage moved up, both steps
    assert _selected(parallel.text, "stufe-2-gremium") == ["magistrat"]

    down = api.client.post(url, data={**default, "aktion": "runter-1"})
    assert _selected(down.text, "stufe-1-gremium") == ["stvv"]
    assert _selected(down.text, "stufe-2-gremium") == ["magistrat"]
    removed = api.client.post(
        url,
        data={
            **default,
            "stufe-1-gremium": ["sjs", "kfp"],
            "stufe-1-rolle": ["preliminary"] * 2,
            "aktion": "schritt-weg-1-1",
        },
    )
    assert _selected(removed.text, "stufe-1-gremium") == ["kfp"]
    reset = api.client.post(url, data={"csrf_token": token, "aktion": "standard"})
    assert _selected(reset.text, "stufe-1-gremium") == ["magistrat"]
    assert _selected(reset.text, "stufe-3-gremium") == ["stvv"]
    assert "Der Vorschlag des Profils ist eingesetzt" in reset.text

    missing = api.client.post(
        url,
        data={
            **default,
            "stufe-2-gremium": ["stvv", ""],
            "stufe-2-rolle": ["decision", "preliminary"],
            "aktion": "speichern",
        },
    )
    assert missing.status_code == 422
    assert 'id="fehler-stufe-2-schritt-2"' in missing.text
    assert 'aria-describedby="fehler-stufe-2-schritt-2"' in missing.text

    refused = api.client.post(
        url,
        data={
            "csrf_token": token,
            "stufe-1-gremium": "stvv",
            "stufe-1-rolle": "decision",
            "stufe-2-gremium": "magistrat",
            "stufe-2-rolle": "preliminary",
            "aktion": "speichern",
        },
    )
    assert refused.status_code == 422
    assert 'id="fehler-stufe-1"' in refused.text  # the use case's refusal next to the stage it concerns
    assert "muss allein in der letzten Stufe stehen" in refused.text
    assert 'role="alert"' in refused.text
    assert _plan(api, paper.id) == []

    saved = api.client.post(
        url,
        data={
            **default,
            "stufe-2-gremium": ["sjs", "kfp"],
            "stufe-2-rolle": ["preliminary", "hearing"],
            "stufe-3-gremium": "stvv",
            "stufe-3-rolle": "decision",
            "aktion": "speichern",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == url + "?gespeichert=1"
    assert _plan(api, paper.id) == [
        (1, "magistrat", "preliminary"),
        (2, "sjs", "preliminary"),
        (2, "kfp", "hearing"),
        (3, "stvv", "decision"),
    ]
    again = api.client.get(saved.headers["location"])
    assert "Die Beratungsfolge ist gespeichert." in again.text
    assert _selected(again.text, "stufe-2-gremium") == ["sjs", "kfp"]  # the saved plan, not the default

    assert api.client.post(url, data={"stufe-1-gremium": "stvv", "aktion": "speichern"}).status_code == 403
    assert _plan(api, paper.id)[0] == (1, "magistrat", "preliminary")


def test_the_plan_is_read_only_once_a_step_is_on_an_agenda(api: Api) -> None:
    world = Scenario(api.db.sessions)
    paper = world.submitted_paper(
        subject="Sanierung der Sporthalle", committees=["sjs"], when="2013-07-12 10:00"
    )
    meeting = world.new_meeting("magistrat", "2013-08-19 09:00")
    world.schedule(paper.id, "magistrat", meeting.id, when="2013-07-20 10:00")
    url = f"/wetzlar/vorlagen/{(paper.reference or '').replace('/', '-')}/beratungsfolge"
    page_login(api.client, "wetzlar-koordination")
    shown = api.client.get(url)
    assert shown.status_code == 200
    assert "Nur noch zur Ansicht" in shown.text
    assert "steht bereits auf der Tagesordnung (Magistrat)" in shown.text
    assert "<select" not in shown.text
    assert "terminiert" in shown.text
    before = _plan(api, paper.id)
    sent = api.client.post(
        url,
        data={
            "csrf_token": csrf_of(shown),
            "stufe-1-gremium": "stvv",
            "stufe-1-rolle": "decision",
            "aktion": "speichern",
        },
    )
    assert sent.status_code == 422
    assert "steht bereits auf der Tagesordnung" in sent.text
    assert _plan(api, paper.id) == before
    paper_page = api.client.get(url.removesuffix("/beratungsfolge"))
    assert "Beratungsfolge planen" not in paper_page.text


def test_who_may_open_the_editor_is_who_may_plan_through_the_api(api: Api) -> None:
    own = _draft(api)
    other = _draft(api, department="rechtsamt")
    submitted = Scenario(api.db.sessions).submitted_paper(subject="Eingereicht", when="2013-07-12 10:00")
    own_url = f"/wetzlar/vorlagen/entwurf-{own.id}/beratungsfolge"
    other_url = f"/wetzlar/vorlagen/entwurf-{other.id}/beratungsfolge"
    submitted_url = f"/wetzlar/vorlagen/{(submitted.reference or '').replace('/', '-')}/beratungsfolge"

    anonymous = api.client.get(own_url, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/anmelden?weiter=")

    page_login(api.client, "wetzlar-fachamt")  # a department plans its own drafts only, as in the API
    assert api.client.get(own_url).status_code == 200
    assert "Beratungsfolge planen" in api.client.get(own_url.removesuffix("/beratungsfolge")).text
    assert api.client.get(other_url).status_code == 404  # another department's draft is not even shown
    refused = api.client.get(submitted_url)
    assert refused.status_code == 403
    assert "Keine Berechtigung" in refused.text
    api_answer = api.put(f"/wetzlar/papers/{submitted.id}/beratungsfolge", json={}, as_="wetzlar-fachamt")
    assert api_answer.status_code == 403

    for username in ("wetzlar-schrift-stvv", "wetzlar-mitglied"):
        api.client.cookies.clear()
        page_login(api.client, username)
        assert api.client.get(submitted_url).status_code == 403
        assert (
            api.put(f"/wetzlar/papers/{submitted.id}/beratungsfolge", json={}, as_=username).status_code
            == 403
        )
    api.client.cookies.clear()
    page_login(api.client, "duisburg-koordination")  # the office of another municipality
    assert api.client.get(submitted_url).status_code in (403, 404)
