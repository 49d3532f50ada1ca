"""Municipal law on the result path, per profile: Wetzlar (Hessen, HGO), Duisburg (NRW, GO NRW) and
Wilhelmshaven (Niedersachsen, NKomVG). Each test names the paragraph it holds the system to."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from api import views
from tests.conftest import Database
from tests.scenario import Scenario
from workflow import approvals, quorum
from workflow.errors import QuorumNotMet, RuleViolation, VoteInconsistent
from workflow.models import Meeting, Paper
from workflow.rules import VoteInput
from workflow.vocabulary import Outcome, PaperKind, VoteChoice


@dataclass(frozen=True)
class Town:
    key: str
    committee: str  # a committee with 13 or more statutory members
    assembly: str
    assembly_meeting: str
    paper_day: str
    first: str  # a meeting of the committee
    second: str  # the next one


WETZLAR = Town(
    "wetzlar", "sjs", "stvv", "2013-11-27 18:00", "2013-09-10 10:00", "2013-10-28 17:00", "2013-11-11 17:00"
)
DUISBURG = Town(
    "duisburg",
    "soziales",
    "rat",
    "2007-03-12 15:00",
    "2007-01-15 10:00",
    "2007-02-01 16:00",
    "2007-02-15 16:00",
)
WILHELMSHAVEN = Town(
    "wilhelmshaven",
    "soziales",
    "rat",
    "2023-06-21 16:00",
    "2023-05-02 10:00",
    "2023-05-22 16:00",
    "2023-06-05 16:00",
)
TOWNS = {t.key: t for t in (WETZLAR, DUISBURG, WILHELMSHAVEN)}


def at_committee(sc: Scenario, town: Town, subject: str = "Testvorlage") -> Paper:
    """A submitted paper whose next step is the town's committee (in Wetzlar after the Magistrat)."""
    paper = sc.submitted_paper(committees=[town.committee], when=town.paper_day, subject=subject)
    if town is WETZLAR:
        sc.deal_with(paper.id, "magistrat", "2013-10-07 09:00", Outcome.recommended, VoteInput(12, 0, 0))
    return paper


# ---------------------------------------------------------------------------------------------- second session


@pytest.mark.parametrize("town", sorted(TOWNS))
def test_a_second_session_exempts_only_the_deferred_item_from_the_quorum(db: Database, town: str) -> None:
    """§ 53 Abs. 2 HGO, § 49 Abs. 2 GO NRW, § 65 Abs. 2 NKomVG: the second session is quorate regardless only
    for "denselben Gegenstand", the item deferred for lack of quorum; every other item needs the quorum."""
    t = TOWNS[town]
    sc = Scenario(db.sessions, town=town)
    deferred = at_committee(sc, t)
    first = sc.new_meeting(t.committee, t.first)
    item = sc.schedule(deferred.id, t.committee, first.id)
    sc.invite(first.id)
    sc.attend(first.id, present=sc.members(t.committee)[:3])
    sc.record(item.id, Outcome.deferred, quorum_failed=True)

    other = at_committee(sc, t, subject="Eine andere Vorlage")
    second = sc.new_meeting(t.committee, t.second, second_session=True)
    repeated = sc.schedule(deferred.id, t.committee, second.id)
    ordinary = sc.schedule(other.id, t.committee, second.id)
    sc.invite(second.id)
    sc.attend(second.id, present=sc.members(t.committee)[:3])

    with pytest.raises(QuorumNotMet) as refused:
        sc.record(ordinary.id, Outcome.recommended, VoteInput(3, 0, 0))
    assert refused.value.details["rule"] == "quorum_not_established"
    sc.record(repeated.id, Outcome.recommended, VoteInput(3, 0, 0))
    sc.record(ordinary.id, Outcome.deferred, quorum_failed=True)


# ---------------------------------------------------------------------------------------------- late items


def duisburg_late_item(sc: Scenario) -> int:
    """An Änderungsantrag put on the agenda of the invited Duisburg Rat the day before the meeting."""
    on_time = sc.submitted_paper(
        kind=PaperKind.aenderungsantrag, subject="Pünktlich", when=DUISBURG.paper_day
    )
    late = sc.submitted_paper(kind=PaperKind.aenderungsantrag, subject="Nachzügler", when=DUISBURG.paper_day)
    meeting = sc.new_meeting("rat", "2007-03-12 15:00")
    sc.schedule(on_time.id, "rat", meeting.id)
    sc.invite(meeting.id)
    item = sc.schedule(late.id, "rat", meeting.id, when="2007-03-11 09:00")
    assert item.late_addition
    sc.attend(meeting.id)
    return item.id


def test_nrw_a_late_item_needs_the_councils_decision_that_it_brooks_no_delay(db: Database) -> None:
    """§ 48 Abs. 1 Satz 5 GO NRW: the agenda may be extended at the meeting only by the Rat's decision that the
    matter brooks no delay or is of utmost urgency."""
    sc = Scenario(db.sessions, town="duisburg")
    item = duisburg_late_item(sc)
    with pytest.raises(RuleViolation) as refused:
        sc.record(item, Outcome.adopted, VoteInput(40, 10, 0))
    assert refused.value.details["rule"] == "late_item_needs_urgency_decision"
    assert "§ 48 Abs. 1 Satz 5 GO NRW" in str(refused.value)
    assert "keinen Aufschub duldet oder von äußerster Dringlichkeit ist" in refused.value.german
    sc.record(item, Outcome.postponed)  # not dealt with: no decision needed

    sc2 = Scenario(db.sessions, town="duisburg")
    decided = duisburg_late_item(sc2)
    result = sc2.record(decided, Outcome.adopted, VoteInput(40, 10, 0), urgency_decided=True)
    assert result.urgency_decided is True


def test_hessen_a_late_item_needs_two_thirds_and_no_urgency_decision(db: Database) -> None:
    """§ 58 Abs. 2 HGO: two thirds of the statutory members; the GO NRW urgency decision is not Hessen law."""
    sc = Scenario(db.sessions)
    on_time = sc.submitted_paper(kind=PaperKind.aenderungsantrag, subject="Pünktlich")
    late = sc.submitted_paper(kind=PaperKind.aenderungsantrag, subject="Nachzügler")
    meeting = sc.new_meeting("stvv", "2013-11-27 18:00")
    sc.schedule(on_time.id, "stvv", meeting.id)
    sc.invite(meeting.id)
    item = sc.schedule(late.id, "stvv", meeting.id, when="2013-11-26 09:00")
    sc.attend(meeting.id)
    with pytest.raises(RuleViolation, match="needs 40 votes"):
        sc.record(item.id, Outcome.adopted, VoteInput(40, 10, 0), urgency_decided=True)
    assert (
        sc.record(item.id, Outcome.adopted, VoteInput(40, 10, 0), late_item_approval=40).urgency_decided
        is False
    )


# ---------------------------------------------------------------------------------------------- qualified majority

HAUPTSATZUNG = {
    "wetzlar": (59, "§ 6 Abs. 2 HGO (Wortlaut nicht geprüft)"),
    "duisburg": (75, "§ 7 Abs. 3 Satz 2 GO NRW (Wortlaut nicht geprüft)"),
    "wilhelmshaven": (45, "§ 12 Abs. 2 NKomVG"),
}


@pytest.mark.parametrize("town", sorted(TOWNS))
def test_the_hauptsatzung_needs_the_majority_of_the_statutory_members(db: Database, town: str) -> None:
    """A change of the Hauptsatzung is adopted only with more than half of the statutory members voting yes;
    a simple majority of the votes cast below that is a rejection."""
    t, (statutory, basis) = TOWNS[town], HAUPTSATZUNG[town]
    needed = statutory // 2 + 1
    sc = Scenario(db.sessions, town=town)
    meeting = sc.new_meeting(t.assembly, t.assembly_meeting)
    items = []
    for subject in ("Änderung der Hauptsatzung", "Zweite Änderung der Hauptsatzung"):
        paper = sc.submitted_paper(kind=PaperKind.aenderungsantrag, subject=subject, when=t.paper_day)
        items.append(sc.schedule(paper.id, t.assembly, meeting.id, matter="hauptsatzung").id)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    short = VoteInput(needed - 1, needed - 2, 0)

    with pytest.raises(VoteInconsistent) as refused:
        sc.record(items[0], Outcome.adopted, short)
    assert refused.value.details["rule"] == "qualified_majority"
    assert f"({basis})" in str(refused.value)
    assert f"mindestens {needed} Ja-Stimmen bei {statutory} gesetzlichen Mitgliedern" in refused.value.german
    sc.record(items[0], Outcome.rejected, short)
    with pytest.raises(VoteInconsistent, match="the motion was carried"):
        sc.record(items[1], Outcome.rejected, VoteInput(needed, 0, 0))
    sc.record(items[1], Outcome.adopted, VoteInput(needed, 0, 0))


# ---------------------------------------------------------------------------------------------- casting vote


def magistrat_item(sc: Scenario, present: list[int]) -> int:
    paper = sc.submitted_paper(committees=["sjs"])
    meeting = sc.new_meeting("magistrat", "2013-10-07 09:00")
    item = sc.schedule(paper.id, "magistrat", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id, present=present)
    return item.id


def test_hessen_the_deputy_presiding_the_magistrat_has_the_casting_vote(db: Database) -> None:
    """§ 68 Abs. 2 HGO: on a tie the vote of whoever presides decides, the deputy standing in included."""
    sc = Scenario(db.sessions)
    dette, herrmann = sc.person_id("dette"), sc.person_id("herrmann")  # Bürgermeister, Erster Stadtrat
    item = magistrat_item(sc, [p for p in sc.members("magistrat") if p != dette])
    result = sc.record(item, Outcome.recommended, VoteInput(5, 5, 1, casting_vote=VoteChoice.yes))
    assert result.presided_by_id == herrmann


def test_hessen_the_casting_vote_must_be_how_the_presiding_member_voted(db: Database) -> None:
    """§ 68 Abs. 2 HGO: the casting vote is the presiding member's own vote, not an extra one."""
    sc = Scenario(db.sessions)
    dette, herrmann = sc.person_id("dette"), sc.person_id("herrmann")
    item = magistrat_item(sc, sc.members("magistrat"))
    against = VoteInput(5, 5, 2, casting_vote=VoteChoice.yes, named={dette: VoteChoice.no})
    with pytest.raises(VoteInconsistent) as refused:
        sc.record(item, Outcome.recommended, against)
    assert refused.value.details["rule"] == "casting_vote_not_the_presiding_members"
    assert "§ 68 Abs. 2 HGO (Wortlaut nicht geprüft)" in str(refused.value)
    assert "stimmte mit „Nein“, nicht mit „Ja“" in refused.value.german
    # The deputy presided (the mayor sat in the room): the deputy's own vote is the casting vote.
    deputy_yes = VoteInput(
        5, 5, 2, casting_vote=VoteChoice.yes, named={dette: VoteChoice.no, herrmann: VoteChoice.yes}
    )
    with pytest.raises(VoteInconsistent, match=r"the presiding member's own vote"):
        sc.record(item, Outcome.recommended, deputy_yes)
    result = sc.record(item, Outcome.recommended, deputy_yes, presided_by=herrmann)
    assert result.presided_by_id == herrmann


def test_hessen_only_a_member_present_can_have_presided(db: Database) -> None:
    sc = Scenario(db.sessions)
    dette = sc.person_id("dette")
    item = magistrat_item(sc, [p for p in sc.members("magistrat") if p != dette])
    with pytest.raises(RuleViolation, match="cannot have presided") as refused:
        sc.record(item, Outcome.recommended, VoteInput(6, 5, 0), presided_by=dette)
    assert refused.value.details["rule"] == "presiding_not_present"


# ---------------------------------------------------------------------------------------------- recusals


@pytest.mark.parametrize("town", sorted(TOWNS))
def test_more_than_half_recused_leaves_the_body_quorate_where_the_law_says_so(
    db: Database, town: str
) -> None:
    """§ 53 Abs. 3 HGO and § 65 Abs. 3 NKomVG: quorate regardless; Niedersachsen: the decision needs the
    Kommunalaufsicht's approval, pending on the paper until recorded. The GO NRW has no such rule."""
    t = TOWNS[town]
    sc = Scenario(db.sessions, town=town)
    paper = sc.submitted_paper(kind=PaperKind.aenderungsantrag, when=t.paper_day)
    meeting = sc.new_meeting(t.assembly, t.assembly_meeting)
    item = sc.schedule(paper.id, t.assembly, meeting.id).id
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    statutory = HAUPTSATZUNG[town][0]
    recused = {p: "Mitglied des begünstigten Vereins" for p in sc.members(t.assembly)[: statutory // 2 + 1]}
    rest = len(sc.members(t.assembly)) - len(recused)
    vote = VoteInput(rest - 2, 1, 1)

    if town == "duisburg":
        with pytest.raises(QuorumNotMet, match=r"§ 49 Abs\. 1 und 2 GO NRW"):
            sc.record(item, Outcome.adopted, vote, recused=recused)
        return
    with pytest.raises(RuleViolation, match="quorate regardless"):
        sc.record(item, Outcome.deferred, recused=recused, quorum_failed=True)
    sc.record(item, Outcome.adopted, vote, recused=recused)
    decided = sc.paper(paper.id)
    assert decided.state == "adopted"
    if town == "wetzlar":
        assert decided.pending_approval is None
        return
    assert (
        decided.pending_approval
        == "Genehmigung der Kommunalaufsichtsbehörde nach § 65 Abs. 3 NKomVG (Wortlaut nicht geprüft)"
    )
    approvals.record_approval(
        db.sessions, actor="test", paper_id=paper.id, reference="Genehmigung vom 03.07.2023, Az. 32.1"
    )
    assert sc.paper(paper.id).pending_approval is None
    with pytest.raises(RuleViolation, match="No approval is pending"):
        approvals.record_approval(db.sessions, actor="test", paper_id=paper.id, reference="noch einmal")


# ---------------------------------------------------------------------------------------------- quorum presumed


@pytest.mark.parametrize("town", sorted(TOWNS))
def test_the_quorum_established_at_the_opening_is_presumed_until_its_lack_is_established(
    db: Database, town: str
) -> None:
    """§ 53 Abs. 1 HGO, § 49 Abs. 1 GO NRW, § 65 Abs. 1 NKomVG: the chair establishes the quorum at the opening;
    the body then counts as quorate, even as members leave, until its lack is formally established."""
    t = TOWNS[town]
    sc = Scenario(db.sessions, town=town)
    meeting = sc.new_meeting(t.committee, t.second)
    items = []
    for subject in ("Erste", "Zweite", "Dritte"):
        paper = at_committee(sc, t, subject=subject)
        items.append(sc.schedule(paper.id, t.committee, meeting.id).id)
    sc.invite(meeting.id)
    members = sc.members(t.committee)
    sc.attend(meeting.id, present=members[:3], establish_quorum=False)
    opening = sc.meeting(meeting.id).start
    with pytest.raises(QuorumNotMet, match="3 voting members present, at least"):
        quorum.establish_quorum(
            db.sessions, actor="Vorsitz", meeting_id=meeting.id, body=t.committee, now=opening
        )
    sc.attend(meeting.id, present=members, establish_quorum=False)
    quorum.establish_quorum(
        db.sessions, actor="Vorsitz", meeting_id=meeting.id, body=t.committee, now=opening
    )

    # Members leave: only three are in the room for the first item, and its decision stands.
    with pytest.raises(RuleViolation, match="presumed until its lack is formally established"):
        sc.record(items[0], Outcome.deferred, present=members[:3], quorum_failed=True)
    sc.record(items[0], Outcome.recommended, VoteInput(3, 0, 0), present=members[:3])
    sc.attend(meeting.id, present=members[:3])
    with db.session() as s:
        (status,) = views.meeting_out(s, s.get_one(Meeting, meeting.id), None).quorum
    assert status.model_dump(include={"present", "established_present"}) == {
        "present": 3,
        "established_present": len(members),
    }
    assert status.warning is not None
    assert "nur 3 stimmberechtigte Mitglieder anwesend" in status.warning

    quorum.establish_lack_of_quorum(
        db.sessions,
        actor="Vorsitz",
        meeting_id=meeting.id,
        body=t.committee,
        from_item_id=items[1],
        now=opening,
    )
    with pytest.raises(QuorumNotMet) as refused:
        sc.record(items[2], Outcome.recommended, VoteInput(3, 0, 0))
    assert refused.value.details["rule"] == "lack_of_quorum_established"
    assert "Beschlussunfähigkeit wurde vor TOP" in refused.value.german
    sc.record(items[1], Outcome.deferred, quorum_failed=True)


OPENING_RULE = {
    "wetzlar": "§ 53 Abs. 1 Satz 2 HGO",
    "duisburg": "§ 49 Abs. 1 GO NRW (Wortlaut nicht geprüft)",
    "wilhelmshaven": "§ 65 Abs. 1 NKomVG (Wortlaut nicht geprüft)",
}


@pytest.mark.parametrize("town", sorted(TOWNS))
def test_a_decision_without_the_quorum_established_at_the_opening_is_refused(db: Database, town: str) -> None:
    """§ 53 Abs. 1 Satz 2 HGO, § 49 Abs. 1 GO NRW, § 65 Abs. 1 NKomVG: decisions are refused without the chair's
    finding at the opening, even with every member present; putting the item off needs no quorum. Once the chair
    has established it, the same decision is accepted, also after members left."""
    t = TOWNS[town]
    sc = Scenario(db.sessions, town=town)
    meeting = sc.new_meeting(t.committee, t.second)
    items = []
    for subject in ("Erste", "Zweite", "Dritte"):
        paper = at_committee(sc, t, subject=subject)
        items.append(sc.schedule(paper.id, t.committee, meeting.id).id)
    sc.invite(meeting.id)
    members = sc.members(t.committee)
    sc.attend(meeting.id, present=members, establish_quorum=False)

    everyone = VoteInput(len(members), 0, 0)
    for outcome, votes in ((Outcome.recommended, [everyone]), (Outcome.referred, [])):
        extra = {"referred_to": t.assembly} if outcome is Outcome.referred else {}
        with pytest.raises(QuorumNotMet) as refused:
            sc.record(items[0], outcome, *votes, **extra)
        assert refused.value.details["rule"] == "quorum_not_established"
        german = refused.value.german
        assert f"wurde zu Beginn der Sitzung nicht festgestellt ({OPENING_RULE[town]})" in german
        assert f"POST /api/v1/{town}/meetings/{meeting.id}/quorum" in german
    sc.record(items[2], Outcome.postponed)

    opening = sc.meeting(meeting.id).start
    quorum.establish_quorum(
        db.sessions, actor="Vorsitz", meeting_id=meeting.id, body=t.committee, now=opening
    )
    sc.attend(meeting.id, present=members[:2])
    sc.record(items[0], Outcome.recommended, VoteInput(2, 0, 0))
    quorum.establish_lack_of_quorum(
        db.sessions,
        actor="Vorsitz",
        meeting_id=meeting.id,
        body=t.committee,
        from_item_id=items[1],
        now=opening,
    )
    with pytest.raises(QuorumNotMet) as refused:
        sc.record(items[1], Outcome.recommended, VoteInput(2, 0, 0))
    assert refused.value.details["rule"] == "lack_of_quorum_established"
