"""The result form of one TOP on the secretary's meeting day: what it offers (outcomes, voters, factions, who
may preside, the late item's approval, the casting vote where the body's tie rule gives one), its values for a
new result or a correction, and reading it back into the JSON API's ``ResultIn`` payload with a German error per
field. No rule is decided here: the use case checks the result; this only translates the form.

A TOP has one main vote (the motion the outcome rests on, by default the Beschlussvorschlag) and any number of
earlier votes on other subjects (amendments, a motion to refer), which are recorded before it. A plain form adds
a row for one more earlier vote by sending the form with ``aktion=weitere``: nothing is recorded then.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from workflow.errors import DomainError, QuorumNotMet, VoteInconsistent
from workflow.models import AgendaItem, Body, Faction, ItemResult, Municipality, Person
from workflow.result_rules import ROLE_OUTCOMES
from workflow.rules import Seat, voters
from workflow.store import body_settings, profile_of, seats
from workflow.vocabulary import OUTCOME_WORDING, ConsultationRole, Outcome, TieRule, VoteChoice

COUNTS = (("ja", "Ja"), ("nein", "Nein"), ("enthaltung", "Enthaltung"))
CHOICES = {"ja": VoteChoice.yes, "nein": VoteChoice.no, "enthaltung": VoteChoice.abstain}
CHOICE_FIELD = {choice.value: name for name, choice in CHOICES.items()}
MAIN_SUBJECT = "Beschlussvorschlag"
#: Earlier votes a form may carry (the API takes 50 votes per result, the main vote included).
MAX_EARLIER = 20
ADD_EARLIER = "weitere"


@dataclass(frozen=True)
class Top:
    """What the form of one TOP shows and reads: its outcomes, who may vote, be recused or preside."""

    item: AgendaItem
    body: Body
    role: ConsultationRole
    seats: list[Seat]
    present: set[int]
    outcomes: list[tuple[str, str]]
    members: list[dict[str, Any]]  # present members of the body: who may be recused or preside
    voters: list[dict[str, Any]]  # entitled to vote on the attendance: for named votes
    factions: list[dict[str, str]]  # the voters' factions: for the counts per faction
    referral_bodies: list[tuple[str, str]]
    casting_vote: bool  # the body's tie rule gives the presiding member the casting vote
    late_needed: int | None  # a late item: the votes needed to take it up, where the profile counts them
    late_urgency: str | None  # a late item: the rule asking the body to decide it brooks no delay

    @property
    def presiders(self) -> list[tuple[str, str]]:
        """Who may have presided over the TOP: the members of the body present for it."""
        return [(str(m["id"]), m["name"]) for m in self.members]

    def eligible(self, recused: set[int]) -> int:
        return len(voters(self.seats, self.present, recused))


def build_top(session: Session, town: Municipality, item: AgendaItem, present: set[int], day: Any) -> Top:
    assert item.consultation is not None
    step = item.consultation
    body_seats = seats(session, step.body_id, day)
    entitled = voters(body_seats, present, set())
    in_body = [s.person_id for s in body_seats if s.person_id in present]
    people = {p.id: p.name for p in session.scalars(select(Person).where(Person.id.in_(sorted(in_body))))}
    faction_rows = session.scalars(
        select(Faction)
        .where(Faction.id.in_(sorted({f for f in entitled.values() if f is not None})))
        .order_by(Faction.id)
    ).all()
    role = ConsultationRole(step.role)
    allowed = ROLE_OUTCOMES[role]
    profile = profile_of(session, town.id)
    fraction = profile.late_item_fraction_of_statutory
    late = item.late_addition
    return Top(
        item=item,
        body=step.body,
        role=role,
        seats=body_seats,
        present=present,
        outcomes=[(o.value, OUTCOME_WORDING[o]) for o in Outcome if o in allowed],
        members=[{"id": pid, "name": people[pid], "voter": pid in entitled} for pid in in_body],
        voters=[{"id": pid, "name": people[pid]} for pid in in_body if pid in entitled],
        factions=[{"key": f.key, "name": f.short_name} for f in faction_rows],
        referral_bodies=[
            (b.key, b.name)
            for b in session.scalars(
                select(Body).where(Body.municipality_id == town.id, Body.id != step.body_id).order_by(Body.id)
            )
        ],
        casting_vote=TieRule(body_settings(profile, step.body).tie_rule) is TieRule.chair_decides,
        late_needed=math.ceil(fraction * step.body.statutory_members) if late and fraction else None,
        late_urgency=profile.late_item_urgency.cite() if late and profile.late_item_urgency else None,
    )


def _blank_earlier() -> dict[str, str]:
    return {"gegenstand": "", "ja": "", "nein": "", "enthaltung": ""}


def values_of(result: ItemResult | None, factions: dict[int, str]) -> dict[str, Any]:
    """The form's values: empty for a new result, the recorded one for a correction."""
    values: dict[str, Any] = {
        "schluessel": secrets.token_urlsafe(16),
        "gegenstand": MAIN_SUBJECT,
        "fraktionen": {},
        "namentlich": {},
        "befangen": set(),
        "befangen_grund": {},
        "weitere": [],
        "stichentscheid": "",
        "leitung": "",
        "zustimmung": "",
        "dringlich": False,
    }
    if result is None:
        return values
    ordered = sorted(result.votes, key=lambda v: v.position)
    vote = next((v for v in ordered if v.decisive), ordered[-1] if ordered else None)
    values.update(
        ergebnis=result.outcome,
        revision=str(result.revision),
        beschlusstext=result.resolution_text or "",
        mangels=result.quorum_failed,
        befangen={r.person_id for r in result.recusals},
        befangen_grund={r.person_id: r.reason or "" for r in result.recusals},
        leitung=str(result.presided_by_id) if result.presided_by_id else "",
        zustimmung="" if result.late_item_approval is None else str(result.late_item_approval),
        dringlich=result.urgency_decided,
        weitere=[
            {"gegenstand": v.subject, "ja": str(v.yes), "nein": str(v.no), "enthaltung": str(v.abstain)}
            for v in ordered
            if v is not vote
        ],
    )
    if vote is not None:
        values.update(
            gegenstand=vote.subject,
            ja=str(vote.yes),
            nein=str(vote.no),
            enthaltung=str(vote.abstain),
            stichentscheid=CHOICE_FIELD.get(vote.casting_vote or "", ""),
        )
        values["fraktionen"] = {
            factions[fc.faction_id]: {"ja": str(fc.yes), "nein": str(fc.no), "enthaltung": str(fc.abstain)}
            for fc in vote.faction_counts
            if fc.faction_id in factions
        }
        values["namentlich"] = {n.person_id: CHOICE_FIELD[n.choice] for n in vote.named}
    return values


def text_of(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _count(raw: str) -> int | None:
    """A count as typed: None when empty; raises ValueError for anything but a whole number from 0."""
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 5:
        raise ValueError(raw)
    return int(raw)


def wants_another_vote(form: FormData) -> bool:
    """The form asked for a row for one more earlier vote (nothing is recorded then)."""
    return text_of(form, "aktion") == ADD_EARLIER


def _earlier(form: FormData) -> list[dict[str, str]]:
    raw = text_of(form, "weitere_anzahl")
    rows = min(int(raw), MAX_EARLIER) if raw.isdigit() and len(raw) < 4 else 0
    return [
        {name: text_of(form, f"weitere-{n}-{name}") for name in ("gegenstand", "ja", "nein", "enthaltung")}
        for n in range(1, rows + 1)
    ]


def _earlier_votes(rows: list[dict[str, str]], errors: dict[str, str]) -> list[dict[str, Any]]:
    """The earlier votes that were filled in, as the API's votes; a row with counts needs its subject."""
    votes = []
    for row in rows:
        try:
            counts = {name: _count(row[name]) for name, _ in COUNTS}
        except ValueError:
            errors.setdefault("weitere", "Weitere Abstimmungen: Bitte ganze Zahlen ab 0 eingeben.")
            continue
        if all(c is None for c in counts.values()):
            if row["gegenstand"]:
                errors.setdefault(
                    "weitere", f"„{row['gegenstand']}“: Bitte die Stimmen dieser Abstimmung eintragen."
                )
            continue
        if not row["gegenstand"]:
            errors.setdefault("weitere", "Weitere Abstimmungen: Bitte angeben, worüber abgestimmt wurde.")
            continue
        votes.append(
            {
                "subject": row["gegenstand"],
                "yes": counts["ja"] or 0,
                "no": counts["nein"] or 0,
                "abstain": counts["enthaltung"] or 0,
            }
        )
    return votes


def read_form(
    form: FormData, top: Top, *, correcting: bool
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any] | None]:
    """The form's values (as typed, for showing again), a German error per field, and the API's result
    payload when the form is complete."""
    members = {m["id"] for m in top.members}
    values: dict[str, Any] = {
        name: text_of(form, name)
        for name in (
            "ergebnis",
            "ja",
            "nein",
            "enthaltung",
            "beschlusstext",
            "verwiesen_an",
            "grund",
            "gegenstand",
            "stichentscheid",
            "leitung",
            "zustimmung",
        )
    }
    values.update(
        schluessel=text_of(form, "schluessel") or secrets.token_urlsafe(16),
        revision=text_of(form, "revision"),
        einstimmig=form.get("einstimmig") == "ja",
        mangels=form.get("mangels") == "ja",
        dringlich=form.get("dringlich") == "ja",
        fraktionen={
            f["key"]: {c: text_of(form, f"fraktion-{f['key']}-{c}") for c, _ in COUNTS} for f in top.factions
        },
        namentlich={v["id"]: text_of(form, f"namentlich-{v['id']}") for v in top.voters},
        befangen={int(v) for v in form.getlist("befangen") if isinstance(v, str) and v.isdigit()} & members,
        befangen_grund={m["id"]: text_of(form, f"befangen-grund-{m['id']}") for m in top.members},
        weitere=_earlier(form),
    )
    errors: dict[str, str] = {}
    if values["ergebnis"] not in {code for code, _ in top.outcomes}:
        errors["ergebnis"] = "Bitte wählen Sie das Ergebnis des TOP."
    if values["einstimmig"]:
        values.update(ja=str(top.eligible(values["befangen"])), nein="0", enthaltung="0")
    counts: dict[str, int | None] = {}
    for name, label in COUNTS:
        try:
            counts[name] = _count(values[name])
        except ValueError:
            errors.setdefault("stimmen", f"„{label}“: Bitte eine ganze Zahl ab 0 eingeben.")
    per_faction = []
    for key, typed in values["fraktionen"].items():
        try:
            parsed = {c: _count(typed[c]) for c, _ in COUNTS}
        except ValueError:
            errors.setdefault("fraktionen", "Stimmen der Fraktionen: Bitte ganze Zahlen ab 0 eingeben.")
            continue
        if any(v is not None for v in parsed.values()):
            per_faction.append(
                {
                    "faction": key,
                    "yes": parsed["ja"] or 0,
                    "no": parsed["nein"] or 0,
                    "abstain": parsed["enthaltung"] or 0,
                }
            )
    named = {str(pid): CHOICES[c].value for pid, c in values["namentlich"].items() if c in CHOICES}
    voted = any(v is not None for v in counts.values())
    if not voted and (per_faction or named) and "stimmen" not in errors:
        errors["stimmen"] = (
            "Bitte tragen Sie auch die Gesamtzahl der Ja- und Nein-Stimmen und Enthaltungen ein."
        )
    casting = CHOICES.get(values["stichentscheid"]) if top.casting_vote else None
    if casting is not None and not voted:
        errors.setdefault("stimmen", "Ein Stichentscheid braucht die Stimmen der Abstimmung.")
    earlier = _earlier_votes(values["weitere"], errors)
    if earlier and not voted:
        errors.setdefault(
            "stimmen",
            "Bitte tragen Sie auch die Stimmen der Hauptabstimmung ein (sie wird zuletzt abgestimmt).",
        )
    presiding = values["leitung"]
    if presiding and (not presiding.isdigit() or int(presiding) not in members):
        errors["leitung"] = "Bitte wählen Sie ein anwesendes Mitglied des Gremiums."
    approval: int | None = None
    try:
        approval = _count(values["zustimmung"])
    except ValueError:
        errors["zustimmung"] = "Bitte die Zahl der Zustimmungen als ganze Zahl ab 0 eingeben."
    if correcting and not values["grund"]:
        errors["grund"] = "Bitte geben Sie den Grund der Berichtigung an; er wird im Verlauf festgehalten."
    if errors:
        return values, errors, None
    main: dict[str, Any] = {
        "subject": values["gegenstand"] or MAIN_SUBJECT,
        "yes": counts["ja"] or 0,
        "no": counts["nein"] or 0,
        "abstain": counts["enthaltung"] or 0,
        "decisive": bool(earlier),
        "factions": per_faction,
        "named": named,
    }
    if casting is not None:
        main["casting_vote"] = casting.value
    payload: dict[str, Any] = {
        "outcome": values["ergebnis"],
        "votes": [*earlier, main] if voted else [],
        "recused": [
            {"person_id": pid, "reason": values["befangen_grund"].get(pid) or None}
            for pid in sorted(values["befangen"])
        ],
        "resolution_text": values["beschlusstext"] or None,
        "referred_to": values["verwiesen_an"] or None,
        "quorum_failed": values["mangels"],
        "presided_by": int(presiding) if presiding else None,
        "late_item_approval": approval if top.late_needed is not None else None,
        "urgency_decided": values["dringlich"] if top.late_urgency else False,
    }
    if correcting:
        payload["reason"] = values["grund"]
        if values["revision"].isdigit():
            payload["expected_revision"] = int(values["revision"])
    return values, errors, payload


def field_of(exc: DomainError) -> str:
    """Which part of the form a refusal of the use case concerns."""
    rule = exc.details.get("rule")
    if rule in (
        "late_item_needs_approval",
        "late_item_needs_urgency_decision",
        "late_item_approval_exceeds_present",
    ):
        return "zustimmung"
    if rule == "presiding_not_present":
        return "leitung"
    if isinstance(exc, VoteInconsistent):
        return "stimmen"
    if isinstance(exc, QuorumNotMet):
        return "ergebnis"
    return "_form"
