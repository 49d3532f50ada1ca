"""Niedersachsen: every Ratsmitglied may attend the non-public meetings of the committees (§ 72 Abs. 2 Satz 1
NKomVG), so sees their non-public agenda items and papers on every surface; in Hessen and NRW a council member
sees only those of their own bodies."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from api.routes.documents import may_see
from gremienlauf.demo_users import DEMO_PASSWORD
from tests.e2e.conftest import Api
from tests.scenario import Scenario, berlin
from workflow import feeds, meetings
from workflow.access import Role, add_user, principal_for_token
from workflow.models import Body, Membership, Person, StoredFile
from workflow.vocabulary import BodyKind, PaperKind

COMMITTEE = {"wilhelmshaven": "soziales", "duisburg": "soziales", "wetzlar": "sjs"}
MAY_ATTEND = {"wilhelmshaven": True, "duisburg": False, "wetzlar": False}


@dataclass
class World:
    town: str
    username: str
    person: str
    meeting_id: int
    secret_item: str
    paper_id: int
    assembly_in_plan: bool  # then every member of the assembly reads the paper anyway


def _council_member_outside(api: Api, town: str, committee: str) -> str:
    """A member of the assembly who sits neither in ``committee`` nor in the main committee/Magistrat."""
    with api.db.sessions() as s:
        bodies = {b.key: b for b in s.scalars(select(Body).where(Body.municipality.has(key=town)))}
        assembly = next(b for b in bodies.values() if b.kind == BodyKind.assembly.value)
        others = [
            b.id for b in bodies.values() if b.key == committee or b.kind in ("main_committee", "executive")
        ]
        elsewhere = set(s.scalars(select(Membership.person_id).where(Membership.body_id.in_(others))))
        persons = s.scalars(
            select(Person.key)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.body_id == assembly.id, Person.id.not_in(elsewhere))
            .order_by(Membership.id)
        )
        return next(iter(persons))


@pytest.fixture(params=list(COMMITTEE))
def world(request: pytest.FixtureRequest, api: Api) -> World:
    town: str = request.param
    committee = COMMITTEE[town]
    person = _council_member_outside(api, town, committee)
    username = f"{town}-rat-ohne-ausschuss"
    add_user(
        api.db.sessions,
        municipality=town,
        username=username,
        password=DEMO_PASSWORD,
        role=Role.council_member,
        person=person,
        now=berlin("2013-07-01 10:00"),
    )
    sc = Scenario(api.db.sessions, town=town)
    # A non-public Mitteilungsvorlage that goes to the committee (and, in Niedersachsen, the
    # Verwaltungsausschuss), not to the assembly.
    paper = sc.submitted_paper(
        kind=PaperKind.mitteilungsvorlage, committees=[committee], public=False, subject="Vertrauliche Sache"
    )
    meeting = sc.new_meeting(committee, "2013-10-07 17:00")
    if committee in sc.steps(paper.id):
        sc.schedule(paper.id, committee, meeting.id)
    meetings.add_agenda_item(
        api.db.sessions,
        actor="test",
        meeting_id=meeting.id,
        title="Grundstücksangelegenheit (vertraulich)",
        public=False,
        now=berlin("2013-09-20 10:00"),
    )
    with api.db.sessions() as s:
        kinds = {b.key: b.kind for b in s.scalars(select(Body).where(Body.municipality.has(key=town)))}
    in_plan = any(kinds[key] == BodyKind.assembly.value for key in sc.steps(paper.id))
    return World(
        town, username, person, meeting.id, "Grundstücksangelegenheit (vertraulich)", paper.id, in_plan
    )


def test_non_public_committee_items_follow_the_profiles_attendance_rule(api: Api, world: World) -> None:
    seen = api.get(f"/{world.town}/meetings/{world.meeting_id}", as_=world.username)
    assert seen.status_code == 200, seen.text
    titles = [item["title"] for item in seen.json()["agenda_items"]]
    assert (world.secret_item in titles) is MAY_ATTEND[world.town]
    # The public never sees it, whatever the profile.
    public = api.get(f"/{world.town}/meetings/{world.meeting_id}")
    assert world.secret_item not in [item["title"] for item in public.json()["agenda_items"]]


def test_non_public_committee_papers_follow_the_profiles_attendance_rule(api: Api, world: World) -> None:
    # Niedersachsen: the Mitteilungsvorlage goes to the committee and the Verwaltungsausschuss only, and the
    # Ratsmitglied may still read it (§ 72 Abs. 2 NKomVG). Elsewhere it goes to the assembly as well.
    expected = MAY_ATTEND[world.town] or world.assembly_in_plan
    assert world.assembly_in_plan is not MAY_ATTEND[world.town]
    read = api.get(f"/{world.town}/papers/{world.paper_id}", as_=world.username)
    assert read.status_code == (200 if expected else 404), read.text
    listed = api.get(f"/{world.town}/papers", params={"q": "Vertrauliche"}, as_=world.username)
    assert listed.status_code == 200
    assert (world.paper_id in [p["id"] for p in listed.json()["items"]]) is expected
    assert api.get(f"/{world.town}/papers/{world.paper_id}").status_code == 404


def test_non_public_documents_of_committee_meetings_follow_the_profiles_attendance_rule(
    api: Api, world: World
) -> None:
    token = api.token(world.username)
    with api.db.sessions() as s:
        who = principal_for_token(s, token, berlin("2013-07-12 10:00"))
        invitation = StoredFile(
            municipality_id=who.municipality_id,
            meeting_id=world.meeting_id,
            paper_id=None,
            public=False,
            draft=False,
        )
        assert may_see(s, who, invitation) is MAY_ATTEND[world.town]
        assert may_see(s, None, invitation) is False


def test_the_personal_calendar_feed_never_carries_non_public_items(api: Api, world: World) -> None:
    now = berlin("2013-09-25 10:00")
    token = feeds.create_token(api.db.sessions, municipality=world.town, person=world.person, now=now)
    with api.db.sessions() as s:
        content = feeds.person_feed(
            s,
            municipality=world.town,
            person=world.person,
            token=token,
            public_url="http://127.0.0.1:8000",
            now=now,
        ).decode()
    assert world.secret_item not in content
