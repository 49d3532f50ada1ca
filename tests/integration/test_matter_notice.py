"""The notice period with a matter on the agenda (Hessen: an election or the Hauptsatzung, § 58 Abs. 3 HGO:
always at least three days, never shortened), per profile; and NRW, whose notice period comes from the
municipality file (the council's Geschäftsordnung), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from gremienlauf.cli import app
from tests.conftest import Database
from tests.scenario import Scenario
from workflow import meetings
from workflow.errors import ConfigurationError, NoticePeriodViolation, RuleViolation
from workflow.models import AgendaItem, Body, Meeting
from workflow.municipality import example_path
from workflow.notice import invitation_deadline
from workflow.rules import BERLIN
from workflow.setup import import_municipality


def local(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """A Europe/Berlin wall-clock moment in September 2013."""
    return dt.datetime(2013, 9, day, hour, minute, second, tzinfo=BERLIN)


def invite(db: Database, meeting_id: int, now: dt.datetime, **kwargs: Any) -> Meeting:
    return meetings.invite_meeting(
        db.sessions, actor="Sitzungsdienst", meeting_id=meeting_id, now=now, **kwargs
    )


def matters(db: Database, meeting_id: int) -> list[str | None]:
    with db.sessions() as s:
        return list(
            s.scalars(
                select(AgendaItem.matter)
                .where(AgendaItem.meeting_id == meeting_id)
                .order_by(AgendaItem.order)
            )
        )


def add(db: Database, meeting_id: int, title: str, matter: str | None, now: dt.datetime) -> None:
    meetings.add_agenda_item(
        db.sessions, actor="Sitzungsdienst", meeting_id=meeting_id, title=title, matter=matter, now=now
    )


# ------------------------------------------------------------------------------------------- Hessen


def test_hessen_an_election_on_the_agenda_refuses_the_urgent_shortening(db: Database) -> None:
    sc = Scenario(db.sessions)
    # The same late, urgent invitation of a meeting of the Stadtverordnetenversammlung on Monday 30.09.2013 ...
    plain = sc.new_meeting("stvv", "2013-09-30 17:00")
    add(db, plain.id, "Mitteilungen", None, local(20, 10))
    sent = invite(db, plain.id, local(27, 10), urgent=True, urgent_reason="Eilige Vergabe")
    assert (sent.state, sent.urgent) == ("invited", True)

    # ... is refused once an election is on the agenda.
    meeting = sc.new_meeting("stvv", "2013-09-30 19:00")
    add(db, meeting.id, "Wahl der Vertretung im Zweckverband", "wahl", local(20, 10))
    with pytest.raises(NoticePeriodViolation) as refused:
        invite(db, meeting.id, local(27, 10), urgent=True, urgent_reason="Eilige Vergabe")
    german = refused.value.german
    assert german.startswith(
        "Die Ladungsfrist kann nicht abgekürzt werden: Auf der Tagesordnung steht TOP Ö 1 (Wahl)."
    )
    assert "stets mindestens 3 volle Tage zwischen Zugang und Sitzungstag (§ 58 Abs. 3 HGO" in german
    assert refused.value.details["legal_basis"] == "§ 58 Abs. 3 HGO"
    unchanged = sc.meeting(meeting.id)
    assert (unchanged.state, unchanged.urgent, unchanged.invitation_sent_at) == ("planned", False, None)

    # On time (receipt three full days before the meeting) the invitation goes out.
    assert invite(db, meeting.id, local(25, 23, 59, 59)).state == "invited"


def test_hessen_the_hauptsatzung_keeps_three_days_even_in_a_second_session(db: Database) -> None:
    sc = Scenario(db.sessions)
    # A second session after a failed quorum has one day's notice (§ 58 Abs. 1 Satz 5 HGO) ...
    plain = sc.new_meeting("stvv", "2013-09-30 18:00", second_session=True)
    add(db, plain.id, "Mitteilungen", None, local(20, 10))
    assert invite(db, plain.id, local(27, 10)).state == "invited"

    # ... but with the Hauptsatzung on the agenda it is three days.
    meeting = sc.new_meeting("stvv", "2013-09-30 19:00", second_session=True)
    add(db, meeting.id, "Änderung der Hauptsatzung", "hauptsatzung", local(20, 10))
    with sc.sessions() as s:
        deadline = invitation_deadline(s, s.get_one(Meeting, meeting.id))
    assert deadline.rule.legal_basis == "§ 58 Abs. 3 HGO"
    # Receipt by Thursday 26th, 23:59 (three full days: 27th, 28th, 29th), one day earlier by e-mail.
    assert deadline.latest_dispatch == local(25, 23, 59, 59).replace(microsecond=999_999).astimezone(dt.UTC)
    with pytest.raises(NoticePeriodViolation) as refused:
        invite(db, meeting.id, local(27, 10))
    assert "§ 58 Abs. 3 HGO" in refused.value.german
    with pytest.raises(NoticePeriodViolation, match="cannot be shortened"):
        invite(db, meeting.id, local(27, 10), urgent=True, urgent_reason="Frist")


def test_hessen_an_election_cannot_join_a_meeting_invited_at_shorter_notice(db: Database) -> None:
    sc = Scenario(db.sessions)
    urgent = sc.new_meeting("stvv", "2013-09-30 16:00")
    add(db, urgent.id, "Mitteilungen", None, local(20, 10))
    invite(db, urgent.id, local(27, 10), urgent=True, urgent_reason="Eilige Vergabe")
    with pytest.raises(NoticePeriodViolation) as refused:
        add(db, urgent.id, "Wahl eines Schiedsmanns", "wahl", local(27, 12))
    assert "der neue TOP (Wahl)" in refused.value.german
    assert "§ 58 Abs. 3 HGO" in refused.value.german

    second = sc.new_meeting("stvv", "2013-09-30 18:00", second_session=True)
    add(db, second.id, "Mitteilungen", None, local(20, 10))
    invite(db, second.id, local(27, 10))  # one day's notice is enough for the second session itself
    with pytest.raises(NoticePeriodViolation) as late:
        add(db, second.id, "Änderung der Hauptsatzung", "hauptsatzung", local(27, 12))
    assert late.value.german.startswith("Hauptsatzung kann nicht nachträglich auf die Tagesordnung")

    timely = sc.new_meeting("sjs", "2013-09-30 11:00")
    add(db, timely.id, "Mitteilungen", None, local(20, 10))
    invite(db, timely.id, local(24, 10))
    add(db, timely.id, "Wahl eines Schiedsmanns", "wahl", local(26, 10))
    assert matters(db, timely.id) == [None, "wahl"]


def test_hessen_the_magistrat_may_still_shorten_its_notice_period_with_an_election_on_the_agenda(
    db: Database,
) -> None:
    # For the Magistrat only § 58 Abs. 1 and 2 HGO apply (§ 69 Abs. 2 HGO), not the minimum of Abs. 3.
    sc = Scenario(db.sessions)
    meeting = sc.new_meeting("magistrat", "2013-09-30 09:00")
    add(db, meeting.id, "Wahl eines Mitglieds der Betriebskommission", "wahl", local(20, 10))
    sent = invite(db, meeting.id, local(27, 10), urgent=True, urgent_reason="Eilige Besetzung")
    assert (sent.state, sent.urgent) == ("invited", True)


def test_an_unknown_matter_is_refused_naming_the_allowed_ones(db: Database) -> None:
    sc = Scenario(db.sessions)
    meeting = sc.new_meeting("magistrat", "2013-09-30 09:00")
    with pytest.raises(RuleViolation, match="allowed: wahl, hauptsatzung") as refused:
        add(db, meeting.id, "Etwas", "bebauungsplan", local(20, 10))
    assert "erlaubt: wahl, hauptsatzung" in refused.value.german


# ------------------------------------------------------------------------------------ NRW, Niedersachsen


@pytest.mark.parametrize(
    ("town", "body", "late"),
    [
        ("duisburg", "rat", local(27, 10)),  # Geschäftsordnung: urgent 48 hours before the start
        ("wilhelmshaven", "rat", local(28, 10)),  # Geschäftsordnung: urgent 24 hours before the start
    ],
)
def test_outside_hessen_an_election_does_not_forbid_the_urgent_shortening(
    db: Database, town: str, body: str, late: dt.datetime
) -> None:
    sc = Scenario(db.sessions, town=town)
    meeting = sc.new_meeting(body, "2013-09-30 17:00")
    add(db, meeting.id, "Wahl der Vertretung im Zweckverband", "wahl", local(20, 10))
    sent = invite(db, meeting.id, late, urgent=True, urgent_reason="Eilige Wahl")
    assert (sent.state, sent.urgent) == ("invited", True)
    assert matters(db, meeting.id) == ["wahl"]


def test_the_duisburg_bodies_carry_the_notice_period_of_the_geschaeftsordnung(db: Database) -> None:
    with db.sessions() as s:
        bodies = s.scalars(select(Body).where(Body.municipality.has(key="duisburg"))).all()
        assert {b.settings_override["notice"]["regular"]["legal_basis"] for b in bodies} == {
            "Geschäftsordnung für den Rat der Stadt Duisburg"
        }
    sc = Scenario(db.sessions, town="duisburg")
    meeting = sc.new_meeting("rat", "2013-09-30 17:00")
    with pytest.raises(NoticePeriodViolation) as refused:
        invite(db, meeting.id, local(27, 10))
    assert (
        "8 volle Tage zwischen Absendung und Sitzungstag, Geschäftsordnung für den Rat der Stadt Duisburg"
        in str(refused.value)
    )
    assert "GO NRW" not in str(refused.value)


def _duisburg_without_notice(tmp_path: Path) -> Path:
    text = example_path("duisburg").read_text(encoding="utf-8")
    text = text[: text.index("notice:\n")] + text[text.index("\ndepartments:") :]
    text = text.replace("key: duisburg,", "key: duisburg2,")
    path = tmp_path / "duisburg2.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_nrw_file_without_notice_period_is_not_set_up_and_the_check_says_why(
    db: Database, tmp_path: Path
) -> None:
    path = _duisburg_without_notice(tmp_path)
    with pytest.raises(ConfigurationError, match="legt keine Ladungsfrist fest"):
        import_municipality(db.sessions, path)
    result = CliRunner().invoke(app, ["kommune", "pruefen", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert (
        "Das Profil Nordrhein-Westfalen (Gemeindeordnung NRW) legt keine Ladungsfrist fest" in result.output
    )
