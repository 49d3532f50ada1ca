"""A meeting on its day for the live page tests: the SJS meets in public with two public TOPs, a public
paper on a non-public TOP and a non-public paper (its own TOP is therefore not public either), each of the
two carrying ``MARKER`` in its title; invited and attended, no result recorded yet. A week before, the
non-public Magistrat (its meeting not published at all) recommended all four."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.scenario import Scenario, berlin
from workflow import meetings
from workflow.models import Faction, Membership
from workflow.rules import VoteInput
from workflow.vocabulary import Outcome

MARKER = "Zq9"
SECRETARY = "wetzlar-schrift-sjs"


@dataclass(frozen=True)
class LiveWorld:
    meeting_id: int
    public_items: tuple[int, int]
    private_item: int  # a public paper dealt with on a non-public TOP
    secret_item: int  # a non-public paper
    magistrat_meeting_id: int
    factions: dict[str, int]  # faction key → its voting members present in the SJS
    start: dt.datetime


def build_live_world(sessions: sessionmaker[Session], start: str) -> LiveWorld:
    sc = Scenario(sessions)
    when = (berlin(start) - dt.timedelta(days=40)).strftime("%Y-%m-%d %H:%M")
    first = sc.submitted_paper(committees=["sjs"], subject="Spielplatz am Lahnufer", when=when)
    second = sc.submitted_paper(committees=["sjs"], subject="Öffnungszeiten der Stadtbücherei", when=when)
    private = sc.submitted_paper(committees=["sjs"], subject=f"{MARKER} Vergabe Reinigung", when=when)
    secret = sc.submitted_paper(committees=["sjs"], public=False, subject=f"{MARKER} Ankauf", when=when)
    # In Hessen the Magistrat deliberates first, in private, a week before.
    magistrat = sc.new_meeting("magistrat", (berlin(start) - dt.timedelta(days=7)).strftime("%Y-%m-%d %H:%M"))
    first_steps = [sc.schedule(p.id, "magistrat", magistrat.id).id for p in (first, second, private, secret)]
    sc.invite(magistrat.id)
    sc.attend(magistrat.id)
    for item_id in first_steps:
        sc.record(item_id, Outcome.recommended, VoteInput(5, 0, 0))
    meeting = sc.new_meeting("sjs", start)
    items = (sc.schedule(first.id, "sjs", meeting.id).id, sc.schedule(second.id, "sjs", meeting.id).id)
    private_item = meetings.schedule_consultation(
        sessions,
        actor="test",
        consultation_id=sc.steps(private.id)["sjs"].id,
        meeting_id=meeting.id,
        public=False,
        now=meeting.start - dt.timedelta(days=20),
    ).agenda_item.id
    secret_item = sc.schedule(secret.id, "sjs", meeting.id).id
    sc.invite(meeting.id)
    present = sc.attend(meeting.id)
    with sessions() as s:
        rows = s.execute(
            select(Faction.key, Membership.person_id)
            .join(Faction, Faction.id == Membership.faction_id)
            .where(Membership.body_id == sc.body_id("sjs"), Membership.person_id.in_(present))
        ).all()
    factions: dict[str, int] = {}
    for key, _person in rows:
        factions[key] = factions.get(key, 0) + 1
    return LiveWorld(meeting.id, items, private_item, secret_item, magistrat.id, factions, berlin(start))


def result_with_factions(world: LiveWorld) -> dict[str, Any]:
    """A recommendation carried by a split vote: the largest faction for it but one member against, the
    smallest abstaining, the others for it."""
    order = sorted(world.factions, key=lambda k: (-world.factions[k], k))
    counts = []
    for i, key in enumerate(order):
        n = world.factions[key]
        if i == 0:
            counts.append({"faction": key, "yes": n - 1, "no": 1, "abstain": 0})
        elif i == len(order) - 1:
            counts.append({"faction": key, "yes": 0, "no": 0, "abstain": n})
        else:
            counts.append({"faction": key, "yes": n, "no": 0, "abstain": 0})
    vote = {k: sum(c[k] for c in counts) for k in ("yes", "no", "abstain")}  # type: ignore[misc]
    return {"outcome": "recommended", "votes": [{**vote, "factions": counts}]}
