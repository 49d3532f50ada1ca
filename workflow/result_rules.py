"""The rules a result must satisfy, checked on plain facts about the TOP, its step, body and meeting.

Pure: ``check`` touches no session. Recording and correcting (``workflow.results``) build the facts with
one loader and both check here, so a rule exists once.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workflow import validate
from workflow.beratungsfolge import Referral
from workflow.errors import QuorumNotMet, RuleViolation, VoteInconsistent
from workflow.models import full_name
from workflow.profile import Profile, QuorumRule, RecusalQuorum, UrgentDecision
from workflow.rules import (
    VOTE_WORDS,
    Seat,
    VoteInput,
    check_outcome_against_votes,
    check_qualified_majority,
    check_quorum,
    check_votes,
    decisive_vote,
    meets_qualified_majority,
    voters,
)
from workflow.store import body_settings, not_found
from workflow.vocabulary import (
    AGAIN_LATER_OUTCOMES,
    APPROVAL_OUTCOMES,
    DECIDING_OUTCOMES,
    FAILED_MOTION_OUTCOMES,
    OUTCOME_WORDING,
    QUORUM_OUTCOMES,
    RECOMMENDING_OUTCOMES,
    RECORDABLE_OUTCOMES,
    BodyKind,
    ConsultationRole,
    Matter,
    MembershipRole,
    Outcome,
    TieRule,
    VoteChoice,
)

#: Which roles may end with which outcomes (beyond the procedural ones every role may have).
PROCEDURAL = frozenset(
    {Outcome.postponed, Outcome.deferred, Outcome.removed, Outcome.referred, Outcome.withdrawn}
)
ROLE_OUTCOMES: dict[ConsultationRole, frozenset[Outcome]] = {
    ConsultationRole.decision: DECIDING_OUTCOMES | PROCEDURAL,
    ConsultationRole.preliminary: RECOMMENDING_OUTCOMES | PROCEDURAL | {Outcome.noted},
    ConsultationRole.hearing: PROCEDURAL | {Outcome.statement, Outcome.noted},
    ConsultationRole.notice: PROCEDURAL | {Outcome.noted},
    # The Rat approves an urgent decision or revokes it (§ 60 Abs. 1 Satz 3 und 4 GO NRW); it may put that off.
    ConsultationRole.approval: APPROVAL_OUTCOMES | AGAIN_LATER_OUTCOMES,
}
ADOPTING = DECIDING_OUTCOMES - FAILED_MOTION_OUTCOMES
NEEDS_TEXT = frozenset({Outcome.adopted_amended, Outcome.recommended_amended})


@dataclass(frozen=True)
class ResultInput:
    """A result as the secretary records it. Persons are given by id."""

    outcome: Outcome
    votes: Sequence[VoteInput] = ()
    present: Sequence[int] | None = None  # default: who the attendance lists as present
    recused: Mapping[int, str | None] = field(default_factory=dict)  # person id → reason
    wording: str | None = None  # printed wording; default from the outcome code
    resolution_text: str | None = None
    referred_to: str | None = None  # body key, for 'referred'
    quorum_failed: bool = False  # with 'deferred': the body was not quorate
    late_item_approval: int | None = None  # yes votes for taking up an item added after the invitation
    urgency_decided: bool = False  # the body decided the late item brooks no delay (NRW § 48 I 5 GO NRW)
    presided_by: int | None = None  # who presided for this item; default: the chair, else a deputy present


@dataclass(frozen=True)
class BodyFacts:
    """What the rules need of the deliberating body (duck-types ``Body`` for ``body_settings``)."""

    id: int
    name: str
    kind: str
    settings_override: dict[str, Any] | None
    statutory_members: int


@dataclass(frozen=True)
class Member:
    """A person as the checks see them: of which municipality, and their name for messages."""

    municipality_id: int
    name: str

    @classmethod
    def of(cls, row: Any) -> Member:
        """From a row with the person's ``municipality_id``, ``title``, ``given_name`` and ``family_name``."""
        return cls(row.municipality_id, full_name(row.title, row.given_name, row.family_name))


@dataclass(frozen=True)
class Facts:
    """Everything the rules of a result look at, read before the result is checked."""

    municipality_id: int
    profile: Profile
    role: str  # the step's role
    body: BodyFacts
    town: str  # the municipality's key, for the routes a message names
    meeting_id: int
    item_number: str
    late_addition: bool
    matter: Matter | None  # what the agenda item concerns (e.g. the Hauptsatzung), for a qualified majority
    # The item repeats one deferred for lack of quorum ("denselben Gegenstand"); a meeting called as a
    # second session exempts no other item.
    second_session: bool
    # The quorum as the chair established it for this item (§ 53 Abs. 1 HGO, § 49 Abs. 1 GO NRW, § 65 Abs. 1
    # NKomVG): True established at the opening and presumed; False its lack was established before or at
    # this item; None nothing established (a decision is refused; only deferring for lack of quorum is open).
    quorum_presumed: bool | None
    day: dt.date  # the meeting's day in Berlin
    attendance: Sequence[int]  # who the attendance of the meeting lists as present
    seats: Sequence[Seat]  # the body's seats on that day
    people: Mapping[int, Member]  # the members (seats) and every person the input names, by person id
    factions: Mapping[int, str] = field(default_factory=dict)  # the municipality's factions the input counts
    referral: Referral | None = None  # the body the input refers to, if it is one of the municipality's


@dataclass(frozen=True)
class Checked:
    outcome: Outcome
    wording: str
    present: list[int]
    referred_to: Referral | None
    presided_by: int | None = None
    pending_approval: str | None = None  # whose approval a decision needs, with the rule (§ 65 Abs. 3 NKomVG)


def named_persons(data: ResultInput) -> set[int]:
    """Every person the input names: present, recused, or in a named vote (the loader reads them)."""
    present = set(data.present) if data.present is not None else set()
    presiding = {data.presided_by} if data.presided_by is not None else set()
    return present | presiding | set(data.recused) | {p for vote in data.votes for p in vote.named}


def counted_factions(data: ResultInput) -> set[int]:
    """The factions the input counts votes for (the loader reads them)."""
    return {fc.faction_id for vote in data.votes for fc in vote.faction_counts}


def validated(data: ResultInput) -> ResultInput:
    """Types and ranges of everything a caller may pass; bad input is a RuleViolation, never a crash."""
    validate.choice(Outcome, data.outcome, "outcome")
    for vote in data.votes:
        for what, value in (("Ja", vote.yes), ("Nein", vote.no), ("Enthaltungen", vote.abstain)):
            validate.whole_number(value, f"The count '{what}'")
        validate.text(vote.subject, "The subject of a vote", max_length=2000)
        if vote.casting_vote is not None:
            cast = validate.choice(VoteChoice, vote.casting_vote, "casting vote")
            if cast is VoteChoice.abstain:
                raise VoteInconsistent(
                    "A casting vote is yes or no", german="Ein Stichentscheid lautet Ja oder Nein"
                )
        for person, named_choice in vote.named.items():
            validate.ident(person, "person")
            validate.choice(VoteChoice, named_choice, "named vote")
        for fc in vote.faction_counts:
            validate.ident(fc.faction_id, "faction")
            for value in (fc.yes, fc.no, fc.abstain):
                validate.whole_number(value, "A faction's count")
    if data.present is not None:
        validate.idents(data.present, "person")
    validate.idents(data.recused, "person")
    for recusal_reason in data.recused.values():
        if recusal_reason is not None:
            validate.text(recusal_reason, "The reason of a recusal", required=False, max_length=2000)
    for label, given in (
        ("The wording", data.wording),
        ("The resolution text", data.resolution_text),
        ("The body referred to", data.referred_to),
    ):
        if given is not None:
            validate.text(given, label, required=False)
    if data.late_item_approval is not None:
        validate.whole_number(data.late_item_approval, "The approval of a late item")
    if data.presided_by is not None:
        validate.ident(data.presided_by, "person")
    if not isinstance(data.urgency_decided, bool):
        raise RuleViolation(
            "The decision on the urgency of a late item is true or false",
            german="Der Beschluss über die Dringlichkeit ist entweder gefasst oder nicht",
        )
    return data


def check(facts: Facts, data: ResultInput) -> Checked:
    """Every rule a result must satisfy; raises a domain error naming the broken rule."""
    outcome = Outcome(validated(data).outcome)
    if outcome not in RECORDABLE_OUTCOMES:
        raise RuleViolation(
            f"The outcome '{outcome.value}' cannot be recorded at a meeting",
            german=f"Das Ergebnis „{OUTCOME_WORDING[outcome]}“ kann nicht in einer Sitzung erfasst werden",
        )
    role = ConsultationRole(facts.role)
    allowed = ROLE_OUTCOMES[role]
    if outcome not in allowed:
        raise RuleViolation(
            f"A step with the role '{role.value}' ({facts.body.name}) cannot end with '{outcome.value}' "
            f"({OUTCOME_WORDING[outcome]}); allowed: {', '.join(sorted(o.value for o in allowed))}",
            german=f"„{OUTCOME_WORDING[outcome]}“ passt nicht zur Rolle von {facts.body.name} bei dieser Vorlage "
            f"(erlaubt: {', '.join(OUTCOME_WORDING[o] for o in Outcome if o in allowed)})",
            rule="outcome_not_allowed_for_role",
        )
    if outcome in NEEDS_TEXT and not (data.resolution_text or "").strip():
        raise RuleViolation(
            f"'{OUTCOME_WORDING[outcome]}' needs the amended resolution text",
            german=f"„{OUTCOME_WORDING[outcome]}“ braucht den geänderten Beschlusstext",
        )
    if data.quorum_failed and outcome is not Outcome.deferred:
        raise RuleViolation(
            "Lack of quorum is recorded with the outcome 'deferred' (zurückgestellt)",
            german="Fehlende Beschlussfähigkeit wird mit dem Ergebnis „zurückgestellt“ erfasst",
        )
    if data.quorum_failed and data.votes:
        raise VoteInconsistent(
            "A body that is not quorate cannot vote",
            german="Ein Gremium, das nicht beschlussfähig ist, kann nicht abstimmen",
        )
    referred_to = None
    if outcome is Outcome.referred:
        if not data.referred_to:
            raise RuleViolation(
                "'verwiesen an …' needs the body (Gremium) the paper is referred to",
                german="„verwiesen an …“ braucht das Gremium, an das die Vorlage verwiesen wird",
            )
        referred_to = facts.referral
        if referred_to is None:
            raise not_found("body", f"'{data.referred_to}'", entity="body", key=data.referred_to)
        if referred_to.body_id == facts.body.id:
            raise RuleViolation(
                "A body cannot refer a paper to itself",
                german="Ein Gremium kann eine Vorlage nicht an sich selbst verweisen",
            )
    elif data.referred_to:
        raise RuleViolation(
            "A body to refer to is only given with the outcome 'referred'",
            german="Ein Gremium, an das verwiesen wird, gibt es nur beim Ergebnis „verwiesen an“",
        )

    present = list(data.present) if data.present is not None else list(facts.attendance)
    if not present:
        raise RuleViolation(
            "Record the attendance of the meeting (or who was present for this item) first",
            german="Bitte zuerst die Anwesenheit der Sitzung erfassen",
        )
    body_seats = facts.seats
    member_ids = {s.person_id for s in body_seats}
    given = set(present) | named_persons(data)
    people = facts.people
    unknown = {i for i in given if i not in people or people[i].municipality_id != facts.municipality_id}
    if unknown:
        raise RuleViolation(
            f"Persons not of this municipality: {sorted(unknown)}",
            german=f"Personen, die nicht zu dieser Kommune gehören: {sorted(unknown)}",
            persons=sorted(unknown),
        )
    counted = counted_factions(data)
    factions = {i: name for i, name in facts.factions.items() if i in counted}
    if counted:
        unknown = counted - factions.keys()
        if unknown:
            raise RuleViolation(
                f"Factions not of this municipality: {sorted(unknown)}",
                german=f"Fraktionen, die nicht zu dieser Kommune gehören: {sorted(unknown)}",
                factions=sorted(unknown),
            )
    if outcome is Outcome.withdrawn:
        if data.votes:
            raise VoteInconsistent(
                "A withdrawal (Zurückziehung) is declared, not voted on",
                german="Über eine Zurückziehung wird nicht abgestimmt; sie wird erklärt",
            )
        return Checked(outcome, (data.wording or "").strip() or OUTCOME_WORDING[outcome], present, None)
    recused = set(data.recused)
    strangers = recused - member_ids
    if strangers:
        raise VoteInconsistent(
            f"Recused persons must be members of {facts.body.name}: {sorted(strangers)}",
            german=f"Befangen kann nur ein Mitglied von {facts.body.name} sein: {sorted(strangers)}",
        )
    eligible = voters(body_seats, set(present), recused)
    profile = facts.profile
    settings = body_settings(profile, facts.body)
    quorum = profile.quorum_for(settings)
    statutory = facts.body.statutory_members
    excluded_by_recusal = _more_than_half_recused(facts, recused)
    recusals_cost_quorum = excluded_by_recusal is None and _recusals_leave_too_few(facts, recused, quorum)
    if data.quorum_failed:
        needed = quorum.minimum_present(statutory)
        if excluded_by_recusal is not None:
            raise RuleViolation(
                "More than half of the members are recused: the body is quorate regardless "
                f"({excluded_by_recusal.cite()})",
                german="Mehr als die Hälfte der Mitglieder ist befangen: Das Gremium ist dennoch "
                f"beschlussfähig ({excluded_by_recusal.cite()})",
                rule="quorate_despite_recusals",
            )
        if facts.quorum_presumed and not recusals_cost_quorum:
            raise RuleViolation(
                f"The quorum was established at the opening and is presumed until its lack is formally "
                f"established ({quorum.cite()}); establish the lack of quorum first",
                german="Die Beschlussfähigkeit wurde zu Beginn festgestellt und gilt, bis ihr Fehlen förmlich "
                f"festgestellt ist ({quorum.cite()}); zuerst die Beschlussunfähigkeit feststellen",
                rule="quorum_presumed",
            )
        if facts.quorum_presumed is None and len(eligible) >= needed:
            raise RuleViolation(
                f"The body was quorate ({len(eligible)} voting members present, {needed} needed)",
                german=f"Das Gremium war beschlussfähig ({len(eligible)} stimmberechtigte Mitglieder anwesend, "
                f"nötig sind {needed})",
            )
    elif outcome in QUORUM_OUTCOMES and excluded_by_recusal is None:
        if recusals_cost_quorum:
            check_quorum(quorum, statutory, len(eligible), second_session=facts.second_session)
        _check_quorum_established(facts, quorum, len(eligible))
    _check_late_item(facts, data, len(eligible))
    names = {i: people[i].name for i in member_ids if i in people}
    tie_rule = TieRule(settings.tie_rule)
    presiding = _presiding(facts, data, set(present), eligible)
    check_votes(data.votes, eligible, recused, tie_rule, factions, names, chair_votes=presiding in eligible)
    _check_casting_vote_is_the_presiding_members(facts, data, presiding)
    if not _fails_only_the_qualified_majority(facts, role, outcome, data):
        check_outcome_against_votes(outcome, data.votes, tie_rule)
    wording = (data.wording or "").strip() or (
        f"{OUTCOME_WORDING[outcome]} {referred_to.name}" if referred_to else OUTCOME_WORDING[outcome]
    )
    approval = None
    if excluded_by_recusal and excluded_by_recusal.needs_approval_of and outcome in ADOPTING:
        approval = (
            f"Genehmigung der {excluded_by_recusal.needs_approval_of} nach {excluded_by_recusal.cite()}"
        )
    return Checked(outcome, wording, present, referred_to, presiding, approval)


def _recusals_leave_too_few(facts: Facts, recused: set[int], quorum: QuorumRule) -> bool:
    """Where recusals can cost the quorum (no ``recusal_quorum`` in the profile, NRW): the recused members alone
    leave fewer than the quorum needs. No presumption covers a lack the item's own record shows."""
    statutory = facts.body.statutory_members
    members = {s.person_id for s in facts.seats if s.voting_right and s.role is not MembershipRole.substitute}
    return statutory - len(recused & members) < quorum.minimum_present(statutory)


def _check_quorum_established(facts: Facts, quorum: QuorumRule, n_voters: int) -> None:
    """A decision needs the quorum the chair established when the meeting opened, presumed from then on even as
    members leave, until its lack is formally established (§ 53 Abs. 1 HGO, § 49 Abs. 1 GO NRW, § 65 Abs. 1
    NKomVG): refused without the first, and from the item the second names on. Exempt: the item a second
    session deals with again, quorate regardless (§ 53 Abs. 2 HGO, § 49 Abs. 2 GO NRW, § 65 Abs. 2 NKomVG)."""
    if facts.second_session and quorum.second_session_always_quorate:
        return
    number, body = facts.item_number, facts.body.name
    opening = facts.profile.quorum_at_opening
    basis = opening.cite() if opening is not None and opening.legal_basis else quorum.cite()
    route = f"POST /api/v1/{facts.town}/meetings/{facts.meeting_id}/quorum"
    if facts.quorum_presumed is None:
        needed = quorum.minimum_present(facts.body.statutory_members)
        raise QuorumNotMet(
            f"TOP {number}: the quorum of {body} was not established at the opening of the meeting ({basis}); "
            f"a decision needs it ({n_voters} voting members present, at least {needed} needed). The chair "
            f"establishes it when the meeting opens ({route}, use case workflow.quorum.establish_quorum); if "
            "the body was not quorate, record the item as 'deferred' for lack of quorum",
            german=f"TOP {number}: Die Beschlussfähigkeit von {body} wurde zu Beginn der Sitzung nicht "
            f"festgestellt ({basis}); ohne diese Feststellung kann kein Beschluss erfasst werden ({n_voters} "
            f"stimmberechtigte Mitglieder anwesend, nötig sind mindestens {needed}). Die oder der Vorsitzende "
            f"stellt sie bei der Eröffnung der Sitzung fest ({route}); war das Gremium nicht beschlussfähig, den "
            "TOP mangels Beschlussfähigkeit zurückstellen.",
            rule="quorum_not_established",
            legal_basis=basis,
            present=n_voters,
            needed=needed,
        )
    if facts.quorum_presumed is False:
        raise QuorumNotMet(
            f"The lack of quorum was established before TOP {number} ({quorum.cite()}); record it as 'deferred' "
            "for lack of quorum",
            german=f"Die Beschlussunfähigkeit wurde vor TOP {number} festgestellt ({quorum.cite()}); den TOP "
            "mangels Beschlussfähigkeit zurückstellen",
            rule="lack_of_quorum_established",
        )


def _check_late_item(facts: Facts, data: ResultInput, n_voters: int) -> None:
    """An item added after the invitation may only be dealt with if the body agrees by the profile's majority
    of the statutory members (Hessen § 58 Abs. 2 HGO, Niedersachsen § 59 Abs. 3 NKomVG: two thirds), and,
    where the profile says so, decided at the meeting that it brooks no delay (NRW § 48 Abs. 1 Satz 5 GO NRW)."""
    fraction = facts.profile.late_item_fraction_of_statutory
    if data.late_item_approval is not None and data.late_item_approval > n_voters:
        raise VoteInconsistent(
            f"{data.late_item_approval} votes for taking up the item > {n_voters} anwesende Stimmberechtigte",
            german=f"{data.late_item_approval} Zustimmungen zur Behandlung > {n_voters} anwesende "
            "Stimmberechtigte",
            rule="late_item_approval_exceeds_present",
        )
    if not facts.late_addition or data.outcome in (Outcome.removed, Outcome.postponed):
        return
    urgency = facts.profile.late_item_urgency
    if urgency is not None and not data.urgency_decided:
        number, basis = facts.item_number, urgency.cite()
        raise RuleViolation(
            f"TOP {number} was added after the invitation: the body must first decide at the meeting that it "
            f"brooks no delay or is of utmost urgency ({basis}); no such decision recorded",
            german=f"TOP {number} wurde nach der Einladung aufgenommen: Er darf nur behandelt werden, wenn "
            f"{facts.body.name} in der Sitzung beschließt, dass die Angelegenheit keinen Aufschub duldet oder "
            f"von äußerster Dringlichkeit ist ({basis}); dieser Beschluss ist nicht erfasst",
            rule="late_item_needs_urgency_decision",
            legal_basis=urgency.legal_basis,
        )
    if fraction is None:
        return
    statutory = facts.body.statutory_members
    needed = math.ceil(fraction * statutory)
    number = facts.item_number
    if data.late_item_approval is None or data.late_item_approval < needed:
        got = "no vote recorded" if data.late_item_approval is None else f"{data.late_item_approval} votes"
        raise RuleViolation(
            f"TOP {number} was added after the invitation: taking it up needs {needed} votes ({fraction} of "
            f"{statutory} statutory members); {got}",
            german=f"TOP {number} wurde nach der Einladung aufgenommen: Die Behandlung braucht die Zustimmung "
            f"von {needed} Mitgliedern ({fraction} von {statutory}); "
            + (
                "keine Abstimmung erfasst"
                if data.late_item_approval is None
                else f"erfasst: {data.late_item_approval}"
            ),
            rule="late_item_needs_approval",
        )


def _fails_only_the_qualified_majority(
    facts: Facts, role: ConsultationRole, outcome: Outcome, data: ResultInput
) -> bool:
    """The qualified majority the profile sets for the item's matter (e.g. the Hauptsatzung: more than half of
    the statutory members, § 6 Abs. 2 HGO, § 7 Abs. 3 GO NRW, § 12 Abs. 2 NKomVG), on the decisive vote of the
    deciding step: adopting without it is refused naming the rule; True when the motion carried the simple
    majority but not the qualified one, so that a rejection is the right outcome."""
    majority = facts.profile.qualified_majorities.get(facts.matter) if facts.matter else None
    vote = decisive_vote(data.votes)
    if majority is None or vote is None or role is not ConsultationRole.decision:
        return False
    counts = {"yes": vote.yes, "no": vote.no, "abstain": vote.abstain}
    statutory = facts.body.statutory_members
    if meets_qualified_majority(majority, **counts, statutory_members=statutory):
        return False
    if outcome not in FAILED_MOTION_OUTCOMES:
        check_qualified_majority(majority, **counts, statutory_members=statutory)
    return True


def _presiding(
    facts: Facts, data: ResultInput, present: set[int], eligible: Mapping[int, int | None]
) -> int | None:
    """Who presided for this item: as given (a member of the body present for it), else the chair if entitled
    to vote on it, else the first deputy chair who is (the deputy presides when the chair is absent or
    recused)."""
    if data.presided_by is not None:
        if data.presided_by not in present or all(s.person_id != data.presided_by for s in facts.seats):
            name = facts.people[data.presided_by].name
            raise RuleViolation(
                f"{name} cannot have presided over TOP {facts.item_number}: not a member of "
                f"{facts.body.name} present for it",
                german=f"{name} kann TOP {facts.item_number} nicht geleitet haben: kein anwesendes Mitglied "
                f"von {facts.body.name}",
                rule="presiding_not_present",
            )
        return data.presided_by
    for role in (MembershipRole.chair, MembershipRole.deputy_chair):
        for seat in facts.seats:
            if seat.role is role and seat.person_id in eligible:
                return seat.person_id
    return None


def _check_casting_vote_is_the_presiding_members(
    facts: Facts, data: ResultInput, presiding: int | None
) -> None:
    """The casting vote is the presiding member's own vote (Hessen Magistrat, § 68 Abs. 2 HGO): where a named
    vote lists how that person voted, the casting vote must be that choice."""
    for number, vote in enumerate(data.votes, start=1):
        if vote.casting_vote is None or presiding is None or presiding not in vote.named:
            continue
        own = VoteChoice(vote.named[presiding])
        if own is VoteChoice(vote.casting_vote):
            continue
        kind_spec = facts.profile.body_kinds.get(BodyKind(facts.body.kind))
        cited = kind_spec.legal_basis.get("tie_rule") if kind_spec else None
        basis = f" ({cited.cite()})" if cited else ""
        name = facts.people[presiding].name
        raise VoteInconsistent(
            f"Vote {number} ({vote.subject}): the casting vote is the presiding member's own vote{basis}; "
            f"{name} presided and voted '{own.value}', not '{VoteChoice(vote.casting_vote).value}'",
            german=f"Abstimmung {number} ({vote.subject}): Bei Stimmengleichheit entscheidet die Stimme der "
            f"oder des Vorsitzenden{basis}; {name} leitete die Sitzung und stimmte mit "
            f"„{VOTE_WORDS[own]}“, nicht mit „{VOTE_WORDS[VoteChoice(vote.casting_vote)]}“",
            rule="casting_vote_not_the_presiding_members",
        )


def _more_than_half_recused(facts: Facts, recused: set[int]) -> RecusalQuorum | None:
    """The profile's rule when more than half of the statutory members are excluded by recusal: the body is
    quorate regardless (§ 53 Abs. 3 HGO, § 65 Abs. 3 NKomVG); None where recusals can cost the quorum."""
    rule = facts.profile.recusal_quorum
    members = {s.person_id for s in facts.seats if s.voting_right and s.role is not MembershipRole.substitute}
    if rule is None or 2 * len(recused & members) <= facts.body.statutory_members:
        return None
    return rule


@dataclass(frozen=True)
class MayorDecisionFacts:
    """An urgent decision the mayor took without a meeting, as the rule sees it."""

    procedure: UrgentDecision
    outcome: Outcome
    resolution_text: str | None
    reason: str
    mayor: int
    member: int | None
    member_name: str | None  # the member's name, for messages
    member_seated: bool  # the member holds a seat in a body of ``procedure.mayor.with_member_of`` that day


def check_mayor_decision(facts: MayorDecisionFacts) -> None:
    """The mayor's urgent decision (§ 60 Abs. 1 Satz 2 GO NRW: with one Ratsmitglied; § 89 Satz 2 NKomVG: with
    a deputy; § 70 Abs. 3 HGO: alone): it adopts a measure, says why even the deciding body could not be
    convened in time, and names the member it was taken with exactly where the profile requires one."""
    rule = facts.procedure.mayor
    basis = rule.cite()
    if facts.outcome not in ADOPTING:
        raise RuleViolation(
            f"An urgent decision of the mayor adopts a measure ({basis}); '{facts.outcome.value}' is not one",
            german=f"Eine {rule.label} ordnet eine Maßnahme an ({basis}): nur „beschlossen“ oder „geändert "
            "beschlossen“",
            rule="mayor_decision_adopts",
        )
    if facts.outcome in NEEDS_TEXT and not (facts.resolution_text or "").strip():
        raise RuleViolation(
            f"'{OUTCOME_WORDING[facts.outcome]}' needs the amended resolution text",
            german=f"„{OUTCOME_WORDING[facts.outcome]}“ braucht den geänderten Beschlusstext",
        )
    if not facts.reason.strip():
        raise RuleViolation(
            f"An urgent decision of the mayor needs the reason why the deciding body could not be convened in "
            f"time and why it could not wait ({basis})",
            german=f"Für eine {rule.label} ist zu begründen, warum kein Gremium rechtzeitig entscheiden konnte "
            f"und die Entscheidung nicht warten konnte ({basis})",
            rule="mayor_decision_needs_reason",
        )
    if rule.with_member_of is None:
        if facts.member is not None:
            raise RuleViolation(
                f"The mayor takes this urgent decision alone ({basis}); no member is named with it",
                german=f"Die {rule.label} trifft der Bürgermeister allein ({basis}); kein Mitglied angeben",
                rule="mayor_decides_alone",
            )
        return
    if facts.member is None or facts.member == facts.mayor:
        raise RuleViolation(
            f"The mayor takes this urgent decision together with one council member ({basis}); name them",
            german=f"Die {rule.label} wird gemeinsam mit {rule.member_label} getroffen ({basis}); bitte angeben",
            rule="mayor_decision_needs_member",
        )
    if not facts.member_seated:
        raise RuleViolation(
            f"{facts.member_name} is not a council member on the day of the decision ({basis})",
            german=f"{facts.member_name} ist am Tag der Entscheidung kein Ratsmitglied ({basis}); die {rule.label} "
            f"wird mit {rule.member_label} getroffen",
            rule="mayor_decision_member_not_seated",
        )
