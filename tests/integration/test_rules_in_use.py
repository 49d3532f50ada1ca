"""The rules of the municipal constitutions as the use cases apply them: votes, recusals, substitutes,
quorum, ties, and the notice period of an invitation (on SQLite and PostgreSQL).

Wetzlar's Sozial-, Jugend- und Sportausschuss (sjs) has 13 statutory members (7 make a quorum), factions
SPD 4, CDU 4, Grüne 2, FW 1, FDP 1, Linke 1, and four substitutes; the Magistrat has 12 members and the
chair's casting vote decides a tie there; the Stadtverordnetenversammlung has 59 and a tie is a rejection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tests.conftest import Database
from tests.scenario import Scenario
from workflow import meetings
from workflow.errors import NoticePeriodViolation, QuorumNotMet, RuleViolation, VoteInconsistent
from workflow.models import (
    AgendaItem,
    AuditEvent,
    Faction,
    ItemResult,
    Meeting,
    Municipality,
    NamedVote,
    Recusal,
    Vote,
    VoteFactionCount,
)
from workflow.notice import invitation_deadline
from workflow.queries import paper_status
from workflow.rules import BERLIN, FactionCount, VoteInput
from workflow.vocabulary import Channel, Outcome, PaperState, VoteChoice

# ---------------------------------------------------------------------------------------------- helpers


def sjs_item(sc: Scenario, *, present: list[int] | None = None) -> int:
    """A paper through the Magistrat, on the agenda of an invited SJS meeting with the given attendance."""
    paper = sc.submitted_paper(committees=["sjs"])
    sc.deal_with(paper.id, "magistrat", "2013-10-07 09:00", Outcome.recommended, VoteInput(12, 0, 0))
    meeting = sc.new_meeting("sjs", "2013-10-28 17:00")
    item = sc.schedule(paper.id, "sjs", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id, present=present)
    return item.id


def fresh_item(sc: Scenario, body: str, start: str, *, committees: tuple[str, ...] = ("sjs",)) -> int:
    """The paper's step at ``body`` (the first stage) on an invited meeting with everybody present."""
    paper = sc.submitted_paper(committees=list(committees))
    meeting = sc.new_meeting(body, start)
    item = sc.schedule(paper.id, body, meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    return item.id


def stvv_item(sc: Scenario) -> tuple[int, int]:
    """(paper id, agenda item id) of a paper that reached an invited StVV meeting, everybody present."""
    paper = sc.submitted_paper(committees=["sjs"])
    sc.deal_with(paper.id, "magistrat", "2013-10-07 09:00", Outcome.recommended, VoteInput(12, 0, 0))
    sc.deal_with(paper.id, "sjs", "2013-10-28 17:00", Outcome.recommended, VoteInput(13, 0, 0))
    meeting = sc.new_meeting("stvv", "2013-11-27 18:00")
    item = sc.schedule(paper.id, "stvv", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    return paper.id, item.id


def stored_result(db: Database, item_id: int) -> ItemResult | None:
    """The item's result with votes, faction counts, named votes, recusals and presence loaded."""
    with db.session() as s:
        votes = selectinload(ItemResult.votes)
        return s.scalars(
            select(ItemResult)
            .options(
                votes.selectinload(Vote.faction_counts).joinedload(VoteFactionCount.faction),
                votes.selectinload(Vote.named).joinedload(NamedVote.person),
                selectinload(ItemResult.recusals).joinedload(Recusal.person),
                selectinload(ItemResult.present),
            )
            .where(ItemResult.agenda_item_id == item_id)
        ).one_or_none()


def paper_of_item(db: Database, item_id: int) -> int:
    with db.session() as s:
        item = s.get_one(AgendaItem, item_id)
        assert item.consultation is not None
        return item.consultation.paper_id


def faction_ids(db: Database, town: str = "wetzlar") -> dict[str, int]:
    with db.session() as s:
        rows = s.execute(
            select(Faction.key, Faction.id).join(Municipality).where(Municipality.key == town)
        ).all()
        return {key: id_ for key, id_ in rows}


def invite(db: Database, meeting_id: int, now: dt.datetime, **kwargs: Any) -> Meeting:
    return meetings.invite_meeting(
        db.sessions, actor="Sitzungsdienst", meeting_id=meeting_id, now=now, **kwargs
    )


def local(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> dt.datetime:
    """A Europe/Berlin wall-clock moment."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=BERLIN)


# ---------------------------------------------------------------------------------------------- votes


def test_more_votes_than_voting_members_present_are_refused_naming_the_rule(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper = sc.submitted_paper(committees=["sjs"])
    meeting = sc.new_meeting("magistrat", "2013-10-07 09:00")
    item = sc.schedule(paper.id, "magistrat", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id, absent=1)

    with pytest.raises(VoteInconsistent) as refused:
        sc.record(item.id, Outcome.recommended, VoteInput(12, 0, 0))
    assert str(refused.value) == (
        "Vote 1 (Beschlussvorschlag): 12 Ja + 0 Nein + 0 Enthaltungen > 11 anwesende Stimmberechtigte"
    )
    assert refused.value.details == {"rule": "votes_exceed_present", "votes": 12, "present": 11}
    assert stored_result(db, item.id) is None

    with pytest.raises(VoteInconsistent, match="> 11 anwesende"):
        sc.record(item.id, Outcome.recommended, VoteInput(6, 3, 3))
    with pytest.raises(RuleViolation, match="The count 'Nein' must lie between 0 and 100000, not -1"):
        sc.record(item.id, Outcome.recommended, VoteInput(8, -1, 0))
    sc.record(item.id, Outcome.recommended, VoteInput(8, 2, 1))
    assert sc.steps(paper.id)["magistrat"].state == "dealt_with"


def test_recused_members_leave_the_room_and_are_not_counted(db: Database) -> None:
    sc = Scenario(db.sessions)
    item = sjs_item(sc)  # all 13 present
    hahn, schneider = sc.person_id("hahn"), sc.person_id("schneider")
    recused = {hahn: "Geschäftsführer des Trägers", schneider: None}

    with pytest.raises(VoteInconsistent, match="> 11 anwesende Stimmberechtigte"):
        sc.record(item, Outcome.recommended, VoteInput(12, 0, 0), recused=recused)
    with pytest.raises(VoteInconsistent, match="Jörg Hahn is recused"):
        sc.record(
            item, Outcome.recommended, VoteInput(9, 2, 0, named={hahn: VoteChoice.yes}), recused=recused
        )
    sc.record(item, Outcome.recommended, VoteInput(9, 2, 0), recused=recused)

    result = stored_result(db, item)
    assert result is not None
    assert {(r.person.key, r.reason) for r in result.recusals} == {
        ("hahn", "Geschäftsführer des Trägers"),
        ("schneider", None),
    }
    assert len(result.present) == 11
    assert {hahn, schneider}.isdisjoint(p.person_id for p in result.present)


def test_only_members_of_the_body_can_be_recused(db: Database) -> None:
    sc = Scenario(db.sessions)
    item = sjs_item(sc)
    with pytest.raises(VoteInconsistent, match="must be members of Sozial-"):
        sc.record(item, Outcome.recommended, VoteInput(9, 2, 0), recused={sc.person_id("vogel"): None})


def test_recused_members_leaving_leave_the_quorum_presumed(db: Database) -> None:
    """§ 53 Abs. 1 Satz 2 HGO: established at the opening, the quorum holds as recused members leave the room,
    until its lack is established on a motion; only more than half recused has its own rule (§ 53 Abs. 3)."""
    sc = Scenario(db.sessions)
    item = sjs_item(sc, present=sc.members("sjs")[:8])
    two = {person: None for person in sc.members("sjs")[:2]}
    sc.record(item, Outcome.recommended, VoteInput(6, 0, 0), recused=two)
    result = stored_result(db, item)
    assert result is not None
    assert {r.person_id for r in result.recusals} == set(two)


def test_a_substitute_counts_for_an_absent_member_but_not_beside_a_present_one(db: Database) -> None:
    sc = Scenario(db.sessions)
    heuser, zimmermann = sc.person_id("heuser"), sc.person_id("zimmermann")
    assert (zimmermann, heuser) in sc.substitutes("sjs")
    regular = sc.members("sjs")

    standing_in = sjs_item(sc, present=[p for p in regular if p != heuser] + [zimmermann])
    sc.record(standing_in, Outcome.recommended, VoteInput(10, 2, 1, named={zimmermann: VoteChoice.yes}))
    result = stored_result(db, standing_in)
    assert result is not None
    assert zimmermann in {p.person_id for p in result.present}

    beside = sjs_item(sc, present=[*regular, zimmermann])
    with pytest.raises(VoteInconsistent, match=r"14 Ja .* > 13 anwesende Stimmberechtigte"):
        sc.record(beside, Outcome.recommended, VoteInput(14, 0, 0))
    with pytest.raises(VoteInconsistent, match="not a voting member present"):
        sc.record(beside, Outcome.recommended, VoteInput(10, 3, 0, named={zimmermann: VoteChoice.yes}))
    sc.record(beside, Outcome.recommended, VoteInput(10, 3, 0))


def test_advisory_members_do_not_vote(db: Database) -> None:
    sc = Scenario(db.sessions, town="duisburg")
    everyone = sc.members("soziales", voting=False)
    voting = sc.members("soziales")
    assert (len(everyone), len(voting)) == (18, 17)
    paper = sc.submitted_paper(committees=["soziales"], when="2007-01-15 10:00")
    meeting = sc.new_meeting("soziales", "2007-02-01 16:00")
    item = sc.schedule(paper.id, "soziales", meeting.id)
    sc.invite(meeting.id)
    sc.attend(meeting.id, present=everyone)
    with pytest.raises(VoteInconsistent, match="> 17 anwesende Stimmberechtigte"):
        sc.record(item.id, Outcome.recommended, VoteInput(18, 0, 0))
    sc.record(item.id, Outcome.recommended, VoteInput(17, 0, 0))


# ---------------------------------------------------------------------------------------------- quorum


def test_a_body_that_is_not_quorate_cannot_record_a_result_and_is_told_what_to_do(db: Database) -> None:
    sc = Scenario(db.sessions)
    item = sjs_item(sc, present=sc.members("sjs")[:6])
    with pytest.raises(QuorumNotMet) as refused:
        sc.record(item, Outcome.recommended, VoteInput(6, 0, 0))
    message = str(refused.value)
    assert "was not established at the opening of the meeting (§ 53 Abs. 1 Satz 2 HGO)" in message
    assert "6 voting members present, at least 7 needed" in message
    assert "'deferred' for lack of quorum" in message
    assert (
        "Die Beschlussfähigkeit von Sozial-, Jugend- und Sportausschuss wurde zu Beginn der Sitzung nicht "
        in (refused.value.german)
    )
    assert refused.value.details["rule"] == "quorum_not_established"
    assert (refused.value.details["present"], refused.value.details["needed"]) == (6, 7)
    assert stored_result(db, item) is None


# ---------------------------------------------------------------------------------------------- majority


def test_a_tie_in_the_assembly_is_a_rejection(db: Database) -> None:
    sc = Scenario(db.sessions)
    paper_id, item = stvv_item(sc)
    with pytest.raises(VoteInconsistent, match="Stimmengleichheit gilt als Ablehnung") as refused:
        sc.record(item, Outcome.adopted, VoteInput(25, 25, 9))
    assert refused.value.details["rule"] == "outcome_contradicts_votes"
    with pytest.raises(VoteInconsistent, match="no casting vote"):
        sc.record(item, Outcome.adopted, VoteInput(25, 25, 9, casting_vote=VoteChoice.yes))
    assert sc.paper(paper_id).state == PaperState.in_deliberation

    sc.record(item, Outcome.rejected, VoteInput(25, 25, 9))
    assert sc.paper(paper_id).state == PaperState.rejected


def test_in_the_magistrat_the_chairs_casting_vote_decides_a_tie(db: Database) -> None:
    sc = Scenario(db.sessions)
    item = fresh_item(sc, "magistrat", "2013-10-07 09:00")

    with pytest.raises(VoteInconsistent, match="not carried"):
        sc.record(item, Outcome.recommended, VoteInput(5, 5, 2))
    with pytest.raises(VoteInconsistent, match="not carried"):
        sc.record(item, Outcome.recommended, VoteInput(5, 5, 2, casting_vote=VoteChoice.no))
    with pytest.raises(VoteInconsistent, match="the motion was carried"):
        sc.record(item, Outcome.not_recommended, VoteInput(5, 5, 2, casting_vote=VoteChoice.yes))
    with pytest.raises(VoteInconsistent, match="only given on a tie"):
        sc.record(item, Outcome.recommended, VoteInput(6, 5, 1, casting_vote=VoteChoice.yes))

    sc.record(item, Outcome.recommended, VoteInput(5, 5, 2, casting_vote=VoteChoice.yes))
    result = stored_result(db, item)
    assert result is not None
    assert [(v.yes, v.no, v.abstain, v.casting_vote) for v in result.votes] == [(5, 5, 2, "yes")]


def test_the_outcome_must_agree_with_the_votes(db: Database) -> None:
    sc = Scenario(db.sessions)
    item = sjs_item(sc)
    with pytest.raises(VoteInconsistent, match="the motion was carried"):
        sc.record(item, Outcome.not_recommended, VoteInput(9, 4, 0))
    with pytest.raises(VoteInconsistent, match="needs a recorded vote"):
        sc.record(item, Outcome.recommended)
    with pytest.raises(VoteInconsistent, match="not carried"):
        sc.record(item, Outcome.recommended, VoteInput(0, 0, 13))
    sc.record(item, Outcome.not_recommended, VoteInput(0, 0, 13))


def test_faction_counts_and_named_votes_are_stored_and_read_back(db: Database) -> None:
    sc = Scenario(db.sessions)
    item = sjs_item(sc)
    f = faction_ids(db)
    hahn, jung = sc.person_id("hahn"), sc.person_id("jung")
    counts = (
        FactionCount(f["spd"], yes=4),
        FactionCount(f["cdu"], no=4),
        FactionCount(f["gruene"], yes=2),
        FactionCount(f["fw"], yes=1),
        FactionCount(f["fdp"], yes=1),
        FactionCount(f["linke"], yes=1),
    )
    named = {hahn: VoteChoice.yes, jung: VoteChoice.no}
    sc.record(item, Outcome.recommended, VoteInput(9, 4, 0, faction_counts=counts, named=named))

    result = stored_result(db, item)
    assert result is not None
    (vote,) = result.votes
    assert {fc.faction.key: (fc.yes, fc.no, fc.abstain) for fc in vote.faction_counts} == {
        "spd": (4, 0, 0),
        "cdu": (0, 4, 0),
        "gruene": (2, 0, 0),
        "fw": (1, 0, 0),
        "fdp": (1, 0, 0),
        "linke": (1, 0, 0),
    }
    assert {n.person.key: n.choice for n in vote.named} == {"hahn": "yes", "jung": "no"}


#: Votes that do not fit their totals, built from the faction ids and the SJS members (person ids).
BadVote = Callable[[dict[str, int], list[int]], VoteInput]
BAD_VOTES: dict[str, tuple[BadVote, str]] = {
    "faction larger than present": (
        lambda f, m: VoteInput(9, 4, 0, faction_counts=(FactionCount(f["cdu"], no=5),)),
        r"CDU: 0 Ja \+ 5 Nein \+ 0 Enthaltungen > 4 voting members of the faction present",
    ),
    "factions exceed the total": (
        lambda f, m: VoteInput(
            5, 4, 0, faction_counts=(FactionCount(f["spd"], yes=4), FactionCount(f["gruene"], yes=2))
        ),
        "factions add up to 6 'yes' but 5 counted",
    ),
    "faction counted twice": (
        lambda f, m: VoteInput(
            9, 4, 0, faction_counts=(FactionCount(f["spd"], yes=2), FactionCount(f["spd"], yes=2))
        ),
        "SPD is counted twice",
    ),
    "named votes exceed the count": (
        lambda f, m: VoteInput(12, 1, 0, named={m[0]: VoteChoice.no, m[1]: VoteChoice.no}),
        "2 named votes 'no' but only 1 counted",
    ),
}


@pytest.mark.parametrize("case", list(BAD_VOTES))
def test_faction_counts_and_named_votes_must_fit_the_totals(db: Database, case: str) -> None:
    sc = Scenario(db.sessions)
    item = sjs_item(sc)
    build, message = BAD_VOTES[case]
    with pytest.raises(VoteInconsistent, match=message):
        sc.record(item, Outcome.recommended, build(faction_ids(db), sc.members("sjs")))
    assert stored_result(db, item) is None


def test_several_votes_per_item_keep_their_order_and_the_decisive_one_counts(db: Database) -> None:
    sc = Scenario(db.sessions)
    item = sjs_item(sc)
    amendment = VoteInput(4, 9, 0, subject="Änderungsantrag der CDU-Fraktion")
    main = VoteInput(10, 3, 0, subject="Beschlussvorschlag")

    with pytest.raises(VoteInconsistent, match="Only one vote"):
        sc.record(
            item,
            Outcome.recommended,
            VoteInput(4, 9, 0, decisive=True),
            VoteInput(10, 3, 0, decisive=True),
        )
    with pytest.raises(VoteInconsistent, match="contradicts the vote 4 Ja / 9 Nein"):
        sc.record(
            item, Outcome.recommended, VoteInput(4, 9, 0, subject="Änderungsantrag", decisive=True), main
        )
    sc.record(item, Outcome.recommended, amendment, main)

    result = stored_result(db, item)
    assert result is not None
    assert [(v.position, v.subject, v.yes, v.no, v.decisive) for v in result.votes] == [
        (0, "Änderungsantrag der CDU-Fraktion", 4, 9, False),
        (1, "Beschlussvorschlag", 10, 3, True),
    ]
    with db.session() as s:
        sjs_row = paper_status(s, paper_of_item(db, item)).table()[1]
    assert sjs_row[3] == "Zustimmung empfohlen (10 Ja / 3 Nein / 0 Enthaltungen)"


def test_a_decisive_amendment_vote_that_carried_is_the_one_the_outcome_rests_on(db: Database) -> None:
    sc = Scenario(db.sessions)
    item = sjs_item(sc)
    sc.record(
        item,
        Outcome.recommended_amended,
        VoteInput(8, 5, 0, subject="Beschlussvorschlag in der Fassung des Änderungsantrags", decisive=True),
        VoteInput(3, 10, 0, subject="Ursprünglicher Beschlussvorschlag"),
        resolution_text="Der geänderte Beschlussvorschlag.",
    )
    result = stored_result(db, item)
    assert result is not None
    assert [v.decisive for v in result.votes] == [True, False]


# ---------------------------------------------------------------------------------------------- notice period


def test_an_invitation_after_the_deadline_is_refused_naming_the_deadline(db: Database) -> None:
    sc = Scenario(db.sessions)
    meeting = sc.new_meeting("magistrat", "2013-09-30 09:00")  # a Monday

    with pytest.raises(NoticePeriodViolation) as refused:
        invite(db, meeting.id, local(2013, 9, 26, 8, 0))
    message = str(refused.value)
    assert "had to be sent by 25.09.2013, 23:59 Uhr" in message
    assert (
        "3 volle Tage zwischen Zugang und Sitzungstag, § 58 Abs. 1 Satz 2 HGO (Wortlaut nicht geprüft); Magistrat"
        in message
    )
    assert "urgent" in message
    assert refused.value.details["deadline"] == "2013-09-25T21:59:59.999999+00:00"
    unchanged = sc.meeting(meeting.id)
    assert (unchanged.state, unchanged.invitation_sent_at, unchanged.urgent) == ("planned", None, False)

    sent = invite(db, meeting.id, local(2013, 9, 25, 23, 59, 59))
    assert (sent.state, sent.urgent, sent.invitation_channel) == ("invited", False, "email")


def test_an_urgent_invitation_after_the_deadline_is_accepted_with_a_reason_that_is_recorded(
    db: Database,
) -> None:
    sc = Scenario(db.sessions)
    meeting = sc.new_meeting("magistrat", "2013-09-30 09:00")
    late = local(2013, 9, 27, 10, 0)

    for reason in (None, "", "  "):
        with pytest.raises(NoticePeriodViolation, match="needs a reason"):
            invite(db, meeting.id, late, urgent=True, urgent_reason=reason)
    assert sc.meeting(meeting.id).state == "planned"

    invite(db, meeting.id, late, urgent=True, urgent_reason=" Fördermittelfrist endet am 01.10.2013 ")
    sent = sc.meeting(meeting.id)
    assert (sent.state, sent.urgent, sent.urgent_reason) == (
        "invited",
        True,
        "Fördermittelfrist endet am 01.10.2013",
    )
    with db.session() as s:
        event = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "meeting.invited", AuditEvent.meeting_id == meeting.id
            )
        ).one()
        assert event.reason == "Fördermittelfrist endet am 01.10.2013"


def test_an_urgent_invitation_is_refused_after_even_the_shortened_deadline(db: Database) -> None:
    sc = Scenario(db.sessions)
    meeting = sc.new_meeting("magistrat", "2013-09-30 09:00")
    # § 58 I 3 HGO: received by the day before (29.09.), sent by e-mail a day earlier still.
    with pytest.raises(
        NoticePeriodViolation, match=r"even an urgent invitation had to be sent by 28\.09\.2013, 23:59"
    ):
        invite(db, meeting.id, local(2013, 9, 29, 8, 0), urgent=True, urgent_reason="Eilt")
    assert sc.meeting(meeting.id).state == "planned"
    invite(db, meeting.id, local(2013, 9, 28, 23, 59, 59), urgent=True, urgent_reason="Eilt")
    assert sc.meeting(meeting.id).urgent is True


def test_an_invitation_by_post_must_go_out_earlier_than_one_by_email(db: Database) -> None:
    sc = Scenario(db.sessions)
    by_post = sc.new_meeting("magistrat", "2013-09-30 09:00")
    by_email = sc.new_meeting("sjs", "2013-09-30 17:00")
    now = local(2013, 9, 24, 10, 0)
    with pytest.raises(NoticePeriodViolation, match=r"had to be sent by 23\.09\.2013, 23:59 Uhr"):
        invite(db, by_post.id, now, channel=Channel.post)
    invite(db, by_email.id, now, channel=Channel.email)
    assert sc.meeting(by_email.id).invitation_channel == "email"


@pytest.mark.parametrize(
    ("meeting_start", "deadline"),
    [
        # Spring forward on 29.03.2026: receipt on Sunday 29.03. (CEST), e-mail sent by Saturday (CET).
        ("2026-04-02 17:00", dt.datetime(2026, 3, 28, 22, 59, 59, 999_999, tzinfo=dt.UTC)),
        # Fall back on 25.10.2026: receipt on Sunday 25.10. (CET), e-mail sent by Saturday (CEST).
        ("2026-10-29 17:00", dt.datetime(2026, 10, 24, 21, 59, 59, 999_999, tzinfo=dt.UTC)),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_the_hessen_deadline_counts_calendar_days_across_a_daylight_saving_change(
    db: Database, meeting_start: str, deadline: dt.datetime
) -> None:
    sc = Scenario(db.sessions)
    meeting = sc.new_meeting("magistrat", meeting_start)
    with db.session() as s:
        computed = invitation_deadline(s, s.get_one(Meeting, meeting.id))
    assert computed.latest_dispatch == deadline
    assert deadline.astimezone(BERLIN).time() == dt.time(
        23, 59, 59, 999_999
    )  # the end of a Berlin calendar day

    with pytest.raises(NoticePeriodViolation) as refused:
        invite(db, meeting.id, deadline + dt.timedelta(microseconds=1))
    assert refused.value.details["deadline"] == deadline.isoformat()
    assert f"{deadline.astimezone(BERLIN):%d.%m.%Y}, 23:59 Uhr" in str(refused.value)
    assert invite(db, meeting.id, deadline).state == "invited"


def test_an_urgent_invitation_in_hours_counts_real_hours_across_the_spring_change(db: Database) -> None:
    sc = Scenario(db.sessions, town="wilhelmshaven")
    meeting = sc.new_meeting("va", "2026-03-29 12:00")  # CEST; the clocks went forward at 02:00
    # 24 real hours before 12:00 CEST is 11:00 CET on 28.03.; one day of e-mail receipt lag before that.
    last = local(2026, 3, 27, 11, 0)
    with pytest.raises(NoticePeriodViolation, match=r"had to be sent by 27\.03\.2026, 11:00 Uhr"):
        invite(db, meeting.id, last + dt.timedelta(seconds=1), urgent=True, urgent_reason="Eilt")
    assert invite(db, meeting.id, last, urgent=True, urgent_reason="Eilt").urgent is True


def test_nrw_counts_the_notice_period_from_dispatch(db: Database) -> None:
    sc = Scenario(db.sessions, town="duisburg")
    meeting = sc.new_meeting("rat", "2007-03-12 15:00")
    with pytest.raises(NoticePeriodViolation, match=r"had to be sent by 03\.03\.2007, 23:59 Uhr"):
        invite(db, meeting.id, local(2007, 3, 4, 0, 0, 1))  # 8 full days between: 04. to 11.03.
    invite(db, meeting.id, local(2007, 3, 3, 23, 59, 59))


def test_a_second_session_after_a_failed_quorum_has_the_shorter_notice_period(db: Database) -> None:
    sc = Scenario(db.sessions)
    regular = sc.new_meeting("sjs", "2013-10-28 17:00")
    second = sc.new_meeting("kfp", "2013-10-28 17:00", second_session=True)
    now = local(2013, 10, 25, 12, 0)
    with pytest.raises(NoticePeriodViolation, match=r"23\.10\.2013, 23:59 Uhr"):
        invite(db, regular.id, now)
    assert invite(db, second.id, now).state == "invited"
    second_late = sc.new_meeting("fwa", "2013-10-28 17:00", second_session=True)
    with pytest.raises(NoticePeriodViolation, match=r"25\.10\.2013, 23:59 Uhr .*§ 58 Abs\. 1 Satz 5 HGO"):
        invite(db, second_late.id, local(2013, 10, 26, 0, 0, 1))
