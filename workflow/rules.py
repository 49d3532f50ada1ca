"""Pure rules of the municipal constitutions: votes, quorum, majority, notice periods. No I/O here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from workflow.errors import NoticePeriodViolation, QuorumNotMet, VoteInconsistent
from workflow.profile import NoticeRule, QualifiedMajority, QuorumRule
from workflow.vocabulary import (
    FAILED_MOTION_OUTCOMES,
    OUTCOME_WORDING,
    VOTED_OUTCOMES,
    MembershipRole,
    NoticeCounting,
    Outcome,
    TieRule,
    VoteChoice,
)

BERLIN = ZoneInfo("Europe/Berlin")


# --------------------------------------------------------------------------- votes


@dataclass(frozen=True)
class FactionCount:
    faction_id: int
    yes: int = 0
    no: int = 0
    abstain: int = 0


@dataclass(frozen=True)
class VoteInput:
    """One vote of an item as the secretary records it."""

    yes: int
    no: int
    abstain: int
    subject: str = "Beschlussvorschlag"
    decisive: bool = False
    casting_vote: VoteChoice | None = None
    faction_counts: tuple[FactionCount, ...] = ()
    named: Mapping[int, VoteChoice] = field(default_factory=dict)


VOTE_WORDS = {VoteChoice.yes: "Ja", VoteChoice.no: "Nein", VoteChoice.abstain: "Enthaltung"}


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def describe_counts(yes: int, no: int, abstain: int) -> str:
    return f"{yes} Ja + {no} Nein + {_plural(abstain, 'Enthaltung', 'Enthaltungen')}"


def carried(yes: int, no: int, tie_rule: TieRule, casting_vote: VoteChoice | None = None) -> bool:
    """Majority of the votes cast; abstentions do not count; a tie follows the body's tie rule."""
    if yes != no:
        return yes > no
    if yes == 0:
        return False
    return tie_rule is TieRule.chair_decides and casting_vote is VoteChoice.yes


def unanimous(yes: int, no: int, abstain: int) -> bool:
    """Einstimmig: derived from the counts, never stored."""
    return yes > 0 and no == 0 and abstain == 0


def vote_summary(yes: int, no: int, abstain: int) -> str:
    """How the minutes and the Beratungsfolge table print a vote."""
    if unanimous(yes, no, abstain):
        return "einstimmig"
    if no == 0 and yes > 0:
        return f"ohne Gegenstimmen bei {_plural(abstain, 'Enthaltung', 'Enthaltungen')}"
    return f"{yes} Ja / {no} Nein / {_plural(abstain, 'Enthaltung', 'Enthaltungen')}"


@dataclass(frozen=True)
class Seat:
    """A membership as the vote rules see it."""

    person_id: int
    role: MembershipRole
    voting_right: bool
    faction_id: int | None
    substitute_of_id: int | None


def voters(seats: Iterable[Seat], present: set[int], recused: set[int]) -> dict[int, int | None]:
    """Members entitled to vote on this item: person id → faction id.

    A regular member with voting right counts when present and not recused; a substitute with voting right
    counts when present, not recused and the member they stand in for is absent, and only one substitute
    (the first listed) takes any one absent member's seat.
    """
    seats = list(seats)
    regular = {s.person_id for s in seats if s.role is not MembershipRole.substitute and s.voting_right}
    result: dict[int, int | None] = {}
    seats_taken: set[int] = set()
    for seat in seats:
        if seat.person_id not in present or seat.person_id in recused or not seat.voting_right:
            continue
        if seat.role is MembershipRole.substitute:
            absent_member = seat.substitute_of_id
            if absent_member in regular and absent_member not in present and absent_member not in seats_taken:
                seats_taken.add(absent_member)
                result[seat.person_id] = seat.faction_id
        else:
            result[seat.person_id] = seat.faction_id
    return result


def check_quorum(
    rule: QuorumRule,
    statutory_members: int,
    voting_present: int,
    *,
    second_session: bool,
    legal_basis: str = "",
) -> None:
    if second_session and rule.second_session_always_quorate:
        return
    needed = rule.minimum_present(statutory_members)
    if voting_present < needed:
        basis = f" ({rule.cite()})" if rule.legal_basis else ""
        raise QuorumNotMet(
            f"Not quorate (beschlussunfähig){basis}: {voting_present} voting members present, at least "
            f"{needed} needed ({rule.describe(statutory_members)[0]} statutory members). "
            "Record the item as 'deferred' for lack of quorum instead.",
            german=f"Beschlussunfähig{basis}: {voting_present} stimmberechtigte Mitglieder anwesend, nötig sind "
            f"mindestens {needed} ({rule.describe(statutory_members)[1]}). Den TOP stattdessen "
            "mangels Beschlussfähigkeit zurückstellen.",
            present=voting_present,
            needed=needed,
            statutory_members=statutory_members,
        )


def check_votes(
    votes: Sequence[VoteInput],
    eligible: Mapping[int, int | None],
    recused: set[int],
    tie_rule: TieRule,
    faction_names: Mapping[int, str],
    person_names: Mapping[int, str],
    *,
    chair_votes: bool = True,
) -> None:
    """Counts consistent with attendance, recusals, named votes and faction counts.

    ``chair_votes``: the chair is present and entitled to vote on this item (needed for a casting vote,
    which is the chair's own vote deciding a tie).
    """
    if sum(1 for v in votes if v.decisive) > 1:
        raise VoteInconsistent(
            "Only one vote of an item can be the decisive one",
            german="Nur eine Abstimmung eines TOP kann die maßgebliche sein",
        )
    n_voters = len(eligible)
    for number, vote in enumerate(votes, start=1):
        label = f"Vote {number} ({vote.subject})"
        label_de = f"Abstimmung {number} ({vote.subject})"
        if min(vote.yes, vote.no, vote.abstain) < 0:
            raise VoteInconsistent(
                f"{label}: counts cannot be negative", german=f"{label_de}: Stimmen können nicht negativ sein"
            )
        total = vote.yes + vote.no + vote.abstain
        if total > n_voters:
            raise VoteInconsistent(
                f"{label}: {describe_counts(vote.yes, vote.no, vote.abstain)} > {n_voters} anwesende "
                f"Stimmberechtigte",
                german=f"Abstimmung {number} ({vote.subject}): {describe_counts(vote.yes, vote.no, vote.abstain)}"
                f" > {n_voters} anwesende Stimmberechtigte",
                rule="votes_exceed_present",
                votes=total,
                present=n_voters,
            )
        if vote.casting_vote is not None:
            if tie_rule is not TieRule.chair_decides:
                raise VoteInconsistent(
                    f"{label}: this body has no casting vote of the chair; a tie is a rejection",
                    german=f"{label_de}: In diesem Gremium gibt es keinen Stichentscheid; Stimmengleichheit "
                    "bedeutet Ablehnung",
                )
            if vote.yes != vote.no or vote.yes == 0:
                raise VoteInconsistent(
                    f"{label}: a casting vote is only given on a tie of cast votes ({vote.yes} : {vote.no})",
                    german=f"{label_de}: Ein Stichentscheid gibt es nur bei Stimmengleichheit "
                    f"({vote.yes} : {vote.no})",
                )
            if not chair_votes:
                raise VoteInconsistent(
                    f"{label}: the chair is absent or recused, so there is no casting vote; a tie is a rejection",
                    german=f"{label_de}: Die oder der Vorsitzende ist abwesend oder befangen, also gibt es keinen "
                    "Stichentscheid; Stimmengleichheit bedeutet Ablehnung",
                )
        counts = {VoteChoice.yes: vote.yes, VoteChoice.no: vote.no, VoteChoice.abstain: vote.abstain}
        named_per_choice = dict.fromkeys(VoteChoice, 0)
        for person_id, choice in vote.named.items():
            name = person_names.get(person_id, f"#{person_id}")
            if person_id in recused:
                raise VoteInconsistent(
                    f"{label}: {name} is recused (befangen) and cannot vote",
                    german=f"{label_de}: {name} ist befangen und darf nicht mitstimmen",
                )
            if person_id not in eligible:
                raise VoteInconsistent(
                    f"{label}: {name} is not a voting member present for this item",
                    german=f"{label_de}: {name} ist bei diesem TOP kein anwesendes stimmberechtigtes Mitglied",
                )
            named_per_choice[VoteChoice(choice)] += 1
        for choice, n in named_per_choice.items():
            if n > counts[choice]:
                raise VoteInconsistent(
                    f"{label}: {n} named votes '{choice.value}' but only {counts[choice]} counted",
                    german=f"{label_de}: {n} namentliche Stimmen „{VOTE_WORDS[choice]}“, gezählt aber nur "
                    f"{counts[choice]}",
                )
        seen: set[int] = set()
        sums = dict.fromkeys(VoteChoice, 0)
        for fc in vote.faction_counts:
            fname = faction_names.get(fc.faction_id, f"#{fc.faction_id}")
            if fc.faction_id in seen:
                raise VoteInconsistent(
                    f"{label}: faction {fname} is counted twice",
                    german=f"{label_de}: Die Fraktion {fname} ist doppelt gezählt",
                )
            seen.add(fc.faction_id)
            if min(fc.yes, fc.no, fc.abstain) < 0:
                raise VoteInconsistent(
                    f"{label}: counts of {fname} cannot be negative",
                    german=f"{label_de}: Die Stimmen der Fraktion {fname} können nicht negativ sein",
                )
            members = sum(1 for f in eligible.values() if f == fc.faction_id)
            if fc.yes + fc.no + fc.abstain > members:
                raise VoteInconsistent(
                    f"{label}: {fname}: {describe_counts(fc.yes, fc.no, fc.abstain)} > {members} voting "
                    "members of the faction present",
                    german=f"{label_de}: {fname}: {describe_counts(fc.yes, fc.no, fc.abstain)} > {members} "
                    "anwesende stimmberechtigte Mitglieder der Fraktion",
                )
            sums[VoteChoice.yes] += fc.yes
            sums[VoteChoice.no] += fc.no
            sums[VoteChoice.abstain] += fc.abstain
        for choice, n in sums.items():
            if n > counts[choice]:
                raise VoteInconsistent(
                    f"{label}: factions add up to {n} '{choice.value}' but {counts[choice]} counted",
                    german=f"{label_de}: Die Fraktionen haben zusammen {n} Stimmen „{VOTE_WORDS[choice]}“, "
                    f"gezählt sind {counts[choice]}",
                )


class _Marked(Protocol):
    @property
    def decisive(self) -> bool: ...


MarkedVote = TypeVar("MarkedVote", bound=_Marked)


def decisive_vote(votes: Sequence[MarkedVote]) -> MarkedVote | None:
    """The vote the outcome rests on: the one marked decisive, else the last (the main motion comes last)."""
    if not votes:
        return None
    return next((v for v in votes if v.decisive), votes[-1])


def check_outcome_against_votes(outcome: Outcome, votes: Sequence[VoteInput], tie_rule: TieRule) -> None:
    """The outcome must agree with the counts under the majority rule; a tie is never adopted."""
    wording = OUTCOME_WORDING[outcome]
    vote = decisive_vote(votes)
    if vote is None:
        if outcome in VOTED_OUTCOMES:
            raise VoteInconsistent(
                f"Outcome '{outcome.value}' ({wording}) needs a recorded vote",
                german=f"Das Ergebnis „{wording}“ braucht eine erfasste Abstimmung",
            )
        return
    passed = carried(vote.yes, vote.no, tie_rule, vote.casting_vote)
    counts = f"{vote.yes} Ja / {vote.no} Nein / {_plural(vote.abstain, 'Enthaltung', 'Enthaltungen')}"
    if outcome in FAILED_MOTION_OUTCOMES and passed:
        raise VoteInconsistent(
            f"Outcome '{outcome.value}' ({wording}) contradicts the vote {counts}: the motion was carried",
            german=f"„{wording}“ widerspricht der Abstimmung {counts}: die Mehrheit hat zugestimmt",
            rule="outcome_contradicts_votes",
        )
    if outcome not in FAILED_MOTION_OUTCOMES and not passed:
        tie = ""
        if vote.yes == vote.no:
            tie = (
                " (Stimmengleichheit ohne Stichentscheid des Vorsitzes)"
                if tie_rule is TieRule.chair_decides
                else " (Stimmengleichheit gilt als Ablehnung)"
            )
        raise VoteInconsistent(
            f"Outcome '{outcome.value}' ({wording}) contradicts the vote {counts}: the motion was not "
            f"carried{tie}",
            german=f"„{wording}“ widerspricht der Abstimmung {counts}: keine Mehrheit{tie}",
            rule="outcome_contradicts_votes",
        )


# --------------------------------------------------------------------------- qualified majorities


def meets_qualified_majority(
    majority: QualifiedMajority, *, yes: int, no: int, abstain: int, statutory_members: int
) -> bool:
    """Whether the counts carry a motion that needs this qualified majority (e.g. the Hauptsatzung: more
    than half of the statutory members vote yes). The simple majority of the votes cast must hold as well;
    abstentions count neither way except where the majority is counted against the votes cast."""
    if min(yes, no, abstain) < 0 or statutory_members <= 0:
        raise ValueError("counts must be non-negative and the statutory number of members positive")
    needed = majority.required_yes(statutory_members=statutory_members, votes_cast=yes + no)
    return yes > no and yes >= needed


def check_qualified_majority(
    majority: QualifiedMajority, *, yes: int, no: int, abstain: int, statutory_members: int
) -> None:
    """``meets_qualified_majority`` as a check: a VoteInconsistent naming the rule and its paragraph."""
    if meets_qualified_majority(
        majority, yes=yes, no=no, abstain=abstain, statutory_members=statutory_members
    ):
        return
    needed = majority.required_yes(statutory_members=statutory_members, votes_cast=yes + no)
    basis = majority.cite()
    counts = f"{yes} Ja / {no} Nein / {_plural(abstain, 'Enthaltung', 'Enthaltungen')}"
    raise VoteInconsistent(
        f"{majority.label} needs a qualified majority ({basis}): {majority.describe()}, at least {needed} "
        f"yes votes of {statutory_members} statutory members; the vote was {counts}",
        german=f"{majority.label}: nötig ist eine qualifizierte Mehrheit ({basis}), {majority.describe()}, "
        f"also mindestens {needed} Ja-Stimmen bei {statutory_members} gesetzlichen Mitgliedern; "
        f"abgestimmt wurde mit {counts}",
        rule="qualified_majority",
        legal_basis=majority.legal_basis,
        needed=needed,
        yes=yes,
        statutory_members=statutory_members,
    )


# --------------------------------------------------------------------------- notice periods


def _end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59, 999_999), tzinfo=BERLIN)


def latest_dispatch(meeting_start: dt.datetime, rule: NoticeRule, receipt_lag_days: int) -> dt.datetime:
    """The last moment (UTC) an invitation may be sent so that the notice period holds.

    Day-based rules count calendar days in Europe/Berlin (a day before a daylight-saving change is still a
    calendar day); hour-based rules count real hours. The channel's receipt lag is subtracted in calendar
    days on the wall clock.
    """
    if meeting_start.tzinfo is None:
        raise ValueError("meeting start must be timezone-aware")
    local_start = meeting_start.astimezone(BERLIN)
    match rule.counting:
        case NoticeCounting.full_days_between:
            reference = _end_of_day(local_start.date() - dt.timedelta(days=rule.amount + 1))
        case NoticeCounting.including_meeting_day:
            reference = _end_of_day(local_start.date() - dt.timedelta(days=rule.amount))
        case NoticeCounting.hours_before_start:
            reference = (meeting_start.astimezone(dt.UTC) - dt.timedelta(hours=rule.amount)).astimezone(
                BERLIN
            )
    # Calendar days on the wall clock; a wall time that does not exist (spring change) or exists twice
    # (autumn change) is resolved to the earlier instant, so the deadline never moves later.
    wall = (reference - dt.timedelta(days=receipt_lag_days)).replace(tzinfo=None)
    return min(wall.replace(tzinfo=BERLIN, fold=fold).astimezone(dt.UTC) for fold in (0, 1))


def format_berlin(moment: dt.datetime) -> str:
    return moment.astimezone(BERLIN).strftime("%d.%m.%Y, %H:%M Uhr")


def check_dispatch(now: dt.datetime, deadline: dt.datetime, *, what: str) -> None:
    if now > deadline:
        raise NoticePeriodViolation(
            f"Ladungsfrist: {what} had to be sent by {format_berlin(deadline)}; it is now {format_berlin(now)}",
            german=f"Ladungsfrist: auch eine dringliche Einladung musste bis {format_berlin(deadline)} "
            f"versandt werden; jetzt ist es {format_berlin(now)}",
            deadline=deadline.isoformat(),
            now=now.isoformat(),
        )
