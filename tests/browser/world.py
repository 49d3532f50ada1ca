"""The world the browser tests look at: the Wetzlar Vorlage 1562/13 through all five bodies (the demo's own
steps), and around it something for every role's start page on 2 December 2013."""

from __future__ import annotations

import contextlib
import io

from sqlalchemy.orm import Session, sessionmaker

from gremienlauf.demo import _wetzlar
from tests.scenario import Scenario, berlin
from workflow import papers
from workflow.rules import VoteInput
from workflow.vocabulary import Outcome, PaperKind

NOW = berlin("2013-12-02 09:00")


def build(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Returns the ids the tests look up by name."""
    with contextlib.redirect_stdout(io.StringIO()):  # the demo narrates; the tests need not
        seed = _wetzlar(sessions)
    world = Scenario(sessions)
    draft = papers.draft_paper(
        sessions,
        actor="Fachamt",
        municipality="wetzlar",
        kind=PaperKind.beschlussvorlage,
        department="kbs",
        subject="Fortschreibung des Spielplatzentwicklungsplans",
        paper_date=NOW.date(),
        proposed_resolution="Die Stadtverordnetenversammlung beschließt die Fortschreibung.",
        cosigners=["kaemmerei"],
        now=NOW,
    )
    papers.request_cosignatures(sessions, actor="Fachamt", paper_id=draft.id, now=NOW)
    waiting = world.submitted_paper(subject="Sanierung der Sporthalle Dalheim", when="2013-11-20 10:00")
    secret = world.submitted_paper(
        subject="Ankauf eines Grundstücks am Lahnufer", public=False, when="2013-11-20 11:00"
    )
    held = world.new_meeting("magistrat", "2013-11-25 09:00")  # held, still without results
    world.schedule(waiting.id, "magistrat", held.id)
    world.schedule(secret.id, "magistrat", held.id)
    world.invite(held.id)
    soon = world.new_meeting("magistrat", "2013-12-09 09:00")  # its invitation is due this week
    today = _meeting_today(world)
    return {
        "seed": seed,
        "draft": draft.id,
        "waiting": waiting.id,
        "held": held.id,
        "soon": soon.id,
        "today": today,
    }


def _meeting_today(world: Scenario) -> int:
    """The Sozialausschuss meets this morning on two papers the Magistrat recommended: the secretary's day."""
    subjects = ("Neubau der Kindertagesstätte Niedergirmes", "Zuschuss für den Jugendtreff Hermannstein")
    today_papers = [
        world.submitted_paper(subject=s, committees=["sjs"], when="2013-11-04 10:00") for s in subjects
    ]
    earlier = world.new_meeting("magistrat", "2013-11-18 09:00")
    items = [world.schedule(p.id, "magistrat", earlier.id) for p in today_papers]
    world.invite(earlier.id)
    world.attend(earlier.id)
    for item in items:
        world.record(item.id, Outcome.recommended, VoteInput(10, 0, 2))
    today = world.new_meeting("sjs", "2013-12-02 08:30")
    for p in today_papers:
        world.schedule(p.id, "sjs", today.id)
    world.invite(today.id)
    return today.id
