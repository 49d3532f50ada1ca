"""The council member's pages ("Meine Sitzungen", "Vorlagen meiner Gremien") and the department's Word
preview of a draft, over HTTP on SQLite and PostgreSQL: nothing the JSON API would refuse a person appears."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from sqlalchemy import func, select

from api.web import links, member
from tests.e2e.conftest import Api
from tests.scenario import Scenario, berlin
from tests.web.conftest import page_login
from workflow import papers, planning
from workflow.access import Role, add_user
from workflow.member_meetings import PAGE_SIZE
from workflow.memberships import add_person, end_membership
from workflow.models import Meeting, Membership, Paper, StoredFile
from workflow.planning import StepInput
from workflow.source_models import ImportedFile
from workflow.vocabulary import ConsultationRole, PaperKind

SUBSTITUTE = "wetzlar-zimmermann"  # sits in the StVV, and in the SJS as Vertretung for Heuser


def _add_substitute_login(api: Api) -> None:
    add_user(
        api.db.sessions,
        municipality="wetzlar",
        username=SUBSTITUTE,
        password="demo-passwort",
        role=Role.council_member,
        person="zimmermann",
    )


def _meeting_url(api: Api, meeting_id: int) -> str:
    with api.db.sessions() as s:
        return links.meeting(s, "wetzlar", s.get_one(Meeting, meeting_id))


def _meeting_file(api: Api, meeting: Meeting, *, public: bool, name: str) -> None:
    with api.db.sessions.begin() as s:
        s.add(
            StoredFile(
                municipality_id=meeting.municipality_id,
                kind="invitation",
                meeting_id=meeting.id,
                version=1,
                output_key=f"test:{meeting.id}:{name}",
                name=name,
                file_name=f"{name}.pdf",
                media_type="application/pdf",
                size_bytes=4,
                sha256="0" * 64,
                content=b"%PDF",
                public=public,
            )
        )


def test_my_meetings_lists_the_meetings_of_my_bodies_also_as_a_substitute(api: Api) -> None:
    _add_substitute_login(api)
    world = Scenario(api.db.sessions)
    secret = world.submitted_paper(subject="Grundstückskauf Lahnufer", public=False, committees=["sjs"])
    sjs = world.new_meeting("sjs", "2013-10-28 17:00")
    world.schedule(secret.id, "sjs", sjs.id)
    kfp = world.new_meeting("kfp", "2013-10-29 17:00")  # a committee Zimmermann does not sit in
    early = world.new_meeting("sjs", "2013-06-03 17:00")  # before the clock: a past meeting
    _meeting_file(api, sjs, public=False, name="Einladung SJS nichtöffentlich")

    page_login(api.client, SUBSTITUTE)
    page = api.client.get("/wetzlar/meine-sitzungen")
    assert page.status_code == 200
    coming, past = page.text.split('id="vergangene"')
    assert _meeting_url(api, sjs.id) in coming
    assert "SJS: Vertretung für" in coming
    assert "Heuser" in coming
    assert _meeting_url(api, kfp.id) not in page.text
    assert _meeting_url(api, early.id) in past
    assert "Einladung SJS nichtöffentlich" in coming  # a document the download rule gives this member
    meeting_page = api.client.get(_meeting_url(api, sjs.id)).text
    assert "Grundstückskauf Lahnufer" in meeting_page  # the non-public part, visible to a member
    assert "nichtöffentlicher Teil" in meeting_page

    # Once his substitution ends the day before, the meeting is no longer one of his; the earlier one stays.
    world_ids = Scenario(api.db.sessions)
    with api.db.sessions() as s:
        substitution = s.scalars(
            select(Membership.id).where(
                Membership.person_id == world_ids.person_id("zimmermann"),
                Membership.body_id == world_ids.body_id("sjs"),
            )
        ).one()
    end_membership(
        api.db.sessions,
        actor="test",
        municipality_id=world_ids.town_id(),
        membership_id=substitution,
        until=dt.date(2013, 10, 27),
    )
    after = api.client.get("/wetzlar/meine-sitzungen").text
    assert _meeting_url(api, sjs.id) not in after
    assert _meeting_url(api, early.id) in after

    api.client.cookies.clear()
    page_login(api.client, "wetzlar-mitglied-magistrat")  # sits in the Magistrat only
    other = api.client.get("/wetzlar/meine-sitzungen").text
    assert _meeting_url(api, sjs.id) not in other
    assert "Einladung SJS nichtöffentlich" not in other
    assert "Grundstückskauf" not in other


def _planned(api: Api, subject: str, stages: list[list[StepInput]], *, public: bool = False) -> Paper:
    """A submitted paper with exactly this Beratungsfolge."""
    now = berlin("2013-09-10 10:00")
    paper = papers.draft_paper(
        api.db.sessions,
        actor="test",
        municipality="wetzlar",
        kind=PaperKind.beschlussvorlage,
        department="kbs",
        subject=subject,
        paper_date=now.date(),
        public=public,
        now=now,
    )
    planning.plan_consultations(api.db.sessions, actor="test", paper_id=paper.id, stages=stages, now=now)
    return papers.submit_paper(api.db.sessions, actor="test", paper_id=paper.id, now=now)


def test_the_papers_of_my_bodies_include_the_non_public_ones_of_my_bodies_only(api: Api) -> None:
    _add_substitute_login(api)
    decision = ConsultationRole.decision
    _planned(api, "Grundstückskauf Lahnufer", [[StepInput("sjs")], [StepInput("stvv", decision)]])
    _planned(api, "Kulturpreis vertraulich", [[StepInput("kfp")], [StepInput("magistrat", decision)]])
    _planned(
        api, "Stadtfest öffentlich", [[StepInput("kfp")], [StepInput("magistrat", decision)]], public=True
    )
    page_login(api.client, SUBSTITUTE)
    mine = api.client.get("/wetzlar/meine-vorlagen")
    assert mine.status_code == 200
    assert "Grundstückskauf Lahnufer" in mine.text  # SJS (as a substitute) and StVV, non-public
    assert "nichtöffentlich" in mine.text
    assert "Kulturpreis" not in mine.text  # KFP and Magistrat: not bodies of Zimmermann
    assert "Stadtfest" not in mine.text  # public, but not of his bodies either (the search has it)
    only_sjs = api.client.get("/wetzlar/meine-vorlagen?gremium=sjs")
    assert "Grundstückskauf Lahnufer" in only_sjs.text
    fragment = api.client.get("/wetzlar/meine-vorlagen?gremium=sjs", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="meine-vorlagen">')
    bad = api.client.get("/wetzlar/meine-vorlagen?weiter=kaputt")
    assert bad.status_code == 200
    assert "„kaputt“ ist keine gültige Seitenangabe; angezeigt wird die erste Seite." in bad.text
    assert "Grundstückskauf Lahnufer" in bad.text

    # The JSON API agrees: the non-public paper of other bodies is not in this member's list either.
    api_subjects = {
        p["subject"] for p in api.get("/wetzlar/papers?limit=100", as_=SUBSTITUTE).json()["items"]
    }
    assert "Kulturpreis vertraulich" not in api_subjects
    assert "Grundstückskauf Lahnufer" in api_subjects

    api.client.cookies.clear()
    page_login(api.client, "wetzlar-mitglied-magistrat")  # Herget: the Magistrat only
    other = api.client.get("/wetzlar/meine-vorlagen").text
    assert "Grundstückskauf" not in other
    assert "Kulturpreis vertraulich" in other

    # A council member of no body: nothing non-public anywhere on these pages (nor in the API's list).
    town_id = Scenario(api.db.sessions).town_id()
    add_person(
        api.db.sessions, actor="test", municipality_id=town_id, key="ohne", given_name="O", family_name="Ohne"
    )
    add_user(
        api.db.sessions,
        municipality="wetzlar",
        username="wetzlar-ohne",
        password="demo-passwort",
        role=Role.council_member,
        person="ohne",
    )
    api.client.cookies.clear()
    page_login(api.client, "wetzlar-ohne")
    for url in ("/wetzlar/meine-vorlagen", "/wetzlar/meine-sitzungen", "/wetzlar/vorlagen"):
        shown = api.client.get(url).text
        assert "Grundstückskauf" not in shown, url
        assert "Kulturpreis" not in shown, url
    nobody = {p["subject"] for p in api.get("/wetzlar/papers?limit=100", as_="wetzlar-ohne").json()["items"]}
    assert not nobody & {"Grundstückskauf Lahnufer", "Kulturpreis vertraulich"}

    api.client.cookies.clear()
    page_login(api.client, "wetzlar-koordination")  # staff have no bodies of their own
    assert api.client.get("/wetzlar/meine-vorlagen").status_code == 403


def _draft(api: Api, subject: str = "Neue Spielplätze am Dom") -> Paper:
    return papers.draft_paper(
        api.db.sessions,
        actor="test",
        municipality="wetzlar",
        kind=PaperKind.beschlussvorlage,
        department="kbs",
        subject=subject,
        paper_date=dt.date(2013, 7, 12),
        proposed_resolution="Die Stadtverordnetenversammlung beschließt die Spielplätze.",
        justification="Weil Kinder spielen.",
    )


def _stored_files(api: Api) -> int:
    with api.db.sessions() as s:
        return s.scalar(select(func.count()).select_from(StoredFile)) or 0


def test_the_department_downloads_a_word_preview_of_its_draft_without_a_stored_version(api: Api) -> None:
    paper = _draft(api)
    url = f"/wetzlar/vorlagen/entwurf-{paper.id}/vorschau.docx"
    page_login(api.client, "wetzlar-fachamt")
    assert url in api.client.get(f"/wetzlar/vorlagen/entwurf-{paper.id}").text
    assert url in api.client.get(f"/wetzlar/vorlagen/entwurf-{paper.id}/bearbeiten").text
    before = _stored_files(api)
    preview = api.client.get(url)
    assert preview.status_code == 200
    assert preview.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert "attachment" in preview.headers["content-disposition"]
    assert preview.headers["cache-control"] == "private, no-store"
    document = zipfile.ZipFile(io.BytesIO(preview.content)).read("word/document.xml").decode()
    assert "Neue Spielplätze am Dom" in document
    assert "Weil Kinder spielen." in document
    assert _stored_files(api) == before  # nothing stored, no version counted

    for who in ("wetzlar-mitglied", "wetzlar-schrift-stvv", "duisburg-koordination"):
        api.client.cookies.clear()
        page_login(api.client, who)
        assert api.client.get(url).status_code == 404, who
    api.client.cookies.clear()
    assert api.client.get(url, follow_redirects=False).status_code == 303  # to the login page
    page_login(api.client, "wetzlar-koordination")
    assert api.client.get(url).status_code == 200
    submitted = Scenario(api.db.sessions).submitted_paper(subject="Schon eingereicht")
    with api.db.sessions() as s:
        slug = links.paper_slug(s.get_one(Paper, submitted.id))
    assert api.client.get(f"/wetzlar/vorlagen/{slug}/vorschau.docx").status_code == 404


def _total(page: str, heading_id: str) -> int:
    """The total in a list's heading: ``<h2 … id="vergangene" …>Vergangene Sitzungen <span …>(23)</span>``."""
    found = re.search(rf'id="{heading_id}"[^>]*>[^<]*<span class="count">\((\d+)\)</span>', page)
    assert found, heading_id
    return int(found[1])


def _listed(page: str, list_id: str) -> list[str]:
    """The meeting addresses in one of the lists, in their order."""
    section = page.split(f'id="{list_id}"', 1)[1].split("</ul>\n</section>", 1)[0]
    return re.findall(r'<a class="kern-link" href="(/wetzlar/sitzungen/[^"#]+)">', section)


def test_my_meetings_come_a_page_at_a_time_with_their_totals(api: Api) -> None:
    _add_substitute_login(api)
    page_login(api.client, SUBSTITUTE)
    before = _total(api.client.get("/wetzlar/meine-sitzungen").text, "vergangene")
    world = Scenario(api.db.sessions)
    added = [world.new_meeting("stvv", f"2013-01-{day:02d} 18:00") for day in range(1, PAGE_SIZE + 3)]

    first = api.client.get("/wetzlar/meine-sitzungen").text
    total = before + len(added)
    pages = -(-total // PAGE_SIZE)
    assert _total(first, "vergangene") == total
    assert f"Seite 1 von {pages}" in first
    assert 'href="/wetzlar/meine-sitzungen?vergangene=2#vergangene">Ältere Sitzungen' in first
    assert "Neuere Sitzungen" not in first
    newest = _listed(first, "vergangene-liste")
    assert len(newest) == PAGE_SIZE

    second = api.client.get("/wetzlar/meine-sitzungen?vergangene=2").text
    assert f"Seite 2 von {pages}" in second
    assert 'href="/wetzlar/meine-sitzungen#vergangene">Neuere Sitzungen' in second
    older = _listed(second, "vergangene-liste")
    assert older
    assert not set(older) & set(newest)
    walked = newest + older
    for number in range(3, pages + 1):
        walked += _listed(
            api.client.get(f"/wetzlar/meine-sitzungen?vergangene={number}").text, "vergangene-liste"
        )
    assert len(walked) == len(set(walked)) == total
    assert {_meeting_url(api, m.id) for m in added} <= set(walked)
    assert walked.index(_meeting_url(api, added[-1].id)) < walked.index(_meeting_url(api, added[0].id))

    beyond = api.client.get("/wetzlar/meine-sitzungen?vergangene=500&kommende=7")
    assert beyond.status_code == 200
    assert f"Seite {pages} von {pages}" in beyond.text
    assert _listed(beyond.text, "vergangene-liste") == _listed(
        api.client.get(f"/wetzlar/meine-sitzungen?vergangene={pages}").text, "vergangene-liste"
    )
    for bad in ("abc", "0", "-2", "1.5", "99999999999999"):
        notice = f"„{bad}“ ist keine Seitenzahl; angezeigt wird Seite 1."
        past = api.client.get(f"/wetzlar/meine-sitzungen?vergangene={bad}&kommende=7")
        assert past.status_code == 200, bad
        assert _listed(past.text, "vergangene-liste") == newest, bad
        assert f"Seite 1 von {pages}" in past.text, bad
        assert notice in past.text.split('id="vergangene"')[1], bad
        assert notice not in past.text.split('id="vergangene"')[0], bad  # not beside the coming ones
        coming = api.client.get(f"/wetzlar/meine-sitzungen?kommende={bad}&vergangene=2")
        assert coming.status_code == 200, bad
        assert notice in coming.text.split('id="vergangene"')[0], bad
        assert _listed(coming.text, "vergangene-liste") == older, bad  # the other list keeps its page
    too_long = api.client.get("/wetzlar/meine-sitzungen?vergangene=" + "1" * 50)
    assert too_long.status_code == 400
    assert "ungültige Angaben" in too_long.text


def _subjects(page: str) -> list[str]:
    return re.findall(r'<a class="kern-link" href="/wetzlar/vorlagen/[^"]+">[^:<]+: ([^<]+)</a>', page)


def _next(page: str) -> str | None:
    found = re.search(r'<a class="kern-link" href="([^"]+)">Weitere Vorlagen</a>', page)
    return found[1].replace("&amp;", "&") if found else None


def test_the_papers_of_my_bodies_come_a_page_at_a_time_and_never_with_another_bodys_secret(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_substitute_login(api)
    decision = ConsultationRole.decision
    for n in range(3):
        _planned(api, f"Grundstückskauf Lahnufer {n}", [[StepInput("sjs")], [StepInput("stvv", decision)]])
    _planned(api, "Kulturpreis vertraulich", [[StepInput("kfp")], [StepInput("magistrat", decision)]])
    page_login(api.client, SUBSTITUTE)
    whole = api.client.get("/wetzlar/meine-vorlagen").text
    everything = _subjects(whole)
    total = len(everything)
    assert total >= 3
    assert f"{total} Vorlagen</h2>" in whole
    assert _next(whole) is None

    monkeypatch.setattr(member, "PAPERS_PAGE", 2)
    walked: list[str] = []
    url: str | None = "/wetzlar/meine-vorlagen"
    while url:
        shown = api.client.get(url)
        assert shown.status_code == 200
        assert f"{total} Vorlagen</h2>" in shown.text  # the whole list's total on every page
        assert "Kulturpreis" not in shown.text
        if url != "/wetzlar/meine-vorlagen":
            assert 'href="/wetzlar/meine-vorlagen">Zur ersten Seite' in shown.text
        walked += _subjects(shown.text)
        url = _next(shown.text)
    assert walked == everything

    only_sjs = api.client.get("/wetzlar/meine-vorlagen?gremium=sjs").text
    assert "3 Vorlagen</h2>" in only_sjs
    second = api.client.get(_next(only_sjs) or "").text
    assert 'href="/wetzlar/meine-vorlagen?gremium=sjs">Zur ersten Seite' in second

    monkeypatch.setattr(member, "PAPERS_COUNTED", 2)
    assert "Mehr als 2 Vorlagen</h2>" in api.client.get("/wetzlar/meine-vorlagen?gremium=sjs").text

    assert api.client.get("/wetzlar/meine-vorlagen?gremium=unbekannt").status_code == 200  # an old link
    for bad in ("kaputt", "MA==", "-"):
        answer = api.client.get(f"/wetzlar/meine-vorlagen?weiter={bad}")
        assert answer.status_code == 200, bad
        assert f"„{bad}“ ist keine gültige Seitenangabe; angezeigt wird die erste Seite." in answer.text, bad
        assert _subjects(answer.text) == everything[:2], bad
        assert "Zur ersten Seite" not in answer.text, bad
        assert "Kulturpreis" not in answer.text, bad
    for bad in ("weiter=" + "x" * 41, "gremium=" + "x" * 65):
        answer = api.client.get(f"/wetzlar/meine-vorlagen?{bad}")
        assert answer.status_code == 400, bad
        assert "ungültige Angaben" in answer.text, bad
        assert "Kulturpreis" not in answer.text, bad


def test_my_meetings_list_the_published_file_records_from_the_old_system_only(api: Api) -> None:
    _add_substitute_login(api)
    sjs = Scenario(api.db.sessions).new_meeting("sjs", "2013-10-28 17:00")
    with api.db.sessions.begin() as s:
        for name, public in (("Altes Protokoll veröffentlicht", True), ("Altes Protokoll gesperrt", False)):
            s.add(
                ImportedFile(
                    municipality_id=sjs.municipality_id,
                    meeting_id=sjs.id,
                    role="resultsProtocol",
                    name=name,
                    access_url=f"https://alt.example/{name.replace(' ', '-')}",
                    public=public,
                )
            )
    page_login(api.client, SUBSTITUTE)
    page = api.client.get("/wetzlar/meine-sitzungen").text
    assert "Altes Protokoll veröffentlicht" in page
    assert "Altes Protokoll gesperrt" not in page
