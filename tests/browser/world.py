"""The world the browser tests look at: the Wetzlar Vorlage 1562/13 through all five bodies (the demo's own
steps), and around it something for every role's start page on 2 December 2013."""

from __future__ import annotations

import contextlib
import io

from sqlalchemy.orm import Session, sessionmaker

from gremienlauf.demo import _wetzlar
from tests.scenario import Scenario, berlin
from workflow import papers
from workflow.vocabulary import PaperKind

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
    return {"seed": seed, "draft": draft.id, "waiting": waiting.id, "held": held.id, "soon": soon.id}
