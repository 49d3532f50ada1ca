"""Decisions without a meeting (Umlaufverfahren), per profile: the Magistrat in Wetzlar (§ 67 Abs. 1 Satz 3 HGO),
the Verwaltungsausschuss in Wilhelmshaven (§ 78 Abs. 3 NKomVG), and none in Duisburg (the GO NRW has no such
rule). Each test names the rule it holds the system to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api import views
from tests.conftest import Database
from tests.scenario import Scenario, berlin
from workers.documents.contexts import vorlage_context
from workflow import circulation, papers
from workflow.access import Forbidden, Principal, Role
from workflow.errors import Conflict, RuleViolation, TransitionNotAllowed
from workflow.models import AuditEvent, Circulation, ItemResult
from workflow.queries import paper_status
from workflow.rules import BERLIN
from workflow.vocabulary import CirculationState, ConsultationState, Outcome, PaperState


@dataclass(frozen=True)
class Town:
    key: str
    body: str  # the body that may decide in writing
    other: str  # a committee of the town, which may not
    when: str  # the day the paper is submitted
    simple_matter: bool  # the law allows it only in simple matters (HGO)


WETZLAR = Town("wetzlar", "magistrat", "sjs", "2013-09-10 10:00", True)
WILHELMSHAVEN = Town("wilhelmshaven", "va", "soziales", "2023-05-02 10:00", False)
TOWNS = {t.key: t for t in (WETZLAR, WILHELMSHAVEN)}


def office(sc: Scenario) -> Principal:
    return Principal(0, "buero", Role.coordination, sc.town_id(), None, None, frozenset())


def member(sc: Scenario, person_id: int) -> Principal:
    return Principal(
        0, f"mitglied{person_id}", Role.council_member, sc.town_id(), None, person_id, frozenset()
    )


def at(town: Town, hours: int) -> dt.datetime:
    return berlin(town.when) + dt.timedelta(days=1, hours=hours)


def decided_by(sc: Scenario, town: Town, subject: str = "Umlaufvorlage") -> int:
    """A submitted paper that the town's body decides (its deciding step, first and only stage)."""
    return sc.submitted_paper(decided_by=town.body, when=town.when, subject=subject).id


def start(sc: Scenario, town: Town, paper_id: int, **kwargs: object) -> Circulation:
    kwargs.setdefault("simple_matter", town.simple_matter)
    return circulation.start_circulation(
        sc.sessions,
        who=office(sc),
        consultation_id=sc.steps(paper_id)[town.body].id,
        now=at(town, 0),
        **kwargs,  # type: ignore[arg-type]
    )


def answer(
    sc: Scenario, town: Town, circ: Circulation, person: int, choice: str, hour: int = 1
) -> Circulation:
    return circulation.answer_circulation(
        sc.sessions, who=member(sc, person), circulation_id=circ.id, answer=choice, now=at(town, hour)
    )


@pytest.mark.parametrize("town", sorted(TOWNS))
def test_every_member_answers_in_writing_and_the_paper_is_decided(db: Database, town: str) -> None:
    """§ 67 Abs. 1 Satz 3 HGO, § 78 Abs. 3 NKomVG: decided in writing when nobody objects; the result is recorded
    with the answers, the votes counted from them, audited, and applied to the paper like a meeting's result."""
    t = TOWNS[town]
    sc = Scenario(db.sessions, town=town)
    paper_id = decided_by(sc, t)
    circ = start(sc, t, paper_id)
    assert sc.steps(paper_id)[t.body].state == ConsultationState.circulating
    assert sc.paper(paper_id).state == PaperState.in_deliberation
    members = sc.members(t.body)
    choices = ["no", "abstain"] + ["yes"] * (len(members) - 2)
    for hour, (person, choice) in enumerate(zip(members, choices, strict=True), start=1):
        answer(sc, t, circ, person, choice, hour)

    paper = sc.paper(paper_id)
    assert (paper.state, paper.resolution_text) == (PaperState.adopted, "Der Beschlussvorschlag.")
    assert paper.decided_at == at(t, len(members))
    step = sc.steps(paper_id)[t.body]
    assert (step.state, step.outcome, step.meeting_id) == (ConsultationState.dealt_with, "adopted", None)
    with db.session() as s:
        done = s.get_one(Circulation, circ.id)
        assert done.state == CirculationState.decided
        result = s.scalars(select(ItemResult).where(ItemResult.circulation_id == circ.id)).one()
        assert (result.agenda_item_id, result.outcome) == (None, "adopted")
        vote = result.votes[0]
        assert (vote.yes, vote.no, vote.abstain) == (len(members) - 2, 1, 1)
        assert {n.person_id: n.choice for n in vote.named} == dict(zip(members, choices, strict=True))
        assert sorted(p.person_id for p in result.present) == sorted(members)
        actions = [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.paper_id == paper_id))]
    assert actions.count("circulation.answered") == len(members)
    for action in ("circulation.started", "result.recorded", "circulation.decided", "paper.adopt"):
        assert action in actions
    # The status shows it to those who may see the body's non-public matters (both bodies meet in private).
    with db.session() as s:
        status = views.status_out(
            paper_status(s, paper_id),
            may_see_non_public_of=lambda _m: True,
            may_see_non_public_of_body=lambda _b: True,
        )
        public = views.status_out(paper_status(s, paper_id), may_see_non_public_of=lambda _m: False)
    seen = status.steps[0]
    assert (seen.outcome, seen.circulations[0].state, seen.circulations[0].votes) == (
        "adopted",
        "decided",
        f"{len(members) - 2} Ja / 1 Nein / 1 Enthaltung",
    )
    assert (public.steps[0].outcome, public.steps[0].outcome_wording, public.steps[0].circulations) == (
        None,
        None,
        [],
    )
    # The Beratungsfolge table of the Vorlage prints it with the day it ended.
    with db.session() as s:
        table = paper_status(s, paper_id).table()
    name = {"wetzlar": "Magistrat", "wilhelmshaven": "Verwaltungsausschuss"}[town]
    ended = at(t, len(members)).astimezone(BERLIN)
    assert table == [
        (
            name,
            f"{ended:%d.%m.%Y}",
            "Umlauf",
            f"beschlossen im Umlaufverfahren ({len(members) - 2} Ja / 1 Nein / 1 Enthaltung)",
        )
    ]
    # Once ended, no answer is taken.
    with pytest.raises(TransitionNotAllowed, match="has ended") as late:
        answer(sc, t, circ, members[0], "yes", 40)
    assert "Antworten werden nicht mehr angenommen" in late.value.german


@pytest.mark.parametrize("town", sorted(TOWNS))
def test_a_majority_against_rejects_the_paper(db: Database, town: str) -> None:
    """The body's majority rule applies to the counted answers: more no than yes rejects."""
    t = TOWNS[town]
    sc = Scenario(db.sessions, town=town)
    paper_id = decided_by(sc, t)
    circ = start(sc, t, paper_id)
    members = sc.members(t.body)
    for i, person in enumerate(members):
        answer(sc, t, circ, person, "yes" if i < 3 else "no")
    assert sc.paper(paper_id).state == PaperState.rejected
    assert sc.steps(paper_id)[t.body].outcome == Outcome.rejected


@pytest.mark.parametrize("town", sorted(TOWNS))
def test_one_objection_ends_the_circulation_and_the_step_waits_for_a_meeting(db: Database, town: str) -> None:
    """ "wenn niemand widerspricht" / "wenn kein Mitglied ... widerspricht": one objection ends it."""
    t = TOWNS[town]
    sc = Scenario(db.sessions, town=town)
    paper_id = decided_by(sc, t)
    circ = start(sc, t, paper_id)
    first, second, third = sc.members(t.body)[:3]
    answer(sc, t, circ, first, "yes")
    answer(sc, t, circ, second, "object", 2)
    with db.session() as s:
        ended = s.get_one(Circulation, circ.id)
        assert (ended.state, ended.objected_by_id) == (CirculationState.objected, second)
        assert s.scalar(select(ItemResult.id).where(ItemResult.circulation_id == circ.id)) is None
    assert sc.steps(paper_id)[t.body].state == ConsultationState.planned
    assert sc.paper(paper_id).state == PaperState.in_deliberation
    with pytest.raises(TransitionNotAllowed) as late:
        answer(sc, t, circ, third, "yes", 3)
    assert late.value.details["rule"] == "circulation_ended"
    # The step goes on a meeting's agenda as any other.
    meeting = sc.new_meeting(t.body, "2023-06-01 09:00" if town == "wilhelmshaven" else "2013-10-01 09:00")
    sc.schedule(paper_id, t.body, meeting.id)
    assert sc.steps(paper_id)[t.body].state == ConsultationState.scheduled


@pytest.mark.parametrize("town", sorted(TOWNS))
def test_only_a_member_answers_and_only_once(db: Database, town: str) -> None:
    t = TOWNS[town]
    sc = Scenario(db.sessions, town=town)
    paper_id = decided_by(sc, t)
    circ = start(sc, t, paper_id)
    outsider = next(p for p in sc.members(t.other) if p not in sc.members(t.body))
    with pytest.raises(Forbidden, match="Only the members of"):
        answer(sc, t, circ, outsider, "yes")
    with pytest.raises(Forbidden):  # not a council member's login at all
        circulation.answer_circulation(
            sc.sessions, who=office(sc), circulation_id=circ.id, answer="yes", now=at(t, 1)
        )
    first = sc.members(t.body)[0]
    answer(sc, t, circ, first, "yes")
    with pytest.raises(Conflict) as twice:
        answer(sc, t, circ, first, "no", 2)
    assert twice.value.details["rule"] == "circulation_answered_twice"
    assert "bereits geantwortet" in twice.value.german
    with pytest.raises(RuleViolation, match="answer"):
        answer(sc, t, circ, sc.members(t.body)[1], "vielleicht")
    with db.session() as s:
        answers = {a.person_id: a.answer for a in s.get_one(Circulation, circ.id).answers}
    assert answers[first] == "yes"
    assert sum(1 for a in answers.values() if a is not None) == 1


@pytest.mark.parametrize("town", sorted(TOWNS))
def test_a_step_on_an_agenda_is_not_circulated_and_a_circulating_step_is_not_scheduled(
    db: Database, town: str
) -> None:
    t = TOWNS[town]
    sc = Scenario(db.sessions, town=town)
    on_agenda = decided_by(sc, t, "Auf der Tagesordnung")
    meeting = sc.new_meeting(t.body, "2023-06-01 09:00" if town == "wilhelmshaven" else "2013-10-01 09:00")
    sc.schedule(on_agenda, t.body, meeting.id)
    with pytest.raises(TransitionNotAllowed) as refused:
        start(sc, t, on_agenda)
    assert refused.value.details["rule"] == "circulation_step_on_agenda"
    circulating = decided_by(sc, t, "Im Umlauf")
    start(sc, t, circulating)
    with pytest.raises(TransitionNotAllowed):
        sc.schedule(circulating, t.body, meeting.id)
    with pytest.raises(TransitionNotAllowed):  # and not twice
        start(sc, t, circulating)


@pytest.mark.parametrize("town", sorted(TOWNS))
def test_only_the_body_the_law_names_decides_in_writing(db: Database, town: str) -> None:
    t = TOWNS[town]
    sc = Scenario(db.sessions, town=town)
    paper_id = sc.submitted_paper(committees=[t.other], when=t.when).id
    with pytest.raises(RuleViolation) as refused:
        circulation.start_circulation(
            sc.sessions,
            who=office(sc),
            consultation_id=sc.steps(paper_id)[t.other].id,
            simple_matter=True,
            now=at(t, 0),
        )
    assert refused.value.details["rule"] == "circulation_not_for_this_body"
    basis = "§ 67 Abs. 1 Satz 3 HGO" if town == "wetzlar" else "§ 78 Abs. 3 NKomVG"
    assert basis in refused.value.german


def test_hessen_only_in_simple_matters(db: Database) -> None:
    """§ 67 Abs. 1 Satz 3 HGO: "In einfachen Angelegenheiten" — whoever starts it confirms that it is one."""
    sc = Scenario(db.sessions)
    paper_id = decided_by(sc, WETZLAR)
    with pytest.raises(RuleViolation) as refused:
        start(sc, WETZLAR, paper_id, simple_matter=False)
    assert refused.value.details["rule"] == "circulation_simple_matters_only"
    assert "§ 67 Abs. 1 Satz 3 HGO" in refused.value.german
    assert "einfachen Angelegenheiten" in refused.value.german
    assert start(sc, WETZLAR, paper_id).simple_matter is True


def test_hessen_magistrat_tie_is_decided_by_the_presiding_members_answer(db: Database) -> None:
    """§ 68 HGO (tie rule of the Magistrat, not checked against the statute): on a tie the chair's vote
    decides; in writing, the chair's own answer."""
    sc = Scenario(db.sessions)
    paper_id = decided_by(sc, WETZLAR)
    circ = start(sc, WETZLAR, paper_id)
    members = sc.members("magistrat")  # 12, the chair first
    for i, person in enumerate(members):
        answer(sc, WETZLAR, circ, person, "yes" if i < 6 else "no")
    assert sc.paper(paper_id).state == PaperState.adopted
    with db.session() as s:
        vote = s.scalars(select(ItemResult).where(ItemResult.circulation_id == circ.id)).one().votes[0]
        assert (vote.yes, vote.no, vote.casting_vote) == (6, 6, "yes")


def test_a_recommending_step_is_recommended_in_writing_and_the_paper_moves_on(db: Database) -> None:
    """The Wetzlar Magistrat prepares the Stadtverordnetenversammlung's decision: its step recommends."""
    sc = Scenario(db.sessions)
    paper_id = sc.submitted_paper(committees=["sjs"], when=WETZLAR.when).id
    circ = start(sc, WETZLAR, paper_id, resolution_text="Der geänderte Beschlussvorschlag.")
    for person in sc.members("magistrat"):
        answer(sc, WETZLAR, circ, person, "yes")
    steps = sc.steps(paper_id)
    assert (steps["magistrat"].outcome, steps["magistrat"].state) == ("recommended_amended", "dealt_with")
    assert steps["sjs"].resolution_text == "Der geänderte Beschlussvorschlag."
    assert sc.paper(paper_id).state == PaperState.in_deliberation


def test_nrw_has_no_decision_without_a_meeting(db: Database) -> None:
    """The GO NRW provides no Umlaufverfahren: refused, naming that."""
    sc = Scenario(db.sessions, town="duisburg")
    paper_id = sc.submitted_paper(decided_by="hfa", when="2007-01-15 10:00").id
    with pytest.raises(RuleViolation) as refused:
        circulation.start_circulation(
            sc.sessions,
            who=office(sc),
            consultation_id=sc.steps(paper_id)["hfa"].id,
            simple_matter=True,
            now=berlin("2007-01-16 10:00"),
        )
    assert refused.value.details["rule"] == "circulation_not_provided"
    assert "GO NRW" in refused.value.german
    assert "nicht vorgesehen" in refused.value.german
    assert sc.steps(paper_id)["hfa"].state == ConsultationState.planned
    with db.session() as s:
        assert s.scalar(select(Circulation.id)) is None


def test_a_result_names_either_its_agenda_item_or_its_circulation(db: Database) -> None:
    """The database refuses a result without either (the check constraint of migration 0013)."""
    now = berlin("2013-09-11 10:00")
    with db.session() as s:
        s.add(
            ItemResult(outcome="adopted", outcome_wording="beschlossen", recorded_by="test", recorded_at=now)
        )
        with pytest.raises(IntegrityError):
            s.flush()


@pytest.mark.parametrize("town", sorted(TOWNS))
def test_the_bodys_secretary_may_start_it_a_secretary_of_another_body_may_not(
    db: Database, town: str
) -> None:
    t = TOWNS[town]
    sc = Scenario(db.sessions, town=town)
    paper_id = decided_by(sc, t)
    step = sc.steps(paper_id)[t.body].id
    other = Principal(
        0, "schrift", Role.secretary, sc.town_id(), None, None, frozenset({sc.body_id(t.other)})
    )
    own = Principal(0, "schrift", Role.secretary, sc.town_id(), None, None, frozenset({sc.body_id(t.body)}))

    def call(who: Principal) -> Circulation:
        return circulation.start_circulation(
            sc.sessions, who=who, consultation_id=step, simple_matter=t.simple_matter, now=at(t, 0)
        )

    for outsider in (other, member(sc, sc.members(t.body)[0])):
        with pytest.raises(Forbidden):
            call(outsider)
    assert call(own).started_by == own.actor


@pytest.mark.parametrize("town", sorted(TOWNS))
def test_withdrawing_the_paper_cancels_a_running_circulation(db: Database, town: str) -> None:
    t = TOWNS[town]
    sc = Scenario(db.sessions, town=town)
    paper_id = decided_by(sc, t)
    circ = start(sc, t, paper_id)
    answer(sc, t, circ, sc.members(t.body)[0], "yes")
    papers.withdraw_paper(sc.sessions, actor="test", paper_id=paper_id, reason="Erledigt", now=at(t, 2))
    with db.session() as s:
        assert s.get_one(Circulation, circ.id).state == CirculationState.cancelled
    assert sc.steps(paper_id)[t.body].state == ConsultationState.closed
    with pytest.raises(TransitionNotAllowed, match="has ended"):
        answer(sc, t, circ, sc.members(t.body)[1], "yes", 3)


@pytest.mark.parametrize("public", [True, False])
def test_the_vorlage_prints_the_magistrats_decision_in_writing_only_in_its_non_public_form(
    db: Database, public: bool
) -> None:
    """The Vorlage of a public paper is published: a non-public body's decision without a meeting keeps only
    Gremium and date there, as an appearance on a non-public TOP does."""
    sc = Scenario(db.sessions)
    paper_id = sc.submitted_paper(decided_by="magistrat", when=WETZLAR.when, public=public).id
    circ = start(sc, WETZLAR, paper_id)
    for person in sc.members("magistrat"):
        answer(sc, WETZLAR, circ, person, "yes")
    with db.session() as s:
        rows = vorlage_context(s, paper_id).consultations
    day = f"{at(WETZLAR, 1).astimezone(BERLIN):%d.%m.%Y}"
    assert [(r.body, r.date, r.item, r.result) for r in rows] == [
        ("Magistrat", day, "", "")
        if public
        else ("Magistrat", day, "Umlauf", "beschlossen im Umlaufverfahren (einstimmig)")
    ]
