"""The list of results on the live page of a meeting as the public reads it (no event stream here, see
``test_live``): per faction one line with its yes and no votes and its abstentions, the counts of the vote
the outcome rests on, on SQLite and on PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.web import links
from tests.conftest import Database
from tests.scenario import Scenario
from tests.web.live_world import MARKER, LiveWorld, build_live_world, result_with_factions
from workflow.models import Faction, Meeting, Municipality
from workflow.rules import FactionCount, VoteInput
from workflow.vocabulary import Outcome

FACTION_LINES = re.compile(
    r'<ul class="live-factions" aria-label="Abstimmung nach Fraktionen">(.*?)</ul>', re.S
)


@pytest.fixture
def live(db: Database) -> Iterator[tuple[Database, LiveWorld, TestClient, str]]:
    world = build_live_world(db.sessions, "2014-05-12 17:00")
    with db.sessions() as session:
        path = links.meeting(session, "wetzlar", session.get_one(Meeting, world.meeting_id)) + "/live"
    app = create_app(db.url)
    with TestClient(app) as client:
        yield db, world, client, path
    app.state.engine.dispose()


def _faction_votes(db: Database, world: LiveWorld) -> tuple[dict[str, str], VoteInput]:
    """The factions' names by key, and the split vote of ``result_with_factions`` as the use case takes it."""
    with db.sessions() as session:
        rows = session.execute(
            select(Faction.key, Faction.id, Faction.name)
            .join(Municipality, Municipality.id == Faction.municipality_id)
            .where(Municipality.key == "wetzlar")
        ).all()
    ids = {key: faction_id for key, faction_id, _ in rows}
    vote = result_with_factions(world)["votes"][0]
    counts = tuple(FactionCount(ids[c["faction"]], c["yes"], c["no"], c["abstain"]) for c in vote["factions"])
    return (
        {key: name for key, _, name in rows},
        VoteInput(vote["yes"], vote["no"], vote["abstain"], decisive=True, faction_counts=counts),
    )


def _lines(page: str) -> list[list[str]]:
    """Per list of factions on the page its lines, as text."""
    return [
        [html.unescape(line) for line in re.findall(r"<li>(.*?)</li>", block)]
        for block in FACTION_LINES.findall(page)
    ]


def _expected(names: dict[str, str], world: LiveWorld) -> set[str]:
    def word(n: int) -> str:
        return "Enthaltung" if n == 1 else "Enthaltungen"

    return {
        f"{names[c['faction']]}: {c['yes']} Ja, {c['no']} Nein, {c['abstain']} {word(c['abstain'])}"
        for c in result_with_factions(world)["votes"][0]["factions"]
    }


def test_each_faction_has_one_line_with_its_yes_no_and_abstentions(
    live: tuple[Database, LiveWorld, TestClient, str],
) -> None:
    db, world, client, path = live
    assert _lines(client.get(path).text) == []  # no result yet
    names, vote = _faction_votes(db, world)
    Scenario(db.sessions).record(world.public_items[0], Outcome.recommended, vote)

    page = client.get(path)
    assert page.status_code == 200
    (lines,) = _lines(page.text)
    assert set(lines) == _expected(names, world)
    assert len(lines) == len(world.factions)
    assert any(line.endswith(("0 Ja, 0 Nein, 1 Enthaltung", "Nein, 2 Enthaltungen")) for line in lines)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page.text))
    assert f"{vote.yes} Ja, {vote.no} Nein, {vote.abstain} Enthaltung" in text
    assert MARKER not in page.text


def test_the_counts_shown_are_those_of_the_decisive_vote_not_of_a_later_one(
    live: tuple[Database, LiveWorld, TestClient, str],
) -> None:
    db, world, client, path = live
    names, decisive = _faction_votes(db, world)
    present = decisive.yes + decisive.no + decisive.abstain
    later = VoteInput(0, present, 0, subject="Zusatzantrag")
    Scenario(db.sessions).record(world.public_items[0], Outcome.recommended, decisive, later)

    page = client.get(path).text
    (lines,) = _lines(page)
    assert set(lines) == _expected(names, world)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert f"{decisive.yes} Ja, {decisive.no} Nein" in text
    assert f"0 Ja, {present} Nein" not in text
