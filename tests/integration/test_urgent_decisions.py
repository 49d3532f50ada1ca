"""Urgent decisions per profile: the Eil- und Dringlichkeitsentscheidung in NRW (§ 60 Abs. 1 GO NRW, Duisburg),
the Eilentscheidung in Niedersachsen (§ 89 NKomVG, Wilhelmshaven) and the mayor's urgent measures in Hessen
(§ 70 Abs. 3 HGO, Wetzlar). Each test names the paragraph it holds the system to."""

from __future__ import annotations

import datetime as dt

import pytest

from api import views
from api.oparl.format import VENDOR
from tests.conftest import Database
from tests.oparl.conftest import BASE, oparl_client
from tests.scenario import Scenario, berlin
from workers.documents.contexts import vorlage_context
from workflow import agenda, meetings, papers, planning, urgent
from workflow.errors import NotFound, PlanInvalid, RuleViolation, TransitionNotAllowed
from workflow.models import MayorDecision, Meeting, Paper
from workflow.queries import paper_status
from workflow.rules import VoteInput
from workflow.vocabulary import ConsultationRole, Outcome, PaperKind, PaperState

REASON = (
    "Die Förderfrist endet am 20.02.; der Rat tagt erst am 12.03. und kann nicht früher einberufen werden."
)


def urgent_paper(sc: Scenario, when: str, *, reason: str | None = REASON) -> Paper:
    """A Beschlussvorlage planned by the profile's urgent procedure, submitted."""
    now = berlin(when)
    department = {"wetzlar": "kbs", "duisburg": "integration", "wilhelmshaven": "migration"}[sc.town]
    paper = papers.draft_paper(
        sc.sessions,
        actor=sc.actor,
        municipality=sc.town,
        kind=PaperKind.beschlussvorlage,
        department=department,
        subject="Förderantrag Integrationszentrum",
        paper_date=now.date(),
        proposed_resolution="Der Förderantrag wird gestellt.",
        now=now,
    )
    planning.plan_consultations(sc.sessions, actor=sc.actor, paper_id=paper.id, urgent_reason=reason, now=now)
    return papers.submit_paper(sc.sessions, actor=sc.actor, paper_id=paper.id, now=now)


def plan_of(sc: Scenario, paper_id: int) -> list[tuple[str, int, str, str | None, str]]:
    with sc.sessions() as s:
        paper = s.get_one(Paper, paper_id)
        return [
            (c.body.key, c.stage, c.role, c.urgency, c.state)
            for c in sorted(paper.consultations, key=lambda c: (c.stage, c.id))
        ]


def status_steps(sc: Scenario, paper_id: int) -> list[tuple[str, str, str | None]]:
    with sc.sessions() as s:
        out = views.status_out(
            paper_status(s, paper_id),
            may_see_non_public_of=lambda _m: True,
            may_see_non_public_of_body=lambda _b: True,
        )
    return [(step.body, step.role, step.outcome) for step in out.steps]


def mayor_decides(sc: Scenario, paper_id: int, mayor: str, member: str | None, day: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return urgent.record_mayor_decision(
        sc.sessions,
        actor=sc.actor,
        paper_id=paper_id,
        mayor=sc.person_id(mayor),
        member=sc.person_id(member) if member else None,
        reason=kwargs.pop("reason", "Auch der Hauptausschuss kann nicht rechtzeitig zusammentreten."),  # type: ignore[arg-type]
        decided_on=berlin(day).date(),
        now=berlin(day),
        **kwargs,  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------------------------------------- NRW


def test_nrw_the_hfa_cannot_be_planned_to_decide_without_the_urgent_procedure(db: Database) -> None:
    """§ 60 Abs. 1 Satz 1 GO NRW: the Hauptausschuss decides matters of the Rat only when the Rat cannot be
    convened in time; planning it as the deciding step of an ordinary paper is refused."""
    sc = Scenario(db.sessions, town="duisburg")
    now = berlin("2007-01-15 10:00")
    paper = papers.draft_paper(
        sc.sessions,
        actor=sc.actor,
        municipality="duisburg",
        kind=PaperKind.beschlussvorlage,
        department="integration",
        subject="Irgendeine Vorlage",
        paper_date=now.date(),
        now=now,
    )
    with pytest.raises(PlanInvalid) as refused:
        planning.plan_consultations(
            sc.sessions,
            actor=sc.actor,
            paper_id=paper.id,
            stages=[[planning.StepInput("hfa", ConsultationRole.decision)]],
            now=now,
        )
    assert refused.value.details["rule"] == "urgent_decision_only"
    assert "§ 60 Abs. 1 Satz 1 GO NRW" in refused.value.german
    assert "nicht rechtzeitig einberufen" in refused.value.german
    # The reason why the Rat cannot wait is required.
    with pytest.raises(PlanInvalid) as no_reason:
        planning.plan_consultations(
            sc.sessions, actor=sc.actor, paper_id=paper.id, urgent_reason="  ", now=now
        )
    assert no_reason.value.details["rule"] == "urgent_decision_needs_reason"
    assert "§ 60 Abs. 1 Satz 1 GO NRW" in no_reason.value.german
    with pytest.raises(PlanInvalid, match="give no explicit stages"):
        planning.plan_consultations(
            sc.sessions, actor=sc.actor, paper_id=paper.id, urgent_reason=REASON, decided_by="hfa", now=now
        )


def test_nrw_the_hfa_decides_urgently_and_the_rat_approves_it(db: Database) -> None:
    """§ 60 Abs. 1 Satz 1 und 3 GO NRW: the HFA decides in place of the Rat, with the reason recorded; the
    decision is laid before the Rat at its next meeting for approval, and the paper stays decided."""
    sc = Scenario(db.sessions, town="duisburg")
    paper = urgent_paper(sc, "2007-02-01 10:00")
    assert plan_of(sc, paper.id) == [
        ("hfa", 1, "decision", "decision", "planned"),
        ("rat", 2, "approval", "follow_up", "planned"),
    ]
    assert sc.steps(paper.id)["hfa"].urgency_reason == REASON

    sc.deal_with(paper.id, "hfa", "2007-02-08 15:00", Outcome.adopted, VoteInput(15, 3, 1))
    assert sc.paper(paper.id).state == PaperState.adopted
    assert sc.paper(paper.id).resolution_text == "Der Förderantrag wird gestellt."
    assert plan_of(sc, paper.id)[1] == ("rat", 2, "approval", "follow_up", "planned")

    # The Rat's next meeting gets the approval step, although the paper is already decided.
    sc.deal_with(paper.id, "rat", "2007-03-12 15:00", Outcome.approved, VoteInput(50, 10, 2))
    assert sc.paper(paper.id).state == PaperState.adopted
    assert status_steps(sc, paper.id) == [
        ("Haupt- und Finanzausschuss", "Entscheidung", "adopted"),
        ("Rat der Stadt Duisburg", "Genehmigung", "approved"),
    ]


def test_nrw_the_rat_revokes_the_urgent_decision(db: Database) -> None:
    """§ 60 Abs. 1 Satz 4 GO NRW: the Rat may revoke the urgent decision; the paper ends 'aufgehoben'."""
    sc = Scenario(db.sessions, town="duisburg")
    paper = urgent_paper(sc, "2007-02-01 10:00")
    sc.deal_with(paper.id, "hfa", "2007-02-08 15:00", Outcome.adopted, VoteInput(15, 3, 1))
    # Approving needs a majority; the outcome must agree with the vote.
    meeting = sc.new_meeting("rat", "2007-03-12 15:00")
    item = sc.schedule(paper.id, "rat", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    with pytest.raises(RuleViolation) as wrong:
        sc.record(item.id, Outcome.adopted, VoteInput(50, 10, 0))
    assert wrong.value.details["rule"] == "outcome_not_allowed_for_role"
    sc.record(item.id, Outcome.revoked, VoteInput(45, 20, 0))
    paper_now = sc.paper(paper.id)
    assert paper_now.state == PaperState.revoked
    assert status_steps(sc, paper.id)[1] == ("Rat der Stadt Duisburg", "Genehmigung", "revoked")


def test_nrw_a_rejected_urgent_decision_leaves_nothing_to_approve(db: Database) -> None:
    sc = Scenario(db.sessions, town="duisburg")
    paper = urgent_paper(sc, "2007-02-01 10:00")
    sc.deal_with(paper.id, "hfa", "2007-02-08 15:00", Outcome.rejected, VoteInput(3, 15, 1))
    assert sc.paper(paper.id).state == PaperState.rejected
    assert plan_of(sc, paper.id)[1] == ("rat", 2, "approval", "follow_up", "closed")


def test_nrw_the_mayor_decides_with_one_council_member(db: Database) -> None:
    """§ 60 Abs. 1 Satz 2 GO NRW: when even the HFA cannot be convened in time, the Bürgermeister decides with
    one Ratsmitglied; the Rat approves it like the HFA's decision."""
    sc = Scenario(db.sessions, town="duisburg")
    paper = urgent_paper(sc, "2007-02-01 10:00")

    with pytest.raises(RuleViolation) as alone:
        mayor_decides(sc, paper.id, "richter", None, "2007-02-03 12:00")
    assert alone.value.details["rule"] == "mayor_decision_needs_member"
    assert "§ 60 Abs. 1 Satz 2 GO NRW" in alone.value.german
    with pytest.raises(RuleViolation) as stranger:
        mayor_decides(sc, paper.id, "richter", "weiss", "2007-02-03 12:00")  # head of a department
    assert stranger.value.details["rule"] == "mayor_decision_member_not_seated"
    assert "kein Ratsmitglied" in stranger.value.german
    with pytest.raises(RuleViolation) as no_reason:
        mayor_decides(sc, paper.id, "richter", "beck", "2007-02-03 12:00", reason=" ")
    assert no_reason.value.details["rule"] == "mayor_decision_needs_reason"
    with pytest.raises(RuleViolation) as rejecting:
        mayor_decides(sc, paper.id, "richter", "beck", "2007-02-03 12:00", outcome=Outcome.rejected)
    assert rejecting.value.details["rule"] == "mayor_decision_adopts"
    with pytest.raises(NotFound):
        urgent.record_mayor_decision(
            sc.sessions,
            actor=sc.actor,
            paper_id=paper.id,
            mayor=sc.person_id("richter"),
            member=9_999_999,
            reason="x",
            decided_on=dt.date(2007, 2, 3),
        )
    assert sc.paper(paper.id).state == PaperState.submitted  # nothing refused was kept

    mayor_decides(sc, paper.id, "richter", "beck", "2007-02-03 12:00")
    assert sc.paper(paper.id).state == PaperState.adopted
    with sc.sessions() as s:
        record = s.query(MayorDecision).one()
        assert (record.mayor.key, record.member.key if record.member else None) == ("richter", "beck")
    assert plan_of(sc, paper.id) == [
        ("hfa", 1, "decision", "decision", "dealt_with"),
        ("rat", 2, "approval", "follow_up", "planned"),
    ]
    with sc.sessions() as s:
        shown = views.status_out(
            paper_status(s, paper.id),
            may_see_non_public_of=lambda _m: False,
            may_see_non_public_of_body=lambda _b: False,
        ).steps[0]
    assert (shown.urgency, shown.urgency_reason) == ("decision", REASON)
    assert (shown.decided_on, shown.decided_by) == (dt.date(2007, 2, 3), "Stefan Richter mit Dr. Günter Beck")
    assert shown.outcome_wording == (
        "beschlossen (Dringlichkeitsentscheidung der Bürgermeisterin oder des Bürgermeisters mit einem "
        "Ratsmitglied)"
    )
    with pytest.raises(TransitionNotAllowed):
        mayor_decides(sc, paper.id, "richter", "beck", "2007-02-04 12:00")
    sc.deal_with(paper.id, "rat", "2007-03-12 15:00", Outcome.approved, VoteInput(50, 10, 2))
    assert sc.paper(paper.id).state == PaperState.adopted


# ---------------------------------------------------------------------------------------------- Niedersachsen


def test_niedersachsen_the_va_decides_urgently_and_the_rat_is_informed(db: Database) -> None:
    """§ 89 Satz 1 NKomVG: in urgent cases the Verwaltungsausschuss decides instead of the Rat; the Rat is
    informed (zur Kenntnis), it does not approve."""
    sc = Scenario(db.sessions, town="wilhelmshaven")
    paper = urgent_paper(sc, "2023-05-02 10:00")
    assert plan_of(sc, paper.id) == [
        ("va", 1, "decision", "decision", "planned"),
        ("rat", 2, "notice", "follow_up", "planned"),
    ]
    sc.deal_with(paper.id, "va", "2023-05-09 16:00", Outcome.adopted, VoteInput(9, 1, 0))
    assert sc.paper(paper.id).state == PaperState.adopted
    meeting = sc.new_meeting("rat", "2023-06-21 16:00")
    item = sc.schedule(paper.id, "rat", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    with pytest.raises(RuleViolation) as no_approval:
        sc.record(item.id, Outcome.approved, VoteInput(30, 5, 0))
    assert no_approval.value.details["rule"] == "outcome_not_allowed_for_role"
    sc.record(item.id, Outcome.noted)
    assert sc.paper(paper.id).state == PaperState.adopted
    assert status_steps(sc, paper.id) == [
        ("Verwaltungsausschuss", "Entscheidung", "adopted"),
        ("Rat der Stadt Wilhelmshaven", "Kenntnisnahme", "noted"),
    ]


def test_niedersachsen_the_hvb_decides_with_a_deputy_and_informs_rat_and_va(db: Database) -> None:
    """§ 89 Satz 2 und 3 NKomVG: if even the Hauptausschuss cannot decide in time, the Hauptverwaltungsbeamte
    takes the measures in agreement with a deputy and informs the Vertretung and the Hauptausschuss."""
    sc = Scenario(db.sessions, town="wilhelmshaven")
    paper = urgent_paper(sc, "2023-05-02 10:00")
    with pytest.raises(RuleViolation) as alone:
        mayor_decides(sc, paper.id, "gerdes", None, "2023-05-03 12:00")
    assert "§ 89 Satz 2 und 3 NKomVG" in alone.value.german
    assert "Stellvertreter" in alone.value.german
    deputy = next(p for p in sc.members("rat") if p != sc.person_id("gerdes"))
    urgent.record_mayor_decision(
        sc.sessions,
        actor=sc.actor,
        paper_id=paper.id,
        mayor=sc.person_id("gerdes"),
        member=deputy,
        reason="Der Verwaltungsausschuss kann vor Fristablauf nicht zusammentreten.",
        decided_on=dt.date(2023, 5, 3),
        now=berlin("2023-05-03 12:00"),
    )
    assert sc.paper(paper.id).state == PaperState.adopted
    assert plan_of(sc, paper.id) == [
        ("va", 1, "decision", "decision", "dealt_with"),
        ("rat", 2, "notice", "follow_up", "planned"),
        ("va", 2, "notice", "follow_up", "planned"),
    ]
    sc.deal_with(paper.id, "va", "2023-05-09 16:00", Outcome.noted)
    assert sc.paper(paper.id).state == PaperState.adopted


# ---------------------------------------------------------------------------------------------- Hessen


def test_hessen_the_mayor_orders_urgent_measures_and_reports_to_the_magistrat(db: Database) -> None:
    """§ 70 Abs. 3 HGO: when the Gemeindevorstand's decision cannot be obtained in time, the Bürgermeister
    orders the necessary measures alone and reports to the Gemeindevorstand (Magistrat) without delay."""
    sc = Scenario(db.sessions, town="wetzlar")
    paper = urgent_paper(sc, "2013-09-10 10:00")
    assert plan_of(sc, paper.id) == [
        ("magistrat", 1, "decision", "decision", "planned"),
        ("magistrat", 2, "notice", "follow_up", "planned"),
    ]
    with pytest.raises(RuleViolation) as with_member:
        mayor_decides(sc, paper.id, "dette", "herrmann", "2013-09-11 12:00")
    assert with_member.value.details["rule"] == "mayor_decides_alone"
    assert "§ 70 Abs. 3 Satz 1 HGO (Wortlaut nicht geprüft)" in with_member.value.german
    mayor_decides(sc, paper.id, "dette", None, "2013-09-11 12:00")
    assert sc.paper(paper.id).state == PaperState.adopted
    sc.deal_with(paper.id, "magistrat", "2013-09-16 09:00", Outcome.noted)
    assert sc.paper(paper.id).state == PaperState.adopted
    assert status_steps(sc, paper.id) == [
        ("Magistrat", "Entscheidung", "adopted"),
        ("Magistrat", "Kenntnisnahme", "noted"),
    ]


def test_hessen_the_urgent_step_is_not_put_on_a_magistrat_agenda(db: Database) -> None:
    """§ 70 Abs. 3 HGO: the urgent measure is the mayor's, without a meeting; a Magistrat that can meet decides
    the paper in the ordinary way, so the urgent step is refused on its agenda and left out of a built one."""
    sc = Scenario(db.sessions, town="wetzlar")
    paper = urgent_paper(sc, "2013-09-10 10:00")
    meeting = sc.new_meeting("magistrat", "2013-09-16 09:00")
    step = plan_of(sc, paper.id)[0]
    assert step[0] == "magistrat"
    with sc.sessions() as s:
        urgent_step = next(c.id for c in s.get_one(Paper, paper.id).consultations if c.urgency == "decision")
    with pytest.raises(RuleViolation) as refused:
        meetings.schedule_consultation(
            sc.sessions,
            actor=sc.actor,
            consultation_id=urgent_step,
            meeting_id=meeting.id,
            now=berlin("2013-09-11 09:00"),
        )
    assert refused.value.details["rule"] == "urgent_step_decided_by_the_mayor"
    assert "§ 70 Abs. 3 Satz 1 HGO" in refused.value.german
    with sc.sessions() as s:  # the agenda builder lists the report to the Magistrat, not the mayor's step
        shown = s.get_one(Meeting, meeting.id)
        follow_up = next(c.id for c in s.get_one(Paper, paper.id).consultations if c.urgency == "follow_up")
        listed = agenda.waiting_page(s, shown)
        assert [w.step.id for w in listed.items] == [follow_up]
        assert listed.total == 1
        assert listed.items[0].earlier_open == ("Magistrat",)
        assert not agenda.may_go_on_agenda(s, shown, urgent_step)
        assert agenda.may_go_on_agenda(s, shown, follow_up)
    with pytest.raises(RuleViolation, match="No paper is waiting"):
        agenda.build_agenda(
            sc.sessions, actor=sc.actor, meeting_id=meeting.id, now=berlin("2013-09-11 09:00")
        )


@pytest.mark.parametrize("town", ["duisburg", "wilhelmshaven", "wetzlar"])
def test_an_ordinary_paper_has_no_urgent_step_for_the_mayor(db: Database, town: str) -> None:
    sc = Scenario(db.sessions, town=town)
    paper = sc.submitted_paper(
        when={"duisburg": "2007-01-15 10:00", "wilhelmshaven": "2023-05-02 10:00"}.get(
            town, "2013-09-10 10:00"
        )
    )
    mayor = {"duisburg": "richter", "wilhelmshaven": "gerdes", "wetzlar": "dette"}[town]
    with pytest.raises(RuleViolation) as refused:
        mayor_decides(sc, paper.id, mayor, None, "2013-09-11 12:00")
    assert refused.value.details["rule"] == "no_urgent_step"
    assert "dringlich" in refused.value.german


# ---------------------------------------------------------------------------------------------- publication


def test_oparl_shows_the_councils_approval_and_hides_a_decision_in_place_of_the_magistrat(
    db: Database,
) -> None:
    """The NRW approval happens in the Rat's public meeting: OParl shows the outcome. The Hessen mayor decides
    in place of the Magistrat, which deliberates in private (§ 67 Abs. 1 Satz 1 HGO): neither the outcome nor
    the paper's decision is published, nor, on the status for the public, the reason and who decided."""
    sc = Scenario(db.sessions, town="duisburg")
    nrw = urgent_paper(sc, "2007-02-01 10:00")
    sc.deal_with(nrw.id, "hfa", "2007-02-08 15:00", Outcome.adopted, VoteInput(15, 3, 1))
    sc.deal_with(nrw.id, "rat", "2007-03-12 15:00", Outcome.approved, VoteInput(50, 10, 2))
    hessen = Scenario(db.sessions, town="wetzlar")
    magistrat = urgent_paper(hessen, "2013-09-10 10:00")
    mayor_decides(hessen, magistrat.id, "dette", None, "2013-09-11 12:00")
    with oparl_client(db) as client:
        approved = client.get(f"{BASE}/paper/{nrw.id}").json()
        hidden = client.get(f"{BASE}/paper/{magistrat.id}").json()
    steps = approved["consultation"]
    assert [(s["role"], s.get(VENDOR + "outcome"), s.get(VENDOR + "urgency")) for s in steps] == [
        ("Entscheidung", "adopted", "decision"),
        ("Genehmigung", "approved", "follow_up"),
    ]
    decided_by_mayor = hidden["consultation"][0]
    assert decided_by_mayor[VENDOR + "urgency"] == "decision"
    assert VENDOR + "outcome" not in decided_by_mayor
    assert "beschlossen" not in str(hidden)
    with hessen.sessions() as s:
        public = views.status_out(
            paper_status(s, magistrat.id),
            may_see_non_public_of=lambda _m: False,
            may_see_non_public_of_body=lambda _b: False,
        ).steps[0]
    assert (public.outcome, public.urgency_reason, public.decided_by) == (None, None, None)
    # The published Beschlussvorlage keeps the Gremium and the day, not the decision.
    with hessen.sessions() as s:
        table = vorlage_context(s, magistrat.id).consultations
    assert [(row.body, row.date, row.result) for row in table] == [
        ("Magistrat", "11.09.2013", ""),
        ("Magistrat", "", ""),
    ]
