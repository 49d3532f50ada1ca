"""Pure rules: majority, unanimity, who votes, vote consistency, quorum and notice periods."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo

import pytest

from workflow.errors import QuorumNotMet, VoteInconsistent
from workflow.municipality import example_path, read_municipality_file
from workflow.profile import NoticeRule, NoticeRules, QuorumRule, load_profile
from workflow.rules import (
    FactionCount,
    Seat,
    VoteInput,
    carried,
    check_outcome_against_votes,
    check_quorum,
    check_votes,
    decisive_vote,
    latest_dispatch,
    unanimous,
    vote_summary,
    voters,
)
from workflow.vocabulary import (
    DECIDING_OUTCOMES,
    RECOMMENDING_OUTCOMES,
    VOTED_OUTCOMES,
    MembershipRole,
    NoticeCounting,
    NoticeReference,
    Outcome,
    TieRule,
    VoteChoice,
)

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")
R = MembershipRole

# --------------------------------------------------------------------------- carried / unanimous / summary


def test_more_yes_than_no_votes_carry_the_motion() -> None:
    assert carried(10, 5, TieRule.rejected)
    assert carried(1, 0, TieRule.rejected)


def test_more_no_than_yes_votes_defeat_the_motion() -> None:
    assert not carried(5, 10, TieRule.rejected)
    assert not carried(5, 10, TieRule.chair_decides, VoteChoice.yes)


def test_tie_vote_is_rejected_in_hessen_assembly() -> None:
    assert not carried(8, 8, TieRule.rejected)
    # Even if someone records a casting vote, a body without one does not carry the motion.
    assert not carried(8, 8, TieRule.rejected, VoteChoice.yes)


def test_tie_vote_follows_the_chairs_casting_vote_in_the_magistrat() -> None:
    assert carried(6, 6, TieRule.chair_decides, VoteChoice.yes)
    assert not carried(6, 6, TieRule.chair_decides, VoteChoice.no)
    assert not carried(6, 6, TieRule.chair_decides, None)


def test_no_votes_at_all_never_carry_a_motion() -> None:
    assert not carried(0, 0, TieRule.rejected)
    assert not carried(0, 0, TieRule.chair_decides, VoteChoice.yes)


@pytest.mark.parametrize(
    ("yes", "no", "abstain", "expected"),
    [
        (12, 0, 0, True),
        (1, 0, 0, True),
        (12, 0, 1, False),
        (12, 1, 0, False),
        (0, 0, 0, False),
        (0, 0, 5, False),
        (0, 7, 0, False),
    ],
)
def test_unanimous_is_derived_from_the_counts(yes: int, no: int, abstain: int, expected: bool) -> None:
    assert unanimous(yes, no, abstain) is expected


@pytest.mark.parametrize(
    ("yes", "no", "abstain", "expected"),
    [
        (12, 0, 0, "einstimmig"),
        (9, 0, 2, "ohne Gegenstimmen bei 2 Enthaltungen"),
        (9, 0, 1, "ohne Gegenstimmen bei 1 Enthaltung"),
        (9, 2, 2, "9 Ja / 2 Nein / 2 Enthaltungen"),
        (5, 8, 1, "5 Ja / 8 Nein / 1 Enthaltung"),
        (5, 8, 0, "5 Ja / 8 Nein / 0 Enthaltungen"),
        (0, 0, 3, "0 Ja / 0 Nein / 3 Enthaltungen"),
    ],
)
def test_vote_summary_prints_the_vote_as_the_minutes_do(
    yes: int, no: int, abstain: int, expected: str
) -> None:
    assert vote_summary(yes, no, abstain) == expected


# --------------------------------------------------------------------------- voters

SEATS = [
    Seat(1, R.chair, True, 10, None),
    Seat(2, R.member, True, 10, None),
    Seat(3, R.member, True, 20, None),
    Seat(4, R.advisory, False, None, None),
    Seat(5, R.substitute, True, 10, 2),  # stands in for 2
    Seat(6, R.substitute, True, None, 4),  # "stands in" for the advisory member 4
    Seat(7, R.substitute, True, 20, None),  # substitute without a member to stand in for
]


def test_present_regular_members_vote_with_their_faction() -> None:
    assert voters(SEATS, {1, 2, 3}, set()) == {1: 10, 2: 10, 3: 20}


def test_absent_members_do_not_vote() -> None:
    assert voters(SEATS, {1, 3}, set()) == {1: 10, 3: 20}


def test_recused_members_do_not_vote() -> None:
    assert voters(SEATS, {1, 2, 3}, {2}) == {1: 10, 3: 20}


def test_advisory_members_do_not_vote() -> None:
    assert 4 not in voters(SEATS, {1, 2, 3, 4}, set())


def test_a_substitute_votes_when_the_member_they_stand_in_for_is_absent() -> None:
    assert voters(SEATS, {1, 3, 5}, set()) == {1: 10, 3: 20, 5: 10}


def test_a_substitute_does_not_vote_when_the_member_they_stand_in_for_is_present() -> None:
    assert voters(SEATS, {1, 2, 3, 5}, set()) == {1: 10, 2: 10, 3: 20}


def test_a_recused_substitute_does_not_vote_even_when_standing_in() -> None:
    assert voters(SEATS, {1, 3, 5}, {5}) == {1: 10, 3: 20}


def test_a_substitute_for_a_member_without_voting_right_does_not_vote() -> None:
    assert 6 not in voters(SEATS, {1, 2, 3, 6}, set())


def test_a_substitute_standing_in_for_nobody_does_not_vote() -> None:
    assert 7 not in voters(SEATS, {1, 2, 3, 7}, set())


def test_two_substitutes_of_one_absent_member_give_only_one_vote() -> None:
    seats = [
        Seat(1, R.member, True, 10, None),
        Seat(2, R.member, True, 10, None),
        Seat(8, R.substitute, True, 10, 2),
        Seat(9, R.substitute, True, 10, 2),
    ]
    result = voters(seats, {1, 8, 9}, set())
    assert len(result) == 2  # member 1 and one substitute for member 2


def test_a_substitute_without_voting_right_does_not_vote_when_standing_in() -> None:
    seats = [
        Seat(1, R.member, True, 10, None),
        Seat(2, R.member, True, 10, None),
        Seat(5, R.substitute, False, 10, 2),
    ]
    assert voters(seats, {1, 5}, set()) == {1: 10}


# --------------------------------------------------------------------------- check_votes

# 17 voting members present: 8 of faction 1, 6 of faction 2, 3 of faction 3; person 20 is recused,
# person 30 is absent.
ELIGIBLE: Mapping[int, int | None] = (
    {p: 1 for p in range(1, 9)} | {p: 2 for p in range(9, 15)} | {p: 3 for p in range(15, 18)}
)
RECUSED = {20}
FACTIONS = {1: "Fraktion A", 2: "Fraktion B", 3: "Fraktion C"}
PERSONS = {p: f"Person {p}" for p in range(1, 18)} | {20: "Erika Befangen", 30: "Otto Abwesend"}


def _check(*votes: VoteInput, tie_rule: TieRule = TieRule.rejected) -> None:
    check_votes(list(votes), ELIGIBLE, RECUSED, tie_rule, FACTIONS, PERSONS)


def test_the_eligible_fixture_has_seventeen_voters() -> None:
    assert len(ELIGIBLE) == 17


def test_counts_up_to_the_voting_members_present_are_accepted() -> None:
    _check(VoteInput(12, 3, 2))
    _check(VoteInput(0, 0, 0))


def test_more_votes_than_voting_members_present_are_refused_with_the_counts_in_the_message() -> None:
    with pytest.raises(VoteInconsistent) as info:
        _check(VoteInput(12, 5, 3))
    assert "12 Ja + 5 Nein + 3 Enthaltungen > 17 anwesende Stimmberechtigte" in str(info.value)
    assert str(info.value).startswith("Vote 1 (Beschlussvorschlag): ")
    assert info.value.details == {"rule": "votes_exceed_present", "votes": 20, "present": 17}


def test_one_abstention_is_printed_in_the_singular() -> None:
    with pytest.raises(VoteInconsistent, match=r"10 Ja \+ 7 Nein \+ 1 Enthaltung > 17 anwesende"):
        _check(VoteInput(10, 7, 1))


def test_the_message_names_the_vote_by_its_number_and_subject() -> None:
    with pytest.raises(VoteInconsistent, match=r"^Vote 2 \(Änderungsantrag der Fraktion B\): 18 Ja"):
        _check(VoteInput(9, 8, 0), VoteInput(18, 0, 0, subject="Änderungsantrag der Fraktion B"))


def test_a_recused_member_is_not_counted_among_the_voters() -> None:
    seats = [Seat(p, R.member, True, 1, None) for p in range(1, 19)]
    eligible = voters(seats, set(range(1, 19)), {18})
    assert len(eligible) == 17
    with pytest.raises(VoteInconsistent, match="> 17 anwesende Stimmberechtigte"):
        check_votes([VoteInput(18, 0, 0)], eligible, {18}, TieRule.rejected, {}, {})


def test_negative_counts_are_refused() -> None:
    with pytest.raises(VoteInconsistent, match="counts cannot be negative"):
        _check(VoteInput(5, -1, 0))


def test_only_one_vote_of_an_item_can_be_decisive() -> None:
    with pytest.raises(VoteInconsistent, match="Only one vote of an item can be the decisive one"):
        _check(VoteInput(9, 8, 0, decisive=True), VoteInput(10, 7, 0, decisive=True))


def test_a_named_vote_of_a_recused_member_is_refused() -> None:
    with pytest.raises(VoteInconsistent, match=r"Erika Befangen is recused \(befangen\) and cannot vote"):
        _check(VoteInput(10, 7, 0, named={20: VoteChoice.no}))


def test_a_named_vote_of_an_absent_member_is_refused() -> None:
    with pytest.raises(VoteInconsistent, match="Otto Abwesend is not a voting member present for this item"):
        _check(VoteInput(10, 7, 0, named={30: VoteChoice.yes}))


def test_a_named_vote_of_an_unknown_person_names_their_id() -> None:
    with pytest.raises(VoteInconsistent, match="#99 is not a voting member present"):
        _check(VoteInput(10, 7, 0, named={99: VoteChoice.yes}))


def test_named_votes_are_accepted_when_they_fit_the_counts() -> None:
    _check(VoteInput(10, 2, 0, named={1: VoteChoice.no, 9: VoteChoice.no, 15: VoteChoice.yes}))


def test_more_named_votes_of_one_kind_than_counted_are_refused() -> None:
    with pytest.raises(VoteInconsistent, match="2 named votes 'no' but only 1 counted"):
        _check(VoteInput(10, 1, 0, named={1: VoteChoice.no, 9: VoteChoice.no}))


def test_faction_counts_within_the_faction_and_the_totals_are_accepted() -> None:
    _check(
        VoteInput(
            11,
            4,
            2,
            faction_counts=(
                FactionCount(1, yes=8),
                FactionCount(2, yes=3, no=3),
                FactionCount(3, no=1, abstain=2),
            ),
        )
    )


def test_a_faction_count_exceeding_the_factions_members_present_is_refused() -> None:
    with pytest.raises(VoteInconsistent) as info:
        _check(VoteInput(12, 0, 0, faction_counts=(FactionCount(3, yes=4),)))
    assert "Fraktion C: 4 Ja + 0 Nein + 0 Enthaltungen > 3 voting members of the faction present" in str(
        info.value
    )


def test_faction_counts_adding_up_to_more_than_the_total_are_refused() -> None:
    with pytest.raises(VoteInconsistent, match="factions add up to 14 'yes' but 12 counted"):
        _check(VoteInput(12, 0, 0, faction_counts=(FactionCount(1, yes=8), FactionCount(2, yes=6))))


def test_a_faction_counted_twice_is_refused() -> None:
    with pytest.raises(VoteInconsistent, match="faction Fraktion A is counted twice"):
        _check(VoteInput(6, 0, 0, faction_counts=(FactionCount(1, yes=3), FactionCount(1, yes=3))))


def test_negative_faction_counts_are_refused() -> None:
    with pytest.raises(VoteInconsistent, match="counts of Fraktion B cannot be negative"):
        _check(VoteInput(6, 0, 0, faction_counts=(FactionCount(2, yes=-1),)))


def test_a_casting_vote_on_a_tie_is_accepted_where_the_chair_decides() -> None:
    _check(VoteInput(6, 6, 0, casting_vote=VoteChoice.yes), tie_rule=TieRule.chair_decides)


def test_a_casting_vote_without_a_tie_is_refused() -> None:
    with pytest.raises(
        VoteInconsistent, match=r"a casting vote is only given on a tie of cast votes \(7 : 5\)"
    ):
        _check(VoteInput(7, 5, 0, casting_vote=VoteChoice.yes), tie_rule=TieRule.chair_decides)


def test_a_casting_vote_on_a_tie_of_nobody_voting_is_refused() -> None:
    with pytest.raises(VoteInconsistent, match=r"tie of cast votes \(0 : 0\)"):
        _check(VoteInput(0, 0, 5, casting_vote=VoteChoice.yes), tie_rule=TieRule.chair_decides)


def test_there_is_no_casting_vote_when_the_chair_is_absent_or_recused() -> None:
    with pytest.raises(VoteInconsistent, match="the chair is absent or recused"):
        check_votes(
            [VoteInput(6, 6, 0, casting_vote=VoteChoice.yes)],
            ELIGIBLE,
            RECUSED,
            TieRule.chair_decides,
            {},
            {},
            chair_votes=False,
        )


def test_a_casting_vote_in_a_body_where_a_tie_is_a_rejection_is_refused() -> None:
    with pytest.raises(VoteInconsistent, match="this body has no casting vote of the chair"):
        _check(VoteInput(6, 6, 0, casting_vote=VoteChoice.yes), tie_rule=TieRule.rejected)


# --------------------------------------------------------------------------- outcome against votes


def test_a_tie_is_never_adopted_where_a_tie_is_a_rejection() -> None:
    with pytest.raises(VoteInconsistent) as info:
        check_outcome_against_votes(Outcome.adopted, [VoteInput(8, 8, 3)], TieRule.rejected)
    assert "(Stimmengleichheit gilt als Ablehnung)" in str(info.value)
    assert "8 Ja / 8 Nein / 3 Enthaltungen" in str(info.value)
    assert info.value.details["rule"] == "outcome_contradicts_votes"


@pytest.mark.parametrize("outcome", [Outcome.adopted, Outcome.adopted_amended, Outcome.recommended])
def test_a_tie_cannot_end_with_an_outcome_that_carries_the_motion(outcome: Outcome) -> None:
    with pytest.raises(VoteInconsistent):
        check_outcome_against_votes(outcome, [VoteInput(8, 8, 0)], TieRule.rejected)


def test_a_tie_recorded_as_rejected_is_consistent() -> None:
    check_outcome_against_votes(Outcome.rejected, [VoteInput(8, 8, 3)], TieRule.rejected)


def test_a_tie_is_adopted_where_the_chair_decides_and_casts_yes() -> None:
    check_outcome_against_votes(
        Outcome.adopted, [VoteInput(6, 6, 0, casting_vote=VoteChoice.yes)], TieRule.chair_decides
    )


def test_a_tie_is_not_adopted_where_the_chair_decides_and_casts_no() -> None:
    with pytest.raises(VoteInconsistent, match="the motion was not carried"):
        check_outcome_against_votes(
            Outcome.adopted, [VoteInput(6, 6, 0, casting_vote=VoteChoice.no)], TieRule.chair_decides
        )
    check_outcome_against_votes(
        Outcome.rejected, [VoteInput(6, 6, 0, casting_vote=VoteChoice.no)], TieRule.chair_decides
    )


def test_rejected_contradicts_a_carried_vote() -> None:
    with pytest.raises(VoteInconsistent) as info:
        check_outcome_against_votes(Outcome.rejected, [VoteInput(10, 5, 2)], TieRule.rejected)
    assert "Outcome 'rejected' (abgelehnt) contradicts the vote 10 Ja / 5 Nein / 2 Enthaltungen" in str(
        info.value
    )
    assert "the motion was carried" in str(info.value)


def test_not_recommended_contradicts_a_carried_vote() -> None:
    with pytest.raises(VoteInconsistent, match="Ablehnung empfohlen"):
        check_outcome_against_votes(Outcome.not_recommended, [VoteInput(9, 2, 2)], TieRule.rejected)


def test_recommended_contradicts_a_failed_vote() -> None:
    with pytest.raises(VoteInconsistent, match="Zustimmung empfohlen"):
        check_outcome_against_votes(Outcome.recommended, [VoteInput(5, 8, 0)], TieRule.rejected)


def test_consistent_outcomes_are_accepted() -> None:
    check_outcome_against_votes(Outcome.adopted, [VoteInput(40, 12, 7)], TieRule.rejected)
    check_outcome_against_votes(Outcome.not_recommended, [VoteInput(5, 8, 0)], TieRule.rejected)
    check_outcome_against_votes(Outcome.recommended_amended, [VoteInput(9, 2, 2)], TieRule.rejected)


def test_every_outcome_that_recommends_decides_or_approves_is_a_voted_outcome() -> None:
    assert DECIDING_OUTCOMES | RECOMMENDING_OUTCOMES | {Outcome.approved, Outcome.revoked} == VOTED_OUTCOMES
    assert len(VOTED_OUTCOMES) == 8


def test_approving_or_revoking_an_urgent_decision_needs_a_vote_that_carries() -> None:
    with pytest.raises(VoteInconsistent, match="needs a recorded vote"):
        check_outcome_against_votes(Outcome.approved, [], TieRule.rejected)
    with pytest.raises(VoteInconsistent, match="Eil- oder Dringlichkeitsentscheidung aufgehoben"):
        check_outcome_against_votes(Outcome.revoked, [VoteInput(20, 20, 0)], TieRule.rejected)
    check_outcome_against_votes(Outcome.approved, [VoteInput(30, 10, 2)], TieRule.rejected)


@pytest.mark.parametrize("outcome", sorted(VOTED_OUTCOMES))
def test_recommending_and_deciding_outcomes_need_a_recorded_vote(outcome: Outcome) -> None:
    with pytest.raises(VoteInconsistent, match=f"Outcome '{outcome.value}' .* needs a recorded vote"):
        check_outcome_against_votes(outcome, [], TieRule.rejected)


@pytest.mark.parametrize("outcome", sorted(set(Outcome) - VOTED_OUTCOMES))
def test_other_outcomes_need_no_vote(outcome: Outcome) -> None:
    check_outcome_against_votes(outcome, [], TieRule.rejected)


def test_the_outcome_rests_on_the_last_vote_when_none_is_marked_decisive() -> None:
    amendment_failed = VoteInput(5, 10, 0, subject="Änderungsantrag")
    main_motion = VoteInput(10, 5, 0)
    assert decisive_vote([amendment_failed, main_motion]) is main_motion
    check_outcome_against_votes(Outcome.adopted, [amendment_failed, main_motion], TieRule.rejected)


def test_the_outcome_rests_on_the_vote_marked_decisive() -> None:
    main_motion = VoteInput(5, 10, 0, decisive=True)
    later = VoteInput(10, 5, 0, subject="Protokollerklärung")
    assert decisive_vote([main_motion, later]) is main_motion
    check_outcome_against_votes(Outcome.rejected, [main_motion, later], TieRule.rejected)
    with pytest.raises(VoteInconsistent):
        check_outcome_against_votes(Outcome.adopted, [main_motion, later], TieRule.rejected)


def test_there_is_no_decisive_vote_without_votes() -> None:
    assert decisive_vote([]) is None


def test_the_contradiction_message_prints_one_abstention_in_the_singular() -> None:
    with pytest.raises(VoteInconsistent) as info:
        check_outcome_against_votes(Outcome.rejected, [VoteInput(10, 5, 1)], TieRule.rejected)
    assert "10 Ja / 5 Nein / 1 Enthaltung:" in str(info.value)


# --------------------------------------------------------------------------- quorum


@pytest.mark.parametrize(
    ("profile", "statutory", "needed"),
    [
        ("hessen", 59, 30),  # Stadtverordnetenversammlung Wetzlar
        (
            "hessen",
            12,
            7,
        ),  # a body of 12 under § 53 HGO: exactly half is not enough (not the Magistrat, § 68)
        ("hessen", 13, 7),  # Ausschuss
        ("nrw", 75, 38),  # Rat Duisburg, Oberbürgermeister included
        ("nrw", 19, 10),  # Haupt- und Finanzausschuss
        ("niedersachsen", 45, 23),  # Rat Wilhelmshaven
        ("niedersachsen", 11, 6),  # Verwaltungsausschuss
    ],
)
def test_quorum_needs_more_than_half_of_the_statutory_members(
    profile: str, statutory: int, needed: int
) -> None:
    rule = load_profile(profile).quorum
    check_quorum(rule, statutory, needed, second_session=False)
    check_quorum(rule, statutory, statutory, second_session=False)
    with pytest.raises(QuorumNotMet) as info:
        check_quorum(rule, statutory, needed - 1, second_session=False)
    assert info.value.details == {"present": needed - 1, "needed": needed, "statutory_members": statutory}
    assert f"{needed - 1} voting members present, at least {needed} needed" in str(info.value)
    assert f"of {statutory} statutory members" in str(info.value)


def test_the_quorum_message_cites_the_law_and_suggests_deferring() -> None:
    with pytest.raises(QuorumNotMet) as info:
        check_quorum(load_profile("hessen").quorum, 59, 29, second_session=False)
    message = str(info.value)
    assert message.startswith(
        "Not quorate (beschlussunfähig) (§ 53 Abs. 1 Satz 1, Abs. 2 HGO): 29 voting members present"
    )
    assert "'deferred'" in message


@pytest.mark.parametrize("profile", ["hessen", "nrw", "niedersachsen"])
def test_a_second_session_is_always_quorate(profile: str) -> None:
    check_quorum(load_profile(profile).quorum, 59, 1, second_session=True)
    check_quorum(load_profile(profile).quorum, 59, 0, second_session=True)


def test_a_second_session_needs_a_quorum_where_the_rule_says_so() -> None:
    rule = QuorumRule(second_session_always_quorate=False)
    with pytest.raises(QuorumNotMet):
        check_quorum(rule, 13, 6, second_session=True)


# --------------------------------------------------------------------------- latest dispatch


def _set(notice: NoticeRules | None) -> NoticeRules:
    assert notice is not None
    return notice


HESSEN = _set(load_profile("hessen").notice)
# The GO NRW sets no notice period: the Duisburg example file carries its Geschäftsordnung's.
NRW = _set(read_municipality_file(example_path("duisburg"))[0].notice)
NDS = _set(load_profile("niedersachsen").notice)


def _berlin(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def _utc(
    year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0, micro: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def _assert_utc(moment: dt.datetime, expected: dt.datetime) -> None:
    assert moment.utcoffset() == dt.timedelta(0)
    assert moment == expected


def test_the_shipped_notice_rules_are_the_ones_the_dispatch_tests_assume() -> None:
    assert (HESSEN.regular.counting, HESSEN.regular.amount) == (NoticeCounting.full_days_between, 3)
    assert (
        HESSEN.urgent and HESSEN.urgent.amount,
        HESSEN.second_session and HESSEN.second_session.amount,
    ) == (0, 1)
    assert (NRW.regular.counting, NRW.regular.amount) == (NoticeCounting.full_days_between, 8)
    assert NRW.urgent is not None
    assert (NRW.urgent.reference, NRW.urgent.counting, NRW.urgent.amount) == (
        NoticeReference.dispatch,
        NoticeCounting.hours_before_start,
        48,
    )
    assert NRW.urgent.legal_basis.startswith("Geschäftsordnung")
    assert (NDS.regular.counting, NDS.regular.amount) == (NoticeCounting.including_meeting_day, 7)
    assert NDS.urgent is not None
    assert (NDS.urgent.counting, NDS.urgent.amount) == (NoticeCounting.hours_before_start, 24)


def test_hessen_three_full_days_before_a_meeting_in_winter_time() -> None:
    # Meeting Thursday 2026-03-19; 3 full days between receipt and meeting (16th, 17th, 18th): receipt by
    # Sunday 15th 23:59:59 CET; an e-mail (1 day lag) must leave by Saturday 14th 23:59:59 CET = 22:59:59 UTC.
    meeting = _berlin(2026, 3, 19, 18)
    _assert_utc(latest_dispatch(meeting, HESSEN.regular, 1), _utc(2026, 3, 14, 22, 59, 59, 999_999))
    _assert_utc(latest_dispatch(meeting, HESSEN.regular, 0), _utc(2026, 3, 15, 22, 59, 59, 999_999))


def test_hessen_notice_counts_calendar_days_across_the_spring_change() -> None:
    # Meeting Thursday 2026-04-02 18:00 CEST. Receipt by Sunday 2026-03-29 23:59:59 (already CEST, +02:00)
    # = 21:59:59 UTC; one calendar day earlier for e-mail: Saturday 28th 23:59:59 CET (+01:00) = 22:59:59 UTC.
    meeting = _berlin(2026, 4, 2, 18)
    by_portal = latest_dispatch(meeting, HESSEN.regular, 0)
    by_email = latest_dispatch(meeting, HESSEN.regular, 1)
    _assert_utc(by_portal, _utc(2026, 3, 29, 21, 59, 59, 999_999))
    _assert_utc(by_email, _utc(2026, 3, 28, 22, 59, 59, 999_999))
    # Both are 23:59:59 on the wall clock, so the distance is 23 real hours, not 24.
    assert (
        by_portal.astimezone(BERLIN).time()
        == by_email.astimezone(BERLIN).time()
        == dt.time(23, 59, 59, 999_999)
    )
    assert by_portal - by_email == dt.timedelta(hours=23)


def test_hessen_notice_by_post_counts_three_calendar_days_of_delivery() -> None:
    # Receipt by 2026-03-29 23:59:59 CEST; post (3 days) leaves by 2026-03-26 23:59:59 CET = 22:59:59 UTC.
    _assert_utc(
        latest_dispatch(_berlin(2026, 4, 2, 18), HESSEN.regular, 3), _utc(2026, 3, 26, 22, 59, 59, 999_999)
    )


def test_hessen_notice_counts_calendar_days_across_the_autumn_change() -> None:
    # Meeting Thursday 2026-10-29 18:00 CET. Receipt by Sunday 2026-10-25 23:59:59 CET = 22:59:59 UTC;
    # e-mail one calendar day earlier: Saturday 24th 23:59:59 CEST (+02:00) = 21:59:59 UTC.
    meeting = _berlin(2026, 10, 29, 18)
    _assert_utc(latest_dispatch(meeting, HESSEN.regular, 0), _utc(2026, 10, 25, 22, 59, 59, 999_999))
    _assert_utc(latest_dispatch(meeting, HESSEN.regular, 1), _utc(2026, 10, 24, 21, 59, 59, 999_999))


def test_hessen_urgent_invitation_must_arrive_by_the_day_before() -> None:
    assert HESSEN.urgent is not None
    # Meeting Monday 2026-03-30: receipt by Sunday 29th 23:59:59 CEST = 21:59:59 UTC; e-mail by Saturday
    # 28th 23:59:59 CET = 22:59:59 UTC.
    meeting = _berlin(2026, 3, 30, 18)
    _assert_utc(latest_dispatch(meeting, HESSEN.urgent, 0), _utc(2026, 3, 29, 21, 59, 59, 999_999))
    _assert_utc(latest_dispatch(meeting, HESSEN.urgent, 1), _utc(2026, 3, 28, 22, 59, 59, 999_999))


def test_hessen_second_session_needs_one_full_day_between() -> None:
    assert HESSEN.second_session is not None
    # Meeting Tuesday 2026-10-27: one full day (26th) between; receipt by Sunday 25th 23:59:59 CET.
    _assert_utc(
        latest_dispatch(_berlin(2026, 10, 27, 18), HESSEN.second_session, 0),
        _utc(2026, 10, 25, 22, 59, 59, 999_999),
    )


def test_the_meeting_day_is_its_day_in_berlin_not_in_utc() -> None:
    # 2026-06-30 22:30 UTC is 2026-07-01 00:30 CEST: the meeting day is 1 July, so receipt by 27 June.
    meeting = _utc(2026, 6, 30, 22, 30)
    _assert_utc(latest_dispatch(meeting, HESSEN.regular, 0), _utc(2026, 6, 27, 21, 59, 59, 999_999))


def test_nrw_eight_full_days_from_dispatch_means_posting_nine_days_before() -> None:
    # Meeting Tuesday 2026-04-07 17:00 CEST: the 8 full days between are 30 March .. 6 April, so the
    # invitation is dispatched by Sunday 2026-03-29 23:59:59 CEST = 21:59:59 UTC (9 days before).
    _assert_utc(
        latest_dispatch(_berlin(2026, 4, 7, 17), NRW.regular, 0), _utc(2026, 3, 29, 21, 59, 59, 999_999)
    )
    # One day earlier, the deadline falls on Saturday 28 March, still winter time.
    _assert_utc(
        latest_dispatch(_berlin(2026, 4, 6, 17), NRW.regular, 0), _utc(2026, 3, 28, 22, 59, 59, 999_999)
    )


def test_hilden_nine_days_including_the_meeting_day() -> None:
    rule = NoticeRule(counting="including_meeting_day", amount=9)
    # Meeting Wednesday 2026-04-08: 31 March .. 8 April are 9 days, so receipt by Monday 30 March.
    _assert_utc(latest_dispatch(_berlin(2026, 4, 8, 17), rule, 0), _utc(2026, 3, 30, 21, 59, 59, 999_999))


def test_niedersachsen_one_week_including_the_meeting_day_across_the_spring_change() -> None:
    # Meeting Tuesday 2026-04-07: receipt by Tuesday 31 March 23:59:59 CEST; post (3 days) leaves by
    # Saturday 28 March 23:59:59 CET = 22:59:59 UTC.
    meeting = _berlin(2026, 4, 7, 18)
    _assert_utc(latest_dispatch(meeting, NDS.regular, 0), _utc(2026, 3, 31, 21, 59, 59, 999_999))
    _assert_utc(latest_dispatch(meeting, NDS.regular, 3), _utc(2026, 3, 28, 22, 59, 59, 999_999))


def test_niedersachsen_one_week_including_the_meeting_day_across_the_autumn_change() -> None:
    # Meeting Monday 2026-11-02: receipt by Monday 26 October 23:59:59 CET = 22:59:59 UTC; post by Friday
    # 23 October 23:59:59 CEST = 21:59:59 UTC.
    meeting = _berlin(2026, 11, 2, 18)
    _assert_utc(latest_dispatch(meeting, NDS.regular, 0), _utc(2026, 10, 26, 22, 59, 59, 999_999))
    _assert_utc(latest_dispatch(meeting, NDS.regular, 3), _utc(2026, 10, 23, 21, 59, 59, 999_999))


def test_24_hours_before_a_meeting_just_after_the_spring_change_are_real_hours() -> None:
    assert NDS.urgent is not None
    # 24 h before 2026-03-29 18:00 CEST (16:00 UTC) is 2026-03-28 16:00 UTC = 17:00 CET, not 18:00.
    deadline = latest_dispatch(_berlin(2026, 3, 29, 18), NDS.urgent, 0)
    _assert_utc(deadline, _utc(2026, 3, 28, 16))
    assert deadline.astimezone(BERLIN).hour == 17


def test_the_receipt_lag_after_an_hours_rule_is_a_calendar_day() -> None:
    assert NDS.urgent is not None
    # 24 h before 2026-03-29 18:00 CEST is 2026-03-28 17:00 CET; one calendar day earlier is
    # 2026-03-27 17:00 CET = 16:00 UTC (no change in between).
    _assert_utc(latest_dispatch(_berlin(2026, 3, 29, 18), NDS.urgent, 1), _utc(2026, 3, 27, 16))
    # Meeting Monday 2026-03-30 10:00 CEST: 24 h before is Sunday 29th 10:00 CEST = 08:00 UTC; one calendar
    # day earlier is Saturday 28th 10:00 CET = 09:00 UTC (23 real hours earlier, not 24).
    _assert_utc(latest_dispatch(_berlin(2026, 3, 30, 10), NDS.urgent, 0), _utc(2026, 3, 29, 8))
    _assert_utc(latest_dispatch(_berlin(2026, 3, 30, 10), NDS.urgent, 1), _utc(2026, 3, 28, 9))


def test_48_hours_before_a_meeting_just_after_the_autumn_change_are_real_hours() -> None:
    assert NRW.urgent is not None
    # 48 h before 2026-10-26 18:00 CET (17:00 UTC) is 2026-10-24 17:00 UTC = 19:00 CEST, not 18:00.
    deadline = latest_dispatch(_berlin(2026, 10, 26, 18), NRW.urgent, 0)
    _assert_utc(deadline, _utc(2026, 10, 24, 17))
    assert deadline.astimezone(BERLIN).hour == 19


def test_the_receipt_lag_after_an_hours_rule_is_a_calendar_day_in_autumn() -> None:
    assert NDS.urgent is not None
    # 24 h before Monday 2026-10-26 18:00 CET is Sunday 25th 17:00 UTC = 18:00 CET; one calendar day earlier
    # is Saturday 24th 18:00 CEST = 16:00 UTC (25 real hours earlier).
    _assert_utc(latest_dispatch(_berlin(2026, 10, 26, 18), NDS.urgent, 1), _utc(2026, 10, 24, 16))


def test_a_meeting_start_without_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        latest_dispatch(dt.datetime(2026, 4, 2, 18), HESSEN.regular, 1)  # noqa: DTZ001
